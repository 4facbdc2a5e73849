"""The headline numbers of docs/metrics.md, for a region or for each of its children.

Every function takes the caller's scope and a region code, resolves the region
inside the scope, and counts the region's whole subtree as known at `now`.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection

from . import quality, regions, rollups, warning_counts
from .schema import appeal, incident, key_person, patrol, visit
from .scope import Region, Scope, child_column, in_region, resolve
from .stats import ratio as _ratio
from .timeutil import SHANGHAI, day_start, local_day
from .vocabulary import HEADLINE

ROLLUP_LEVELS = ("city", "county", "township")  # the day rollups' grain is the township

KEYS = HEADLINE  # the headline KPIs, in their display order


def _count_by(conn, table, r: Region, where, columns, by_child: bool) -> dict:
    """{key: {label: value}}; key is the region's code, or each child's code."""
    joined, located = in_region(table, r)
    key = child_column(table, r) if by_child else None
    if by_child and key is None:
        return {}
    key_col = (key if key is not None else func.min(table.c.grid_code)).label("key")
    stmt = select(key_col, *columns).select_from(joined).where(located, *where)
    if key is not None:
        stmt = stmt.group_by(key)
    out = {}
    for row in conn.execute(stmt):
        m = dict(row._mapping)
        k = m.pop("key")
        out[k if by_child else r.code] = m
    return out


def incident_counts(conn, r: Region, now: dt.datetime, by_child=False) -> dict:
    """The incident KPIs' counters. They count events: a report linked into a case whose primary
    is another report (一事一码, data_access/cases.py) is not counted again."""
    start = day_start(now)
    ok = and_(quality.incident_ok(now), rollups.counts_as_event())
    closed = quality.closed_at_now(now)
    today = _count_by(conn, incident, r, [ok, incident.c.reported_at >= start], [
        func.count().label("incidents_today"),
        func.count().filter(closed).label("cleared_today"),
    ], by_child)
    # "Open" is two indexed queries (never closed; closed only after now): an OR defeats the index.
    open_cols = [func.count().label("open_incidents"),
                 func.count().filter(incident.c.sla_due_at < now).label("overdue_incidents")]
    opened = _add(
        _count_by(conn, incident, r, [ok, incident.c.closed_at.is_(None)], open_cols, by_child),
        _count_by(conn, incident, r, [ok, incident.c.closed_at > now], open_cols, by_child))
    closed_today = _count_by(conn, incident, r, [
        ok, incident.c.closed_at >= start, incident.c.closed_at <= now,
    ], [func.count().label("closed_today")], by_child)
    return _merge(today, opened, closed_today)


def patrol_counts(conn, r: Region, now: dt.datetime, by_child=False) -> dict:
    start = day_start(now)
    return _count_by(conn, patrol, r, [quality.patrol_ok(now), patrol.c.started_at >= start], [
        func.count(func.distinct(patrol.c.grid_code)).label("grids_patrolled_today"),
        func.count().label("patrols_today"),
    ], by_child)


def _appeal_columns(now: dt.datetime) -> list:
    start = day_start(now)
    week = now - dt.timedelta(days=7)
    month = now - dt.timedelta(days=30)
    received = appeal.c.received_at
    rated = appeal.c.sentiment.isnot(None)
    negative = appeal.c.sentiment < 0
    sat = case((received >= month, appeal.c.satisfaction))
    return [
        func.count().filter(received >= start).label("appeals_today"),
        func.count().filter(and_(received >= start, rated)).label("rated_sentiment_today"),
        func.count().filter(and_(received >= start, negative)).label("negative_today"),
        func.sum(sat).label("satisfaction_sum"),
        func.count(sat).label("satisfaction_n"),
        func.count().filter(received >= week).label("appeals_7d"),
        func.count().filter(received < week).label("appeals_prev_28d"),
        func.count().filter(and_(received >= week, rated)).label("rated_7d"),
        func.count().filter(and_(received >= week, negative)).label("negative_7d"),
        func.count().filter(and_(received < week, rated)).label("rated_prev_28d"),
        func.count().filter(and_(received < week, negative)).label("negative_prev_28d"),
    ]


def _day_range(day: dt.date):
    lo = dt.datetime.combine(day, dt.time(), SHANGHAI).astimezone(dt.timezone.utc)
    return lo, lo + dt.timedelta(days=1)


def appeal_counts(conn, r: Region, now: dt.datetime, by_child=False) -> dict:
    """One pass over the last 35 days: today, the 7-day window, its 28-day baseline, 30-day satisfaction.

    Whole settled days inside a window come from rollup_appeal_day; the days a window
    boundary cuts, and the days not settled yet (today), from the raw rows."""
    out = _appeal_sums(conn, r, now, by_child)
    for slot in out.values():
        _finish_satisfaction(slot)
    return out


def _finish_satisfaction(slot: dict) -> None:
    n = slot.pop("satisfaction_n", 0) or 0
    total = slot.pop("satisfaction_sum", None)
    slot["satisfaction_30d"] = (float(total) / n) if n else None


def _appeal_sums(conn, r: Region, now: dt.datetime, by_child=False) -> dict:
    """appeal_counts' counters with satisfaction as its sum and count (they add up over children)."""
    received = appeal.c.received_at
    since = now - dt.timedelta(days=35)
    where = [quality.appeal_ok(now), received >= since]
    settled = rollups.settled_until(conn, now) if r.level in ROLLUP_LEVELS else None
    if by_child and r.child_level not in ("county", "township"):
        settled = None
    edges = {local_day(since), local_day(now - dt.timedelta(days=30)), local_day(now - dt.timedelta(days=7))}
    if settled is not None:
        # Raw rows only for the cut days and the unsettled tail.
        ranges = [_day_range(d) for d in sorted(edges)] + [(_day_range(settled)[0], None)]
        where.append(or_(*[and_(received >= lo, received < hi) if hi is not None else received >= lo
                           for lo, hi in ranges]))
    raw = _count_by(conn, appeal, r, where, _appeal_columns(now), by_child)
    if settled is not None:
        _add_appeal_days(conn, r, now, settled, edges, by_child, raw)
    return raw


