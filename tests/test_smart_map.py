"""智慧地图 (issue #18 item 2): a village's and a grid's 人、地、物、事、组织 as map layers.

The layers against an independent pandas reading of the raw tables on both databases; no
name, phone, ID number or address anywhere on the map; scope on every click; and in a real
browser: a point per event, layers switched, a new report drawn within a tick, a click on a
point opening its file or card, the drill-down from a township to a village."""
from __future__ import annotations

import datetime as dt
import json
import re
import time

import pandas as pd
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from sqlalchemy import insert, text

from dashboard import create_app
from data_access import NotInScope, smart_map
from data_access.engine import make_engine
from data_access.schema import incident
from data_access.scope import scope_of
from layouts import smart_map as view
from services import SNAPSHOTS
from services.snapshot import compute_entry

from . import dashcall
from .browser import click, start_signed_in
from .conftest import ARTIFACTS, copy_sqlite, now, sign_in

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def _village(conn) -> str:
    """The village with the most open events (the tiny city's busiest)."""
    return conn.exec_driver_sql(
        "SELECT village_code FROM incident WHERE closed_at IS NULL GROUP BY village_code "
        "ORDER BY COUNT(*) DESC, village_code LIMIT 1").scalar()


def _frame(conn, sql: str, **params) -> pd.DataFrame:
    return pd.read_sql_query(text(sql), conn, params=params)


def _expected_events(conn, village: str) -> pd.DataFrame:
    """Events of the village on the map, read independently: reported by now, not a duplicate
    report of the same source ref, not a secondary report of a case, with a point, and open at
    now or closed within the last 24 hours. States from the step times, as at now."""
    t = now()
    df = _frame(conn, "SELECT id, source, source_ref, grid_code, village_code, township_code, county_code, lon, lat,"
                      " reported_at, dispatched_at, arrived_at, closed_at FROM incident WHERE village_code = :v",
                v=village)
    grids = _frame(conn, "SELECT code, village_code, township_code, county_code FROM region WHERE level = 'grid'")
    df = df.merge(grids, left_on=["grid_code", "village_code", "township_code", "county_code"],
                  right_on=["code", "village_code", "township_code", "county_code"])
    for col in ("reported_at", "dispatched_at", "arrived_at", "closed_at"):
        df[col] = pd.to_datetime(df[col], utc=True, format="mixed")
    all_reports = _frame(conn, "SELECT id, source, source_ref FROM incident")
    first = all_reports.groupby(["source", "source_ref"])["id"].min().rename("first_id").reset_index()
    df = df.merge(first, on=["source", "source_ref"], how="left")
    df = df[df["first_id"].isna() | (df["first_id"] == df["id"])]
    secondary = set(_frame(conn, "SELECT incident_id FROM incident_case WHERE primary_id <> incident_id")
                    ["incident_id"])
    df = df[~df["id"].isin(secondary)]
    df = df[(df["reported_at"] <= t) & ~(df["closed_at"] < df["reported_at"])]
    df = df[df["lon"].notna() & df["lat"].notna()]
    df = df[df["closed_at"].isna() | (df["closed_at"] > t - dt.timedelta(hours=24))]
    closed = df["closed_at"].notna() & (df["closed_at"] <= t)
    arrived = df["arrived_at"].notna() & (df["arrived_at"] <= t)
    dispatched = df["dispatched_at"].notna() & (df["dispatched_at"] <= t)
    df["state"] = ["closed" if c else "in_progress" if a else "dispatched" if d else "reported"
                   for c, a, d in zip(closed, arrived, dispatched)]
    return df


def _snap(engine, scope_code: str, code: str, at: dt.datetime | None = None) -> dict:
    with engine.connect() as conn:
        scope = scope_of(conn, scope_code)
    return compute_entry(SNAPSHOTS["smartmap"], engine, scope, code, at or now(), 60)["snap"]


# --- the layers, against the raw tables -------------------------------------------------------

