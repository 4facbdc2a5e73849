"""巡查覆盖: which grids were walked today, which are blind spots, which key persons
are overdue a visit, and how active each grid worker was.

Every public function takes the caller's scope and a region code, resolves the
region inside the scope and counts its whole subtree as known at `now`.
Results are plain dicts and lists (JSON-able: times as ISO text); personal data
is masked here, on the way out.
"""
from __future__ import annotations

import datetime as dt
import statistics

from sqlalchemy import and_, case, exists, func, not_, select
from sqlalchemy.engine import Connection

from . import metrics, quality, regions, rollups
from .privacy import mask_name
from .schema import grid_worker, incident, key_person, patrol, region
from .scope import Region, Scope, in_region, level_column, resolve
from .stats import ratio as _ratio
from .timeutil import day_start
from .vocabulary import WORKER_ROLE_NAMES as ROLE_NAMES

BLIND_DAYS = 3        # a grid with no patrol for this many days is a blind spot (盲区)
LOOKBACK_DAYS = 30    # how far back the last patrol of a grid is looked for
WORKER_DAYS = 7       # window of the grid-worker activity ranking (考核)
BLIND_ROWS = 500      # blind spots listed at most (the worst first); the count is exact
WORKER_ROWS = 100     # workers listed from each end of the ranking when there are many
_CHUNK = 500          # codes per IN (...) list


# --- the tree below the region ----------------------------------------------

def _grids(conn: Connection, r: Region) -> list[dict]:
    """The grids of the subtree with their child of `r` and a readable name path below `r`."""
    own = level_column(region, r.level)
    rows = conn.execute(
        select(region.c.code, region.c.name, region.c.county_code, region.c.township_code,
               region.c.village_code)
        .where(region.c.level == "grid", own == r.code).order_by(region.c.code)).all()
    # Names of the levels between `r` and the grids (at most ~1,300 rows for a whole city).
    names = dict(conn.execute(
        select(region.c.code, region.c.name)
        .where(region.c.level.in_(("county", "township", "village")), own == r.code)).all())
    depth = {"city": 0, "county": 1, "township": 2, "village": 3, "grid": 4}[r.level]
    out = []
    for code, name, county, township, village in rows:
        chain = (county, township, village)[depth:]
        path = " / ".join([names.get(c, c) for c in chain] + [name])
        child = (county, township, village, code)[depth] if depth < 4 else None
        out.append({"code": code, "name": name, "path": path, "child": child})
    return out


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- last patrol per grid ---------------------------------------------------

def last_patrols(conn: Connection, r: Region, now: dt.datetime) -> tuple[dict, set]:
    """({grid: latest valid patrol start within LOOKBACK_DAYS}, {grids with an older one}).

    One index seek per grid on (grid_code, started_at), newest first: never a scan
    of the whole patrol table. Grids without a patrol in the window get a second,
    equally cheap check that tells "older than the window" from "never".
    """
    # The running maximum pays off for a city's or a county's thousands of grids; a township's
    # few dozen index seeks are as cheap and always read the rows as they are now.
    kept_since = rollups.running_max_usable(conn, now) if r.level in ("city", "county") else None
    if kept_since is not None:
        return _last_patrols_rolled(conn, r, now, kept_since)
    outer = region.alias("o")
    joined, located = in_region(patrol, r)
    since = now - dt.timedelta(days=LOOKBACK_DAYS)
    latest = (select(patrol.c.started_at).select_from(joined)
              .where(located, quality.patrol_ok(now), patrol.c.grid_code == outer.c.code,
                     patrol.c.started_at >= since)
              .order_by(patrol.c.started_at.desc()).limit(1).scalar_subquery())
    rows = conn.execute(select(outer.c.code, latest.label("last"))
                        .where(outer.c.level == "grid", level_column(outer, r.level) == r.code)).all()
    last = {code: at for code, at in rows if at is not None}
    missing = [code for code, at in rows if at is None]
    older: set = set()
    for part in _chunks(missing):
        before = exists(select(patrol.c.id).select_from(joined).where(
            located, quality.patrol_ok(now), patrol.c.grid_code == outer.c.code,
            patrol.c.started_at < since))
        older.update(conn.execute(select(outer.c.code).where(outer.c.code.in_(part), before)).scalars())
    return last, older


