"""The duty desk (值班台): acting on warnings, their audit trail, escalation, and the alarm list.

Every change is one UPDATE guarded by the row's `version` (optimistic locking):
of two officers acting on the same warning at once, one wins and the other
gets `Conflict` with the warning as it now is — nothing is overwritten
unseen. Each change writes a `warning_action` row (who, when, what,
before/after) in the same transaction; the caller commits.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.engine import Connection

from . import regions
from .privacy import mask_name, mask_phone, mask_text
from .schema import (OPEN_WARNING_STATUSES, appeal, grid_worker, incident, key_person, region, warning,
                     warning_action)
from .scope import NotInScope, RegionError, Scope, resolve, unknown
from .vocabulary import WARNING_ACTION_NAMES, WARNING_STATUS_NAMES
from .warning_counts import has_table, subtree
from .warning_rules import WarningConfig
from .warning_silences import silenced
from .warnings import LEVEL_NAMES, RULE_NAMES, SYSTEM, _change, _out, _plain, list_warnings

STATUS_NAMES = WARNING_STATUS_NAMES
ACTION_NAMES = WARNING_ACTION_NAMES
# action -> (statuses it may start from, status it leads to)
TRANSITIONS = {
    "acknowledge": (("new",), "acknowledged"),
    "assign": (OPEN_WARNING_STATUSES, "assigned"),
    "resolve": (OPEN_WARNING_STATUSES, "resolved"),
    "dismiss": (OPEN_WARNING_STATUSES, "dismissed"),
    "reopen": (("resolved", "dismissed"), "acknowledged"),
}
NEEDS_COMMENT = ("resolve", "dismiss", "reopen")
MAX_TEXT = 500
MAX_NAME = 64
ALARM_LEVELS = ("red", "orange")
SYSTEM_NAME = "系统自动"  # what a person reads where the machine acted (audit rows say "system")


def actor_name(actor: str | None) -> str | None:
    """Who acted, as the desk shows it: the machine in Chinese, people by their account name."""
    return SYSTEM_NAME if actor == SYSTEM else actor


def allowed_actions(status) -> set[str]:
    """The officer's actions that apply to a warning in `status` (the desk's live buttons)."""
    return {a for a, (starts, _) in TRANSITIONS.items() if status in starts}


class WarningNotFound(RegionError):
    status = 404


class ActionRefused(ValueError):
    """The action does not fit the warning (wrong state, missing comment): a 400 with a reason."""
    status = 400


class Conflict(Exception):
    """Someone changed the warning first; `current` is the warning as it now is."""
    status = 409

    def __init__(self, current: dict):
        by = actor_name(current.get("last_actor")) or "他人"
        super().__init__(f"该预警已被 {by} 处理为“{STATUS_NAMES.get(current['status'], current['status'])}”，"
                         "请查看最新状态后再操作")
        self.current = current


def _row(conn: Connection, warning_id) -> object:
    if not isinstance(warning_id, int) or isinstance(warning_id, bool) or not 0 < warning_id < 2**31:
        raise WarningNotFound("预警编号无效")
    row = conn.execute(select(warning, region.c.name.label("region_name"))
                       .select_from(warning.outerjoin(region, region.c.code == warning.c.region_code))
                       .where(warning.c.id == warning_id)).first()
    if row is None:
        raise WarningNotFound(unknown("预警", warning_id))
    return row


def get(conn: Connection, scope: Scope, warning_id: int) -> dict:
    """One warning, if its region is inside the caller's scope (else OutOfScope, 403)."""
    row = _row(conn, warning_id)
    try:
        resolve(conn, scope, row.region_code)
    except RegionError:  # outside the scope: answered as if there were no such warning
        raise NotInScope(unknown("预警", warning_id)) from None
    out = _out(row)
    out["last_actor"] = conn.execute(
        select(warning_action.c.actor).where(warning_action.c.warning_id == row.id)
        .order_by(warning_action.c.id.desc()).limit(1)).scalar()
    return out


def _clean(text, limit: int, what: str) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ActionRefused(f"{what}格式不对")
    text = " ".join(text.replace("\x00", " ").split())  # PostgreSQL text cannot hold NUL
    if len(text) > limit:
        raise ActionRefused(f"{what}不能超过 {limit} 字")
    return text


