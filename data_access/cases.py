"""One event, one code (一事一码): reports of one happening linked into one case.

The same happening often arrives as a grid report, a 12345 call and a 110 dispatch minutes
apart. `incident_case` holds the reports of every case of two or more (an incident without a
row is a case of its own); the case's **primary** is its earliest report (reported_at, then
id) and is the one counted where the question is "how many events" (`counts_as_event`);
every report stays a row of `incident` and is counted where the question is "how many
reports" (the source mix). The linker that decides which reports belong together lives in
`dashboard/cases/` (it needs the text model); this module holds its SQL, the duty officer's
split and join (audited in `case_action`, in the caller's transaction), and the reads.

A change of membership changes which reports count as events; the settled rollup cells of
the reports whose "counts" flag changed are re-derived at once (`rollups.redo_incidents`),
and the reconciler's incident checksum covers the flag too. Docs: docs/cases.md.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import and_, delete, exists, func, insert, select
from sqlalchemy.engine import Connection

from . import quality, rollups
# The event clause is defined beside the rollups that sum it (rollups cannot import this module,
# which re-derives rollup cells); it is this module's public helper.
from .rollups import counts_as_event, secondary_report  # noqa: F401 - re-exported
from .privacy import clean_reason, mask_text
from .schema import app_meta, case_action, incident, incident_case, region
from .scope import NotInScope, RegionError, Scope, in_region, resolve, unknown
from .timeutil import local_day
from .vocabulary import SOURCE_NAMES

LINKER = "linker"  # linked_by of the automatic links
WATERMARK_KEY = "cases.watermark"  # the highest incident id the linker has read
WINDOW = dt.timedelta(hours=3)  # reports of one event arrive within this of each other (docs/cases.md)
RECENT_DAYS = 3  # the incident view lists the cases whose first report is this recent
MAX_REPORTS = 50  # a case larger than this is refused by join (a typo, not an event)
MAX_ID = 2**31


class CaseRefused(RegionError):
    """The split or join does not apply (not linked, already one case, no reason): a 400."""
    status = 400


def case_code(primary_id: int, reported_at: dt.datetime) -> str:
    """AJ + the primary report's Asia/Shanghai day + its id: unique, stable while the primary
    stays, readable over the phone (AJ20261120-0001234)."""
    return f"AJ{local_day(reported_at):%Y%m%d}-{primary_id:07d}"


# --- the linker's reads and writes ------------------------------------------------------------

def _valid(now: dt.datetime):
    """Incidents that exist at `now`, are not bad rows, and lie on a known grid. The grid check is
    a correlated EXISTS (one primary-key probe per incident): as a join, SQLite's planner may walk
    the grids first and scan a county's incidents for each of them."""
    g = region.alias("g")
    c = incident.c
    known = exists().where(g.c.code == c.grid_code, g.c.level == "grid", g.c.village_code == c.village_code,
                           g.c.township_code == c.township_code, g.c.county_code == c.county_code)
    return incident, and_(quality.incident_ok(now), known)


_COLS = (incident.c.id, incident.c.source, incident.c.category, incident.c.title, incident.c.description,
         incident.c.grid_code, incident.c.village_code, incident.c.township_code, incident.c.reported_at)


def watermark(conn: Connection) -> int:
    value = conn.execute(select(app_meta.c.value).where(app_meta.c.key == WATERMARK_KEY)).scalar()
    return int(value) if value else 0


def set_watermark(conn: Connection, last_id: int, now: dt.datetime) -> None:
    conn.execute(delete(app_meta).where(app_meta.c.key == WATERMARK_KEY))
    conn.execute(insert(app_meta).values(key=WATERMARK_KEY, value=str(int(last_id)), updated_at=now))


def max_incident_id(conn: Connection) -> int:
    return conn.execute(select(func.coalesce(func.max(incident.c.id), 0))).scalar()


