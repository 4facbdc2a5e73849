"""Cold compute time of each view's snapshot (no cache), per level, on one database.

`python benchmarks/view_time.py --db sqlite:///var/redgrid.db` prints a Markdown table:
median and max of N runs, in one run of this script (compare rows, not machines).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    from data_access.engine import DEFAULT_URL  # after the sys.path line above
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=DEFAULT_URL)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import dashboard  # noqa: F401 - registers the text model the opinion view reads appeal text with
    from data_access import regions as region_tree
    from services import SNAPSHOTS
    from data_access.engine import make_engine
    from data_access.scope import scope_of
    from data_access.timeutil import now
    engine = make_engine(args.db)
    regions = {"city": "450800", "county": "450802", "township": "450802001"}
    with engine.connect() as conn:
        scope = scope_of(conn, "450800")
        regions["village"] = conn.exec_driver_sql(
            "SELECT code FROM region WHERE level='village' AND township_code='450802001' ORDER BY code LIMIT 1").scalar()
        regions["grid"] = conn.exec_driver_sql(
            "SELECT code FROM region WHERE level='grid' AND village_code=? ORDER BY code LIMIT 1"
            if engine.dialect.name == "sqlite" else
            "SELECT code FROM region WHERE level='grid' AND village_code=%s ORDER BY code LIMIT 1",
            (regions["village"],)).scalar()
    views = {v: SNAPSHOTS[v].compute for v in ("overview", "incidents", "patrols", "opinion")}
    print(f"View snapshot compute, cold, {args.db.split('://')[0]}, median / max of {args.runs} runs (s)\n")
    print("| view | " + " | ".join(regions) + " |")
    print("|---|" + "---|" * len(regions))
    at = now()
    for name, compute in {**views, "grid": SNAPSHOTS["grid"].compute}.items():
        cells = []
        for level, code in regions.items():
            if name == "grid" and level != "grid":
                cells.append("")
                continue
            times = []
            for _ in range(args.runs):
                with engine.connect() as conn:
                    t0 = time.perf_counter()
                    compute(conn, scope, region_tree.get(conn, scope, code), at)
                    times.append(time.perf_counter() - t0)
            cells.append(f"{statistics.median(times):.2f} / {max(times):.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