def test_sm001_village_layers_agree_with_the_raw_tables(engine, conn):
    village = _village(conn)
    snap = _snap(engine, "450800", village)
    layers = snap["layers"]
    want = _expected_events(conn, village)
    got = {e["id"]: e["state"] for e in layers["incidents"]}
    assert got == dict(zip(want["id"], want["state"]))
    assert sum(1 for s in got.values() if s != "closed") >= 3  # the test means something
    # Every open event has its pulsing halo; a closed one has none.
    values = view.events_values(layers)["traces"]
    assert sorted(values[view.HALO]["customdata"]) == sorted(
        f"incident:{i}" for i, s in got.items() if s != "closed")

    # 人: tagged households and key persons of the village, counted per building.
    hh = _frame(conn, "SELECT id, tags, members, lon, lat FROM household WHERE village_code = :v "
                      "AND grid_code IN (SELECT code FROM region WHERE level = 'grid' AND village_code = :v)",
                v=village)
    hh = hh[hh["members"].fillna(0) >= 1]
    hh = hh[hh["lon"].notna() & hh["lat"].notna()]
    tagged = hh[hh["tags"].fillna("") != ""]
    assert sum(c["households"] for c in layers["people"]) == len(tagged) > 0
    kp = _frame(conn, "SELECT p.household_id FROM person p JOIN key_person k ON k.id = p.key_person_id "
                      "AND k.grid_code = p.grid_code WHERE p.village_code = :v", v=village)
    kp = kp[kp["household_id"].isin(hh["id"])]
    assert sum(c["key_persons"] for c in layers["people"]) == len(kp) > 0
    tags = pd.Series([t for x in tagged["tags"] for t in x.split(",") if t]).value_counts().to_dict()
    summed: dict = {}
    for c in layers["people"]:
        for k, v in c["tags"].items():
            summed[k] = summed.get(k, 0) + v
    assert summed == tags

    # 地 / 物 / 组织: every place, organisation and enterprise of the village with a point.
    def counted(table, by=None):
        df = _frame(conn, f"SELECT * FROM {table} WHERE village_code = :v", v=village)
        df = df[df["lon"].between(-180, 180) & df["lat"].between(-90, 90)]
        return df if by is None else df[by].value_counts().to_dict()
    kinds = counted("place", "kind")
    assert len(layers["stations"]) == kinds.pop("网格驿站") == snap["grids"]
    assert pd.Series([p["kind"] for p in layers["things"]]).value_counts().to_dict() == kinds
    assert pd.Series([o["kind"] for o in layers["organizations"]]).value_counts().to_dict() == \
        counted("organization", "kind")
    ent = counted("enterprise")
    ent = ent[pd.to_datetime(ent["last_inspected_at"], utc=True, format="mixed").fillna(now()) <= now()]
    assert sorted(e["id"] for e in layers["enterprises"]) == sorted(ent["id"])


def test_sm002_above_a_village_the_children_and_their_open_events(engine, conn):
    county = "450802"
    snap = _snap(engine, "450800", county)
    assert "layers" not in snap
    df = _frame(conn, "SELECT id, township_code, closed_at, source, source_ref FROM incident "
                      "WHERE county_code = :c", c=county)
    ids = set(_expected_open_ids(conn, county))
    per = df[df["id"].isin(ids)].groupby("township_code")["id"].count().to_dict()
    towns = _frame(conn, "SELECT code FROM region WHERE parent_code = :c ORDER BY code", c=county)["code"].tolist()
    assert [c["code"] for c in snap["children"]] == towns
    assert {c["code"]: c["open"] for c in snap["children"] if c["open"]} == per
    assert sum(per.values()) > 0


def _expected_open_ids(conn, county: str) -> list[int]:
    """Open events (not secondary, not duplicate, reported by now, closed after now or not at all)."""
    t = now()
    df = _frame(conn, "SELECT i.id, i.source, i.source_ref, i.reported_at, i.closed_at FROM incident i "
                      "JOIN region g ON g.code = i.grid_code AND g.level = 'grid' AND g.village_code = i.village_code"
                      " AND g.township_code = i.township_code AND g.county_code = i.county_code "
                      "WHERE i.county_code = :c", c=county)
    for col in ("reported_at", "closed_at"):
        df[col] = pd.to_datetime(df[col], utc=True, format="mixed")
    first = _frame(conn, "SELECT source, source_ref, MIN(id) AS first_id FROM incident GROUP BY source, source_ref")
    df = df.merge(first, on=["source", "source_ref"], how="left")
    df = df[df["first_id"].isna() | (df["first_id"] == df["id"])]
    secondary = set(_frame(conn, "SELECT incident_id FROM incident_case WHERE primary_id <> incident_id")
                    ["incident_id"])
    df = df[~df["id"].isin(secondary) & (df["reported_at"] <= t) & ~(df["closed_at"] < df["reported_at"])]
    return df[df["closed_at"].isna() | (df["closed_at"] > t)]["id"].tolist()