def pending(conn: Connection, after_id: int, upto_id: int, now: dt.datetime) -> list[dict]:
    """Valid incidents with after_id < id <= upto_id (the linker's new reports), by time."""
    joined, ok = _valid(now)
    stmt = (select(*_COLS).select_from(joined)
            .where(ok, incident.c.id > after_id, incident.c.id <= upto_id)
            .order_by(incident.c.reported_at, incident.c.id))
    return [dict(r._mapping) for r in conn.execute(stmt)]


def neighbours(conn: Connection, villages: list[str], lo: dt.datetime, hi: dt.datetime, upto_id: int,
               now: dt.datetime) -> list[dict]:
    """Valid incidents of these villages reported in [lo, hi] with id <= upto_id."""
    joined, ok = _valid(now)
    out: list[dict] = []
    for i in range(0, len(villages), 500):
        stmt = (select(*_COLS).select_from(joined)
                .where(ok, incident.c.village_code.in_(villages[i:i + 500]), incident.c.reported_at >= lo,
                       incident.c.reported_at <= hi, incident.c.id <= upto_id))
        out.extend(dict(r._mapping) for r in conn.execute(stmt))
    return out


def memberships(conn: Connection, ids) -> dict[int, int]:
    """{incident id: its case's primary id} for those of `ids` that are in a case."""
    ids = sorted(set(ids))
    out: dict[int, int] = {}
    for i in range(0, len(ids), 500):
        out.update(conn.execute(select(incident_case.c.incident_id, incident_case.c.primary_id)
                                .where(incident_case.c.incident_id.in_(ids[i:i + 500]))).all())
    return out


def _members(conn: Connection, incident_id: int) -> dict[int, dict]:
    """The reports of `incident_id`'s case, {id: its link row} (a single report: an empty row)."""
    primary = conn.execute(select(incident_case.c.primary_id)
                           .where(incident_case.c.incident_id == incident_id)).scalar()
    if primary is None:
        return {incident_id: {}}
    return {r.incident_id: dict(r._mapping) for r in conn.execute(
        select(incident_case).where(incident_case.c.primary_id == primary))}


def _times(conn: Connection, ids) -> dict[int, dt.datetime]:
    ids = sorted(set(ids))
    out = {}
    for i in range(0, len(ids), 500):
        out.update(conn.execute(select(incident.c.id, incident.c.reported_at)
                                .where(incident.c.id.in_(ids[i:i + 500]))).all())
    return out


def _write_case(conn: Connection, members: dict[int, dict], now: dt.datetime) -> tuple[set, set]:
    """Store `members` ({id: link row or {}}) as one case, its primary the earliest report; a
    single report keeps no row. Returns (the secondaries before, the secondaries after)."""
    before = {i for i, row in members.items() if row.get("primary_id") not in (None, i)}
    ids = sorted(members)
    conn.execute(delete(incident_case).where(incident_case.c.incident_id.in_(ids)))
    if len(ids) < 2:
        return before, set()
    times = _times(conn, ids)
    primary = min(ids, key=lambda i: (times.get(i) or now, i))
    code = case_code(primary, times.get(primary) or now)
    conn.execute(insert(incident_case), [
        {"incident_id": i, "case_code": code, "primary_id": primary,
         "linked_by": members[i].get("linked_by") or LINKER,
         "score": None if i == primary else members[i].get("score"),
         "linked_at": members[i].get("linked_at") or now} for i in ids])
    return before, set(ids) - {primary}


def attach(conn: Connection, incident_id: int, to_id: int, score: float, now: dt.datetime,
           by: str = LINKER) -> set[int]:
    """The linker's act: report `incident_id` joins `to_id`'s case (never two existing cases:
    that is an officer's join). Returns the reports whose event flag changed."""
    members = _members(conn, to_id)
    if incident_id in members or memberships(conn, [incident_id]):
        return set()
    members[incident_id] = {"linked_by": by, "score": round(float(score), 4), "linked_at": now}
    for i, row in members.items():
        if not row:
            members[i] = {"linked_by": by, "score": None, "linked_at": now}
    before, after = _write_case(conn, members, now)
    return before ^ after


