"""Test fixtures: a tiny seeded city on SQLite and on PostgreSQL, and the app on each."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

# The tiny city ends here; tests pretend it is this moment.
SEED_END = "2026-11-20T07:30:00+00:00"  # 15:30 in Asia/Shanghai
os.environ["DASHBOARD_NOW"] = SEED_END  # set before anything reads the clock
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ARTIFACTS = Path(__file__).parent / "artifacts"


def now() -> dt.datetime:
    return dt.datetime.fromisoformat(SEED_END)


TEST_PASSWORD = "test-password-1"
KIOSK_TOKEN = "test-kiosk-token-city-000000000000"


def _seed(url: str) -> None:
    from dashboard.demo.seed import seed
    seed(url, "tiny", 7, now(), log=lambda *_: None)
    _add_users(url)


def _add_users(url: str) -> None:
    """Accounts of every role: city-wide ones, and leaders of two townships (for scope tests)."""
    from sqlalchemy import select

    from dashboard.auth import hash_password
    from data_access import users
    from data_access.engine import create_own_tables, make_engine
    from data_access.schema import region
    eng = make_engine(url)
    create_own_tables(eng)
    secret = hash_password(TEST_PASSWORD)
    with eng.begin() as conn:
        towns = conn.execute(select(region.c.code).where(region.c.level == "township")
                             .order_by(region.c.code).limit(2)).scalars().all()
        for name, role, scope in [("city_duty", "duty_officer", "450800"), ("city_leader", "leader", "450800"),
                                  ("city_analyst", "analyst", "450800"), ("city_admin", "admin", "450800"),
                                  ("town_leader", "leader", towns[0]), ("town_duty", "duty_officer", towns[0]),
                                  ("town_admin", "admin", towns[0]),
                                  ("other_town_leader", "leader", towns[1])]:
            users.add(conn, name, secret, role, scope, now())
        users.add_kiosk(conn, "wall_city", KIOSK_TOKEN, "450800", now())
    eng.dispose()


def sign_in(client, username: str = "city_duty", password: str = TEST_PASSWORD):
    """Sign a Flask test client in through the real login form (with its CSRF field)."""
    import re
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/"})


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tiny.db'}"
    _seed(url)
    return url


@contextlib.contextmanager
def private_pg(prefix: str, seed: bool = True, rollups: bool = True):
    """A PostgreSQL database of the caller's own, seeded with the tiny city unless `seed` is
    False (`rollups=False`: without summing the fact rollups, for tests that read none), and
    dropped afterwards. No PostgreSQL here: the test is skipped, or fails in CI
    (REDGRID_REQUIRE_POSTGRES)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        admin.dispose()
        if os.environ.get("REDGRID_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        if seed and rollups:
            _seed(url)
        elif seed:
            from unittest import mock
            with mock.patch("data_access.rollups.rebuild"):
                _seed(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    """A database of our own on the local PostgreSQL, dropped at the end of the run."""
    with private_pg("redgrid_test") as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture(scope="session")
def engine(db_url):
    from data_access.engine import make_engine
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def conn(engine):
    with engine.connect() as c:
        yield c


@pytest.fixture()
def city_scope(conn):
    from data_access.scope import scope_of
    return scope_of(conn, "450800")


@pytest.fixture()
def app(db_url):
    from dashboard import create_app
    return create_app({"DATABASE_URL": db_url, "REFRESH_SECONDS": 2})


@pytest.fixture()
def client(app):
    """A city-wide duty officer's browser session."""
    c = app.server.test_client()
    assert sign_in(c).status_code == 302
    return c


def pytest_setup_options():
    """Chromium flags for dash_duo: root in CI, no network chatter, WebGL for the map."""
    from selenium.webdriver.chrome.options import Options
    options = Options()
    for flag in ("--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--enable-unsafe-swiftshader", "--use-angle=swiftshader", "--window-size=1600,1000"):
        options.add_argument(flag)
    return options


def copy_sqlite(url: str, dest: Path) -> str:
    """A copy of a SQLite database that a test may write into; its URL. Made with SQLite's
    backup API: copying the live file with ordinary file calls closes a descriptor of it,
    which drops every POSIX lock this process holds on it, and the next process to close the
    database then deletes the WAL under this one's feet (stale reads, "disk I/O error")."""
    import sqlite3
    src = sqlite3.connect(url.removeprefix("sqlite:///"))
    out = sqlite3.connect(dest)
    try:
        src.backup(out)
    finally:
        out.close()
        src.close()
    return f"sqlite:///{dest}"


@pytest.fixture()
def wconn(db_url, engine, tmp_path):
    """A connection that may write: to a copy of the SQLite file, or in a PostgreSQL transaction
    that is rolled back."""
    if db_url.startswith("sqlite"):
        from data_access.engine import make_engine
        eng = make_engine(copy_sqlite(db_url, tmp_path / "writable.db"))
        with eng.connect() as c:
            yield c
        eng.dispose()
    else:
        with engine.connect() as c:
            tx = c.begin()
            yield c
            tx.rollback()
