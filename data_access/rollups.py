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

**Corrections and deletions: the reconciler.** Whenever a day cell is derived, a
checksum of its raw rows is stored beside it (rollup_check: per kind — incidents by
report day, incidents by closing day, appeals, patrols — and per settled (day,
township of the row itself): rows, sum of ids, sum of a per-row hash of every column a
rollup reads: id, times, the four location codes, sentiment and satisfaction, the
duplicate mark). `reconcile(conn, now, days)` recomputes those checksums for the last
`days` settled days (one grouped scan per kind, no join) and re-derives only the cells
whose checksum differs — an UPDATE of a settled row's time, grid or closing, a DELETE,
a back-dated INSERT; a moved row changes two cells and both differ — and the latest
patrol of every grid of a township whose patrols differ (a deletion lowers that
maximum, which catch_up cannot). Checksums are taken before the cells, so a row changed
in between shows as a mismatch next time. The scheduler runs it every
ROLLUPS_RECONCILE_SECONDS (the same lease); `python -m data_access.rollups reconcile
--db URL [--days N]` runs it once. Chosen by measurement over an `updated_at` column
with tombstones (benchmarks/RESULTS.md): it needs no column, trigger or privilege on
the shared tables and sees deletes and moves by construction.

Contract (docs/schema.md, docs/deployment.md): source systems may update and delete
settled rows; the figures follow within one reconcile period for rows in the last
RECONCILE_DAYS settled days (older ones: `reconcile --days N` or `rebuild`). Still
assumed: the region tree does not change under settled rows (a grid removed or
re-parented needs `rebuild`); the category, title and text are not in any rollup (views
read them from the raw rows, so a re-categorisation is live at once).
"""
from __future__ import annotations

import datetime as dt
import json
import sys

if __name__ == "__main__":  # `python -m data_access.rollups`: use the package's copy (tables defined once)
    from data_access.rollups import _main
    sys.exit(_main())

from sqlalchemy import (BigInteger, Column, Float, Index, Integer, String, Table, and_, case, cast, delete, exists,
                        func, insert, not_, select)
from sqlalchemy.engine import Connection

from . import lease, quality
from .schema import UTCDateTime, app_meta, appeal, incident, incident_case, metadata, patrol, region
from .timeutil import SHANGHAI, local_date, local_day, wall_clock

GRACE_DAYS = 2          # settled days re-derived at each settle (late closings)
HORIZON_KEY = "rollup.horizon"
IDS_KEY = "rollup.ids"
BATCH_DAYS = 31         # days per INSERT … SELECT when building
RECONCILE_DAYS = 92     # settled days a reconcile pass compares by default (the 12 briefing weeks and more)
RECONCILED_KEY = "rollup.reconciled_at"

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

# The reconciler's per-cell checksums of the raw rows (see reconcile()): for each kind of cell
# and settled (day, township) the rows counted, the sum of their ids and the sum of a hash of
# the columns the rollups read. Keyed by the raw row's own township_code (bad rows included).
rollup_check = Table(
    "rollup_check", metadata,
    Column("kind", String(16), primary_key=True),  # incident / incident_closed / appeal / patrol
    Column("day", String(10), primary_key=True),
    Column("township_code", String(), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("id_sum", BigInteger, nullable=False),
    Column("hash_sum", BigInteger, nullable=False),
)

TABLES = (rollup_incident_day, rollup_appeal_day, rollup_patrol_last, rollup_check)
DAY_TABLES = (rollup_incident_day, rollup_appeal_day)
KINDS = ("incident", "incident_closed", "appeal", "patrol")
DAY_KINDS = ("incident", "incident_closed", "appeal")  # re-derived with the day cells


# --- which reports count as events (一事一码, data_access/cases.py) ---------------------------

def secondary_report(inc=incident):
    """SQL: the report `inc` (the incident table or an alias) belongs to a case whose primary is
    another report, so it is not counted as an event of its own."""
    ic = incident_case.c
    return exists().where(ic.incident_id == inc.c.id, ic.primary_id != inc.c.id)


def counts_as_event(inc=incident):
    """SQL: the report `inc` is its case's primary report (or in no case): count it where the
    question is "how many events"; every report counts where it is "how many reports"."""
    return not_(secondary_report(inc))


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


def _incident_cells(conn: Connection, lo: dt.date, hi: dt.date, at: dt.datetime, towns=None) -> dict:
    """{(day, township): [county, reported, cleared_same_day, closed]} for days lo..hi
    (only townships `towns` when given)."""
    joined, g = _valid_grid(incident)
    c = incident.c
    start, end = _start(lo), _start(hi + dt.timedelta(days=1))
    ok = and_(quality.incident_ok(at), counts_as_event())  # events: a case's other reports are not
    if towns is not None:
        ok = and_(ok, g.c.township_code.in_(sorted(towns)))
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


def _appeal_cells(conn: Connection, lo: dt.date, hi: dt.date, at: dt.datetime, towns=None) -> dict:
    joined, g = _valid_grid(appeal)
    a = appeal.c
    day = local_date(a.received_at)
    ok = quality.appeal_ok(at)
    if towns is not None:
        ok = and_(ok, g.c.township_code.in_(sorted(towns)))
    cells = {}
    for d, town, county, n, rated, negative, sat_sum, sat_n in conn.execute(
            select(day, g.c.township_code, g.c.county_code, func.count(),
                   func.count().filter(a.sentiment.isnot(None)), func.count().filter(a.sentiment < 0),
                   func.coalesce(func.sum(a.satisfaction), 0), func.count(a.satisfaction))
            .select_from(joined)
            .where(ok, a.received_at >= _start(lo),
                   a.received_at < _start(hi + dt.timedelta(days=1)))
            .group_by(day, g.c.township_code, g.c.county_code)):
        cells[(d, town)] = [county, n, rated, negative, float(sat_sum or 0), sat_n]
    return cells


def _insert_incident_cells(conn: Connection, inc: dict) -> None:
    if inc:
        conn.execute(insert(rollup_incident_day), [
            {"day": d, "township_code": t, "county_code": v[0], "reported": v[1],
             "cleared_same_day": v[2], "closed": v[3]} for (d, t), v in inc.items()])


def _insert_appeal_cells(conn: Connection, app: dict) -> None:
    if app:
        conn.execute(insert(rollup_appeal_day), [
            {"day": d, "township_code": t, "county_code": v[0], "appeals": v[1], "rated": v[2],
             "negative": v[3], "satisfaction_sum": v[4], "satisfaction_n": v[5]} for (d, t), v in app.items()])


def _write_days(conn: Connection, days: list[dt.date], at: dt.datetime) -> None:
    """Replace the day cells of `days` with what the raw rows say, with their checksums
    (taken first: a row changed in between makes the next reconcile see a mismatch)."""
    for lo, hi in _day_span(days):
        _store_checks(conn, lo, hi, DAY_KINDS)
        names = [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]
        for table in DAY_TABLES:
            conn.execute(delete(table).where(table.c.day.in_(names)))
        _insert_incident_cells(conn, _incident_cells(conn, lo, hi, at))
        _insert_appeal_cells(conn, _appeal_cells(conn, lo, hi, at))


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


# --- per-cell checksums (the reconciler) ----------------------------------------------------

_P = 2147483647  # 2**31 - 1: every row hash is below it, so a cell's sum stays far inside 64 bits
_K = 1000003


def _mix(parts):
    """A polynomial hash of non-negative integer SQL expressions (NULL counts as 0), below _P."""
    acc = None
    for part in parts:
        term = func.coalesce(cast(part, BigInteger), 0) % _P  # 64-bit arithmetic on PostgreSQL too
        acc = term if acc is None else (acc * _K + term) % _P
    return acc


def _epoch(col, dialect: str):
    if dialect == "sqlite":
        return func.unixepoch(col)  # SQLite >= 3.38; text 'YYYY-MM-DD HH:MM:SS' UTC
    return cast(func.extract("epoch", col), BigInteger)


def _codes(table, dialect: str):
    """A number for the four location codes of a row (their correction must change the hash)."""
    cols = [table.c.grid_code, table.c.village_code, table.c.township_code, table.c.county_code]
    if dialect == "sqlite":  # division codes are digits: CAST is exact for them and never fails
        return _mix([cast(c, BigInteger) for c in cols] + [func.length(cols[0])])
    # PostgreSQL's CAST fails on a non-numeric code (a bad row): hash the text instead.
    return cast(func.hashtext(func.concat_ws("|", *[func.coalesce(c, "") for c in cols])), BigInteger) + 2147483648


def _check_specs(dialect: str) -> dict:
    """kind -> (table, the time that puts a row in a day, per-row hash). The hash covers every
    column a rollup reads (ids, times, location codes, the values summed, the duplicate mark);
    not the category, title or text, which no rollup holds (views read them from the raw rows)."""
    i, a, p = incident.c, appeal.c, patrol.c
    d = incident.alias("dup_check")
    duplicate = case((exists().where(d.c.source == i.source, d.c.source_ref == i.source_ref, d.c.id < i.id), 1),
                     else_=2)
    inc = _mix([i.id, _epoch(i.reported_at, dialect), _epoch(i.closed_at, dialect), _codes(incident, dialect),
                duplicate])
    # A report that is not its case's primary hashes differently, so a split or join shows as a
    # mismatch; an unlinked report hashes as before (stored checksums stay valid).
    inc = case((secondary_report(incident), (inc * _K + 7) % _P), else_=inc)
    app = _mix([a.id, _epoch(a.received_at, dialect), _epoch(a.resolved_at, dialect),
                cast(func.round((a.sentiment + 2) * 1000000), BigInteger), a.satisfaction + 1,
                _codes(appeal, dialect)])
    pat = _mix([p.id, _epoch(p.started_at, dialect), _epoch(p.ended_at, dialect), _codes(patrol, dialect)])
    return {"incident": (incident, i.reported_at, inc), "incident_closed": (incident, i.closed_at, inc),
            "appeal": (appeal, a.received_at, app), "patrol": (patrol, p.started_at, pat)}


def _checks(conn: Connection, lo: dt.date, hi: dt.date, kinds=KINDS) -> dict:
    """{(kind, day, township): (rows, id sum, hash sum)} of the raw rows of days lo..hi."""
    specs = _check_specs(conn.dialect.name)
    out = {}
    for kind in kinds:
        table, col, h = specs[kind]
        day = local_date(col)
        for d, town, n, ids, hashes in conn.execute(
                select(day, table.c.township_code, func.count(), func.sum(table.c.id), func.sum(h))
                .where(col >= _start(lo), col < _start(hi + dt.timedelta(days=1)), table.c.township_code.isnot(None))
                .group_by(day, table.c.township_code)):
            out[(kind, d, town)] = (int(n), int(ids or 0), int(hashes or 0))
    return out


def _stored_checks(conn: Connection, lo: dt.date, hi: dt.date) -> dict:
    c = rollup_check.c
    return {(k, d, t): (n, ids, h) for k, d, t, n, ids, h in conn.execute(
        select(c.kind, c.day, c.township_code, c.n, c.id_sum, c.hash_sum)
        .where(c.day >= lo.isoformat(), c.day <= hi.isoformat()))}


def _insert_checks(conn: Connection, found: dict) -> None:
    rows = [{"kind": k, "day": d, "township_code": t, "n": v[0], "id_sum": v[1], "hash_sum": v[2]}
            for (k, d, t), v in found.items()]
    for i in range(0, len(rows), 5000):
        conn.execute(insert(rollup_check), rows[i:i + 5000])


def _store_checks(conn: Connection, lo: dt.date, hi: dt.date, kinds) -> None:
    """Replace the stored checksums of `kinds` for days lo..hi with the raw rows' ones."""
    found = _checks(conn, lo, hi, kinds)
    conn.execute(delete(rollup_check).where(rollup_check.c.kind.in_(list(kinds)),
                                            rollup_check.c.day >= lo.isoformat(),
                                            rollup_check.c.day <= hi.isoformat()))
    _insert_checks(conn, found)