def attach_many(conn: Connection, links: list[tuple[int, int, float]], now: dt.datetime,
                by: str = LINKER) -> set[int]:
    """`attach` for many (report, to, score) in order, as the linker finds them: one read of the
    cases involved and one write of the cases touched (not three statements per link). Same
    rules: a report already in a case is left alone, two existing cases are never merged."""
    if not links:
        return set()
    ids = {i for x, y, _ in links for i in (x, y)}
    primary_of = memberships(conn, ids)
    groups: dict[int, dict[int, dict]] = {}  # primary (or first report) -> {id: link row}
    prims = sorted(set(primary_of.values()))
    for i in range(0, len(prims), 500):
        for r in conn.execute(select(incident_case).where(incident_case.c.primary_id.in_(prims[i:i + 500]))):
            groups.setdefault(r.primary_id, {})[r.incident_id] = dict(r._mapping)
            primary_of[r.incident_id] = r.primary_id
    touched: set[int] = set()
    for x, y, score in links:
        if x in primary_of:
            continue  # in a case already (an earlier link of this batch, or an officer's join)
        key = primary_of.get(y, y)
        members = groups.setdefault(key, {y: {}})
        primary_of[y] = key
        members[x] = {"linked_by": by, "score": round(float(score), 4), "linked_at": now}
        primary_of[x] = key
        touched.add(key)
    times = _times(conn, [i for k in touched for i in groups[k]])
    for key in touched:
        for i, row in groups[key].items():
            if not row:
                groups[key][i] = {"linked_by": by, "score": None, "linked_at": now}
    before, after = _write_cases(conn, [groups[k] for k in sorted(touched)], now, times)
    return before ^ after


def _write_cases(conn: Connection, cases_: list[dict[int, dict]], now: dt.datetime, times: dict) -> tuple[set, set]:
    """`_write_case` for several cases with their report times already read."""
    before = {i for m in cases_ for i, row in m.items() if row.get("primary_id") not in (None, i)}
    ids = sorted(i for m in cases_ for i in m)
    for i in range(0, len(ids), 500):
        conn.execute(delete(incident_case).where(incident_case.c.incident_id.in_(ids[i:i + 500])))
    rows, after = [], set()
    for members in cases_:
        if len(members) < 2:
            continue
        primary = min(members, key=lambda i: (times.get(i) or now, i))
        code = case_code(primary, times.get(primary) or now)
        rows += [{"incident_id": i, "case_code": code, "primary_id": primary,
                  "linked_by": members[i].get("linked_by") or LINKER,
                  "score": None if i == primary else members[i].get("score"),
                  "linked_at": members[i].get("linked_at") or now} for i in sorted(members)]
        after |= set(members) - {primary}
    if rows:
        conn.execute(insert(incident_case), rows)
    return before, after


# --- the duty officer's split and join -------------------------------------------------------

def _incident_in_scope(conn: Connection, scope: Scope, incident_id) -> dict:
    if not isinstance(incident_id, int) or isinstance(incident_id, bool) or not 0 < incident_id < MAX_ID:
        raise CaseRefused("事件编号无效")
    row = conn.execute(select(*_COLS).where(incident.c.id == incident_id)).first()
    if row is None or not row.grid_code:
        raise CaseRefused(unknown("事件", incident_id))
    try:
        resolve(conn, scope, row.grid_code)
    except RegionError:  # outside the jurisdiction: answered as if there were no such report
        raise NotInScope(unknown("事件", incident_id)) from None
    return dict(row._mapping)


def _reason(text) -> str:
    reason = clean_reason(text)
    if not reason:
        raise CaseRefused("请填写原因")
    return reason


def _shape(conn: Connection, members: dict) -> dict:
    """A case as the audit keeps it: code, primary and reports (ids)."""
    ids = sorted(members)
    if len(ids) < 2:
        times = _times(conn, ids)
        return {"case_code": case_code(ids[0], times[ids[0]]) if ids and ids[0] in times else None,
                "primary_id": ids[0] if ids else None, "reports": ids}
    row = conn.execute(select(incident_case.c.case_code, incident_case.c.primary_id)
                       .where(incident_case.c.incident_id == ids[0])).first()
    return {"case_code": row.case_code, "primary_id": row.primary_id, "reports": ids}


