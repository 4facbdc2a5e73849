"""预警研判: eight explainable rules over the shared tables, and the warnings they raise.

`evaluate(conn, now, config)` runs every rule over the whole region tree as
known at `now`, writes new warnings (and their audit rows) on `conn` — the
caller commits — and returns what it raised. A warning's `dedup_key` names its
condition: while a warning with that key is open (new / acknowledged /
assigned) the condition raises nothing new; once it is resolved or dismissed a
returning condition raises a new one. Rules and thresholds: docs/warnings.md
and data_access.warning_rules.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import NamedTuple

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from . import metrics, quality
from .patrols import last_patrols
from .rollups import counts_as_event
from .privacy import mask_name, mask_text
from .schema import (OPEN_WARNING_STATUSES, WARNING_LEVELS, WARNING_STATUSES, appeal, grid_state,
                     incident, key_person, patrol, region, visit, warning, warning_action)
from .scope import Region, Scope, in_region, level_column, lookup, resolve
from .stats import poisson_tail
from .timeutil import SHANGHAI
from .vocabulary import CHANNEL_NAMES, FEED_NAMES, SOURCE_NAMES, WARNING_LEVEL_NAMES, WARNING_RULE_NAMES
from .warning_counts import active_count, has_table, subtree  # noqa: F401 - active_count: callers read it here
from .warning_rules import WarningConfig, level_for
from .warning_silences import silenced as silenced_now

RULE_NAMES = WARNING_RULE_NAMES
LEVEL_NAMES = WARNING_LEVEL_NAMES
_RANK = {level: i for i, level in enumerate(WARNING_LEVELS)}  # 0 = red, the worst
SYSTEM = "system"


# --- names ------------------------------------------------------------------

class _Names:
    """Readable region paths below the city: 港北区贵城街道XX社区第3网格."""

    def __init__(self, conn: Connection):
        self._rows = {code: (name, parent, level) for code, name, parent, level in conn.execute(
            select(region.c.code, region.c.name, region.c.parent_code, region.c.level))}

    def name(self, code: str | None) -> str:
        return self._rows[code][0] if code in self._rows else (code or "")

    def county(self, code: str | None) -> str | None:
        """The county a region lies in (None for the city itself or an unknown code)."""
        seen = 0
        while code in self._rows and seen < 6:
            _, parent, level = self._rows[code]
            if level == "county":
                return code
            code, seen = parent, seen + 1
        return None

    def counties(self) -> list[str]:
        return sorted(c for c, (_, _, level) in self._rows.items() if level == "county")

    def path(self, code: str | None) -> str:
        parts, seen = [], 0
        while code in self._rows and seen < 6:
            name, parent, level = self._rows[code]
            if level == "city":
                break
            parts.append(name)
            code, seen = parent, seen + 1
        return "".join(reversed(parts)) or (code or "")


def _candidate(rule, level, region_code, subject_type, subject_id, reason, evidence) -> dict:
    return {"dedup_key": f"{rule}:{subject_id}", "rule": rule, "level": level,
            "region_code": region_code, "subject_type": subject_type, "subject_id": str(subject_id),
            "reason": reason, "evidence": evidence}


def _hours(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _local(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


# --- the rules ----------------------------------------------------------------

def _open_incidents(conn, r: Region, now, where, columns):
    """Open incidents at `now`: two indexed queries (never closed; closed after now), an OR defeats the index."""
    joined, located = in_region(incident, r)
    base = [located, quality.incident_ok(now), *where]
    out = []
    # "Closed after now" as a list from its own index: written as a plain predicate, SQLite walks
    # every grid's incidents instead (≈0.5–1 s per rule at the demo scale, for the few rows a
    # live `now` has there; 0.01 s this way).
    later = incident.c.id.in_(select(incident.c.id).where(incident.c.closed_at > now, incident.c.reported_at <= now))
    for closed in (incident.c.closed_at.is_(None), later):
        out.extend(conn.execute(select(*columns).select_from(joined).where(*base, closed)).all())
    return out


_INC_COLS = (incident.c.id, incident.c.severity, incident.c.category, incident.c.title,
             incident.c.grid_code, incident.c.reported_at, incident.c.sla_due_at)


def rule_overdue(conn, r, now, cfg: WarningConfig, names: _Names) -> list[dict]:
    """1. Open and past sla_due_at; level by hours late × severity."""
    least = min(t for _, t in cfg.overdue_levels)
    # Even a severity-4 incident needs least/4 hours of lateness to score: bound the window.
    # One event, one code: a case is late once, through its primary report (data_access/cases.py).
    rows = _open_incidents(conn, r, now, [
        counts_as_event(),
        incident.c.sla_due_at < now - dt.timedelta(hours=least / 4),
        incident.c.sla_due_at >= now - dt.timedelta(days=cfg.overdue_lookback_days),
    ], _INC_COLS)
    out = []
    for row in rows:
        late = _hours(now - row.sla_due_at)
        sev = max(1, min(4, row.severity or 1))
        level = level_for(late * sev, cfg.overdue_levels)
        if level is None:
            continue
        reason = (f"{names.path(row.grid_code)} 事件#{row.id}「{mask_text(row.title) or row.category}」"
                  f"（{row.category}，{sev}级）超期 {late} 小时未办结")
        out.append(_candidate("overdue", level, row.grid_code, "incident", row.id, reason,
                              {"incident": [row.id]}))
    return out


def rule_major(conn, r, now, cfg: WarningConfig, names: _Names) -> list[dict]:
    """2. Severity ≥ major_severity or a mass-incident category, recent and open: red."""
    rows = _open_incidents(conn, r, now, [
        counts_as_event(),  # a fire reported by the grid, 12345 and 110 is one major event
        incident.c.reported_at >= now - dt.timedelta(hours=cfg.major_window_hours),
        or_(incident.c.severity >= cfg.major_severity, incident.c.category.in_(cfg.major_categories)),
    ], _INC_COLS)
    out = []
    for row in rows:
        kind = "群体性事件" if row.category in cfg.major_categories else "重大事件"
        reason = (f"{names.path(row.grid_code)} {_local(row.reported_at)} 上报{kind}"
                  f"#{row.id}「{mask_text(row.title) or row.category}」（{row.category}，{row.severity}级），尚未办结")
        out.append(_candidate("major", "red", row.grid_code, "incident", row.id, reason,
                              {"incident": [row.id]}))
    return out


def rule_surge(conn, r, now, cfg: WarningConfig, names: _Names) -> list[dict]:
    """3. Township × category: last window far above its own baseline (one-sided Poisson tail)."""
    joined, located = in_region(incident, r)
    window_start = now - dt.timedelta(hours=cfg.surge_window_hours)
    base_start = window_start - dt.timedelta(days=cfg.surge_baseline_days)
    recent = incident.c.reported_at >= window_start
    rows = conn.execute(
        select(incident.c.township_code, incident.c.category,
               func.count().filter(recent).label("obs"),
               func.count().filter(incident.c.reported_at < window_start).label("base"))
        .select_from(joined)
        .where(located, quality.incident_ok(now), incident.c.reported_at >= base_start,
               incident.c.category.isnot(None), counts_as_event())
        .group_by(incident.c.township_code, incident.c.category)).all()
    out = []
    scale = cfg.surge_window_hours / 24.0 / cfg.surge_baseline_days
    for township, category, obs, base in rows:
        if obs < cfg.surge_min_count:
            continue
        expected = base * scale
        p = poisson_tail(obs, expected)
        if p >= cfg.surge_alpha:
            continue
        level = level_for(p, cfg.surge_levels, higher_is_worse=False) or "yellow"
        ids = conn.execute(
            select(incident.c.id).select_from(joined)
            .where(located, quality.incident_ok(now), recent, incident.c.township_code == township,
                   incident.c.category == category, counts_as_event()).order_by(incident.c.id).limit(50)).scalars().all()
        baseline = base / cfg.surge_baseline_days
        ratio = f"，为日均 {baseline:.1f} 起的 {obs / (expected or 1):.1f} 倍" if base else "，近期无同类事件"
        reason = (f"{names.path(township)} 近{cfg.surge_window_hours}小时「{category}」事件 {obs} 起"
                  f"{ratio}（泊松检验 p={p:.1e}）")
        c = _candidate("surge", level, township, "topic", f"{township}:{category}", reason,
                       {"incident": ids, "observed": obs, "expected": round(expected, 2), "p": p})
        out.append(c)
    return out


def rule_blind_spot(conn, r, now, cfg: WarningConfig, names: _Names) -> list[dict]:
    """4. A grid with no valid patrol for blind_days (looked for 30 days back)."""
    last, older = last_patrols(conn, r, now)
    grids = conn.execute(select(region.c.code).where(
        region.c.level == "grid", level_column(region, r.level) == r.code)).scalars().all()
    out = []
    for code in grids:
        at = last.get(code)
        if at is not None and now - at < dt.timedelta(days=cfg.blind_days):
            continue
        if at is not None:
            days = (now - at).total_seconds() / 86400
            gap = f"{_hours(now - at)} 小时无巡查（最近一次 {_local(at)}）"
        else:
            days = 30.0
            gap = "30 天以上无巡查" if code in older else "从未巡查"
        level = level_for(days, cfg.blind_levels) or "blue"
        out.append(_candidate("blind_spot", level, code, "grid", code, f"{names.path(code)} {gap}",
                              {"grid": [code], "last_patrol_at": at.isoformat() if at else None}))
    return out


class _Person(NamedTuple):
    id: int
    grid_code: str
    name: str | None
    category: str | None
    risk_level: int | None
    visit_interval_days: int | None
    last: dt.datetime | None


def rule_visit(conn, r, now, cfg: WarningConfig, names: _Names) -> list[dict]:
    """5. Key person whose latest visit is older than visit_interval_days; risk-weighted lateness."""
    joined, located = in_region(key_person, r)
    persons = conn.execute(
        select(key_person.c.id, key_person.c.grid_code, key_person.c.name, key_person.c.category,
               key_person.c.risk_level, key_person.c.visit_interval_days)
        .select_from(joined).where(located)).all()
    # The latest visit per person as its own grouped read, joined here: in one statement
    # PostgreSQL misjudged key_person ⋈ region at city scale (1 row estimated, 14,459 real) and
    # ran the visit aggregate once per person (6–12 s, issue #19); apart, each is one scan.
    window = [visit.c.visited_at <= now, visit.c.visited_at >= now - dt.timedelta(days=cfg.visit_lookback_days)]
    last: dict = {}
    grouped = (select(visit.c.key_person_id, func.max(visit.c.visited_at))
               .where(*window).group_by(visit.c.key_person_id))
    if r.level in ("city", "county"):
        last.update(conn.execute(grouped).all())
    else:  # a township or below: its few persons' visits through the (person, time) index
        ids = [p.id for p in persons]
        for i in range(0, len(ids), 500):
            last.update(conn.execute(grouped.where(visit.c.key_person_id.in_(ids[i:i + 500]))).all())
    rows = []
    for p in persons:
        at = last.get(p.id)
        if at is not None and at.tzinfo is None:  # SQLite's aggregate comes back naive (stored as UTC)
            at = at.replace(tzinfo=dt.timezone.utc)
        rows.append(_Person(*p, at))
    weights = dict(cfg.visit_risk_weights)
    out = []
    for row in rows:
        interval = row.visit_interval_days or 0
        if row.last is not None:
            late = (now - row.last).total_seconds() / 86400 - interval
        else:
            late = float(cfg.visit_never_overdue_days)
        if late <= 0:
            continue
        level = level_for(weights.get(row.risk_level, 1.0) * late, cfg.visit_levels)
        if level is None:
            continue
        since = (f"已 {int((now - row.last).total_seconds() // 86400)} 天未走访" if row.last is not None
                 else f"{cfg.visit_lookback_days} 天内无走访记录")
        reason = (f"{names.path(row.grid_code)} 重点人员{mask_name(row.name) or ''}（{row.category}，"
                  f"风险{row.risk_level}级）{since}，应每 {interval} 天走访")
        out.append(_candidate("visit", level, row.grid_code, "key_person", row.id, reason,
                              {"key_person": [row.id],
                               "last_visit_at": row.last.isoformat() if row.last else None}))
    return out


def rule_repeat(conn, r, now, cfg: WarningConfig, names: _Names) -> list[dict]:
    """6. Same citizen_hash on the same topic ≥ repeat_min_count times in the window, the latest recent."""
    joined, located = in_region(appeal, r)
    recent = now - dt.timedelta(hours=cfg.repeat_recent_hours)
    where = [located, quality.appeal_ok(now), appeal.c.citizen_hash.isnot(None), appeal.c.topic.isnot(None),
             appeal.c.received_at >= now - dt.timedelta(days=cfg.repeat_window_days)]
    # Only a citizen who wrote within the recent hours can qualify: grouping just their rows
    # (an index range over the recent hours) costs a fraction of grouping the whole window.
    writers = select(appeal.c.citizen_hash).where(appeal.c.received_at >= recent, appeal.c.received_at <= now,
                                                  appeal.c.citizen_hash.isnot(None))
    pairs = conn.execute(
        select(appeal.c.citizen_hash, appeal.c.topic, func.count().label("n"))
        .select_from(joined).where(*where, appeal.c.citizen_hash.in_(writers))
        .group_by(appeal.c.citizen_hash, appeal.c.topic)
        .having(and_(func.count() >= cfg.repeat_min_count, func.max(appeal.c.received_at) >= recent))
    ).all()
    if not pairs:
        return []
    # The rows behind every qualifying pair in one read (not one window scan per pair).
    wanted = {(citizen, topic) for citizen, topic, _ in pairs}
    rows_of: dict = {}
    citizens = sorted({citizen for citizen, _ in wanted})
    for i in range(0, len(citizens), 500):
        for row in conn.execute(
                select(appeal.c.id, appeal.c.grid_code, appeal.c.received_at, appeal.c.citizen_hash,
                       appeal.c.topic).select_from(joined)
                .where(*where, appeal.c.citizen_hash.in_(citizens[i:i + 500]))
                .order_by(appeal.c.received_at, appeal.c.id)):
            if (row.citizen_hash, row.topic) in wanted:
                rows_of.setdefault((row.citizen_hash, row.topic), []).append(row)
    out = []
    for citizen, topic, n in pairs:
        rows = rows_of[(citizen, topic)]
        latest = rows[-1]
        level = level_for(n, cfg.repeat_levels) or "blue"
        reason = (f"同一诉求人 {cfg.repeat_window_days} 天内第 {n} 次反映 {topic}"
                  f"（{names.path(latest.grid_code)}，最近一次 {_local(latest.received_at)}）")
        out.append(_candidate("repeat", level, latest.grid_code, "citizen_topic",
                              f"{citizen[:16]}:{topic}", reason, {"appeal": [x.id for x in rows]}))
    return out


def _township_barometers(conn, r: Region, at: dt.datetime) -> dict:
    """{township: barometer_index} exactly as metrics.summary computes it for that township."""
    if r.level in ("township", "village", "grid"):
        top = lookup(conn, r.township_code) if r.level != "township" else r
        raw = metrics.appeal_counts(conn, top, at).get(top.code, {})
        return {top.code: metrics.kpis_from_counts(raw, 0)["barometer_index"]}
    counties = [r] if r.level == "county" else [
        lookup(conn, c) for c in conn.execute(select(region.c.code).where(
            region.c.level == "county", region.c.parent_code == r.code)).scalars()]
    townships = conn.execute(select(region.c.code, region.c.county_code).where(
        region.c.level == "township", region.c.county_code.in_([c.code for c in counties]))).all()
    raw: dict = {}
    for county in counties:
        raw.update(metrics.appeal_counts(conn, county, at, by_child=True))
    # A township without appeals has no row: the summary reads it as an empty counter set.
    return {t: metrics.kpis_from_counts(raw.get(t, {}), 0)["barometer_index"] for t, _ in townships}


def rule_barometer(conn, r, now, cfg: WarningConfig, names: _Names) -> list[dict]:
    """7. A township's barometer index below a floor, or down sharply against compare_days ago."""
    current = _township_barometers(conn, r, now)
    before = _township_barometers(conn, r, now - dt.timedelta(days=cfg.barometer_compare_days))
    out = []
    for township, index in current.items():
        prev = before.get(township)
        drop = round(prev - index, 1) if prev is not None else 0.0
        if index >= cfg.barometer_floor and drop < cfg.barometer_drop:
            continue
        level = ("orange" if index < cfg.barometer_orange_floor or drop >= cfg.barometer_orange_drop
                 else "yellow")
        reason = (f"{names.path(township)} 社情民意晴雨表指数 {index:.1f}（{metrics.weather(index)}），"
                  f"{cfg.barometer_compare_days} 天前 {prev:.1f}，"
                  + (f"下降 {drop:.1f} 点" if drop > 0 else f"低于警戒线 {cfg.barometer_floor:g}"))
        out.append(_candidate("barometer", level, township, "township", township, reason,
                              {"township": [township], "index": index, "index_before": prev}))
    return out