def test_sm003_no_name_phone_id_number_or_address_on_the_map(app, engine, conn):
    """The snapshot and the rendered page (desk and wall) of a village, as a kiosk reads them."""
    village = _village(conn)
    snap = _snap(engine, "450800", village)
    names = set(_frame(conn, "SELECT name FROM person WHERE village_code = :v AND name IS NOT NULL",
                       v=village)["name"])
    addresses = set(_frame(conn, "SELECT address FROM household WHERE village_code = :v AND address IS NOT NULL",
                           v=village)["address"])
    contacts = set(_frame(conn, "SELECT contact_name FROM enterprise WHERE village_code = :v "
                                "AND contact_name IS NOT NULL", v=village)["contact_name"])
    assert names and addresses and contacts
    client = app.server.test_client()
    r = client.get("/kiosk?token=test-kiosk-token-city-000000000000")
    assert r.status_code in (200, 302)
    route = dashcall.find(app, "page.children")
    pages = [dashcall.call(client, app, route, ["/map", f"?region={village}{s}"]).get_data(as_text=True)
             for s in ("", "&screen=1")]
    assert all("map-graph" in p for p in pages)
    for body in [json.dumps(snap, default=str, ensure_ascii=False)] + [json.loads(p) and p.encode().decode(
            "unicode_escape", errors="ignore") for p in pages]:
        assert not PHONE.search(body) and not ID_NUMBER.search(body)
        # Two-character names are common words too: look for the longer ones only.
        assert not [n for n in names | contacts if len(n) >= 3 and n in body]
        assert not [a for a in addresses if a in body]


def test_sm004_every_read_is_scoped(app, conn):
    """A township leader reads only its township: another township's village, event, building,
    place or organisation is answered exactly like one that does not exist."""
    town, other = conn.exec_driver_sql("SELECT code FROM region WHERE level = 'township' ORDER BY code "
                                       "LIMIT 2").scalars().all()
    far_village = conn.exec_driver_sql(f"SELECT code FROM region WHERE level = 'village' AND "
                                       f"township_code = '{other}' ORDER BY code LIMIT 1").scalar()
    ids = {t: conn.exec_driver_sql(f"SELECT MIN(id) FROM {t} WHERE township_code = '{other}'").scalar()
           for t in ("incident", "household", "place", "organization")}
    mine = conn.exec_driver_sql(f"SELECT MIN(id) FROM incident WHERE township_code = '{town}'").scalar()
    client = app.server.test_client()
    assert sign_in(client, "town_leader").status_code == 302
    route = dashcall.find(app, "page.children")
    far = dashcall.call(client, app, route, ["/map", f"?region={far_village}"]).get_data(as_text=True)
    unknown = dashcall.call(client, app, route, ["/map", "?region=450802999999"]).get_data(as_text=True)
    assert "不存在或无权查看" in far and "map-graph" not in far and "不存在或无权查看" in unknown
    key = dashcall.find(app, "map-detail.children")

    def opened(value):
        r = dashcall.call(client, app, key, [{"points": [{"customdata": value}]}], [""])
        assert r.status_code == 200, value
        return r.get_json()["response"]

    assert opened(f"incident:{mine}")["map-detail"]["children"]["props"]["id"] == "map-card"
    assert "事件档案" in json.dumps(opened(f"incident:{mine}"), ensure_ascii=False)
    for value, word in ((f"incident:{ids['incident']}", "事件"), (f"place:{ids['place']}", "对象"),
                        (f"organization:{ids['organization']}", "对象")):
        body = json.dumps(opened(value), ensure_ascii=False)
        forged_unknown = json.dumps(opened(value.split(":")[0] + ":999999999"), ensure_ascii=False)
        assert "不存在或无权查看" in body and body.replace(value.split(":")[1], "X") == \
            forged_unknown.replace("999999999", "X"), value
    # A building of households from another township: nothing of them is shown.
    body = json.dumps(opened(f"household:{ids['household']},{ids['household'] + 1}"), ensure_ascii=False)
    assert "该点位无可查看的户" in body and f"/household/{ids['household']}" not in body
    with pytest.raises(NotInScope):
        with make_engine(str(conn.engine.url.render_as_string(hide_password=False))).connect() as c2:
            smart_map.incident_card(c2, scope_of(c2, town), str(ids["incident"]), now())


