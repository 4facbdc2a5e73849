"""社情民意晴雨表 (/opinion): the numbers against pandas over raw rows (unlabelled appeals read from
their text), the Poisson test against a direct sum, hot words, the appeals behind a topic or a word,
the filter against junk, live ticks, and a person drilling down and clicking in Chromium."""
from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections import Counter
from urllib.parse import urlparse

import pandas as pd
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from sqlalchemy import func, select

from data_access import metrics, opinion
from data_access.engine import make_engine
from data_access.schema import TOPICS, appeal, region
from data_access.scope import scope_of
from data_access.stats import log_odds_z
from data_access.timeutil import day_start
from dashboard import create_app

from . import oracle
from .browser import start_signed_in
from .conftest import ARTIFACTS, now
from .dashcall import _split, call, find
from .test_browser import _click

SH = "Asia/Shanghai"
LEVELS = ["city", "county", "township", "village", "grid"]


# --- an independent reading over raw rows -------------------------------------------------

def _appeals(conn, level: str, code: str, at: dt.datetime, read: bool = True) -> pd.DataFrame:
    """Appeals in the subtree that exist at `at` and are not bad rows, with their local day.

    read: an appeal of the last 35 x 24 h with a NULL topic or sentiment and some text takes
    them from the text pipeline (docs/opinion.md); the stored ones stay in stored_topic/_sentiment.
    """
    a = oracle.located(oracle.table(conn, "appeal"), oracle.grids(conn), level, code)
    at = pd.Timestamp(at)
    a = a[a.received_at.notna() & (a.received_at <= at)]
    a = a[~(a.resolved_at.notna() & (a.resolved_at < a.received_at))]
    a = a.assign(day=a.received_at.dt.tz_convert(SH).dt.strftime("%Y-%m-%d"),
                 stored_topic=a.topic, stored_sentiment=a.sentiment)
    if read:
        pipe = opinion.pipeline(conn)
        recent = (a.received_at >= at - pd.Timedelta(days=35)) & a.content.fillna("").str.strip().ne("")
        readings = {i: pipe.read(t) for i, t in a.loc[recent, "content"].items()}
        a = a.assign(
            topic=[readings[i].topic if pd.isna(t) and i in readings else t for i, t in a.topic.items()],
            sentiment=[readings[i].sentiment if pd.isna(s) and i in readings else s for i, s in a.sentiment.items()],
            keywords=[pipe.read(t).keywords if isinstance(t, str) and t.strip() else () for t in a.content])
        a["sentiment"] = a.sentiment.astype(float)
    return a


def _pmf_tail(k: int, mu: float) -> float:
    """P(X >= k) as a plain sum of Poisson pmf terms from k upward (pmf by recurrence)."""
    if k <= 0:
        return 1.0
    if mu == 0:
        return 0.0
    log_first = k * math.log(mu) - mu - sum(math.log(i) for i in range(1, k + 1))
    term, terms, i = math.exp(log_first), [], k
    while True:
        terms.append(term)
        i += 1
        term *= mu / i
        if i > mu and term <= max(terms) * 1e-18:
            break
    return math.fsum(terms)


def _pick(conn, level: str) -> str:
    if level == "city":
        return "450800"
    # The busiest region of the level, so every figure is non-trivial.
    col = appeal.c.grid_code if level == "grid" else appeal.c[f"{level}_code"]
    return conn.execute(select(col, func.count()).where(col.isnot(None)).group_by(col)
                        .order_by(func.count().desc(), col).limit(1)).first()[0]


# --- statistics ------------------------------------------------------------------------------

