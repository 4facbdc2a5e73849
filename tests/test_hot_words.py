"""Hot words are specific (issue #17, item 5): words as common as usual are left out against the
region's own baseline (the 28 local days before the week), and a word that surges rises to the top."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, insert, select

import dashboard  # noqa: F401 - registers the text model the hot words read with
from data_access import opinion
from data_access.engine import make_engine
from data_access.schema import appeal
from data_access.scope import resolve, scope_of
from data_access.stats import log_odds_z
from services import SNAPSHOTS
from services.snapshot import compute_entry

from .conftest import copy_sqlite, now

GENERIC = ("申请", "隔壁", "晚上", "楼上", "门口")  # the words the demo's chart showed (issue #17)
SURGE_TEXT = "小区地下车库有液化气罐泄漏，气味刺鼻，担心爆炸"
SURGE_WORD = "液化气罐"


def _week_counts(conn, r) -> Counter:
    by = opinion.reader(conn)
    week = opinion._week_readings(conn, r, now(), opinion._unread(conn, r, now(), by), by)
    return Counter(w for a in week for w in set(a["keywords"]))


def test_hot001_generic_words_are_left_out(engine):
    """At city level the generic words are among the week's most frequent, yet none is a hot word;
    every hot word passes the three thresholds of docs/opinion.md."""
    with engine.connect() as conn:
        scope = scope_of(conn, "450800")
        r = resolve(conn, scope, None)
        frequent = [w for w, _ in _week_counts(conn, r).most_common(15)]
        words = opinion.hot_words(conn, scope, None, now())
    # What made the chart say nothing: by plain counts these lead (the test would fail without the baseline).
    assert set(GENERIC) & set(frequent), frequent
    got = [w["word"] for w in words]
    assert got and not set(GENERIC) & set(got), got
    for w in words:
        assert w["appeals"] >= opinion.HOT_MIN and w["lift"] >= opinion.HOT_LIFT and w["z"] >= opinion.HOT_Z, w
    assert [w["z"] for w in words] == sorted((w["z"] for w in words), reverse=True)
    # The view's snapshot shows the same list.
    snap = compute_entry(SNAPSHOTS["opinion"], engine, scope, "450800", now(), 60)["snap"]
    assert snap["words"] == words


def test_hot002_log_odds_is_zero_for_a_steady_word_and_grows_with_a_surge():
    assert log_odds_z(10, 1000, 40, 4000, 100.0) == pytest.approx(0.0, abs=1e-9)
    assert log_odds_z(100, 1000, 400, 4000, 100.0) == pytest.approx(0.0, abs=1e-9)  # common, as usual
    assert log_odds_z(30, 1000, 40, 4000, 100.0) > log_odds_z(20, 1000, 40, 4000, 100.0) > 1.0
    assert log_odds_z(5, 1000, 40, 4000, 100.0) < 0


def test_hot003_a_surging_word_rises_to_the_top(sqlite_url, tmp_path):
    """60 appeals about a leaking gas cylinder in the last three days of a copy of the tiny city:
    the word was never seen in the baseline and tops the list."""
    eng = make_engine(copy_sqlite(sqlite_url, tmp_path / "surge.db"))
    with eng.begin() as conn:
        start = now() - dt.timedelta(days=3)
        rows = conn.execute(select(appeal).where(appeal.c.received_at >= start, appeal.c.received_at <= now())
                            .order_by(appeal.c.id).limit(60)).mappings().all()
        top = conn.execute(select(func.max(appeal.c.id))).scalar()
        assert len(rows) == 60
        conn.execute(insert(appeal), [{**row, "id": top + i + 1, "content": SURGE_TEXT, "citizen_hash": None}
                                      for i, row in enumerate(rows)])
    with eng.connect() as conn:
        scope = scope_of(conn, "450800")
        r = resolve(conn, scope, None)
        base = opinion.word_baseline(conn, r, now())
        assert base["words"].get(SURGE_WORD, 0) == 0
        surged = set(opinion.pipeline(conn).read(SURGE_TEXT).keywords)
        words = opinion.hot_words(conn, scope, None, now())
    eng.dispose()
    assert SURGE_WORD in surged
    # The text's words lead the list (each in 60 more appeals than usual), the new word among them.
    assert {w["word"] for w in words[:len(surged)]} == surged, [w["word"] for w in words]
    hit = next(w for w in words if w["word"] == SURGE_WORD)
    assert hit["appeals"] >= 60 and hit["expected"] == 0
