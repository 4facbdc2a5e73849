"""A person at the screen when a warning comes in: the wall flashes and sounds, the officer
acknowledges it at the duty desk, the audit records it; on a big screen a red warning takes
over and gives the screen back once acknowledged (or when the operator releases it)."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select, update

from data_access import warning_desk, warnings
from data_access.engine import make_engine
from data_access.schema import warning, warning_action
from data_access.scope import scope_of
from dashboard import create_app

from .browser import click, start_signed_in
from .conftest import ARTIFACTS, copy_sqlite, now
from .test_warnings import _grids, _Ids, _incident


@pytest.fixture()
def live_db(sqlite_url, tmp_path):
    """A copy of the tiny city the test may write into while the app reads it."""
    url = copy_sqlite(sqlite_url, tmp_path / "live.db")
    eng = make_engine(url)
    with eng.begin() as conn:  # the seed's own major incidents were dealt with: only ours will sound
        warnings.evaluate(conn, now(), rules=["major"])
        conn.execute(update(warning).values(status="resolved"))
    yield url, eng
    eng.dispose()


def _app(url):
    # A one-second alarm poll so the test does not wait for the production five.
    return create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2, "ALARM_SECONDS": 1})


def _raise_red(eng, n=0) -> dict:
    with eng.begin() as conn:
        ids, grids = _Ids(conn), _grids(conn, 3)
        inc = _incident(conn, ids, grids[n], severity=4, title=f"测试重大事件{n}", reported_at=now() - dt.timedelta(minutes=10))
        raised = [w for w in warnings.evaluate(conn, now(), rules=["major"]) if w["subject"]["id"] == str(inc)]
    assert len(raised) == 1
    return raised[0]


def _body_has(dash_duo, cls, want=True, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if (cls in dash_duo.driver.execute_script("return document.body.className").split()) == want:
            return
        time.sleep(0.25)
    held = [e.get_attribute("id") for e in dash_duo.find_elements(".takeover-panel")]
    raise AssertionError(f"body class {cls!r} {'never came' if want else 'never went'} (panels: {held}; "
                         f"console: {dash_duo.get_logs()})")


def test_wbr001_flash_sound_acknowledge_audit(dash_duo, live_db):
    url, eng = live_db
    start_signed_in(dash_duo, _app(url))
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.wait_for_element("#kpi-incidents_today", timeout=20)
    time.sleep(2)
    assert not dash_duo.find_elements("#alarm-banner-body")  # a quiet city: nothing flashes

    w = _raise_red(eng)  # raised while the page is open
    _body_has(dash_duo, "alarm-red")
    assert w["reason"] in dash_duo.find_element("#alarm-banner-body").text
    assert "alarm-red" in dash_duo.find_element("#alarm-banner-body").get_attribute("class")

    # Sound: the browser allows audio after a click; the button is that click.
    assert "sound-on" not in dash_duo.find_element("#alarm-sound").get_attribute("class")
    click(dash_duo, "#alarm-sound")
    end = time.time() + 10
    while time.time() < end and dash_duo.driver.execute_script("return window.redgrid_state.beeps") < 2:
        time.sleep(0.25)
    assert dash_duo.driver.execute_script("return window.redgrid_state.beeps") >= 2
    assert "sound-on" in dash_duo.find_element("#alarm-sound").get_attribute("class")
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "warnings-alarm.png"))

    click(dash_duo, ".alarm-link")  # to the duty desk
    dash_duo.wait_for_element(".warn-queue .list-group-item", timeout=20)
    item = next(e for e in dash_duo.find_elements(".warn-queue .list-group-item") if w["reason"] in e.text)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", item)
    item.click()
    dash_duo.wait_for_element(f"#warn-detail-{w['id']}", timeout=20)
    assert dash_duo.find_element("#warn-actor").text == "city_duty"  # who acts is who signed in
    dash_duo.find_element("#warn-comment").send_keys("已通知属地核实")
    click(dash_duo, "#warn-ack")
    dash_duo.wait_for_contains_text("#warn-feedback-msg", "已确认", timeout=20)
    dash_duo.wait_for_text_to_equal("#warn-detail-status", "已确认", timeout=20)
    dash_duo.wait_for_contains_text("#warn-audit", "city_duty", timeout=20)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "warnings-desk.png"))

    with eng.connect() as conn:
        rows = conn.execute(select(warning_action.c.action, warning_action.c.actor, warning_action.c.comment)
                            .where(warning_action.c.warning_id == w["id"]).order_by(warning_action.c.id)).all()
    assert [tuple(r) for r in rows][-1] == ("acknowledge", "city_duty", "已通知属地核实")
    _body_has(dash_duo, "alarm", want=False)  # acknowledged: the wall stops flashing and sounding
    beeps = dash_duo.driver.execute_script("return window.redgrid_state.beeps")
    time.sleep(3)
    assert dash_duo.driver.execute_script("return window.redgrid_state.beeps") == beeps


def test_wbr002_red_takes_over_the_big_screen(dash_duo, live_db):
    url, eng = live_db
    start_signed_in(dash_duo, _app(url))
    dash_duo.driver.set_window_size(1920, 1080)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?screen=1&rotate=5", timeout=20)
    dash_duo.wait_for_element("#kpi-incidents_today", timeout=20)
    assert "takeover" not in dash_duo.driver.execute_script("return document.body.className")

    def acknowledge(w):
        with eng.begin() as conn:
            warning_desk.act(conn, scope_of(conn, "450800"), w["id"], w["version"], "acknowledge", "王", now())

    w = _raise_red(eng, 0)
    _body_has(dash_duo, "takeover")
    panel = dash_duo.find_element(f"#takeover-{w['id']}")
    assert w["reason"] in panel.text and "附近网格员" in panel.text
    dash_duo.wait_for_contains_text(".countdown", "剩余", timeout=10)  # its SLA clock runs
    assert dash_duo.find_elements("#takeover-map .js-plotly-plot")
    path = dash_duo.driver.execute_script("return window.location.pathname")
    time.sleep(6)  # longer than the carousel's 5 s: the takeover holds the screen
    assert dash_duo.driver.execute_script("return window.location.pathname") == path
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "warnings-takeover.png"))
    acknowledge(w)
    _body_has(dash_duo, "takeover", want=False)
    assert not dash_duo.find_elements(f"#takeover-{w['id']}")

    # Pinned, the view stays after the acknowledgement until the operator unpins it.
    w2 = _raise_red(eng, 1)
    _body_has(dash_duo, "takeover")
    dash_duo.wait_for_element(f"#takeover-{w2['id']}", timeout=20)
    click(dash_duo, "#takeover-pin-btn")
    dash_duo.wait_for_text_to_equal("#takeover-pin-btn", "取消固定", timeout=10)
    acknowledge(w2)
    time.sleep(4)
    assert dash_duo.find_elements(f"#takeover-{w2['id']}")
    click(dash_duo, "#takeover-pin-btn")
    _body_has(dash_duo, "takeover", want=False)

    # Released, the screen goes back to the carousel while the warning still flashes.
    w3 = _raise_red(eng, 2)
    dash_duo.wait_for_element(f"#takeover-{w3['id']}", timeout=20)
    click(dash_duo, "#takeover-release-btn")
    _body_has(dash_duo, "takeover", want=False)
    assert "alarm-red" in dash_duo.driver.execute_script("return document.body.className")
    assert not dash_duo.find_elements(f"#takeover-{w3['id']}")
