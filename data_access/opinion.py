"""社情民意晴雨表: what people ask for, how they feel, and what is rising, for a region's subtree.

Appeals are read once per view over a bounded window (63 Asia/Shanghai days:
35 shown plus the 28 that give the first shown day its baseline), grouped in
SQL to a few thousand rows, and shaped here into the daily series, the topic
windows and the channel mix. The headline numbers come from `metrics`, so the
view, the overview and the API agree.

Text that carries no stored label is read (issue #8, docs/opinion.md): an
appeal of the last 35 x 24 h whose topic or sentiment is NULL gets them from
its text through `dashboard.opinion_text` (cached per text), so the view is
right before any backfill has run. A stored label always wins over a reading.
Appeals that cannot be read (no text) keep NULL: topic 未分类, and no sentiment,
which leaves them out of every sentiment share. The hot words of the week come
from every appeal's text, read against the region's own previous 28 days.

One label, one number (issue #17): the KPI cards, the barometer index and the
children's ranking are `metrics`' own figures (stored labels), as on the overview,
the API, the warning rules and the briefing. The readings that add sentiments
read from text are shown beside them under their own labels (`with_text`); the
two agree once `python -m dashboard opinion backfill` has filled the NULLs.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, namedtuple

from sqlalchemy import and_, case, func, not_, or_, select
from sqlalchemy.engine import Connection

from . import metrics, opinion_readings, quality, regions
from .opinion_readings import place_names  # noqa: F401 - also the backfill's place dictionary
from .privacy import mask_text
from .schema import appeal, appeal_reading
from .scope import Scope, child_column, in_region, resolve
from .stats import log_odds_z, poisson_tail
from .timeutil import day_start, local_date, local_day
from .vocabulary import APPEAL_KPIS, TOPICS, UNCLASSIFIED_TOPIC

UNCLASSIFIED = UNCLASSIFIED_TOPIC
KNOWN_TOPICS = (*TOPICS, UNCLASSIFIED)

DAYS = 35            # days in the volume chart
BASELINE_DAYS = 28   # the trailing window a day (and a topic) is read against
WEEK = 7             # the "now" window of topics and of the barometer
RISING_P = 0.01      # one-sided Poisson tail below this ...
RISING_MIN = 5       # ... and at least this many appeals: the topic is rising (风向标)
RECENT_LIMIT = 50
RECENT_WINDOWS = (1, 7, 35, None)  # days; widen until the list is full
READ_DAYS = 35       # unlabelled appeals this recent are read from their text (the barometer's span)
HOT_WORDS = 15       # words in the hot-word chart at most
HOT_MIN = 3          # a hot word is carried by at least this many appeals this week ...
HOT_LIFT = 1.5       # ... at least this many times its baseline rate ...
HOT_Z = 2.0          # ... with a log-odds z at least this (a steady word reaches neither by chance)
HOT_PRIOR = 100.0    # pseudo-appeals of the informative prior on each side (stats.log_odds_z)
WORD_MAX = 12        # longest word a click may ask for


# --- statistics -------------------------------------------------------------

def topic_signal(observed: int, previous: int) -> dict:
    """This week's count against the region's own previous 28 days (rate x 7)."""
    expected = previous * WEEK / BASELINE_DAYS
    p = poisson_tail(observed, expected)
    return {"count_7d": observed, "count_prev_28d": previous, "expected": round(expected, 2),
            "ratio": round(observed / expected, 3) if expected else None,
            "p_value": p, "rising": p < RISING_P and observed >= RISING_MIN}


# --- the grouped scan --------------------------------------------------------

def _unlabelled():
    return or_(appeal.c.topic.is_(None), appeal.c.sentiment.is_(None))


def _window(received: dt.datetime, now: dt.datetime) -> str:
    """The barometer's windows (docs/metrics.md): the last 7 x 24 h, the 28 days before, older."""
    if received >= now - dt.timedelta(days=WEEK):
        return "w"
    return "b" if received >= now - dt.timedelta(days=WEEK + BASELINE_DAYS) else "o"