def ensure_tables(conn: Connection) -> None:
    """The checksum table on a database whose rollups an older version built (no create_schema
    ran yet): created empty; the first reconcile then re-derives its window once."""
    rollup_check.create(conn, checkfirst=True)


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
             for col in (incident.c.reported_at, incident.c.closed_at, appeal.c.received_at, patrol.c.started_at)]
    first = [f for f in first if f is not None]
    return local_day(min(first)) if first else None


def rebuild(conn: Connection, now: dt.datetime) -> dict:
    """Derive every rollup from the raw rows (seed time, or an operator's repair; not a request)."""
    today = local_day(now)
    ensure_tables(conn)
    ids = _max_ids(conn)
    for table in TABLES:
        conn.execute(delete(table))
    first = _first_day(conn)
    days = [] if first is None else [first + dt.timedelta(days=i) for i in range((today - first).days)]
    _write_days(conn, days, now)
    for lo, hi in _day_span(days):
        _store_checks(conn, lo, hi, ("patrol",))
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
        ensure_tables(conn)
        _write_days(conn, days, now)


def redo_incidents(conn: Connection, ids, now: dt.datetime) -> int:
    """Reports whose event flag changed (a case linked, split or joined): re-derive the settled
    (day, township) cells of their report and closing days, and those cells' checksums.
    Returns the cells re-derived."""
    h = horizon(conn)
    ids = sorted(set(ids))
    if h is None or not ids:
        return 0
    ensure_tables(conn)
    last = h.isoformat()
    cells: set = set()
    for i in range(0, len(ids), 500):
        for rep, closed, town in conn.execute(
                select(local_date(incident.c.reported_at), local_date(incident.c.closed_at), incident.c.township_code)
                .where(incident.c.id.in_(ids[i:i + 500]))):
            cells |= {(d, town) for d in (rep, closed) if d and town and d < last}
    if not cells:
        return 0
    _redo_cells(conn, cells, set(), now)
    by_day = _cells_by_day(cells)
    days = [dt.date.fromisoformat(d) for d in by_day]
    for lo, hi in _day_span(days):
        found = _checks(conn, lo, hi, ("incident", "incident_closed"))
        keep = {}
        for (kind, d, t), v in found.items():
            if t in by_day.get(d, ()):
                keep[(kind, d, t)] = v
        for d in by_day:
            if lo.isoformat() <= d <= hi.isoformat():
                conn.execute(delete(rollup_check).where(rollup_check.c.kind.in_(["incident", "incident_closed"]),
                                                        rollup_check.c.day == d,
                                                        rollup_check.c.township_code.in_(sorted(by_day[d]))))
        _insert_checks(conn, keep)
    return len(cells)


