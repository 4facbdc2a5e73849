"""一户一档 · 一人一档 · 一企一档: one household, resident or enterprise, personal data masked.

A file is found by its id and placed by its grid: the grid must lie inside the caller's scope
and agree with the row's ancestor codes, else the id is answered exactly like one that does
not exist (`NotInScope`, `unknown()`). What is linked to it: residents by `household_id`,
visits through the resident's `key_person_id`, appeals by `citizen_hash` (only those inside
the scope), incidents by place (reported within `NEAR_DEGREES` of its point; the source
systems carry no household or enterprise on an incident — docs/files.md).
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.engine import Connection

from . import quality
from .privacy import mask_id_number, mask_name, mask_phone, mask_text
from .regions import breadcrumb
from .schema import appeal, enterprise, grid_worker, household, incident, inspection, key_person, person, visit
from .scope import NotInScope, Region, RegionError, Scope, in_region, resolve, unknown
from .vocabulary import INCIDENT_STATUS_NAMES, UNCLASSIFIED_TOPIC
from .vocabulary import WORKER_ROLE_NAMES as ROLE_NAMES

ID_PATTERN = re.compile(r"^[0-9]{1,9}$")  # ASCII digits only, like region codes
NEAR_DEGREES = 0.001  # ≈ 100 m: incidents "at" a household or an enterprise
SAFETY_CATEGORIES = ("安全生产", "消防安全")  # an enterprise's inspection history shows these
RECENT_DAYS = 90
LIMIT = 20
WHAT = {"household": "户", "person": "人员", "enterprise": "企业"}
TABLES = {"household": household, "person": person, "enterprise": enterprise}
_DIGIT = re.compile(r"[0-9\uff10-\uff19]")


def mask_address(address: str | None) -> str | None:
    """Road, village and group stay readable; house, building and room numbers do not."""
    return _DIGIT.sub("*", address) if address else address


def tag_list(tags: str | None) -> list[str]:
    return [t for t in (tags or "").split(",") if t]


def parse_id(kind: str, raw) -> int:
    """An id from a URL or a callback: 1–9 ASCII digits; anything else is an unknown id."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not ID_PATTERN.fullmatch(raw) or int(raw) == 0:
        raise NotInScope(unknown(WHAT[kind], raw if isinstance(raw, str) else "?"))
    return int(raw)


def _locate(conn: Connection, scope: Scope, kind: str, raw) -> tuple:
    """(row, grid Region) of a file, or NotInScope: unknown, bad (its grid unknown or its
    ancestors disagree) and outside the scope all answer the same."""
    ident = parse_id(kind, raw)
    table = TABLES[kind]
    row = conn.execute(select(table).where(table.c.id == ident)).first()
    refused = NotInScope(unknown(WHAT[kind], ident))
    if row is None or not row.grid_code:
        raise refused
    try:
        r = resolve(conn, scope, row.grid_code)
    except RegionError:
        raise refused from None
    if r.level != "grid" or (row.village_code, row.township_code, row.county_code) != (
            r.village_code, r.township_code, r.county_code):
        raise refused
    if kind == "person" and conn.execute(select(household.c.id).where(
            household.c.id == row.household_id, household.c.grid_code == row.grid_code)).first() is None:
        raise refused  # a resident whose household is missing or elsewhere is a bad row
    return row, r


def _workers(conn: Connection, grid: Region) -> list[dict]:
    """包联: the grid's active workers, masked."""
    return [{"id": w.id, "name": mask_name(w.name), "role": ROLE_NAMES.get(w.role, w.role or "—"),
             "phone": mask_phone(w.phone)}
            for w in conn.execute(select(grid_worker.c.id, grid_worker.c.name, grid_worker.c.role,
                                         grid_worker.c.phone)
                                  .where(grid_worker.c.grid_code == grid.code, grid_worker.c.active.is_(True))
                                  .order_by(grid_worker.c.id))]


def _chain(conn: Connection, scope: Scope, grid: Region) -> list[dict]:
    return [{"code": r.code, "name": r.name, "level": r.level} for r in breadcrumb(conn, scope, grid)]


def _person_out(p) -> dict:
    return {"id": p.id, "name": mask_name(p.name), "relation": p.relation or "—", "age_band": p.age_band or "—",
            "id_number": mask_id_number(p.id_number), "phone": mask_phone(p.phone), "tags": tag_list(p.tags),
            "key_person": p.key_person_id is not None}


def _residents(conn: Connection, household_id: int, grid: Region) -> list:
    return conn.execute(select(person).where(person.c.household_id == household_id,
                                             person.c.grid_code == grid.code)
                        .order_by(person.c.id)).all()


