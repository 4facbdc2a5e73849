"""Every view's wall composition with live alarms (issue #13): during a red takeover the overlay
sits right under the navbar, inside the canvas, with letters for five metres; once the operator
sends it back, the view with its one-line banner still has every panel on the canvas, nothing
clipped. Screenshots: tests/artifacts/wall-alarm-<view>-<size>.png, wall-takeover-<view>-<size>.png."""
from __future__ import annotations

import time

import pytest

from .conftest import ARTIFACTS
from .test_wall_fixes import _body_classes, _open_wall, _release_all, _wait, dec_db  # noqa: F401 (fixture)
from .test_wall_views import CHECK

# view -> (path, an element that is there once its data is drawn)
VIEWS = {
    "overview": ("/", "#ov-map canvas"),
    "incidents": ("/incidents", "#inc-sankey .main-svg"),
    "patrols": ("/patrols", "#pat-map canvas"),
    "opinion": ("/opinion", "#op-volume .main-svg"),
    "warnings": ("/warnings", "#board-map canvas"),
}
SIZES = {"1080p": (1920, 1080), "4k": (3840, 2160)}
CASES = [(v, "1080p") for v in VIEWS] + [("overview", "4k"), ("warnings", "4k")]

TAKEOVER = """
var f = document.getElementById('frame').getBoundingClientRect(), s = f.width / 1920;
var nav = document.querySelector('#frame .navbar').getBoundingClientRect();
var t = document.getElementById('takeover').getBoundingClientRect();
var sizes = [];
document.querySelectorAll('#takeover *').forEach(function (el) {
  var r = el.getBoundingClientRect();
  if (!r.width || !r.height || r.bottom > f.bottom || r.top > f.bottom) return;
  for (var n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3 && n.textContent.trim()) {
      sizes.push([parseFloat(getComputedStyle(el).fontSize), el.tagName + ' ' + n.textContent.trim().slice(0, 12)]);
      break;
    }
  }
});
sizes.sort(function (a, b) { return a[0] - b[0]; });
return {gap: (t.top - nav.bottom) / s, left: (t.left - f.left) / s, right: (f.right - t.right) / s,
        bottom: (f.bottom - t.bottom) / s, smallest: sizes.slice(0, 3)};
"""


@pytest.mark.parametrize("view,size", CASES)
def test_wal001_takeover_then_banner_on_every_view(dash_duo, dec_db, view, size):  # noqa: F811
    path, ready = VIEWS[view]
    width, height = SIZES[size]
    driver = _open_wall(dash_duo, dec_db, width, height, path)
    dash_duo.wait_for_element(".wall-page", timeout=30)
    _wait(lambda: "takeover" in _body_classes(driver), what="the red takeover")
    dash_duo.wait_for_element("#takeover .takeover-panel", timeout=20)
    driver.execute_script("window.dispatchEvent(new Event('resize'))")
    time.sleep(0.5)
    t = driver.execute_script(TAKEOVER)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"wall-takeover-{view}-{size}.png"))
    assert abs(t["gap"]) <= 1, t  # right under the navbar: no strip of the view, the clock not covered
    assert t["left"] >= -1 and t["right"] >= -1 and t["bottom"] >= -1, t  # inside the canvas
    assert t["smallest"] and t["smallest"][0][0] >= 16, t["smallest"]  # canvas px (the canvas is scaled as a whole)

    _release_all(dash_duo)
    dash_duo.wait_for_element("#alarm-banner-body", timeout=20)
    dash_duo.wait_for_element(ready, timeout=30)
    driver.execute_script("window.dispatchEvent(new Event('resize'))")
    time.sleep(1)
    got = driver.execute_script(CHECK)
    driver.save_screenshot(str(ARTIFACTS / f"wall-alarm-{view}-{size}.png"))
    banner = driver.execute_script(
        "var b = document.getElementById('alarm-banner-body').getBoundingClientRect();"
        "var f = document.getElementById('frame').getBoundingClientRect(); return (b.height) / (f.width / 1920);")
    assert 48 <= banner <= 53, banner  # one line in its reserved band, not squeezed by the view below
    assert got["panels"] >= 5, got
    assert got["outside"] == [], got["outside"]
    assert got["clipped"] == [], got["clipped"]
    assert got["fonts"][0][0] >= 14, got["fonts"]
    errors = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert errors == [], errors
