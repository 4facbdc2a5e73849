"""The view registry (callbacks/views.py) drives the router, the navigation, the wall carousel
and the refresher's jobs; a region is resolved once per computation (issue #15)."""
from __future__ import annotations

import json
import subprocess
import sys

from dash import html
from sqlalchemy import event

from .conftest import sign_in
from .dashcall import call, find


def _route(client, app, path, search=""):
    r = call(client, app, find(app, "page.children"), [path, search])
    assert r.status_code == 200, r.status_code
    return json.dumps(r.get_json(), ensure_ascii=False)


def _layout(client):
    return json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)


def test_view001_navigation_and_carousel_come_from_the_registry(app, client):
    from callbacks import VIEWS, views
    layout = _layout(client)
    nav = views.navigation(VIEWS)
    assert [p for p, _, _ in nav] == ["/", "/incidents", "/patrols", "/opinion", "/map", "/warnings", "/handover",
                                      "/assessment", "/briefing", "/wall"]
    for path, label, nav_id in nav:
        assert f'"id": "{nav_id}"' in layout and label in layout, nav_id
    assert '"data-carousel": "/,/incidents,/patrols,/opinion"' in layout
    # The browser's nav links keep the region: one output per registered nav entry.
    key = next(k for k in app.callback_map if "nav-overview.href" in k)
    assert key.count(".href") == len(nav)


def test_view002_every_registered_view_is_routed(app, client, conn):
    from callbacks import VIEWS
    grid = conn.exec_driver_sql("SELECT code FROM region WHERE level = 'grid' ORDER BY code LIMIT 1").scalar()
    for view in VIEWS:
        path = view.prefix + grid if view.prefix else view.path
        body = _route(client, app, path, "?region=450800" if not view.prefix else "")
        if view.permission == "admin":  # a duty officer is refused by the registry's permission
            assert "无法显示（403）" in body and "仅管理员" in body, view.path
        else:
            assert "page-error" not in body, (view.path, body[:300])
    assert "无法显示（404）" in _route(client, app, "/nope")


def test_view003_the_admin_view_opens_for_an_admin(app):
    c = app.server.test_client()
    assert sign_in(c, "city_admin").status_code == 302
    assert "page-error" not in _route(c, app, "/admin")


def test_view004_a_new_view_is_one_declaration(db_url, monkeypatch):
    """Adding a view: a page and one registration; the router, the navigation, the carousel
    and the permission follow from it."""
    import callbacks
    from callbacks.views import View
    from dashboard import create_app
    extra = View("/trial", "试验视图", lambda code: html.Div(f"trial {code}", id="trial-body"),
                 nav=7, carousel=True, permission="export")
    monkeypatch.setattr(callbacks, "VIEWS", (*callbacks.VIEWS, extra))
    app = create_app({"DATABASE_URL": db_url})
    analyst, duty = app.server.test_client(), app.server.test_client()
    assert sign_in(analyst, "city_analyst").status_code == 302
    assert sign_in(duty, "city_duty").status_code == 302
    layout = _layout(analyst)
    assert '"id": "nav-trial"' in layout and "试验视图" in layout
    assert '"data-carousel": "/,/incidents,/patrols,/opinion,/trial"' in layout
    assert "trial 450802" in _route(analyst, app, "/trial", "?region=450802")
    assert "无法显示（403）" in _route(duty, app, "/trial")


