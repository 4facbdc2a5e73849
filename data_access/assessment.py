"""考核评价: the monthly assessment of grid workers, villages and townships (docs/assessment.md).

Seven indicators from the shared tables, each normalised to 0–100 and weighted by the version of
`assessment_weights` in force for the month; ranked; each score with the records behind it.
A month is computed from the raw rows on demand (no stored scores): the weights version a month
uses is fixed by rule (the highest version whose `effective_from` is not after the month, and a
new version may only take effect from the current month on), so a new version never changes a
month that has ended.

Every query takes the caller's scope: the region is resolved inside it, a worker is found only
through a grid inside it. Names of people are masked on the way out (data_access/privacy.py).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from . import quality, regions, rollups
from .metrics import key_people
from .privacy import mask_name, mask_text
from .schema import appeal, assessment_weights, grid_worker, incident, key_person, patrol, region
from .scope import NotInScope, Region, RegionError, Scope, in_region, level_column, resolve, unknown
from .timeutil import SHANGHAI, UTC, day_start, local_date
from .vocabulary import WORKER_ROLE_NAMES

# --- vocabulary --------------------------------------------------------------------------------

INDICATORS = ("clearance", "patrol_coverage", "patrol_regularity", "visit_on_time", "overdue",
              "satisfaction", "repeat_appeals")
INDICATOR_NAMES = {
    "clearance": "日清零率（月）", "patrol_coverage": "巡查覆盖率", "patrol_regularity": "巡查规律性",
    "visit_on_time": "走访及时率（月末）", "overdue": "超期事件率", "satisfaction": "群众满意度",
    "repeat_appeals": "重复诉求率",
}
ASSESSED_ROLES = ("grid_leader", "full_time", "part_time")  # 网格长 / 专职 / 兼职
LEVELS = ("worker", "village", "township")
LEVEL_NAMES = {"worker": "网格员", "village": "村(社区)", "township": "乡镇(街道)"}
GRADES = ("excellent", "good", "pass", "fail")
GRADE_NAMES = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格", None: "数据不足"}

# Version 0: the built-in defaults, in force until an admin saves a version. Never edited in code
# (a change of weights is a new version): months scored with them keep their scores.
DEFAULT_WEIGHTS = {"clearance": 20, "patrol_coverage": 20, "patrol_regularity": 10, "visit_on_time": 15,
                   "overdue": 15, "satisfaction": 10, "repeat_appeals": 10}
DEFAULT_THRESHOLDS = {"excellent": 90.0, "good": 80.0, "pass": 60.0,
                      "gap_days": 2, "overdue_worst": 0.3, "repeat_worst": 0.3, "min_weight_share": 0.5}
THRESHOLD_NAMES = {"excellent": "优秀线（分）", "good": "良好线（分）", "pass": "合格线（分）",
                   "gap_days": "容许连续未巡查天数", "overdue_worst": "超期事件率满扣点",
                   "repeat_worst": "重复诉求率满扣点", "min_weight_share": "最低有效权重占比"}
REPEAT_WINDOW = dt.timedelta(days=30)  # an appeal repeats one by the same citizen in the same grid this recent
EVIDENCE_ROWS = 200
MONTHS_OFFERED = 12
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


class AssessmentError(RegionError):
    """A month, weights or subject the caller may not use; answered with a sentence (400)."""

    status = 400


# --- months ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Month:
    """One month's assessment period: whole Asia/Shanghai days from its first day to its last, or
    to yesterday for the month in progress. `as_of` is the period's last second: every figure is
    as known then (an incident closed later is open at `as_of`)."""

    key: str            # "2026-10"
    start: dt.datetime  # UTC, the 1st 00:00 Shanghai
    end: dt.datetime    # UTC, exclusive
    partial: bool       # the month in progress (its days so far)

    @property
    def as_of(self) -> dt.datetime:
        return self.end - dt.timedelta(seconds=1)

    @property
    def days(self) -> list[dt.date]:
        first = self.start.astimezone(SHANGHAI).date()
        return [first + dt.timedelta(days=i) for i in range(round((self.end - self.start).total_seconds() / 86400))]

    @property
    def label(self) -> str:
        y, m = self.key.split("-")
        last = self.days[-1]
        return f"{y}年{int(m)}月" + (f"（截至{last.month}月{last.day}日）" if self.partial else "")


def _first(y: int, m: int) -> dt.datetime:
    return dt.datetime(y, m, 1, tzinfo=SHANGHAI).astimezone(UTC)


def shift_month(key: str, n: int) -> str:
    y, m = (int(x) for x in key.split("-"))
    i = y * 12 + m - 1 + n
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def current_month_key(now: dt.datetime) -> str:
    return f"{now.astimezone(SHANGHAI):%Y-%m}"


def parse_month(key, now: dt.datetime) -> Month:
    """A month from its key, refused unless it has at least one whole day by `now`."""
    m = MONTH_PATTERN.match(key) if isinstance(key, str) else None
    if m is None or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 2000:
        raise AssessmentError("月份无效：应为 YYYY-MM")
    start = _first(int(m.group(1)), int(m.group(2)))
    nxt = shift_month(key, 1)
    end = _first(*(int(x) for x in nxt.split("-")))
    today = day_start(now)
    if start >= today:
        raise AssessmentError(f"{key} 尚无完整的一天，不能考核")
    return Month(key, start, min(end, today), end > today)


def default_month(now: dt.datetime) -> str:
    """The last complete month."""
    return shift_month(current_month_key(now), -1)


def month_options(now: dt.datetime, n: int = MONTHS_OFFERED) -> list[Month]:
    """The month in progress (when it has a whole day) and the `n` months before, newest first."""
    out = []
    for i in range(0, n + 1):
        try:
            out.append(parse_month(shift_month(current_month_key(now), -i), now))
        except AssessmentError:
            continue
    return out


# --- weights (versioned, dashboard-owned) ------------------------------------------------------

@dataclass(frozen=True)
class Weights:
    version: int
    effective_from: str
    weights: dict
    thresholds: dict
    created_by: str | None = None
    created_at: str | None = None
    comment: str = ""

    def plain(self) -> dict:
        return {"version": self.version, "effective_from": self.effective_from, "weights": dict(self.weights),
                "thresholds": dict(self.thresholds), "created_by": self.created_by,
                "created_at": self.created_at, "comment": self.comment}


BUILT_IN = Weights(0, "2000-01", DEFAULT_WEIGHTS, DEFAULT_THRESHOLDS, "system", None, "内置默认权重")


def _weights_row(row) -> Weights:
    return Weights(row.version, row.effective_from, json.loads(row.weights), json.loads(row.thresholds),
                   row.created_by, row.created_at.isoformat() if row.created_at else None, row.comment or "")


def versions(conn: Connection) -> list[Weights]:
    """Every saved version, newest first, then the built-in one."""
    rows = conn.execute(select(assessment_weights).order_by(assessment_weights.c.version.desc())).all()
    return [_weights_row(r) for r in rows] + [BUILT_IN]


def weights_for(conn: Connection, month_key: str) -> Weights:
    """The version in force for a month: the highest whose effective_from is not after it."""
    row = conn.execute(select(assessment_weights).where(assessment_weights.c.effective_from <= month_key)
                       .order_by(assessment_weights.c.version.desc()).limit(1)).first()
    return BUILT_IN if row is None else _weights_row(row)


def _number(value, name: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise AssessmentError(f"{name} 应为数字")
    if not lo <= value <= hi:
        raise AssessmentError(f"{name} 应在 {lo:g} 到 {hi:g} 之间")
    return float(value)


def validate(weights, thresholds) -> tuple[dict, dict]:
    """Weights: one per indicator, 0–100, summing to 100. Thresholds: grade lines in order, the
    normalisation points and the missing-data rule within their ranges."""
    if not isinstance(weights, dict) or set(weights) != set(INDICATORS):
        raise AssessmentError("权重应覆盖全部七项指标")
    w = {k: _number(weights[k], INDICATOR_NAMES[k], 0, 100) for k in INDICATORS}
    if abs(sum(w.values()) - 100) > 1e-6:
        raise AssessmentError(f"权重合计应为 100（当前 {sum(w.values()):g}）")
    if not isinstance(thresholds, dict) or set(thresholds) != set(DEFAULT_THRESHOLDS):
        raise AssessmentError("评级标准不完整")
    t = {k: _number(thresholds[k], THRESHOLD_NAMES[k], *rng) for k, rng in (
        ("excellent", (0, 100)), ("good", (0, 100)), ("pass", (0, 100)), ("gap_days", (0, 15)),
        ("overdue_worst", (0.01, 1)), ("repeat_worst", (0.01, 1)), ("min_weight_share", (0, 1)))}
    if not t["pass"] < t["good"] < t["excellent"]:
        raise AssessmentError("评级线应满足 合格 < 良好 < 优秀")
    if t["gap_days"] != int(t["gap_days"]):
        raise AssessmentError("容许连续未巡查天数应为整数")
    t["gap_days"] = int(t["gap_days"])
    return w, t


def add_version(conn: Connection, weights, thresholds, effective_from, comment, actor: str,
                now: dt.datetime) -> Weights:
    """Save a new version (append-only). It may take effect from the current month on, never from
    a month that has ended: those keep the version they were scored with."""
    w, t = validate(weights, thresholds)
    if not isinstance(effective_from, str) or MONTH_PATTERN.match(effective_from) is None \
            or not 1 <= int(effective_from[5:]) <= 12:
        raise AssessmentError("生效月份无效：应为 YYYY-MM")
    if effective_from < current_month_key(now):
        raise AssessmentError("已结束月份的考核权重不能更改：生效月份不能早于本月")
    text = comment.strip()[:500] if isinstance(comment, str) else ""
    if not text:
        raise AssessmentError("请填写修改说明")
    latest = conn.execute(select(func.max(assessment_weights.c.version))).scalar() or 0
    conn.execute(assessment_weights.insert().values(
        version=latest + 1, effective_from=effective_from, weights=json.dumps(w, ensure_ascii=False),
        thresholds=json.dumps(t, ensure_ascii=False), created_by=actor, created_at=now, comment=text))
    return Weights(latest + 1, effective_from, w, t, actor, now.isoformat(), text)


# --- the raw figures ---------------------------------------------------------------------------

def _events(p: Month):
    """Incident rows counted as events of the month (as the KPIs count them)."""
    c = incident.c
    return and_(quality.incident_ok(p.as_of), rollups.counts_as_event(), c.reported_at >= p.start,
                c.reported_at < p.end)


def _cleared_same_day(p: Month):
    """Closed by the period's end on the Shanghai day it was reported: the 日清零 of that day."""
    c = incident.c
    return and_(quality.closed_at_now(p.as_of), local_date(c.closed_at) == local_date(c.reported_at))


