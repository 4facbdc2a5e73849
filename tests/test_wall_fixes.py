"""The wall's isolated defects of issue #13, each with a test that fails without its fix:
"MM-DD" trend labels read as dates ("Jan 2012"), the `.takeover` rule moving <body>, the alarm
banner wrapping off the canvas, white grids and controls on the dark wall, raw role codes."""
from __future__ import annotations

import datetime as dt
import re
import time
from types import SimpleNamespace

import pytest
from selenium.webdriver.common.keys import Keys

from data_access import warning_desk, warnings
from data_access.engine import make_engine
from data_access.schema import WORKER_ROLES
from data_access.scope import scope_of
from dashboard import create_app
from layouts import figures
from layouts import incidents as incident_view
from layouts import overview
from layouts import patrols as patrol_view
from layouts import warnings as warning_view

from .browser import start_signed_in
from .conftest import ARTIFACTS, _add_users
from .test_warnings import _grids, _Ids, _incident

# A December week: its "MM-DD" labels ("12-01" … "12-07") are exactly the ones plotly, left to
# guess the axis type, reads as "YY-MM" dates (2012-01 … 2012-07). The tiny city of conftest
# ends on 11-20, whose labels (day > 12) happen to stay categories and hid the bug.
DEC_END = dt.datetime.fromisoformat("2026-12-07T07:30:00+00:00")  # 15:30 in Asia/Shanghai
LONG_TITLE = ("测试超长标题：某小区地下车库因连日降雨大面积积水，多辆车辆被淹，业主情绪激动聚集在物业办公室"
              "要求赔偿，现场秩序混乱，需要多部门联合处置")
MM_DD = re.compile(r"^\d\d-\d\d$")


@pytest.fixture(scope="module")
def dec_db(tmp_path_factory):
    """The tiny city seeded to end on DEC_END, its warnings evaluated (red and orange alarms),
    plus one red with a long reason: what a wall shows in live data."""
    from dashboard.demo.seed import seed
    url = f"sqlite:///{tmp_path_factory.mktemp('wall') / 'dec.db'}"
    seed(url, "tiny", 7, DEC_END, log=lambda *_: None)
    _add_users(url)
    eng = make_engine(url)
    with eng.begin() as conn:
        warnings.evaluate(conn, DEC_END)
        ids, grid = _Ids(conn), _grids(conn, 1)[0]
        _incident(conn, ids, grid, severity=4, title=LONG_TITLE, reported_at=DEC_END - dt.timedelta(minutes=3),
                  sla_due_at=DEC_END + dt.timedelta(hours=4))
        warnings.evaluate(conn, DEC_END, rules=["major"])
        alarms = warning_desk.alarms(conn, scope_of(conn, "450800"), None, DEC_END, limit=20)
    eng.dispose()
    counts = {}
    for w in alarms:
        counts[w["level"]] = counts.get(w["level"], 0) + 1
    assert counts.get("red") and counts.get("orange"), counts  # the banner has two levels to count
    assert any(LONG_TITLE in w["reason"] for w in alarms)
    return SimpleNamespace(url=url, counts=counts)


def _app(db):
    return create_app({"DATABASE_URL": db.url, "DASHBOARD_NOW": DEC_END.isoformat(), "REFRESH_SECONDS": 60,
                       "ALARM_SECONDS": 1})


def _body_classes(driver) -> list[str]:
    return driver.execute_script("return document.body.className").split()


def _wait(predicate, timeout=30, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what} never came")


def _release_all(dash_duo, timeout=60):
    """Send every red takeover back (the operator's 返回轮播) until the screen stays on the view.
    Clicked from script: scrolling the button into view would scroll the fixed canvas."""
    driver, end, quiet_since = dash_duo.driver, time.time() + timeout, None
    while time.time() < end:
        if "takeover" in _body_classes(driver):
            quiet_since = None
            driver.execute_script("var b = document.getElementById('takeover-release-btn'); if (b) b.click();")
            time.sleep(1)
        else:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since > 3:
                return
            time.sleep(0.25)
    raise AssertionError("the takeover never let go")


def _open_wall(dash_duo, db, width, height, path="/"):
    start_signed_in(dash_duo, _app(db))
    driver = dash_duo.driver
    driver.set_window_size(width, height)
    driver.get(f"{dash_duo.server_url}{path}?screen=1")
    _wait(lambda: "bigscreen" in _body_classes(driver), what="big-screen mode")
    return driver


