"""Reading the warning rules over many past moments cheaply (the demo seed's replay of its
history, dashboard/demo/warning_history.py), without changing what they find.

At a past moment most of a fact table lies in that moment's future. The rules filter those rows
out (rows after `now` do not exist yet), but still pay for them: `rule_major` and `rule_overdue`
list every incident closed after `now`, which at a moment two months back is nearly the whole
table (≈0.25 s per call at the demo scale instead of ≈0.01 s at the live moment), and
`rule_repeat` groups thirty days of appeals (≈0.2 s) to find the few citizens who wrote three
times. Called hourly over 90 days that is most of an hour.

Two exact shortcuts, both for the replay only:

- `narrowed`: a connection on which a fact table's name means a temporary copy holding only the
  rows a rule can ever select — every incident that could be 重大, every incident closed after
  its deadline (or never), every appeal of a citizen who wrote three times on one topic — plus
  every row sharing a (source, source_ref) with another, so the duplicate filter sees the same
  pairs. The rule itself (`warnings.candidates`) runs on it unchanged: the same SQL, reasons,
  levels and quality filters over a few thousand rows. Temporary tables shadow the shared ones
  of the same name on SQLite and PostgreSQL alike, and only on that connection.
- `surge_rows` / `emergency_rows`: the few columns a cheap necessary condition needs, read once,
  so the replay calls the surge rule only at the moments one township×category could fire —
  then on a copy holding only those cells' rows (`surge_rows_of`, `refill`) — and the
  emergency rule only when a switch starts or stops being fresh.

Which rows each rule can select is written here from the rules' definitions (docs/warnings.md);
`replay(..., check=True)` compares every shortcut with the plain rule at every step
(tests/test_demo_believable.py), so a rule that changes what it reads fails there, not silently.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from sqlalchemy import Column, Index, MetaData, Table, and_, delete, func, insert, inspect, or_, select, text
from sqlalchemy.engine import Connection, Engine

from . import quality
from .schema import appeal, grid_state, incident, region, visit
from .scope import in_region, lookup
from .warning_rules import WarningConfig


def _shared_keys(table):
    """(source, source_ref) pairs held by more than one row: the duplicate filter's pairs."""
    return (select(table.c.source, table.c.source_ref).where(table.c.source_ref.isnot(None))
            .group_by(table.c.source, table.c.source_ref).having(func.count() > 1).subquery())


def shared_rows(conn: Connection) -> list:
    """Every incident sharing a (source, source_ref) with another row (a few hundred)."""
    keys = _shared_keys(incident)
    return conn.execute(select(incident).select_from(incident.join(
        keys, and_(incident.c.source == keys.c.source, incident.c.source_ref == keys.c.source_ref)))).all()


def _with_duplicates(conn: Connection, rows: list, shared: list | None = None) -> list:
    """`rows` and every incident sharing a (source, source_ref) with another row, once each."""
    seen: dict = {}
    for row in [*rows, *(shared_rows(conn) if shared is None else shared)]:
        seen.setdefault(row.id, row)
    return list(seen.values())


def major_rows(conn: Connection, cfg: WarningConfig) -> list:
    """Incidents `rule_major` can ever select: severe enough or of a major category."""
    rows = conn.execute(select(incident).where(or_(incident.c.severity >= cfg.major_severity,
                                                   incident.c.category.in_(cfg.major_categories)))).all()
    return _with_duplicates(conn, rows)


def overdue_rows(conn: Connection, cfg: WarningConfig) -> list:
    """Incidents `rule_overdue` can ever select: open at some moment at least least/4 hours
    past their deadline, i.e. never closed or closed that long after it."""
    least = dt.timedelta(hours=min(t for _, t in cfg.overdue_levels) / 4)
    rows = conn.execute(select(incident).where(
        incident.c.sla_due_at.isnot(None),
        or_(incident.c.closed_at.is_(None), incident.c.closed_at > incident.c.sla_due_at))).all()
    return _with_duplicates(conn, [r for r in rows if r.closed_at is None or r.closed_at - r.sla_due_at > least])


def repeat_rows(conn: Connection, cfg: WarningConfig) -> list:
    """Appeals `rule_repeat` can ever count: those of a (citizen, topic) written at least
    repeat_min_count times in all (the rule needs that many within its window)."""
    pairs = (select(appeal.c.citizen_hash, appeal.c.topic)
             .where(appeal.c.citizen_hash.isnot(None), appeal.c.topic.isnot(None))
             .group_by(appeal.c.citizen_hash, appeal.c.topic)
             .having(func.count() >= cfg.repeat_min_count).subquery())
    return conn.execute(select(appeal).select_from(appeal.join(
        pairs, and_(appeal.c.citizen_hash == pairs.c.citizen_hash, appeal.c.topic == pairs.c.topic)))).all()