def catch_up(conn: Connection, now: dt.datetime, build_missing: bool = True) -> dict:
    """Settle the days up to today and fold in back-dated rows; run inside a transaction.
    A database without rollups gets them built (when `build_missing`; else it stays raw)."""
    h = horizon(conn)
    if h is None:
        return {"rebuilt": True, **rebuild(conn, now)} if build_missing else {"rebuilt": False}
    ensure_tables(conn)
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
    # Patrol checksums only for the newly settled days: the re-derived grace and back-dated days
    # only raise the maximum, so a deletion in them must still show as a mismatch.
    for lo, hi in _day_span(settle):
        _store_checks(conn, lo, hi, ("patrol",))
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
    with engine.begin() as conn:  # a short transaction: others must not wait on the lease row
        if not lease.try_take(conn, "rollups", holder, now, seconds):
            return None
    with engine.begin() as conn:
        return catch_up(conn, now)


# --- the reconciler: corrections and deletions in settled days -------------------------------

def _cells_by_day(cells) -> dict:
    out: dict = {}
    for d, t in cells:
        out.setdefault(d, set()).add(t)
    return out


def _redo_cells(conn: Connection, inc_cells: set, app_cells: set, at: dt.datetime) -> None:
    """Re-derive exactly these (day, township) cells of the day rollups from the raw rows."""
    for table, cells, build, put in ((rollup_incident_day, inc_cells, _incident_cells, _insert_incident_cells),
                                     (rollup_appeal_day, app_cells, _appeal_cells, _insert_appeal_cells)):
        by_day = _cells_by_day(cells)
        for lo, hi in _day_span([dt.date.fromisoformat(d) for d in by_day]):
            names = [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]
            towns = set().union(*(by_day.get(n, set()) for n in names))
            found = build(conn, lo, hi, at, towns)
            for name in names:
                if name in by_day:
                    conn.execute(delete(table).where(table.c.day == name,
                                                     table.c.township_code.in_(sorted(by_day[name]))))
            put(conn, {k: v for k, v in found.items() if k[1] in by_day.get(k[0], ())})