def test_view005_a_region_is_looked_up_once_per_computation(app, engine, conn):
    """Each live snapshot resolves its region once at the edge; data_access functions take the
    resolved Region and do not look it up again (they did, once per function, before)."""
    from data_access.scope import scope_of
    from services import SNAPSHOTS
    from services.snapshot import compute_entry
    grid = conn.exec_driver_sql("SELECT code FROM region WHERE level = 'grid' ORDER BY code LIMIT 1").scalar()
    scope = scope_of(conn, "450800")
    seen: list[str] = []

    def count(_conn, _cursor, statement, params, _context, _many):
        text = " ".join(statement.split()).lower()
        if "from region" in text and "where region.code =" in text:
            seen.append(str(params))
    event.listen(engine, "before_cursor_execute", count)
    try:
        with app.server.app_context():
            from tests.conftest import now
            for kind, snapshot in SNAPSHOTS.items():
                for code in ([grid] if snapshot.grid_only else ["450800", "450802"]):
                    seen.clear()
                    compute_entry(snapshot, engine, scope, code, now(), 2)
                    assert len(seen) == 1, (kind, code, seen)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_view006_the_refresher_imports_services_not_callbacks():
    code = ("import sys, dashboard.refresher as r; "
            "bad = sorted(m for m in sys.modules if m == 'callbacks' or m.startswith('callbacks.')); "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_view007_the_refresher_computes_every_declared_snapshot(app):
    from dashboard import refresher
    from services import SNAPSHOTS
    assert set(refresher.jobs(app.server)) == set(SNAPSHOTS) == {
        "overview", "incidents", "patrols", "patrols-workers-snap", "opinion", "grid", "warnings", "smartmap"}


def test_view008_the_navigation_offers_only_what_the_role_may_open(app):
    """投屏 (send_to_wall) is offered to a duty officer, not to an analyst."""
    key = next(k for k in app.callback_map if "nav-wall.style" in k)
    seen = {}
    for user in ("city_duty", "city_analyst"):
        c = app.server.test_client()
        assert sign_in(c, user).status_code == 302
        r = call(c, app, key, ["/"])
        seen[user] = r.get_json()["response"]["nav-wall"]["style"]
    assert seen == {"city_duty": None, "city_analyst": {"display": "none"}}, seen


def test_view010_the_grid_wall_ticks_with_its_own_layout(app, client, conn):
    """一格一档 on the wall: the page is the wall composition, and its tick re-renders the body with
    the wall's layout (not the desk's cards), told by the grid-layout store; any other value of
    that store is the desk's."""
    grid = conn.exec_driver_sql("SELECT code FROM region WHERE level = 'grid' ORDER BY code LIMIT 1").scalar()
    wall = _route(client, app, f"/grid/{grid}", "?screen=1")
    assert "wall-grid-profile" in wall and '"grid-layout"' in wall and '"data": "wall"' in wall
    desk = _route(client, app, f"/grid/{grid}", "")
    assert "wall-grid-profile" not in desk and '"data": "desk"' in desk
    key = find(app, "grid-body.children")
    bodies = {}
    for layout in ("wall", "desk", {"x": 1}, None):
        r = call(client, app, key, [1], [grid, {"sig": "stale"}, layout])
        assert r.status_code == 200, (layout, r.status_code)
        bodies[json.dumps(layout)] = json.dumps(r.get_json()["response"]["grid-body"], ensure_ascii=False)
    assert "wall-grid-profile" in bodies['"wall"'] and "wall-facts" in bodies['"wall"']
    for other in ('"desk"', '{"x": 1}', "null"):
        assert "wall-grid-profile" not in bodies[other] and "kpi-card" in bodies[other], other


def test_view011_an_unchanged_screen_learns_its_data_is_current_once_a_minute(app, client):
    """数据更新于 says when the data was last checked, not last changed: an unchanged tick is an
    empty 204, except that a screen whose badge is a minute old gets the badge (and nothing else)."""
    import datetime as dt
    key = find(app, "ov-state.data")
    n_in = len(app.callback_map[key]["state"])
    first = call(client, app, key, [1], ["450800", {"sig": "x"}] + [None] * (n_in - 2))
    assert first.status_code == 200
    state = first.get_json()["response"]["ov-state"]["data"]
    again = call(client, app, key, [1], ["450800", state] + [None] * (n_in - 2))
    assert again.status_code == 204
    old = {**state, "ok_at": (dt.datetime.fromisoformat(state["ok_at"]) - dt.timedelta(seconds=61)).isoformat()}
    r = call(client, app, key, [1], ["450800", old] + [None] * (n_in - 2))
    assert r.status_code == 200
    response = r.get_json()["response"]
    assert set(response) == {"ov-updated", "ov-state"}, sorted(response)  # the badge alone
    assert "数据更新于" in json.dumps(response["ov-updated"], ensure_ascii=False)
    assert response["ov-state"]["data"]["ok_at"] == state["ok_at"]
    assert response["ov-state"]["data"]["sig"] == state["sig"]


def test_view012_the_warnings_wall_counts_every_open_warning(app, client, conn):
    """预警研判 on the wall: the strip's level counts and the map's values are counts of every open
    warning of the subtree (not the queue's first rows), the queue is masked text in level order,
    and a click on the map drills in while the wall stays a wall."""
    from data_access.schema import OPEN_WARNING_STATUSES, WARNING_LEVELS
    page = _route(client, app, "/warnings", "?region=450800&screen=1")
    assert "wall-warnings" in page and "board-map" in page and '"id": "warn-ack"' not in page  # the wall shows, the desk acts
    r = call(client, app, find(app, "board-kpis.children"), [1], ["450800", {"sig": "x"}])
    assert r.status_code == 200
    got = r.get_json()["response"]
    marks = ", ".join(f"'{s}'" for s in OPEN_WARNING_STATUSES)
    want = dict(conn.exec_driver_sql(
        f"SELECT level, COUNT(*) FROM warning WHERE status IN ({marks}) GROUP BY level").all())
    strip = json.dumps(got["board-kpis"], ensure_ascii=False)
    for level in WARNING_LEVELS:
        assert f'"id": "board-{level}"' in strip
        value = strip.split(f'"id": "board-{level}"')[0].rsplit('"children": "', 1)[1].split('"')[0]
        assert value == f"{want.get(level, 0):,}", (level, value, want)
    fig = got["board-map"]["figure"]
    assert fig["__dash_patch_update"] == "__dash_patch_update"  # values, never the polygons
    z = next(op["params"]["value"] for op in fig["operations"] if op["location"][-1] == "z")
    assert sum(z) == sum(want.values()) > 0
    # The map's drill: a child region opens its own board, the wall stays a wall.
    county = conn.exec_driver_sql("SELECT code FROM region WHERE level = 'county' ORDER BY code LIMIT 1").scalar()
    drill = next(k for k in app.callback_map
                 if "url.pathname" in k and "board-map" in json.dumps(app.callback_map[k]["inputs"]))
    r = call(client, app, drill, [{"points": [{"customdata": county}]}], ["?region=450800&screen=1&rotate=30"])
    assert r.status_code == 200
    out = r.get_json()["response"]
    assert out["url"]["pathname"] == "/warnings" and out["url"]["search"] == f"?region={county}&screen=1&rotate=30"
    for forged in ([{"points": [{"customdata": "../x"}]}], [None], [{"points": []}]):
        assert call(client, app, drill, forged, [""]).status_code == 204


def test_view013_the_banner_counts_every_waiting_warning(sqlite_url, tmp_path):
    """The alarm poll fetches the first MAX_LIST waiting red/orange warnings; the banner's level
    counts are of all of them (a count query), not of the page fetched."""
    import datetime as dt
    from sqlalchemy import insert
    from callbacks.warnings import MAX_LIST
    from dashboard import create_app
    from data_access.engine import make_engine
    from data_access.schema import warning
    from .conftest import copy_sqlite, now
    url = copy_sqlite(sqlite_url, tmp_path / "many.db")
    eng = make_engine(url)
    with eng.begin() as conn:
        grid = conn.exec_driver_sql("SELECT code FROM region WHERE level = 'grid' ORDER BY code LIMIT 1").scalar()
        before = dict(conn.exec_driver_sql(
            "SELECT level, COUNT(*) FROM warning WHERE status = 'new' AND level IN ('red', 'orange') "
            "GROUP BY level").all())
        at = now() - dt.timedelta(minutes=5)
        conn.execute(insert(warning), [
            {"dedup_key": f"test-many-{i}", "rule": "overdue", "level": "orange", "region_code": grid,
             "reason": f"测试预警 {i}", "status": "new", "version": 1, "created_at": at, "updated_at": at,
             "escalated": False} for i in range(MAX_LIST + 5)])
    eng.dispose()
    app = create_app({"DATABASE_URL": url})
    c = app.server.test_client()
    assert sign_in(c).status_code == 302
    r = call(c, app, find(app, "alarm-banner.children"), [1, "/", "?region=450800", None, None], [None])
    assert r.status_code == 200
    banner = json.dumps(r.get_json()["response"]["alarm-banner"], ensure_ascii=False, separators=(",", ":"))
    orange = before.get("orange", 0) + MAX_LIST + 5
    # The orange count span: ["橙", <b>N</b>] with id alarm-count-orange.
    span = banner[:banner.index('"id":"alarm-count-orange"')]
    shown = span[span.rindex('"children":["橙"'):]
    assert f'"children":"{orange:,}"' in shown, (orange, shown)
