"""The warnings board: what the 预警研判 wall shows of a region's subtree at a moment.

Open warnings by level, by child region and by age; what was raised and closed per day;
how fast the desk acknowledges. Counts come from the warning table itself (every open
warning, not the queue's first page); days are Asia/Shanghai calendar days.
"""
from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .schema import OPEN_WARNING_STATUSES, WARNING_LEVELS, region, warning, warning_action
from .scope import Region, Scope, level_column, resolve
from .timeutil import SHANGHAI
from .warning_counts import has_table, subtree
from .warning_silences import silenced

# Age bands of an open warning (hours since it was raised): what a duty officer is behind on.
AGE_BANDS = ((1, "1小时内"), (4, "1–4小时"), (24, "4–24小时"), (None, "超过1天"))
CLOSING = ("resolve", "dismiss", "auto_resolve")  # by an officer, or the system when the condition clears


def _band(hours: float) -> str:
    for upper, label in AGE_BANDS:
        if upper is None or hours < upper:
            return label
    return AGE_BANDS[-1][1]


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def board(conn: Connection, scope: Scope, code: Region | str | None, now: dt.datetime, days: int = 7) -> dict:
    """{"levels": {level: open}, "escalated": open escalated, "children": {child code: {level: open}},
    "ages": {band: {level: open}}, "days": [MM-DD…], "raised": {level: [per day]}, "closed": [per day],
    "ack_median_minutes": median minutes to acknowledge (raised in the window) or None,
    "acknowledged": how many of those were acknowledged, "raised_total": raised in the window}."""
    r = resolve(conn, scope, code)
    local_today = now.astimezone(SHANGHAI).date()
    day_list = [local_today - dt.timedelta(days=days - 1 - i) for i in range(days)]
    out = {"levels": {lv: 0 for lv in WARNING_LEVELS}, "escalated": 0, "children": {},
           "ages": {label: {lv: 0 for lv in WARNING_LEVELS} for _, label in AGE_BANDS},
           "days": [d.strftime("%m-%d") for d in day_list],
           "raised": {lv: [0] * days for lv in WARNING_LEVELS}, "closed": [0] * days,
           "ack_median_minutes": None, "acknowledged": 0, "raised_total": 0}
    if not has_table(conn):
        return out
    joined, inside, g = subtree(r)
    child = level_column(g, r.child_level) if r.child_level else None
    # Open now: one row per warning (a city holds a few hundred at most), counted here.
    cols = [warning.c.level, warning.c.created_at, warning.c.escalated] + ([child] if child is not None else [])
    rows = conn.execute(select(*cols).select_from(joined)
                        .where(inside, warning.c.status.in_(OPEN_WARNING_STATUSES), warning.c.created_at <= now))
    for row in rows:
        level = row[0]
        if level not in out["levels"]:
            continue  # a level this version does not know is not drawn (the quality report names it)
        out["levels"][level] += 1
        out["escalated"] += bool(row[2])
        hours = (now - _aware(row[1])).total_seconds() / 3600
        out["ages"][_band(hours)][level] += 1
        if child is not None and row[3] is not None:
            counts = out["children"].setdefault(row[3], {lv: 0 for lv in WARNING_LEVELS})
            counts[level] += 1
    start = dt.datetime.combine(day_list[0], dt.time(), SHANGHAI).astimezone(dt.timezone.utc)
    index = {d: i for i, d in enumerate(day_list)}
    waits = []
    for level, created, acked in conn.execute(
            select(warning.c.level, warning.c.created_at, warning.c.acknowledged_at).select_from(joined)
            .where(inside, warning.c.created_at >= start, warning.c.created_at <= now)):
        i = index.get(_aware(created).astimezone(SHANGHAI).date())
        if i is None or level not in out["raised"]:
            continue
        out["raised"][level][i] += 1
        out["raised_total"] += 1
        if acked is not None and _aware(acked) <= now:
            waits.append(max(0.0, (_aware(acked) - _aware(created)).total_seconds() / 60))
    out["acknowledged"] = len(waits)
    out["ack_median_minutes"] = round(statistics.median(waits), 1) if waits else None
    closed = (select(func.min(warning_action.c.at).label("at"))
              .select_from(warning_action.join(joined, warning.c.id == warning_action.c.warning_id))
              .where(inside, warning_action.c.action.in_(CLOSING), warning_action.c.at >= start,
                     warning_action.c.at <= now)
              .group_by(warning_action.c.warning_id))
    for (at,) in conn.execute(closed):
        i = index.get(_aware(at).astimezone(SHANGHAI).date())
        if i is not None:
            out["closed"][i] += 1
    return out


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 1)