def test_sm005_hostile_clicks_and_layers_are_refused(app, client):
    key = dashcall.find(app, "map-detail.children")
    junk = [None, 12, "治安", [], {}, {"points": []}, {"points": [{}]}, {"points": [{"customdata": None}]},
            {"points": [{"customdata": "incident:1 OR 1=1"}]}, {"points": [{"customdata": "incident:"}]},
            {"points": [{"customdata": "household:" + ",".join(["1"] * 40)}]},
            {"points": [{"customdata": "person:1"}]}, {"points": [{"customdata": "incident:０１"}]},
            {"points": [{"customdata": ["incident:1"]}]}, {"points": [{"customdata": "9" * 5000}]},
            {"points": "incident:1"}]
    for bad in junk:
        r = dashcall.call(client, app, key, [bad], [""])
        assert r.status_code == 204, bad
    switch = next(k for k in app.callback_map if k.startswith("map-graph.figure@")
                  and app.callback_map[k]["inputs"][0]["id"] == "map-layers")
    for bad in (None, "事", {"x": 1}, 12):
        assert dashcall.call(client, app, switch, [bad]).status_code == 204, bad
    r = dashcall.call(client, app, switch, [["events", 12, None, "people"]])
    patch = r.get_json()["response"]["map-graph"]["figure"]
    assert [op["params"]["value"] for op in patch["operations"]] == [
        layer in ("events", "people") for layer in view.TRACE_LAYER]


def test_sm006_ticks_send_only_what_changed(app, client, conn):
    village = _village(conn)
    tick = dashcall.find(app, "map-legend.children")
    reg = dashcall.find(app, "map-rupdated.children")
    r = dashcall.call(client, app, tick, [1], [village, {"sig": "old"}])
    assert r.status_code == 200
    body = r.get_json()["response"]
    state = body["map-state"]["data"]
    patch = json.dumps(body["map-graph"]["figure"])
    assert "incident:" in patch and "household:" not in patch and "enterprise:" not in patch
    assert "coordinates" not in patch  # geometry is sent once, with the page
    assert dashcall.call(client, app, tick, [2], [village, state]).status_code == 204
    r = dashcall.call(client, app, reg, [1], [village, {"sig": "old"}])
    patch = json.dumps(r.get_json()["response"]["map-graph"]["figure"])
    assert "household:" in patch and "enterprise:" in patch and "incident:" not in patch
    rstate = r.get_json()["response"]["map-rstate"]["data"]
    assert dashcall.call(client, app, reg, [2], [village, rstate]).status_code == 204
    for bad in ("450802'--", 12, ["450802"], "999999999999"):
        assert dashcall.call(client, app, tick, [1], [bad, {"sig": "x"}]).status_code == 204


def test_sm007_the_grid_profile_and_its_map_link_each_other(app, client, conn):
    grid = conn.exec_driver_sql("SELECT code FROM region WHERE level = 'grid' ORDER BY code LIMIT 1").scalar()
    route = dashcall.find(app, "page.children")
    profile = dashcall.call(client, app, route, [f"/grid/{grid}", ""]).get_data(as_text=True)
    assert f"/map?region={grid}" in profile.replace("\\u002f", "/")
    page = dashcall.call(client, app, route, ["/map", f"?region={grid}"]).get_data(as_text=True)
    assert "map-grid-link" in page and f"/grid/{grid}" in page.replace("\\u002f", "/")
    assert f"/assessment?region={grid}" in page.replace("\\u002f", "/")


# --- in the browser ---------------------------------------------------------------------------