def _overdue(p: Month):
    """Closed after its deadline, or still open at the period's end with the deadline passed."""
    c = incident.c
    open_then = or_(c.closed_at.is_(None), c.closed_at > p.as_of)
    return and_(c.sla_due_at.isnot(None),
                or_(and_(quality.closed_at_now(p.as_of), c.closed_at > c.sla_due_at),
                    and_(open_then, c.sla_due_at < p.as_of)))


def _grids(conn, r: Region) -> list[dict]:
    g = region.alias("g")
    rows = conn.execute(select(g.c.code, g.c.name, g.c.village_code, g.c.township_code)
                        .where(g.c.level == "grid", level_column(g, r.level) == r.code)
                        .order_by(g.c.code)).all()
    return [{"code": c, "name": n, "village": v, "township": t} for c, n, v, t in rows]


def _incident_counts(conn, r: Region, p: Month) -> dict:
    joined, located = in_region(incident, r)
    stmt = (select(incident.c.grid_code, func.count(), func.count().filter(_cleared_same_day(p)),
                   func.count().filter(_overdue(p)))
            .select_from(joined).where(located, _events(p)).group_by(incident.c.grid_code))
    return {g: {"reported": n, "cleared": c, "overdue": o} for g, n, c, o in conn.execute(stmt)}