def act(conn: Connection, scope: Scope, warning_id: int, version: int, action: str, actor: str,
        now: dt.datetime, comment: str | None = None, assignee: str | None = None) -> dict:
    """Apply an officer's action; returns the warning after it. The caller commits."""
    if action not in TRANSITIONS:
        raise ActionRefused(f"未知操作 {str(action)[:20]}")
    actor = _clean(actor, MAX_NAME, "处理人")
    comment = _clean(comment, MAX_TEXT, "处理意见")
    assignee = _clean(assignee, MAX_NAME, "承办单位/人")
    if not actor:
        raise ActionRefused("请先填写处理人")
    if action in NEEDS_COMMENT and not comment:
        raise ActionRefused(f"{ACTION_NAMES[action]}需要填写处理意见")
    if action == "assign" and not assignee:
        raise ActionRefused("指派需要填写承办单位或人员")
    current = get(conn, scope, warning_id)
    if not isinstance(version, int) or current["version"] != version:
        raise Conflict(current)
    starts, to = TRANSITIONS[action]
    if current["status"] not in starts:
        raise ActionRefused(f"“{STATUS_NAMES[current['status']]}”的预警不能{ACTION_NAMES[action]}")

    values: dict = {"status": to}
    if action == "assign":
        values["assignee"] = assignee
    if current["status"] == "new" and action != "reopen":  # any first touch acknowledges it
        values.update(acknowledged_at=now, acknowledged_by=actor)
    if action == "reopen":
        values["cleared_at"] = None
    before = {k: current.get(k) for k in ("status", "assignee", "acknowledged_by")}
    done = conn.execute(update(warning).where(warning.c.id == warning_id, warning.c.version == version)
                        .values(**values, version=version + 1, updated_at=now)).rowcount
    if not done:  # changed between our read and our write
        raise Conflict(get(conn, scope, warning_id))
    conn.execute(insert(warning_action).values(
        warning_id=warning_id, action=action, actor=actor, at=now, comment=comment or None,
        before=json.dumps(before, ensure_ascii=False),
        after=json.dumps({k: _plain(v) for k, v in values.items()}, ensure_ascii=False)))
    return get(conn, scope, warning_id)


def history(conn: Connection, scope: Scope, warning_id: int) -> list[dict]:
    """The audit trail of one warning, oldest first."""
    get(conn, scope, warning_id)
    rows = conn.execute(select(warning_action).where(warning_action.c.warning_id == warning_id)
                        .order_by(warning_action.c.at, warning_action.c.id))
    return [{"action": r.action, "action_name": ACTION_NAMES.get(r.action, r.action), "actor": r.actor,
             "actor_name": actor_name(r.actor),
             "at": r.at, "comment": r.comment, "before": _json(r.before), "after": _json(r.after)}
            for r in rows]


def _json(text):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


# --- queue and alarm ---------------------------------------------------------

def queue(conn: Connection, scope: Scope, code: str | None, now: dt.datetime, statuses=None,
          levels=None, rules=None, limit: int = 300) -> list[dict]:
    """The desk's queue: most severe, then newest first, filtered (None = all)."""
    rows = list_warnings(conn, scope, code, now, tuple(statuses or OPEN_WARNING_STATUSES), limit=limit,
                         levels=levels, rules=rules)
    return rows


def alarms(conn: Connection, scope: Scope, code: str | None, now: dt.datetime, limit: int = 20) -> list[dict]:
    """Red and orange warnings nobody has acknowledged yet: what every screen of the region sounds for."""
    return list_warnings(conn, scope, code, now, ("new",), limit=limit, levels=ALARM_LEVELS, silenced=False)


