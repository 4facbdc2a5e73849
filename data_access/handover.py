"""Shift handover (交接班): what the duty desk did during one shift, and the two officers' sign-offs.

A shift runs from one of the SHIFTS times (Asia/Shanghai) to the next. Its sheet counts, for a
region's subtree, the warnings raised, acknowledged, resolved, dismissed and escalated during
the shift (from the audit trail, `warning_action`, which is append-only and so says what
happened at the time) and those still open and overdue at its end (each warning's status
replayed from the same trail), by level and by sub-region, with the officers' comments.

The outgoing officer signs first (交班): the sheet is then written with its figures as JSON,
and what anybody sees of that shift from then on is that JSON, not a recount; the incoming
officer signs (接班) the same figures. A later change in the data does not alter a sheet that
has been handed over. The caller commits, with its audit row in the same transaction.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from sqlalchemy import insert, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from .privacy import mask_text
from .schema import (OPEN_WARNING_STATUSES, WARNING_LEVELS, handover, handover_signoff, region, warning,
                     warning_action)
from .scope import Region, RegionError, Scope, level_column, resolve
from .timeutil import SHANGHAI
from .warning_rules import WarningConfig

ROLES = ("outgoing", "incoming")
ROLE_NAMES = {"outgoing": "交班", "incoming": "接班"}
COUNTS = ("raised", "acknowledged", "resolved", "dismissed", "escalated", "open", "overdue")
COUNT_NAMES = {"raised": "新发", "acknowledged": "确认", "resolved": "办结", "dismissed": "驳回",
               "escalated": "升级", "open": "未关闭", "overdue": "超时未确认"}
# The status an action leaves a warning in; escalate and upgrade leave it as it was.
_STATUS_AFTER = {"raise": "new", "acknowledge": "acknowledged", "assign": "assigned", "resolve": "resolved",
                 "auto_resolve": "resolved", "dismiss": "dismissed"}
_STATUS_ACTIONS = (*_STATUS_AFTER, "reopen")
SYSTEM = "system"
# The outgoing officer may sign this long before the shift ends (handover is done before the
# hour, not after it); figures then count up to the signing.
SIGN_EARLY = dt.timedelta(minutes=60)
MAX_OPEN_LISTED, MAX_COMMENTS = 100, 200
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")


class HandoverError(RegionError):
    """A refusal with a reason for the officer (400)."""
    status = 400


class NotYet(HandoverError):
    status = 409


# --- shifts ------------------------------------------------------------------------------------

def parse_times(text: str) -> tuple[dt.time, ...]:
    """'08:00,20:00' → the shift starts of a day, sorted; anything else is a ValueError."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts or any(not _TIME.match(p) for p in parts):
        raise ValueError(f"SHIFTS should be HH:MM times separated by commas, not {text!r}")
    times = sorted({dt.time(int(p[:2]), int(p[3:])) for p in parts})
    return tuple(times)


@dataclass(frozen=True)
class Shift:
    start: dt.datetime  # aware UTC
    end: dt.datetime

    @property
    def key(self) -> str:
        """The local start, '2026-11-19T20:00': how a page and a URL name the shift."""
        return self.start.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")

    @property
    def label(self) -> str:
        a, b = self.start.astimezone(SHANGHAI), self.end.astimezone(SHANGHAI)
        tail = f"{b:%H:%M}" if a.date() == b.date() else f"{b.month}月{b.day}日{b:%H:%M}"
        return f"{a.month}月{a.day}日{a:%H:%M}—{tail}"


def _starts_around(times, day: dt.date) -> list[dt.datetime]:
    return [dt.datetime.combine(day + dt.timedelta(days=d), t, SHANGHAI) for d in (-1, 0, 1) for t in times]


def shift_at(times, instant: dt.datetime) -> Shift:
    """The shift that `instant` falls in."""
    local = instant.astimezone(SHANGHAI)
    starts = _starts_around(times, local.date())
    i = max(k for k, s in enumerate(starts) if s <= local)
    return Shift(starts[i].astimezone(dt.timezone.utc), starts[i + 1].astimezone(dt.timezone.utc))


def recent_shifts(times, now: dt.datetime, count: int = 6) -> list[Shift]:
    """The running shift and the ones before it, newest first."""
    out = [shift_at(times, now)]
    while len(out) < count:
        out.append(shift_at(times, out[-1].start - dt.timedelta(seconds=1)))
    return out


