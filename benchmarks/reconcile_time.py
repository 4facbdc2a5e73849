"""What the rollups' reconcile pass costs (issue #17 item 2):
`python benchmarks/reconcile_time.py --db sqlite:////tmp/city.db --db postgresql://…/redgrid_city --days 30 --days 92`.

Per database, in one run: the first pass (on rollups built before the checksums existed it
re-derives its window once), then the steady pass on an unchanged database (median of
--repeat), the checksum queries alone by kind, and a pass after typical corrections (a grid's
patrols of its last five settled days deleted, 20 incidents moved/re-timed/deleted, one
township-day of appeals deleted; rolled back afterwards). Prints Markdown table rows.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select, update  # noqa: E402

from data_access import rollups  # noqa: E402
from data_access.engine import create_schema, make_engine  # noqa: E402
from data_access.schema import appeal, incident, patrol, region  # noqa: E402
from data_access.timeutil import now as clock_now  # noqa: E402
from data_access.timeutil import parse_instant  # noqa: E402


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _counts(conn, days: int, h: dt.date) -> dict:
    lo = rollups._start(h - dt.timedelta(days=days))
    hi = rollups._start(h)
    return {t.name: conn.execute(select(func.count()).select_from(t).where(col >= lo, col < hi)).scalar()
            for t, col in ((incident, incident.c.reported_at), (patrol, patrol.c.started_at),
                           (appeal, appeal.c.received_at))}


def _corrections(conn, h: dt.date) -> None:
    """Typical corrections in settled days (what a source system's clean-up does)."""
    grid = conn.execute(select(rollups.rollup_patrol_last.c.grid_code)
                        .order_by(rollups.rollup_patrol_last.c.last_at.desc()).limit(1)).scalar()
    conn.execute(delete(patrol).where(patrol.c.grid_code == grid,
                                      patrol.c.started_at >= rollups._start(h - dt.timedelta(days=5))))
    day = h - dt.timedelta(days=3)
    ids = conn.execute(select(incident.c.id).where(incident.c.reported_at >= rollups._start(day),
                                                   incident.c.reported_at < rollups._start(h))
                       .order_by(incident.c.id).limit(20)).scalars().all()
    target = conn.execute(select(region.c.code, region.c.village_code, region.c.township_code, region.c.county_code)
                          .where(region.c.level == "grid").order_by(region.c.code.desc())).first()
    conn.execute(update(incident).where(incident.c.id.in_(ids[:8])).values(
        grid_code=target[0], village_code=target[1], township_code=target[2], county_code=target[3]))
    for i in ids[8:14]:
        was = conn.execute(select(incident.c.reported_at).where(incident.c.id == i)).scalar()
        conn.execute(update(incident).where(incident.c.id == i).values(reported_at=was - dt.timedelta(days=1)))
    conn.execute(delete(incident).where(incident.c.id.in_(ids[14:])))
    town = conn.execute(select(appeal.c.township_code).where(appeal.c.received_at >= rollups._start(day))
                        .limit(1)).scalar()
    conn.execute(delete(appeal).where(appeal.c.township_code == town, appeal.c.received_at >= rollups._start(day),
                                      appeal.c.received_at < rollups._start(day + dt.timedelta(days=1))))


def run(url: str, days_list: list[int], repeat: int, at: dt.datetime) -> list[str]:
    engine = make_engine(url, statement_timeout_ms=0)
    create_schema(engine)
    backend = engine.dialect.name
    rows = []
    with engine.begin() as conn:
        h = rollups.horizon(conn)
        assert h is not None, "no rollups: seed or rebuild first"
        widest = max(days_list)
        seconds, first = _timed(lambda: rollups.reconcile(conn, at, widest))
        print(f"{backend}: first pass over {widest} days: {seconds:.1f} s {first}", file=sys.stderr, flush=True)
        rows.append(f"| {backend} | first pass (checksums missing: {first.get('days_without_checksums', 0)} days) "
                    f"| {widest} | {seconds:.1f} | {_cells(first)} |")
    for days in days_list:
        with engine.begin() as conn:
            n = _counts(conn, days, h)
        times = []
        for _ in range(repeat):
            with engine.begin() as conn:
                seconds, out = _timed(lambda: rollups.reconcile(conn, at, days))
            assert _cells(out) == "0 / 0 / 0 / 0", out
            times.append(seconds)
        rows.append(f"| {backend} | unchanged, median of {repeat} (rows: {n['incident']:,} incidents, "
                    f"{n['patrol']:,} patrols, {n['appeal']:,} appeals) | {days} | {statistics.median(times):.2f} "
                    f"(min {min(times):.2f}) | 0 / 0 / 0 / 0 |")
        print(rows[-1], file=sys.stderr, flush=True)
        with engine.connect() as conn:
            lo, hi = h - dt.timedelta(days=days), h - dt.timedelta(days=1)
            parts = []
            for kind in rollups.KINDS:
                s, _ = _timed(lambda: rollups._checks(conn, lo, hi, (kind,)))
                parts.append(f"{kind} {s:.2f}")
            rows.append(f"| {backend} | checksum queries alone: {', '.join(parts)} | {days} | "
                        f"{sum(float(p.split()[-1]) for p in parts):.2f} | – |")
        with engine.connect() as conn:
            tx = conn.begin()
            _corrections(conn, h)
            seconds, out = _timed(lambda: rollups.reconcile(conn, at, days))
            tx.rollback()
        rows.append(f"| {backend} | after corrections (rolled back) | {days} | {seconds:.2f} | {_cells(out)} |")
        print(rows[-1], file=sys.stderr, flush=True)
    engine.dispose()
    return rows


def updated_at_cost(url: str, rows: int = 100_000) -> list[str]:
    """Candidate (b), measured on PostgreSQL and rolled back: an `updated_at` column on patrol
    kept by a trigger, an index on it, a tombstone table filled by a DELETE trigger; what that
    costs the writers and what the detection query then costs."""
    engine = make_engine(url, statement_timeout_ms=0)
    out = []
    with engine.connect() as conn:
        tx = conn.begin()
        top = conn.execute(select(func.max(patrol.c.id))).scalar()
        lo_id = top - 4 * rows
        sql = conn.exec_driver_sql

        def upd(a):
            return _timed(lambda: sql(
                f"UPDATE patrol SET distance_m = distance_m + 1 WHERE id > {a} AND id <= {a + rows}"))[0]

        def dele(a):
            return _timed(lambda: sql(f"DELETE FROM patrol WHERE id > {a} AND id <= {a + rows // 2}"))[0]
        plain_upd, plain_del = upd(lo_id), dele(lo_id + rows)
        t_add, _ = _timed(lambda: sql(
            "ALTER TABLE patrol ADD COLUMN updated_at timestamptz NOT NULL DEFAULT '2000-01-01 00:00+00'"))
        t_ix, _ = _timed(lambda: sql("CREATE INDEX ix_patrol_updated_bench ON patrol (updated_at)"))
        sql("CREATE TABLE tombstone_bench (tbl text, id bigint, township_code text, at timestamptz, "
            "deleted_at timestamptz DEFAULT now())")
        sql("CREATE INDEX ix_tombstone_bench ON tombstone_bench (deleted_at)")
        sql("CREATE FUNCTION touch_bench() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.updated_at = clock_timestamp(); RETURN NEW; END $$")
        sql("CREATE FUNCTION bury_bench() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO tombstone_bench (tbl, id, township_code, at) "
            "VALUES (TG_TABLE_NAME, OLD.id, OLD.township_code, OLD.started_at); RETURN OLD; END $$")
        sql("CREATE TRIGGER touch_bench BEFORE UPDATE ON patrol FOR EACH ROW EXECUTE FUNCTION touch_bench()")
        sql("CREATE TRIGGER bury_bench AFTER DELETE ON patrol FOR EACH ROW EXECUTE FUNCTION bury_bench()")
        trig_upd, trig_del = upd(lo_id + 2 * rows), dele(lo_id + 3 * rows)
        t_find, n = _timed(lambda: sql(
            "SELECT count(*) FROM (SELECT township_code, started_at FROM patrol"
            " WHERE updated_at > now() - interval '1 hour' UNION ALL SELECT township_code, at"
            " FROM tombstone_bench WHERE deleted_at > now() - interval '1 hour') x"
        ).scalar())
        tx.rollback()
    engine.dispose()
    out.append(f"| postgresql | (b) UPDATE {rows:,} patrols: plain {plain_upd:.2f} s, with updated_at trigger + index "
               f"{trig_upd:.2f} s; DELETE {rows // 2:,}: plain {plain_del:.2f} s, with tombstone trigger "
               f"{trig_del:.2f} s | – | – | – |")
    out.append(f"| postgresql | (b) one-time: ADD COLUMN {t_add:.2f} s, index on updated_at over all patrols "
               f"{t_ix:.1f} s; detection query afterwards ({n:,} changed rows found) {t_find:.3f} s | – | – | – |")
    return out


def _cells(out: dict) -> str:
    return " / ".join(str(out.get(k, 0)) for k in ("rollup_incident_day", "rollup_appeal_day", "patrol_cells",
                                                    "rollup_patrol_last"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", action="append", required=True)
    ap.add_argument("--days", type=int, action="append")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--now", help="ISO time (default: now)")
    ap.add_argument("--updated-at", metavar="PG_URL", help="also measure candidate (b) on this PostgreSQL database")
    args = ap.parse_args()
    at = parse_instant(args.now) if args.now else clock_now()
    print("| backend | pass | days | seconds | cells re-derived: incident / appeal / patrol cells / grids |")
    print("|---|---|---|---|---|")
    for url in args.db:
        for row in run(url, args.days or [30, 92], args.repeat, at):
            print(row, flush=True)
    if args.updated_at:
        for row in updated_at_cost(args.updated_at):
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