def _last_patrols_rolled(conn: Connection, r: Region, now: dt.datetime, kept_since: dt.datetime) -> tuple[dict, set]:
    """The same from the running maximum per grid (rollup_patrol_last, everything before the
    horizon) and the raw patrols since the horizon (a day or two of rows)."""
    kept = rollups.rollup_patrol_last
    o = region.alias("o")
    latest = dict(conn.execute(
        select(kept.c.grid_code, kept.c.last_at)
        .select_from(kept.join(o, and_(o.c.code == kept.c.grid_code, o.c.level == "grid")))
        .where(level_column(o, r.level) == r.code)).all())
    joined, located = in_region(patrol, r)
    for code, at in conn.execute(
            select(patrol.c.grid_code, func.max(patrol.c.started_at)).select_from(joined)
            .where(located, quality.patrol_ok(now), patrol.c.started_at >= kept_since)
            .group_by(patrol.c.grid_code)):
        if at is not None and (code not in latest or at > latest[code]):
            latest[code] = at
    since = now - dt.timedelta(days=LOOKBACK_DAYS)
    last = {code: at for code, at in latest.items() if at >= since}
    older = {code for code, at in latest.items() if at < since}
    return last, older


def _leaders(conn: Connection, codes: list[str]) -> dict:
    """{grid: masked name of its 网格长} (the lowest id when there are several)."""
    out: dict = {}
    for part in _chunks(codes):
        rows = conn.execute(
            select(grid_worker.c.grid_code, grid_worker.c.name)
            .where(grid_worker.c.grid_code.in_(part), grid_worker.c.role == "grid_leader",
                   grid_worker.c.active.is_(True))
            .order_by(grid_worker.c.grid_code, grid_worker.c.id))
        for code, name in rows:
            out.setdefault(code, mask_name(name))
    return out


def _blind_status(at, never: bool, now: dt.datetime) -> str:
    if never:
        return "从未巡查"
    if at is None:
        return f"{LOOKBACK_DAYS}天以上未巡"
    return "超7天未巡" if now - at >= dt.timedelta(days=7) else f"超{BLIND_DAYS}天未巡"


