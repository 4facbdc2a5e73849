"""智慧地图: what a village's or a grid's map shows — 人、地、物、事、组织 — as points without names.

事 the events of the area that are open now (a case counts once: `rollups.counts_as_event`),
and those closed in the last `CLOSED_HOURS`; 人 tagged households and key persons counted per
building (`CELL_DEGREES`), never a name or an address; 地 the grid stations (网格驿站; the
polygons come from `regions`); 物 the other places (shelters, cameras, hazard sources); 组织
party branches, volunteer teams, mediation bodies, and the enterprises (新经济组织).

Above village level the map is a choropleth of the children's open events (drill down to a
village to see points). Every read is placed by the scope join, so a forged code or id from
another county finds nothing (`NotInScope`, like an unknown one).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from . import cases, quality, rollups
from .files import ID_PATTERN, mask_address, tag_list
from .incidents import state_at
from .privacy import mask_text
from .schema import enterprise, household, incident, key_person, organization, person, place, region
from .scope import NotInScope, Region, Scope, child_column, in_region, resolve, unknown
from .vocabulary import SOURCE_NAMES

POINT_LEVELS = ("village", "grid")  # levels whose map shows points; above them, the children
CELL_DEGREES = {"grid": 0.0005, "village": 0.001}  # ≈ 50 m / 100 m: one building or point of 人
CLOSED_HOURS = 24  # a closed event stays on the map (still, green) this long
MOST_INCIDENTS = 3000  # a village never has this many open; a bound against a flood of rows
MOST_IDS = 30  # household ids a building point carries for its click list
STATION = "网格驿站"  # the place kind drawn on the 地 layer (the rest are 物)


def _open_or_recent(now: dt.datetime):
    """Open at `now`, or closed within the last CLOSED_HOURS (two indexed branches in one OR:
    fine at village level, where the scope join has already narrowed to a few grids)."""
    c = incident.c
    return or_(c.closed_at.is_(None), c.closed_at > now - dt.timedelta(hours=CLOSED_HOURS))


def incidents(conn: Connection, r: Region, now: dt.datetime) -> list[dict]:
    """The 事 layer: one point per event with a place, open or recently closed, newest first."""
    j, inside = in_region(incident, r)
    c = incident.c
    rows = conn.execute(
        select(c.id, c.lon, c.lat, c.category, c.severity, c.title, c.source, c.reported_at, c.sla_due_at,
               state_at(now).label("state"))
        .select_from(j)
        .where(inside, quality.incident_ok(now), rollups.counts_as_event(), _open_or_recent(now),
               c.lon.isnot(None), c.lat.isnot(None), c.lon.between(-180, 180), c.lat.between(-90, 90))
        .order_by(c.reported_at.desc(), c.id.desc()).limit(MOST_INCIDENTS)).all()
    codes = cases.codes_for(conn, [x.id for x in rows])
    return [{"id": x.id, "lon": x.lon, "lat": x.lat, "state": x.state, "category": x.category,
             "severity": x.severity, "title": mask_text(x.title), "source": SOURCE_NAMES.get(x.source, x.source),
             "reported_at": x.reported_at,
             "overdue": x.state != "closed" and x.sla_due_at is not None and x.sla_due_at < now,
             "case_code": codes[x.id][0] if x.id in codes else cases.case_code(x.id, x.reported_at)}
            for x in rows]


def _cell(lon: float, lat: float, size: float) -> tuple[int, int]:
    return round(lon / size), round(lat / size)


def people(conn: Connection, r: Region, now: dt.datetime) -> list[dict]:
    """The 人 layer: per building (a CELL_DEGREES square: coarser on a village's map, where a
    building's dot would be lost among hundreds), the tagged households and the key persons
    living there, counted; the point sits at the mean of their households' points."""
    size = CELL_DEGREES.get(r.level, CELL_DEGREES["grid"])
    j, inside = in_region(household, r)
    h = household.c
    homes = {row.id: row for row in conn.execute(
        select(h.id, h.lon, h.lat, h.tags).select_from(j)
        .where(inside, quality.register_ok(household, now), h.lon.isnot(None), h.lat.isnot(None),
               h.lon.between(-180, 180), h.lat.between(-90, 90)))}
    # Key persons by their resident's household (the register links person → key_person).
    pj, pin = in_region(person, r)
    kp_homes = Counter(conn.execute(
        select(person.c.household_id).select_from(pj.join(key_person, key_person.c.id == person.c.key_person_id))
        .where(pin, key_person.c.grid_code == person.c.grid_code)).scalars())
    cells: dict[tuple[int, int], dict] = {}
    for hid, row in homes.items():
        tags, kp = tag_list(row.tags), kp_homes.get(hid, 0)
        if not tags and not kp:
            continue
        cell = cells.setdefault(_cell(row.lon, row.lat, size), {"lon": 0.0, "lat": 0.0, "n": 0, "households": 0,
                                                          "key_persons": 0, "tags": Counter(), "ids": []})
        cell["lon"] += row.lon
        cell["lat"] += row.lat
        cell["n"] += 1
        cell["households"] += 1 if tags else 0
        cell["key_persons"] += kp
        cell["tags"].update(tags)
        if len(cell["ids"]) < MOST_IDS:
            cell["ids"].append(hid)
    out = [{"lon": round(c["lon"] / c["n"], 5), "lat": round(c["lat"] / c["n"], 5), "households": c["households"],
            "key_persons": c["key_persons"], "tags": dict(c["tags"].most_common()), "ids": sorted(c["ids"])}
           for _, c in sorted(cells.items())]
    return out


def _points(conn: Connection, table, r: Region, now: dt.datetime, *cols) -> list:
    j, inside = in_region(table, r)
    return conn.execute(select(table.c.id, table.c.lon, table.c.lat, *cols).select_from(j)
                        .where(inside, quality.register_ok(table, now), table.c.lon.isnot(None),
                               table.c.lat.isnot(None)).order_by(table.c.id)).all()


def places(conn: Connection, r: Region, now: dt.datetime) -> list[dict]:
    """The 地 (grid stations) and 物 (shelters, cameras, hazard sources) layers."""
    return [{"id": p.id, "lon": p.lon, "lat": p.lat, "kind": p.kind or "其他", "name": p.name or "—",
             "detail": p.detail or ""}
            for p in _points(conn, place, r, now, place.c.kind, place.c.name, place.c.detail)]


def organizations(conn: Connection, r: Region, now: dt.datetime) -> list[dict]:
    return [{"id": o.id, "lon": o.lon, "lat": o.lat, "kind": o.kind or "其他", "name": o.name or "—",
             "members": o.members}
            for o in _points(conn, organization, r, now, organization.c.kind, organization.c.name,
                             organization.c.members)]


def enterprises(conn: Connection, r: Region, now: dt.datetime) -> list[dict]:
    """Enterprises (新经济组织) with their risk tags; an inspection overdue as the file counts it."""
    e = enterprise.c
    out = []
    for row in _points(conn, enterprise, r, now, e.name, e.kind, e.employees, e.risk_tags, e.last_inspected_at):
        tags = tag_list(row.risk_tags)
        seen = row.last_inspected_at if row.last_inspected_at is not None and row.last_inspected_at <= now else None
        out.append({"id": row.id, "lon": row.lon, "lat": row.lat, "name": row.name or "—", "kind": row.kind or "—",
                    "employees": row.employees, "tags": tags,
                    "inspection_overdue": seen is None or (now - seen).days > (90 if tags else 365)})
    return out


def children_open(conn: Connection, r: Region, now: dt.datetime) -> list[dict]:
    """The children with their open events, in code order (the map above village level: a
    choropleth to drill into)."""
    j, inside = in_region(incident, r)
    col = child_column(incident, r)
    c = incident.c
    counts: dict[str, int] = {}
    for branch in (c.closed_at.is_(None), c.closed_at > now):  # an OR defeats the index
        for code, n in conn.execute(select(col, func.count()).select_from(j)
                                    .where(inside, quality.incident_ok(now), rollups.counts_as_event(), branch)
                                    .group_by(col)):
            counts[code] = counts.get(code, 0) + n
    return [{"code": code, "name": name, "open": counts.get(code, 0)} for code, name in conn.execute(
        select(region.c.code, region.c.name).where(region.c.parent_code == r.code).order_by(region.c.code))]


def layers(conn: Connection, r: Region, now: dt.datetime) -> dict:
    """Every layer of a village's or a grid's map (`r` already resolved in the caller's scope)."""
    all_places = places(conn, r, now)
    return {"incidents": incidents(conn, r, now), "people": people(conn, r, now),
            "stations": [p for p in all_places if p["kind"] == STATION],
            "things": [p for p in all_places if p["kind"] != STATION],
            "organizations": organizations(conn, r, now), "enterprises": enterprises(conn, r, now)}


def grids(conn: Connection, r: Region) -> int:
    """How many grids the map draws (a grid draws itself)."""
    if r.level == "grid":
        return 1
    return conn.execute(select(func.count()).where(region.c.level == "grid",
                                                   region.c[f"{r.level}_code"] == r.code)).scalar() or 0


# --- what a click on a point opens ------------------------------------------------------------

def _ident(kind: str, raw) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not ID_PATTERN.fullmatch(raw) or int(raw) == 0:
        raise NotInScope(unknown(kind, str(raw)[:20]))
    return int(raw)


def incident_card(conn: Connection, scope: Scope, raw_id, now: dt.datetime) -> dict:
    """One event's record (事件档案) for the map's side panel; outside the scope like unknown."""
    ident = _ident("事件", raw_id)
    root = resolve(conn, scope, None)
    j, inside = in_region(incident, root)
    c = incident.c
    g = j.right
    row = conn.execute(
        select(c.id, c.title, c.category, c.severity, c.source, c.department, c.reported_at, c.dispatched_at,
               c.arrived_at, c.closed_at, c.sla_due_at, c.handling_level, state_at(now).label("state"),
               g.c.code.label("grid_code"), g.c.name.label("grid_name"))
        .select_from(j).where(inside, quality.incident_ok(now), c.id == ident)).first()
    if row is None:
        raise NotInScope(unknown("事件", ident))
    codes = cases.codes_for(conn, [row.id])
    shown = lambda t: t if t is not None and t <= now else None  # noqa: E731 - a step after now has not happened
    return {"id": row.id, "title": mask_text(row.title), "category": row.category, "severity": row.severity,
            "source": SOURCE_NAMES.get(row.source, row.source), "department": row.department,
            "state": row.state, "reported_at": row.reported_at, "dispatched_at": shown(row.dispatched_at),
            "arrived_at": shown(row.arrived_at), "closed_at": shown(row.closed_at), "sla_due_at": row.sla_due_at,
            "overdue": row.state != "closed" and row.sla_due_at is not None and row.sla_due_at < now,
            "handling_level": row.handling_level, "grid_code": row.grid_code, "grid_name": row.grid_name,
            "case_code": codes[row.id][0] if row.id in codes else cases.case_code(row.id, row.reported_at),
            "reports": codes[row.id][1] if row.id in codes else 1}


def households_brief(conn: Connection, scope: Scope, raw_ids, now: dt.datetime) -> list[dict]:
    """The households of a building point (ids from the map), masked; ids outside the scope,
    unknown or malformed are left out without a word (the list is the map's, not the user's)."""
    ids = sorted({int(i) for i in (raw_ids if isinstance(raw_ids, list) else [])[:MOST_IDS]
                  if isinstance(i, (int, str)) and not isinstance(i, bool) and ID_PATTERN.fullmatch(str(i))})
    if not ids:
        return []
    root = resolve(conn, scope, None)
    j, inside = in_region(household, root)
    h = household.c
    kp = (select(person.c.household_id, func.count().label("n")).where(person.c.key_person_id.isnot(None),
                                                                       person.c.household_id.in_(ids))
          .group_by(person.c.household_id).subquery())
    rows = conn.execute(select(h.id, h.address, h.members, h.tags, func.coalesce(kp.c.n, 0).label("kp"))
                        .select_from(j.outerjoin(kp, kp.c.household_id == h.id))
                        .where(inside, quality.register_ok(household, now), h.id.in_(ids)).order_by(h.id)).all()
    return [{"id": x.id, "address": mask_address(x.address), "members": x.members, "tags": tag_list(x.tags),
             "key_persons": x.kp} for x in rows]


def point_card(conn: Connection, scope: Scope, kind: str, raw_id) -> dict:
    """A place's or an organisation's card (they have no file of their own)."""
    table = {"place": place, "organization": organization}.get(kind)
    if table is None:
        raise NotInScope(unknown("对象", str(kind)[:20]))
    ident = _ident("对象", raw_id)
    root = resolve(conn, scope, None)
    j, inside = in_region(table, root)
    g = j.right
    extra = (table.c.detail,) if table is place else (table.c.members,)
    row = conn.execute(select(table.c.id, table.c.kind, table.c.name, *extra, g.c.code.label("grid_code"),
                              g.c.name.label("grid_name")).select_from(j)
                       .where(inside, table.c.id == ident)).first()
    if row is None:
        raise NotInScope(unknown("对象", ident))
    return {"what": kind, **row._mapping}
