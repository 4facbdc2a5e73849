"""事件流转: what came in, where it is, what is late — for a region's whole subtree.

Every function takes the caller's scope and a region code, resolves the region
inside the scope, and counts the subtree's incidents as known at `now`
(docs/metrics.md): bad rows are dropped, an incident closed after `now` is
still open, a step (吹哨, 报到) after `now` has not happened yet.

Windows are Asia/Shanghai calendar days ending today: "7 days" is today and
the 6 days before, "30 days" today and the 29 before.

Events or reports (一事一码, docs/cases.md): the KPIs, the overdue list and the daily trend
count events (a case's other reports are left out: `rollups.counts_as_event`); the flows
(source, category, Sankey) and the department response times count reports.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, extract, func, select
from sqlalchemy.engine import Connection

from . import cases, metrics, quality, regions, rollups
from .privacy import mask_text
from .schema import incident, region
from .scope import Scope, in_region, resolve
from .stats import ratio as _ratio
from .timeutil import SHANGHAI, day_start, local_date, local_day

WEEK_DAYS = 7
MONTH_DAYS = 30
OVERDUE_LIMIT = 200
UNKNOWN_DEPARTMENT = "未指定部门"


def state_at(now: dt.datetime):
    """Where an incident is at `now`, from its step times (the stored status may be newer than `now`)."""
    c = incident.c
    return case(
        (quality.closed_at_now(now), "closed"),
        (and_(c.arrived_at.isnot(None), c.arrived_at <= now), "in_progress"),
        (and_(c.dispatched_at.isnot(None), c.dispatched_at <= now), "dispatched"),
        else_="reported",
    )


def _incident_kpis(raw: dict) -> dict:
    g = lambda k: raw.get(k) or 0  # noqa: E731 - no rows means zero
    return {"incidents_today": g("incidents_today"), "closed_today": g("closed_today"),
            "clearance_rate_today": _ratio(g("cleared_today"), g("incidents_today")),
            "open_incidents": g("open_incidents"), "overdue_incidents": g("overdue_incidents"),
            "cleared_today": g("cleared_today")}


def kpis(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> dict:
    """The five incident KPIs of docs/metrics.md (and cleared_today), counted by metrics' own
    incident counter: equal to metrics.summary's values without its patrol, appeal and visit
    passes, which are most of summary's cost at city level."""
    r = resolve(conn, scope, code)
    return _incident_kpis(metrics.incident_counts(conn, r, now).get(r.code, {}))