def _scan(conn: Connection, r, now: dt.datetime) -> list[dict]:
    """Appeal counts by (local day, window, topic, channel) over the view's 63 days, except
    the recent unlabelled appeals, which `_unread` reads from their text."""
    received = appeal.c.received_at
    joined, located = in_region(appeal, r)
    start = day_start(now, DAYS - 1 + BASELINE_DAYS)
    window = case((received >= now - dt.timedelta(days=WEEK), "w"),
                  (received >= now - dt.timedelta(days=WEEK + BASELINE_DAYS), "b"), else_="o")
    read_from = now - dt.timedelta(days=READ_DAYS)
    # Grouping on the outer query's plain columns keeps PostgreSQL happy with bound CASE values.
    inner = (select(local_date(received).label("day"), window.label("win"), appeal.c.topic,
                    appeal.c.channel, appeal.c.sentiment, appeal.c.satisfaction)
             .select_from(joined).where(located, quality.appeal_ok(now), received >= start,
                                        not_(and_(_unlabelled(), received >= read_from)))
             .subquery())
    keys = (inner.c.day, inner.c.win, inner.c.topic, inner.c.channel)
    stmt = select(*keys, func.count().label("n"),
                  func.count(inner.c.sentiment).label("rated"),
                  func.count().filter(inner.c.sentiment < 0).label("negative"),
                  func.count(inner.c.satisfaction).label("sat_n"),
                  func.sum(inner.c.satisfaction).label("sat_sum")).group_by(*keys)
    return [dict(row._mapping) for row in conn.execute(stmt)]


def pipeline(conn: Connection):
    """The text pipeline for this database's region tree (built once per process, then cached)."""
    return opinion_readings.text_model().for_places(place_names(conn))


Stored = namedtuple("Stored", "topic sentiment keywords")


def reader(conn: Connection) -> str:
    """Whose readings `appeal_reading` may give this view: the current model, these place names."""
    return opinion_readings.reader_id(opinion_readings.text_model().model_version(), place_names(conn))


def _lazy_read(conn: Connection):
    """pipeline(conn).read, built only when a text has to be read here (most have a stored reading)."""
    fn = None

    def read(text):
        nonlocal fn
        if fn is None:
            fn = pipeline(conn).read
        return fn(text)
    return read


def _reading(row, read):
    """The row's stored reading (appeal_reading), else its text read now; None without text."""
    if row.r_id is not None:
        return Stored(row.r_topic, row.r_sentiment, opinion_readings.decode(row.r_keywords))
    return read(row.content) if row.content and row.content.strip() else None


def _unread(conn: Connection, r, now: dt.datetime, by: str | None = None) -> list[dict]:
    """The last 35 x 24 h's appeals with a NULL topic or sentiment, the NULLs read from the text
    (stored readings by `by`, the current reader, where the fill has made them).

    Each row: day, win, channel, topic, sentiment, satisfaction, child (the child of `r`
    it lies in), and which labels were read (`topic_read`, `sentiment_read`).
    """
    received = appeal.c.received_at
    joined, located = in_region(appeal, r)
    child = child_column(appeal, r)
    cols = [appeal.c.id, received, local_date(received).label("day"), appeal.c.channel, appeal.c.topic,
            appeal.c.sentiment, appeal.c.satisfaction, appeal.c.content]
    if child is not None:
        cols.append(child.label("child"))
    stmt = select(*cols, *opinion_readings.COLUMNS).select_from(
        opinion_readings.joined_with(joined, by or reader(conn))).where(
        located, quality.appeal_ok(now), received >= now - dt.timedelta(days=READ_DAYS), _unlabelled())
    rows = conn.execute(stmt).all()
    read = _lazy_read(conn)
    out = []
    for row in rows:
        reading = _reading(row, read)
        topic_read = row.topic is None and reading is not None
        sentiment_read = row.sentiment is None and reading is not None
        out.append({
            "id": row.id, "received_at": row.received_at, "day": row.day, "win": _window(row.received_at, now),
            "channel": row.channel, "satisfaction": row.satisfaction,
            "topic": reading.topic if topic_read else row.topic,
            "sentiment": reading.sentiment if sentiment_read else row.sentiment,
            "topic_read": topic_read, "sentiment_read": sentiment_read,
            "keywords": reading.keywords if reading else (),
            "child": row.child if child is not None else r.code,
        })
    return out


