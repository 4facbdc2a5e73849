"""Every view's wall composition (issue #13), in a real browser at 1920×1080 and 3840×2160:
every panel on the canvas, nothing clipped, letters readable from five metres, dark
everywhere, no console error. Screenshots go to tests/artifacts/wall-<view>-<size>.png."""
from __future__ import annotations

import pytest

from dashboard import create_app

from .browser import start_signed_in
from .conftest import ARTIFACTS

SIZES = [(1920, 1080, "1080p"), (3840, 2160, "4k")]
# view -> (path, an element that is there once its data is drawn)
WALLS = {
    "opinion": ("/opinion?region=450800&screen=1", "#op-volume .main-svg"),
    "patrols": ("/patrols?region=450800&screen=1", "#pat-map canvas"),
    "overview": ("/?region=450800&screen=1", "#ov-map canvas"),
    "incidents": ("/incidents?region=450800&screen=1", "#inc-sankey .main-svg"),
    "grid": ("/grid/450802001003001?screen=1", "#grid-recent-incidents"),
    "warnings": ("/warnings?region=450800&screen=1", "#board-map canvas"),
    "smartmap": ("/map?region=450802001021&screen=1", "#map-graph canvas"),
}

# Measured in canvas pixels (CSS px before the canvas is scaled to the screen).
CHECK = """
var frame = document.getElementById('frame'), fr = frame.getBoundingClientRect();
var scale = fr.width / 1920, res = {outside: [], clipped: [], light: [], fonts: [], panels: 0};
function name(el) { return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ').slice(0, 2).join('.') : ''); }
function visible(el) { var cs = getComputedStyle(el), r = el.getBoundingClientRect();
  return cs.display !== 'none' && cs.visibility !== 'hidden' && r.width > 0 && r.height > 0; }
document.querySelectorAll('.wall-page .wall-panel, .wall-page .kpi-card, .wall-head').forEach(function (el) {
  if (!visible(el)) return;
  if (el.classList.contains('wall-panel')) res.panels += 1;
  var r = el.getBoundingClientRect();
  if (r.left < fr.left - 1 || r.top < fr.top - 1 || r.right > fr.right + 1 || r.bottom > fr.bottom + 1)
    res.outside.push(name(el) + ' ' + [r.left - fr.left, r.top - fr.top, r.right - fr.left, r.bottom - fr.top]
      .map(function (v) { return Math.round(v / scale); }).join(','));
});
// Text that does not fit its own box (titles, KPI labels and values, table cells), and panel
// bodies that overflow without being auto-scrolling lists.
document.querySelectorAll('.wall-panel-title, .kpi-label, .kpi-value, .wall-title').forEach(function (el) {
  if (visible(el) && el.scrollWidth > el.clientWidth + 1)  // one line each: cut means cut short
    res.clipped.push(name(el) + ' ' + el.textContent.slice(0, 20));
});
document.querySelectorAll('.wall-panel-body:not(.autoscroll)').forEach(function (el) {
  if (visible(el) && (el.scrollHeight > el.clientHeight + 2 || el.scrollWidth > el.clientWidth + 2))
    res.clipped.push(name(el.parentElement.querySelector('.wall-panel-title') || el) + ' ' +
      el.parentElement.textContent.slice(0, 12) + ' ' + el.scrollWidth + 'x' + el.scrollHeight + ' in ' +
      el.clientWidth + 'x' + el.clientHeight);
});
// Short category axes that skip labels for want of room (plotly drops every other one silently);
// a 30-day axis may thin out, a list of names may not.
res.skipped = [];
document.querySelectorAll('.wall-page .js-plotly-plot').forEach(function (gd) {
  var full = gd._fullLayout;
  if (!full) return;
  Object.keys(full).filter(function (k) { return /^[xy]axis\d*$/.test(k); }).forEach(function (k) {
    var ax = full[k];
    if (ax.type !== 'category' || !ax.visible || !ax.showticklabels || !ax._categories) return;
    var shown = (ax._vals || []).length, want = ax._categories.length;
    if (want > 0 && want <= 20 && shown < want) res.skipped.push((gd.parentElement.id || gd.id) + '.' + k + ' ' + shown + '/' + want + ' h=' + full.height + ' box=' + Math.round(gd.parentElement.getBoundingClientRect().height / scale));
  });
});
// Light backgrounds: anything opaque and bright on the wall.
document.querySelectorAll('#frame *').forEach(function (el) {
  if (!visible(el)) return;
  var m = getComputedStyle(el).backgroundColor.match(/[\\d.]+/g);
  if (!m) return;
  var a = m.length > 3 ? +m[3] : 1, lum = (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
  if (a > 0.5 && lum > 0.6) res.light.push(name(el) + ' ' + getComputedStyle(el).backgroundColor);
});
// The smallest letters of visible text (HTML and the charts' SVG), in canvas pixels.
var walker = document.createTreeWalker(document.querySelector('.wall-page'), NodeFilter.SHOW_TEXT);
var node;
while ((node = walker.nextNode())) {
  var el = node.parentElement;
  if (!node.textContent.trim() || !visible(el)) continue;
  var r = el.getBoundingClientRect();
  if (r.bottom < fr.top || r.top > fr.bottom) continue;
  var box = el.closest('.autoscroll');
  if (box) { var b = box.getBoundingClientRect(); if (r.bottom < b.top || r.top > b.bottom) continue; }
  res.fonts.push([parseFloat(getComputedStyle(el).fontSize), name(el) + ' ' + node.textContent.trim().slice(0, 16)]);
}
res.fonts.sort(function (a, b) { return a[0] - b[0]; });
res.fonts = res.fonts.slice(0, 5);
return res;
"""


@pytest.fixture(scope="module")
def wall_app(sqlite_url):
    return create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 60})


@pytest.mark.parametrize("view", sorted(WALLS))
@pytest.mark.parametrize("width,height,size", SIZES)
def test_wall001_every_panel_on_the_canvas_and_legible(dash_duo, wall_app, view, width, height, size):
    path, ready = WALLS[view]
    start_signed_in(dash_duo, wall_app)
    driver = dash_duo.driver
    driver.set_window_size(width, height)
    driver.get(dash_duo.server_url + path)
    dash_duo.wait_for_element(".wall-page", timeout=30)
    dash_duo.wait_for_element(ready, timeout=30)
    driver.execute_script("window.dispatchEvent(new Event('resize'))")
    dash_duo.wait_for_element(".wall-panel", timeout=5)
    got = driver.execute_script(CHECK)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"wall-{view}-{size}.png"))
    assert got["panels"] >= 5, got
    assert got["outside"] == [], got["outside"]
    assert got["clipped"] == [], got["clipped"]
    assert got["skipped"] == [], got["skipped"]
    assert got["light"] == [], got["light"][:5]
    assert got["fonts"][0][0] >= 14, got["fonts"]
    errors = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert errors == [], errors
