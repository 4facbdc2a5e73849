"""Reading the warning table where a KPI needs it (the open-warnings count of docs/metrics.md).

Its own module so the dependency goes one way: `warnings` (the rules) reads `metrics`
(the barometer rule), and `metrics` reads the warning table only through here.
"""
from __future__ import annotations

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection

from .schema import OPEN_WARNING_STATUSES, region, warning
from .scope import Region, Scope, level_column, resolve

_tables_seen: set = set()


def has_table(conn: Connection) -> bool:
    """Databases created before the warnings engine have no warning table: they have no warnings."""
    key = str(conn.engine.url)
    if key not in _tables_seen and inspect(conn).has_table("warning"):
        _tables_seen.add(key)
    return key in _tables_seen


def subtree(r: Region):
    """(warning joined with its region as g, "g lies in r's subtree", g)."""
    g = region.alias("g")
    return warning.join(g, g.c.code == warning.c.region_code), level_column(g, r.level) == r.code, g


def active_count(conn: Connection, scope: Scope, code: str | None, by_child: bool = False):
    """Open warnings in the subtree (or {child code: count} when `by_child`)."""
    r = resolve(conn, scope, code)
    if not has_table(conn):
        return {} if by_child else 0
    joined, inside, g = subtree(r)
    where = [inside, warning.c.status.in_(OPEN_WARNING_STATUSES)]
    if not by_child:
        return conn.execute(select(func.count()).select_from(joined).where(*where)).scalar() or 0
    if r.child_level is None:
        return {}
    col = level_column(g, r.child_level)
    return {k: n for k, n in conn.execute(
        select(col, func.count()).select_from(joined).where(*where, col.isnot(None)).group_by(col))}


def open_counts(conn: Connection, scope: Scope, code, now) -> tuple[dict, dict]:
    """({level: open warnings}, {child code: open warnings}) of the subtree, raised by `now`:
    the duty desk's header and its per-region badges, recounted after every action."""
    r = resolve(conn, scope, code)
    if not has_table(conn):
        return {}, {}
    joined, inside, g = subtree(r)
    where = [inside, warning.c.status.in_(OPEN_WARNING_STATUSES), warning.c.created_at <= now]
    if r.child_level is None:
        rows = conn.execute(select(warning.c.level, func.count()).select_from(joined).where(*where)
                            .group_by(warning.c.level))
        return dict(rows.all()), {}
    col = level_column(g, r.child_level)
    by_level: dict = {}
    by_child: dict = {}
    for level, child, n in conn.execute(select(warning.c.level, col, func.count()).select_from(joined)
                                        .where(*where).group_by(warning.c.level, col)):
        by_level[level] = by_level.get(level, 0) + n
        if child is not None:
            by_child[child] = by_child.get(child, 0) + n
    return by_level, by_child