TRACES = """
var gd = document.querySelector('#map-graph .js-plotly-plot');
return gd && gd.data ? gd.data.map(function (t) {
  return {name: t.name, visible: t.visible, ids: (t.customdata || []).slice(), lon: (t.lon || []).slice(),
          lat: (t.lat || []).slice(), locations: (t.locations || []).slice()}; }) : null;
"""
PROJECT = """
var gd = document.querySelector('#map-graph .js-plotly-plot');
var map = gd._fullLayout.map._subplot.map, p = map.project([arguments[0], arguments[1]]);
map.getCanvas().scrollIntoView({block: 'center'});
return [p.x, p.y];
"""


JUMP = """
var gd = document.querySelector('#map-graph .js-plotly-plot');
gd._fullLayout.map._subplot.map.jumpTo({center: [arguments[0], arguments[1]], zoom: arguments[2]});
"""
CLUSTERS = """
var gd = document.querySelector('#map-graph .js-plotly-plot'), map = gd._fullLayout.map._subplot.map;
var ids = map.getStyle().layers.map(function (l) { return l.id; });
var cluster = ids.filter(function (id) { return /-cluster$/.test(id); });
var counts = ids.filter(function (id) { return /-cluster-count$/.test(id); });
var feats = cluster.length ? map.queryRenderedFeatures({layers: cluster}) : [];
return {layers: ids.filter(function (id) { return id.indexOf('plotly-trace-layer') === 0; }),
        counts: counts, sizes: feats.map(function (f) { return f.properties.point_count; }),
        labels: counts.length ? map.queryRenderedFeatures({layers: counts}).length : 0};
"""


def _traces(dash_duo) -> dict:
    return {t["name"]: t for t in dash_duo.driver.execute_script(TRACES) or []}


def _wait_traces(dash_duo, test, timeout=25) -> dict:
    end = time.time() + timeout
    while time.time() < end:
        got = _traces(dash_duo)
        if got and test(got):
            return got
        time.sleep(0.3)
    raise AssertionError("map traces never met the condition: "
                         f"{ {k: (len(v['ids']), v['visible']) for k, v in got.items()} }")


def _click_point(dash_duo, lon: float, lat: float) -> None:
    """A real mouse click where the point is drawn (the map projects it to the canvas; selenium
    4.2 takes the offset from the element's top-left corner)."""
    canvas = dash_duo.find_element("#map-graph canvas")
    dx, dy = dash_duo.driver.execute_script(PROJECT, lon, lat)
    ActionChains(dash_duo.driver).move_to_element_with_offset(canvas, int(dx), int(dy)).pause(0.4).click().perform()


def _opens_file(dash_duo, trace: dict, i: int, kind: str, title: str) -> None:
    """A click on point i of a trace opens that record's file page; no console error on the way."""
    ident = trace["ids"][i].split(":")[1].split(",")[0]
    _click_point(dash_duo, trace["lon"][i], trace["lat"][i])
    dash_duo.wait_for_contains_text("#page", title, timeout=20)
    assert dash_duo.driver.current_url.endswith(f"/{kind}/{ident}")
    errors = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert errors == [], errors


