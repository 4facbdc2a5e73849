"""事件流转 (/incidents): figures against pandas over raw rows, scope, errors, ticks, browser."""
from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlparse

import pandas as pd
import pytest
from sqlalchemy import func, insert, select

from data_access import OutOfScope, incidents, metrics
from data_access.engine import make_engine
from data_access.schema import incident, region
from data_access.scope import scope_of
from layouts import incidents as view

from . import oracle
from .browser import start_signed_in
from .conftest import ARTIFACTS, copy_sqlite, now, sign_in
from .dashcall import call, find
from .test_browser import _click

SH = "Asia/Shanghai"
KPI_KEYS = ["incidents_today", "closed_today", "clearance_rate_today", "open_incidents", "overdue_incidents"]
LEVELS = ["city", "township", "village"]


# --- an independent reading of the rules, straight from raw rows -----------------------

def _ts(value) -> pd.Timestamp:
    return pd.Timestamp(value)


def _day_start(days_back: int = 0) -> pd.Timestamp:
    """UTC start of the Asia/Shanghai day `days_back` days before today."""
    local = _ts(now()).tz_convert(SH).normalize() - pd.Timedelta(days=days_back)
    return local.tz_convert("UTC")


def _good(conn, level: str, code: str) -> pd.DataFrame:
    """Incidents of the subtree that exist at now and are not bad rows."""
    t = _ts(now())
    raw = oracle.table(conn, "incident")
    inc = oracle.located(raw, oracle.grids(conn), level, code)
    inc = inc[inc.reported_at.notna() & (inc.reported_at <= t)]
    inc = inc[~(inc.closed_at.notna() & (inc.closed_at < inc.reported_at))]
    first = raw.sort_values("id").drop_duplicates(["source", "source_ref"], keep="first").id
    inc = inc[inc.id.isin(first)].copy()
    closed = inc.closed_at.notna() & (inc.closed_at <= t)
    arrived = inc.arrived_at.notna() & (inc.arrived_at <= t)
    dispatched = inc.dispatched_at.notna() & (inc.dispatched_at <= t)
    inc["state"] = "reported"
    inc.loc[dispatched, "state"] = "dispatched"
    inc.loc[arrived, "state"] = "in_progress"
    inc.loc[closed, "state"] = "closed"
    inc["closed_now"] = closed
    return inc


def _none(v):
    return None if pd.isna(v) else v


def _code(conn, level: str) -> str:
    """city: 450800; township: the busiest; village: the busiest village of that township."""
    if level == "city":
        return "450800"
    town = conn.execute(select(incident.c.township_code, func.count()).group_by(incident.c.township_code)
                        .order_by(func.count().desc(), incident.c.township_code).limit(1)).first()[0]
    if level == "township":
        return town
    return conn.execute(select(incident.c.village_code, func.count())
                        .where(incident.c.township_code == town).group_by(incident.c.village_code)
                        .order_by(func.count().desc(), incident.c.village_code).limit(1)).first()[0]


# --- data: KPIs and children ------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_inc001_kpis_and_children_equal_metrics(conn, city_scope, level):
    code = _code(conn, level)
    got = incidents.kpis(conn, city_scope, code, now())
    want = metrics.summary(conn, city_scope, code, now())
    assert {k: got[k] for k in KPI_KEYS} == {k: want[k] for k in KPI_KEYS}
    kids = incidents.children(conn, city_scope, code, now())
    ref = metrics.by_child(conn, city_scope, code, now())
    assert [k["code"] for k in kids] == [k["code"] for k in ref]
    for a, b in zip(kids, ref):
        assert {k: a[k] for k in KPI_KEYS} == {k: b[k] for k in KPI_KEYS}


# --- data: volumes and the Sankey ------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_inc002_flows_match_pandas(conn, city_scope, level):
    code = _code(conn, level)
    inc = _good(conn, level, code)
    week = inc[inc.reported_at >= _day_start(6)]
    today = inc[inc.reported_at >= _day_start(0)]
    flows = incidents.flows(conn, city_scope, code, now())
    keys = ["source", "category", "handling_level", "state"]
    want = {tuple(_none(v) for v in k): n for k, n in week.groupby(keys, dropna=False).size().items()}
    got = {(f["source"], f["category"], f["level"], f["state"]): f["week"] for f in flows}
    assert got == want
    assert sum(f["today"] for f in flows) == len(today)
    if level != "village":
        assert len(week) > 0 and len(today) > 0

    # The figures show exactly these counts, under their Chinese labels.
    for field, col, labels in (("source", "source", view.SOURCES), ("category", "category", {})):
        fig = view.volume_figure(code, flows, field)
        shown_today = dict(zip(fig.data[0].y, fig.data[0].x))
        shown_week = dict(zip(fig.data[1].y, fig.data[1].x))
        for frame, shown in ((today, shown_today), (week, shown_week)):
            counts = frame[col].fillna(view.UNKNOWN).value_counts()
            assert {labels.get(k, k): n for k, n in counts.items()} == {k: v for k, v in shown.items() if v}
        if field == "source":  # every source keeps its bar, even at zero
            assert set(view.SOURCES.values()) <= set(shown_week)

    # Sankey: each stage carries the whole week; the last stage splits it by state at now.
    s = view.sankey_data(flows)
    first = [v for src, v in zip(s["source"], s["value"]) if s["labels"][src] in view.SOURCES.values()]
    assert sum(first) == len(week)
    into_state = {}
    for tgt, v in zip(s["target"], s["value"]):
        if s["labels"][tgt] in view.STATES.values():
            into_state[s["labels"][tgt]] = into_state.get(s["labels"][tgt], 0) + v
    assert into_state == {view.STATES[k]: n for k, n in week.state.value_counts().items()}
    fig = view.sankey_figure(code, flows)
    assert list(fig.data[0].link.value) == s["value"]


