"""The wall speaks (issue #16, item 4): in big-screen mode a new red warning is read aloud in
Mandarin (speechSynthesis, lang zh-CN) once per warning, after the chime, only while the
screen's sound switch is on; orange, yellow and blue are not read; a desk screen is silent;
the words are level, place and rule, never the reason's text."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import insert, update

from data_access import warnings
from data_access.engine import make_engine
from data_access.schema import warning, warning_action
from dashboard import create_app
from layouts import warnings as view

from .browser import click, start_signed_in
from .conftest import ARTIFACTS, copy_sqlite, now
from .test_warnings import _grids, _Ids, _incident

# Installed before any page script on every document the browser opens (so also after a
# reload): speak() is recorded instead of voiced, in sessionStorage, which outlives a reload.
STUB = """
(function () {
  function log() { try { return JSON.parse(sessionStorage.getItem('__spoken') || '[]'); } catch (e) { return []; } }
  window.__spoken = log;
  if (!window.speechSynthesis) return;
  window.speechSynthesis.speak = function (u) {
    var l = log();
    l.push({text: u.text, lang: u.lang, voice: u.voice ? u.voice.name : null, at: Date.now(),
            beeps: window.redgrid_state ? window.redgrid_state.beeps : null});
    sessionStorage.setItem('__spoken', JSON.stringify(l));
  };
})();
"""


@pytest.fixture()
def live_db(sqlite_url, tmp_path):
    """A copy of the tiny city with the seed's warnings closed: only the test's own will sound."""
    url = copy_sqlite(sqlite_url, tmp_path / "speech.db")
    eng = make_engine(url)
    with eng.begin() as conn:
        warnings.evaluate(conn, now(), rules=["major"])
        conn.execute(update(warning).values(status="resolved"))
    yield url, eng
    eng.dispose()


def _raise(eng, n: int) -> dict:
    """A new red warning on the n-th grid, raised by the evaluator for a major incident there."""
    with eng.begin() as conn:
        ids, grids = _Ids(conn), _grids(conn, 6)
        inc = _incident(conn, ids, grids[n], severity=4, title=f"张三家中起火{n}",
                        reported_at=now() - dt.timedelta(minutes=5))
        return next(x for x in warnings.evaluate(conn, now(), rules=["major"]) if x["subject"]["id"] == str(inc))


def _plant(eng, n: int, level: str) -> int:
    """A new warning of another level on the n-th grid, written as the evaluator writes one
    (its rule is not "major", so the test's later evaluations leave it as it is)."""
    with eng.begin() as conn:
        g = _grids(conn, 6)[n][0]
        wid = conn.execute(insert(warning).values(
            dedup_key=f"test:speech:{level}:{n}", rule="repeat", level=level, region_code=g,
            subject_type="grid", subject_id=g, reason=f"李四反复来电{n}", evidence="{}", status="new", version=1,
            created_at=now() - dt.timedelta(minutes=1), updated_at=now(), escalated=False)).inserted_primary_key[0]
        conn.execute(insert(warning_action).values(warning_id=wid, action="raise", actor="system", at=now(),
                                                   comment="test", before=None, after="{}"))
    return wid


def _start(dash_duo, url, path):
    # A one-second alarm poll so the test does not wait for the production five.
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": STUB})
    start_signed_in(dash_duo, create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2, "ALARM_SECONDS": 1}),
                    path=path)
    dash_duo.driver.set_window_size(1600, 900)
    dash_duo.wait_for_element("#alarm-sound", timeout=20)


def _spoken(dash_duo) -> list[dict]:
    return dash_duo.driver.execute_script("return window.__spoken ? window.__spoken() : null")


def _beeps(dash_duo) -> int:
    return dash_duo.driver.execute_script("return window.redgrid_state.beeps")


def _wait(what, check, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what}: never happened")


def _sound_on(dash_duo):
    click(dash_duo, "#alarm-sound")
    _wait("sound on", lambda: "sound-on" in dash_duo.find_element("#alarm-sound").get_attribute("class"))


def _expected(w) -> str:
    return f"红色预警。{w['place']}，重大或群体性事件。"


def _place(eng, w) -> str:
    from data_access import regions
    from data_access.scope import scope_of
    with eng.connect() as conn:
        chain = regions.breadcrumb(conn, scope_of(conn, "450800"), w["region"])
    return "".join(r.name for r in chain if r.level != "city")