def _visits(conn: Connection, key_person_ids: list[int], now: dt.datetime) -> list[dict]:
    if not key_person_ids:
        return []
    rows = conn.execute(
        select(visit.c.visited_at, visit.c.outcome, visit.c.key_person_id, grid_worker.c.name)
        .select_from(visit.outerjoin(grid_worker, grid_worker.c.id == visit.c.worker_id))
        .where(visit.c.key_person_id.in_(key_person_ids), visit.c.visited_at <= now)
        .order_by(visit.c.visited_at.desc()).limit(LIMIT)).all()
    return [{"visited_at": v.visited_at, "outcome": v.outcome, "worker": mask_name(v.name) or "—",
             "key_person_id": v.key_person_id} for v in rows]


def _appeals(conn: Connection, scope: Scope, hashes: list[str], now: dt.datetime) -> list[dict]:
    """Appeals by these citizens (appeal.citizen_hash), only those inside the reader's scope."""
    hashes = [h for h in hashes if h]
    if not hashes:
        return []
    root = resolve(conn, scope, None)
    j, inside = in_region(appeal, root)
    rows = conn.execute(
        select(appeal.c.id, appeal.c.received_at, appeal.c.channel, appeal.c.topic, appeal.c.content,
               appeal.c.resolved_at, appeal.c.satisfaction)
        .select_from(j).where(inside, quality.appeal_ok(now), appeal.c.citizen_hash.in_(hashes))
        .order_by(appeal.c.received_at.desc()).limit(LIMIT)).all()
    return [{"id": a.id, "received_at": a.received_at, "channel": a.channel,
             "topic": a.topic or UNCLASSIFIED_TOPIC, "content": mask_text(a.content),
             "resolved": a.resolved_at is not None and a.resolved_at <= now, "satisfaction": a.satisfaction}
            for a in rows]


def _incidents_near(conn: Connection, grid: Region, lon, lat, now: dt.datetime, days: int = RECENT_DAYS,
                    categories: tuple[str, ...] | None = None) -> list[dict]:
    """Incidents of the grid reported within NEAR_DEGREES of a point in the last `days`."""
    if lon is None or lat is None:
        return []
    j, inside = in_region(incident, grid)
    where = [inside, quality.incident_ok(now), incident.c.reported_at >= now - dt.timedelta(days=days),
             incident.c.lon.between(lon - NEAR_DEGREES, lon + NEAR_DEGREES),
             incident.c.lat.between(lat - NEAR_DEGREES, lat + NEAR_DEGREES)]
    if categories:
        where.append(incident.c.category.in_(categories))
    rows = conn.execute(
        select(incident.c.id, incident.c.reported_at, incident.c.category, incident.c.title, incident.c.status,
               incident.c.closed_at).select_from(j).where(*where)
        .order_by(incident.c.reported_at.desc()).limit(LIMIT)).all()
    return [{"id": i.id, "reported_at": i.reported_at, "category": i.category, "title": mask_text(i.title),
             "status": INCIDENT_STATUS_NAMES.get(
                 "closed" if i.closed_at is not None and i.closed_at <= now
                 else (i.status if i.status != "closed" else "in_progress"), i.status)}
            for i in rows]


def _inspections(conn: Connection, enterprise_id: int, grid: Region, now: dt.datetime) -> list[dict]:
    """检查记录: the enterprise's inspections, newest first; bad rows (another grid, no or a future
    time, rectified before inspected) left out, a rectification after `now` not yet done."""
    rows = conn.execute(
        select(inspection.c.inspected_at, inspection.c.inspector, inspection.c.result, inspection.c.findings,
               inspection.c.rectified_at)
        .where(inspection.c.enterprise_id == enterprise_id, inspection.c.grid_code == grid.code,
               inspection.c.village_code == grid.village_code, inspection.c.township_code == grid.township_code,
               inspection.c.county_code == grid.county_code, quality.register_ok(inspection, now))
        .order_by(inspection.c.inspected_at.desc(), inspection.c.id.desc()).limit(LIMIT)).all()
    return [{"inspected_at": i.inspected_at, "inspector": mask_name(i.inspector) or "—", "result": i.result or "—",
             "findings": mask_text(i.findings),
             "rectified_at": i.rectified_at if i.rectified_at is not None and i.rectified_at <= now else None}
            for i in rows]


def _frame(conn: Connection, scope: Scope, grid: Region) -> dict:
    return {"grid_code": grid.code, "grid_name": grid.name, "chain": _chain(conn, scope, grid),
            "workers": _workers(conn, grid)}


def household_file(conn: Connection, scope: Scope, raw_id, now: dt.datetime) -> dict:
    row, grid = _locate(conn, scope, "household", raw_id)
    residents = _residents(conn, row.id, grid)
    kp_ids = [p.key_person_id for p in residents if p.key_person_id is not None]
    return {"kind": "household", "id": row.id, "address": mask_address(row.address), "members": row.members,
            "tags": tag_list(row.tags), "lon": row.lon, "lat": row.lat,
            "residents": [_person_out(p) for p in residents],
            "visits": _visits(conn, kp_ids, now),
            "appeals": _appeals(conn, scope, [p.citizen_hash for p in residents], now),
            "incidents": _incidents_near(conn, grid, row.lon, row.lat, now),
            **_frame(conn, scope, grid)}