def test_op001_poisson_tail_known_values():
    # Closed forms and published values.
    assert opinion.poisson_tail(0, 3.0) == 1.0
    assert opinion.poisson_tail(1, 0.0) == 0.0
    for mu in (0.1, 1.0, 7.5, 40.0):
        assert opinion.poisson_tail(1, mu) == pytest.approx(1 - math.exp(-mu), rel=1e-12)
    assert opinion.poisson_tail(5, 1.0) == pytest.approx(0.003659846827343712, rel=1e-10)
    assert opinion.poisson_tail(2, 2.0) == pytest.approx(1 - 3 * math.exp(-2), rel=1e-12)
    # Against the direct sum: small and huge counts, tails near 1 and far below any float of 1 - x.
    for k, mu in [(3, 0.5), (5, 1.75), (10, 2.0), (20, 5.0), (78, 24.75), (150, 20.0), (400, 3.0),
                  (30, 30.0), (25, 30.0), (2231, 2144.5), (2000, 2144.5), (9, 0.25), (144, 0.25)]:
        got, want = opinion.poisson_tail(k, mu), _pmf_tail(k, mu)
        assert got == pytest.approx(want, rel=1e-9, abs=1e-300), (k, mu, got, want)
    sig = opinion.topic_signal(78, 99)
    assert sig["expected"] == 24.75 and sig["rising"] and sig["p_value"] < 1e-10
    assert not opinion.topic_signal(4, 0)["rising"]  # too few to call, however unexpected
    assert opinion.topic_signal(5, 0)["rising"] and opinion.topic_signal(5, 0)["ratio"] is None


# --- the numbers on both databases --------------------------------------------------------

@pytest.mark.parametrize("level", ["city", "township", "village"])
def test_op002_daily_series_match_pandas(conn, city_scope, level):
    code = _pick(conn, level)
    got = opinion.trends(conn, city_scope, code, now())["days"]
    a = _appeals(conn, level, code, now())
    today = pd.Timestamp(now()).tz_convert(SH).date()
    all_days = [(today - dt.timedelta(days=62 - i)).isoformat() for i in range(63)]
    per_day = a.groupby("day").size().reindex(all_days, fill_value=0)
    want = []
    for i in range(28, 63):
        d = all_days[i]
        rows = a[a.day == d]
        rated = rows[rows.sentiment.notna()]
        sat = rows.satisfaction.dropna()
        want.append({
            "day": d, "appeals": len(rows), "baseline": round(per_day.iloc[i - 28:i].sum() / 28, 2),
            "rated": len(rated), "negative": int((rated.sentiment < 0).sum()),
            "negative_share": round(int((rated.sentiment < 0).sum()) / len(rated), 4) if len(rated) else None,
            "satisfaction_n": len(sat), "satisfaction": round(float(sat.mean()), 2) if len(sat) else None,
        })
    assert got == want
    assert sum(d["appeals"] for d in got) > 0


@pytest.mark.parametrize("level", ["city", "township", "village"])
def test_op003_topics_and_rising_match_pandas(conn, city_scope, level):
    code = _pick(conn, level)
    got = {t["topic"]: t for t in opinion.trends(conn, city_scope, code, now())["topics"]}
    a = _appeals(conn, level, code, now())
    at = pd.Timestamp(now())
    a = a.assign(topic=a.topic.fillna("未分类"))
    week = a[a.received_at >= at - pd.Timedelta(days=7)].topic.value_counts()
    before = (a.received_at >= at - pd.Timedelta(days=35)) & (a.received_at < at - pd.Timedelta(days=7))
    prev = a[before].topic.value_counts()
    topics = set(week.index) | set(prev.index)
    assert set(got) == topics
    for t in topics:
        w, b = int(week.get(t, 0)), int(prev.get(t, 0))
        expected = b / 4.0
        p = _pmf_tail(w, expected)
        g = got[t]
        assert (g["count_7d"], g["count_prev_28d"]) == (w, b), t
        assert g["expected"] == round(expected, 2)
        assert g["p_value"] == pytest.approx(p, rel=1e-9, abs=1e-300), t
        assert g["rising"] == (p < 0.01 and w >= 5), t
    counts = [t["count_7d"] for t in opinion.trends(conn, city_scope, code, now())["topics"]]
    assert counts == sorted(counts, reverse=True)


def test_op004_something_rises_and_channels_add_up(conn, city_scope):
    """The tiny city's topics do rise somewhere; the channel mix covers the last 30 days."""
    flagged = 0
    for level in ("city", "township", "village"):
        code = _pick(conn, level)
        tr = opinion.trends(conn, city_scope, code, now())
        flagged += sum(t["rising"] for t in tr["topics"])
        a = _appeals(conn, level, code, now())
        first = (pd.Timestamp(now()).tz_convert(SH).date() - dt.timedelta(days=29)).isoformat()
        want = a[a.day >= first].channel.value_counts()
        assert {c["channel"]: c["appeals"] for c in tr["channels"]} == {k: int(v) for k, v in want.items()}
    assert flagged > 0