def coverage(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
             categories: list[dict] | None = None) -> dict:
    """KPIs, each child's coverage and staleness, and the blind-spot grids.

    summary: patrol_coverage_today and visit_on_time_rate (the definitions of
    docs/metrics.md, from data_access.metrics), patrols_today,
    grids_patrolled_today, grids_total, blind_spot_grids, key_persons,
    key_persons_overdue.
    children: per child in code order: grids, grids_patrolled_today,
    patrol_coverage_today, blind_spots, max_hours / median_hours since the
    last patrol of its grids (a grid with none in LOOKBACK_DAYS counts as
    LOOKBACK_DAYS × 24 h).
    blind_spots: grids with no patrol for ≥ BLIND_DAYS, never-patrolled first,
    then the longest gap first (at most BLIND_ROWS).
    """
    r = resolve(conn, scope, code)
    grids = _grids(conn, r)
    last, older = last_patrols(conn, r, now)
    cap_hours = LOOKBACK_DAYS * 24.0
    blind_before = now - dt.timedelta(days=BLIND_DAYS)

    blind = []
    hours_by_child: dict = {}
    blind_by_child: dict = {}
    for g in grids:
        at = last.get(g["code"])
        hours = min(cap_hours, (now - at).total_seconds() / 3600.0) if at else cap_hours
        hours_by_child.setdefault(g["child"], []).append(hours)
        if at is None or at <= blind_before:
            blind_by_child[g["child"]] = blind_by_child.get(g["child"], 0) + 1
            never = at is None and g["code"] not in older
            blind.append({
                "code": g["code"], "path": g["path"],
                "days": None if at is None else round((now - at).total_seconds() / 86400.0, 1),
                "status": _blind_status(at, never, now),
                "last_patrol": None if at is None else at.isoformat(),
                "never": never,
            })
    # Worst first: never patrolled, then older than the window, then the longest gap.
    blind.sort(key=lambda b: (not b["never"], b["days"] is not None, -(b["days"] or 0), b["code"]))
    shown = blind[:BLIND_ROWS]
    leaders = _leaders(conn, [b["code"] for b in shown])
    for b in shown:
        b["leader"] = leaders.get(b["code"]) or "—"

    # The two headline rates are metrics.summary's own: its patrol and visit counters,
    # finished by the same function (the costly appeal counters are not needed here).
    today = metrics.patrol_counts(conn, r, now).get(r.code, {})
    if categories is not None:
        # visits_by_category's rows for the same region and moment already count every key
        # person and who is on time (the same rule): no second pass over the key persons.
        visits = {"key_persons": sum(c["persons"] for c in categories),
                  "visited_on_time": sum(c["on_time"] for c in categories)}
    else:
        visits = metrics.visit_counts(conn, r, now).get(r.code, {})
    total = len(grids)
    k = metrics.kpis_from_counts({**today, **visits}, total)
    summary = {
        "patrol_coverage_today": k["patrol_coverage_today"],
        "visit_on_time_rate": k["visit_on_time_rate"],
        "patrols_today": today.get("patrols_today") or 0,
        "grids_patrolled_today": k["grids_patrolled_today"],
        "grids_total": total,
        "blind_spot_grids": len(blind),
        "key_persons": k["key_persons"],
        "key_persons_overdue": k["key_persons"] - (visits.get("visited_on_time") or 0),
    }
    per_child = metrics.patrol_counts(conn, r, now, by_child=True)

    children = []
    grid_counts: dict = {}
    for g in grids:
        grid_counts[g["child"]] = grid_counts.get(g["child"], 0) + 1
    if r.child_level:
        for c in regions.children(conn, scope, r):
            n = grid_counts.get(c.code, 0)
            done = (per_child.get(c.code) or {}).get("grids_patrolled_today") or 0
            hours = hours_by_child.get(c.code, [])
            children.append({
                "code": c.code, "name": c.name, "level": c.level, "grids": n,
                "grids_patrolled_today": done,
                "patrols_today": (per_child.get(c.code) or {}).get("patrols_today") or 0,
                "patrol_coverage_today": metrics.kpis_from_counts(
                    per_child.get(c.code) or {}, n)["patrol_coverage_today"],
                "blind_spots": blind_by_child.get(c.code, 0),
                "max_hours": round(max(hours), 1) if hours else None,
                "median_hours": round(statistics.median(hours), 1) if hours else None,
            })
    return {"summary": summary, "children": children, "blind_spots": shown}


# --- key persons ------------------------------------------------------------