def _grouped(unread: list[dict]) -> list[dict]:
    """The read rows in `_scan`'s shape, so every figure sums both the same way."""
    acc: dict[tuple, dict] = {}
    for u in unread:
        key = (u["day"], u["win"], u["topic"], u["channel"])
        slot = acc.setdefault(key, {"n": 0, "rated": 0, "negative": 0, "sat_n": 0, "sat_sum": 0})
        slot["n"] += 1
        if u["sentiment"] is not None:
            slot["rated"] += 1
            slot["negative"] += u["sentiment"] < 0
        if u["satisfaction"] is not None:
            slot["sat_n"] += 1
            slot["sat_sum"] += u["satisfaction"]
    return [{"day": k[0], "win": k[1], "topic": k[2], "channel": k[3], **v} for k, v in acc.items()]


def reading_counts(unread: list[dict]) -> dict:
    """How much of the view was read from text: appeals, topics and sentiments (35 days, 7 days)."""
    week = [u for u in unread if u["win"] == "w"]
    return {"appeals_35d": sum(u["topic_read"] or u["sentiment_read"] for u in unread),
            "topics_35d": sum(u["topic_read"] for u in unread),
            "sentiments_35d": sum(u["sentiment_read"] for u in unread),
            "appeals_7d": sum(u["topic_read"] or u["sentiment_read"] for u in week),
            "unreadable_35d": sum(u["topic"] is None for u in unread)}


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


def _trends(conn: Connection, r, now: dt.datetime, unread: list[dict]) -> dict:
    rows = _scan(conn, r, now) + _grouped(unread)
    return {"days": _days(rows, now), "topics": _topics(rows), "channels": _channels(rows, now),
            "read": reading_counts(unread)}