def _redo_last(conn: Connection, towns: set, lo: dt.date, h: dt.date, at: dt.datetime) -> int:
    """Re-derive the latest valid patrol before the horizon of every grid of `towns` (a patrol
    deleted or moved lowers it, which the running maximum cannot do). Reads the window's days
    first and the older history only for the grids without a patrol in them."""
    grids = list(conn.execute(select(region.c.code).where(region.c.level == "grid",
                                                          region.c.township_code.in_(sorted(towns)))).scalars())
    joined, g = _valid_grid(patrol)
    base = (select(patrol.c.grid_code, func.max(patrol.c.started_at)).select_from(joined)
            .where(quality.patrol_ok(at)).group_by(patrol.c.grid_code))
    found = dict(conn.execute(base.where(g.c.township_code.in_(sorted(towns)),
                                         patrol.c.started_at >= _start(lo), patrol.c.started_at < _start(h))).all())
    older = [code for code in grids if found.get(code) is None]
    for i in range(0, len(older), 500):
        found.update(conn.execute(base.where(patrol.c.grid_code.in_(older[i:i + 500]),
                                             patrol.c.started_at < _start(lo))).all())
    for i in range(0, len(grids), 500):
        conn.execute(delete(rollup_patrol_last).where(rollup_patrol_last.c.grid_code.in_(grids[i:i + 500])))
    rows = [{"grid_code": k, "last_at": v} for k, v in found.items() if v is not None]
    for i in range(0, len(rows), 5000):
        conn.execute(insert(rollup_patrol_last), rows[i:i + 5000])
    return len(grids)


