"""Who may see what (issue #7): sign-in, lockout, timeouts, kiosk tokens, roles, scope from the
session on every callback and API route, headers, and personal data on what a screen receives."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from data_access.schema import audit_log, region, warning_action
from dashboard import create_app

from .conftest import KIOSK_TOKEN, TEST_PASSWORD, copy_sqlite, sign_in
from .test_briefing import _built

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
PHONE = re.compile(rb"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(rb"(?<!\d)\d{17}[\dXx](?!\d)")


@pytest.fixture()
def fresh(db_url):
    return create_app({"DATABASE_URL": db_url, "REFRESH_SECONDS": 2})


def _towns(engine):
    with engine.connect() as conn:
        return conn.execute(select(region.c.code).where(region.c.level == "township")
                            .order_by(region.c.code).limit(2)).scalars().all()


def _audit(engine, actor, action):
    with engine.connect() as conn:
        return conn.execute(select(audit_log.c.ok, audit_log.c.detail, audit_log.c.ip)
                            .where(audit_log.c.actor == actor, audit_log.c.action == action)
                            .order_by(audit_log.c.id)).all()


def test_sec001_nothing_without_a_session(fresh):
    c = fresh.server.test_client()
    for path in ("/_dash-layout", "/_dash-dependencies", "/api/v1/summary", "/api/v1/warnings?region=450800"):
        r = c.get(path)
        assert r.status_code == 401, path
        assert b"450800" not in r.data and "贵港" not in r.get_data(as_text=True)
    r = c.post("/_dash-update-component", json={"output": "page.children", "outputs": {"id": "page", "property": "children"},
                                                 "inputs": [{"id": "url", "property": "pathname", "value": "/"}],
                                                 "changedPropIds": ["url.pathname"]})
    assert r.status_code == 401 and "贵港" not in r.get_data(as_text=True)
    for path in ("/", "/incidents?region=450800", "/warnings", "/grid/450802001001001",
                 "/briefing/download?week=2026-W46&format=xlsx"):
        r = c.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
    assert c.get("/login").status_code == 200 and c.get("/healthz").status_code == 200
    assert c.get("/assets/app.css").status_code == 200


def test_sec002_login_failures_lock_the_account(fresh, engine):
    c = fresh.server.test_client()
    r = sign_in(c, "town_duty", "wrong-password")
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)
    assert sign_in(c, "nobody-here", "whatever-123").status_code == 401  # same answer for an unknown name
    for _ in range(4):
        sign_in(c, "town_duty", "wrong-password")
    r = sign_in(c, "town_duty")  # the right password, but 5 failures within 5 minutes
    assert r.status_code == 429 and "已锁定" in r.get_data(as_text=True)
    rows = _audit(engine, "town_duty", "login")
    assert [r.ok for r in rows[-6:]] == [False] * 6 and rows[-1].detail == "locked" and rows[-1].ip
    assert _audit(engine, "nobody-here", "login")[-1].ok is False
    # The lock is over once the window has passed (an app with a 2-second window).
    short = create_app({"DATABASE_URL": fresh.server.config["DATABASE_URL"], "LOGIN_LOCK_MINUTES": 2 / 60})
    for _ in range(5):
        sign_in(short.server.test_client(), "town_duty", "wrong-password")
    assert sign_in(short.server.test_client(), "town_duty").status_code == 429
    time.sleep(2.2)
    c2 = short.server.test_client()
    assert sign_in(c2, "town_duty").status_code == 302
    assert _audit(engine, "town_duty", "login")[-1].ok is True


def test_sec003_csrf_and_next(fresh):
    c = fresh.server.test_client()
    c.get("/login")
    r = c.post("/login", data={"username": "city_leader", "password": TEST_PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 400
    page = c.get("/login?next=//evil.example/x").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert 'value="/"' in page  # an off-site next is dropped
    r = c.post("/login", data={"username": "city_leader", "password": TEST_PASSWORD, "csrf_token": token,
                               "next": "https://evil.example/"})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_sec004_idle_and_absolute_timeouts(fresh):
    c = fresh.server.test_client()
    assert sign_in(c, "city_leader").status_code == 302
    assert c.get("/api/v1/summary").status_code == 200
    with c.session_transaction() as s:
        s["seen_at"] -= 14 * 60
    # A screen's own tick does not count as a person acting …
    tick = {"output": "clock.children", "outputs": {"id": "clock", "property": "children"},
            "inputs": [{"id": "alarm-tick", "property": "n_intervals", "value": 3}],
            "changedPropIds": ["alarm-tick.n_intervals"]}
    c.post("/_dash-update-component", json=tick)
    with c.session_transaction() as s:
        assert time.time() - s["seen_at"] > 13 * 60
        s["seen_at"] -= 2 * 60  # … so 16 minutes after the last real act the session is over
    assert c.get("/api/v1/summary").status_code == 401
    assert c.get("/").headers["Location"].startswith("/login")
    assert sign_in(c, "city_leader").status_code == 302
    with c.session_transaction() as s:
        s["login_at"] -= 13 * 3600  # active all along, but signed in 13 hours ago
    assert c.get("/api/v1/summary").status_code == 401


def test_sec005_kiosk_token(fresh):
    c = fresh.server.test_client()
    assert c.get("/kiosk?token=not-a-real-token-000000000").status_code == 401
    r = c.get(f"/kiosk?token={KIOSK_TOKEN}")
    assert r.status_code == 302 and "screen=1" in r.headers["Location"]
    with c.session_transaction() as s:
        s["seen_at"] = 0  # a wall screen never times out
    assert c.get("/api/v1/summary").status_code == 200
    b = fresh.server.test_client()
    assert b.get("/api/v1/summary", headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}).status_code == 200
    assert b.get("/api/v1/summary", headers={"Authorization": "Bearer x" * 3}).status_code == 401


def test_sec005b_bearer_kiosk_is_cached_and_revocable(fresh, engine):
    """A wall screen polling with a bearer token costs no token query per request once cached; a
    revoked token stops working when its cache entry lapses (USER_CACHE_SECONDS)."""
    from sqlalchemy import event

    from dashboard import runtime
    from data_access import users
    from data_access.cache import cache
    seen = []

    def count(_conn, _cursor, statement, *_):
        if "kiosk_token" in statement:
            seen.append(statement)
    with fresh.server.app_context():
        app_engine = runtime.engine()
    event.listen(app_engine, "before_cursor_execute", count)
    try:
        b = fresh.server.test_client()
        auth = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
        assert b.get("/api/v1/summary", headers=auth).status_code == 200
        assert len(seen) == 1
        for _ in range(5):
            assert b.get("/api/v1/summary", headers=auth).status_code == 200
        assert len(seen) == 1
        for _ in range(3):  # an unknown token is looked up every time: nothing cached for it
            assert b.get("/api/v1/summary", headers={"Authorization": "Bearer " + "y" * 30}).status_code == 401
        assert len(seen) == 4
    finally:
        event.remove(app_engine, "before_cursor_execute", count)
    with engine.begin() as conn:
        name = users.kiosk(conn, KIOSK_TOKEN).name
        assert users.revoke_kiosk(conn, name) == 1
    try:
        with fresh.server.app_context():
            cache.delete(f"rg:bearer:{users.token_digest(KIOSK_TOKEN)}")  # as if the 30 s had passed
        assert b.get("/api/v1/summary", headers=auth).status_code == 401
    finally:
        with engine.begin() as conn:
            conn.execute(users.kiosk_token.update().where(users.kiosk_token.c.name == name).values(active=True))


def test_sec006_roles(fresh, engine):
    from . import dashcall
    act = dashcall.find(fresh, "warn-feedback.children")
    for who in ("city_leader", "city_analyst", "city_admin"):
        c = fresh.server.test_client()
        sign_in(c, who)
        r = dashcall.call(c, fresh, act, [1, None, None, None, None], [{"id": 1, "version": 1}, "x", "y", 0],
                          changed="warn-ack.n_clicks")
        # Refused at the edge by the callback's declared permission, before the callback runs.
        assert r.status_code == 403 and "无权处置" in r.get_json()["error"], who
    kiosk = fresh.server.test_client()
    kiosk.get(f"/kiosk?token={KIOSK_TOKEN}")
    r = dashcall.call(kiosk, fresh, act, [1, None, None, None, None], [{"id": 1, "version": 1}, "x", "y", 0],
                      changed="warn-ack.n_clicks")
    assert r.status_code == 403 and "无权处置" in r.get_json()["error"]
    with engine.connect() as conn:
        assert conn.execute(select(warning_action.c.id).where(warning_action.c.actor.in_(
            ["city_leader", "city_analyst", "city_admin", "wall_city"]))).first() is None
    # Exports are the analyst's: others get 403, and both are audited.
    url = "/briefing/download?week=2026-W46&format=xlsx"
    leader = fresh.server.test_client()
    sign_in(leader, "city_leader")
    assert leader.get(url).status_code == 403
    analyst = fresh.server.test_client()
    sign_in(analyst, "city_analyst")
    assert _built(analyst, fresh, url).status_code == 200  # queued, built by the worker, then served
    assert [r.ok for r in _audit(engine, "city_analyst", "export")][-1] is True
    assert [r.ok for r in _audit(engine, "city_leader", "export")][-1] is False


def test_sec007_headers_cookies_and_origin(fresh):
    c = fresh.server.test_client()
    r = sign_in(c, "city_leader")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    for path in ("/", "/_dash-layout", "/api/v1/summary", "/login", "/assets/app.css"):
        h = c.get(path).headers
        csp = h["Content-Security-Policy"]
        assert "unsafe-eval" not in csp and "frame-ancestors 'self'" in csp
        assert re.search(r"script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;", csp), csp
        assert h["X-Content-Type-Options"] == "nosniff" and h["Referrer-Policy"] == "same-origin"
    r = c.post("/_dash-update-component", json={}, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = c.post("/login", data={}, headers={"Referer": "https://evil.example/page"})
    assert r.status_code == 403


def _run(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "dashboard", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_sec008_users_cli(db_url, engine):
    towns = _towns(engine)
    r = _run("users", "add", "cli_user", "--role", "leader", "--scope", towns[0], "--db", db_url, stdin="short\n")
    assert r.returncode == 2 and "至少 10 位" in r.stderr  # no weak, no default password
    r = _run("users", "add", "cli_user", "--role", "leader", "--scope", towns[0], "--db", db_url,
             stdin="a-long-password\n")
    assert r.returncode == 0, r.stderr
    assert _run("users", "add", "cli_user", "--role", "leader", "--scope", towns[0], "--db", db_url,
                stdin="a-long-password\n").returncode == 2  # exists
    assert _run("users", "add", "x_user", "--role", "root", "--scope", towns[0], "--db", db_url,
                stdin="a-long-password\n").returncode == 2  # no such role
    listed = _run("users", "list", "--db", db_url).stdout
    assert re.search(rf"cli_user\s+leader\s+{towns[0]}\s+active", listed)
    app = create_app({"DATABASE_URL": db_url})
    c = app.server.test_client()
    assert sign_in(c, "cli_user", "a-long-password").status_code == 302
    # Outside the jurisdiction answers as an unknown region does (404, same words).
    assert c.get(f"/api/v1/summary?region={towns[1]}").status_code == 404
    assert _run("users", "set-scope", "cli_user", towns[1], "--db", db_url).returncode == 0
    c2 = app.server.test_client()
    sign_in(c2, "cli_user", "a-long-password")
    assert c2.get(f"/api/v1/summary?region={towns[1]}").status_code == 200
    assert _run("users", "disable", "cli_user", "--db", db_url).returncode == 0
    assert sign_in(app.server.test_client(), "cli_user", "a-long-password").status_code == 401
    actions = [r[0] for r in _audit_all(engine, "cli_user")]
    assert {"user_add", "user_scope", "user_disable"} <= set(actions)


def _audit_all(engine, target):
    with engine.connect() as conn:
        return conn.execute(select(audit_log.c.action).where(audit_log.c.target == target)).all()


# --- scope forged in every callback and API route --------------------------------------

def _forgeries(spec_item, other: str, other_grid: str):
    """Values a hostile client might put in one input/state to reach another region."""
    prop = spec_item["property"]
    if prop == "search":
        return [f"?region={other}", f"?region={other}&screen=1"]
    if prop == "pathname":
        return [f"/grid/{other_grid}", "/incidents", "/warnings"]
    return [other, {"region": other, "code": other}, [other], f"?region={other}", 1]


def test_sec009_forged_regions_reach_nothing(fresh, engine):
    """A township leader sends the other township's code in every input of every callback, and in
    every API route: the answer is 4xx or carries nothing of the other township."""
    towns = _towns(engine)
    with engine.connect() as conn:
        other_grid = conn.execute(select(region.c.code).where(region.c.township_code == towns[1],
                                                               region.c.level == "grid").limit(1)).scalar()
        foreign = {c.encode() for c in conn.execute(select(region.c.code).where(
            region.c.township_code == towns[1], region.c.level.in_(("village", "grid")))).scalars()}
    foreign.discard(other_grid.encode())  # the forged code itself may be echoed in the refusal
    c = fresh.server.test_client()
    assert sign_in(c, "town_leader").status_code == 302
    tried = 0
    for key, spec in fresh.callback_map.items():
        items = [*spec["inputs"], *spec.get("state", [])]
        if not items or any(isinstance(i.get("id"), dict) or "ALL" in str(i.get("id")) for i in items):
            continue  # pattern-matching ids: tested with their own payloads in their view tests
        for variant in range(5):
            values = []
            for it in items:
                options = _forgeries(it, towns[1], other_grid)
                values.append(options[variant % len(options)])
            body = {"output": key, "outputs": _outputs(key), "changedPropIds": [f"{items[0]['id']}.{items[0]['property']}"],
                    "inputs": [{**d, "value": v} for d, v in zip(spec["inputs"], values)],
                    "state": [{**d, "value": v} for d, v in zip(spec.get("state", []), values[len(spec["inputs"]):])]}
            r = c.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
            tried += 1
            assert r.status_code in (200, 204, 400, 403, 404), (key, variant, r.status_code)
            leaked = set(re.findall(rb"(?<!\d)\d{12}(?:\d{3})?(?!\d)", r.data)) & foreign
            assert not leaked, (key, variant, sorted(leaked)[:3])
            assert b"Traceback" not in r.data
    assert tried > 50
    # Outside the jurisdiction is answered exactly as an unknown region (nothing says it exists) …
    for path in (f"/api/v1/summary?region={towns[1]}", f"/api/v1/warnings?region={towns[1]}",
                 f"/api/v1/summary?region={other_grid}", "/api/v1/summary?region=450800"):
        r = c.get(path)
        assert r.status_code == 404 and "不存在或无权查看" in r.get_json()["error"], path
    # … and an export is refused for the role before the region is even read.
    assert c.get(f"/briefing/download?region={towns[1]}&week=2026-W46&format=xlsx").status_code == 403
    own = c.get("/api/v1/summary")  # no region: the user's own township
    assert own.status_code == 200 and own.get_json()["region"] is None or own.status_code == 200


def _outputs(key):
    from .dashcall import _split
    outs = _split(key)
    if key.startswith(".."):
        return [{"id": i, "property": p} for i, p in outs]
    return {"id": outs[0][0], "property": outs[0][1]}


def test_sec010_no_phone_or_id_numbers_reach_leader_or_kiosk(fresh, engine):
    """Every page and first render a leader or a wall screen receives, scanned for phone and ID numbers."""
    from . import dashcall
    router = dashcall.find(fresh, "page.children")
    with engine.connect() as conn:
        grids = conn.execute(select(region.c.code).where(region.c.level == "grid").order_by(region.c.code)
                             .limit(3)).scalars().all()
    scanned = 0
    for who in ("city_leader", "kiosk"):
        c = fresh.server.test_client()
        if who == "kiosk":
            c.get(f"/kiosk?token={KIOSK_TOKEN}")
        else:
            sign_in(c, who)
        pages = [("/", ""), ("/incidents", ""), ("/patrols", ""), ("/opinion", ""), ("/warnings", ""),
                 *[(f"/grid/{g}", "") for g in grids]]
        for path, search in pages:
            r = dashcall.call(c, fresh, router, [path, search])
            assert r.status_code == 200, path
            assert not PHONE.search(r.data) and not ID_NUMBER.search(r.data), (who, path)
            scanned += 1
        for path in ("/api/v1/summary", "/api/v1/warnings?status=all"):
            r = c.get(path)
            assert not PHONE.search(r.data) and not ID_NUMBER.search(r.data)
            scanned += 1
    assert scanned >= 20


def test_sec011_demo_accounts_only_on_an_empty_user_table(sqlite_url, tmp_path):
    """The quick start's accounts: random passwords in a 0600 file, never on a database with users."""
    import stat

    from sqlalchemy import delete

    from data_access.engine import make_engine
    from data_access.schema import app_user
    copy = tmp_path / "demo.db"
    copy_sqlite(sqlite_url, copy)
    url, out = f"sqlite:///{copy}", tmp_path / "accounts.txt"
    assert "users exist" in _run("users", "demo", "--db", url, "--out", str(out)).stdout
    assert not out.exists()
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(delete(app_user))
    eng.dispose()
    assert _run("users", "demo", "--db", url, "--out", str(out)).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    lines = out.read_text().splitlines()
    accounts = {line.split()[0]: line.split()[2] for line in lines if line.startswith("demo_")}
    assert set(accounts) == {"demo_leader", "demo_duty", "demo_analyst", "demo_admin"}
    assert len(set(accounts.values())) == 4 and all(len(p) >= 10 for p in accounts.values())
    app = create_app({"DATABASE_URL": url})
    c = app.server.test_client()
    assert sign_in(c, "demo_duty", accounts["demo_duty"]).status_code == 302
    token = next(line for line in lines if "kiosk?token=" in line).split("token=")[1]
    assert app.server.test_client().get(f"/kiosk?token={token}").status_code == 302