def _patrol_days(conn, r: Region, p: Month, worker_id: int | None = None) -> list[tuple]:
    """(worker_id, grid_code, local day) with at least one valid patrol started in the period."""
    joined, located = in_region(patrol, r)
    day = local_date(patrol.c.started_at)
    where = [located, quality.patrol_ok(p.as_of), patrol.c.started_at >= p.start, patrol.c.started_at < p.end]
    if worker_id is not None:
        where.append(patrol.c.worker_id == worker_id)
    stmt = (select(patrol.c.worker_id, patrol.c.grid_code, day).select_from(joined).where(*where)
            .group_by(patrol.c.worker_id, patrol.c.grid_code, day))
    return [(w, g, dt.date.fromisoformat(d)) for w, g, d in conn.execute(stmt)]


def _people(conn, r: Region, p: Month):
    """The subtree's key persons with their latest visit at the period's end, and whether it is
    within their interval: the visit_on_time_rate of docs/metrics.md read at `as_of`."""
    return key_people(conn, r, p.as_of, columns=[
        key_person.c.id, key_person.c.grid_code, key_person.c.category, key_person.c.risk_level,
        key_person.c.name])


def _key_persons(conn, r: Region, p: Month) -> dict:
    """Per grid, key persons and those visited on time at the period's end."""
    people, on_time = _people(conn, r, p)
    stmt = (select(people.c.grid_code, func.count(), func.count().filter(on_time)).select_from(people)
            .group_by(people.c.grid_code))
    return {g: {"kp": n, "kp_on_time": k} for g, n, k in conn.execute(stmt)}