def surge_rows_of(conn: Connection, cells, start: dt.datetime, end: dt.datetime, shared: list) -> list:
    """The incidents `rule_surge` counts for the (township, category) `cells` in [start, end],
    with the duplicate filter's rows (`shared`)."""
    rows: list = []
    for township, category in sorted(cells):
        rows += conn.execute(select(incident).where(
            incident.c.township_code == township, incident.c.category == category,
            incident.c.reported_at >= start, incident.c.reported_at <= end)).all()
    return _with_duplicates(conn, rows, shared)


def _temporary_copy(table: Table) -> Table:
    """An empty temporary table of the same name, columns and indexes (the planner's paths)."""
    copy = Table(table.name, MetaData(),
                 *[Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False) for c in table.columns],
                 prefixes=["TEMPORARY"])
    for ix in table.indexes:
        Index(ix.name, *[copy.c[c.name] for c in ix.columns])
    return copy


# SQLite plans a table it has no statistics for as a large one (driving the repeat rule's query
# from all 6,000 grids instead of the copy's 2,000 rows: 0.19 s instead of 0.02 s); PostgreSQL
# sizes a table it never analysed from its pages.
_SQLITE_ANALYZE = text("ANALYZE temp")


@contextlib.contextmanager
def narrowed(engine: Engine, rows: dict[Table, list]) -> Iterator[Connection]:
    """A new connection on which each table of `rows` holds only those rows (a temporary copy
    shadowing the shared table; the others are the shared ones). Read-only by intent. The
    connection never goes back to the pool: another user of it would see the copies."""
    conn = engine.connect()
    try:
        for table, kept in rows.items():
            copy = _temporary_copy(table)
            copy.create(conn)
            if kept:
                conn.execute(insert(copy), [dict(r._mapping) for r in kept])
        if engine.dialect.name == "sqlite":
            conn.execute(_SQLITE_ANALYZE)
        conn.commit()
        yield conn
    finally:
        conn.invalidate()
        conn.close()


# Where each dialect keeps a connection's temporary tables: DML on a copy names it, so that it can
# never reach the shared table of the same name.
_TEMP_SCHEMA = {"sqlite": "temp", "postgresql": "pg_temp"}


def refill(conn: Connection, table: Table, rows: list) -> None:
    """Replace the rows of `table`'s temporary copy on a `narrowed` connection."""
    copy = Table(table.name, MetaData(), *[Column(c.name, c.type) for c in table.columns],
                 schema=_TEMP_SCHEMA[conn.dialect.name])
    conn.execute(delete(copy))
    if rows:
        conn.execute(insert(copy), [dict(r._mapping) for r in rows])
    if conn.dialect.name == "sqlite":
        conn.execute(_SQLITE_ANALYZE)
    conn.commit()


def surge_rows(conn: Connection, end: dt.datetime) -> list:
    """(township, category, reported_at) of every incident `rule_surge` counts at some moment
    up to `end`: its own filters (located in the city, valid as of `end`, with a category).
    Valid as of `end` and reported by `t` is valid as of `t`: the other filters do not move."""
    city = lookup(conn, conn.execute(select(region.c.code).where(region.c.level == "city")
                                     .order_by(region.c.code).limit(1)).scalar())
    joined, located = in_region(incident, city)
    return conn.execute(select(incident.c.township_code, incident.c.category, incident.c.reported_at)
                        .select_from(joined)
                        .where(located, quality.incident_ok(end), incident.c.category.isnot(None))).all()


def emergency_rows(conn: Connection) -> list:
    """(grid, since) of the grids in emergency mode (`rule_emergency` reads these and names)."""
    return conn.execute(select(grid_state.c.grid_code, grid_state.c.since)
                        .where(grid_state.c.mode == "emergency")).all()


# The silent-feed rule counts visits by time alone (the visit feed is city-wide): without an
# index on visited_at each evaluation scans the visit table eight times (≈0.25 s at the demo
# scale, ≈0.03 s with it). The shared schema has none (yet); the replay adds one for its run.
@contextlib.contextmanager
def visit_time_index(engine: Engine) -> Iterator[None]:
    """An index on visit.visited_at while the block runs, unless the table has one already."""
    # On a table object of its own: the schema's `visit` must not grow an index for everyone.
    index = Index("ix_visit_visited_replay",
                  Table(visit.name, MetaData(), Column("visited_at", visit.c.visited_at.type)).c.visited_at)
    with engine.connect() as conn:
        have = any(ix["column_names"][:1] == ["visited_at"] for ix in inspect(conn).get_indexes(visit.name))
        if not have:
            index.create(conn)
            conn.commit()
    try:
        yield
    finally:
        if not have:
            with engine.connect() as conn:
                index.drop(conn, checkfirst=True)
                conn.commit()