def rule_emergency(conn, r, now, cfg: WarningConfig, names: _Names) -> list[dict]:
    """8. A grid switched to emergency mode (平战转换) as known at now."""
    g = region.alias("g")
    rows = conn.execute(
        select(grid_state.c.grid_code, grid_state.c.since, grid_state.c.reason)
        .select_from(grid_state.join(g, and_(g.c.code == grid_state.c.grid_code, g.c.level == "grid")))
        .where(grid_state.c.mode == "emergency", level_column(g, r.level) == r.code,
               or_(grid_state.c.since.is_(None), grid_state.c.since <= now))).all()
    out = []
    for code, since, why in rows:
        fresh = since is not None and now - since < dt.timedelta(hours=cfg.emergency_fresh_hours)
        level = cfg.emergency_fresh_level if fresh else cfg.emergency_level
        when = f"{_local(since)} 起" if since else ""
        reason = f"{names.path(code)} {when}转入战时状态（{why or '未说明原因'}）"
        c = _candidate("emergency", level, code, "grid", code, reason,
                       {"grid_state": [code], "since": since.isoformat() if since else None})
        c["dedup_key"] = f"emergency:{code}:{since.isoformat() if since else ''}"
        out.append(c)
    return out


# --- silent feeds (数据源中断) ------------------------------------------------------