def _add_appeal_days(conn, r: Region, now, settled: dt.date, edges: set, by_child: bool, out: dict) -> None:
    """Add the whole settled days between the cut days (each lies wholly inside or outside every window)."""
    first, week_day = local_day(now - dt.timedelta(days=35)), local_day(now - dt.timedelta(days=7))
    month_day = local_day(now - dt.timedelta(days=30))
    cols = ["appeals", "rated", "negative", "satisfaction_sum", "satisfaction_n"]
    by = f"{r.child_level}_code" if by_child else None
    # Segments between the cut days: before the 30-day start, before the week, inside the week.
    segments = [(first + dt.timedelta(days=1), month_day, False, False),
                (month_day + dt.timedelta(days=1), week_day, False, True),
                (week_day + dt.timedelta(days=1), settled, True, True)]
    for lo, hi, in_week, in_month in segments:
        hi = min(hi, settled)
        for key, v in rollups.day_sums(conn, rollups.rollup_appeal_day, r.level, r.code, lo, hi, cols,
                                       by=by).items():
            slot = out.setdefault(key if by_child else r.code, {})
            names = (("appeals_7d", "rated_7d", "negative_7d") if in_week
                     else ("appeals_prev_28d", "rated_prev_28d", "negative_prev_28d"))
            for name, col in zip(names, ("appeals", "rated", "negative")):
                slot[name] = (slot.get(name) or 0) + v[col]
            if in_month:
                slot["satisfaction_sum"] = (slot.get("satisfaction_sum") or 0) + v["satisfaction_sum"]
                slot["satisfaction_n"] = (slot.get("satisfaction_n") or 0) + v["satisfaction_n"]


def latest_visit(kp, now: dt.datetime):
    """Each key person's latest visit at or before `now`: one backward probe of the
    (key_person_id, visited_at) index per person. (A join to visits grouped by person makes
    PostgreSQL's planner loop over the whole visit table once per person at city scale.)"""
    return (select(func.max(visit.c.visited_at))
            .where(visit.c.key_person_id == kp.c.id, visit.c.visited_at <= now).scalar_subquery())


