"""Bad rows in the shared tables: one definition used to exclude them and to count them.

Every shared database has them: unknown grid codes, missing or future times,
closings before reportings, the same source record twice. Figures drop them;
admins see how many there are of each kind.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.engine import Connection

from .schema import (appeal, enterprise, household, incident, inspection, organization, patrol, person, place,
                     region)

_dup = incident.alias("dup")
_home = household.alias("home")
_firm = enterprise.alias("firm")


def _before(later, earlier):
    # NULL-safe "later < earlier": false when either is missing.
    return and_(later.isnot(None), earlier.isnot(None), later < earlier)


def _unknown_grid(table):
    g = region.alias("g")
    return not_(exists().where(
        g.c.code == table.c.grid_code, g.c.level == "grid",
        g.c.village_code == table.c.village_code,
        g.c.township_code == table.c.township_code,
        g.c.county_code == table.c.county_code))


# table -> (time column, {kind: predicate(now) selecting the bad rows})
RULES = {
    "incident": (incident.c.reported_at, {
        "unknown_grid": lambda now: _unknown_grid(incident),
        "missing_time": lambda now: incident.c.reported_at.is_(None),
        "future_time": lambda now: incident.c.reported_at > now,
        "closed_before_reported": lambda now: _before(incident.c.closed_at, incident.c.reported_at),
        "duplicate": lambda now: exists().where(
            _dup.c.source == incident.c.source, _dup.c.source_ref == incident.c.source_ref,
            _dup.c.id < incident.c.id),
    }),
    "patrol": (patrol.c.started_at, {
        "unknown_grid": lambda now: _unknown_grid(patrol),
        "missing_time": lambda now: patrol.c.started_at.is_(None),
        "future_time": lambda now: patrol.c.started_at > now,
        "ended_before_started": lambda now: _before(patrol.c.ended_at, patrol.c.started_at),
    }),
    "appeal": (appeal.c.received_at, {
        "unknown_grid": lambda now: _unknown_grid(appeal),
        "missing_time": lambda now: appeal.c.received_at.is_(None),
        "future_time": lambda now: appeal.c.received_at > now,
        "resolved_before_received": lambda now: _before(appeal.c.resolved_at, appeal.c.received_at),
    }),
    # The register (一户一档 …): rows without a time of their own, placed by their grid.
    "household": (None, {
        "unknown_grid": lambda now: _unknown_grid(household),
        "bad_members": lambda now: or_(household.c.members.is_(None), household.c.members < 1),
    }),
    "person": (None, {
        "unknown_grid": lambda now: _unknown_grid(person),
        "unknown_household": lambda now: not_(exists().where(
            _home.c.id == person.c.household_id, _home.c.grid_code == person.c.grid_code)),
    }),
    "enterprise": (enterprise.c.last_inspected_at, {
        "unknown_grid": lambda now: _unknown_grid(enterprise),
        "future_time": lambda now: enterprise.c.last_inspected_at > now,
    }),
    "place": (None, {
        "unknown_grid": lambda now: _unknown_grid(place),
        "missing_point": lambda now: _no_point(place),
    }),
    "organization": (None, {
        "unknown_grid": lambda now: _unknown_grid(organization),
        "missing_point": lambda now: _no_point(organization),
    }),
    # 检查记录: an inspection belongs to an enterprise of its own grid, like a resident to a household.
    "inspection": (inspection.c.inspected_at, {
        "unknown_grid": lambda now: _unknown_grid(inspection),
        "unknown_enterprise": lambda now: not_(exists().where(
            _firm.c.id == inspection.c.enterprise_id, _firm.c.grid_code == inspection.c.grid_code)),
        "missing_time": lambda now: inspection.c.inspected_at.is_(None),
        "future_time": lambda now: inspection.c.inspected_at > now,
        "rectified_before_inspected": lambda now: _before(inspection.c.rectified_at, inspection.c.inspected_at),
    }),
}


def _no_point(table):
    return or_(table.c.lon.is_(None), table.c.lat.is_(None), table.c.lon < -180, table.c.lon > 180,
               table.c.lat < -90, table.c.lat > 90)


def register_ok(table, now: dt.datetime):
    """Register rows the files show (grid checks come from the scope join): a resident must
    belong to a household of the same grid, an enterprise's inspection must have happened; an
    inspection record must also belong to an enterprise of its grid and be rectified after it."""
    if table is person:
        return not_(RULES["person"][1]["unknown_household"](now))
    if table is household:
        return not_(RULES["household"][1]["bad_members"](now))
    if table is enterprise:  # never inspected is a fact to show, not a bad row (NULL > now is NULL)
        return or_(enterprise.c.last_inspected_at.is_(None), not_(RULES["enterprise"][1]["future_time"](now)))
    return and_(*[not_(pred(now)) for kind, pred in RULES[table.name][1].items() if kind != "unknown_grid"])


def incident_ok(now: dt.datetime):
    """Incidents that exist at `now` and are not bad rows (grid checks come from the scope join)."""
    return and_(
        incident.c.reported_at <= now,
        not_(_before(incident.c.closed_at, incident.c.reported_at)),
        not_(RULES["incident"][1]["duplicate"](now)),
    )


def patrol_ok(now: dt.datetime):
    return and_(patrol.c.started_at <= now,
                not_(_before(patrol.c.ended_at, patrol.c.started_at)))


def appeal_ok(now: dt.datetime):
    return and_(appeal.c.received_at <= now,
                not_(_before(appeal.c.resolved_at, appeal.c.received_at)))


def bad_row_counts(conn: Connection, now: dt.datetime) -> dict[str, dict[str, int]]:
    """{table: {kind: rows}} over the whole database (an admin's view)."""
    tables = _TABLES
    out: dict[str, dict[str, int]] = {}
    for name, (_, kinds) in RULES.items():
        cols = [func.count().filter(pred(now)).label(kind) for kind, pred in kinds.items()]
        row = conn.execute(select(*cols).select_from(tables[name])).one()
        out[name] = dict(row._mapping)
    return out


def closed_at_now(now: dt.datetime):
    """An incident counts as closed only once its closing time has come."""
    return and_(incident.c.closed_at.isnot(None), incident.c.closed_at <= now)



_TABLES = {"incident": incident, "patrol": patrol, "appeal": appeal, "household": household, "person": person,
           "enterprise": enterprise, "place": place, "organization": organization, "inspection": inspection}
# Samples show no personal data (names, ID numbers, phones, addresses stay out).
_SHOW = {"incident": ("id", "source", "source_ref", "grid_code", "reported_at", "closed_at", "title"),
         "patrol": ("id", "grid_code", "worker_id", "started_at", "ended_at"),
         "appeal": ("id", "channel", "grid_code", "received_at", "resolved_at", "content"),
         "household": ("id", "grid_code", "village_code", "members"),
         "person": ("id", "household_id", "grid_code", "age_band"),
         "enterprise": ("id", "grid_code", "kind", "last_inspected_at"),
         "place": ("id", "grid_code", "kind", "lon", "lat"),
         "organization": ("id", "grid_code", "kind", "lon", "lat"),
         "inspection": ("id", "enterprise_id", "grid_code", "inspected_at", "result", "rectified_at")}


def _claims(table, scope):
    """Rows that claim to lie in the scope's subtree (bad rows cannot be placed by the region join)."""
    if scope.level == "city":
        return None
    column = {"county": "county_code", "township": "township_code", "village": "village_code",
              "grid": "grid_code"}[scope.level]
    return table.c[column] == scope.code


def scoped_counts(conn: Connection, scope, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Like bad_row_counts, for an admin whose jurisdiction is below the city."""
    if scope.level == "city":
        return bad_row_counts(conn, now)
    out: dict[str, dict[str, int]] = {}
    for name, (_, kinds) in RULES.items():
        table = _TABLES[name]
        cols = [func.count().filter(pred(now)).label(kind) for kind, pred in kinds.items()]
        out[name] = dict(conn.execute(select(*cols).select_from(table).where(_claims(table, scope))).one()._mapping)
    return out


def samples(conn: Connection, scope, now: dt.datetime, table_name: str, kind: str, limit: int = 5) -> list[dict]:
    """A few offending rows of one kind (free text masked by the caller's layout)."""
    if table_name not in RULES or kind not in RULES[table_name][1]:
        raise ValueError("unknown table or kind")
    table = _TABLES[table_name]
    where = [RULES[table_name][1][kind](now)]
    claim = _claims(table, scope)
    if claim is not None:
        where.append(claim)
    cols = [table.c[c] for c in _SHOW[table_name]]
    rows = conn.execute(select(*cols).where(*where).order_by(table.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]
