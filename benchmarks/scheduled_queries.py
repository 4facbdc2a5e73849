"""Every scheduled query of the refresher's scheduler, timed one by one (issue #19 item 5): each
warning rule alone, the whole evaluation, the rollups' catch-up (steady, and settling a new
day), the reconciler's pass, the case linker's next hour, the cold snapshot of every view at
city level. Target: each ≤ 1 s at city scale on both databases.

    python benchmarks/scheduled_queries.py --db postgresql://postgres@127.0.0.1/redgrid_city \\
        --runs 3 --out benchmarks/results/scheduled_pg.json

Writes happen in a transaction that is rolled back: the database is left as it was. Times are
the median of --runs (the first run's, cold, kept apart). On PostgreSQL the plan of the `visit`
rule's statements is printed with EXPLAIN ANALYZE's estimated and actual rows of each join.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

import dashboard  # noqa: E402,F401 - registers the text model the opinion view reads with
from data_access import rollups, warnings  # noqa: E402
from data_access.engine import make_engine  # noqa: E402
from data_access.schema import incident, region  # noqa: E402
from data_access.scope import scope_of  # noqa: E402
from services import SNAPSHOTS  # noqa: E402
from services.snapshot import compute_entry  # noqa: E402


def _timed(fn, runs: int) -> dict:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"cold": round(times[0], 3), "median": round(statistics.median(times[1:] or times), 3),
            "runs": [round(x, 3) for x in times]}


def _rolled_back(engine, work):
    """Run `work(conn)` in a transaction that is rolled back (nothing written stays)."""
    def run():
        with engine.connect() as conn:
            tx = conn.begin()
            try:
                work(conn)
            finally:
                tx.rollback()
    return run


def measure(url: str, runs: int, at: dt.datetime | None) -> dict:
    engine = make_engine(url)
    with engine.connect() as conn:
        now = at or conn.execute(select(func.max(incident.c.reported_at))).scalar()
        city = conn.execute(select(region.c.code).where(region.c.level == "city")).scalar()
        counts = {"grids": conn.execute(select(func.count()).where(region.c.level == "grid")).scalar(),
                  "incidents": conn.execute(select(func.count()).select_from(incident)).scalar()}
        scope = scope_of(conn, city)
    out: dict = {"db": engine.dialect.name, "now": now.isoformat(), **counts, "rules": {}, "jobs": {}, "views": {}}
    for name in warnings.RULES:
        out["rules"][name] = _timed(_rolled_back(engine, lambda c, n=name: warnings.candidates(c, now, rules=[n])),
                                    runs)
        print(f"rule {name:14s} {out['rules'][name]}", flush=True)
    out["jobs"]["evaluate (all rules, written)"] = _timed(
        _rolled_back(engine, lambda c: warnings.evaluate(c, now)), runs)
    out["jobs"]["rollups catch-up (steady)"] = _timed(_rolled_back(engine, lambda c: rollups.catch_up(c, now)), runs)
    out["jobs"]["rollups catch-up (a new day)"] = _timed(
        _rolled_back(engine, lambda c: rollups.catch_up(c, now + dt.timedelta(days=1))), runs)
    out["jobs"]["rollups reconcile"] = _timed(_rolled_back(engine, lambda c: rollups.reconcile(c, now)), runs)
    for label, job in out["jobs"].items():
        print(f"job  {label:30s} {job}", flush=True)
    for kind, snapshot in SNAPSHOTS.items():
        if snapshot.grid_only:
            continue
        out["views"][kind] = _timed(lambda s=snapshot: compute_entry(s, engine, scope, city, now, 5), runs)
        print(f"view {kind:22s} {out['views'][kind]}", flush=True)
    if engine.dialect.name == "postgresql":
        out["visit_plan"] = _visit_plan(engine, now)
    engine.dispose()
    return out


def _visit_plan(engine, now: dt.datetime) -> list[str]:
    """EXPLAIN ANALYZE of every statement the `visit` rule runs: estimated vs actual rows."""
    from sqlalchemy import event
    statements: list[tuple] = []

    def grab(conn, cursor, statement, params, context, many):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, params))
    event.listen(engine, "before_cursor_execute", grab)
    try:
        with engine.connect() as conn:
            warnings.candidates(conn, now, rules=["visit"])
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    plans: list[str] = []
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for statement, params in statements:
            with raw.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, TIMING OFF) " + statement, params)
                plans.extend(r[0] for r in cur.fetchall() if "rows=" in r[0])
            plans.append("-" * 40)
    return plans


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--at", help="ISO time to evaluate at (default: the latest report)")
    parser.add_argument("--out")
    args = parser.parse_args()
    at = dt.datetime.fromisoformat(args.at) if args.at else None
    out = measure(args.db, args.runs, at)
    slow = {k: v["median"] for part in ("rules", "jobs", "views") for k, v in out[part].items() if v["median"] > 1}
    out["over_1s"] = slow
    print("over 1 s:", slow or "none")
    if args.out:
        Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
