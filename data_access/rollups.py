"""Rollups: the settled past, summed once, so a city-level view reads hundreds of rows, not millions.

Grains were chosen by measuring the city scale (365 days, 1.7 M incidents,
13.8 M patrols, 1.0 M appeals): township × day is 27,000 rows a year for each
fact table (township × day × category would be 231,000, × source × handling
level 996,000 — as large as the raw rows a week's view reads), and a running
maximum holds the latest valid patrol per grid (6,000 rows). Key persons' latest
visits need none: one backward probe of the (key_person_id, visited_at) index
per person is as cheap as reading a stored maximum.

- rollup_incident_day: per (Asia/Shanghai day, township) incidents reported,
  cleared the same day, and closed that day (any report day);
- rollup_appeal_day: per (day, township) appeals, rated, negative, and the
  satisfaction sum and count;
- rollup_patrol_last: per grid the latest valid patrol start before the horizon.

Every count applies the same rules as the raw queries (the grid must exist with
the same ancestors: `scope.in_region`; bad rows: `quality`), so a rollup answer
equals the raw answer (tests/test_rollups.py compares them).

**Settled days only.** The rollups hold the local days before the *horizon*
(dashboard_meta `rollup.horizon`, the first day not in them); a query takes the
days before min(horizon, today) from the rollups and reads everything after from
the raw rows (today, and any day the catch-up has not settled yet). So an answer
is right whatever the catch-up's timing, and today's numbers are always live.

**Maintenance, never on the hot path.** `catch_up(conn, now)` settles the days
between the horizon and today, and recomputes the (day, township) cells of
back-dated rows: rows whose id is above the watermark kept per table in
dashboard_meta (`rollup.ids`) and whose time falls in a settled day. It also
re-derives the last GRACE_DAYS settled days, so closings written up to that late
are caught. The seed builds everything once at the end; the simulator and the
app's scheduler thread (under a lease, one process at a time) call catch_up.
Contract assumption (docs/deployment.md): source systems do not change a
settled row's time, grid or category, nor write a step time more than GRACE_DAYS
late; `python -m data_access.rollups rebuild` re-derives everything if they do.
"""
from __future__ import annotations

import datetime as dt
import json
import sys

if __name__ == "__main__":  # `python -m data_access.rollups`: use the package's copy (tables defined once)
    from data_access.rollups import _main
    sys.exit(_main())

from sqlalchemy import Column, Float, Index, Integer, String, Table, and_, delete, func, insert, select
from sqlalchemy.engine import Connection

from . import quality
from .schema import UTCDateTime, app_meta, appeal, incident, metadata, patrol, region
from .timeutil import SHANGHAI, local_date, local_day

GRACE_DAYS = 2          # settled days re-derived at each settle (late closings)
HORIZON_KEY = "rollup.horizon"
IDS_KEY = "rollup.ids"
BATCH_DAYS = 31         # days per INSERT … SELECT when building

rollup_incident_day = Table(
    "rollup_incident_day", metadata,
    Column("day", String(10), primary_key=True),
    Column("township_code", String(9), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("reported", Integer, nullable=False, default=0),
    Column("cleared_same_day", Integer, nullable=False, default=0),
    Column("closed", Integer, nullable=False, default=0),
    Index("ix_rollup_incident_day_county", "county_code", "day"),
)

rollup_appeal_day = Table(
    "rollup_appeal_day", metadata,
    Column("day", String(10), primary_key=True),
    Column("township_code", String(9), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("appeals", Integer, nullable=False, default=0),
    Column("rated", Integer, nullable=False, default=0),
    Column("negative", Integer, nullable=False, default=0),
    Column("satisfaction_sum", Float, nullable=False, default=0),
    Column("satisfaction_n", Integer, nullable=False, default=0),
    Index("ix_rollup_appeal_day_county", "county_code", "day"),
)

rollup_patrol_last = Table(
    "rollup_patrol_last", metadata,
    Column("grid_code", String(15), primary_key=True),
    Column("last_at", UTCDateTime, nullable=False),
)

TABLES = (rollup_incident_day, rollup_appeal_day, rollup_patrol_last)
DAY_TABLES = (rollup_incident_day, rollup_appeal_day)


# --- where the rollups end --------------------------------------------------------

def horizon(conn: Connection) -> dt.date | None:
    """The first local day not in the rollups (None: no rollups in this database)."""
    value = conn.execute(select(app_meta.c.value).where(app_meta.c.key == HORIZON_KEY)).scalar()
    return dt.date.fromisoformat(value) if value else None


def settled_until(conn: Connection, now: dt.datetime) -> dt.date | None:
    """Days before this one come from the day rollups for a query at `now` (None: none do)."""
    h = horizon(conn)
    if h is None:
        return None
    return min(h, local_day(now))


def running_max_usable(conn: Connection, now: dt.datetime) -> dt.datetime | None:
    """Start of the horizon day when the running maxima may serve a query at `now` (they hold
    nothing after it), else None (a replay before the horizon reads raw rows)."""
    h = horizon(conn)
    if h is None or h > local_day(now):
        return None
    return _start(h)


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), SHANGHAI).astimezone(dt.timezone.utc)


