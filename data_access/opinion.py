"""社情民意晴雨表: what people ask for, how they feel, and what is rising, for a region's subtree.

Appeals are read once per view over a bounded window (63 Asia/Shanghai days:
35 shown plus the 28 that give the first shown day its baseline), grouped in
SQL to a few thousand rows, and shaped here into the daily series, the topic
windows and the channel mix. The headline numbers come from `metrics`, so the
view, the overview and the API agree.

Topics: a NULL topic is 未分类. Sentiment: a NULL sentiment is left out of
every sentiment share (it is neither negative nor "not negative").
"""
from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from . import metrics, quality, regions
from .schema import TOPICS, appeal, region
from .scope import Scope, in_region, resolve
from .timeutil import day_start, local_date, local_day

UNCLASSIFIED = "未分类"
KNOWN_TOPICS = (*TOPICS, UNCLASSIFIED)

DAYS = 35            # days in the volume chart
BASELINE_DAYS = 28   # the trailing window a day (and a topic) is read against
WEEK = 7             # the "now" window of topics and of the barometer
RISING_P = 0.01      # one-sided Poisson tail below this ...
RISING_MIN = 5       # ... and at least this many appeals: the topic is rising (风向标)
RECENT_LIMIT = 50
RECENT_WINDOWS = (1, 7, 35, None)  # days; widen until the list is full

APPEAL_KPIS = ("appeals_today", "negative_share_today", "satisfaction_30d", "barometer_index")


# --- statistics -------------------------------------------------------------

def poisson_tail(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu): the one-sided p-value of seeing k or more.

    Small tails (k above mu, the case that matters) come from the series of the
    regularized lower incomplete gamma P(k, mu), which has no cancellation;
    large tails (k at or below mu) from 1 - sum of the first k pmf terms.
    """
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    if mu < k:
        # P(k, mu) = mu^k e^-mu / k! * sum_n mu^n / ((k+1)...(k+n))
        term, total, n = 1.0, 1.0, 0
        while term > total * 1e-17:
            n += 1
            term *= mu / (k + n)
            total += term
        return min(1.0, math.exp(k * math.log(mu) - mu - math.lgamma(k + 1)) * total)
    head = math.fsum(math.exp(i * math.log(mu) - mu - math.lgamma(i + 1)) for i in range(k))
    return max(0.0, 1.0 - head)


def topic_signal(observed: int, previous: int) -> dict:
    """This week's count against the region's own previous 28 days (rate x 7)."""
    expected = previous * WEEK / BASELINE_DAYS
    p = poisson_tail(observed, expected)
    return {"count_7d": observed, "count_prev_28d": previous, "expected": round(expected, 2),
            "ratio": round(observed / expected, 3) if expected else None,
            "p_value": p, "rising": p < RISING_P and observed >= RISING_MIN}


# --- the grouped scan --------------------------------------------------------

def _scan(conn: Connection, r, now: dt.datetime) -> list[dict]:
    """Appeal counts by (local day, window, topic, channel) over the view's 63 days."""
    received = appeal.c.received_at
    joined, located = in_region(appeal, r)
    start = day_start(now, DAYS - 1 + BASELINE_DAYS)
    # Windows of the barometer (docs/metrics.md): the last 7 x 24 h, the 28 days before.
    window = case((received >= now - dt.timedelta(days=WEEK), "w"),
                  (received >= now - dt.timedelta(days=WEEK + BASELINE_DAYS), "b"), else_="o")
    # Grouping on the outer query's plain columns keeps PostgreSQL happy with bound CASE values.
    inner = (select(local_date(received).label("day"), window.label("win"), appeal.c.topic,
                    appeal.c.channel, appeal.c.sentiment, appeal.c.satisfaction)
             .select_from(joined).where(located, quality.appeal_ok(now), received >= start)
             .subquery())
    keys = (inner.c.day, inner.c.win, inner.c.topic, inner.c.channel)
    stmt = select(*keys, func.count().label("n"),
                  func.count(inner.c.sentiment).label("rated"),
                  func.count().filter(inner.c.sentiment < 0).label("negative"),
                  func.count(inner.c.satisfaction).label("sat_n"),
                  func.sum(inner.c.satisfaction).label("sat_sum")).group_by(*keys)
    return [dict(row._mapping) for row in conn.execute(stmt)]


def _days(rows: list[dict], now: dt.datetime) -> list[dict]:
    """The last 35 days: volume and its trailing 28-day mean, negative share, satisfaction."""
    today = local_day(now)
    span = DAYS + BASELINE_DAYS
    dates = [(today - dt.timedelta(days=span - 1 - i)).isoformat() for i in range(span)]
    acc = {d: {"appeals": 0, "rated": 0, "negative": 0, "sat_n": 0, "sat_sum": 0} for d in dates}
    for row in rows:
        slot = acc.get(row["day"])
        if slot is None:
            continue
        for k in ("rated", "negative", "sat_n"):
            slot[k] += row[k]
        slot["appeals"] += row["n"]
        slot["sat_sum"] += row["sat_sum"] or 0
    counts = [acc[d]["appeals"] for d in dates]
    out = []
    for i in range(BASELINE_DAYS, span):
        a = acc[dates[i]]
        out.append({
            "day": dates[i], "appeals": a["appeals"],
            "baseline": round(sum(counts[i - BASELINE_DAYS:i]) / BASELINE_DAYS, 2),
            "rated": a["rated"], "negative": a["negative"],
            "negative_share": round(a["negative"] / a["rated"], 4) if a["rated"] else None,
            "satisfaction_n": a["sat_n"],
            "satisfaction": round(float(a["sat_sum"]) / a["sat_n"], 2) if a["sat_n"] else None,
        })
    return out