def key_people(conn, r: Region, now: dt.datetime, by_child: bool = False, columns=()):
    """(subquery, on_time) over the subtree's key persons: each with `days` (visit interval),
    `last` (latest visit at or before `now`, one index probe) and `key` (their child of `r`
    when `by_child`); `on_time` tells whether `last` is within the person's interval, as one
    bound cutoff per distinct interval (a handful: no date arithmetic in SQL). OFFSET 0 keeps
    PostgreSQL from copying the probe into every expression that reads `last`."""
    joined, located = in_region(key_person, r)
    cols = [key_person.c.visit_interval_days.label("days"), latest_visit(key_person, now).label("last"), *columns]
    if by_child:
        cols.append(child_column(key_person, r).label("key"))
    people = select(*cols).select_from(joined).where(located).offset(0).subquery()
    intervals = [d for d in conn.execute(select(key_person.c.visit_interval_days).distinct()).scalars()
                 if d is not None]
    on_time = or_(and_(people.c.days.is_(None), people.c.last >= now),
                  *[and_(people.c.days == d, people.c.last >= now - dt.timedelta(days=d)) for d in intervals])
    return people, on_time


def visit_counts(conn, r: Region, now: dt.datetime, by_child=False) -> dict:
    """Key persons, and those whose latest visit is within their interval."""
    if by_child and r.child_level is None:
        return {}
    people, on_time = key_people(conn, r, now, by_child)
    key = people.c.key if by_child else None
    stmt = select(*([key] if key is not None else []), func.count().label("key_persons"),
                  func.count().filter(on_time).label("visited_on_time")).select_from(people)
    if key is not None:
        stmt = stmt.group_by(key)
    out: dict = {}
    for row in conn.execute(stmt):
        m = dict(row._mapping)
        k = m.pop("key") if key is not None else r.code
        if m["key_persons"]:
            out[k] = m
    return out


def _add(a: dict, b: dict) -> dict:
    """Sum two {key: {label: count}} results."""
    out = {k: dict(v) for k, v in a.items()}
    for k, v in b.items():
        slot = out.setdefault(k, {})
        for label, n in v.items():
            slot[label] = (slot.get(label) or 0) + (n or 0)
    return out


