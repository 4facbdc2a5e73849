"""A person at the screen: headless Chromium drills from the city down to one grid."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from sqlalchemy import select

from data_access import metrics
from data_access.engine import make_engine
from data_access.schema import region
from data_access.scope import scope_of
from dashboard import create_app

from .browser import click as _click, start_signed_in
from .conftest import ARTIFACTS, now


@pytest.fixture()
def browser_app(sqlite_url):
    return create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 60})


def _kpi(dash_duo, key):
    el = dash_duo.find_element(f"#kpi-{key}")
    return el.get_attribute("title")


def test_br001_drill_city_to_grid(dash_duo, browser_app, sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        scope = scope_of(conn, "450800")
        # The path: at each level, the first child in code order that the tiny city has.
        path, code = [], "450800"
        for _ in range(4):
            code = conn.execute(select(region.c.code).where(region.c.parent_code == code)
                                .order_by(region.c.code).limit(1)).scalar()
            path.append(code)
        expected = {c: metrics.summary(conn, scope, c, now()) for c in ["450800", *path]}
        names = dict(conn.execute(select(region.c.code, region.c.name)).all())

    start_signed_in(dash_duo, browser_app)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.wait_for_element("#kpi-incidents_today", timeout=20)
    assert _kpi(dash_duo, "incidents_today") == str(expected["450800"]["incidents_today"])
    visited = ["450800"]
    for code in path:
        _click(dash_duo, f"#child-{code}")
        if len(code) == 15:
            dash_duo.wait_for_element("#grid-workers", timeout=20)
            assert urlparse(dash_duo.driver.current_url).path == f"/grid/{code}"
        else:
            dash_duo.wait_for_text_to_equal("#breadcrumb .active", names[code], timeout=20)
            assert urlparse(dash_duo.driver.current_url).query == f"region={code}"
        visited.append(code)
        crumbs = [e.text for e in dash_duo.find_elements("#breadcrumb li")]
        assert crumbs == [names[c] for c in visited]
        assert _kpi(dash_duo, "incidents_today") == str(expected[code]["incidents_today"])
        assert _kpi(dash_duo, "open_incidents") == str(expected[code]["open_incidents"])
    # The browser's back button goes back up one level.
    dash_duo.driver.back()
    dash_duo.wait_for_text_to_equal("#breadcrumb .active", names[path[-2]], timeout=20)
    ARTIFACTS.mkdir(exist_ok=True)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "drilldown-village.png"))


def test_br002_nothing_loads_from_the_internet(dash_duo, browser_app):
    start_signed_in(dash_duo, browser_app)
    dash_duo.wait_for_element("#ov-map .maplibregl-canvas, #ov-map canvas", timeout=30)
    origin = dash_duo.server_url.rstrip("/")
    resources = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    outside = [r for r in resources if not r.startswith(origin) and not r.startswith("data:")
               and not r.startswith("blob:")]
    assert resources and outside == []
    # The vendored Bootstrap really applied (rows are flex boxes) and the icon font loaded.
    assert dash_duo.driver.execute_script(
        "return getComputedStyle(document.querySelector('.row')).display") == "flex"
    assert dash_duo.driver.execute_script(
        "return document.fonts.ready.then(() => [...document.fonts].some("
        "f => f.family.includes('bootstrap-icons') && f.status === 'loaded'))")
    ARTIFACTS.mkdir(exist_ok=True)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "overview-city.png"))