def _loneliest(points: list[tuple[float, float]], others: list[tuple[float, float]]) -> int:
    """The index of the point farthest from every other one (a click on it cannot miss)."""
    def gap(p):
        return min(((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 for q in others if q != p), default=1.0)
    return max(range(len(points)), key=lambda i: gap(points[i]))


def _only(dash_duo, layer: str) -> None:
    """Leave only one layer switched on (a click lands on that layer's point)."""
    for key, label in view.LAYERS.items():
        box = dash_duo.find_element(f"#map-layers input[value='{key}']")
        if box.is_selected() != (key == layer):
            click(dash_duo, f"label[for='{box.get_attribute('id')}']")
            time.sleep(0.3)
    _wait_traces(dash_duo, lambda t: all((t[n]["visible"] is not False) == (view.TRACE_LAYER[i] == layer)
                                         for i, n in enumerate(t)))


@pytest.fixture()
def map_db(sqlite_url, tmp_path):
    url = copy_sqlite(sqlite_url, tmp_path / "map.db")
    eng = make_engine(url)
    yield url, eng
    eng.dispose()


def test_sm101_village_map_in_the_browser(dash_duo, map_db):
    url, eng = map_db
    with eng.connect() as conn:
        village = _village(conn)
        want = _expected_events(conn, village)
        grid = conn.exec_driver_sql(f"SELECT code, lon, lat, township_code, county_code FROM region "
                                    f"WHERE village_code = '{village}' AND level = 'grid' ORDER BY code LIMIT 1").one()
    app = create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2})
    start_signed_in(dash_duo, app, "city_leader", path=f"/map?region={village}")
    dash_duo.driver.set_window_size(1600, 1100)
    dash_duo.wait_for_element("#map-graph canvas", timeout=30)
    traces = _wait_traces(dash_duo, lambda t: "事" in t and t["人"]["ids"])
    # A point per event (open ones and those closed in the last day), a halo per open one.
    assert sorted(traces["事"]["ids"]) == sorted(f"incident:{i}" for i in want["id"])
    assert sorted(traces["事件光环"]["ids"]) == sorted(f"incident:{i}" for i in want[want["state"] != "closed"]["id"])
    assert traces["网格"]["locations"] and traces["网格驿站"]["ids"] and traces["组织"]["ids"]
    assert dash_duo.find_element("#map-count-overdue").text.startswith("超期")
    # The open events pulse: their halo's radius moves on the map, tick after tick.
    radius = ("var gd = document.querySelector('#map-graph .js-plotly-plot'), m = gd._fullLayout.map._subplot.map;"
              "var t = gd._fullData.find(function (t) { return t.name === '事件光环'; });"
              "return m.getPaintProperty('plotly-trace-layer-' + t.uid + '-circle', 'circle-radius');")
    sizes = set()
    for _ in range(6):
        sizes.add(json.dumps(dash_duo.driver.execute_script(radius)))
        time.sleep(0.4)
    assert {"12", "20"} <= sizes, sizes
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "map-village.png"))

    # A new report in the village is drawn within a tick, pulsing; it is placed where no other
    # event is near, so that the click below lands on it.
    events = list(zip(traces["事"]["lon"], traces["事"]["lat"]))
    spots = [(grid.lon + dx * 0.001, grid.lat + dy * 0.001) for dx in range(-2, 3) for dy in range(-2, 3)]
    spot = max(spots, key=lambda p: min(((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 for q in events), default=1.0))
    with eng.begin() as conn:
        new_id = conn.execute(insert(incident).values(
            source="hotline_12345", source_ref="MAP-TEST-1", category="环境卫生", severity=2,
            title="村口垃圾堆放未清运", grid_code=grid.code, village_code=village,
            township_code=grid.township_code, county_code=grid.county_code, lon=spot[0], lat=spot[1],
            reported_at=now() + dt.timedelta(seconds=30), sla_due_at=now() + dt.timedelta(hours=24),
            status="reported", handling_level="grid")).inserted_primary_key[0]
    app.server.config["DASHBOARD_NOW"] = (now() + dt.timedelta(minutes=1)).isoformat()
    _wait_traces(dash_duo, lambda t: f"incident:{new_id}" in t["事件光环"]["ids"], timeout=20)
    dash_duo.wait_for_element(f"#map-event-{new_id}", timeout=10)

    # A click on it opens its record beside the map (zoomed in, where events never merge).
    _only(dash_duo, "events")
    dash_duo.driver.execute_script(JUMP, spot[0], spot[1], view.CLUSTER_MAXZOOM + 1)
    time.sleep(1)
    _click_point(dash_duo, *spot)
    dash_duo.wait_for_contains_text("#map-card", "村口垃圾堆放未清运", timeout=15)
    assert f"{new_id:07d}" in dash_duo.find_element("#map-card-code").text
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "map-village-card.png"))

    # 人: a building of one household opens that household's file (masked).
    _only(dash_duo, "people")
    people = _traces(dash_duo)["人"]
    points = list(zip(people["lon"], people["lat"]))
    single = [k for k, v in enumerate(people["ids"]) if "," not in v]
    i = single[_loneliest([points[k] for k in single], points)]
    _opens_file(dash_duo, people, i, "household", "一户一档")