def reconcile(conn: Connection, now: dt.datetime, days: int | None = None) -> dict:
    """Find the settled (day, township) cells of the last `days` settled days whose raw rows no
    longer match the checksum stored when the cell was derived (a row updated, moved, deleted or
    back-dated), and re-derive only those; run inside a transaction. A moved row changes two
    cells (old and new), and both mismatch. Returns the counts of what it re-derived."""
    h = horizon(conn)
    if h is None:
        return {"rollups": False}
    ensure_tables(conn)
    days = RECONCILE_DAYS if days is None else days
    lo, hi = h - dt.timedelta(days=max(days, 0)), h - dt.timedelta(days=1)
    out = {"from": lo.isoformat(), "until": h.isoformat(), "rollup_incident_day": 0, "rollup_appeal_day": 0,
           "patrol_cells": 0, "rollup_patrol_last": 0}
    if days <= 0:
        return out
    actual = _checks(conn, lo, hi)  # checksums first, then the cells (see _write_days)
    stored = _stored_checks(conn, lo, hi)
    zero = (0, 0, 0)
    bad = {k for k in actual.keys() | stored.keys() if actual.get(k, zero) != stored.get(k, zero)}
    # Days with no stored checksum at all (rollups an older version built): a cell whose rows
    # were all deleted would have neither checksum, so such days are re-derived whole, once.
    held = set()
    for table in DAY_TABLES:
        held.update(conn.execute(select(table.c.day).distinct()
                                 .where(table.c.day >= lo.isoformat(), table.c.day <= hi.isoformat())).scalars())
    unchecked = sorted(({d for _, d, _ in actual} | held) - {d for _, d, _ in stored})
    if not bad and not unchecked:
        return out
    inc = {(d, t) for k, d, t in bad if k in ("incident", "incident_closed")}
    app = {(d, t) for k, d, t in bad if k == "appeal"}
    pat = {(d, t) for k, d, t in bad if k == "patrol"}
    if unchecked:
        _write_days(conn, [dt.date.fromisoformat(d) for d in unchecked], now)  # cells and their checksums
        out["days_without_checksums"] = len(unchecked)
        whole = set(unchecked)
        out["rollup_incident_day"] = len({(d, t) for d, t in inc if d in whole})
        out["rollup_appeal_day"] = len({(d, t) for d, t in app if d in whole})
        inc = {c for c in inc if c[0] not in whole}
        app = {c for c in app if c[0] not in whole}
    _redo_cells(conn, inc, app, now)
    if pat:
        out["rollup_patrol_last"] = _redo_last(conn, {t for _, t in pat}, lo, h, now)
    # The re-derived cells' checksums: every kind that feeds them.
    redo = {(k, d, t) for d, t in inc for k in ("incident", "incident_closed")} | \
        {("appeal", d, t) for d, t in app} | {("patrol", d, t) for d, t in pat}
    for kind in KINDS:
        by_day = _cells_by_day((d, t) for k, d, t in redo if k == kind)
        for day, towns in by_day.items():
            conn.execute(delete(rollup_check).where(rollup_check.c.kind == kind, rollup_check.c.day == day,
                                                    rollup_check.c.township_code.in_(sorted(towns))))
    _insert_checks(conn, {k: actual[k] for k in redo if k in actual})
    out["rollup_incident_day"] += len(inc)
    out["rollup_appeal_day"] += len(app)
    out["patrol_cells"] = len(pat)
    return out