def visits_by_category(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> list[dict]:
    """Per key-person category: persons, visited on time, overdue (latest visit older than
    the person's visit_interval_days, or never), never visited, and the risk-weighted
    overdue count (the sum of the overdue persons' risk levels, 1–3)."""
    r = resolve(conn, scope, code)
    people, on_time = metrics.key_people(conn, r, now, columns=(key_person.c.category, key_person.c.risk_level))
    late = not_(func.coalesce(on_time, False))
    category = func.coalesce(people.c.category, "未分类")
    stmt = (select(category.label("category"), func.count().label("persons"),
                   func.count().filter(on_time).label("on_time"),
                   func.count().filter(late).label("overdue"),
                   func.count().filter(people.c.last.is_(None)).label("never"),
                   func.coalesce(func.sum(case((late, func.coalesce(people.c.risk_level, 1)),
                                               else_=0)), 0).label("risk_weighted_overdue"),
                   func.count().filter(and_(late, people.c.risk_level >= 3)).label("high_risk_overdue"))
            .select_from(people).group_by(category))
    return _category_rows([dict(row._mapping) for row in conn.execute(stmt)])


def _category_rows(rows: list[dict]) -> list[dict]:
    for s in rows:
        s["risk_weighted_overdue"] = int(s["risk_weighted_overdue"] or 0)
        s["on_time_rate"] = _ratio(s["on_time"], s["persons"])
    rows.sort(key=lambda s: (-s["risk_weighted_overdue"], s["category"]))
    return rows


# --- grid workers -----------------------------------------------------------

def worker_activity(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
                    days: int = WORKER_DAYS, limit: int = WORKER_ROWS) -> dict:
    """Activity of the subtree's active grid workers over the last `days` Asia/Shanghai
    calendar days, today included (考核 inputs).

    Per worker: patrols, distance (km), issues found, and the on-time closure of
    incidents in the worker's grid (incidents reported there in the window that
    were closed by now and no later than sla_due_at). Ranked by patrols, then
    distance; when there are more than 2 × `limit` workers only the top and the
    bottom `limit` are returned (`total` is the full count). Names are masked.
    """
    r = resolve(conn, scope, code)
    since = day_start(now, days - 1)
    g = region.alias("g")
    workers = conn.execute(
        select(grid_worker.c.id, grid_worker.c.role, grid_worker.c.grid_code)
        .select_from(grid_worker.join(g, and_(g.c.code == grid_worker.c.grid_code, g.c.level == "grid")))
        .where(level_column(g, r.level) == r.code, grid_worker.c.active.is_(True))).all()
    pj, pl = in_region(patrol, r)
    done = {row.worker_id: row for row in conn.execute(
        select(patrol.c.worker_id, func.count().label("patrols"),
               func.sum(patrol.c.distance_m).label("meters"),
               func.sum(patrol.c.issues_found).label("issues"))
        .select_from(pj).where(pl, quality.patrol_ok(now), patrol.c.started_at >= since)
        .group_by(patrol.c.worker_id))}
    ij, il = in_region(incident, r)
    on_time = and_(quality.closed_at_now(now), incident.c.closed_at <= incident.c.sla_due_at)
    grid_incidents = {row.grid_code: row for row in conn.execute(
        select(incident.c.grid_code, func.count().label("incidents"),
               func.count().filter(on_time).label("closed_on_time"))
        .select_from(ij).where(il, quality.incident_ok(now), incident.c.reported_at >= since)
        .group_by(incident.c.grid_code))}

    def score(w):
        p = done.get(w.id)
        return (-(p.patrols if p else 0), -((p.meters or 0) if p else 0), -((p.issues or 0) if p else 0), w.id)
    # Rank everyone, but build (and mask) only the rows that are sent.
    ranked = sorted(workers, key=score)
    total = len(ranked)
    picked = list(enumerate(ranked, 1))
    if total > 2 * limit:
        picked = picked[:limit] + picked[-limit:]
    paths = {x["code"]: x["path"] for x in _grids(conn, r)}
    names = {}  # personal data: read only for the rows that are sent, masked at once
    for part in _chunks([w.id for _, w in picked]):
        names.update((i, mask_name(n)) for i, n in conn.execute(
            select(grid_worker.c.id, grid_worker.c.name).where(grid_worker.c.id.in_(part))))
    shown = []
    for rank, w in picked:
        p = done.get(w.id)
        inc = grid_incidents.get(w.grid_code)
        n_inc = inc.incidents if inc else 0
        n_ok = inc.closed_on_time if inc else 0
        shown.append({
            "rank": rank, "wid": w.id, "name": names.get(w.id) or "—",
            "role": ROLE_NAMES.get(w.role, w.role or "—"),
            "grid_code": w.grid_code, "grid": paths.get(w.grid_code, w.grid_code),
            "patrols": p.patrols if p else 0,
            "km": round((p.meters or 0) / 1000.0, 1) if p else 0.0,
            "issues": int(p.issues or 0) if p else 0,
            "incidents": n_inc, "closed_on_time": n_ok, "on_time_rate": _ratio(n_ok, n_inc),
        })
    return {"rows": shown, "total": total, "days": days, "truncated": total > 2 * limit}