def default_shift(times, now: dt.datetime) -> Shift:
    """The shift a handover is about now: the running one in its last hour, else the one just ended."""
    running = shift_at(times, now)
    return running if now >= running.end - SIGN_EARLY else shift_at(times, running.start - dt.timedelta(seconds=1))


def parse_shift(times, key, now: dt.datetime) -> Shift:
    """A shift named by a client ('2026-11-19T20:00'): one of the SHIFTS starts, begun by `now`."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise HandoverError("班次格式错误")
    try:
        local = dt.datetime.strptime(key, "%Y-%m-%dT%H:%M").replace(tzinfo=SHANGHAI)
    except ValueError:
        raise HandoverError("班次格式错误") from None
    shift = shift_at(times, local)
    if shift.start != local.astimezone(dt.timezone.utc):
        raise HandoverError("不是设定的交班时间")
    if shift.start > now:
        raise HandoverError("该班次尚未开始")
    return shift


# --- the figures -------------------------------------------------------------------------------

def _blank() -> dict:
    return dict.fromkeys(COUNTS, 0)


def _json_before(text) -> dict:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _status_after(action: str, actor: str | None) -> str | None:
    if action == "reopen":  # the condition came back (the machine) or an officer took it up again
        return "new" if actor == SYSTEM else "acknowledged"
    return _STATUS_AFTER.get(action)


def _open_at(conn: Connection, r: Region, at: dt.datetime, cfg: WarningConfig) -> dict[int, dict]:
    """{warning id: {"status", "raised_at", "overdue"}} of the warnings open at `at`.

    A warning whose row has not changed since `at` was then as it is now; the others (changed
    later) are replayed from their status-changing actions up to `at`."""
    g = region.alias("g")
    inside = level_column(g, r.level) == r.code
    rows = conn.execute(
        select(warning.c.id, warning.c.status, warning.c.created_at, warning.c.updated_at)
        .select_from(warning.join(g, g.c.code == warning.c.region_code))
        .where(inside, or_(warning.c.status.in_(OPEN_WARNING_STATUSES), warning.c.updated_at > at))).all()
    state = {}
    replay = []
    for w in rows:
        if w.updated_at <= at:
            if w.created_at <= at and w.status in OPEN_WARNING_STATUSES:
                state[w.id] = {"status": w.status, "raised_at": w.created_at}
        else:
            replay.append(w.id)
    for i in range(0, len(replay), 500):
        acts = conn.execute(
            select(warning_action.c.warning_id, warning_action.c.action, warning_action.c.actor,
                   warning_action.c.at)
            .where(warning_action.c.warning_id.in_(replay[i:i + 500]), warning_action.c.at <= at,
                   warning_action.c.action.in_(_STATUS_ACTIONS))
            .order_by(warning_action.c.at, warning_action.c.id))
        for a in acts:
            status = _status_after(a.action, a.actor)
            raised = a.at if status == "new" else state.get(a.warning_id, {}).get("raised_at", a.at)
            state[a.warning_id] = {"status": status, "raised_at": raised}
    deadlines = {level: dt.timedelta(minutes=m) for level, m in cfg.escalate_minutes}
    out = {}
    for wid, s in state.items():
        if s["status"] in OPEN_WARNING_STATUSES:
            out[wid] = s
    if out:
        levels = {}
        ids = sorted(out)
        for i in range(0, len(ids), 500):
            levels.update(conn.execute(select(warning.c.id, warning.c.level)
                                       .where(warning.c.id.in_(ids[i:i + 500]))).all())
        for wid, s in out.items():
            limit = deadlines.get(levels.get(wid))
            s["overdue"] = bool(s["status"] == "new" and limit is not None and at - s["raised_at"] > limit)
    return out


def _warnings(conn: Connection, r: Region, ids) -> dict[int, object]:
    """The warnings' level, rule, reason and place (their child of `r` included)."""
    g = region.alias("g")
    child = level_column(g, r.child_level) if r.child_level else g.c.code
    out = {}
    ids = sorted(ids)
    for i in range(0, len(ids), 500):
        rows = conn.execute(
            select(warning.c.id, warning.c.level, warning.c.rule, warning.c.reason, warning.c.status,
                   warning.c.region_code, g.c.name.label("region_name"), child.label("child"))
            .select_from(warning.join(g, g.c.code == warning.c.region_code))
            .where(warning.c.id.in_(ids[i:i + 500])))
        out.update((row.id, row) for row in rows)
    return out


