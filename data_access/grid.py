"""一格一档: everything about one grid, personal data masked."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from . import quality
from .privacy import mask_name, mask_phone
from .schema import appeal, grid_state, grid_worker, incident, key_person, patrol, wechat_group
from .scope import RegionNotFound, Scope, in_region, resolve

ROLE_NAMES = {"grid_leader": "网格长", "full_time": "专职网格员", "part_time": "兼职网格员",
              "liaison_cadre": "包联干部", "first_grid_leader": "第一网格长"}


def profile(conn: Connection, scope: Scope, code: str, now: dt.datetime) -> dict:
    r = resolve(conn, scope, code)
    if r.level != "grid":
        raise RegionNotFound(f"{code} 不是网格")
    workers = [
        {"name": mask_name(w.name), "role": ROLE_NAMES.get(w.role, w.role or "—"),
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
        "incidents_30d": conn.execute(select(func.count()).select_from(inc_j).where(
            inc_in, quality.incident_ok(now), incident.c.reported_at >= since)).scalar(),
        "patrols_30d": conn.execute(select(func.count()).select_from(pat_j).where(
            pat_in, quality.patrol_ok(now), patrol.c.started_at >= since)).scalar(),
        "appeals_30d": conn.execute(select(func.count()).select_from(app_j).where(
            app_in, quality.appeal_ok(now), appeal.c.received_at >= since)).scalar(),
        "last_patrol_at": conn.execute(select(func.max(patrol.c.started_at)).select_from(pat_j).where(
            pat_in, quality.patrol_ok(now))).scalar(),
    }
    return {
        "code": r.code, "name": r.name, "is_urban": r.is_urban, "population": r.population,
        "households": r.households, "enterprises": r.enterprises,
        "workers": workers, "key_persons": key_persons,
        "wechat": None if wg is None else {"total": wg.households_total, "joined": wg.households_joined},
        "state": None if st is None else {"mode": st.mode, "since": st.since, "reason": st.reason},
        **recent,
    }