def reconcile_due(conn: Connection, every: float, wall: dt.datetime) -> bool:
    """True when no reconcile pass has run in the last `every` seconds (real time, any process)."""
    last = conn.execute(select(app_meta.c.value).where(app_meta.c.key == RECONCILED_KEY)).scalar()
    try:
        return last is None or (wall - dt.datetime.fromisoformat(last)).total_seconds() >= every
    except ValueError:
        return True


def reconcile_engine(engine, now: dt.datetime, holder: str, seconds: float, every: float = 0,
                     days: int | None = None) -> dict | None:
    """One reconcile pass under the 'rollups' lease (None when another process holds it), when
    the last pass by any process is at least `every` seconds old ({"due": False} otherwise)."""
    with engine.begin() as conn:
        if not lease.try_take(conn, "rollups", holder, now, seconds):
            return None
        if every > 0 and not reconcile_due(conn, every, wall_clock()):
            return {"due": False}
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # maintenance, not a request: the app's 15 s limit is not for it
            conn.exec_driver_sql("SET LOCAL statement_timeout = '10min'")
        out = reconcile(conn, now, days)
        _put_meta(conn, {RECONCILED_KEY: wall_clock().isoformat()}, now)
        return out


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
    """`python -m data_access.rollups catch-up|rebuild|reconcile --db URL [--now ISO] [--days N]`."""
    import argparse

    from .engine import create_schema, make_engine
    from .timeutil import now as clock_now
    from .timeutil import parse_instant
    ap = argparse.ArgumentParser(description="Settle, reconcile or rebuild the rollups.")
    ap.add_argument("action", choices=("catch-up", "rebuild", "reconcile"))
    ap.add_argument("--db")
    ap.add_argument("--now", help="ISO time (default: now)")
    ap.add_argument("--days", type=int, default=RECONCILE_DAYS,
                    help=f"reconcile: settled days to compare (default {RECONCILE_DAYS})")
    args = ap.parse_args()
    engine = make_engine(args.db, statement_timeout_ms=0)
    create_schema(engine)
    at = parse_instant(args.now) if args.now else clock_now()
    with engine.begin() as conn:
        if args.action == "reconcile":
            print(reconcile(conn, at, args.days))
        else:
            print((rebuild if args.action == "rebuild" else catch_up)(conn, at))
    return 0

