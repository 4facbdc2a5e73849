"""Silences of the duty desk (静默, docs/warnings.md): a rule — or every rule — in a region's
subtree stops sounding, flashing, escalating and being pushed off-screen for a stated time, with
a reason, by a named officer, as Grafana's silences do. The warnings themselves are still raised
and stay on the desk's list (marked 已静默); when the silence ends (its time runs out, or an
officer ends it early) whatever still waits sounds again.

A silence is matched when read (`silenced`), not stamped on warnings, so it starts and ends at
its exact minute whatever the evaluator's interval. The caller commits and writes the audit row.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.engine import Connection

from .schema import LEVELS, region, warning, warning_silence
from .scope import Region, RegionError, Scope, level_column, resolve
from .vocabulary import WARNING_RULE_NAMES

MIN_MINUTES = 10
MAX_MINUTES = 72 * 60  # longer than three days is a change of the rule, not a silence
MAX_REASON = 500
MAX_NAME = 64


class SilenceRefused(ValueError):
    """A silence that cannot be made or ended (bad duration, no reason, already over): a 400."""
    status = 400


def _active(now: dt.datetime):
    s = warning_silence.c
    return and_(s.starts_at <= now, s.ends_at > now, s.cancelled_at.is_(None))


def silenced(g, now: dt.datetime):
    """SQL: the warning (joined with its region as `g`) is under an active silence now."""
    s = warning_silence.c
    where_match = or_(*(and_(s.region_level == level, s.region_code == level_column(g, level))
                        for level in LEVELS))
    return exists(select(s.id).where(_active(now), or_(s.rule.is_(None), s.rule == warning.c.rule), where_match))


def _text(value, limit: int, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SilenceRefused(f"{what}格式不对")
    value = " ".join(value.replace("\x00", " ").split())
    if len(value) > limit:
        raise SilenceRefused(f"{what}不能超过 {limit} 字")
    return value


def _out(row) -> dict:
    m = row._mapping
    return {"id": m["id"], "rule": m["rule"], "rule_name": WARNING_RULE_NAMES.get(m["rule"], "全部规则"),
            "region": m["region_code"], "region_name": m.get("region_name"),
            "starts_at": m["starts_at"], "ends_at": m["ends_at"], "reason": m["reason"],
            "created_by": m["created_by"], "created_at": m["created_at"],
            "cancelled_at": m["cancelled_at"], "cancelled_by": m["cancelled_by"]}


def add(conn: Connection, scope: Scope, rule: str | None, region: Region | str, minutes, reason, actor: str,
        now: dt.datetime) -> dict:
    """Silence `rule` (None: every rule) in the subtree of `region` for `minutes` from now."""
    if rule is not None and rule not in WARNING_RULE_NAMES:
        raise SilenceRefused(f"未知规则 {str(rule)[:20]}")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise SilenceRefused(f"静默时长须在 {MIN_MINUTES} 分钟到 {MAX_MINUTES // 60} 小时之间")
    reason = _text(reason, MAX_REASON, "静默原因")
    actor = _text(actor, MAX_NAME, "操作人")
    if not reason:
        raise SilenceRefused("静默需要填写原因")
    if not actor:
        raise SilenceRefused("缺少操作人")
    r = region if isinstance(region, Region) else resolve(conn, scope, region)
    sid = conn.execute(insert(warning_silence).values(
        rule=rule, region_code=r.code, region_level=r.level, starts_at=now,
        ends_at=now + dt.timedelta(minutes=minutes), reason=reason, created_by=actor,
        created_at=now)).inserted_primary_key[0]
    return get(conn, scope, sid)


def get(conn: Connection, scope: Scope, silence_id) -> dict:
    """One silence, if its region is inside the caller's scope (else answered as unknown)."""
    if not isinstance(silence_id, int) or isinstance(silence_id, bool):
        raise SilenceRefused("静默编号格式不对")
    row = conn.execute(select(warning_silence).where(warning_silence.c.id == silence_id)).first()
    try:
        if row is None:
            raise RegionError("")
        r = resolve(conn, scope, row.region_code)
    except RegionError:
        raise SilenceRefused(f"没有编号为 {silence_id} 的静默") from None
    out = _out(row)
    out["region_name"] = r.name
    return out


def cancel(conn: Connection, scope: Scope, silence_id, actor: str, now: dt.datetime) -> dict:
    """End an active silence now (解除静默); what it held sounds again at the next poll."""
    actor = _text(actor, MAX_NAME, "操作人")
    current = get(conn, scope, silence_id)
    if current["cancelled_at"] is not None or current["ends_at"] <= now:
        raise SilenceRefused("该静默已结束")
    done = conn.execute(update(warning_silence).where(warning_silence.c.id == silence_id,
                                                      warning_silence.c.cancelled_at.is_(None))
                        .values(cancelled_at=now, cancelled_by=actor)).rowcount
    if not done:
        raise SilenceRefused("该静默已被他人解除")
    return get(conn, scope, silence_id)


def listing(conn: Connection, scope: Scope, r: Region, now: dt.datetime, recent_hours: int = 24) -> list[dict]:
    """The silences a desk at `r` should see: active ones (and those ended in the last
    `recent_hours`) on `r`, inside it, or above it within the caller's scope; newest first."""
    s = warning_silence.c
    ancestors = [r.ancestor(level) for level in LEVELS[:LEVELS.index(r.level)]]
    below = level_column(region, r.level) == r.code
    rows = conn.execute(
        select(warning_silence, region.c.name.label("region_name"))
        .select_from(warning_silence.join(region, region.c.code == s.region_code))
        .where(or_(below, s.region_code.in_([a for a in ancestors if a])),
               s.ends_at > now - dt.timedelta(hours=recent_hours))
        .order_by(s.created_at.desc(), s.id.desc()).limit(100)).all()
    out = []
    for row in rows:
        try:
            resolve(conn, scope, row.region_code)
        except RegionError:
            continue  # a silence above the caller's scope is not theirs to see or end
        item = _out(row)
        item["active"] = row.cancelled_at is None and row.starts_at <= now < row.ends_at
        out.append(item)
    return out
