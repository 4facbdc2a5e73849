"""巡查覆盖 (/patrols): numbers against pandas over raw rows on SQLite and PostgreSQL,
masking, live ticks, drill-down, and a person at the screen (headless Chromium)."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from urllib.parse import urlparse

import pandas as pd
import pytest
from sqlalchemy import delete, func, insert, select, update

from data_access import OutOfScope, metrics, patrols
from data_access.engine import make_engine
from data_access.schema import grid_worker, key_person, patrol, region
from data_access.scope import scope_of

from . import oracle
from .browser import click as _click, start_signed_in
from .conftest import now
from .dashcall import call, find

LEVELS = ["city", "county", "township", "village", "grid"]


# --- an independent reading of the view's definitions (pandas over raw rows) -------

def _code(conn, level):
    """City; else the first region of that level in code order (the tiny city has one county)."""
    if level == "city":
        return "450800"
    return conn.execute(select(region.c.code).where(region.c.level == level)
                        .order_by(region.c.code).limit(1)).scalar()


def _busiest_village(conn):
    return conn.execute(select(patrol.c.village_code, func.count()).group_by(patrol.c.village_code)
                        .order_by(func.count().desc(), patrol.c.village_code).limit(1)).first()[0]


def _valid_patrols(conn, level, code, when):
    g = oracle.grids(conn)
    p = oracle.located(oracle.table(conn, "patrol"), g, level, code)
    p = p[p.started_at.notna() & (p.started_at <= when)]
    return p[~(p.ended_at.notna() & (p.ended_at < p.started_at))]


def _subtree_grids(conn, level, code) -> pd.DataFrame:
    g = oracle.grids(conn)
    return g[(g["code"] if level == "grid" else g[f"{level}_code"]) == code]


def _child_level(level):
    return dict(zip(LEVELS, LEVELS[1:])).get(level)


def oracle_grid_status(conn, level, code, when) -> pd.DataFrame:
    """Per grid of the subtree: patrolled today?, last valid patrol ever, hours since (capped at 720)."""
    when = pd.Timestamp(when)
    start = when.tz_convert(oracle.SH).normalize().tz_convert("UTC")
    p = _valid_patrols(conn, level, code, when)
    grids = _subtree_grids(conn, level, code).copy()
    last = p.groupby("grid_code").started_at.max()
    today = set(p[p.started_at >= start].grid_code)
    grids["last"] = grids.code.map(last)
    grids["today"] = grids.code.isin(today)
    age = (when - grids["last"]).dt.total_seconds() / 3600.0
    grids["hours"] = age.where(grids["last"].notna() & (age <= 720), 720.0)
    grids["blind"] = grids["last"].isna() | (grids["last"] <= when - pd.Timedelta(days=3))
    child = _child_level(level)
    grids["child"] = grids["code"] if child == "grid" else (grids[f"{child}_code"] if child else None)
    return grids


def oracle_visits(conn, level, code, when) -> dict:
    when = pd.Timestamp(when)
    kp = oracle.located(oracle.table(conn, "key_person"), oracle.grids(conn), level, code)
    vis = oracle.table(conn, "visit")
    last = vis[vis.visited_at <= when].groupby("key_person_id").visited_at.max()
    kp = kp.assign(last=kp.id.map(last))
    kp["on_time"] = kp["last"].notna() & (kp["last"] >= when - pd.to_timedelta(kp.visit_interval_days, unit="D"))
    out = {}
    for cat, rows in kp.groupby("category"):
        late = rows[~rows.on_time]
        out[cat] = {"persons": len(rows), "on_time": int(rows.on_time.sum()), "overdue": len(late),
                    "never": int(late["last"].isna().sum()),
                    "risk_weighted_overdue": int(late.risk_level.sum())}
    return out


def oracle_workers(conn, level, code, when, days=7) -> dict:
    when = pd.Timestamp(when)
    # "7 days" = today and the 6 calendar days before, in Asia/Shanghai.
    since = (when.tz_convert(oracle.SH).normalize() - pd.Timedelta(days=days - 1)).tz_convert("UTC")
    grids = _subtree_grids(conn, level, code)
    gw = oracle.table(conn, "grid_worker")
    gw = gw[gw.grid_code.isin(grids.code) & (gw.active == True)]  # noqa: E712 - 0/1 on SQLite, bool on PG
    p = _valid_patrols(conn, level, code, when)
    p = p[p.started_at >= since]
    agg = p.groupby("worker_id").agg(patrols=("id", "size"), meters=("distance_m", "sum"),
                                     issues=("issues_found", "sum"))
    allinc = oracle.table(conn, "incident").sort_values("id")
    first = allinc.drop_duplicates(["source", "source_ref"], keep="first").id
    inc = oracle.located(allinc, oracle.grids(conn), level, code)
    inc = inc[inc.id.isin(first) & inc.reported_at.notna() & (inc.reported_at <= when)
              & (inc.reported_at >= since)]
    inc = inc[~(inc.closed_at.notna() & (inc.closed_at < inc.reported_at))]
    ok = inc.closed_at.notna() & (inc.closed_at <= when) & (inc.closed_at <= inc.sla_due_at)
    per_grid = pd.DataFrame({"incidents": inc.groupby("grid_code").size(),
                             "ok": inc[ok].groupby("grid_code").size()}).fillna(0)
    out = {}
    for w in gw.itertuples():
        a = agg.loc[w.id] if w.id in agg.index else None
        pg = per_grid.loc[w.grid_code] if w.grid_code in per_grid.index else None
        out[int(w.id)] = {
            "patrols": int(a.patrols) if a is not None else 0,
            "km": round(float(a.meters) / 1000.0, 1) if a is not None else 0.0,
            "issues": int(a.issues) if a is not None else 0,
            "incidents": int(pg.incidents) if pg is not None else 0,
            "closed_on_time": int(pg.ok) if pg is not None else 0,
        }
    return out


# --- the data layer against the oracle ------------------------------------------

@pytest.mark.parametrize("level", LEVELS)
def test_pat001_kpis_match_metrics_and_oracle(conn, city_scope, level):
    code = _code(conn, level)
    got = patrols.coverage(conn, city_scope, code, now())["summary"]
    headline = metrics.summary(conn, city_scope, code, now())
    # The two shared rates are the overview's and the API's, to the digit.
    assert got["patrol_coverage_today"] == headline["patrol_coverage_today"]
    assert got["visit_on_time_rate"] == headline["visit_on_time_rate"]
    want = oracle.summary(conn, level, code, now())
    assert got["patrol_coverage_today"] == want["patrol_coverage_today"]
    assert got["visit_on_time_rate"] == want["visit_on_time_rate"]
    st = oracle_grid_status(conn, level, code, now())
    start = pd.Timestamp(now()).tz_convert(oracle.SH).normalize().tz_convert("UTC")
    p = _valid_patrols(conn, level, code, now())
    assert got["patrols_today"] == int((p.started_at >= start).sum())
    assert got["grids_patrolled_today"] == int(st.today.sum())
    assert got["grids_total"] == len(st)
    assert got["blind_spot_grids"] == int(st.blind.sum())
    cats = oracle_visits(conn, level, code, now())
    assert got["key_persons"] == sum(c["persons"] for c in cats.values())
    assert got["key_persons_overdue"] == sum(c["overdue"] for c in cats.values())
    if level in ("city", "county"):
        assert got["patrols_today"] > 0 and got["blind_spot_grids"] > 0 and got["key_persons_overdue"] > 0


@pytest.mark.parametrize("level", ["city", "county", "township", "village"])
def test_pat002_children_coverage_matches_oracle(conn, city_scope, level):
    code = _busiest_village(conn) if level == "village" else _code(conn, level)
    got = patrols.coverage(conn, city_scope, code, now())["children"]
    st = oracle_grid_status(conn, level, code, now())
    kids = conn.execute(select(region.c.code).where(region.c.parent_code == code)
                        .order_by(region.c.code)).scalars().all()
    assert [c["code"] for c in got] == kids
    for c in got:
        mine = st[st.child == c["code"]]
        assert c["grids"] == len(mine), c["code"]
        assert c["grids_patrolled_today"] == int(mine.today.sum()), c["code"]
        assert c["patrol_coverage_today"] == (round(mine.today.sum() / len(mine), 4) if len(mine) else None)
        assert c["blind_spots"] == int(mine.blind.sum()), c["code"]
        if len(mine):
            assert c["max_hours"] == round(float(mine.hours.max()), 1), c["code"]
            assert c["median_hours"] == round(float(mine.hours.median()), 1), c["code"]
    # The children's coverage agrees with the overview's per-child figures.
    by_child = {c["code"]: c["patrol_coverage_today"] for c in metrics.by_child(conn, city_scope, code, now())}
    assert {c["code"]: c["patrol_coverage_today"] for c in got} == by_child


@pytest.mark.parametrize("level", ["city", "county", "township"])
def test_pat003_blind_spots_match_oracle(conn, city_scope, level):
    code = _code(conn, level)
    got = patrols.coverage(conn, city_scope, code, now())["blind_spots"]
    st = oracle_grid_status(conn, level, code, now())
    blind = st[st.blind]
    assert {b["code"] for b in got} == set(blind.code)
    when = pd.Timestamp(now())
    for b in got:
        last = blind.set_index("code").loc[b["code"], "last"]
        assert b["days"] == round((when - last).total_seconds() / 86400.0, 1)
        assert pd.Timestamp(b["last_patrol"]) == last
        assert b["leader"] == "—" or b["leader"].endswith("*")  # masked 网格长 (or none active)
    assert [b["days"] for b in got] == sorted((b["days"] for b in got), reverse=True)  # worst first


def test_pat004_never_and_older_than_window(sqlite_url, tmp_path):
    """A grid never patrolled, one patrolled only 40 days ago, and bad rows that must not count."""
    copy = tmp_path / "blind.db"
    shutil.copy(sqlite_url.removeprefix("sqlite:///"), copy)
    engine = make_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        village = _busiest_village(conn)  # one with at least three grids
        grids = conn.execute(select(region.c.code, region.c.village_code, region.c.township_code,
                                    region.c.county_code).where(region.c.parent_code == village)
                             .order_by(region.c.code).limit(3)).all()
        never, old, bad = grids
        conn.execute(delete(patrol).where(patrol.c.grid_code.in_([never.code, bad.code])))
        conn.execute(update(patrol).where(patrol.c.grid_code == old.code)
                     .values(started_at=now() - dt.timedelta(days=40), ended_at=None))
        top = conn.execute(select(func.max(patrol.c.id))).scalar()
        loc = {"grid_code": bad.code, "village_code": bad.village_code,
               "township_code": bad.township_code, "county_code": bad.county_code}
        conn.execute(insert(patrol), [
            {"id": top + 1, "worker_id": 1, **loc, "started_at": now() + dt.timedelta(hours=1),
             "ended_at": None},  # future
            {"id": top + 2, "worker_id": 1, **loc, "started_at": now() - dt.timedelta(hours=2),
             "ended_at": now() - dt.timedelta(hours=3)},  # ended before it started
        ])
    with engine.connect() as conn:
        scope = scope_of(conn, "450800")
        got = {b["code"]: b for b in patrols.coverage(conn, scope, never.village_code, now())["blind_spots"]}
        st = oracle_grid_status(conn, "village", never.village_code, now())
    engine.dispose()
    assert set(got) == set(st[st.blind].code)
    assert got[never.code]["status"] == "从未巡查" and got[never.code]["days"] is None
    assert got[bad.code]["status"] == "从未巡查"
    assert got[old.code]["status"] == "30天以上未巡" and got[old.code]["days"] is None
    assert got[never.code]["never"] and not got[old.code]["never"]


@pytest.mark.parametrize("level", ["city", "township", "village"])
def test_pat005_visits_by_category_match_oracle(conn, city_scope, level):
    code = _code(conn, level)
    got = patrols.visits_by_category(conn, city_scope, code, now())
    want = oracle_visits(conn, level, code, now())
    assert {c["category"]: {k: c[k] for k in ("persons", "on_time", "overdue", "never",
                                               "risk_weighted_overdue")} for c in got} == want
    weights = [c["risk_weighted_overdue"] for c in got]
    assert weights == sorted(weights, reverse=True)


@pytest.mark.parametrize("level", ["township", "village"])
def test_pat006_worker_activity_matches_oracle(conn, city_scope, level):
    code = _busiest_village(conn) if level == "village" else _code(conn, level)
    got = patrols.worker_activity(conn, city_scope, code, now())
    want = oracle_workers(conn, level, code, now())
    assert got["total"] == len(want)
    rows = got["rows"]
    assert len(rows) == min(len(want), 200)
    assert rows[0]["patrols"] == max(w["patrols"] for w in want.values())
    assert rows[-1]["patrols"] == min(w["patrols"] for w in want.values())
    assert [r["patrols"] for r in rows] == sorted((r["patrols"] for r in rows), reverse=True)
    sample = rows[:5] + rows[len(rows) // 2:len(rows) // 2 + 3] + rows[-3:]
    for r in sample:
        w = want[r["wid"]]
        assert {k: r[k] for k in w} == w, r["wid"]
        assert r["on_time_rate"] == (round(w["closed_on_time"] / w["incidents"], 4) if w["incidents"] else None)
        assert r["name"].endswith("*")
    assert any(r["incidents"] for r in sample) and any(r["km"] for r in sample)


def test_pat007_scope_is_enforced(conn):
    townships = conn.execute(select(region.c.code).where(region.c.level == "township")
                             .order_by(region.c.code).limit(2)).scalars().all()
    scope = scope_of(conn, townships[0])
    for fn in (patrols.coverage, patrols.visits_by_category, patrols.worker_activity):
        with pytest.raises(OutOfScope):
            fn(conn, scope, townships[1], now())
        with pytest.raises(OutOfScope):
            fn(conn, scope, "450800", now())


# --- the page and its callbacks over HTTP ------------------------------------------

def _render(client, app, code):
    key = find(app, "page.children")
    r = call(client, app, key, ["/patrols", f"?region={code}"], changed="url.search")
    assert r.status_code == 200
    return r


def _workers(client, app, code, state=None):
    return call(client, app, find(app, "pat-wstate.data"), [0], [code, state])


def _tick(client, app, code, state):
    return call(client, app, find(app, "pat-state.data"), [1], [code, state])


def test_pat008_personal_data_is_masked(app, client, conn, city_scope):
    code = _code(conn, "township")
    payloads = [_render(client, app, code).data, _workers(client, app, code).data,
                _tick(client, app, code, {"sig": "changed"}).data]
    text = "".join(p.decode() for p in payloads)  # as sent (non-ASCII may be \u-escaped)
    decoded = "".join(json.dumps(json.loads(p), ensure_ascii=False) for p in payloads)
    shown = patrols.worker_activity(conn, city_scope, code, now())["rows"]
    ids = [r["wid"] for r in shown]
    raw = conn.execute(select(grid_worker.c.name, grid_worker.c.phone).where(grid_worker.c.id.in_(ids))).all()
    blind = [b["code"] for b in patrols.coverage(conn, city_scope, code, now())["blind_spots"]]
    leaders = conn.execute(select(grid_worker.c.name).where(
        grid_worker.c.grid_code.in_(blind), grid_worker.c.role == "grid_leader")).scalars().all()
    phones = conn.execute(select(grid_worker.c.phone).where(grid_worker.c.grid_code.like(code + "%"))).scalars().all()
    kp = conn.execute(select(key_person.c.name, key_person.c.phone, key_person.c.id_number)
                      .where(key_person.c.township_code == code)).all()
    assert raw and phones and kp
    for name in [n for n, _ in raw] + leaders:
        assert name not in decoded, "worker name leaked"
    for value in phones + [x for row in kp for x in row[1:]]:
        assert value not in decoded and value not in text, "phone / id number leaked"
    for name in [row[0] for row in kp if len(row[0]) >= 3]:
        assert name not in decoded, "key-person name leaked"
    assert "*" in decoded


def test_pat009_tick_sends_nothing_when_unchanged_and_values_when_changed(app, client, conn):
    from callbacks import live
    from callbacks import patrols as cb
    from services.patrols import SNAPSHOT
    code = _code(conn, "county")
    with app.server.app_context():
        snap = live.snapshot(SNAPSHOT, code)
        state = live.first_state(snap)
    r = _tick(client, app, code, state)
    assert r.status_code == 204 and r.data == b""
    r = _tick(client, app, code, {"sig": "stale-signature"})
    assert r.status_code == 200
    body = r.get_json()["response"]
    for graph in ("pat-map", "pat-hours", "pat-kp"):
        assert body[graph]["figure"]["__dash_patch_update"] == "__dash_patch_update"
    assert "geojson" not in json.dumps(body) and "coordinates" not in json.dumps(body)
    assert body["pat-blind"]["rowData"] and body["pat-kpis"]["children"]
    assert len(r.data) < 60_000
    # Worker ranking: first call fills it in, an unchanged second call sends nothing.
    first = _workers(client, app, code)
    assert first.status_code == 200
    wstate = first.get_json()["response"]["pat-wstate"]["data"]
    assert first.get_json()["response"]["pat-workers"]["rowData"]
    assert _workers(client, app, code, wstate).status_code == 204


def test_pat010_hostile_inputs_are_refused(app, client):
    for bad in ["450800'; DROP TABLE patrol;--", 12, ["450800"], "999999", "450801"]:
        assert _tick(client, app, bad, {"sig": "x"}).status_code == 204
        assert _workers(client, app, bad).status_code == 204
    key = next(k for k, v in app.callback_map.items()
               if any(i["id"] == "pat-map" for i in v["inputs"]))
    spec = app.callback_map[key]
    names = [i["id"] for i in spec["inputs"]]

    def drill(trigger, value, search="?region=450802"):
        inputs = [value if n == trigger else None for n in names]
        prop = {"pat-map": "clickData", "pat-hours": "clickData"}.get(trigger, "cellClicked")
        return call(client, app, key, inputs, [search], changed=f"{trigger}.{prop}")
    for trigger, value in [("pat-map", {"points": [{"customdata": "<script>"}]}),
                           ("pat-map", {"points": []}), ("pat-blind", {"rowId": "../../etc"}),
                           ("pat-workers", {"rowId": 5}), ("pat-hours", "nonsense")]:
        r = drill(trigger, value)
        assert r.status_code == 204 or "url" not in r.get_json().get("response", {}), (trigger, value)
    ok = drill("pat-map", {"points": [{"customdata": "450802001"}]}).get_json()["response"]["url"]
    assert ok == {"pathname": "/patrols", "search": "?region=450802001"}
    grid = drill("pat-blind", {"rowId": "450802001003001", "colId": "path"}).get_json()["response"]["url"]
    assert grid == {"pathname": "/grid/450802001003001", "search": ""}
    bar = drill("pat-hours", {"points": [{"customdata": ["450802002", 1.5]}]}).get_json()["response"]["url"]
    assert bar["search"] == "?region=450802002"
    # On the wall a drill-down stays on the wall, carousel and all (it fell back to the desk).
    wall = drill("pat-map", {"points": [{"customdata": "450802001"}]}, "?region=450802&screen=1&rotate=30")
    assert wall.get_json()["response"]["url"] == {"pathname": "/patrols",
                                                  "search": "?region=450802001&screen=1&rotate=30"}
    for junk in ("?screen=<x>&rotate=1e9x", "?" + "screen=1&" * 300, None, 7):
        r = drill("pat-map", {"points": [{"customdata": "450802001"}]}, junk)
        assert r.get_json()["response"]["url"]["pathname"] == "/patrols", junk


def test_pat011_every_level_renders(app, client, conn):
    for level in LEVELS:
        body = _render(client, app, _code(conn, level)).get_json()["response"]["page"]["children"]
        text = json.dumps(body, ensure_ascii=False)
        assert "page-error" not in text and "kpi-patrol_coverage_today" in text, level
    r = call(client, app, find(app, "page.children"), ["/patrols", "?region=450899"], changed="url.search")
    assert "page-error" in r.get_data(as_text=True)


def test_pat013_database_down_keeps_data_and_marks_stale(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def down(*_args, **_kw):
        raise OperationalError("SELECT 1", {}, Exception("database is away"))
    monkeypatch.setattr(patrols, "coverage", down)
    r = _tick(client, app, "450800", {"sig": "old", "ok_at": now().isoformat()})
    assert r.status_code == 200
    body = r.get_json()["response"]
    assert set(body) == {"pat-updated", "pat-state"}  # the last good data stays on screen
    assert "数据延迟" in json.dumps(body, ensure_ascii=False)
    assert body["pat-state"]["data"]["stale_since"] == now().isoformat()


# --- a person at the screen ----------------------------------------------------------

@pytest.fixture()
def browser_app(sqlite_url):
    from dashboard import create_app
    return create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 60})


def _check_kpis(dash_duo, expected: dict):
    for key in ("patrol_coverage_today", "visit_on_time_rate", "patrols_today",
                "blind_spot_grids", "key_persons_overdue"):
        dash_duo.wait_for_element(f"#kpi-{key}[title='{expected[key] if expected[key] is not None else ''}']",
                                  timeout=20)
    assert dash_duo.find_element("#kpi-grids_patrolled_today").get_attribute("title") == \
        f"{expected['grids_patrolled_today']}/{expected['grids_total']}"


def test_pat012_browser_city_township_village(dash_duo, browser_app, sqlite_url):
    from .conftest import ARTIFACTS
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        scope = scope_of(conn, "450800")
        county = _code(conn, "county")
        township = conn.execute(select(region.c.code).where(region.c.parent_code == county)
                                .order_by(region.c.code).limit(1)).scalar()
        village = conn.execute(select(region.c.code).where(region.c.parent_code == township)
                               .order_by(region.c.code).limit(1)).scalar()
        grid = conn.execute(select(region.c.code).where(region.c.parent_code == village)
                            .order_by(region.c.code).limit(1)).scalar()
        path = ["450800", county, township, village]
        expected = {}
        for c in path:
            s = dict(patrols.coverage(conn, scope, c, now())["summary"])
            m = metrics.summary(conn, scope, c, now())
            assert s["patrol_coverage_today"] == m["patrol_coverage_today"]
            expected[c] = s
        names = dict(conn.execute(select(region.c.code, region.c.name)).all())
        city_blind = patrols.coverage(conn, scope, "450800", now())["blind_spots"]
    engine.dispose()

    start_signed_in(dash_duo, browser_app)
    dash_duo.driver.set_window_size(1600, 1000)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/patrols?region=450800", timeout=20)
    dash_duo.wait_for_element("#pat-kpis", timeout=20)
    _check_kpis(dash_duo, expected["450800"])
    dash_duo.wait_for_element("#pat-map .maplibregl-canvas, #pat-map canvas", timeout=30)
    dash_duo.wait_for_element("#pat-workers .ag-row", timeout=30)  # filled in after first paint
    dash_duo.wait_for_element("#pat-blind .ag-row", timeout=20)
    ARTIFACTS.mkdir(exist_ok=True)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "patrols-city.png"))
    dash_duo.driver.execute_script("document.querySelector('#pat-workers').scrollIntoView({block: 'end'})")
    time.sleep(0.5)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "patrols-city-lower.png"))

    visited = ["450800"]
    for code in path[1:]:
        _click(dash_duo, f"#pat-child-{code}")
        dash_duo.wait_for_text_to_equal("#breadcrumb .active", names[code], timeout=20)
        assert urlparse(dash_duo.driver.current_url).path == "/patrols"
        assert urlparse(dash_duo.driver.current_url).query == f"region={code}"
        visited.append(code)
        assert [e.text for e in dash_duo.find_elements("#breadcrumb li")] == [names[c] for c in visited]
        _check_kpis(dash_duo, expected[code])
        dash_duo.wait_for_element("#pat-map .maplibregl-canvas, #pat-map canvas", timeout=30)
        if code == township:
            dash_duo.driver.save_screenshot(str(ARTIFACTS / "patrols-township.png"))
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "patrols-village.png"))
    # At village level the children are grids: a click opens the grid's profile.
    _click(dash_duo, f"#pat-child-{grid}")
    dash_duo.wait_for_element("#grid-workers", timeout=20)
    assert urlparse(dash_duo.driver.current_url).path == f"/grid/{grid}"

    # Back at the city, a blind-spot row opens its grid.
    assert city_blind
    dash_duo.driver.get(f"{dash_duo.server_url}/patrols?region=450800")
    dash_duo.wait_for_element("#pat-blind .ag-row", timeout=20)
    _click(dash_duo, f"#pat-blind .ag-row[row-id='{city_blind[0]['code']}'] .ag-cell")
    dash_duo.wait_for_element("#grid-workers", timeout=20)
    assert urlparse(dash_duo.driver.current_url).path == f"/grid/{city_blind[0]['code']}"
    # No component crashed on the way (React errors, grid options the grid refused).
    errors = [e["message"] for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"]
    assert not [m for m in errors if "React error" in m or "AG Grid" in m or "Callback error" in m], errors