def _feeds():
    """(feed, label, table, time column, filter or None, county column or None): every stream of
    rows a rule reads. Visits carry no region of their own: that feed is judged city-wide."""
    out = [("patrol", FEED_NAMES["patrol"], patrol, patrol.c.started_at, None, patrol.c.county_code),
           ("visit", FEED_NAMES["visit"], visit, visit.c.visited_at, None, None)]
    out += [(f"incident:{s}", f"{FEED_NAMES['incident']}（{label}）", incident, incident.c.reported_at,
             incident.c.source == s, incident.c.county_code) for s, label in SOURCE_NAMES.items()]
    out += [(f"appeal:{c}", f"{FEED_NAMES['appeal']}（{label}）", appeal, appeal.c.received_at,
             appeal.c.channel == c, appeal.c.county_code) for c, label in CHANNEL_NAMES.items()]
    return out


def _silence(conn, table, at, extra, now, cfg: WarningConfig):
    """(last row time, rows the feed's own past promised since then) for one quiet (feed, county),
    or None when the feed has no row in silent_lookback_days: a feed that never spoke is not silent."""
    day = dt.timedelta(days=1)
    last = conn.execute(select(func.max(at)).select_from(table)
                        .where(*extra, at <= now, at > now - cfg.silent_lookback_days * day)).scalar()
    if last is None:
        return None
    if last.tzinfo is None:  # SQLite's aggregate comes back naive (stored as UTC)
        last = last.replace(tzinfo=dt.timezone.utc)
    # The same clock hours on each of the previous days: a night without patrols promises none.
    gap = now - last
    if gap >= day:  # whole days quiet: the feed's daily rate before it stopped, times the days
        before = conn.execute(select(func.count()).select_from(table).where(
            *extra, at > last - cfg.silent_days * day, at <= last)).scalar() or 0
        return last, before / cfg.silent_days * (gap / day)
    # Under a day the ranges are disjoint: one statement counts them all.
    seen = conn.execute(select(func.count()).select_from(table).where(*extra, or_(*(
        and_(at > last - k * day, at <= now - k * day) for k in range(1, cfg.silent_days + 1))))).scalar() or 0
    return last, seen / cfg.silent_days