def _late_key_persons(conn, r: Region, p: Month, limit: int) -> tuple[list, int]:
    """The key persons not visited on time at the period's end, riskiest first, and how many."""
    people, on_time = _people(conn, r, p)
    late = select(people.c.id, people.c.grid_code, people.c.category, people.c.risk_level, people.c.name,
                  people.c.days, people.c.last).select_from(people) \
        .where(or_(people.c.last.is_(None), ~on_time))  # NOT of a NULL comparison is NULL: never visited
    rows = conn.execute(late.order_by(people.c.risk_level.desc(), people.c.id).limit(limit)).all()
    return rows, conn.execute(select(func.count()).select_from(late.subquery())).scalar()


def _appeal_rows(conn, r: Region, p: Month) -> list:
    """The period's appeals and the 30 days before (to find repeats), oldest first."""
    joined, located = in_region(appeal, r)
    a = appeal.c
    return conn.execute(
        select(a.id, a.grid_code, a.received_at, a.satisfaction, a.citizen_hash)
        .select_from(joined).where(located, quality.appeal_ok(p.as_of), a.received_at >= p.start - REPEAT_WINDOW,
                                   a.received_at < p.end)
        .order_by(a.received_at, a.id)).all()


def _repeats(rows, p: Month) -> dict[int, int]:
    """{appeal id: id of the earlier appeal it repeats}: the same citizen, the same grid, within
    REPEAT_WINDOW before it (appeals received in the period only)."""
    last: dict[tuple, tuple] = {}
    out = {}
    for row in rows:
        if row.citizen_hash:
            k = (row.citizen_hash, row.grid_code)
            prev = last.get(k)
            if row.received_at >= p.start and prev is not None and row.received_at - prev[1] <= REPEAT_WINDOW:
                out[row.id] = prev[0]
            last[k] = (row.id, row.received_at)
    return out


def _appeal_counts(conn, r: Region, p: Month) -> dict:
    rows = _appeal_rows(conn, r, p)
    rep = _repeats(rows, p)
    out: dict = {}
    for row in rows:
        if row.received_at < p.start:
            continue
        s = out.setdefault(row.grid_code, {"appeals": 0, "rated": 0, "sat_sum": 0, "repeated": 0})
        s["appeals"] += 1
        if row.satisfaction is not None:
            s["rated"] += 1
            s["sat_sum"] += row.satisfaction
        s["repeated"] += row.id in rep
    return out


def _gaps(covered: set, days: list[dt.date], allowed: int) -> list[tuple[dt.date, dt.date, int]]:
    """Runs of consecutive days without a patrol longer than `allowed` days: (first, last, length)."""
    out, run = [], []
    for d in days + [None]:
        if d is not None and d not in covered:
            run.append(d)
            continue
        if len(run) > allowed:
            out.append((run[0], run[-1], len(run)))
        run = []
    return out


# --- scores ------------------------------------------------------------------------------------