def _audit(conn, action, incident_id, code, actor, now, reason, before, after) -> None:
    conn.execute(insert(case_action).values(
        action=action, incident_id=incident_id, case_code=code, actor=str(actor)[:64], at=now, reason=reason,
        before=json.dumps(before, ensure_ascii=False), after=json.dumps(after, ensure_ascii=False)))


def split(conn: Connection, scope: Scope, incident_id, actor: str, reason, now: dt.datetime) -> dict:
    """Take report `incident_id` out of its case (a wrong link): it becomes a case of its own,
    the rest keep theirs (a new primary when it was the primary). Audited with before/after;
    the settled figures it touches are re-derived. Run in the caller's transaction."""
    _incident_in_scope(conn, scope, incident_id)
    reason = _reason(reason)
    members = _members(conn, incident_id)
    if len(members) < 2:
        raise CaseRefused(f"事件 {incident_id} 未与其他报告合并，无需拆分")
    before = _shape(conn, members)
    rest = {i: row for i, row in members.items() if i != incident_id}
    b1, a1 = _write_case(conn, rest, now)
    b2, _ = _write_case(conn, {incident_id: members[incident_id]}, now)
    after = {"split_off": _shape(conn, {incident_id: {}}), "rest": _shape(conn, rest)}
    _audit(conn, "split", incident_id, before["case_code"], actor, now, reason, before, after)
    rollups.redo_incidents(conn, (b1 ^ a1) | b2, now)
    return {"before": before, "after": after}


def join(conn: Connection, scope: Scope, incident_id, other_id, actor: str, reason, now: dt.datetime) -> dict:
    """Merge the case of report `other_id` into the case of `incident_id` (reports the linker
    missed): one case, its primary the earliest report. Audited; figures re-derived."""
    _incident_in_scope(conn, scope, incident_id)
    _incident_in_scope(conn, scope, other_id)
    reason = _reason(reason)
    a, b = _members(conn, incident_id), _members(conn, other_id)
    if other_id in a:
        raise CaseRefused(f"事件 {incident_id} 与 {other_id} 已属同一案件")
    if len(a) + len(b) > MAX_REPORTS:
        raise CaseRefused(f"合并后超过 {MAX_REPORTS} 条报告，请核对事件编号")
    before = {"case": _shape(conn, a), "joined": _shape(conn, b)}
    merged = {}
    for i, row in {**a, **b}.items():
        merged[i] = row or {"linked_by": str(actor)[:64], "score": None, "linked_at": now}
    for i in b:  # the joined reports were linked by this officer
        merged[i] = {**merged[i], "linked_by": str(actor)[:64], "score": None, "linked_at": now}
    b1, a1 = _write_case(conn, merged, now)
    after = _shape(conn, merged)
    _audit(conn, "join", other_id, before["case"]["case_code"], actor, now, reason, before, after)
    rollups.redo_incidents(conn, b1 ^ a1, now)
    return {"before": before, "after": after}


# --- reads for the views -----------------------------------------------------------------------

def _report(row, now) -> dict:
    return {"id": row.id, "source": row.source, "source_name": SOURCE_NAMES.get(row.source, row.source or "—"),
            "reported_at": row.reported_at, "title": mask_text(row.title), "grid": row.grid_name,
            "closed": row.closed_at is not None and row.closed_at <= now,
            "linked_by": getattr(row, "linked_by", None), "score": getattr(row, "score", None)}