def _raw_counts(a: pd.DataFrame, at: dt.datetime) -> dict:
    """metrics.appeal_counts' counters, by the book, over a frame of (effective) labels."""
    at = pd.Timestamp(at)
    start = at.tz_convert(SH).normalize().tz_convert("UTC")
    a = a[a.received_at >= at - pd.Timedelta(days=35)]
    week = a.received_at >= at - pd.Timedelta(days=7)
    today = a.received_at >= start
    rated, neg = a.sentiment.notna(), a.sentiment < 0
    sat = a[a.received_at >= at - pd.Timedelta(days=30)].satisfaction.dropna()
    return {"appeals_today": int(today.sum()), "rated_sentiment_today": int((today & rated).sum()),
            "negative_today": int((today & neg).sum()), "satisfaction_30d": float(sat.mean()) if len(sat) else None,
            "appeals_7d": int(week.sum()), "appeals_prev_28d": int((~week).sum()),
            "rated_7d": int((week & rated).sum()), "negative_7d": int((week & neg).sum()),
            "rated_prev_28d": int((~week & rated).sum()), "negative_prev_28d": int((~week & neg).sum())}


@pytest.mark.parametrize("level", LEVELS)
def test_op005_headline_and_children_read_text_over_metrics(conn, city_scope, level):
    """One label, one number (issue #17): the KPI row, the index and the ranking are metrics' own
    figures (stored labels), as on the overview and the API; `with_text` is metrics' formula over
    stored labels plus the sentiments read from text, shown under its own labels."""
    code = _pick(conn, level)
    full = metrics.summary(conn, city_scope, code, now())
    got = opinion.headline(conn, city_scope, code, now())
    assert {k: got[k] for k in opinion.APPEAL_KPIS} == {k: full[k] for k in opinion.APPEAL_KPIS}
    assert got["barometer"] == full["barometer"]
    a = _appeals(conn, level, code, now())
    want = metrics.kpis_from_counts(_raw_counts(a, now()), 0)
    assert got["with_text"]["barometer"] == want["barometer"]
    assert {k: got["with_text"][k] for k in ("negative_share_today", "barometer_index")} == \
        {k: want[k] for k in ("negative_share_today", "barometer_index")}
    unread = a[(a.received_at >= pd.Timestamp(now()) - pd.Timedelta(days=35)) & a.stored_sentiment.isna()
               & a.sentiment.notna()]
    assert got["read_35d"] == len(unread)
    kids = opinion.children(conn, city_scope, code, now())
    plain = metrics.by_child(conn, city_scope, code, now())
    assert [(k["code"], k["name"], k["level"]) for k in kids] == [(w["code"], w["name"], w["level"]) for w in plain]
    for k, w in zip(kids, plain):
        assert {key: k[key] for key in opinion.APPEAL_KPIS} == {key: w[key] for key in opinion.APPEAL_KPIS}, k["code"]
    if level == "city":
        assert len(unread) > 0  # the tiny seed leaves labels NULL, so this test reads text
        assert got["with_text"]["barometer"] != got["barometer"]  # and the two readings differ
        want_oracle = oracle.summary(conn, level, code, now())
        assert got["appeals_today"] == want_oracle["appeals_today"] > 0


@pytest.mark.parametrize("level", ["city", "village", "grid"])
def test_op006_recent_appeals(conn, city_scope, level):
    code = _pick(conn, level)
    a = _appeals(conn, level, code, now()).sort_values(["received_at", "id"], ascending=False)
    got = opinion.recent(conn, city_scope, code, now())
    assert [r["id"] for r in got] == a.id.head(50).tolist()
    assert all("citizen_hash" not in r for r in got)
    assert all(r["place"] and "?" not in r["place"] for r in got)
    head = a.head(50).set_index("id")
    for r in got:
        assert r["topic"] == head.topic[r["id"]]
        assert r["topic_read"] == pd.isna(head.stored_topic[r["id"]])
        assert r["sentiment_read"] == pd.isna(head.stored_sentiment[r["id"]])