def rule_source_silent(conn, r, now, cfg: WarningConfig, names: _Names) -> list[dict]:
    """9. Feeds quiet far beyond their own usual rate: one warning per county naming every silent
    feed there (one for the city when a feed is silent in every county); `evidence.holds` names
    the rules they hold."""
    holds = dict(cfg.silent_holds)
    counties = [r.code] if r.level == "county" else names.counties() if r.level == "city" else []
    probe = now - dt.timedelta(hours=cfg.silent_min_hours)
    areas: dict = {}  # area code -> [(feed, label, last, expected)]
    for feed, label, table, at, where, county_col in _feeds():
        base = [where] if where is not None else []
        if county_col is None:
            todo = {r.code: []} if r.level == "city" else {}
        else:
            spoke = set(conn.execute(select(county_col).select_from(table).where(
                *base, at > probe, at <= now).group_by(county_col)).scalars())
            todo = {c: [county_col == c] for c in counties if c not in spoke}
        quiet = {}
        for code, extra in todo.items():
            found = _silence(conn, table, at, base + extra, now, cfg)
            if found is not None and found[1] >= cfg.silent_expected:
                quiet[code] = found
        if county_col is not None and r.level == "city" and quiet and set(quiet) == set(counties):
            quiet = {r.code: (max(q[0] for q in quiet.values()), sum(q[1] for q in quiet.values()))}
        for code, (last, expected) in quiet.items():
            areas.setdefault(code, []).append((feed, label, last, expected))
    out = []
    for code, feeds in sorted(areas.items()):
        city_wide = code == r.code and r.level == "city"
        held = [rule for rule in RULES if any(rule in holds.get(f[0].split(":")[0], ()) for f in feeds)]
        last = max(f[2] for f in feeds)
        parts = "、".join(f"{label}（最近一条 {_local(at)}，按以往同时段应有约 {expected:.0f} 条）"
                         for _, label, at, expected in feeds)
        if len(feeds) > 3:  # the whole exchange stopped: name the count, the detail is in evidence
            parts = f"{len(feeds)} 个数据源（{'、'.join(f[1] for f in feeds[:3])}等）"
        reason = (f"{names.name(code) + '全市' if city_wide else names.path(code)} 数据源中断："
                  f"{parts}，已 {_hours(now - last)} 小时以上无新数据"
                  + (f"；{'、'.join(RULE_NAMES[h] for h in held)}研判暂停，待数据恢复" if held else ""))
        out.append(_candidate("source_silent", cfg.silent_level, code, "region", code, reason,
                              {"feeds": [f[0] for f in feeds], "feed_last": {f[0]: f[2].isoformat() for f in feeds},
                               "counties": counties if city_wide else [code],
                               "last_at": last.isoformat(), "holds": held}))
    return out