def _topics(rows: list[dict]) -> list[dict]:
    """Every topic seen in the last 35 days, busiest this week first, with its rising test."""
    counts: dict[str, list[int]] = {}
    for row in rows:
        if row["win"] == "o":
            continue
        slot = counts.setdefault(row["topic"] if row["topic"] is not None else UNCLASSIFIED, [0, 0])
        slot[0 if row["win"] == "w" else 1] += row["n"]
    out = [{"topic": t, **topic_signal(w, b)} for t, (w, b) in counts.items()]
    return sorted(out, key=lambda t: (-t["count_7d"], t["p_value"], t["topic"]))


def _channels(rows: list[dict], now: dt.datetime, days: int = 30) -> list[dict]:
    """Appeals per channel over the last `days` local days (today included)."""
    first = (local_day(now) - dt.timedelta(days=days - 1)).isoformat()
    counts: dict[str, int] = {}
    for row in rows:
        if row["day"] >= first:
            key = row["channel"] or "unknown"
            counts[key] = counts.get(key, 0) + row["n"]
    return [{"channel": c, "appeals": n} for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def trends(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> dict:
    """Daily series (35 days), topics (7 days vs the 28 before) and channel mix (30 days)."""
    r = resolve(conn, scope, code)
    rows = _scan(conn, r, now)
    return {"days": _days(rows, now), "topics": _topics(rows), "channels": _channels(rows, now)}


# --- headline numbers (from metrics) -------------------------------------------

def _appeal_part(raw: dict) -> dict:
    # metrics' own finishing step: the same numbers metrics.summary / by_child return.
    full = metrics.kpis_from_counts(raw, 0)
    return {**{k: full[k] for k in APPEAL_KPIS}, "barometer": full["barometer"]}


def headline(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> dict:
    """The appeal KPIs and barometer of metrics.summary, without its incident, patrol and visit queries."""
    r = resolve(conn, scope, code)
    return _appeal_part(metrics.appeal_counts(conn, r, now).get(r.code, {}))


def children(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> list[dict]:
    """Per child (code order, children without appeals included): the appeal KPIs of metrics.by_child."""
    r = resolve(conn, scope, code)
    raw = metrics.appeal_counts(conn, r, now, by_child=True)
    return [{"code": c.code, "name": c.name, "level": c.level, **_appeal_part(raw.get(c.code, {}))}
            for c in regions.children(conn, scope, r.code)]


# --- the latest appeals ----------------------------------------------------------

def recent(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
           topic: str | None = None, limit: int = RECENT_LIMIT) -> list[dict]:
    """The latest appeals in the subtree, newest first, optionally of one known topic.

    No citizen_hash leaves here. Windows widen (1, 7, 35 days, then all) so the
    newest rows are found without sorting the whole subtree's history.
    """
    r = resolve(conn, scope, code)
    if topic is not None and topic not in KNOWN_TOPICS:
        raise ValueError("unknown topic")
    limit = max(1, min(int(limit), 500))
    received = appeal.c.received_at
    joined, located = in_region(appeal, r)
    where = [located, quality.appeal_ok(now)]
    if topic == UNCLASSIFIED:
        where.append(appeal.c.topic.is_(None))
    elif topic is not None:
        where.append(appeal.c.topic == topic)
    cols = (appeal.c.id, received, appeal.c.channel, appeal.c.topic, appeal.c.sentiment,
            appeal.c.satisfaction, appeal.c.resolved_at, appeal.c.content, appeal.c.grid_code,
            appeal.c.village_code, appeal.c.township_code, appeal.c.county_code)
    rows = []
    for days in RECENT_WINDOWS:
        bound = [] if days is None else [received >= now - dt.timedelta(days=days)]
        stmt = (select(*cols).select_from(joined).where(*where, *bound)
                .order_by(received.desc(), appeal.c.id.desc()).limit(limit))
        rows = conn.execute(stmt).all()
        if len(rows) >= limit:
            break
    names = _names(conn, {c for row in rows for c in (row.county_code, row.township_code,
                                                       row.village_code, row.grid_code)})
    below = {"city": ("county_code", "township_code", "village_code", "grid_code"),
             "county": ("township_code", "village_code", "grid_code"),
             "township": ("village_code", "grid_code"), "village": ("grid_code",),
             "grid": ("grid_code",)}[r.level]
    return [{
        "id": row.id, "received_at": row.received_at, "channel": row.channel,
        "topic": row.topic if row.topic is not None else UNCLASSIFIED,
        "sentiment": row.sentiment, "satisfaction": row.satisfaction,
        "resolved": row.resolved_at is not None and row.resolved_at <= now,
        "place": " / ".join(names.get(getattr(row, col), "?") for col in below),
        "content": row.content or "",
    } for row in rows]


def _names(conn: Connection, codes: set) -> dict:
    codes = sorted(c for c in codes if c)
    if not codes:
        return {}
    return dict(conn.execute(select(region.c.code, region.c.name).where(region.c.code.in_(codes))).all())