def recent_cases(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
                 days: int = RECENT_DAYS, limit: int = 30) -> dict:
    """Cases of two or more reports whose primary lies in the region and was reported in the last
    `days` × 24 h (as known at now): {"total": n, "cases": newest first, each with its reports}."""
    r = resolve(conn, scope, code)
    joined, located = in_region(incident, r)
    ic = incident_case.c
    base = (select(ic.primary_id).select_from(joined.join(incident_case, ic.incident_id == incident.c.id))
            .where(located, quality.incident_ok(now), ic.primary_id == incident.c.id,
                   incident.c.reported_at >= now - dt.timedelta(days=days)))
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar() or 0
    primaries = list(conn.execute(base.order_by(incident.c.reported_at.desc(), incident.c.id.desc())
                                  .limit(limit)).scalars())
    return {"total": total, "cases": [_case(conn, p, now) for p in primaries]}


def _case(conn: Connection, primary_id: int, now: dt.datetime) -> dict:
    g = region.alias("g")
    c, ic = incident.c, incident_case.c
    rows = conn.execute(
        select(c.id, c.source, c.reported_at, c.closed_at, c.title, c.category, g.c.name.label("grid_name"),
               ic.case_code, ic.linked_by, ic.score)
        .select_from(incident.join(incident_case, ic.incident_id == c.id).outerjoin(g, g.c.code == c.grid_code))
        .where(ic.primary_id == primary_id, c.reported_at <= now)
        .order_by(c.reported_at, c.id)).all()
    return {"case_code": rows[0].case_code if rows else None, "primary_id": primary_id,
            "category": rows[0].category if rows else None,
            "reports": [_report(x, now) for x in rows]}


def case_of(conn: Connection, scope: Scope, incident_id, now: dt.datetime) -> dict:
    """The case of one report (in the scope): its code, its reports, and the officers' actions."""
    row = _incident_in_scope(conn, scope, incident_id)
    primary = conn.execute(select(incident_case.c.primary_id)
                           .where(incident_case.c.incident_id == incident_id)).scalar()
    if primary is None:
        g = region.alias("g")
        one = conn.execute(select(incident.c.id, incident.c.source, incident.c.reported_at, incident.c.closed_at,
                                  incident.c.title, g.c.name.label("grid_name"))
                           .select_from(incident.outerjoin(g, g.c.code == incident.c.grid_code))
                           .where(incident.c.id == incident_id)).first()
        out = {"case_code": case_code(incident_id, row["reported_at"]), "primary_id": incident_id,
               "reports": [_report(one, now)]}
    else:
        out = _case(conn, primary, now)
    ids = [x["id"] for x in out["reports"]] or [incident_id]
    out["actions"] = [
        {"action": a.action, "incident_id": a.incident_id, "case_code": a.case_code, "actor": a.actor,
         "at": a.at, "reason": a.reason}
        for a in conn.execute(select(case_action).where(case_action.c.incident_id.in_(ids))
                              .order_by(case_action.c.at.desc(), case_action.c.id.desc()).limit(20))]
    return out


def codes_for(conn: Connection, ids) -> dict[int, tuple[str, int]]:
    """{incident id: (case code, reports in its case)} for those of `ids` in a case of two or more."""
    ic = incident_case.c
    found: dict[int, tuple[str, int]] = {}
    ids = sorted(set(ids))
    for i in range(0, len(ids), 500):
        found.update((r.incident_id, (r.case_code, r.primary_id)) for r in conn.execute(
            select(ic.incident_id, ic.case_code, ic.primary_id).where(ic.incident_id.in_(ids[i:i + 500]))))
    primaries = sorted({p for _, p in found.values()})
    sizes: dict[int, int] = {}
    for i in range(0, len(primaries), 500):
        sizes.update(conn.execute(select(ic.primary_id, func.count()).where(ic.primary_id.in_(primaries[i:i + 500]))
                                  .group_by(ic.primary_id)).all())
    return {k: (code, sizes.get(p, 0)) for k, (code, p) in found.items()}


def actions(conn: Connection, since: dt.datetime, limit: int = 100) -> list[dict]:
    """The officers' splits and joins since `since`, newest first (an admin's or a test's read)."""
    return [dict(r._mapping) for r in conn.execute(
        select(case_action).where(case_action.c.at >= since)
        .order_by(case_action.c.at.desc(), case_action.c.id.desc()).limit(limit))]