def _valid_grid(table):
    """The scope's join to the region tree at city level: the grid exists with the same ancestors."""
    g = region.alias("g")
    on = and_(g.c.code == table.c.grid_code, g.c.level == "grid",
              g.c.village_code == table.c.village_code, g.c.township_code == table.c.township_code,
              g.c.county_code == table.c.county_code)
    return table.join(g, on), g


# --- building cells from raw rows -------------------------------------------------

def _day_span(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Contiguous runs of days, each at most BATCH_DAYS long."""
    runs: list[tuple[dt.date, dt.date]] = []
    for d in sorted(set(days)):
        if runs and (d - runs[-1][1]).days == 1 and (d - runs[-1][0]).days < BATCH_DAYS:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def _incident_cells(conn: Connection, lo: dt.date, hi: dt.date, at: dt.datetime) -> dict:
    """{(day, township): [county, reported, cleared_same_day, closed]} for days lo..hi."""
    joined, g = _valid_grid(incident)
    c = incident.c
    start, end = _start(lo), _start(hi + dt.timedelta(days=1))
    ok = quality.incident_ok(at)
    rep_day = local_date(c.reported_at)
    close_day = local_date(c.closed_at)
    cells: dict = {}
    for day, town, county, n, cleared in conn.execute(
            select(rep_day, g.c.township_code, g.c.county_code, func.count(),
                   func.count().filter(and_(c.closed_at.isnot(None), close_day == rep_day)))
            .select_from(joined).where(ok, c.reported_at >= start, c.reported_at < end)
            .group_by(rep_day, g.c.township_code, g.c.county_code)):
        cells[(day, town)] = [county, n, cleared, 0]
    for day, town, county, n in conn.execute(
            select(close_day, g.c.township_code, g.c.county_code, func.count())
            .select_from(joined).where(ok, c.closed_at >= start, c.closed_at < end)
            .group_by(close_day, g.c.township_code, g.c.county_code)):
        cells.setdefault((day, town), [county, 0, 0, 0])[3] = n
    return cells


def _appeal_cells(conn: Connection, lo: dt.date, hi: dt.date, at: dt.datetime) -> dict:
    joined, g = _valid_grid(appeal)
    a = appeal.c
    day = local_date(a.received_at)
    cells = {}
    for d, town, county, n, rated, negative, sat_sum, sat_n in conn.execute(
            select(day, g.c.township_code, g.c.county_code, func.count(),
                   func.count().filter(a.sentiment.isnot(None)), func.count().filter(a.sentiment < 0),
                   func.coalesce(func.sum(a.satisfaction), 0), func.count(a.satisfaction))
            .select_from(joined)
            .where(quality.appeal_ok(at), a.received_at >= _start(lo),
                   a.received_at < _start(hi + dt.timedelta(days=1)))
            .group_by(day, g.c.township_code, g.c.county_code)):
        cells[(d, town)] = [county, n, rated, negative, float(sat_sum or 0), sat_n]
    return cells


def _write_days(conn: Connection, days: list[dt.date], at: dt.datetime) -> None:
    """Replace the day cells of `days` with what the raw rows say."""
    for lo, hi in _day_span(days):
        names = [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]
        for table in DAY_TABLES:
            conn.execute(delete(table).where(table.c.day.in_(names)))
        inc = _incident_cells(conn, lo, hi, at)
        if inc:
            conn.execute(insert(rollup_incident_day), [
                {"day": d, "township_code": t, "county_code": v[0], "reported": v[1],
                 "cleared_same_day": v[2], "closed": v[3]} for (d, t), v in inc.items()])
        app = _appeal_cells(conn, lo, hi, at)
        if app:
            conn.execute(insert(rollup_appeal_day), [
                {"day": d, "township_code": t, "county_code": v[0], "appeals": v[1], "rated": v[2],
                 "negative": v[3], "satisfaction_sum": v[4], "satisfaction_n": v[5]} for (d, t), v in app.items()])


def _raise_max(conn: Connection, table, key: str, found: dict) -> None:
    """Running maximum: keep the later of the stored and the found time per key."""
    if not found:
        return
    keys = list(found)
    have = {}
    for i in range(0, len(keys), 500):
        part = keys[i:i + 500]
        have.update(conn.execute(select(table.c[key], table.c.last_at).where(table.c[key].in_(part))).all())
    new = [{key: k, "last_at": v} for k, v in found.items() if k not in have]
    later = [(k, v) for k, v in found.items() if k in have and v > have[k]]
    if new:
        conn.execute(insert(table), new)
    for i in range(0, len(later), 500):
        part = later[i:i + 500]
        conn.execute(delete(table).where(table.c[key].in_([k for k, _ in part])))
        conn.execute(insert(table), [{key: k, "last_at": v} for k, v in part])


def _raise_last(conn: Connection, lo: dt.datetime, hi: dt.datetime, at: dt.datetime) -> None:
    """Fold valid patrols with lo <= time < hi into the running maximum per grid."""
    joined, g = _valid_grid(patrol)
    found = dict(conn.execute(
        select(patrol.c.grid_code, func.max(patrol.c.started_at)).select_from(joined)
        .where(quality.patrol_ok(at), patrol.c.started_at >= lo, patrol.c.started_at < hi)
        .group_by(patrol.c.grid_code)).all())
    _raise_max(conn, rollup_patrol_last, "grid_code", {k: v for k, v in found.items() if v is not None})


# --- bookkeeping --------------------------------------------------------------------

def _max_ids(conn: Connection) -> dict[str, int]:
    return {t.name: conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar()
            for t in (incident, patrol, appeal)}


def _put_meta(conn: Connection, values: dict[str, str], at: dt.datetime) -> None:
    for key, value in values.items():
        conn.execute(delete(app_meta).where(app_meta.c.key == key))
        conn.execute(insert(app_meta).values(key=key, value=value, updated_at=at))


def _first_day(conn: Connection) -> dt.date | None:
    first = [conn.execute(select(func.min(col))).scalar()
             for col in (incident.c.reported_at, incident.c.closed_at, appeal.c.received_at)]
    first = [f for f in first if f is not None]
    return local_day(min(first)) if first else None


def rebuild(conn: Connection, now: dt.datetime) -> dict:
    """Derive every rollup from the raw rows (seed time, or an operator's repair; not a request)."""
    today = local_day(now)
    ids = _max_ids(conn)
    for table in TABLES:
        conn.execute(delete(table))
    first = _first_day(conn)
    days = [] if first is None else [first + dt.timedelta(days=i) for i in range((today - first).days)]
    _write_days(conn, days, now)
    _raise_last(conn, _start(dt.date(1970, 1, 1)), _start(today), now)
    _put_meta(conn, {HORIZON_KEY: today.isoformat(), IDS_KEY: json.dumps(ids)}, now)
    for table in TABLES:  # planner statistics: without them PostgreSQL takes the rollups for empty
        conn.exec_driver_sql(f"ANALYZE {table.name}")
    return {"days": len(days), "horizon": today.isoformat()}


def _back_dated(conn: Connection, seen: dict, ids: dict, settled_start: dt.datetime) -> set[dt.date]:
    """Settled days touched by rows that arrived since the watermark."""
    days: set[dt.date] = set()
    for table, cols in ((incident, (incident.c.reported_at, incident.c.closed_at)),
                        (appeal, (appeal.c.received_at,)), (patrol, (patrol.c.started_at,))):
        for col in cols:
            for (d,) in conn.execute(select(local_date(col)).distinct()
                                     .where(table.c.id > seen.get(table.name, 0), table.c.id <= ids[table.name],
                                            col < settled_start)):
                if d:
                    days.add(dt.date.fromisoformat(d))
    return days


def redo_days(conn: Connection, days, now: dt.datetime) -> None:
    """Settled days whose raw rows changed in place (a backfill of labels): recompute them."""
    h = horizon(conn)
    days = sorted(d for d in set(days) if h is not None and d < h)
    if days:
        _write_days(conn, days, now)


def catch_up(conn: Connection, now: dt.datetime, build_missing: bool = True) -> dict:
    """Settle the days up to today and fold in back-dated rows; run inside a transaction.
    A database without rollups gets them built (when `build_missing`; else it stays raw)."""
    h = horizon(conn)
    if h is None:
        return {"rebuilt": True, **rebuild(conn, now)} if build_missing else {"rebuilt": False}
    today = local_day(now)
    raw = conn.execute(select(app_meta.c.value).where(app_meta.c.key == IDS_KEY)).scalar()
    seen = json.loads(raw) if raw else {}
    ids = _max_ids(conn)
    back = _back_dated(conn, seen, ids, _start(h))
    settle = [h + dt.timedelta(days=i) for i in range((today - h).days)]
    grace = [h - dt.timedelta(days=i) for i in range(1, GRACE_DAYS + 1)] if settle else []
    days = sorted(set(back) | set(settle) | set(grace))
    if days:
        _write_days(conn, days, now)
    # Running maxima: rows of the newly settled days, and back-dated ones (a max only grows).
    if settle:
        _raise_last(conn, _start(h), _start(today), now)
    for d in sorted(back):
        _raise_last(conn, _start(d), _start(d + dt.timedelta(days=1)), now)
    new_h = max(h, today)
    if days or ids != seen or new_h != h:
        _put_meta(conn, {HORIZON_KEY: new_h.isoformat(), IDS_KEY: json.dumps(ids)}, now)
    return {"settled": [d.isoformat() for d in settle], "back_dated": sorted(d.isoformat() for d in back),
            "horizon": new_h.isoformat()}


def catch_up_engine(engine, now: dt.datetime, holder: str, seconds: float) -> dict | None:
    """One catch-up pass under the 'rollups' lease (None when another process holds it)."""
    from . import lease
    with engine.begin() as conn:  # a short transaction: others must not wait on the lease row
        if not lease.try_take(conn, "rollups", holder, now, seconds):
            return None
    with engine.begin() as conn:
        return catch_up(conn, now)


# --- reading ------------------------------------------------------------------------

def day_sums(conn: Connection, table, level: str, code: str, first: dt.date, until: dt.date,
             columns: list[str], by: str | None = None, per_day: bool = False) -> dict:
    """Sums of `columns` over days first <= day < until for a city/county/township subtree,
    keyed by `by` (county_code / township_code) or by day when `per_day`, else by ''."""
    if until <= first:
        return {}
    where = [table.c.day >= first.isoformat(), table.c.day < until.isoformat()]
    if level == "county":
        where.append(table.c.county_code == code)
    elif level == "township":
        where.append(table.c.township_code == code)
    elif level != "city":
        raise ValueError(f"no day rollup below township ({level})")
    key = table.c.day if per_day else (table.c[by] if by else None)
    cols = [func.sum(table.c[c]).label(c) for c in columns]
    stmt = select(*([key.label("k")] if key is not None else []), *cols).where(*where)
    if key is not None:
        stmt = stmt.group_by(key)
    out = {}
    for row in conn.execute(stmt):
        m = dict(row._mapping)
        k = m.pop("k", "")
        out[k] = {c: (m[c] or 0) for c in columns}
    return out


def _main() -> int:
    """`python -m data_access.rollups catch-up|rebuild --db URL [--now ISO]`."""
    import argparse

    from .engine import create_schema, make_engine
    from .timeutil import now as clock_now
    from .timeutil import parse_instant
    ap = argparse.ArgumentParser(description="Settle or rebuild the rollups.")
    ap.add_argument("action", choices=("catch-up", "rebuild"))
    ap.add_argument("--db")
    ap.add_argument("--now", help="ISO time (default: now)")
    args = ap.parse_args()
    engine = make_engine(args.db, statement_timeout_ms=0)
    create_schema(engine)
    at = parse_instant(args.now) if args.now else clock_now()
    with engine.begin() as conn:
        print((rebuild if args.action == "rebuild" else catch_up)(conn, at))
    return 0