def figures(conn: Connection, scope: Scope, code, shift: Shift, now: dt.datetime,
            config: WarningConfig | None = None) -> dict:
    """The sheet of `shift` for region `code`'s subtree, counted now from the tables (plain JSON data)."""
    r = resolve(conn, scope, code)
    cfg = config or WarningConfig()
    as_of = min(shift.end, now)
    g = region.alias("g")
    acts = conn.execute(
        select(warning_action.c.id, warning_action.c.warning_id, warning_action.c.action, warning_action.c.actor,
               warning_action.c.at, warning_action.c.comment, warning_action.c.before)
        .select_from(warning_action.join(warning, warning.c.id == warning_action.c.warning_id)
                     .join(g, g.c.code == warning.c.region_code))
        .where(level_column(g, r.level) == r.code, warning_action.c.at >= shift.start,
               warning_action.c.at < as_of)
        .order_by(warning_action.c.at, warning_action.c.id)).all()
    did: dict[str, set] = {k: set() for k in ("raised", "acknowledged", "resolved", "dismissed", "escalated")}
    comments = []
    for a in acts:
        person = a.actor != SYSTEM
        if a.action == "raise" or (a.action == "reopen" and not person):
            did["raised"].add(a.warning_id)
        if person and a.action != "reopen" and _json_before(a.before).get("status") == "new":
            did["acknowledged"].add(a.warning_id)  # any first touch by an officer acknowledges (the desk's rule)
        if a.action in ("resolve", "auto_resolve"):
            did["resolved"].add(a.warning_id)
        if a.action == "dismiss":
            did["dismissed"].add(a.warning_id)
        if a.action == "escalate":
            did["escalated"].add(a.warning_id)
        if person and a.comment:
            comments.append(a)
    still = _open_at(conn, r, as_of, cfg)
    info = _warnings(conn, r, set().union(*did.values(), still, (a.warning_id for a in comments)))
    children = conn.execute(select(region.c.code, region.c.name).where(region.c.parent_code == r.code)
                            .order_by(region.c.code)).all() if r.child_level else []
    by_level = {lv: _blank() for lv in WARNING_LEVELS}
    by_child = {c.code: _blank() for c in children}
    own = _blank()  # warnings on the region itself, not on any of its children
    total = _blank()

    def add(wid, key):
        w = info.get(wid)
        if w is None:
            return
        total[key] += 1
        by_level.setdefault(w.level, _blank())[key] += 1
        (by_child[w.child] if r.child_level and w.child in by_child else own)[key] += 1

    for key, ids in did.items():
        for wid in ids:
            add(wid, key)
    for wid, s in still.items():
        add(wid, "open")
        if s["overdue"]:
            add(wid, "overdue")
    rank = {lv: i for i, lv in enumerate(WARNING_LEVELS)}
    open_rows = sorted((wid for wid in still if wid in info),
                       key=lambda wid: (rank.get(info[wid].level, 9), still[wid]["raised_at"]))
    regions_out = [{"code": c.code, "name": c.name, **by_child[c.code]} for c in children]
    if any(own.values()) or not r.child_level:
        regions_out.append({"code": r.code, "name": f"{r.name}（本级）" if r.child_level else r.name, **own})
    return {
        "region": {"code": r.code, "name": r.name, "level": r.level},
        "shift": {"key": shift.key, "label": shift.label, "start": shift.start.isoformat(),
                  "end": shift.end.isoformat()},
        "as_of": as_of.isoformat(),
        "totals": total,
        "by_level": [{"level": lv, **by_level[lv]} for lv in by_level],
        "by_region": regions_out,
        "open_list": [{"id": wid, "level": info[wid].level, "rule": info[wid].rule,
                       "region_name": info[wid].region_name, "status": still[wid]["status"],
                       "raised_at": still[wid]["raised_at"].isoformat(), "overdue": still[wid]["overdue"],
                       "reason": mask_text(info[wid].reason)} for wid in open_rows[:MAX_OPEN_LISTED]],
        "comments": [{"at": a.at.isoformat(), "actor": a.actor, "action": a.action, "warning_id": a.warning_id,
                      "level": info[a.warning_id].level if a.warning_id in info else None,
                      "region_name": info[a.warning_id].region_name if a.warning_id in info else None,
                      "comment": mask_text(a.comment)} for a in comments[:MAX_COMMENTS]],
        "listed": {"open": len(open_rows), "comments": len(comments)},
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the stored sheet and its sign-offs -------------------------------------------------------------

def _stored(conn: Connection, region_code: str, shift: Shift):
    return conn.execute(select(handover).where(handover.c.region_code == region_code,
                                               handover.c.shift_start == shift.start)).first()


def _signoffs(conn: Connection, region_code: str, shift: Shift) -> dict[str, dict]:
    rows = conn.execute(select(handover_signoff).where(handover_signoff.c.region_code == region_code,
                                                       handover_signoff.c.shift_start == shift.start))
    return {s.role: {"role": s.role, "role_name": ROLE_NAMES.get(s.role, s.role), "username": s.username,
                     "signed_at": s.signed_at.isoformat(), "figures_sha256": s.figures_sha256} for s in rows}


def sheet(conn: Connection, scope: Scope, code, shift: Shift, now: dt.datetime,
          config: WarningConfig | None = None) -> dict:
    """What the page and the files show: the stored sheet once handed over, else a live count.

    {"figures", "signoffs": {role: …}, "state": "open" | "handed" | "signed", "intact": bool}"""
    r = resolve(conn, scope, code)
    row = _stored(conn, r.code, shift)
    if row is None:
        return {"figures": figures(conn, scope, r, shift, now, config), "signoffs": {}, "state": "open",
                "intact": True, "signable": now >= shift.end - SIGN_EARLY}
    signs = _signoffs(conn, r.code, shift)
    # The stored JSON is checked against what each officer signed: an edit behind the app shows.
    intact = _digest(row.figures) == row.figures_sha256 and all(
        s["figures_sha256"] == row.figures_sha256 for s in signs.values())
    return {"figures": json.loads(row.figures), "signoffs": signs,
            "state": "signed" if len(signs) == len(ROLES) else "handed", "intact": intact, "signable": True}


class AlreadySigned(HandoverError):
    """Another officer signed the same sheet or role a moment earlier (the tables' keys)."""


def _insert_once(conn: Connection, statement) -> None:
    try:
        conn.execute(statement)
    except IntegrityError:
        raise AlreadySigned("该签字已由他人先行完成，请查看最新状态。") from None


def sign(conn: Connection, scope: Scope, code, shift: Shift, role: str, username: str, now: dt.datetime,
         config: WarningConfig | None = None) -> dict:
    """Sign the sheet as the outgoing (交班) or incoming (接班) officer; returns the sheet after it.

    交班 writes the sheet with its figures; 接班 signs those same figures, by another officer.
    The caller audits and commits in the same transaction; two officers signing the same role
    at once meet the primary key (AlreadySigned for the second)."""
    if role not in ROLES:
        raise HandoverError("签署类型无效")
    if not isinstance(username, str) or not username:
        raise HandoverError("未登录")
    r = resolve(conn, scope, code)
    if now < shift.end - SIGN_EARLY:
        raise NotYet(f"本班次 {shift.label} 尚未到交班时间（结束前 {SIGN_EARLY.seconds // 60} 分钟起可交班）")
    row = _stored(conn, r.code, shift)
    if role == "outgoing":
        if row is not None:
            by = _signoffs(conn, r.code, shift).get("outgoing", {}).get("username", "他人")
            raise NotYet(f"本班已由 {by} 交班，不能重复交班")
        text = json.dumps(figures(conn, scope, r, shift, now, config), ensure_ascii=False, sort_keys=True)
        digest = _digest(text)
        _insert_once(conn, insert(handover).values(
            region_code=r.code, shift_start=shift.start, shift_end=shift.end, as_of=min(shift.end, now),
            figures=text, figures_sha256=digest, created_at=now))
    else:
        if row is None:
            raise NotYet("交班人尚未签署，接班须在交班之后")
        signs = _signoffs(conn, r.code, shift)
        if "incoming" in signs:
            raise NotYet(f"本班已由 {signs['incoming']['username']} 接班")
        if signs.get("outgoing", {}).get("username") == username:
            raise HandoverError("交班人与接班人不能是同一人")
        digest = row.figures_sha256
    _insert_once(conn, insert(handover_signoff).values(region_code=r.code, shift_start=shift.start, role=role,
                                                       username=username, signed_at=now, figures_sha256=digest))
    return sheet(conn, scope, r, shift, now, config)