DIGEST_LEVELS = ("yellow", "blue")  # never sound: the desk reads them as a digest


def desk_health(conn: Connection, scope: Scope, code: Region | str | None, now: dt.datetime,
                hours: int = 24, deadlines: dict | None = None, since: dt.datetime | None = None) -> dict:
    """The duty desk's own health (issue #16): how fast it acknowledges (median and P90 minutes,
    per alarm level, of warnings raised in the last `hours`), what waits past its acknowledgement
    deadline (`deadlines`: {level: minutes}, the escalation intervals), open warnings by level and
    age, how many are silenced, and the escalated ones still open (newest first); and the
    digest of the yellow and blue warnings raised since `since` (the shift's start): how many,
    by rule and by child region."""
    r = resolve(conn, scope, code)
    deadlines = deadlines or {}
    out = {"ack": {}, "late": {lv: 0 for lv in deadlines}, "silenced": 0, "escalated": [],
           "ages": {label: {lv: 0 for lv in WARNING_LEVELS} for _, label in AGE_BANDS},
           "levels": {lv: 0 for lv in WARNING_LEVELS}, "hours": hours,
           "digest": {"since": since, "levels": {lv: 0 for lv in DIGEST_LEVELS}, "rules": {}, "children": {}}}
    if not has_table(conn):
        return out
    joined, inside, g = subtree(r)
    quiet = silenced(g, now)
    waits: dict = {}
    for level, created, acked in conn.execute(
            select(warning.c.level, warning.c.created_at, warning.c.acknowledged_at).select_from(joined)
            .where(inside, warning.c.created_at >= now - dt.timedelta(hours=hours), warning.c.created_at <= now,
                   warning.c.acknowledged_at.isnot(None), warning.c.acknowledged_at <= now)):
        minutes = max(0.0, (_aware(acked) - _aware(created)).total_seconds() / 60)
        waits.setdefault(level, []).append(minutes)
        waits.setdefault("all", []).append(minutes)
    out["ack"] = {key: {"n": len(v), "median": _p(v, 0.5), "p90": _p(v, 0.9)} for key, v in waits.items()}
    for level, created, status, escalated, is_quiet, wid, rule, to, name in conn.execute(
            select(warning.c.level, warning.c.created_at, warning.c.status, warning.c.escalated,
                   quiet.label("quiet"), warning.c.id, warning.c.rule, warning.c.escalated_to, g.c.name)
            .select_from(joined)
            .where(inside, warning.c.status.in_(OPEN_WARNING_STATUSES), warning.c.created_at <= now)
            .order_by(warning.c.created_at.desc())):
        if level not in out["levels"]:
            continue
        out["levels"][level] += 1
        age = (now - _aware(created)).total_seconds()
        out["ages"][_band(age / 3600)][level] += 1
        out["silenced"] += bool(is_quiet)
        if status == "new" and not is_quiet and level in deadlines and age > deadlines[level] * 60:
            out["late"][level] += 1
        if escalated and len(out["escalated"]) < 20:
            out["escalated"].append({"id": wid, "level": level, "rule": rule, "region_name": name,
                                     "escalated_to": to, "status": status})
    if since is not None:
        digest = out["digest"]
        child = level_column(g, r.child_level) if r.child_level else g.c.code
        names = region.alias("n")
        for level, rule, child_name, n in conn.execute(
                select(warning.c.level, warning.c.rule, names.c.name, func.count())
                .select_from(joined.outerjoin(names, names.c.code == child))
                .where(inside, warning.c.level.in_(DIGEST_LEVELS), warning.c.created_at >= since,
                       warning.c.created_at <= now)
                .group_by(warning.c.level, warning.c.rule, names.c.name)):
            digest["levels"][level] += n
            digest["rules"][rule] = digest["rules"].get(rule, 0) + n
            key = child_name or r.name
            digest["children"][key] = digest["children"].get(key, 0) + n
    return out
