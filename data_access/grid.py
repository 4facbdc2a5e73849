"""一格一档: everything about one grid, personal data masked."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from . import cases, files, quality, rollups
from .privacy import mask_name, mask_phone, mask_text
from .schema import appeal, grid_state, grid_worker, incident, key_person, patrol, wechat_group
from .scope import NotInScope, RegionError, RegionNotFound, Scope, in_region, resolve, unknown
from .vocabulary import UNCLASSIFIED_TOPIC
from .vocabulary import WORKER_ROLE_NAMES as ROLE_NAMES


def profile(conn: Connection, scope: Scope, code: str, now: dt.datetime) -> dict:
    r = resolve(conn, scope, code)
    if r.level != "grid":
        raise RegionNotFound(f"{r.code} 不是网格")
    workers = [
        {"id": w.id, "name": mask_name(w.name), "role": ROLE_NAMES.get(w.role, w.role or "—"),
         "phone": mask_phone(w.phone), "party_member": bool(w.party_member)}
        for w in conn.execute(select(grid_worker).where(grid_worker.c.grid_code == r.code,
                                                        grid_worker.c.active.is_(True))
                              .order_by(grid_worker.c.id))
    ]
    key_persons = dict(conn.execute(
        select(key_person.c.category, func.count()).where(key_person.c.grid_code == r.code)
        .group_by(key_person.c.category).order_by(key_person.c.category)).all())
    wg = conn.execute(select(wechat_group).where(wechat_group.c.grid_code == r.code)).first()
    st = conn.execute(select(grid_state).where(grid_state.c.grid_code == r.code)).first()
    since = now - dt.timedelta(days=30)
    inc_j, inc_in = in_region(incident, r)
    pat_j, pat_in = in_region(patrol, r)
    app_j, app_in = in_region(appeal, r)
    recent = {
        # Events (一事一码): a case's other reports are listed below but not counted again.
        "incidents_30d": conn.execute(select(func.count()).select_from(inc_j).where(
            inc_in, quality.incident_ok(now), rollups.counts_as_event(), incident.c.reported_at >= since)).scalar(),
        "patrols_30d": conn.execute(select(func.count()).select_from(pat_j).where(
            pat_in, quality.patrol_ok(now), patrol.c.started_at >= since)).scalar(),
        "appeals_30d": conn.execute(select(func.count()).select_from(app_j).where(
            app_in, quality.appeal_ok(now), appeal.c.received_at >= since)).scalar(),
        "last_patrol_at": conn.execute(select(func.max(patrol.c.started_at)).select_from(pat_j).where(
            pat_in, quality.patrol_ok(now))).scalar(),
    }
    status_at_now = lambda row: "closed" if row.closed_at is not None and row.closed_at <= now else (  # noqa: E731
        row.status if row.status != "closed" else "in_progress")
    rows = conn.execute(
        select(incident.c.id, incident.c.reported_at, incident.c.category, incident.c.severity, incident.c.title,
               incident.c.status, incident.c.closed_at, incident.c.sla_due_at)
        .select_from(inc_j).where(inc_in, quality.incident_ok(now), incident.c.reported_at >= since)
        .order_by(incident.c.reported_at.desc()).limit(20)).all()
    codes = cases.codes_for(conn, [row.id for row in rows])  # every report listed, with its case code
    incidents = [
        {"id": row.id, "reported_at": row.reported_at, "category": row.category, "severity": row.severity,
         "title": mask_text(row.title), "status": status_at_now(row),
         "case_code": codes[row.id][0] if row.id in codes else cases.case_code(row.id, row.reported_at),
         "case_reports": codes[row.id][1] if row.id in codes else 1,
         "overdue": row.sla_due_at is not None and row.sla_due_at < now
         and (row.closed_at is None or row.closed_at > now)}
        for row in rows]
    patrols = [
        {"started_at": row.started_at, "worker": mask_name(row.name), "minutes":
         None if row.ended_at is None or row.ended_at > now else int((row.ended_at - row.started_at).total_seconds() // 60),
         "distance_m": row.distance_m, "issues_found": row.issues_found}
        for row in conn.execute(
            select(patrol.c.started_at, patrol.c.ended_at, patrol.c.distance_m, patrol.c.issues_found,
                   grid_worker.c.name)
            .select_from(pat_j.outerjoin(grid_worker, grid_worker.c.id == patrol.c.worker_id))
            .where(pat_in, quality.patrol_ok(now), patrol.c.started_at >= since)
            .order_by(patrol.c.started_at.desc()).limit(20))]
    appeals = [
        {"received_at": row.received_at, "channel": row.channel, "topic": row.topic or UNCLASSIFIED_TOPIC,
         "content": mask_text(row.content), "resolved": row.resolved_at is not None and row.resolved_at <= now}
        for row in conn.execute(
            select(appeal.c.received_at, appeal.c.channel, appeal.c.topic, appeal.c.content, appeal.c.resolved_at)
            .select_from(app_j).where(app_in, quality.appeal_ok(now), appeal.c.received_at >= since)
            .order_by(appeal.c.received_at.desc()).limit(20))]
    return {
        "recent_incidents": incidents, "recent_patrols": patrols, "recent_appeals": appeals,
        "code": r.code, "name": r.name, "is_urban": r.is_urban, "population": r.population,
        "households": r.households, "enterprises": r.enterprises,
        "workers": workers, "key_persons": key_persons,
        "register": files.grid_register(conn, r, now),  # 一户一档 · 一企一档 links
        "wechat": None if wg is None else {"total": wg.households_total, "joined": wg.households_joined},
        "state": None if st is None else {"mode": st.mode, "since": st.since, "reason": st.reason},
        **recent,
    }


def worker_contact(conn: Connection, scope: Scope, worker_id: int) -> dict:
    """One grid worker's full name and phone (the unmasking act: the caller checks the role
    and writes the audit record). Refused when the worker's grid is outside the scope."""
    if not isinstance(worker_id, int) or isinstance(worker_id, bool) or not 0 < worker_id < 2**31:
        raise RegionNotFound("网格员编号无效")
    row = conn.execute(select(grid_worker.c.id, grid_worker.c.name, grid_worker.c.phone, grid_worker.c.grid_code)
                       .where(grid_worker.c.id == worker_id)).first()
    if row is None or not row.grid_code:
        raise RegionNotFound(unknown("网格员", worker_id))
    try:
        resolve(conn, scope, row.grid_code)
    except RegionError:  # outside the scope: answered as if there were no such worker
        raise NotInScope(unknown("网格员", worker_id)) from None
    return {"id": row.id, "name": row.name, "phone": row.phone, "grid_code": row.grid_code}
