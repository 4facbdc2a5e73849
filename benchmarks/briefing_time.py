"""How long the weekly briefing (周报) takes, step by step, on one database.

    python benchmarks/briefing_time.py --db sqlite:////tmp/city.db --week 2026-W47 [--runs 3]
        [--levels city,county,township] [--formats docx,xlsx,pdf]

Each run is what `python -m dashboard briefing` does after connecting: gather the week's
figures (data), render the charts in one headless Chromium (charts), write each file.
Prints a Markdown table of the first run and the median / max of all runs, per level;
`cpu` is this process's CPU time (the wall-clock columns depend on what else runs).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LEVEL_CODES = {"city": "450800", "county": "450802", "township": "450802001"}


def main() -> int:
    from data_access.engine import DEFAULT_URL  # after the sys.path line above
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=DEFAULT_URL)
    ap.add_argument("--week", default=None, help="ISO week (default: the last complete week)")
    ap.add_argument("--now", default=None, help="ISO time the figures are known at (default: now)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--levels", default="city")
    ap.add_argument("--formats", default="docx,xlsx,pdf")
    args = ap.parse_args()
    from dashboard.briefing.files import make, parse_formats
    from data_access import briefing as data
    from data_access.engine import make_engine
    from data_access.scope import scope_of
    from data_access.timeutil import now as clock_now
    from data_access.timeutil import parse_instant

    at = parse_instant(args.now) if args.now else clock_now()
    week = data.parse_week(args.week) if args.week else data.last_complete_week(at)
    formats = parse_formats(args.formats)
    engine = make_engine(args.db, statement_timeout_ms=300_000)
    steps = ["data", "charts", *formats, "total", "cpu"]
    print(f"Weekly briefing {week.label}, {args.db.split('://')[0]}, formats {','.join(formats)}, "
          f"{args.runs} runs (s): first run, then median / max\n")
    print("| level | " + " | ".join(steps) + " | sizes (KB) |")
    print("|---|" + "---|" * (len(steps) + 1))
    for level in args.levels.split(","):
        code = LEVEL_CODES[level]
        runs, sizes = [], {}
        for _ in range(args.runs):
            started, cpu = time.perf_counter(), time.process_time()
            with engine.connect() as conn:
                _, files, timings = make(conn, scope_of(conn, "450800"), code, week, at, formats)
            timings["total"] = time.perf_counter() - started
            # CPU seconds of this process (Python and SQLite; Chromium not counted): what the
            # briefing costs whatever else shares the machine.
            timings["cpu"] = time.process_time() - cpu
            runs.append(timings)
            sizes = {f: len(b) // 1024 for f, b in files.items()}
        cells = []
        for step in steps:
            values = [r.get(step, 0.0) for r in runs]
            cells.append(f"{values[0]:.1f}, {statistics.median(values):.1f} / {max(values):.1f}")
        print(f"| {level} {code} | " + " | ".join(cells) + " | "
              + ", ".join(f"{f} {n}" for f, n in sizes.items()) + " |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:.0f} MB (Chromium runs in its own processes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