# --- 1. the trend's x-axis ------------------------------------------------------------

def _december_days(n=7):
    return [{"day": (DEC_END.date() - dt.timedelta(days=n - 1 - i)).isoformat(), "reported": 10 + i,
             "closed": 8 + i, "clearance_rate": 0.5} for i in range(n)]


def test_wfx001_trend_axes_are_categories():
    days = _december_days()
    fig = overview.trend_figure(days)
    assert list(fig.data[0].x) == ["12-01", "12-02", "12-03", "12-04", "12-05", "12-06", "12-07"]
    assert fig.layout.xaxis.type == "category"  # not left to plotly's guess (dates of 2012)
    assert figures.daily_bars(["12-01"], [1], [1], "受理", "办结").layout.xaxis.type == "category"
    assert incident_view.trend_figure("450800", days).layout.xaxis.type == "category"
    children = [{"code": "45080210", "name": "2012", "max_hours": 80, "median_hours": 3}]
    assert patrol_view.hours_figure("450800", children).layout.xaxis.type == "category"
    assert patrol_view.visit_figure("450800", [{"category": "12-01", "on_time": 1, "overdue": 1,
                                                "risk_weighted_overdue": 1.0}]).layout.xaxis.type == "category"


def _tick_texts(driver, graph_id):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#' + arguments[0] + ' .xtick text'))"
        ".map(function (e) { return e.textContent; });", graph_id)


def test_wfx002_overview_trend_ticks_read_mm_dd(dash_duo, dec_db):
    start_signed_in(dash_duo, _app(dec_db))
    dash_duo.wait_for_element("#ov-trend .xtick text", timeout=30)
    _wait(lambda: len(_tick_texts(dash_duo.driver, "ov-trend")) == 7, what="seven day ticks")
    ticks = _tick_texts(dash_duo.driver, "ov-trend")
    assert ticks == ["12-01", "12-02", "12-03", "12-04", "12-05", "12-06", "12-07"], ticks
    assert not any("2012" in t or "Jan" in t for t in ticks)


# --- 2. the takeover does not move the wall -----------------------------------------------

def test_wfx003_takeover_keeps_the_wall_in_place(dash_duo, dec_db):
    driver = _open_wall(dash_duo, dec_db, 1920, 1080)
    dash_duo.wait_for_element("#kpi-incidents_today", timeout=30)
    _wait(lambda: "takeover" in _body_classes(driver), what="the red takeover")
    dash_duo.wait_for_element("#takeover .takeover-panel", timeout=20)
    driver.execute_script("window.dispatchEvent(new Event('resize'))")
    time.sleep(0.3)
    m = driver.execute_script("""
        var f = document.getElementById('frame').getBoundingClientRect();
        var b = document.body.getBoundingClientRect();
        var t = document.getElementById('takeover').getBoundingClientRect();
        var s = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
        return {top: f.top, left: f.left, bodyTop: b.top, s: s, expTop: (window.innerHeight - 1080 * s) / 2,
                expLeft: (window.innerWidth - 1920 * s) / 2, tTop: t.top, tBottom: t.bottom, fBottom: f.bottom,
                bodyPos: getComputedStyle(document.body).position};""")
    assert m["bodyPos"] == "static" and m["bodyTop"] == 0, m  # `.takeover` no longer matches <body>
    assert abs(m["top"] - m["expTop"]) < 1 and abs(m["left"] - m["expLeft"]) < 1, m
    # The overlay itself stays inside the canvas.
    assert m["top"] <= m["tTop"] and m["tBottom"] <= m["fBottom"] + 1, m
    # The same with the class put on <body> by hand, whatever the alarm data says.
    driver.execute_script("document.body.classList.add('takeover')")
    assert driver.execute_script("return document.getElementById('frame').getBoundingClientRect().top") \
        == pytest.approx(m["expTop"], abs=1)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "wallfix-takeover-1080p.png"))


# --- 3. the banner: one line, counts by level, the view stays on the canvas ---------------