def test_sm102_grid_map_and_the_drill_down(dash_duo, map_db):
    url, eng = map_db
    with eng.connect() as conn:
        village = _village(conn)
        town = conn.exec_driver_sql(f"SELECT township_code FROM region WHERE code = '{village}'").scalar()
        vrow = conn.exec_driver_sql(f"SELECT lon, lat FROM region WHERE code = '{village}'").one()
        grid = conn.exec_driver_sql(
            f"SELECT grid_code FROM enterprise WHERE village_code = '{village}' GROUP BY grid_code "
            f"ORDER BY COUNT(*) DESC, grid_code LIMIT 1").scalar()
    app = create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2})
    # From the township's map, a click on a village drills down to its points.
    start_signed_in(dash_duo, app, "city_leader", path=f"/map?region={town}")
    dash_duo.driver.set_window_size(1600, 1100)
    dash_duo.wait_for_element("#map-drill-hint", timeout=30)
    _wait_traces(dash_duo, lambda t: village in t[next(iter(t))]["locations"])
    _click_point(dash_duo, vrow.lon, vrow.lat)
    dash_duo.wait_for_element("#map-legend-events", timeout=20)
    assert dash_duo.driver.current_url.endswith(f"/map?region={village}")

    dash_duo.driver.get(f"{dash_duo.server_url}/map?region={grid}")
    dash_duo.wait_for_element("#map-grid-link", timeout=30)
    traces = _wait_traces(dash_duo, lambda t: t["企业"]["ids"])
    assert traces["网格"]["locations"] == [grid] and len(traces["网格驿站"]["ids"]) == 1
    dash_duo.wait_for_element("#map-graph canvas", timeout=20)
    time.sleep(2)  # the map paints its layers after the canvas exists
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "map-grid.png"))
    _only(dash_duo, "orgs")
    ent = traces["企业"]
    points = list(zip(ent["lon"], ent["lat"]))
    i = _loneliest(points, points + list(zip(traces["组织"]["lon"], traces["组织"]["lat"])))
    _opens_file(dash_duo, ent, i, "enterprise", "一企一档")


def test_sm103_dense_events_cluster_with_their_count(dash_duo, map_db):
    """Twenty reports on one street block of a village: one circle that says 20 at the village's
    zoom; zoomed in, twenty points again."""
    url, eng = map_db
    with eng.begin() as conn:
        village = _village(conn)
        grid = conn.exec_driver_sql(f"SELECT code, lon, lat, township_code, county_code FROM region "
                                    f"WHERE village_code = '{village}' AND level = 'grid' ORDER BY code LIMIT 1").one()
        for k in range(20):
            conn.execute(insert(incident).values(
                source="police_110", source_ref=f"MAP-DENSE-{k}", category="治安隐患", severity=2,
                title=f"夜市摊点第{k + 1}处占道纠纷", grid_code=grid.code, village_code=village,
                township_code=grid.township_code, county_code=grid.county_code,
                lon=grid.lon + (k % 5) * 0.00008, lat=grid.lat + (k // 5) * 0.00008,
                reported_at=now() - dt.timedelta(minutes=30 + k), sla_due_at=now() + dt.timedelta(hours=24),
                status="reported", handling_level="grid"))
    app = create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 60})
    start_signed_in(dash_duo, app, "city_leader", path=f"/map?region={village}")
    dash_duo.driver.set_window_size(1600, 1100)
    dash_duo.wait_for_element("#map-graph canvas", timeout=30)
    _wait_traces(dash_duo, lambda t: sum("incident:" in i for i in t["事"]["ids"]) > 20)
    _only(dash_duo, "events")
    end = time.time() + 20
    got = {}
    while time.time() < end:
        got = dash_duo.driver.execute_script(CLUSTERS)
        if got["sizes"] and max(got["sizes"]) >= 20 and got["labels"]:
            break
        time.sleep(0.5)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "map-village-cluster.png"))
    assert got["sizes"] and max(got["sizes"]) >= 20, got
    assert got["counts"] and got["labels"] >= 1, got  # the count is drawn (our glyphs load)
    dash_duo.driver.execute_script(JUMP, grid.lon + 0.00016, grid.lat + 0.00016, view.CLUSTER_MAXZOOM + 1)
    time.sleep(1.5)
    got = dash_duo.driver.execute_script(CLUSTERS)
    assert not got["sizes"] or max(got["sizes"]) < 20, got
    errors = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert errors == [], errors