# --- data: the overdue list ------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_inc003_overdue_list_matches_pandas(conn, city_scope, level):
    code = _code(conn, level)
    t = _ts(now())
    inc = _good(conn, level, code)
    late = inc[~inc.closed_now & inc.sla_due_at.notna() & (inc.sla_due_at < t)].copy()
    late["neg_id"] = -late.id
    late = late.sort_values(["sla_due_at", "neg_id"])
    summary = metrics.summary(conn, city_scope, code, now())
    for limit in (incidents.OVERDUE_LIMIT, 5):
        got = incidents.overdue(conn, city_scope, code, now(), limit=limit)
        assert got["total"] == len(late) == summary["overdue_incidents"]
        assert [r["id"] for r in got["rows"]] == list(late.id[:limit])
    got = incidents.overdue(conn, city_scope, code, now())
    hours = dict(zip(late.id, ((t - late.sla_due_at).dt.total_seconds() / 3600).round(1)))
    names = dict(conn.execute(select(region.c.code, region.c.name)).all())
    for r, (_, row) in zip(got["rows"], late.iterrows()):
        late_h = incidents.hours_late(r, now())
        assert abs(late_h - hours[r["id"]]) < 0.051 and late_h > 0
        assert (r["township"], r["village"], r["grid"]) == (
            names[row.township_code], names[row.village_code], names[row.grid_code])
        assert r["state"] == row.state != "closed"
    if level == "city":
        assert got["rows"], "the tiny city has overdue incidents"
    # Grid rows are plain text: the citizen's title goes through unchanged, never as markup.
    rows = view.overdue_rows(got["rows"], now())
    assert [r["title"] for r in rows] == [r["title"] or "（无标题）" for r in got["rows"]]
    assert [r["hours_late"] for r in rows] == [incidents.hours_late(r, now()) for r in got["rows"]]
    assert all("cellRenderer" not in c for c in view.OVERDUE_COLUMNS)
    assert not view.overdue_grid(got["rows"], now()).to_plotly_json()["props"].get("dangerously_allow_code")


# --- data: department response times -------------------------------------------------------

@pytest.mark.parametrize("level", ["city", "township"])
def test_inc004_department_response_times_match_pandas(conn, city_scope, level):
    code = _code(conn, level)
    t = _ts(now())
    inc = _good(conn, level, code)
    d = inc[(inc.reported_at >= _day_start(29)) & inc.dispatched_at.notna() & inc.arrived_at.notna()
            & (inc.dispatched_at <= t) & (inc.arrived_at <= t) & (inc.arrived_at >= inc.dispatched_at)].copy()
    d["minutes"] = (d.arrived_at - d.dispatched_at).dt.total_seconds() / 60
    d["department"] = d.department.fillna(incidents.UNKNOWN_DEPARTMENT)
    want = d.groupby("department").minutes.agg(["count", "median", lambda s: s.quantile(0.9)])
    want.columns = ["count", "median", "p90"]
    got = incidents.response_times(conn, city_scope, code, now())
    assert {g["department"] for g in got} == set(want.index) and len(got) > 0
    for g in got:
        w = want.loc[g["department"]]
        assert g["count"] == w["count"]
        assert abs(g["median"] - w["median"]) < 0.051 and abs(g["p90"] - w["p90"]) < 0.051
    assert [g["median"] for g in got] == sorted((g["median"] for g in got), reverse=True)