@pytest.mark.parametrize("width,height,name", [(1920, 1080, "1080p"), (3840, 2160, "4k")])
def test_wfx004_alarm_banner_is_one_line_and_the_overview_fits(dash_duo, dec_db, width, height, name):
    driver = _open_wall(dash_duo, dec_db, width, height)
    dash_duo.wait_for_element("#ov-map canvas", timeout=30)
    dash_duo.wait_for_element("#ov-trend .xtick text", timeout=30)
    _release_all(dash_duo)  # the operator sent the red takeovers back: the view with its banner
    dash_duo.wait_for_element("#alarm-banner-body", timeout=20)
    driver.execute_script("window.dispatchEvent(new Event('resize'))")
    time.sleep(1)
    m = driver.execute_script("""
        var f = document.getElementById('frame').getBoundingClientRect(), s = f.width / 1920;
        var b = document.getElementById('alarm-banner-body'), br = b.getBoundingClientRect();
        var r = b.querySelector('.alarm-reason');
        var lh = parseFloat(getComputedStyle(b).fontSize) * 1.6;
        var ticker = document.getElementById('ov-ticker').closest('.card, .wall-panel').getBoundingClientRect();
        var trend = document.getElementById('ov-trend').closest('.card, .wall-panel').getBoundingClientRect();
        return {s: s, bannerH: br.height / s, lineH: lh, fTop: f.top, fBottom: f.bottom,
                reasonClipped: r.scrollWidth > r.clientWidth, reasonTop: r.getBoundingClientRect().top,
                bannerText: b.textContent, tickerBottom: ticker.bottom, trendBottom: trend.bottom,
                innerH: window.innerHeight, scrollH: document.documentElement.scrollHeight,
                frameScroll: document.getElementById('frame').scrollTop};""")
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"wallfix-overview-alarm-{name}.png"))
    # One line: no taller than one line of its own text plus padding, the long reason cut.
    assert m["bannerH"] <= m["lineH"] + 12, m
    assert m["reasonClipped"], m
    assert LONG_TITLE[:10] in m["bannerText"]  # the whole reason is there, only cut on screen
    # Counts by level, not "等 N 条".
    for lv, label in (("red", "红"), ("orange", "橙")):
        count = dash_duo.find_element(f"#alarm-count-{lv}").text.replace(" ", "")
        assert count == f"{label}{dec_db.counts[lv]}", count
    assert "等" not in m["bannerText"].split("：")[0]
    # The panels below stay on the canvas and on the screen.
    assert m["frameScroll"] == 0, m
    assert m["tickerBottom"] <= m["fBottom"] + 1 and m["trendBottom"] <= m["fBottom"] + 1, m
    assert m["tickerBottom"] <= m["innerH"] and m["scrollH"] <= m["innerH"], m
    ticks = _tick_texts(driver, "ov-trend")
    assert ticks and all(MM_DD.match(t) for t in ticks), ticks


# --- 4. dark grids, queue and controls on the wall ------------------------------------------

_COLOURS = """
function rgb(el, prop) {
  var m = getComputedStyle(el)[prop].match(/[\\d.]+/g);
  return m ? m.map(Number) : null;
}
function lum(c) { return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255; }
function paint(el) {  // the colour actually behind el: the first ancestor with an opaque-ish background
  for (var e = el; e; e = e.parentElement) {
    var c = rgb(e, 'backgroundColor');
    if (c && (c.length < 4 || c[3] > 0.5)) return lum(c);
  }
  return 0;
}
var out = {};
arguments[0].forEach(function (sel) {
  var el = document.querySelector(sel);
  out[sel] = el ? {bg: paint(el), fg: lum(rgb(el, 'color'))} : null;
});
return out;
"""


def _colours(driver, selectors):
    return driver.execute_script(_COLOURS, selectors)


def _assert_dark(colours):
    for sel, c in colours.items():
        assert c is not None, f"{sel} is not on the page"
        assert c["bg"] < 0.25, f"{sel} has a light background ({c})"
        assert c["fg"] > 0.5 and c["fg"] - c["bg"] > 0.4, f"{sel} text is not legible on dark ({c})"