def test_op012_text_is_masked(conn, city_scope):
    """A phone or ID number written into an appeal never leaves data_access in clear."""
    row = conn.execute(select(appeal.c.id, appeal.c.content).order_by(appeal.c.received_at.desc()).limit(1)).first()
    text = "我电话13812345678，身份证450802199001011234，" + (row.content or "")
    assert opinion._shown.__doc__  # the function every list goes through
    from data_access.privacy import mask_text
    assert "13812345678" not in mask_text(text) and "199001011234" not in mask_text(text)
    got = opinion.recent(conn, city_scope, None, now(), limit=500)
    assert all(r["content"] == (mask_text(r["content"]) or "") for r in got)


@pytest.mark.parametrize("level", ["city", "township", "village"])
def test_op013_behind_a_topic_or_a_word(conn, city_scope, level):
    """The appeals behind a topic bar or a hot word: the last 7 x 24 h's appeals of that (effective)
    topic or with that keyword, newest first, with the total."""
    code = _pick(conn, level)
    a = _appeals(conn, level, code, now())
    week = a[a.received_at >= pd.Timestamp(now()) - pd.Timedelta(days=7)].sort_values(
        ["received_at", "id"], ascending=False)
    tr = opinion.trends(conn, city_scope, code, now())
    for t in tr["topics"]:
        want = week[week.topic.fillna("未分类") == t["topic"]]
        got = opinion.behind(conn, city_scope, code, now(), topic=t["topic"])
        assert got["total"] == len(want) == t["count_7d"], t["topic"]
        assert [r["id"] for r in got["rows"]] == want.id.head(50).tolist()
    words = opinion.hot_words(conn, city_scope, code, now())
    # Hot words against the baseline: the 28 local days before the week's first day (docs/opinion.md).
    hi = pd.Timestamp(day_start(now() - dt.timedelta(days=7)))
    base = a[(a.received_at >= hi - pd.Timedelta(days=28)) & (a.received_at < hi)]
    now_n, base_n = Counter(w for k in week.keywords for w in set(k)), Counter(w for k in base.keywords for w in set(k))
    top = []
    for w, y in now_n.items():
        expected = base_n[w] * len(week) / len(base)
        z = log_odds_z(y, len(week), base_n[w], len(base), opinion.HOT_PRIOR)
        if y >= opinion.HOT_MIN and (y + 0.5) / (expected + 0.5) >= opinion.HOT_LIFT and z >= opinion.HOT_Z:
            top.append((-z, -y, w))
    top = [(w, -y) for _, y, w in sorted(top)[:opinion.HOT_WORDS]]
    assert [(w["word"], w["appeals"]) for w in words] == top
    assert words or level == "village"  # a village's week is too small for a word to stand out
    for w in words[:3]:
        want = week[week.keywords.apply(lambda k: w["word"] in k)]
        got = opinion.behind(conn, city_scope, code, now(), word=w["word"])
        assert got["total"] == w["appeals"] == len(want)
        assert [r["id"] for r in got["rows"]] == want.id.head(50).tolist()
        rated = want[want.sentiment.notna()]
        assert w["negative_share"] == round(float((rated.sentiment < 0).mean()), 4)
    for bad in dict(topic="x"), dict(word="' OR 1=1 --"), dict(word="词" * 13), {}, dict(topic="治安", word="路灯"):
        with pytest.raises(ValueError):
            opinion.behind(conn, city_scope, code, now(), **bad)


# --- callbacks over HTTP -------------------------------------------------------------------

def _pick_call(client, app, clicks: list, state: list, changed: str, row: str | None = None,
               rows: list | None = None):
    """POST the pick callback: clicks = [topic bar, hot word, 清除筛选], then the 风向标 row buttons
    (pattern-matching ids that name their topic: `rows` lists the topics on screen, `row` the clicked one)."""
    key = find(app, "op-word.data")
    spec = app.callback_map[key]
    buttons = [{"id": {"type": "op-rising-pick", "topic": t}, "property": "n_clicks",
                "value": 1 if t == row else None} for t in (rows or [])]
    body = {
        "output": key,
        "outputs": [{"id": i, "property": p} for i, p in _split(key)],
        "inputs": [*[{**d, "value": v} for d, v in zip(spec["inputs"][:3], clicks)], buttons],
        "state": [{**d, "value": v} for d, v in zip(spec["state"], state)],
        "changedPropIds": [changed],
    }
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def _rows(r):
    return next(v["rowData"] for k, v in r.get_json()["response"].items() if k.startswith("op-recent"))