# --- data: daily trend --------------------------------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_inc005_daily_trend_matches_pandas(conn, city_scope, level):
    code = _code(conn, level)
    inc = _good(conn, level, code)
    start = _day_start(29)
    rep_day = inc.reported_at.dt.tz_convert(SH).dt.date.astype(str)
    close_day = inc.closed_at.dt.tz_convert(SH).dt.date.astype(str)
    window = inc.reported_at >= start
    reported = rep_day[window].value_counts()
    cleared = rep_day[window & inc.closed_now & (close_day == rep_day)].value_counts()
    closed = close_day[inc.closed_now & (inc.closed_at >= start)].value_counts()
    got = incidents.daily_trend(conn, city_scope, code, now())
    today = _ts(now()).tz_convert(SH).date()
    assert [g["day"] for g in got] == [str(today - dt.timedelta(days=i)) for i in range(29, -1, -1)]
    for g in got:
        n = int(reported.get(g["day"], 0))
        c = int(cleared.get(g["day"], 0))
        assert (g["reported"], g["closed"], g["cleared_same_day"]) == (n, int(closed.get(g["day"], 0)), c), g
        assert g["clearance_rate"] == (round(c / n, 4) if n else None)
    assert sum(g["reported"] for g in got) == int(window.sum())
    # Today's point is the KPI row's numbers; the live merge changes nothing when both are fresh.
    k = incidents.kpis(conn, city_scope, code, now())
    assert (got[-1]["reported"], got[-1]["closed"], got[-1]["clearance_rate"]) == (
        k["incidents_today"], k["closed_today"], k["clearance_rate_today"])
    assert incidents.with_today(got, k, now()) == got
    fig = view.trend_figure(code, got)
    assert list(fig.data[0].y) == [g["reported"] for g in got]
    assert list(fig.data[1].y) == [g["closed"] for g in got]


# --- scope -------------------------------------------------------------------------------

def test_inc006_township_scope_cannot_read_another_township(conn):
    towns = conn.execute(select(region.c.code).where(region.c.level == "township")
                         .order_by(region.c.code).limit(2)).scalars().all()
    scope = scope_of(conn, towns[0])
    for fn in (incidents.kpis, incidents.children, incidents.flows, incidents.overdue,
               incidents.response_times, incidents.daily_trend):
        with pytest.raises(OutOfScope):
            fn(conn, scope, towns[1], now())
        with pytest.raises(OutOfScope):
            fn(conn, scope, "450800", now())
    assert incidents.kpis(conn, scope, None, now()) == incidents.kpis(conn, scope_of(conn, "450800"),
                                                                       towns[0], now())


# --- the page over HTTP: errors and ticks ------------------------------------------------------

def _render(client, app, search):
    r = call(client, app, find(app, "page.children"), ["/incidents", search])
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_inc007_bad_region_in_url_shows_error_page(app, client, db_url):
    for search, status in (("?region=abc", 400), ("?region=450802'--", 400), ("?region=450899", 404),
                           ("?region=" + "4" * 600, 400)):
        body = _render(client, app, search)
        assert "page-error" in body and f"无法显示（{status}）" in body, search
    body = _render(client, app, "?region=450800")
    assert "page-error" not in body and "inc-sankey" in body and "inc-overdue" in body
    # A township's screen cannot open its neighbour: 404 as for an unknown region, still the error page.
    from dashboard import create_app
    engine = make_engine(db_url)
    with engine.connect() as conn:
        towns = conn.execute(select(region.c.code).where(region.c.level == "township")
                             .order_by(region.c.code).limit(2)).scalars().all()
    engine.dispose()
    town_app = create_app({"DATABASE_URL": db_url, "REFRESH_SECONDS": 2})
    town_client = town_app.server.test_client()
    assert sign_in(town_client, "town_leader").status_code == 302  # jurisdiction: towns[0]
    body = _render(town_client, town_app, f"?region={towns[1]}")
    assert "page-error" in body and "无法显示（404）" in body and "不存在或无权查看" in body
    assert "page-error" not in _render(town_client, town_app, "")


def test_inc008_tick_sends_nothing_unchanged_and_values_when_changed(app, client):
    from callbacks import incidents as cb
    from callbacks import live
    from services.incidents import SNAPSHOT
    key = find(app, "inc-state.data")
    with app.server.app_context():
        state = live.first_state(live.snapshot(SNAPSHOT, "450800"))
    r = call(client, app, key, [1], ["450800", state])
    assert r.status_code == 204 and r.data == b""
    r = call(client, app, key, [1], ["450800", {"sig": "stale-signature"}])
    assert r.status_code == 200
    body = r.get_json()["response"]
    for graph in ("inc-source", "inc-category", "inc-sankey", "inc-dept", "inc-trend"):
        fig = body[graph]["figure"]
        assert fig["__dash_patch_update"] == "__dash_patch_update", graph  # values only
        assert all(op["location"][0] in ("data", "layout") for op in fig["operations"])
    assert "kpi-overdue_incidents" in json.dumps(body["inc-kpis"])
    assert body["inc-state"]["data"]["sig"] == state["sig"]
    for bad in ("abc", ["450800"], None, {"x": 1}):
        assert call(client, app, key, [1], [bad, state]).status_code == 204