def test_wfx005_grids_queue_and_controls_are_dark_on_the_wall(dash_duo, dec_db):
    driver = _open_wall(dash_duo, dec_db, 1920, 1080, "/incidents")
    _release_all(dash_duo)
    dash_duo.wait_for_element("#inc-overdue .ag-row .ag-cell", timeout=30)
    _assert_dark(_colours(driver, ["#inc-overdue .ag-header-cell-text", "#inc-overdue .ag-row .ag-cell",
                                   "#inc-overdue .ag-root-wrapper"]))
    # AG Grid's own dark scheme (Theming API): nothing but the bundled grid code styles it.
    assert driver.execute_script("return document.body.getAttribute('data-ag-theme-mode')") == "dark-blue"
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "wallfix-incidents-grid-1080p.png"))

    driver.get(f"{dash_duo.server_url}/patrols?screen=1")
    dash_duo.wait_for_element("#pat-blind .ag-header-cell-text", timeout=30)
    _assert_dark(_colours(driver, ["#pat-blind .ag-header-cell-text", "#pat-blind .ag-root-wrapper"]))

    # 预警研判 on the wall is its board (the desk's queue and controls are the desk's): the queue and
    # the children's table are dark, each level's badge and count in its own colour.
    driver.get(f"{dash_duo.server_url}/warnings?screen=1")
    dash_duo.wait_for_element("#board-queue .wall-queue td", timeout=30)
    _release_all(dash_duo)
    assert not driver.find_elements("css selector", "#warn-queue, #warn-status, #warn-ack")
    _assert_dark(_colours(driver, ["#board-queue .wall-queue td", "#board-queue .wall-reason",
                                   "#board-children .wall-table td"]))
    badges = driver.execute_script("""
        return Array.from(document.querySelectorAll('#board-queue .level-badge')).map(function (e) {
          var c = getComputedStyle(e).backgroundColor.match(/\\d+/g).map(Number);
          return {level: e.className.match(/level-(red|orange|yellow|blue)/)[1], rgb: c};});""")
    assert badges, "the queue shows its levels"
    for b in badges:
        r, g, bl = b["rgb"][:3]
        want = {"red": r > 150 and g < 90, "orange": r > 180 and 60 < g < 170 and bl < 90,
                "yellow": r > 180 and g > 150 and bl < 120, "blue": bl > 150 and r < 120}[b["level"]]
        assert want, b
    driver.save_screenshot(str(ARTIFACTS / "wallfix-warnings-1080p.png"))

    # The desk keeps the light theme: the wall's colours are scoped to big-screen mode.
    driver.get(f"{dash_duo.server_url}/incidents")
    dash_duo.wait_for_element("#inc-overdue .ag-row .ag-cell", timeout=30)
    _wait(lambda: "bigscreen" not in _body_classes(driver), what="desk mode")
    assert driver.execute_script("return document.body.getAttribute('data-ag-theme-mode')") is None
    assert _colours(driver, ["#inc-overdue .ag-root-wrapper"])["#inc-overdue .ag-root-wrapper"]["bg"] > 0.8


# --- 5. role names, never codes ---------------------------------------------------------------

def test_wfx006_takeover_and_evidence_name_roles_in_chinese():
    workers = [{"name": f"工作人员{i}", "role": role, "phone": "138****0000", "grid_code": "450802001001001"}
               for i, role in enumerate(WORKER_ROLES)]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "450802001001001", "properties": {"name": "第1网格"},
         "geometry": {"type": "Polygon", "coordinates": [[[109.6, 23.1], [109.61, 23.1], [109.61, 23.11],
                                                           [109.6, 23.1]]]}}]}
    focus = {"warning": {"id": 1, "level": "red", "region": "450802001001001", "reason": "测试",
                         "created_at": DEC_END.isoformat()},
             "region": SimpleNamespace(code="450802001001001", name="第1网格"),
             "area": SimpleNamespace(code="450802001", name="测试街道"), "rule_name": "重大/群体性事件",
             "geojson": fc, "incidents": [], "appeals": [], "key_persons": [], "workers": workers}
    text = str(warning_view.takeover(focus, DEC_END, pinned=False).to_plotly_json())
    text += str(warning_view.evidence(focus).to_plotly_json())
    for role in WORKER_ROLES:
        assert role not in text, role
    for label in ("网格长", "专职网格员", "兼职网格员", "第一网格长"):
        assert label in text, label
    # One name per role: the takeover says what 一格一档 (the grid profile) says.
    from data_access import grid as grid_data
    for role in WORKER_ROLES:
        assert grid_data.ROLE_NAMES[role] in text, role