def _held(found: list[dict]) -> dict:
    """{county: rules held} from the silent-feed candidates."""
    out: dict = {}
    for c in found:
        if c["rule"] == "source_silent":
            for county in c["evidence"]["counties"]:
                out.setdefault(county, set()).update(c["evidence"]["holds"])
    return out


# --- grouping ---------------------------------------------------------------------

def _group(found: list[dict], cfg: WarningConfig, names: _Names) -> list[dict]:
    """One warning per (grid, rule) for cfg.group_rules: the worst member's level, every member's
    records, a reason that counts them and names the worst."""
    groups: dict = {}
    out = []
    for c in found:
        if c["rule"] in cfg.group_rules:
            groups.setdefault((c["rule"], c["region_code"]), []).append(c)
        else:
            out.append(c)
    for (rule, code), members in groups.items():
        members.sort(key=lambda m: (_RANK[m["level"]], m["dedup_key"]))
        worst = members[0]
        evidence: dict = {}
        for m in members:
            for key, ids in m["evidence"].items():
                if isinstance(ids, list):
                    evidence.setdefault(key, []).extend(ids)
        prefix = names.path(code) + " "
        items = [m["reason"][len(prefix):] if m["reason"].startswith(prefix) else m["reason"] for m in members]
        evidence.update(members=len(members), items=items[:20],
                        levels={lvl: sum(m["level"] == lvl for m in members) for lvl in WARNING_LEVELS
                                if any(m["level"] == lvl for m in members)})
        reason = worst["reason"] if len(members) == 1 else (
            f"{prefix}共 {len(members)} 项{RULE_NAMES[rule]}，最重一项：{items[0]}")
        c = _candidate(rule, worst["level"], code, "grid", code, reason, evidence)
        c["dedup_key"] = f"{rule}:grid:{code}"  # never the key of a one-record warning of the old engine
        out.append(c)
    return out


