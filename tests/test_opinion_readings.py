"""Stored text readings (data_access/opinion_readings.py): the barometer gives the same answer with
and without them, reads no text once they are there, and ignores readings by another model."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select, update

from data_access import opinion, opinion_readings
from data_access.engine import make_engine
from data_access.schema import appeal, appeal_reading
from data_access.scope import scope_of
from dashboard.opinion_text import for_places

from .conftest import copy_sqlite, now


@pytest.fixture()
def wengine(db_url, engine, tmp_path):
    """An engine that may write: a copy of the SQLite file, or the PostgreSQL test database with
    appeal_reading emptied afterwards (it is the dashboard's own table)."""
    if db_url.startswith("sqlite"):
        eng = make_engine(copy_sqlite(db_url, tmp_path / "readings.db"))
        yield eng
        eng.dispose()
    else:
        yield engine
        with engine.begin() as conn:
            conn.execute(delete(appeal_reading))


def _fill(eng):
    with eng.connect() as conn:
        places = opinion_readings.place_names(conn)
    pipe = for_places(places)
    return opinion_readings.fill(eng, pipe.read, opinion_readings.reader_id(pipe.version, places), now())


def _views(conn):
    scope = scope_of(conn, "450800")
    town = conn.execute(select(appeal.c.township_code).group_by(appeal.c.township_code)
                        .order_by(func.count().desc()).limit(1)).scalar()
    return {code: opinion.view(conn, scope, code, now()) for code in ("450800", town)}


class _Counting:
    """Stands in for opinion.pipeline: counts the texts the view reads itself."""

    def __init__(self, conn):
        self.real = opinion.pipeline(conn)
        self.texts = 0

    def __call__(self, _conn):
        return self

    def read(self, text):
        self.texts += 1
        return self.real.read(text)


def test_opr001_stored_readings_change_nothing_but_the_work(wengine, monkeypatch):
    with wengine.connect() as conn:
        before = _views(conn)
        counting = _Counting(conn)
    monkeypatch.setattr(opinion, "pipeline", counting)
    with wengine.connect() as conn:
        assert _views(conn) == before
    assert counting.texts > 100  # without stored readings the view reads the texts itself
    done = _fill(wengine)
    cutoff = now() - dt.timedelta(days=opinion_readings.KEEP_DAYS)
    with wengine.connect() as conn:
        with_text = conn.execute(select(func.count()).select_from(appeal).where(
            appeal.c.received_at >= cutoff, appeal.c.received_at <= now(),
            func.length(func.trim(appeal.c.content)) > 0)).scalar()
        assert conn.execute(select(func.count()).select_from(appeal_reading)).scalar() == with_text
        assert done["read"] >= with_text  # the scan also passes texts that are only blanks
        assert with_text > 100
        counting.texts = 0
        assert _views(conn) == before
    assert counting.texts == 0  # every text the view needs was read by the fill
    assert _fill(wengine)["read"] == 0  # a second fill finds nothing new


def test_opr002_readings_by_another_model_are_ignored_and_replaced(wengine, monkeypatch):
    _fill(wengine)
    with wengine.begin() as conn:
        stored = conn.execute(select(func.count()).select_from(appeal_reading)).scalar()
        # Another model's readings, and nonsense in them: the view must not use them.
        conn.execute(update(appeal_reading).values(reader="old-model:000000000000", topic="治安",
                                                   sentiment=-1.0, keywords="旧词"))
    with wengine.connect() as conn:
        counting = _Counting(conn)
    monkeypatch.setattr(opinion, "pipeline", counting)
    with wengine.connect() as conn:
        views = _views(conn)
    assert counting.texts > 100
    assert all("旧词" not in {w["word"] for w in v["words"]} for v in views.values())
    done = _fill(wengine)
    assert done["dropped"] == stored and done["read"] >= stored
    with wengine.connect() as conn:
        counting.texts = 0
        assert _views(conn) == views
    assert counting.texts == 0


def test_opr003_keywords_round_trip_and_junk_reads_as_no_keywords():
    assert opinion_readings.decode(opinion_readings.encode(("路灯", "噪音"))) == ("路灯", "噪音")
    assert opinion_readings.decode(opinion_readings.encode(())) == ()
    assert opinion_readings.decode(opinion_readings.encode(("a\tb", "c"))) == ("c",)
    assert opinion_readings.decode("\t\t路灯\t") == ("路灯",)
    assert opinion_readings.decode(None) == () and opinion_readings.decode(3) == ()
    assert opinion_readings.reader_id("v1", ["b", "a"]) == opinion_readings.reader_id("v1", ["a", "b", "a"])
    assert opinion_readings.reader_id("v1", ["a"]) != opinion_readings.reader_id("v2", ["a"])


def test_opr004_lists_behind_a_figure_use_the_stored_readings(wengine, monkeypatch):
    with wengine.connect() as conn:
        scope = scope_of(conn, "450800")
        view = opinion.view(conn, scope, "450800", now())
        word = view["words"][0]["word"]
        topic = view["trends"]["topics"][0]["topic"]
        before = [opinion.behind(conn, scope, "450800", now(), word=word),
                  opinion.behind(conn, scope, "450800", now(), topic=topic)]
    _fill(wengine)
    with wengine.connect() as conn:
        counting = _Counting(conn)
    monkeypatch.setattr(opinion, "pipeline", counting)
    with wengine.connect() as conn:
        after = [opinion.behind(conn, scope, "450800", now(), word=word),
                 opinion.behind(conn, scope, "450800", now(), topic=topic)]
    assert after == before and before[0]["total"] == view["words"][0]["appeals"]
    assert counting.texts == 0