def test_inc010_clock_alone_does_not_change_the_snapshot(conn, city_scope):
    """Lateness is derived at render time, so a second with no new facts sends nothing."""
    from data_access import regions
    from services.incidents import compute
    from services.snapshot import signature
    region = regions.get(conn, city_scope, _code(conn, "township"))
    a = compute(conn, city_scope, region, now())
    b = compute(conn, city_scope, region, now() + dt.timedelta(seconds=1))
    assert a["overdue"]["rows"] and signature(a) == signature(b)


# --- in the browser -----------------------------------------------------------------------------

MARKUP_TITLE = "<b>粗体</b><img src=x onerror=\"document.title='pwned'\">测试事件"


@pytest.fixture()
def browser_db(sqlite_url, tmp_path):
    """A copy of the tiny city with one long-overdue incident whose title is markup."""
    path = tmp_path / "incidents.db"
    copy_sqlite(sqlite_url, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with engine.begin() as conn:
        village = _code(conn, "village")
        g = conn.execute(select(region.c.code, region.c.village_code, region.c.township_code,
                                region.c.county_code).where(region.c.village_code == village,
                                                            region.c.level == "grid")
                         .order_by(region.c.code).limit(1)).one()
        top = conn.execute(select(func.max(incident.c.id))).scalar()
        conn.execute(insert(incident).values(
            id=top + 1, source="hotline_12345", source_ref="T-INC-MARKUP", category="其他", severity=2,
            title=MARKUP_TITLE, grid_code=g[0], village_code=g[1], township_code=g[2], county_code=g[3],
            reported_at=now() - dt.timedelta(days=40), sla_due_at=now() - dt.timedelta(days=39),
            status="reported", handling_level="grid"))
    engine.dispose()
    return url


def test_inc009_browser_city_township_village_drill(dash_duo, browser_db):
    from dashboard import create_app
    engine = make_engine(browser_db)
    with engine.connect() as conn:
        scope = scope_of(conn, "450800")
        town, village = _code(conn, "township"), _code(conn, "village")
        county = conn.execute(select(region.c.county_code).where(region.c.code == town)).scalar()
        path = ["450800", county, town, village]
        expected = {c: metrics.summary(conn, scope, c, now()) for c in path}
        names = dict(conn.execute(select(region.c.code, region.c.name)).all())
        grid_child = conn.execute(select(region.c.code).where(region.c.parent_code == village)
                                  .order_by(region.c.code).limit(1)).scalar()
    engine.dispose()
    app = create_app({"DATABASE_URL": browser_db, "REFRESH_SECONDS": 60})
    start_signed_in(dash_duo, app)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.wait_for_page(dash_duo.server_url + "/incidents?region=450800", timeout=20)

    def check(code, visited):
        dash_duo.wait_for_text_to_equal("#breadcrumb .active", names[code], timeout=20)
        assert [e.text for e in dash_duo.find_elements("#breadcrumb li")] == [names[c] for c in visited]
        for key in KPI_KEYS:
            value = expected[code][key]
            assert dash_duo.find_element(f"#inc-kpis #kpi-{key}").get_attribute("title") == (
                "" if value is None else str(value)), (code, key)
        dash_duo.wait_for_element("#inc-sankey .sankey-node", timeout=20)
        dash_duo.wait_for_element("#inc-source .bars path", timeout=20)
        dash_duo.wait_for_element("#inc-trend .bars path", timeout=20)
        if expected[code]["overdue_incidents"]:
            dash_duo.wait_for_element("#inc-overdue .ag-row", timeout=20)
            first = dash_duo.find_element("#inc-overdue .ag-row[row-index='0'] .ag-cell[col-id='title']")
            assert first.text == MARKUP_TITLE  # shown as text, not as markup
            assert not dash_duo.find_elements("#inc-overdue .ag-cell b, #inc-overdue .ag-cell img")
            assert dash_duo.find_element("#inc-overdue-count").get_attribute("title") == str(
                expected[code]["overdue_incidents"])

    visited = ["450800"]
    check("450800", visited)
    ARTIFACTS.mkdir(exist_ok=True)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "incidents-city.png"))
    for code in path[1:]:
        _click(dash_duo, f"#inc-child-{code}")
        visited.append(code)
        check(code, visited)
        url = urlparse(dash_duo.driver.current_url)
        assert (url.path, url.query) == ("/incidents", f"region={code}")
    # At village level the children are grids: their links open the grid profile.
    link = dash_duo.find_element(f"#inc-child-{grid_child}")
    assert urlparse(link.get_attribute("href")).path == f"/grid/{grid_child}"
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "incidents-village.png"))
    assert dash_duo.driver.title != "pwned"
    assert not [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"
                and "favicon" not in e.get("message", "")]