RULES = {
    "overdue": rule_overdue, "major": rule_major, "surge": rule_surge, "blind_spot": rule_blind_spot,
    "visit": rule_visit, "repeat": rule_repeat, "barometer": rule_barometer, "emergency": rule_emergency,
    "source_silent": rule_source_silent,
}


# --- evaluation -------------------------------------------------------------

def candidates(conn: Connection, now: dt.datetime, config: WarningConfig | None = None,
               rules=None, code: str | None = None, names: _Names | None = None) -> list[dict]:
    """What the rules find at `now` (nothing written), over the city or the subtree of `code`.
    `names`: region paths already read (a replay over many hours reads them once)."""
    cfg = config or WarningConfig()
    root_code = code or conn.execute(select(region.c.code).where(region.c.level == "city")
                                     .order_by(region.c.code).limit(1)).scalar()
    r = lookup(conn, root_code)
    names = names or _Names(conn)
    rules = list(rules or RULES)
    # A silent feed first: the rules that read it say nothing where it is silent (their verdict
    # would be about the missing rows, not the city).
    silent = rule_source_silent(conn, r, now, cfg, names) if "source_silent" in rules else []
    held = _held(silent)
    found: dict = {}
    for c in silent:
        found.setdefault(c["dedup_key"], c)
    for name in rules:
        if name == "source_silent":
            continue
        for c in RULES[name](conn, r, now, cfg, names):
            if name not in held.get(names.county(c["region_code"]), ()):
                found.setdefault(c["dedup_key"], c)
    return sorted(_group(list(found.values()), cfg, names),
                  key=lambda c: (_RANK[c["level"]], c["rule"], c["dedup_key"]))