def person_file(conn: Connection, scope: Scope, raw_id, now: dt.datetime) -> dict:
    row, grid = _locate(conn, scope, "person", raw_id)
    home = conn.execute(select(household).where(household.c.id == row.household_id)).first()
    kp = None
    if row.key_person_id is not None:
        k = conn.execute(select(key_person.c.category, key_person.c.risk_level, key_person.c.visit_interval_days)
                         .where(key_person.c.id == row.key_person_id)).first()
        kp = None if k is None else {"category": k.category, "risk_level": k.risk_level,
                                     "interval_days": k.visit_interval_days}
    visits = _visits(conn, [row.key_person_id] if row.key_person_id is not None else [], now)
    return {"kind": "person", "id": row.id, **_person_out(row),
            "household": None if home is None else {
                "id": home.id, "address": mask_address(home.address), "members": home.members,
                "tags": tag_list(home.tags)},
            "housemates": [_person_out(p) for p in _residents(conn, row.household_id, grid) if p.id != row.id],
            "key_person_detail": kp, "visits": visits,
            "last_visit": visits[0]["visited_at"] if visits else None,
            "appeals": _appeals(conn, scope, [row.citizen_hash], now),
            **_frame(conn, scope, grid)}


def enterprise_file(conn: Connection, scope: Scope, raw_id, now: dt.datetime) -> dict:
    row, grid = _locate(conn, scope, "enterprise", raw_id)
    inspected = row.last_inspected_at if row.last_inspected_at is not None and row.last_inspected_at <= now \
        else None  # an inspection "from the future" is a bad row: not shown as done
    return {"kind": "enterprise", "id": row.id, "name": row.name, "enterprise_kind": row.kind,
            "employees": row.employees, "tags": tag_list(row.risk_tags),
            "contact_name": mask_name(row.contact_name), "contact_phone": mask_phone(row.contact_phone),
            "last_inspected_at": inspected, "inspection_result": row.inspection_result if inspected else None,
            "inspections": _inspections(conn, row.id, grid, now),
            "inspection_overdue": inspected is None or (now - inspected).days > (
                90 if tag_list(row.risk_tags) else 365),
            "safety_incidents": _incidents_near(conn, grid, row.lon, row.lat, now, 365, SAFETY_CATEGORIES),
            "incidents": _incidents_near(conn, grid, row.lon, row.lat, now),
            "lon": row.lon, "lat": row.lat,
            **_frame(conn, scope, grid)}


def grid_register(conn: Connection, grid: Region, now: dt.datetime) -> dict:
    """The grid profile's lists: every household and enterprise of the grid, masked, for links."""
    households = [{"id": h.id, "address": mask_address(h.address), "members": h.members, "tags": tag_list(h.tags)}
                  for h in conn.execute(
                      select(household.c.id, household.c.address, household.c.members, household.c.tags)
                      .where(household.c.grid_code == grid.code, household.c.village_code == grid.village_code,
                             household.c.county_code == grid.county_code,
                             household.c.township_code == grid.township_code,
                             quality.register_ok(household, now))
                      .order_by(household.c.tags.is_(None), household.c.id))]
    enterprises = [{"id": e.id, "name": e.name, "kind": e.kind, "employees": e.employees,
                    "tags": tag_list(e.risk_tags)}
                   for e in conn.execute(
                       select(enterprise.c.id, enterprise.c.name, enterprise.c.kind, enterprise.c.employees,
                              enterprise.c.risk_tags)
                       .where(enterprise.c.grid_code == grid.code, enterprise.c.village_code == grid.village_code,
                              enterprise.c.county_code == grid.county_code,
                              enterprise.c.township_code == grid.township_code)
                       .order_by(enterprise.c.risk_tags.is_(None), enterprise.c.id))]
    return {"households": households, "enterprises": enterprises}


def reveal(conn: Connection, scope: Scope, subject) -> dict:
    """The unmasking act on a file (the caller checks the role and writes the audit record):
    a resident's name, ID number and phone, an enterprise's contact, a household's address.
    `subject` is "person:ID", "enterprise:ID" or "household:ID"; refused like an unknown id
    outside the scope."""
    kind, _, raw = subject.partition(":") if isinstance(subject, str) else ("", "", "")
    if kind not in TABLES:
        raise NotInScope(unknown("对象", str(subject)[:20]))
    row, _grid = _locate(conn, scope, kind, raw)
    target = f"{kind}:{row.id}"
    if kind == "person":
        return {"target": target, "name": row.name, "id_number": row.id_number, "phone": row.phone}
    if kind == "enterprise":
        return {"target": target, "name": row.contact_name, "phone": row.contact_phone}
    return {"target": target, "address": row.address}