def test_op007_filter_refuses_junk(app, client, conn):
    junk = [None, 12, "治安", [], {}, {"points": []}, {"points": [{}]}, {"points": [{"customdata": None}]},
            {"points": [{"customdata": "'; DROP TABLE appeal; --"}]},
            {"points": [{"customdata": ["治安"]}]}, {"points": [{"customdata": {"a": 1}}]},
            {"points": [{"customdata": "治" * 100_000}]}, {"points": "治安"}]
    for click in junk:
        r = _pick_call(client, app, [click, None, None], ["450800", None, None], "op-topics.clickData")
        assert r.status_code == 204, click
        r = _pick_call(client, app, [None, click, None], ["450800", None, None], "op-words.clickData")
        assert r.status_code == 204, click
    # A 风向标 button whose id names no known topic (forged by the client), or was not clicked.
    for forged in ("治'; --", "", None, ["治安"], {"x": 1}, "治" * 5000, 12):
        changed = json.dumps({"topic": forged, "type": "op-rising-pick"}, separators=(",", ":")) + ".n_clicks"
        r = _pick_call(client, app, [None, None, None], ["450800", None, None], changed, row=forged,
                       rows=[forged, "治安"])
        # A string that is no topic: nothing to do (204); an id value that is no string or number
        # is a malformed payload, refused by the callback guard (400).
        assert r.status_code == (204 if isinstance(forged, (str, int)) else 400), forged
    r = _pick_call(client, app, [None, None, None], ["450800", None, None],
                   '{"topic":"治安","type":"op-rising-pick"}.n_clicks', row=None, rows=["治安"])
    assert r.status_code == 204
    # A known topic in an unknown, malformed or out-of-tree region: refused too.
    for bad in ("450899", "abc", {"x": 1}, "9" * 5000, "450800' OR 1=1 --"):
        r = _pick_call(client, app, [{"points": [{"customdata": "治安"}]}, None, None], [bad, None, None],
                       "op-topics.clickData")
        assert r.status_code == 204, bad
    # A real click on a topic bar: the week's appeals of that topic (read ones included).
    topic = conn.execute(select(appeal.c.topic).where(appeal.c.topic.isnot(None))
                         .group_by(appeal.c.topic).order_by(func.count().desc()).limit(1)).scalar()
    r = _pick_call(client, app, [{"points": [{"customdata": topic}]}, None, None], ["450800", "junk", None],
                   "op-topics.clickData")
    assert r.status_code == 200
    body = r.get_json()["response"]
    assert body["op-topic"]["data"] == topic and body["op-word"]["data"] is None
    rows = _rows(r)
    assert rows and {row["topic"] for row in rows} == {topic}
    assert all("citizen_hash" not in row for row in rows)
    with app.server.app_context():
        want = opinion.behind(conn, opinion_scope(conn), "450800", now(), topic=topic)
    assert [row["id"] for row in rows] == [str(x["id"]) for x in want["rows"]]
    assert any(x["topic_read"] for x in want["rows"])  # NULL topics read from text are behind the bar
    # The same from a 风向标 row's button; the same topic again clears the filter.
    r = _pick_call(client, app, [None, None, None], ["450800", None, None],
                   json.dumps({"topic": topic, "type": "op-rising-pick"}, separators=(",", ":"), ensure_ascii=False)
                   + ".n_clicks", row=topic, rows=["治安", topic])
    assert r.get_json()["response"]["op-topic"]["data"] == topic
    r = _pick_call(client, app, [{"points": [{"customdata": topic}]}, None, None], ["450800", topic, None],
                   "op-topics.clickData")
    assert r.get_json()["response"]["op-topic"]["data"] is None
    # A hot word: the week's appeals with that keyword.
    word = opinion.hot_words(conn, opinion_scope(conn), "450800", now())[0]["word"]
    r = _pick_call(client, app, [None, {"points": [{"customdata": word}]}, None], ["450800", topic, None],
                   "op-words.clickData")
    body = r.get_json()["response"]
    assert body["op-word"]["data"] == word and body["op-topic"]["data"] is None
    want = opinion.behind(conn, opinion_scope(conn), "450800", now(), word=word)
    assert [row["id"] for row in _rows(r)] == [str(x["id"]) for x in want["rows"]]
    r = _pick_call(client, app, [None, None, 1], ["450800", None, word], "op-topic-clear.n_clicks")
    assert r.status_code == 200 and r.get_json()["response"]["op-word"]["data"] is None