def trends(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> dict:
    """Daily series (35 days), topics (7 days vs the 28 before), channel mix (30 days), and how
    many appeals were read from their text."""
    r = resolve(conn, scope, code)
    return _trends(conn, r, now, _unread(conn, r, now))


# --- headline numbers (from metrics) -------------------------------------------

def _appeal_part(raw: dict) -> dict:
    # metrics' own finishing step: the same numbers metrics.summary / by_child return.
    full = metrics.kpis_from_counts(raw, 0)
    return {**{k: full[k] for k in APPEAL_KPIS}, "barometer": full["barometer"]}


def _with_readings(raw: dict, unread: list[dict], now: dt.datetime) -> dict:
    """metrics' raw counters plus the sentiments read from text, window by window."""
    out = dict(raw)
    today, week = day_start(now), now - dt.timedelta(days=WEEK)
    for u in unread:
        if not u["sentiment_read"]:
            continue
        negative = u["sentiment"] < 0
        if u["received_at"] >= today:
            out["rated_sentiment_today"] = (out.get("rated_sentiment_today") or 0) + 1
            out["negative_today"] = (out.get("negative_today") or 0) + negative
        suffix = "7d" if u["received_at"] >= week else "prev_28d"
        out[f"rated_{suffix}"] = (out.get(f"rated_{suffix}") or 0) + 1
        out[f"negative_{suffix}"] = (out.get(f"negative_{suffix}") or 0) + negative
    return out


def _headline(conn: Connection, r, now: dt.datetime, unread: list[dict]) -> dict:
    raw = metrics.appeal_counts(conn, r, now).get(r.code, {})
    # Under the shared labels, metrics' own figures (stored labels: the overview, the API, the
    # warning rules and the briefing show the same); the readings that include sentiments read
    # from text have their own labels (vocabulary.WITH_TEXT_LABELS).
    out = _appeal_part(raw)
    read = _appeal_part(_with_readings(raw, unread, now))
    out["with_text"] = {"negative_share_today": read["negative_share_today"],
                        "barometer_index": read["barometer_index"], "barometer": read["barometer"]}
    out["read_35d"] = sum(u["sentiment_read"] for u in unread)
    return out


def headline(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> dict:
    """The appeal KPIs and barometer of metrics.summary (stored labels), and under `with_text`
    the same formulas with the sentiments of unlabelled appeals read from their text."""
    r = resolve(conn, scope, code)
    return _headline(conn, r, now, _unread(conn, r, now))


def _children(conn: Connection, scope: Scope, r, now: dt.datetime) -> list[dict]:
    raw = metrics.appeal_counts(conn, r, now, by_child=True)
    return [{"code": c.code, "name": c.name, "level": c.level, **_appeal_part(raw.get(c.code, {}))}
            for c in regions.children(conn, scope, r)]


def children(conn: Connection, scope: Scope, code: str | None, now: dt.datetime) -> list[dict]:
    """Per child (code order, children without appeals included): the appeal KPIs of metrics.by_child."""
    r = resolve(conn, scope, code)
    return _children(conn, scope, r, now)


# --- hot words -------------------------------------------------------------------

def _week_readings(conn: Connection, r, now: dt.datetime, unread: list[dict], by: str | None = None) -> list[dict]:
    """Every appeal of the last 7 x 24 h with its effective topic, sentiment and keywords."""
    received = appeal.c.received_at
    joined, located = in_region(appeal, r)
    stmt = (select(appeal.c.id, appeal.c.topic, appeal.c.sentiment, appeal.c.content, *opinion_readings.COLUMNS)
            .select_from(opinion_readings.joined_with(joined, by or reader(conn)))
            .where(located, quality.appeal_ok(now), received >= now - dt.timedelta(days=WEEK),
                   not_(_unlabelled())))
    rows = conn.execute(stmt).all()
    read = _lazy_read(conn)
    out = []
    for row in rows:
        reading = _reading(row, read)
        out.append({"id": row.id, "topic": row.topic, "sentiment": row.sentiment,
                    "keywords": reading.keywords if reading else ()})
    out += [u for u in unread if u["win"] == "w"]
    return out


def word_baseline(conn: Connection, r, now: dt.datetime, by: str | None = None) -> dict:
    """The hot words' baseline: appeals, and appeals per keyword, over the 28 whole local days
    before the week's first day (stable within a local day, so a caller may keep it for the day).
    Keywords come from the stored readings; only appeals without one are read here, and only
    their text is fetched."""
    received = appeal.c.received_at
    hi = day_start(now - dt.timedelta(days=WEEK))
    lo = hi - dt.timedelta(days=BASELINE_DAYS)
    joined, located = in_region(appeal, r)
    content = case((appeal_reading.c.appeal_id.is_(None), appeal.c.content)).label("content")
    stmt = (select(appeal.c.id, content, *opinion_readings.COLUMNS)
            .select_from(opinion_readings.joined_with(joined, by or reader(conn)))
            .where(located, quality.appeal_ok(now), received >= lo, received < hi))
    read = _lazy_read(conn)
    words: Counter = Counter()
    n = 0
    for row in conn.execute(stmt):
        n += 1
        reading = _reading(row, read)
        if reading is not None:
            words.update(set(reading.keywords))
    return {"appeals": n, "words": dict(words), "since": lo.isoformat(), "until": hi.isoformat()}


def _hot_words(week: list[dict], base: dict, limit: int = HOT_WORDS) -> list[dict]:
    """The week's words that stand out against the region's own baseline (docs/opinion.md): at
    least HOT_MIN appeals, HOT_LIFT times the baseline's rate and a log-odds z of HOT_Z, ranked
    by z. A word as common as usual (申请, 隔壁, 晚上) is left out however many appeals carry it.
    Each: appeals, the baseline's expectation at this week's volume, lift, z, the negative share
    among those appeals and their main topic."""
    count: Counter = Counter()
    negative: Counter = Counter()
    rated: Counter = Counter()
    topics: dict[str, Counter] = {}
    for a in week:
        for w in set(a["keywords"]):
            count[w] += 1
            topics.setdefault(w, Counter())[a["topic"] or UNCLASSIFIED] += 1
            if a["sentiment"] is not None:
                rated[w] += 1
                negative[w] += a["sentiment"] < 0
    n_now, n_base, seen = len(week), base["appeals"], base["words"]
    scored = []
    for w, y in count.items():
        y_base = seen.get(w, 0)
        expected = y_base * n_now / n_base if n_base else 0.0
        lift = (y + 0.5) / (expected + 0.5)  # half an appeal each side: a new word has a finite lift
        z = log_odds_z(y, n_now, y_base, n_base, HOT_PRIOR)
        if y >= HOT_MIN and lift >= HOT_LIFT and z >= HOT_Z:
            scored.append((w, y, expected, lift, z))
    ranked = sorted(scored, key=lambda s: (-s[4], -s[1], s[0]))[:limit]
    return [{"word": w, "appeals": y, "expected": round(e, 1), "lift": round(lift, 2), "z": round(z, 2),
             "negative_share": round(negative[w] / rated[w], 4) if rated[w] else None,
             "topic": min(topics[w].items(), key=lambda kv: (-kv[1], kv[0]))[0]}
            for w, y, e, lift, z in ranked]


def hot_words(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
              limit: int = HOT_WORDS, base: dict | None = None) -> list[dict]:
    """The week's hot words (last 7 x 24 h, the period of the topic bars), from every appeal's text,
    against `base` (word_baseline's answer, computed here when not given)."""
    r = resolve(conn, scope, code)
    by = reader(conn)
    if base is None:
        base = word_baseline(conn, r, now, by)
    return _hot_words(_week_readings(conn, r, now, _unread(conn, r, now, by), by), base, limit)


# --- one pass for the view -------------------------------------------------------

def view(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
         words_base: dict | None = None) -> dict:
    """Everything the barometer shows, reading the unlabelled appeals once; `words_base`:
    word_baseline's answer when the caller keeps it (it changes once a day)."""
    r = resolve(conn, scope, code)
    by = reader(conn)
    unread = _unread(conn, r, now, by)
    if words_base is None:
        words_base = word_baseline(conn, r, now, by)
    return {"summary": _headline(conn, r, now, unread),
            "children": _children(conn, scope, r, now),
            "trends": _trends(conn, r, now, unread),
            "words": _hot_words(_week_readings(conn, r, now, unread, by), words_base),
            "recent": recent(conn, scope, r, now, by=by)}


# --- the appeals behind a figure ---------------------------------------------------

_COLS = (appeal.c.id, appeal.c.received_at, appeal.c.channel, appeal.c.topic, appeal.c.sentiment,
         appeal.c.satisfaction, appeal.c.resolved_at, appeal.c.content, appeal.c.grid_code,
         appeal.c.village_code, appeal.c.township_code, appeal.c.county_code)
_BELOW = {"city": ("county_code", "township_code", "village_code", "grid_code"),
          "county": ("township_code", "village_code", "grid_code"),
          "township": ("village_code", "grid_code"), "village": ("grid_code",), "grid": ("grid_code",)}


def _shown(conn: Connection, r, now: dt.datetime, rows) -> list[dict]:
    """Rows as the list shows them: labels read where NULL, place below the region, text masked.
    No citizen_hash leaves here."""
    names = regions.names(conn, {c for row in rows for c in (row.county_code, row.township_code,
                                                       row.village_code, row.grid_code)})
    read = _lazy_read(conn)
    out = []
    for row in rows:
        reading = _reading(row, read) if row.topic is None or row.sentiment is None else None
        topic_read = row.topic is None and reading is not None
        sentiment_read = row.sentiment is None and reading is not None
        topic = reading.topic if topic_read else row.topic
        out.append({
            "id": row.id, "received_at": row.received_at, "channel": row.channel,
            "topic": topic if topic is not None else UNCLASSIFIED, "topic_read": topic_read,
            "sentiment": reading.sentiment if sentiment_read else row.sentiment,
            "sentiment_read": sentiment_read, "satisfaction": row.satisfaction,
            "resolved": row.resolved_at is not None and row.resolved_at <= now,
            "place": " / ".join(names.get(getattr(row, col), "?") for col in _BELOW[r.level]),
            "content": mask_text(row.content) or "",
        })
    return out


def recent(conn: Connection, scope: Scope, code: str | None, now: dt.datetime,
           limit: int = RECENT_LIMIT, by: str | None = None) -> list[dict]:
    """The latest appeals in the subtree, newest first (labels read from the text where NULL).

    Windows widen (1, 7, 35 days, then all) so the newest rows are found without
    sorting the whole subtree's history.
    """
    r = resolve(conn, scope, code)
    limit = max(1, min(int(limit), 500))
    received = appeal.c.received_at
    joined, located = in_region(appeal, r)
    joined = opinion_readings.joined_with(joined, by or reader(conn))
    rows = []
    for days in RECENT_WINDOWS:
        bound = [] if days is None else [received >= now - dt.timedelta(days=days)]
        stmt = (select(*_COLS, *opinion_readings.COLUMNS).select_from(joined).where(located, quality.appeal_ok(now), *bound)
                .order_by(received.desc(), appeal.c.id.desc()).limit(limit))
        rows = conn.execute(stmt).all()
        if len(rows) >= limit:
            break
    return _shown(conn, r, now, rows)


def known_word(value) -> str | None:
    """A word a click may ask for: short, letters only (anything else is refused)."""
    if isinstance(value, str) and 1 <= len(value) <= WORD_MAX and all(ch.isalnum() for ch in value):
        return value
    return None


def behind(conn: Connection, scope: Scope, code: str | None, now: dt.datetime, topic: str | None = None,
           word: str | None = None, limit: int = RECENT_LIMIT) -> dict:
    """The appeals behind a topic bar or a hot word: the last 7 x 24 h's appeals of that topic
    (stored, or read from the text when NULL) or with that keyword. {"total", "rows"} newest first."""
    r = resolve(conn, scope, code)
    if (topic is None) == (word is None):
        raise ValueError("give a topic or a word")
    if topic is not None and topic not in KNOWN_TOPICS:
        raise ValueError("unknown topic")
    if word is not None and known_word(word) is None:
        raise ValueError("bad word")
    limit = max(1, min(int(limit), 500))
    received = appeal.c.received_at
    joined, located = in_region(appeal, r)
    where = [located, quality.appeal_ok(now), received >= now - dt.timedelta(days=WEEK)]
    if topic is not None and topic != UNCLASSIFIED:
        where.append(or_(appeal.c.topic == topic, appeal.c.topic.is_(None)))  # NULLs: read below
    elif topic == UNCLASSIFIED:
        where.append(appeal.c.topic.is_(None))
    stmt = (select(*_COLS, *opinion_readings.COLUMNS)
            .select_from(opinion_readings.joined_with(joined, reader(conn)))
            .where(*where).order_by(received.desc(), appeal.c.id.desc()))
    rows = conn.execute(stmt).all()
    read = _lazy_read(conn)
    keep = []
    for row in rows:
        if word is not None:
            reading = _reading(row, read)
            ok = reading is not None and word in reading.keywords
        elif row.topic is not None:
            ok = True
        else:
            reading = _reading(row, read)
            ok = (reading.topic if reading is not None else UNCLASSIFIED) == topic
        if ok:
            keep.append(row)
    return {"total": len(keep), "rows": _shown(conn, r, now, keep[:limit])}