def test_spk001_a_new_red_is_spoken_once_after_the_chime(dash_duo, live_db):
    url, eng = live_db
    _start(dash_duo, url, "/?screen=1")
    assert _spoken(dash_duo) == []  # the stub is in place before the page's scripts
    _sound_on(dash_duo)

    # Orange, yellow and blue: chimes (orange) at most, never words.
    for n, level in ((0, "orange"), (1, "yellow"), (2, "blue")):
        _plant(eng, n, level)
    _wait("the orange chime", lambda: _beeps(dash_duo) >= 3, timeout=30)
    assert _spoken(dash_duo) == []

    red = _raise(eng, 3)
    red["place"] = _place(eng, red)
    _wait("the red warning spoken", lambda: len(_spoken(dash_duo)) >= 1, timeout=30)
    said = _spoken(dash_duo)
    assert [(s["text"], s["lang"]) for s in said] == [(_expected(red), "zh-CN")]
    assert said[0]["beeps"] >= 1  # the chime came first
    assert "张三" not in said[0]["text"] and red["reason"] not in said[0]["text"]
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "wall-speech.png"))

    # Still waiting, still chiming: not read again on later polls ...
    beeps = _beeps(dash_duo)
    _wait("more chimes", lambda: _beeps(dash_duo) >= beeps + 3, timeout=30)
    assert len(_spoken(dash_duo)) == 1
    # ... nor after a reload of the wall.
    dash_duo.driver.refresh()
    dash_duo.wait_for_element("#alarm-sound", timeout=20)
    click(dash_duo, "#clock")  # the click the browser's autoplay rule wants before any sound
    _wait("chimes after the reload", lambda: _beeps(dash_duo) >= 3, timeout=30)
    assert len(_spoken(dash_duo)) == 1

    # A second red one is read, once, and only it.
    red2 = _raise(eng, 4)
    red2["place"] = _place(eng, red2)
    _wait("the second red spoken", lambda: len(_spoken(dash_duo)) >= 2, timeout=30)
    beeps = _beeps(dash_duo)
    _wait("more chimes", lambda: _beeps(dash_duo) >= beeps + 3, timeout=30)
    assert [s["text"] for s in _spoken(dash_duo)] == [_expected(red), _expected(red2)]


def test_spk002_silent_with_the_switch_off_and_on_the_desk(dash_duo, live_db):
    url, eng = live_db
    _start(dash_duo, url, "/?screen=1")
    red = _raise(eng, 0)
    _wait("the red alarm", lambda: "alarm-red" in dash_duo.driver.execute_script("return document.body.className"),
          timeout=30)
    time.sleep(4)  # several polls with the switch off
    assert _spoken(dash_duo) == []
    _sound_on(dash_duo)  # switched on while the warning still waits: now it is read
    _wait("spoken once the switch is on", lambda: len(_spoken(dash_duo)) == 1, timeout=30)
    assert _spoken(dash_duo)[0]["lang"] == "zh-CN"

    # A desk screen (no ?screen=1) chimes but does not speak.
    dash_duo.driver.execute_script("localStorage.removeItem('redgrid.spoken'); sessionStorage.removeItem('__spoken')")
    dash_duo.driver.get(dash_duo.server_url + "/warnings")
    dash_duo.wait_for_element("#alarm-sound", timeout=20)
    click(dash_duo, "#clock")
    _wait("chimes on the desk", lambda: _beeps(dash_duo) >= 3, timeout=30)
    assert _spoken(dash_duo) == []
    assert red["id"]


def test_spk003_spoken_words_are_masked():
    rows = [{"id": 1, "level": "red", "rule": "major", "region": "450802001001001", "region_name": "第1网格",
             "place": "港北区港城街道六八社区第1网格", "reason": "张三（13800001234）家中起火"},
            {"id": 2, "level": "orange", "rule": "overdue", "region": "450802", "region_name": "港北区",
             "reason": "x"},
            {"id": 3, "level": "red", "rule": "repeat", "region": "450802", "region_name": "港北区", "reason": "李四"}]
    said = view.alarm_speech(rows)
    assert said == [{"id": 1, "text": "红色预警。港北区港城街道六八社区第1网格，重大或群体性事件。"},
                    {"id": 3, "text": "红色预警。港北区，重复诉求。"}]
    assert not any(s in "".join(x["text"] for x in said) for s in ("张三", "1380", "李四"))