def children(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> list[dict]:
    """The same per child region, in code order, children without rows as zeros."""
    r = resolve(conn, scope, code)
    raw = metrics.incident_counts(conn, r, now, by_child=True)
    return [{"code": child.code, "name": child.name, "level": child.level,
             **_incident_kpis(raw.get(child.code, {}))}
            for child in regions.children(conn, scope, r)]


def kpis_and_children(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> tuple[dict, list]:
    """(kpis(), children()) from one pass grouped by child: every counted incident lies in one
    child, so the region's counts are the children's sums."""
    r = resolve(conn, scope, code)
    if r.child_level is None:
        return kpis(conn, scope, code, now), children(conn, scope, code, now)
    raw = metrics.incident_counts(conn, r, now, by_child=True)
    total: dict = {}
    for slot in raw.values():
        for k, v in slot.items():
            total[k] = (total.get(k) or 0) + (v or 0)
    return _incident_kpis(total), [
        {"code": child.code, "name": child.name, "level": child.level, **_incident_kpis(raw.get(child.code, {}))}
        for child in regions.children(conn, scope, r)]


def flows(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> list[dict]:
    """Incidents reported in the last 7 days, counted by (source, category, handling level, state).

    One row per combination: {source, category, level, state, week, today}; the
    volume charts and the Sankey are sums over these rows.
    """
    r = resolve(conn, scope, code)
    joined, located = in_region(incident, r)
    c = incident.c
    state = state_at(now).label("state")
    stmt = (select(c.source, c.category, c.handling_level, state, func.count().label("week"),
                   func.count().filter(c.reported_at >= day_start(now)).label("today"))
            .select_from(joined)
            .where(located, quality.incident_ok(now), c.reported_at >= day_start(now, WEEK_DAYS - 1))
            .group_by(c.source, c.category, c.handling_level, state))
    return [{"source": row.source, "category": row.category, "level": row.handling_level,
             "state": row.state, "week": row.week, "today": row.today}
            for row in conn.execute(stmt)]


def overdue(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
            limit: int = OVERDUE_LIMIT) -> dict:
    """Open incidents past their SLA: {"total": n, "rows": the `limit` most late, most late first}.

    Rows carry the grid's name path (township / village / grid); lateness is `hours_late(row, now)`."""
    r = resolve(conn, scope, code)
    joined, located = in_region(incident, r)
    g = joined.right  # the grid's region row, joined by the scope filter
    t, v = region.alias("t"), region.alias("v")
    c = incident.c
    base = [located, quality.incident_ok(now), rollups.counts_as_event(), c.sla_due_at.isnot(None), c.sla_due_at < now]
    # "Open" as two indexed branches (never closed / closed only after now): an OR defeats the index.
    branches = [c.closed_at.is_(None), c.closed_at > now]
    total = sum(conn.execute(select(func.count()).select_from(joined).where(*base, b)).scalar() or 0
                for b in branches)
    cols = (c.id, c.title, c.category, c.severity, c.department, c.reported_at, c.sla_due_at,
            state_at(now).label("state"), t.c.name.label("township"), v.c.name.label("village"),
            g.c.name.label("grid"))
    source = joined.outerjoin(t, t.c.code == c.township_code).outerjoin(v, v.c.code == c.village_code)
    rows = []
    for b in branches:
        stmt = (select(*cols).select_from(source).where(*base, b)
                .order_by(c.sla_due_at, c.id.desc()).limit(limit))
        rows.extend(conn.execute(stmt))
    rows.sort(key=lambda x: (x.sla_due_at, -x.id))
    rows = rows[:limit]
    codes = cases.codes_for(conn, [x.id for x in rows])
    return {"total": total, "rows": [
        {"id": x.id, "title": mask_text(x.title), "category": x.category, "severity": x.severity,
         "township": x.township, "village": x.village, "grid": x.grid, "department": x.department,
         "reported_at": x.reported_at, "sla_due_at": x.sla_due_at, "state": x.state,
         "case_code": codes[x.id][0] if x.id in codes else cases.case_code(x.id, x.reported_at),
         "reports": codes[x.id][1] if x.id in codes else 1}
        for x in rows]}


def hours_late(row: dict, now: dt.datetime) -> float:
    """How late an overdue row is at `now`. Kept out of the rows so that a snapshot whose
    incidents did not change keeps its signature while the clock runs (ticks send nothing)."""
    return round((now - row["sla_due_at"]).total_seconds() / 3600, 1)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's and pandas' default)."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def response_times(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> list[dict]:
    """吹哨→报到 minutes per department over incidents reported in the last 30 days that had
    both steps by `now`: [{department, count, median, p90}], slowest median first."""
    r = resolve(conn, scope, code)
    joined, located = in_region(incident, r)
    c = incident.c
    # Seconds computed in SQL (EXTRACT(epoch) / strftime('%s') via SQLAlchemy): tens of
    # thousands of rows at city level, too many to parse as datetimes in Python.
    seconds = extract("epoch", c.arrived_at) - extract("epoch", c.dispatched_at)
    stmt = (select(c.department, seconds).select_from(joined)
            .where(located, quality.incident_ok(now), c.reported_at >= day_start(now, MONTH_DAYS - 1),
                   c.dispatched_at.isnot(None), c.arrived_at.isnot(None),
                   c.dispatched_at <= now, c.arrived_at <= now,
                   c.arrived_at >= c.dispatched_at))  # an arrival before the whistle is not a response
    minutes: dict[str, list[float]] = {}
    for dept, secs in conn.execute(stmt):
        minutes.setdefault(dept or UNKNOWN_DEPARTMENT, []).append(float(secs) / 60)
    out = []
    for dept, values in minutes.items():
        values.sort()
        out.append({"department": dept, "count": len(values),
                    "median": round(percentile(values, 0.5), 1), "p90": round(percentile(values, 0.9), 1)})
    out.sort(key=lambda d: (-d["median"], d["department"]))
    return out


def daily_trend(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
                days: int = MONTH_DAYS) -> list[dict]:
    """Per Asia/Shanghai day, oldest first (today last): reported, closed (whenever reported,
    as closed_today), and the day's clearance rate = share of that day's incidents closed the
    same day (today: by now, as clearance_rate_today)."""
    r = resolve(conn, scope, code)
    joined, located = in_region(incident, r)
    c = incident.c
    start = day_start(now, days - 1)
    ok = and_(quality.incident_ok(now), rollups.counts_as_event())  # events, like the rollup it continues
    rep_day = local_date(c.reported_at).label("rep_day")
    close_day = case((quality.closed_at_now(now), local_date(c.closed_at))).label("close_day")
    reported: dict[str, int] = {}
    cleared: dict[str, int] = {}
    closed: dict[str, int] = {}
    settled = rollups.settled_until(conn, now) if r.level in metrics.ROLLUP_LEVELS else None
    first = local_day(start)
    if settled is not None and settled > first:
        # Settled whole days from the rollup; the raw rows from the first unsettled day on.
        for day, v in rollups.day_sums(conn, rollups.rollup_incident_day, r.level, r.code, first, settled,
                                       ["reported", "cleared_same_day", "closed"], per_day=True).items():
            reported[day], cleared[day], closed[day] = v["reported"], v["cleared_same_day"], v["closed"]
        start = day_start(dt.datetime.combine(settled, dt.time(12), SHANGHAI))
    # One pass over the window's reports gives reports, same-day closings and their closings...
    for rd, cd, n in conn.execute(
            select(rep_day, close_day, func.count()).select_from(joined)
            .where(located, ok, c.reported_at >= start).group_by(rep_day, close_day)):
        reported[rd] = reported.get(rd, 0) + n
        if cd is not None:
            closed[cd] = closed.get(cd, 0) + n
            if cd == rd:
                cleared[rd] = cleared.get(rd, 0) + n
    # ...and the closings in the window of incidents reported before it complete the count.
    for cd, n in conn.execute(
            select(close_day, func.count()).select_from(joined)
            .where(located, ok, c.closed_at >= start, c.closed_at <= now, c.reported_at < start)
            .group_by(close_day)):
        closed[cd] = closed.get(cd, 0) + n
    out = []
    for i in range(days - 1, -1, -1):
        key = (local_day(now) - dt.timedelta(days=i)).isoformat()
        n = reported.get(key, 0)
        out.append({"day": key, "reported": n, "closed": closed.get(key, 0),
                    "cleared_same_day": cleared.get(key, 0), "clearance_rate": _ratio(cleared.get(key, 0), n)})
    return out


def with_today(trend: list[dict], today: dict, now: dt.datetime) -> list[dict]:
    """The trend with today's point taken from the live KPIs (same definitions), so a trend
    cached for minutes still ends on the current numbers."""
    key = local_day(now).isoformat()
    point = {"day": key, "reported": today["incidents_today"], "closed": today["closed_today"],
             "cleared_same_day": today["cleared_today"], "clearance_rate": today["clearance_rate_today"]}
    past = [p for p in trend if p["day"] < key][-(len(trend) - 1):] if len(trend) > 1 else []
    return past + [point]