def alarm_counts(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> dict:
    """{level: how many wait} of every unacknowledged red/orange warning of the subtree that no
    silence holds (the banner's counts; the list above stops at its limit)."""
    r = resolve(conn, scope, code)
    if not has_table(conn):
        return {}
    joined, inside, g = subtree(r)
    rows = conn.execute(select(warning.c.level, func.count()).select_from(joined)
                        .where(inside, warning.c.status == "new", warning.c.level.in_(ALARM_LEVELS),
                               warning.c.created_at <= now, ~silenced(g, now)).group_by(warning.c.level))
    return dict(rows.all())


# --- escalation --------------------------------------------------------------

def _chain(row) -> list[str]:
    """The levels above the warning's owner: a grid/village/township warning belongs to its
    township, so it goes up to the county, then the city; a county's goes to the city."""
    if row.level in ("grid", "village", "township"):
        return [c for c in (row.county_code, row.city_code) if c]
    if row.level == "county":
        return [row.city_code] if row.city_code else []
    return []


def escalate(conn: Connection, now: dt.datetime, config: WarningConfig | None = None) -> list[dict]:
    """Move unacknowledged red/orange warnings one level up per interval; returns what moved.
    A silenced warning does not escalate (the silence is someone's decision about it); its clock
    still runs, so once the silence ends an old one moves up at once."""
    cfg = config or WarningConfig()
    minutes = dict(cfg.escalate_minutes)
    rows = conn.execute(
        select(warning.c.id, warning.c.level.label("wlevel"), warning.c.version, warning.c.created_at,
               warning.c.escalated, warning.c.escalated_to, warning.c.region_code, region.c.level,
               region.c.county_code, region.c.city_code)
        .select_from(warning.join(region, region.c.code == warning.c.region_code))
        .where(warning.c.status == "new", warning.c.level.in_(tuple(minutes)), warning.c.created_at <= now,
               ~silenced(region, now)))
    names = dict(conn.execute(select(region.c.code, region.c.name).where(region.c.level.in_(("county", "city")))).all())
    moved = []
    for row in rows.all():
        chain = _chain(row)
        steps = int((now - row.created_at).total_seconds() // (60 * minutes[row.wlevel]))
        if not chain or steps < 1:
            continue
        target = chain[min(steps, len(chain)) - 1]
        if target == row.escalated_to:
            continue
        comment = (f"{LEVEL_NAMES[row.wlevel]}色预警 {minutes[row.wlevel] * steps} 分钟未确认，"
                   f"升级至{names.get(target, target)}")
        lock = type("R", (), {"id": row.id, "version": row.version, "escalated": row.escalated,
                              "escalated_to": row.escalated_to})
        if _change(conn, lock, now, "escalate", {"escalated": True, "escalated_to": target}, comment):
            moved.append({"id": row.id, "escalated_to": target, "reason": comment})
    return moved


# --- what a screen shows about one warning ----------------------------------------

def focus(conn: Connection, scope: Scope, warning_id: int, now: dt.datetime) -> dict:
    """Everything the takeover screen needs: the warning, where it is, the records behind it
    (masked), the grid workers nearest to it and the SLA deadline."""
    w = get(conn, scope, warning_id)
    r = resolve(conn, scope, w["region"])
    parent = r.parent_code if r.parent_code and r.level != scope.level else r.code
    try:
        area = resolve(conn, scope, parent)
    except RegionError:
        area = r
    ev = w.get("evidence") or {}
    return {"warning": w, "region": r, "area": area,
            "geojson": regions.children_geojson(conn, scope, area.code),
            "incidents": _incidents(conn, ev.get("incident"), now),
            "appeals": _appeals(conn, ev.get("appeal")),
            "key_persons": _key_persons(conn, ev.get("key_person")),
            "workers": _workers(conn, r),
            "rule_name": RULE_NAMES.get(w["rule"], w["rule"])}


def _ids(values, limit=20) -> list[int]:
    out = []
    for v in (values or [])[:limit] if isinstance(values, list) else []:
        if isinstance(v, int) and not isinstance(v, bool):
            out.append(v)
    return out


def _incidents(conn, ids, now) -> list[dict]:
    ids = _ids(ids)
    if not ids:
        return []
    rows = conn.execute(select(incident.c.id, incident.c.category, incident.c.severity, incident.c.title,
                               incident.c.grid_code, incident.c.reported_at, incident.c.sla_due_at,
                               incident.c.closed_at).where(incident.c.id.in_(ids)).order_by(incident.c.id))
    return [{"id": r.id, "category": r.category, "severity": r.severity, "title": mask_text(r.title),
             "grid_code": r.grid_code, "reported_at": r.reported_at, "sla_due_at": r.sla_due_at,
             "closed": r.closed_at is not None and r.closed_at <= now} for r in rows]


def _appeals(conn, ids) -> list[dict]:
    ids = _ids(ids)
    if not ids:
        return []
    rows = conn.execute(select(appeal.c.id, appeal.c.channel, appeal.c.received_at, appeal.c.content,
                               appeal.c.topic, appeal.c.grid_code).where(appeal.c.id.in_(ids))
                        .order_by(appeal.c.received_at))
    return [{"id": r.id, "channel": r.channel, "received_at": r.received_at, "content": mask_text(r.content),
             "topic": r.topic, "grid_code": r.grid_code} for r in rows]


def _key_persons(conn, ids) -> list[dict]:
    ids = _ids(ids)
    if not ids:
        return []
    rows = conn.execute(select(key_person.c.id, key_person.c.name, key_person.c.category,
                               key_person.c.risk_level, key_person.c.grid_code)
                        .where(key_person.c.id.in_(ids)))
    return [{"id": r.id, "name": mask_name(r.name), "category": r.category, "risk_level": r.risk_level,
             "grid_code": r.grid_code} for r in rows]


def _workers(conn, r, limit: int = 8) -> list[dict]:
    """Grid workers nearest the warning: its own grid's first, then the rest of its village."""
    if r.level not in ("grid", "village"):
        return []
    village = r.village_code if r.level == "grid" else r.code
    grids = select(region.c.code).where(region.c.village_code == village, region.c.level == "grid")
    own = case((grid_worker.c.grid_code == r.code, 0), else_=1)
    rows = conn.execute(
        select(grid_worker.c.name, grid_worker.c.role, grid_worker.c.phone, grid_worker.c.grid_code)
        .where(grid_worker.c.grid_code.in_(grids), grid_worker.c.active.is_not(False))
        .order_by(own, grid_worker.c.grid_code, grid_worker.c.id).limit(limit))
    return [{"name": mask_name(w.name), "role": w.role, "phone": mask_phone(w.phone), "grid_code": w.grid_code}
            for w in rows]