def evaluate(conn: Connection, now: dt.datetime, config: WarningConfig | None = None,
             rules=None, names: _Names | None = None, found: list[dict] | None = None) -> list[dict]:
    """Run the rules once and write what is new; returns the raised warnings (as `_out` dicts).

    The caller commits. Only one evaluator should run at a time (the scheduler
    holds a lock); `dedup_key` is checked here against the open warnings. `names`: see
    candidates; `found`: candidates(conn, now, config, rules) when the caller has them (the
    demo seed's replay of the rules over its history also reads which conditions still hold).
    """
    cfg = config or WarningConfig()
    rules = list(rules or RULES)
    names = names or _Names(conn)
    if found is None:
        found = candidates(conn, now, cfg, rules, names=names)
    open_rows = {row.dedup_key: row for row in conn.execute(
        select(warning.c.id, warning.c.dedup_key, warning.c.rule, warning.c.level, warning.c.status,
               warning.c.version, warning.c.region_code, warning.c.evidence)
        .where(warning.c.status.in_(OPEN_WARNING_STATUSES)))}
    keys = {c["dedup_key"] for c in found}
    closed_rows = _latest_closed(conn, keys - set(open_rows))
    raised = []
    for c in found:
        have = open_rows.get(c["dedup_key"])
        if have is not None:
            _follow(conn, have, c, now, cfg)
            continue
        values = {**c, "evidence": json.dumps(c["evidence"], ensure_ascii=False), "status": "new",
                  "created_at": now, "updated_at": now, "escalated": False}
        last = closed_rows.get(c["dedup_key"])
        if last is not None and last.cleared_at is None:
            continue  # closed by an officer while the condition went on: not news
        if last is not None:  # the condition went away and came back: the same warning reopens
            reopen = {k: values[k] for k in ("status", "level", "reason", "evidence", "created_at",
                                             "escalated")}
            reopen.update(escalated_to=None, assignee=None, acknowledged_at=None,
                          acknowledged_by=None, cleared_at=None)
            if _change(conn, last, now, "reopen", reopen, "条件再次出现，预警重新打开"):
                raised.append({**values, "id": last.id, "evidence": c["evidence"]})
            continue
        values["version"] = 1
        wid = conn.execute(insert(warning).values(**values)).inserted_primary_key[0]
        conn.execute(insert(warning_action).values(
            warning_id=wid, action="raise", actor=SYSTEM, at=now, comment=c["reason"],
            before=None, after=json.dumps({"status": "new", "level": c["level"]})))
        raised.append({**values, "id": wid, "evidence": c["evidence"]})
    # A rule held by a silent feed has no verdict there: its warnings neither clear nor close.
    held = _held(found)
    held_by_rule: dict = {}
    for county, held_rules in held.items():
        for rule in held_rules:
            held_by_rule.setdefault(rule, []).append(county)
    # Closed warnings whose condition has gone: the next return of it is news again.
    gone = [warning.c.status.notin_(OPEN_WARNING_STATUSES), warning.c.cleared_at.is_(None),
            warning.c.rule.in_(rules)]
    if keys:
        gone.append(warning.c.dedup_key.notin_(keys))
    for rule, counties in held_by_rule.items():
        inside = select(region.c.code).where(or_(region.c.county_code.in_(counties), region.c.code.in_(counties)))
        gone.append(or_(warning.c.rule != rule, warning.c.region_code.notin_(inside)))
    conn.execute(update(warning).where(*gone).values(cleared_at=now))
    if cfg.auto_resolve:
        for key, row in open_rows.items():
            # Only untouched warnings: once an officer has taken one, it is theirs to close.
            if (row.status == "new" and row.rule in rules and key not in keys
                    and row.rule not in held.get(names.county(row.region_code), ())):
                _change(conn, row, now, "auto_resolve", {"status": "resolved"}, "条件已解除，系统自动关闭")
    return [_out(w) for w in raised]


def _members(evidence) -> set:
    """The records a grouped warning holds: {(kind, id)}."""
    if isinstance(evidence, str):
        try:
            evidence = json.loads(evidence)
        except ValueError:
            return set()
    return {(k, i) for k, ids in (evidence or {}).items() if isinstance(ids, list) and k != "items"
            for i in ids}


def _follow(conn, have, c: dict, now: dt.datetime, cfg: WarningConfig) -> None:
    """An open warning whose condition still holds: its level follows the condition (up always,
    down when cfg.follow_down), and a group's members follow who is in it."""
    before, after = _RANK.get(have.level, 9), _RANK[c["level"]]
    evidence = json.dumps(c["evidence"], ensure_ascii=False)
    if after < before:
        _change(conn, have, now, "upgrade", {"level": c["level"], "reason": c["reason"], "evidence": evidence},
                f"条件加重：{LEVEL_NAMES[have.level]}→{LEVEL_NAMES[c['level']]}")
    elif after > before and cfg.follow_down:
        _change(conn, have, now, "downgrade", {"level": c["level"], "reason": c["reason"], "evidence": evidence},
                f"条件减轻：{LEVEL_NAMES[have.level]}→{LEVEL_NAMES[c['level']]}")
    elif c["rule"] in cfg.group_rules and _members(have.evidence) != _members(c["evidence"]):
        old, new = _members(have.evidence), _members(c["evidence"])
        # Not a change of state: the version stays, so an officer acting on the group meanwhile
        # is not refused; the trail still says who joined and left.
        conn.execute(update(warning).where(warning.c.id == have.id)
                     .values(reason=c["reason"], evidence=evidence, updated_at=now))
        conn.execute(insert(warning_action).values(
            warning_id=have.id, action="members", actor=SYSTEM, at=now,
            comment=f"成员 {len(old)}→{len(new)} 项（新增 {len(new - old)}，解除 {len(old - new)}）",
            before=json.dumps({"members": len(old)}), after=json.dumps({"members": len(new)})))


