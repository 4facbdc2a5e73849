"""Live ticks over the real callback endpoint: nothing when unchanged, values when changed."""
from __future__ import annotations

import json

from sqlalchemy import func, insert, select

from data_access.schema import incident

from .browser import start_signed_in
from .conftest import copy_sqlite, now, sign_in
from .dashcall import call, find


def _tick(client, app, state):
    key = find(app, "ov-state.data")
    return call(client, app, key, [1], ["450800", state, "incidents_today"])


def test_live001_unchanged_tick_sends_nothing(app, client):
    from callbacks import live
    from services.overview import SNAPSHOT
    with app.server.app_context():
        snap = live.snapshot(SNAPSHOT, "450800")
        state = live.first_state(snap)
    r = _tick(client, app, state)
    assert r.status_code == 204 and r.data == b""  # no figure, no KPI, nothing


def test_live002_changed_tick_sends_values_not_geometry(app, client, engine):
    r = _tick(client, app, {"sig": "stale-signature"})
    assert r.status_code == 200
    body = r.get_json()["response"]
    assert body["kpi-incidents_today"]["children"]
    fig = body["ov-map"]["figure"]
    assert fig["__dash_patch_update"] == "__dash_patch_update"  # a Patch of z only
    assert "geojson" not in json.dumps(fig)
    assert len(r.data) < 20_000


def test_live003_new_row_moves_the_numbers(app, client, engine, sqlite_url, tmp_path):
    """A row inserted after render shows up in the next bucket's tick."""
    import datetime as dt

    from dashboard import create_app
    copy = tmp_path / "live.db"
    copy_sqlite(sqlite_url, copy)
    live_app = create_app({"DATABASE_URL": f"sqlite:///{copy}", "REFRESH_SECONDS": 1})
    c = live_app.server.test_client()
    assert sign_in(c).status_code == 302
    first = c.get("/api/v1/summary?region=450800").get_json()["incidents_today"]
    from data_access.engine import make_engine
    eng = make_engine(f"sqlite:///{copy}")
    with eng.begin() as conn:
        g = conn.exec_driver_sql(
            "SELECT code, village_code, township_code, county_code FROM region WHERE level='grid' LIMIT 1").one()
        top = conn.execute(select(func.max(incident.c.id))).scalar()
        conn.execute(insert(incident).values(
            id=top + 1, source="hotline_12345", source_ref="T-LIVE-1", category="其他", severity=1,
            title="测试", grid_code=g[0], village_code=g[1], township_code=g[2], county_code=g[3],
            reported_at=now() - dt.timedelta(minutes=1), sla_due_at=now() + dt.timedelta(hours=72),
            status="reported", handling_level="grid"))
    live_app.server.config["DASHBOARD_NOW"] = (now() + dt.timedelta(seconds=2)).isoformat()
    second = c.get("/api/v1/summary?region=450800").get_json()["incidents_today"]
    assert second == first + 1


def _take_database_away(app):
    """After sign-in the database goes: nothing listens on port 1, like a stopped PostgreSQL."""
    from dashboard.runtime import ENGINE_KEY
    from data_access.engine import make_engine
    app.server.extensions[ENGINE_KEY] = make_engine("postgresql://postgres@127.0.0.1:1/redgrid")


def test_live004_database_down_keeps_last_data_with_a_stale_mark(sqlite_url):
    from dashboard import create_app
    down = create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 2})
    client = down.server.test_client()
    assert sign_in(client).status_code == 302
    _take_database_away(down)
    r = _tick(client, down, {"sig": "last-good", "ok_at": "2026-11-20T07:29:00+00:00"})
    assert r.status_code == 200
    body = r.get_json()["response"]
    assert set(body) == {"ov-updated", "ov-state"}  # no KPI, map or table is touched: the last data stays
    assert "数据延迟" in json.dumps(body["ov-updated"], ensure_ascii=False)
    assert "15:29" in json.dumps(body["ov-updated"], ensure_ascii=False)  # since the last good data
    assert body["ov-state"]["data"]["stale_since"] == "2026-11-20T07:29:00+00:00"
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "down"
    summary = client.get("/api/v1/summary?region=450800")
    assert summary.status_code == 503 and "数据库" in summary.get_json()["error"]


def test_live005_page_says_database_unavailable(dash_duo, sqlite_url):
    from dashboard import create_app
    down = create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 2})
    start_signed_in(dash_duo, down)
    dash_duo.wait_for_element("#kpi-incidents_today", timeout=20)
    _take_database_away(down)
    # A page whose data nobody has computed yet (the overview's is still in the shared cache and
    # is shown as last good data) says the database is away instead of failing.
    dash_duo.driver.get(f"{dash_duo.server_url}/patrols?region=450802")
    dash_duo.wait_for_contains_text("#page-error", "数据库暂时不可用", timeout=30)
    assert dash_duo.get_logs() == [] or all("500" not in e["message"] for e in dash_duo.get_logs())


def test_live006_the_barometer_has_its_own_bucket(sqlite_url):
    """The opinion snapshot (and its signature and rendering) is recomputed every
    OPINION_REFRESH_SECONDS, never more often than the screens tick; every other view every
    REFRESH_SECONDS."""
    from callbacks import live
    from dashboard import create_app
    for opinion, want in ((60, 60), (1, 2)):
        app = create_app({"DATABASE_URL": sqlite_url, "REFRESH_SECONDS": 2, "OPINION_REFRESH_SECONDS": opinion})
        with app.server.app_context():
            assert live.seconds_of("opinion") == want
            assert live.seconds_of("opinion#sig") == want and live.seconds_of("opinion#render:") == want
            assert live.seconds_of("overview") == 2 and live.seconds_of("patrols-workers-snap") == 2
