"""How many warnings a city duty desk holds (issue #16 item 1): the demo city replayed at real
rates for --hours simulated hours, the rules evaluated every --step minutes, the county duty
officers acting as in the demo seed (dashboard/demo/warning_history.Replay: acknowledge red in
minutes, orange within the hour, yellow and blue in office hours; close what is handled).

`python benchmarks/warning_volume.py --db sqlite:////tmp/demo.db --hours 6 --out benchmarks/results/warning_volume.json`

The seeded database is copied; the simulator (dashboard/demo/simulate) writes --hours of new
rows after the seed's end into the copy, once. Then each arm — `before` (one warning per record,
levels as they were, no silent-feed rule) and `after` (the shipped WarningConfig) — gets its own
copy of that, with no warnings: a warm-up of --warmup hours at the seed's per-rule cadence gives
the desk a realistic backlog, then the measured hours run every rule every --step minutes. At
each step the city's open warnings are counted by level; `sounding` are the red/orange ones
nobody has acknowledged (what the wall flashes for). Every red warning's reason is printed, so
a reader can judge whether each is a real major event. SQLite only (the copy is a file copy).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select  # noqa: E402

from dashboard.demo import warning_history as wh  # noqa: E402
from dashboard.demo.simulate import simulate  # noqa: E402
from data_access import warnings  # noqa: E402
from data_access.engine import create_own_tables, make_engine  # noqa: E402
from data_access.schema import OPEN_WARNING_STATUSES, warning, warning_action  # noqa: E402
from data_access.warning_rules import WarningConfig  # noqa: E402

# What the desk had before issue #16 item 1: one warning per record, red for a late case,
# orange for a sixth repeat call, a level that only ever went up, no silent-feed rule.
BEFORE = WarningConfig(
    overdue_levels=(("red", 1440.0), ("orange", 720.0), ("yellow", 480.0), ("blue", 240.0)),
    repeat_levels=(("orange", 6.0), ("yellow", 4.0), ("blue", 3.0)),
    group_rules=(), follow_down=False)
ARMS = {"before": (BEFORE, [r for r in warnings.RULES if r != "source_silent"]),
        "after": (WarningConfig(), list(warnings.RULES))}


def _seed_end(conn) -> dt.datetime:
    at = conn.execute(select(func.max(warning_action.c.at))).scalar()
    if at is None:
        raise SystemExit("the database has no warning history: seed it with --scale demo first")
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def _write_rows(url: str, start: dt.datetime, hours: float) -> dict:
    """--hours of the simulator's rows after `start`, one simulated minute per tick."""
    clock = iter(start + dt.timedelta(minutes=m) for m in range(int(hours * 60) + 2))
    return simulate(url, speed=1.0, tick=0, ticks=int(hours * 60), seed=16, log=lambda *_: None,
                    clock=lambda: next(clock))


def _open(conn, at) -> dict:
    rows = conn.execute(select(warning.c.level, warning.c.status, func.count())
                        .where(warning.c.status.in_(OPEN_WARNING_STATUSES), warning.c.created_at <= at)
                        .group_by(warning.c.level, warning.c.status)).all()
    out = {"red": 0, "orange": 0, "yellow": 0, "blue": 0, "sounding": 0}
    for level, status, n in rows:
        out[level] += n
        if status == "new" and level in ("red", "orange"):
            out["sounding"] += n
    return out


def run_arm(name: str, path: Path, start: dt.datetime, hours: float, step: int, warmup: float) -> dict:
    cfg, rules = ARMS[name]
    engine = make_engine(f"sqlite:///{path}")
    create_own_tables(engine)
    with engine.begin() as conn:
        conn.execute(delete(warning_action))
        conn.execute(delete(warning))
    end = start + dt.timedelta(hours=hours)
    t0 = time.perf_counter()
    samples, reds = [], {}
    with engine.connect() as conn:
        rp = wh.Replay(conn, start - dt.timedelta(hours=warmup), end, 7, cfg)
        for at, due in wh.steps(start - dt.timedelta(hours=warmup), start, {}):
            rp.run_events(at)
            rp.evaluate(at, [r for r in due if r in rules] + (["source_silent"] if "source_silent" in rules else []))
        conn.commit()
        at = start
        while at <= end:
            rp.run_events(at)
            rp.evaluate(at, rules)
            conn.commit()
            counts = _open(conn, at)
            samples.append({"at": at.isoformat(), **counts})
            at += dt.timedelta(minutes=step)
        for wid, reason, created in conn.execute(select(warning.c.id, warning.c.reason, warning.c.created_at)
                                                 .where(warning.c.level == "red", warning.c.created_at >= start)):
            reds[wid] = reason
        raised = dict(conn.execute(select(warning.c.level, func.count()).where(warning.c.created_at >= start)
                                   .group_by(warning.c.level)).all())
        by_rule = dict(conn.execute(select(warning.c.rule, func.count()).where(warning.c.created_at >= start)
                                    .group_by(warning.c.rule)).all())
    hot = [s["red"] + s["orange"] for s in samples]
    return {"arm": name, "steps": len(samples), "seconds": round(time.perf_counter() - t0, 1),
            "red_orange_max": max(hot), "red_orange_mean": round(statistics.mean(hot), 1),
            "sounding_max": max(s["sounding"] for s in samples),
            "open_max": max(s["red"] + s["orange"] + s["yellow"] + s["blue"] for s in samples),
            "open_end": {k: samples[-1][k] for k in ("red", "orange", "yellow", "blue")},
            "raised": raised, "raised_by_rule": by_rule, "actions": rp.counts,
            "red_reasons": list(reds.values()), "samples": samples}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="a seeded demo city (sqlite:///path)")
    ap.add_argument("--hours", type=float, default=6.0)
    ap.add_argument("--step", type=int, default=5, help="minutes between evaluations")
    ap.add_argument("--warmup", type=float, default=48.0, help="hours replayed before the measured ones")
    ap.add_argument("--arms", default="before,after")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    src = Path(make_engine(args.db).url.database)
    with tempfile.TemporaryDirectory(prefix="volume-") as tmp:
        base = Path(tmp) / "base.db"
        shutil.copy(src, base)
        with make_engine(f"sqlite:///{base}").connect() as conn:
            start = _seed_end(conn)
        written = _write_rows(f"sqlite:///{base}", start, args.hours)
        print(f"simulated {args.hours} h after {start:%Y-%m-%d %H:%M} UTC: {written}")
        results = []
        for name in args.arms.split(","):
            arm = Path(tmp) / f"{name}.db"
            shutil.copy(base, arm)
            res = run_arm(name, arm, start, args.hours, args.step, args.warmup)
            results.append(res)
            print(f"| {name} | {res['red_orange_max']} | {res['red_orange_mean']} | {res['sounding_max']} | "
                  f"{res['open_max']} | {res['raised']} | {res['seconds']} s |")
            for reason in res["red_reasons"]:
                print(f"    red: {reason}")
    if args.out:
        Path(args.out).write_text(json.dumps({"start": start.isoformat(), "hours": args.hours, "step": args.step,
                                              "warmup": args.warmup, "rows": written, "arms": results},
                                             ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