def _latest_closed(conn, keys: set) -> dict:
    """The newest resolved/dismissed warning of each key (keys with an open one excluded)."""
    out: dict = {}
    keys = sorted(keys)
    for i in range(0, len(keys), 500):
        rows = conn.execute(select(warning.c.id, warning.c.dedup_key, warning.c.level, warning.c.status,
                                   warning.c.version, warning.c.cleared_at)
                            .where(warning.c.dedup_key.in_(keys[i:i + 500]),
                                   warning.c.status.notin_(OPEN_WARNING_STATUSES))
                            .order_by(warning.c.id))
        out.update((row.dedup_key, row) for row in rows)
    return out


def _change(conn, row, now, action, values: dict, comment: str) -> bool:
    """A system change under the optimistic lock; False when someone else changed the row first."""
    before = {k: _plain(getattr(row, k, None)) for k in values}
    done = conn.execute(update(warning).where(warning.c.id == row.id, warning.c.version == row.version)
                        .values(**values, version=row.version + 1, updated_at=now)).rowcount
    if done:  # someone else changed it meanwhile: their change stands
        conn.execute(insert(warning_action).values(
            warning_id=row.id, action=action, actor=SYSTEM, at=now, comment=comment,
            before=json.dumps(before, ensure_ascii=False),
            after=json.dumps({k: _plain(v) for k, v in values.items()}, ensure_ascii=False)))
    return bool(done)


def _plain(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


# --- reading ----------------------------------------------------------------

def _out(w) -> dict:
    m = dict(w if isinstance(w, dict) else w._mapping)
    ev = m.get("evidence")
    if isinstance(ev, str):
        try:
            ev = json.loads(ev)
        except ValueError:
            ev = None
    at = m.get("created_at")
    return {"id": m["id"], "level": m["level"], "rule": m["rule"], "region": m["region_code"],
            "region_name": m.get("region_name"),
            "subject": {"type": m.get("subject_type"), "id": m.get("subject_id")},
            "reason": m.get("reason"), "status": m["status"], "evidence": ev,
            "escalated": bool(m.get("escalated")), "escalated_to": m.get("escalated_to"),
            "assignee": m.get("assignee"), "acknowledged_by": m.get("acknowledged_by"),
            "version": m.get("version"), "created_at": at.isoformat() if at else None,
            "updated_at": _plain(m.get("updated_at")), "silenced": bool(m.get("silenced"))}


_LEVEL_ORDER = case({lvl: i for i, lvl in enumerate(WARNING_LEVELS)}, value=warning.c.level, else_=9)


def list_warnings(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
                  statuses=OPEN_WARNING_STATUSES, limit: int = 500, levels=None, rules=None,
                  silenced: bool | None = None) -> list[dict]:
    """Warnings raised by `now` in the region's subtree, most severe then newest first;
    `levels` / `rules` narrow it (None = all), `silenced` keeps only those under an active
    silence (True) or only the others (False). Each carries `silenced`."""
    r = resolve(conn, scope, code)
    if not has_table(conn):
        return []
    for given, known, what in ((statuses, WARNING_STATUSES, "status"), (levels or (), WARNING_LEVELS, "level"),
                               (rules or (), tuple(RULES), "rule")):
        bad = set(given) - set(known)
        if bad:
            raise ValueError(f"unknown {what} {sorted(map(str, bad))[:5]}")
    joined, inside, g = subtree(r)
    where = [inside, warning.c.status.in_(tuple(statuses)), warning.c.created_at <= now]
    if levels:
        where.append(warning.c.level.in_(tuple(levels)))
    if rules:
        where.append(warning.c.rule.in_(tuple(rules)))
    quiet = silenced_now(g, now)
    if silenced is not None:
        where.append(quiet if silenced else ~quiet)
    rows = conn.execute(
        select(warning, g.c.name.label("region_name"), quiet.label("silenced")).select_from(joined)
        .where(*where)
        .order_by(_LEVEL_ORDER, warning.c.created_at.desc(), warning.c.id.desc()).limit(limit))
    return [_out(row) for row in rows]


def open_warnings(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
                  limit: int = 500) -> list[dict]:
    return list_warnings(conn, scope, code, now, OPEN_WARNING_STATUSES, limit)
