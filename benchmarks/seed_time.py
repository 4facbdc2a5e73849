"""Seed timing: `python benchmarks/seed_time.py --scale city` seeds SQLite and PostgreSQL
in one run and prints a Markdown table row per backend (time, rows, peak RSS)."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from dashboard.demo.seed import seed
from data_access.timeutil import parse_instant
out = seed({url!r}, {scale!r}, 1, parse_instant({end!r}), log=lambda m: print(m, file=sys.stderr, flush=True))
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run_one(url: str, scale: str, end: str) -> dict:
    import json
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), url=url, scale=scale, end=end)],
                          check=True, stdout=subprocess.PIPE, text=True)  # progress goes to stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = round(time.perf_counter() - t0, 1)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="city", choices=["tiny", "demo", "city"])
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/redgrid_bench")
    ap.add_argument("--end", default="2026-11-20T07:30:00+00:00")
    args = ap.parse_args()
    from sqlalchemy import create_engine, text
    admin = create_engine(args.pg.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = args.pg.rsplit("/", 1)[1]
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)"))
        c.execute(text("CREATE DATABASE " + quoted))
    tmp = tempfile.mkdtemp(prefix="redgrid-bench-")
    targets = {"SQLite": f"sqlite:///{tmp}/city.db", "PostgreSQL": args.pg}
    print(f"Seed benchmark, scale `{args.scale}`, {dt.date.today()}, {platform.machine()}, "
          f"{os.cpu_count()} cores\n")
    print("| backend | total s | rows phase s | indexes s | of which warnings s | incidents | patrols | appeals "
          "| visits | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, url in targets.items():
        r = run_one(url, args.scale, args.end)
        c = r["counts"]
        # "indexes" is everything after the rows phase: indexes, rollups and the warning replay
        print(f"| {label} | {r['seconds']} | {r['load_seconds']} | {round(r['seconds'] - r['load_seconds'], 1)} "
              f"| {r.get('warning_seconds', 0)} | {c['incident']:,} | {c['patrol']:,} | {c['appeal']:,} "
              f"| {c['visit']:,} | {r['peak_rss_mb']:.0f} |", flush=True)
    with admin.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)"))
    subprocess.run(["rm", "-rf", tmp])
    return 0


if __name__ == "__main__":
    sys.exit(main())