def opinion_scope(conn):
    return scope_of(conn, "450800")


def _tick(client, app, state, code="450800", topic=None, word=None):
    return call(client, app, find(app, "op-state.data"), [1], [code, state, topic, word])


def test_op008_live_tick(app, client):
    from callbacks import live
    from callbacks import opinion as cb
    from services.opinion import SNAPSHOT
    with app.server.app_context():
        snap = live.snapshot(SNAPSHOT, "450800")
        state = live.first_state(snap)
    r = _tick(client, app, state)
    assert r.status_code == 204 and r.data == b""  # unchanged: nothing sent
    r = _tick(client, app, {"sig": "stale-signature"}, topic="'; DROP TABLE appeal; --", word="x' OR 1")
    assert r.status_code == 200
    body = r.get_json()["response"]
    assert body["op-kpis"]["children"]
    for fig in ("op-volume", "op-negative", "op-satisfaction", "op-topics", "op-channels", "op-words"):
        assert body[fig]["figure"]["__dash_patch_update"] == "__dash_patch_update"
    assert "layout" not in json.dumps(body["op-volume"]["figure"])
    assert len(body["op-recent"]["rowData"]) == 50
    word = snap["words"][0]["word"]
    body = _tick(client, app, {"sig": "stale"}, word=word).get_json()["response"]
    rows = body["op-recent"]["rowData"]
    assert rows and len(rows) <= 50
    assert _tick(client, app, {"sig": "x"}, code="450899").status_code == 204
    assert _tick(client, app, {"sig": "x"}, code="' OR 1=1 --").status_code == 204


def test_op009_page_renders_at_every_level(app, client, conn):
    """The router serves the view for each level (a grid has no children to rank)."""
    from callbacks import VIEWS, router
    with app.server.app_context():
        for level in LEVELS:
            page = router.render(VIEWS, "/opinion", f"?region={_pick(conn, level)}")
            text = json.dumps(page.to_plotly_json(), default=str)
            assert "op-kpis" in text and "page-error" not in text, level
        assert "page-error" in json.dumps(router.render(VIEWS, "/opinion", "?region=450899").to_plotly_json(),
                                          default=str)


# --- a person at the screen ---------------------------------------------------------------------

@pytest.fixture()
def browser_app(sqlite_url):
    return create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 60})


def _check_level(dash_duo, conn, scope, code, names):
    want = opinion.headline(conn, scope, code, now())
    dash_duo.wait_for_text_to_equal("#breadcrumb .active", names[code], timeout=30)
    for key in opinion.APPEAL_KPIS:
        el = dash_duo.find_element(f"#kpi-{key}")
        assert el.get_attribute("title") == ("" if want[key] is None else str(want[key])), key
    assert dash_duo.find_element("#op-weather-label").text == metrics.weather(want["barometer_index"])
    assert dash_duo.find_element("#op-weather-index").get_attribute("title") == str(want["barometer_index"])