def _merge(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for k, v in part.items():
            out.setdefault(k, {}).update(v)
    return out


def barometer(appeals_7d, prev_28d, negative_7d, rated_7d, negative_28d, rated_28d,
              satisfaction) -> dict:
    """Index 0-100 and its parts (docs/metrics.md). Volume and mood are read against the
    region's own previous 28 days (80 = as usual); satisfaction is absolute."""
    baseline = (prev_28d or 0) / 28.0
    ratio = (appeals_7d or 0) / 7.0 / baseline if baseline else 1.0
    volume = _clamp(80.0 - 100.0 * (ratio - 1.0))
    share_7d = negative_7d / rated_7d if rated_7d else None
    share_28d = negative_28d / rated_28d if rated_28d else None
    shift = share_7d - share_28d if share_7d is not None and share_28d is not None else 0.0
    mood = _clamp(80.0 - 300.0 * shift)
    sat = _clamp((satisfaction - 1.0) / 4.0 * 100.0) if satisfaction is not None else 80.0
    index = 0.35 * volume + 0.35 * mood + 0.30 * sat
    return {"barometer_index": round(index, 1), "volume_score": round(volume, 1),
            "mood_score": round(mood, 1), "satisfaction_score": round(sat, 1),
            "volume_ratio": round(ratio, 3),
            # the absolute figures behind the relative index (shown beside it)
            "appeals_per_day_7d": round((appeals_7d or 0) / 7.0, 1),
            "appeals_per_day_28d": round(baseline, 1),
            "negative_share_7d": None if share_7d is None else round(share_7d, 4),
            "negative_share_28d": None if share_28d is None else round(share_28d, 4)}


def _clamp(x: float) -> float:
    return max(0.0, min(100.0, x))


def weather(index: float | None) -> str:
    if index is None:
        return "—"
    for floor, label in ((80, "晴"), (65, "多云"), (50, "阴"), (35, "雨")):
        if index >= floor:
            return label
    return "暴雨"


def kpis_from_counts(raw: dict, grids_total: int) -> dict:
    """The KPI dict of docs/metrics.md from the raw counters of the *_counts functions
    (views that need only some counters call those and finish here)."""
    g = lambda k: raw.get(k) or 0  # noqa: E731 - a missing group means zero rows
    sat = raw.get("satisfaction_30d")
    sat = None if sat is None else round(float(sat), 2)
    baro = barometer(g("appeals_7d"), g("appeals_prev_28d"), g("negative_7d"), g("rated_7d"),
                     g("negative_prev_28d"), g("rated_prev_28d"), sat)
    return {
        "incidents_today": g("incidents_today"),
        "closed_today": g("closed_today"),
        "clearance_rate_today": _ratio(g("cleared_today"), g("incidents_today")),
        "open_incidents": g("open_incidents"),
        "overdue_incidents": g("overdue_incidents"),
        "patrol_coverage_today": _ratio(g("grids_patrolled_today"), grids_total),
        "grids_patrolled_today": g("grids_patrolled_today"),
        "grids_total": grids_total,
        "visit_on_time_rate": _ratio(g("visited_on_time"), g("key_persons")),
        "key_persons": g("key_persons"),
        "appeals_today": g("appeals_today"),
        "negative_share_today": _ratio(g("negative_today"), g("rated_sentiment_today")),
        "satisfaction_30d": sat,
        "active_warnings": 0,
        "barometer_index": baro["barometer_index"],
        "barometer": baro,
    }


def _collect(conn, r: Region, now, by_child: bool) -> dict:
    return _merge(incident_counts(conn, r, now, by_child), patrol_counts(conn, r, now, by_child),
                  appeal_counts(conn, r, now, by_child), visit_counts(conn, r, now, by_child))


def summary(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> dict:
    """All KPIs of docs/metrics.md for one region."""
    r = resolve(conn, scope, code)
    raw = _collect(conn, r, now, by_child=False).get(r.code, {})
    out = kpis_from_counts(raw, regions.grid_count(conn, scope, r))
    out["active_warnings"] = warning_counts.active_count(conn, scope, r)
    return out


def summary_and_children(conn: Connection, scope: Scope, code: str | None, now: dt.datetime):
    """(summary(), by_child()) from one pass grouped by child: each counted row, grid and key
    person lies in exactly one child, so the region's counters are the children's sums
    (satisfaction as a sum and a count). Half the queries of calling both."""
    r = resolve(conn, scope, code)
    if r.child_level is None:
        return summary(conn, scope, code, now), by_child(conn, scope, code, now)
    raw = _merge(incident_counts(conn, r, now, True), patrol_counts(conn, r, now, True),
                 _appeal_sums(conn, r, now, True), visit_counts(conn, r, now, True))
    total: dict = {}
    for slot in raw.values():
        for k, v in slot.items():
            total[k] = (total.get(k) or 0) + (v or 0)
    for slot in [total, *raw.values()]:
        _finish_satisfaction(slot)
    grids = regions.grid_count(conn, scope, r, by_child=True)
    head = kpis_from_counts(total, sum(grids.values()))
    head["active_warnings"] = warning_counts.active_count(conn, scope, r)
    active = warning_counts.active_count(conn, scope, r, by_child=True)
    kids = []
    for child in regions.children(conn, scope, r):
        row = kpis_from_counts(raw.get(child.code, {}), grids.get(child.code, 1 if child.level == "grid" else 0))
        row["active_warnings"] = active.get(child.code, 0)
        kids.append({"code": child.code, "name": child.name, "level": child.level, **row})
    return head, kids


def by_child(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> list[dict]:
    """KPIs per child region, in code order, children without rows included as zeros."""
    r = resolve(conn, scope, code)
    raw = _collect(conn, r, now, by_child=True)
    grids = regions.grid_count(conn, scope, r, by_child=True)
    active = warning_counts.active_count(conn, scope, r, by_child=True)
    out = []
    for child in regions.children(conn, scope, r):
        row = kpis_from_counts(raw.get(child.code, {}), grids.get(child.code, 1 if child.level == "grid" else 0))
        row["active_warnings"] = active.get(child.code, 0)
        out.append({"code": child.code, "name": child.name, "level": child.level, **row})
    return out