def normalise(counts: dict, t: dict) -> dict:
    """{indicator: (value, score 0–100)} from a unit's counters; (None, None) when it has no data."""
    def rate(num, den):
        return None if not den else num / den

    def inverse(value, worst):
        return None if value is None else 100.0 * (1 - min(1.0, value / worst))
    days = counts["days"]
    out = {}
    v = rate(counts["cleared"], counts["reported"])
    out["clearance"] = (v, None if v is None else 100.0 * v)
    v = rate(counts["patrol_days"], days)
    out["patrol_coverage"] = (v, None if v is None else 100.0 * v)
    v = rate(days - counts["gap_days"], days)
    out["patrol_regularity"] = (v, None if v is None else 100.0 * v)
    v = rate(counts["kp_on_time"], counts["kp"])
    out["visit_on_time"] = (v, None if v is None else 100.0 * v)
    v = rate(counts["overdue"], counts["reported"])
    out["overdue"] = (v, inverse(v, t["overdue_worst"]))
    v = rate(counts["sat_sum"], counts["rated"])
    out["satisfaction"] = (v, None if v is None else (v - 1) / 4 * 100.0)
    v = rate(counts["repeated"], counts["appeals"])
    out["repeat_appeals"] = (v, inverse(v, t["repeat_worst"]))
    return out


def total(scores: dict, w: dict, t: dict) -> float | None:
    """Weighted mean of the indicators that have data; None (数据不足) when those carry less than
    `min_weight_share` of the weight."""
    present = {k: s for k, (_, s) in scores.items() if s is not None}
    have = sum(w[k] for k in present)
    if have <= 0 or have < t["min_weight_share"] * sum(w.values()):
        return None
    return sum(w[k] * s for k, s in present.items()) / have


def grade(score: float | None, t: dict) -> str | None:
    if score is None:
        return None
    for g in ("excellent", "good", "pass"):
        if score >= t[g] - 1e-9:
            return g
    return "fail"


ZERO = {"reported": 0, "cleared": 0, "overdue": 0, "kp": 0, "kp_on_time": 0, "appeals": 0, "rated": 0,
        "sat_sum": 0, "repeated": 0}


def _add(a: dict, b: dict) -> dict:
    return {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}


def _row(base: dict, counts: dict, w: dict, t: dict) -> dict:
    scores = normalise(counts, t)
    score = total(scores, w, t)
    g = grade(score, t)
    row = dict(base)
    for k, (v, s) in scores.items():
        row[k] = None if s is None else round(s, 1)
        row[f"{k}_value"] = None if v is None else round(v, 4)
    row.update(score=None if score is None else round(score, 1), grade=g, grade_name=GRADE_NAMES[g],
               counts={k: counts[k] for k in sorted(counts)})
    return row


def _ranked(rows: list[dict], key: str) -> list[dict]:
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r[key]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i if r["score"] is not None else None
    return rows


def assess(conn: Connection, scope: Scope, code, month: Month, weights: Weights) -> dict:
    """The month's assessment of the region's subtree: townships, villages and assessed workers
    (active 网格长/专职/兼职), each ranked within the subtree by its total score."""
    r = resolve(conn, scope, code)
    w, t = weights.weights, weights.thresholds
    days = month.days
    grids = _grids(conn, r)
    inc = _incident_counts(conn, r, month)
    kp = _key_persons(conn, r, month)
    apl = _appeal_counts(conn, r, month)
    grid_days: dict[str, set] = {}
    worker_days: dict[tuple, set] = {}
    for wid, g, d in _patrol_days(conn, r, month):
        grid_days.setdefault(g, set()).add(d)
        worker_days.setdefault((wid, g), set()).add(d)
    per_grid = {}
    for g in grids:
        c = _add(_add(_add(ZERO, inc.get(g["code"], {})), kp.get(g["code"], {})), apl.get(g["code"], {}))
        covered = grid_days.get(g["code"], set())
        c["patrol_days"] = len(covered)
        c["gap_days"] = sum(n for *_, n in _gaps(covered, days, t["gap_days"]))
        c["days"] = len(days)
        c["grids"] = 1
        per_grid[g["code"]] = c
    names = regions.names(conn, [g["village"] for g in grids] + [g["township"] for g in grids])
    units = {"village": {}, "township": {}}
    for g in grids:
        for level in ("village", "township"):
            units[level][g[level]] = _add(units[level].get(g[level], {}), per_grid[g["code"]])
    out = {}
    for level in ("village", "township"):
        rows = []
        for code_, c in units[level].items():
            base = {"id": code_, "name": names.get(code_, code_), "grids": c["grids"]}
            if level == "village":
                base["parent"] = names.get(code_[:9], code_[:9])
            rows.append(_row(base, c, w, t))
        out[level] = _ranked(rows, "id")
    # A township's own row is shown only when the region holds the whole township.
    if r.level in ("village", "grid"):
        out["township"] = []
    if r.level == "grid":
        out["village"] = []
    by_grid = {g["code"]: g for g in grids}
    g_alias = region.alias("g")
    workers = conn.execute(
        select(grid_worker.c.id, grid_worker.c.grid_code, grid_worker.c.role, grid_worker.c.name)
        .select_from(grid_worker.join(g_alias, and_(g_alias.c.code == grid_worker.c.grid_code,
                                                    g_alias.c.level == "grid")))
        .where(level_column(g_alias, r.level) == r.code, grid_worker.c.active.is_(True),
               grid_worker.c.role.in_(ASSESSED_ROLES))).all()
    rows = []
    for wk in workers:
        g = by_grid[wk.grid_code]
        own = worker_days.get((wk.id, wk.grid_code), set())
        c = dict(per_grid[wk.grid_code])
        c["patrol_days"] = len(own)
        c["gap_days"] = sum(n for *_, n in _gaps(own, days, t["gap_days"]))
        rows.append(_row({"id": wk.id, "name": mask_name(wk.name) or "—", "role": wk.role,
                          "role_name": WORKER_ROLE_NAMES.get(wk.role, wk.role), "grid": g["code"],
                          "grid_name": g["name"], "parent": f"{names.get(g['township'], '')} "
                                                            f"{names.get(g['village'], '')}".strip()},
                         c, w, t))
    out["worker"] = _ranked(rows, "id")
    return {"region": {"code": r.code, "name": r.name, "level": r.level}, "month": month.key,
            "month_label": month.label, "partial": month.partial, "days": len(days),
            "as_of": month.as_of.isoformat(), "weights": weights.plain(), "levels": out}