def test_op010_browser_city_township_village(dash_duo, browser_app, sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        scope = scope_of(conn, "450800")
        names = dict(conn.execute(select(region.c.code, region.c.name)).all())
        path, code = [], "450800"
        for _ in range(4):  # city -> county -> township -> village -> grid, first child each time
            code = conn.execute(select(region.c.code).where(region.c.parent_code == code)
                                .order_by(region.c.code).limit(1)).scalar()
            path.append(code)
        start_signed_in(dash_duo, browser_app)
        dash_duo.driver.set_window_size(1600, 1000)
        dash_duo.wait_for_page(url=dash_duo.server_url + "/opinion?region=450800", timeout=30)
        _check_level(dash_duo, conn, scope, "450800", names)
        for child in path[:3]:  # drill by clicking the ranking
            _click(dash_duo, f"#op-child-{child}")
            _check_level(dash_duo, conn, scope, child, names)
            url = urlparse(dash_duo.driver.current_url)
            assert (url.path, url.query) == ("/opinion", f"region={child}")
        ARTIFACTS.mkdir(exist_ok=True)
        dash_duo.driver.save_screenshot(str(ARTIFACTS / "opinion-village.png"))
        # A township opened directly by its URL, and the village's grids open their profiles.
        _click(dash_duo, f"#op-child-{path[3]}")
        dash_duo.wait_for_element("#grid-workers", timeout=30)
        assert urlparse(dash_duo.driver.current_url).path == f"/grid/{path[3]}"
        dash_duo.wait_for_page(url=dash_duo.server_url + f"/opinion?region={path[1]}", timeout=30)
        _check_level(dash_duo, conn, scope, path[1], names)
    engine.dispose()


def test_op011_browser_topic_click_filters_list(dash_duo, browser_app, sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        township = _pick(conn, "township")
    engine.dispose()
    start_signed_in(dash_duo, browser_app)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.wait_for_page(url=dash_duo.server_url + f"/opinion?region={township}", timeout=30)
    dash_duo.wait_for_element("#op-topics .bars .point path", timeout=30)
    bar = dash_duo.find_elements("#op-topics .bars .point path")[-1]  # the busiest topic, drawn on top
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", bar)
    time.sleep(0.3)
    label = dash_duo.driver.execute_script(
        "const g = document.querySelector('#op-topics .js-plotly-plot'); return g.data[0].customdata.at(-1);")
    # Plotly's drag layer sits over the bars: hover the bar, then click where the mouse is.
    ActionChains(dash_duo.driver).move_to_element(bar).pause(0.5).click().perform()
    dash_duo.wait_for_text_to_equal("#op-filter-topic", f"话题：{label}", timeout=20)
    deadline = time.time() + 20
    while time.time() < deadline:
        cells = [e.text for e in dash_duo.find_elements("#op-recent .ag-cell[col-id='topic']")]
        if cells and set(cells) == {label}:
            break
        time.sleep(0.3)
    assert cells and set(cells) == {label}
    assert label in TOPICS or label == "未分类"


def test_op014_browser_hot_word_and_rising_row_list_appeals(dash_duo, browser_app, sqlite_url):
    """A hot word's bar and a 风向标 row each open the appeals behind them, with the total."""
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        township = _pick(conn, "township")
        scope = scope_of(conn, "450800")
        words = opinion.hot_words(conn, scope, township, now())
        topics = opinion.trends(conn, scope, township, now())["topics"]
    engine.dispose()
    start_signed_in(dash_duo, browser_app)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.wait_for_page(url=dash_duo.server_url + f"/opinion?region={township}", timeout=30)
    dash_duo.wait_for_element("#op-words .bars .point path", timeout=30)
    bar = dash_duo.find_elements("#op-words .bars .point path")[-1]  # the hottest word, drawn on top
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", bar)
    time.sleep(0.3)
    ActionChains(dash_duo.driver).move_to_element(bar).pause(0.5).click().perform()
    top = words[0]
    dash_duo.wait_for_text_to_equal("#op-filter-word", f"热词：{top['word']}", timeout=20)
    assert dash_duo.find_element("#op-filter-total").get_attribute("title") == str(top["appeals"])
    deadline = time.time() + 20
    while time.time() < deadline:
        texts = [e.get_attribute("title") or e.text for e in
                 dash_duo.find_elements("#op-recent .ag-cell[col-id='content']")]
        if texts and all(top["word"] in t for t in texts):
            break
        time.sleep(0.3)
    assert texts and all(top["word"] in t for t in texts)
    # The first 风向标 row's topic button.
    button = dash_duo.find_element("#op-rising-0 button")
    # The row's own topic (rows of equal rank may come in either order), and its numbers.
    first = next(t for t in topics if t["topic"] == button.text.strip())
    assert first["rising"] == any(t["rising"] for t in topics)  # a rising topic heads the list if any rises
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    time.sleep(0.3)
    # The button itself is what a pointer at its centre hits (nothing covers it); WebElement.click
    # aims there (ActionChains' move_to_element scrolled the table again and landed on the next row).
    assert dash_duo.driver.execute_script("""const r = arguments[0].getBoundingClientRect();
      return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === arguments[0];""", button)
    button.click()
    dash_duo.wait_for_text_to_equal("#op-filter-topic", f"话题：{first['topic']}", timeout=20)
    assert dash_duo.find_element("#op-filter-total").get_attribute("title") == str(first["count_7d"])
    ARTIFACTS.mkdir(exist_ok=True)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "opinion-hot-words.png"))
