"""The wall: big-screen mode at 1080p and 4K, and the live ticker, in a real browser."""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, insert, select

from data_access.engine import make_engine
from data_access.schema import incident, region
from dashboard import create_app

from .browser import start_signed_in
from .conftest import ARTIFACTS, copy_sqlite, now


@pytest.fixture()
def wall_app(sqlite_url):
    return create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 60})


def _frame_metrics(driver):
    return driver.execute_script("""
        var f = document.getElementById('frame'), r = f.getBoundingClientRect();
        var k = document.getElementById('kpi-incidents_today').getBoundingClientRect();
        return {scale: r.width / 1920, w: r.width, h: r.height,
                kx: (k.left - r.left) / r.width, ky: (k.top - r.top) / r.height,
                scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight,
                innerW: window.innerWidth, innerH: window.innerHeight,
                big: document.body.classList.contains('bigscreen'),
                bg: getComputedStyle(document.body).backgroundColor};""")


@pytest.mark.parametrize("width,height,name", [(1920, 1080, "1080p"), (3840, 2160, "4k")])
def test_big001_bigscreen_scales_the_same_canvas(dash_duo, wall_app, width, height, name):
    start_signed_in(dash_duo, wall_app)
    driver = dash_duo.driver
    driver.set_window_size(width, height)
    driver.get(dash_duo.server_url + "/?screen=1")
    dash_duo.wait_for_element("#kpi-incidents_today", timeout=30)
    dash_duo.wait_for_element("#ov-map canvas", timeout=30)
    driver.execute_script("window.dispatchEvent(new Event('resize'))")
    m = _frame_metrics(driver)
    assert m["big"] and m["bg"] in ("rgb(3, 11, 26)",)  # the dark wall theme is on
    expected = min(m["innerW"] / 1920, m["innerH"] / 1080)
    assert abs(m["scale"] - expected) < 0.01
    # No scrollbars: the canvas fits the screen.
    assert m["scrollW"] <= m["innerW"] and m["scrollH"] <= m["innerH"]
    # The same picture at both sizes: the KPI card sits at the same relative place.
    assert 0.0 < m["kx"] < 0.2 and 0.05 < m["ky"] < 0.3
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"bigscreen-{name}.png"))


def test_big002_carousel_keeps_the_region(dash_duo, wall_app):
    start_signed_in(dash_duo, wall_app)
    dash_duo.driver.get(dash_duo.server_url + "/?region=450802&screen=1&rotate=5")
    dash_duo.wait_for_element("#kpi-incidents_today", timeout=30)
    # The carousel moves on to 事件流转 (and on, every 5 s): every page it shows keeps the region.
    seen, deadline = [], time.time() + 30
    while time.time() < deadline and "/incidents" not in seen:
        url = urlsplit(dash_duo.driver.current_url)
        if not seen or seen[-1] != url.path:
            seen.append(url.path)
        assert url.query == "region=450802&screen=1&rotate=5", url
        time.sleep(0.1)
    assert seen[0] == "/" and "/incidents" in seen, seen
    dash_duo.wait_for_element("#inc-kpis, #pat-kpis", timeout=30)


def test_tick001_ticker_shows_a_row_inserted_after_load(dash_duo, sqlite_url, tmp_path):
    copy = tmp_path / "ticker.db"
    copy_sqlite(sqlite_url, copy)
    app = create_app({"DATABASE_URL": f"sqlite:///{copy}", "REFRESH_SECONDS": 1})
    start_signed_in(dash_duo, app)
    dash_duo.wait_for_element("#ov-ticker-list", timeout=30)
    eng = make_engine(f"sqlite:///{copy}")
    with eng.begin() as conn:
        g = conn.execute(select(region.c.code, region.c.village_code, region.c.township_code,
                                region.c.county_code).where(region.c.level == "grid").limit(1)).one()
        top = conn.execute(select(func.max(incident.c.id))).scalar()
        conn.execute(insert(incident).values(
            id=top + 1, source="police_110", source_ref="T-TICKER-1", category="治安隐患", severity=3,
            title="浏览器测试：新插入的事件", grid_code=g[0], village_code=g[1], township_code=g[2],
            county_code=g[3], reported_at=now() - dt.timedelta(seconds=5),
            sla_due_at=now() + dt.timedelta(hours=24), status="reported", handling_level="grid"))
    # The shared snapshot expires within its cache timeout; the next tick then brings the row.
    dash_duo.wait_for_contains_text("#ov-ticker-list", "浏览器测试：新插入的事件", timeout=40)
    first = dash_duo.find_elements("#ov-ticker-list li")[0]
    assert first.get_attribute("id") == f"ticker-{top + 1}"  # newest first
