"""周报: a region's figures for one ISO week (Monday–Sunday, Asia/Shanghai) and the week before.

The definitions are docs/metrics.md's, read over a week instead of over "today"
(docs/briefing.md lists each one):

- A week's window starts on its Monday 00:00 Shanghai time. Its figures are as
  known at `as_of`, the window's last second (Sunday 23:59:59), or at now while
  the week is still running. With second-precision timestamps, "≤ as_of" is
  exactly "before next Monday 00:00", so the dashboard's own functions, called
  with now = as_of, count the half-open week [Monday, next Monday).
- The previous week is the same span moved back 7 days, so a running week is
  compared with the same elapsed part of the week before.
- Snapshot figures (open and overdue incidents, key-person visit rate,
  barometer index) are the dashboard's values at `as_of`.

Every public function takes the caller's scope and a region code and reads the
region's subtree only; bad rows are excluded by data_access.quality; personal
data leaves masked.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import and_, func, inspect, literal, select
from sqlalchemy.engine import Connection

from . import incidents, metrics, patrols, quality, regions
from .privacy import mask_text
from .schema import WARNING_LEVELS, appeal, incident, patrol, region, warning
from .scope import Region, Scope, child_column, in_region, level_column, resolve
from .stats import ratio as _ratio
from .timeutil import SHANGHAI, local_date, local_day
from .vocabulary import UNCLASSIFIED_TOPIC
from .warnings import LEVEL_NAMES, RULE_NAMES

WEEK_PATTERN = re.compile(r"([0-9]{4})-W([0-9]{2})")  # used with fullmatch: ASCII digits, no trailing newline
FIRST_YEAR, LAST_YEAR = 2000, 2099
TREND_DAYS = 14          # the trend chart: this week and the one before
TOP_OVERDUE = 200        # the incident view's own limit; Word and PDF print the first few
TOP_TOPICS = 30          # every topic in practice (11 and 未分类)
TOP_WORKERS = 10         # best and worst grid workers listed (of all in the subtree)
WARNING_ROWS = 500       # red and orange warnings listed at most (the counts are exact)
LISTED_LEVELS = ("red", "orange")
UNCLASSIFIED = UNCLASSIFIED_TOPIC


class WeekError(ValueError):
    """A week the caller may not ask for; `status` is the HTTP answer."""

    status = 400


# --- weeks -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """What a week's figures cover: from `start` (a Shanghai midnight, UTC) to `as_of` inclusive."""

    start: dt.datetime
    as_of: dt.datetime

    @property
    def days(self) -> int:
        """Shanghai calendar days touched (7 for a whole week; today counts while it runs)."""
        return (local_day(self.as_of) - local_day(self.start)).days + 1

    def shifted(self, days: int) -> "Span":
        d = dt.timedelta(days=days)
        return Span(self.start + d, self.as_of + d)


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.monday, dt.time(), SHANGHAI).astimezone(dt.timezone.utc)

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(days=7)

    def previous(self) -> "Week":
        y, n, _ = (self.monday - dt.timedelta(days=7)).isocalendar()
        return Week(y, n)

    def span(self, now: dt.datetime) -> Span:
        """The window as known at `now`; a week that has not begun has no figures."""
        if self.start > now:
            raise WeekError(f"{self.label} 尚未开始")
        return Span(self.start, min(self.end - dt.timedelta(seconds=1), now))

    def complete(self, now: dt.datetime) -> bool:
        return self.end <= now