# --- the records behind a score ----------------------------------------------------------------

def subject_region(conn: Connection, scope: Scope, kind: str, ident) -> tuple[Region, dict]:
    """The region a drilled row covers (a worker: his grid), inside the scope; a worker or region
    outside it answers like an unknown one."""
    if kind == "worker":
        if isinstance(ident, bool) or not isinstance(ident, int):
            raise AssessmentError("网格员编号无效")
        row = conn.execute(select(grid_worker.c.id, grid_worker.c.grid_code, grid_worker.c.name,
                                  grid_worker.c.role)
                           .where(grid_worker.c.id == ident, grid_worker.c.role.in_(ASSESSED_ROLES))).first()
        if row is None or not row.grid_code:
            raise NotInScope(unknown("网格员", ident))
        try:
            r = resolve(conn, scope, row.grid_code)
        except RegionError:
            raise NotInScope(unknown("网格员", ident)) from None
        return r, {"id": row.id, "name": mask_name(row.name) or "—", "role": row.role}
    if kind in ("village", "township"):
        r = resolve(conn, scope, ident)
        if r.level != kind:
            raise NotInScope(unknown("区划", ident))
        return r, {"id": r.code, "name": r.name}
    raise AssessmentError("考核对象无效")


def _when(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def evidence(conn: Connection, scope: Scope, kind: str, ident, indicator: str, month: Month,
             weights: Weights) -> dict:
    """The records behind one indicator of one row: {"title", "columns", "rows", "total", "note"}."""
    if indicator not in INDICATORS:
        raise AssessmentError("指标无效")
    r, who = subject_region(conn, scope, kind, ident)
    t = weights.thresholds
    days = month.days
    names = regions.names(conn, [g["code"] for g in _grids(conn, r)])
    title = f"{who['name']} · {INDICATOR_NAMES[indicator]} · {month.label}"
    if indicator in ("patrol_coverage", "patrol_regularity"):
        covered: dict[str, set] = {}
        wid = who["id"] if kind == "worker" else None
        for w_, g, d in _patrol_days(conn, r, month, wid):
            covered.setdefault(g, set()).add(d)
        rows = []
        for g in sorted(names) if kind != "worker" else [r.code]:
            seen = covered.get(g, set())
            if indicator == "patrol_coverage":
                missing = [d for d in days if d not in seen]
                if missing:
                    rows.append([names.get(g, g), len(missing), "、".join(f"{d.month}/{d.day}" for d in missing)])
            else:
                rows.extend([names.get(g, g), f"{a:%m-%d}", f"{b:%m-%d}", n]
                            for a, b, n in _gaps(seen, days, t["gap_days"]))
        if indicator == "patrol_coverage":
            cols = ["网格", "未巡查天数", "未巡查日期"]
            note = (f"统计 {len(days)} 天；" + ("本人在本网格有巡查记录的天数计为覆盖。" if kind == "worker"
                                                  else "网格当天有任一网格员巡查即计为覆盖。"))
        else:
            cols = ["网格", "起", "止", "连续未巡查天数"]
            note = f"连续未巡查超过 {t['gap_days']} 天的时段，其天数计为不规律。"
        return {"title": title, "columns": cols, "rows": rows, "total": len(rows), "note": note}
    if indicator == "visit_on_time":
        people, n = _late_key_persons(conn, r, month, EVIDENCE_ROWS)
        rows = [[kp.id, mask_name(kp.name) or "—", kp.category, kp.risk_level, kp.days, _when(kp.last) or "从未走访",
                 names.get(kp.grid_code, kp.grid_code)] for kp in people]
        return {"title": title, "columns": ["编号", "姓名", "类别", "风险等级", "走访周期（天）", "最近走访", "网格"],
                "rows": rows, "total": n, "note": "月末（统计截止时）最近一次走访超出其走访周期或从未走访的重点人员。"}
    if indicator in ("clearance", "overdue"):
        joined, located = in_region(incident, r)
        c = incident.c
        pick = ~_cleared_same_day(month) if indicator == "clearance" else _overdue(month)
        base = select(c.id, c.category, c.title, c.reported_at, c.sla_due_at, c.closed_at, c.grid_code) \
            .select_from(joined).where(located, _events(month), pick)
        n = conn.execute(select(func.count()).select_from(base.subquery())).scalar()
        found = conn.execute(base.order_by(c.reported_at, c.id).limit(EVIDENCE_ROWS)).all()
        rows = []
        for x in found:
            closed = x.closed_at if x.closed_at is not None and x.closed_at <= month.as_of else None
            late = None
            if indicator == "overdue" and x.sla_due_at is not None:
                late = round(((closed or month.as_of) - x.sla_due_at).total_seconds() / 3600, 1)
            last_col = late if indicator == "overdue" else names.get(x.grid_code, x.grid_code)
            rows.append([x.id, x.category, mask_text(x.title), _when(x.reported_at), _when(x.sla_due_at),
                         _when(closed) or "未办结", last_col])
        last = "超期（小时）" if indicator == "overdue" else "网格"
        note = ("当月上报的事件中，未在上报当日办结的。" if indicator == "clearance"
                else "当月上报的事件中，办结晚于时限或月末仍未办结且已过时限的。")
        return {"title": title, "columns": ["编号", "类别", "标题", "上报", "时限", "办结", last],
                "rows": rows, "total": n, "note": note}
    rows_ = _appeal_rows(conn, r, month)
    joined, located = in_region(appeal, r)
    detail = {x.id: x for x in conn.execute(
        select(appeal.c.id, appeal.c.topic, appeal.c.content).select_from(joined)
        .where(located, appeal.c.received_at >= month.start, appeal.c.received_at < month.end,
               quality.appeal_ok(month.as_of)))}
    if indicator == "satisfaction":
        picked = sorted((x for x in rows_ if x.received_at >= month.start and x.satisfaction is not None),
                        key=lambda x: (x.satisfaction, x.received_at, x.id))
        rows = [[x.id, _when(x.received_at), detail[x.id].topic or "未分类", x.satisfaction,
                 mask_text(detail[x.id].content), names.get(x.grid_code, x.grid_code)] for x in picked[:EVIDENCE_ROWS]]
        return {"title": title, "columns": ["编号", "收到", "主题", "满意度", "内容", "网格"], "rows": rows,
                "total": len(picked), "note": "当月收到并已评价（1–5 分）的诉求，满意度低的在前。"}
    rep = _repeats(rows_, month)
    first = {x.id: x.received_at for x in rows_}
    picked = [x for x in rows_ if x.id in rep]
    rows = [[x.id, _when(x.received_at), detail[x.id].topic or "未分类", rep[x.id], _when(first[rep[x.id]]),
             mask_text(detail[x.id].content), names.get(x.grid_code, x.grid_code)] for x in picked[:EVIDENCE_ROWS]]
    return {"title": title, "columns": ["编号", "收到", "主题", "重复的诉求", "其收到时间", "内容", "网格"],
            "rows": rows, "total": len(picked),
            "note": "同一群众（citizen_hash）30 天内在同一网格再次提出的诉求。"}
