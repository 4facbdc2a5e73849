"""A/B of the views' cold snapshot computes between two checkouts, in one run.

    python benchmarks/ab_views.py --old /tmp/old-tree --db sqlite:////tmp/demo.db [--rounds 2]

Runs each checkout's own `benchmarks/view_time.py` on the same database, alternating
old/new `--rounds` times (so a noisy minute hits both), and prints each view and level's
median time per side and the ratio new/old. Written to check that a restructuring (issue
#15: services, a region resolved once) made no view slower.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

NEW = Path(__file__).resolve().parent.parent


def run(tree: Path, db: str, runs: int) -> dict:
    out = subprocess.run([sys.executable, "benchmarks/view_time.py", "--db", db, "--runs", str(runs)],
                         cwd=tree, capture_output=True, text=True, check=True).stdout
    lines = [line for line in out.splitlines() if line.startswith("|")]
    levels = [c.strip() for c in lines[0].strip("|").split("|")][1:]
    got = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        for level, cell in zip(levels, cells[1:]):
            m = re.match(r"([\d.]+) /", cell)
            if m:
                got[(cells[0], level)] = float(m.group(1))
    return got


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="a checkout of the code before the change")
    ap.add_argument("--db", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    samples: dict = {"old": {}, "new": {}}
    for _ in range(a.rounds):
        for side, tree in (("old", Path(a.old)), ("new", NEW)):
            for key, t in run(tree, a.db, a.runs).items():
                samples[side].setdefault(key, []).append(t)
    print("| view | level | old (s) | new (s) | new / old |")
    print("|---|---|---|---|---|")
    for key in samples["new"]:
        if key not in samples["old"]:
            continue
        old, new = statistics.median(samples["old"][key]), statistics.median(samples["new"][key])
        print(f"| {key[0]} | {key[1]} | {old:.2f} | {new:.2f} | {new / old:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