def parse_week(text: object) -> Week:
    """'2026-W47' (ISO 8601 week) → Week; anything else is a WeekError."""
    m = WEEK_PATTERN.fullmatch(text) if isinstance(text, str) else None
    if not m:
        raise WeekError("周次格式错误：应为 YYYY-Www，例如 2026-W47")
    year, number = int(m.group(1)), int(m.group(2))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise WeekError(f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间")
    try:
        dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise WeekError(f"{year} 年没有第 {number} 周") from None
    return Week(year, number)


def week_of(day: dt.date) -> Week:
    y, n, _ = day.isocalendar()
    return Week(y, n)


def last_complete_week(now: dt.datetime) -> Week:
    """The latest week that ended by `now` (on a Monday: the week that just ended)."""
    return week_of(local_day(now) - dt.timedelta(days=7))


def recent_weeks(now: dt.datetime, count: int = 12) -> list[Week]:
    """The running week first, then the `count` − 1 before it."""
    today = local_day(now)
    return [week_of(today - dt.timedelta(days=7 * i)) for i in range(count)]


# --- helpers -----------------------------------------------------------------------------

def _grouped(conn: Connection, table, r: Region, where: list, columns: list, by_child: bool) -> dict:
    """{key: {label: value}}; the key is the region's code, or each child's code."""
    joined, located = in_region(table, r)
    key = child_column(table, r) if by_child else None
    if by_child and key is None:
        return {}
    stmt = select((key if key is not None else literal(r.code)).label("key"), *columns) \
        .select_from(joined).where(located, *where)
    if key is not None:
        stmt = stmt.group_by(key)
    out = {}
    for row in conn.execute(stmt):
        m = dict(row._mapping)
        out[m.pop("key")] = m
    return out


# --- incidents ---------------------------------------------------------------------------

def incident_week(conn: Connection, scope: Scope, code: str | None, span: Span, days=None) -> dict:
    """received (reported in the span), closed (closed in the span, whenever reported),
    cleared_same_day and clearance_rate (日清零率 of the week: of the span's incidents, the
    share closed on the Shanghai day they were reported), from the incident view's daily
    trend (`days`: its rows for the span when the caller has them); open and overdue at
    as_of, from its KPIs."""
    if days is None:
        days = incidents.daily_trend(conn, scope, code, span.as_of, span.days)
    k = incidents.kpis(conn, scope, code, span.as_of)
    received = sum(d["reported"] for d in days)
    cleared = sum(d["cleared_same_day"] for d in days)
    return {"received": received, "closed": sum(d["closed"] for d in days),
            "cleared_same_day": cleared, "clearance_rate": _ratio(cleared, received),
            "open": k["open_incidents"], "overdue": k["overdue_incidents"]}


def _incident_children(conn, r: Region, span: Span) -> dict:
    ok = quality.incident_ok(span.as_of)
    c = incident.c
    same_day = and_(quality.closed_at_now(span.as_of), local_date(c.closed_at) == local_date(c.reported_at))
    got = _grouped(conn, incident, r, [ok, c.reported_at >= span.start], [
        func.count().label("received"), func.count().filter(same_day).label("cleared_same_day")], True)
    closed = _grouped(conn, incident, r, [ok, c.closed_at >= span.start, c.closed_at <= span.as_of],
                      [func.count().label("closed")], True)
    for k, v in closed.items():
        got.setdefault(k, {}).update(v)
    return got


# --- patrols -----------------------------------------------------------------------------

def _patrol_week(conn, r: Region, span: Span, by_child: bool) -> dict:
    """Patrols, km, issues found, grid-days with a patrol and grids patrolled in the span.
    One pass grouped by (child, grid, Shanghai day): a few thousand rows per day of the week
    even for a whole city, summed here."""
    joined, located = in_region(patrol, r)
    key = child_column(patrol, r) if by_child else literal(r.code)
    if key is None:
        return {}
    day = local_date(patrol.c.started_at)
    stmt = (select(key.label("key"), patrol.c.grid_code, day, func.count(),
                   func.coalesce(func.sum(patrol.c.distance_m), 0), func.coalesce(func.sum(patrol.c.issues_found), 0))
            .select_from(joined)
            .where(located, quality.patrol_ok(span.as_of), patrol.c.started_at >= span.start)
            .group_by(key, patrol.c.grid_code, day))
    out: dict = {}
    grids: dict = {}
    for k, grid, _, n, meters, issues in conn.execute(stmt):
        slot = out.setdefault(k, {"patrols": 0, "meters": 0, "issues": 0, "grid_days": 0})
        slot["patrols"] += n
        slot["meters"] += meters or 0
        slot["issues"] += issues or 0
        slot["grid_days"] += 1
        grids.setdefault(k, set()).add(grid)
    for k, seen in grids.items():
        out[k]["grids_patrolled"] = len(seen)
    return out


def _sum_children(by_child: dict) -> dict:
    out: dict = {}
    for v in by_child.values():
        for k, n in v.items():
            out[k] = out.get(k, 0) + (n or 0)
    return out


def _patrol_figures(raw: dict, grids: int, days: int) -> dict:
    g = lambda k: raw.get(k) or 0  # noqa: E731 - no rows means zero
    return {"patrols": g("patrols"), "km": round(g("meters") / 1000.0, 1), "issues": int(g("issues")),
            "grid_days": g("grid_days"), "grids_total": grids, "grids_patrolled": g("grids_patrolled"),
            # 日巡查覆盖率 averaged over the days: patrolled grid-days ÷ (grids × days).
            "patrol_coverage": _ratio(g("grid_days"), grids * days),
            "patrol_coverage_week": _ratio(g("grids_patrolled"), grids)}


# --- appeals -----------------------------------------------------------------------------

def _appeal_week(conn, r: Region, span: Span, by_child: bool) -> dict:
    a = appeal.c
    return _grouped(conn, appeal, r, [quality.appeal_ok(span.as_of), a.received_at >= span.start], [
        func.count().label("appeals"),
        func.count(a.satisfaction).label("rated"),
        func.avg(a.satisfaction).label("satisfaction"),
        func.count(a.sentiment).label("sentiment_rated"),
        func.count().filter(a.sentiment < 0).label("negative")], by_child)


def _appeal_figures(raw: dict) -> dict:
    g = lambda k: raw.get(k) or 0  # noqa: E731
    sat = raw.get("satisfaction")
    return {"appeals": g("appeals"), "satisfaction_rated": g("rated"),
            "satisfaction": None if sat is None else round(float(sat), 2),
            "negative_share": _ratio(g("negative"), g("sentiment_rated"))}


def _barometer(conn, r: Region, as_of: dt.datetime, by_child: bool) -> dict:
    """{key: barometer dict} — metrics' own barometer as the dashboard showed it at as_of."""
    raw = metrics.appeal_counts(conn, r, as_of, by_child)
    return {k: metrics.kpis_from_counts(v, 0)["barometer"] for k, v in raw.items()}


def topics(conn: Connection, scope: Scope, code: str | None, span: Span, limit: int = TOP_TOPICS) -> list[dict]:
    """Appeal topics of the span, busiest first: count, the previous span's count, negative
    share and mean satisfaction (appeals without a topic count as 未分类)."""
    r = resolve(conn, scope, code)
    prev = span.shifted(-7)
    a = appeal.c
    joined, located = in_region(appeal, r)
    this = a.received_at >= span.start
    topic = func.coalesce(a.topic, UNCLASSIFIED).label("topic")
    rows = conn.execute(
        select(topic, func.count().filter(this).label("appeals"),
               func.count().filter(a.received_at <= prev.as_of).label("prev"),
               func.count(a.sentiment).filter(this).label("rated"),
               func.count().filter(and_(this, a.sentiment < 0)).label("negative"),
               func.avg(a.satisfaction).filter(this).label("satisfaction"))
        .select_from(joined)
        .where(located, quality.appeal_ok(span.as_of), a.received_at >= prev.start,
               # the gap between the two spans (a running week) belongs to neither
               (a.received_at <= prev.as_of) | this)
        .group_by(topic)).all()
    out = [{"topic": t, "appeals": n, "prev": p, "negative_share": _ratio(neg, rated),
            "satisfaction": None if s is None else round(float(s), 2)}
           for t, n, p, rated, neg, s in rows if n]
    out.sort(key=lambda x: (-x["appeals"], x["topic"]))
    return out[:limit]


def categories(conn: Connection, scope: Scope, code: str | None, span: Span) -> list[dict]:
    """Incidents reported in the span and in the previous span, per category (the incident
    view's category volumes over the two weeks), in the incident view's category order."""
    r = resolve(conn, scope, code)
    prev = span.shifted(-7)
    c = incident.c
    joined, located = in_region(incident, r)
    this = c.reported_at >= span.start
    rows = conn.execute(
        select(c.category, func.count().filter(this).label("this"),
               func.count().filter(c.reported_at <= prev.as_of).label("prev"))
        .select_from(joined)
        .where(located, quality.incident_ok(span.as_of), c.reported_at >= prev.start,
               (c.reported_at <= prev.as_of) | this)
        .group_by(c.category)).all()
    return [{"category": cat, "this": n, "prev": p} for cat, n, p in rows]


# --- warnings ----------------------------------------------------------------------------

def _warnings_ready(conn: Connection) -> bool:
    """A database from before the warnings engine has no warning table, hence no warnings."""
    return inspect(conn).has_table("warning")


def _warning_counts(conn, r: Region, span: Span, by_child: bool) -> dict:
    """{key: {level: n}} of warnings raised in the span (any status now)."""
    if not _warnings_ready(conn) or (by_child and r.child_level is None):
        return {}
    g = region.alias("g")
    key = level_column(g, r.child_level) if by_child else literal(r.code)
    rows = conn.execute(
        select(key.label("key"), warning.c.level, func.count())
        .select_from(warning.join(g, g.c.code == warning.c.region_code))
        .where(level_column(g, r.level) == r.code, warning.c.created_at >= span.start,
               warning.c.created_at <= span.as_of)
        .group_by(key, warning.c.level)).all()
    out: dict = {}
    for k, level, n in rows:
        if k is not None:
            out.setdefault(k, {})[level] = n
    return out


def warning_list(conn: Connection, scope: Scope, code: str | None, span: Span,
                 levels=LISTED_LEVELS, limit: int = WARNING_ROWS) -> list[dict]:
    """Warnings of `levels` raised in the span in the subtree: most severe, then oldest first."""
    r = resolve(conn, scope, code)
    if not _warnings_ready(conn):
        return []
    g = region.alias("g")
    rank = {lvl: i for i, lvl in enumerate(WARNING_LEVELS)}
    rows = conn.execute(
        select(warning.c.id, warning.c.level, warning.c.rule, warning.c.region_code, warning.c.reason,
               warning.c.status, warning.c.created_at, g.c.county_code, g.c.township_code,
               g.c.village_code, g.c.name)
        .select_from(warning.join(g, g.c.code == warning.c.region_code))
        .where(level_column(g, r.level) == r.code, warning.c.level.in_(tuple(levels)),
               warning.c.created_at >= span.start, warning.c.created_at <= span.as_of)
        .order_by(warning.c.created_at, warning.c.id)).all()
    rows = sorted(rows, key=lambda w: (rank.get(w.level, 9), w.created_at, w.id))[:limit]
    depth = {"city": 0, "county": 1, "township": 2, "village": 3, "grid": 4}[r.level]
    names = regions.names(conn, {c for w in rows for c in (w.county_code, w.township_code, w.village_code)})
    out = []
    for w in rows:
        chain = [names.get(c, c) for c in (w.county_code, w.township_code, w.village_code)[depth:] if c]
        if w.region_code not in (w.county_code, w.township_code, w.village_code):
            chain.append(w.name)
        out.append({"id": w.id, "level": w.level, "level_name": LEVEL_NAMES.get(w.level, w.level),
                    "rule": RULE_NAMES.get(w.rule, w.rule), "region": " / ".join(chain) or w.name,
                    "reason": mask_text(w.reason) or "", "status": w.status, "created_at": w.created_at})
    return out


# --- the week, put together ----------------------------------------------------------------

def headline(conn: Connection, scope: Scope, code: str | None, span: Span, days=None, patrols=None) -> dict:
    """Every key figure of the briefing for one span (docs/briefing.md). `days` (the daily
    trend's rows of the span) and `patrols` (the span's patrol totals) let report() share
    what it has already read."""
    r = resolve(conn, scope, code)
    grids = regions.grid_count(conn, scope, r)
    if patrols is None:
        patrols = _patrol_week(conn, r, span, False).get(r.code, {})
    visits = metrics.visit_counts(conn, r, span.as_of).get(r.code, {})
    baro = _barometer(conn, r, span.as_of, False).get(r.code) or metrics.kpis_from_counts({}, 0)["barometer"]
    levels = _warning_counts(conn, r, span, False).get(r.code, {})
    return {
        **incident_week(conn, scope, r, span, days),
        **_patrol_figures(patrols, grids, span.days),
        "key_persons": visits.get("key_persons") or 0,
        "visited_on_time": visits.get("visited_on_time") or 0,
        "visit_on_time_rate": _ratio(visits.get("visited_on_time") or 0, visits.get("key_persons") or 0),
        **_appeal_figures(_appeal_week(conn, r, span, False).get(r.code, {})),
        "barometer_index": baro["barometer_index"], "barometer": baro,
        "warnings": {lvl: levels.get(lvl, 0) for lvl in WARNING_LEVELS},
        "warnings_total": sum(levels.values()),
    }


def children(conn: Connection, scope: Scope, code: str | None, span: Span, patrols=None) -> list[dict]:
    """The span's figures per child region, in code order (children without rows as zeros).
    `patrols`: _patrol_week(by_child=True) when the caller has read it."""
    r = resolve(conn, scope, code)
    if r.child_level is None:
        return []
    inc = _incident_children(conn, r, span)
    now_open = {c["code"]: c for c in incidents.children(conn, scope, r, span.as_of)}
    pat = _patrol_week(conn, r, span, True) if patrols is None else patrols
    grids = regions.grid_count(conn, scope, r, by_child=True)
    visits = metrics.visit_counts(conn, r, span.as_of, by_child=True)
    app = _appeal_week(conn, r, span, True)
    baro = _barometer(conn, r, span.as_of, True)
    warn = _warning_counts(conn, r, span, True)
    out = []
    for child in regions.children(conn, scope, r):
        i = inc.get(child.code, {})
        v = visits.get(child.code, {})
        w = warn.get(child.code, {})
        n_grids = grids.get(child.code, 1 if child.level == "grid" else 0)
        received, cleared = i.get("received") or 0, i.get("cleared_same_day") or 0
        out.append({
            "code": child.code, "name": child.name, "level": child.level,
            "received": received, "closed": i.get("closed") or 0, "cleared_same_day": cleared,
            "clearance_rate": _ratio(cleared, received),
            "open": now_open.get(child.code, {}).get("open_incidents", 0),
            "overdue": now_open.get(child.code, {}).get("overdue_incidents", 0),
            **_patrol_figures(pat.get(child.code, {}), n_grids, span.days),
            "visit_on_time_rate": _ratio(v.get("visited_on_time") or 0, v.get("key_persons") or 0),
            **_appeal_figures(app.get(child.code, {})),
            "barometer_index": (baro.get(child.code) or metrics.kpis_from_counts({}, 0)["barometer"])["barometer_index"],
            "warnings_red_orange": sum(w.get(lvl, 0) for lvl in LISTED_LEVELS),
        })
    return out


def overdue(conn: Connection, scope: Scope, code: str | None, span: Span, limit: int = TOP_OVERDUE) -> dict:
    """The incident view's overdue list at as_of: {"total", "rows"}, most late first, with
    hours late at as_of and titles masked (people write phone numbers into them)."""
    got = incidents.overdue(conn, scope, code, span.as_of, limit)
    rows = [{**row, "title": mask_text(row["title"]) or "",
             "hours_late": incidents.hours_late(row, span.as_of)} for row in got["rows"]]
    return {"total": got["total"], "rows": rows}


def workers(conn: Connection, scope: Scope, code: str | None, span: Span, limit: int = TOP_WORKERS) -> dict:
    """The patrol view's grid-worker ranking (考核) over the span's days, ending at as_of:
    patrols, km, issues found, on-time closure; names masked. Best and worst `limit`."""
    return patrols.worker_activity(conn, scope, code, span.as_of, days=span.days, limit=limit)


def report(conn: Connection, scope: Scope, code: str | None, week: Week, now: dt.datetime) -> dict:
    """Everything the briefing shows for `week` as known at `now` (plain dicts and lists)."""
    r = resolve(conn, scope, code)
    span = week.span(now)
    prev = span.shifted(-7)
    trend = incidents.daily_trend(conn, scope, r, span.as_of, TREND_DAYS)
    # A whole week and the one before are exactly the trend's 14 days: no second reading.
    # (A running week's previous span ends mid-day, which the daily rows cannot split.)
    this_days, prev_days = (trend[7:], trend[:7]) if span.days == 7 else (None, None)
    # The children partition the region: the region's patrol totals are their sums.
    by_child = _patrol_week(conn, r, span, True) if r.child_level else None
    total = _sum_children(by_child) if by_child is not None else None
    return {
        "region": {"code": r.code, "name": r.name, "level": r.level, "child_level": r.child_level},
        "week": week.label, "monday": week.monday, "sunday": week.sunday,
        "start": span.start, "as_of": span.as_of, "complete": week.complete(now),
        "prev_start": prev.start, "prev_as_of": prev.as_of,
        "this": headline(conn, scope, r, span, this_days, total),
        "prev": headline(conn, scope, r, prev, prev_days),
        "trend": trend,
        "categories": categories(conn, scope, r, span),
        "children": children(conn, scope, r, span, by_child),
        "overdue": overdue(conn, scope, r, span),
        "workers": workers(conn, scope, r, span),
        "topics": topics(conn, scope, r, span),
        "warnings": warning_list(conn, scope, r, span),
    }

