"""Drill-down from the map at city level (issue #13: "clicking a county on the city-level map does
nothing"), on the desk and on the wall, in Chromium."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from dashboard import create_app

from .browser import start_signed_in


@pytest.mark.parametrize("screen", ["", "&screen=1"])
def test_map001_a_click_on_the_city_map_opens_the_county(dash_duo, sqlite_url, screen):
    app = create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 60})
    start_signed_in(dash_duo, app)
    driver = dash_duo.driver
    driver.set_window_size(1600, 1000)
    driver.get(dash_duo.server_url + "/?region=450800" + screen)
    canvas = dash_duo.wait_for_element("#ov-map canvas", timeout=30)
    deadline = time.time() + 20
    region = None
    while time.time() < deadline and region != "450802":
        # The tiny city's one county covers the map's centre; the map may still be loading.
        ActionChains(driver).move_to_element(canvas).click().perform()
        time.sleep(0.5)
        region = parse_qs(urlsplit(driver.current_url).query).get("region", [None])[0]
    assert region == "450802", driver.current_url
    if screen:  # a wall stays a wall: the county's wall composition, not the desk page
        assert "screen=1" in driver.current_url
        dash_duo.wait_for_element(".wall-page", timeout=20)
    else:
        dash_duo.wait_for_text_to_equal("#breadcrumb .active", "港北区", timeout=20)
    errors = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert errors == [], errors
