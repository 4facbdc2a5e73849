"""周报 built off the web tier (issue #19 item 7): a request queues, the scheduler's worker builds
once (however many workers race), a build of a dead worker is reclaimed, the download serves the
stored bytes (the same content as a direct build), permissions and scope, the Monday pre-build,
and the page's progress bar and ready notice in a real browser."""
from __future__ import annotations

import datetime as dt
import io
import threading
import time

import pytest
from sqlalchemy import delete, func, select

from data_access import briefing as data
from data_access import briefing_builds as builds
from data_access.engine import make_engine
from data_access.schema import app_user, audit_log, briefing_build
from data_access.scope import scope_of
from dashboard.briefing import jobs
from dashboard.briefing.charts import ChartServer
from dashboard.briefing.worker import Worker, loop

from .conftest import ARTIFACTS, TEST_PASSWORD, copy_sqlite, now, sign_in

COMPLETE = "2026-W46"  # the tiny city ends on Friday 2026-11-20 15:30 (W47 is running)
REGION = "450802"


@pytest.fixture(scope="module")
def charts():
    """One Chromium for the module's workers, as in the scheduler's process (one per process)."""
    server = ChartServer()
    yield server
    server.close()


def _copy(sqlite_url: str, path) -> str:
    """A copy of the SQLite city without builds (tests of the download route build into the original)."""
    url = copy_sqlite(sqlite_url, path)
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(delete(briefing_build))
    eng.dispose()
    return url


@pytest.fixture()
def jobs_url(db_url, tmp_path):
    """A database the test may write builds into: a copy of the SQLite city, or the session's
    PostgreSQL with the builds table emptied before and after."""
    if db_url.startswith("sqlite"):
        yield _copy(db_url, tmp_path / "jobs.db")
        return
    eng = make_engine(db_url)
    with eng.begin() as conn:
        conn.execute(delete(briefing_build))
    yield db_url
    with eng.begin() as conn:
        conn.execute(delete(briefing_build))
    eng.dispose()


@pytest.fixture()
def jobs_engine(jobs_url):
    eng = make_engine(jobs_url)
    yield eng
    eng.dispose()


def _worker(engine, charts, holder="host:1", stuck=300.0, clock=now, prebuild_at=""):
    """A worker of the city's instance; no Monday pre-build unless asked (its own test)."""
    return Worker(engine, jobs.Config("450800", stuck, prebuild_at), charts, holder=holder, clock=clock)


def _app(url, **overrides):
    from dashboard import create_app
    return create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 60, **overrides})


def _client(app, username):
    c = app.server.test_client()
    assert sign_in(c, username).status_code == 302
    return c


def _rows(engine, **where):
    with engine.connect() as conn:
        q = select(briefing_build).order_by(briefing_build.c.id)
        for k, v in where.items():
            q = q.where(briefing_build.c[k] == v)
        return conn.execute(q).all()


def _texts(fmt: str, body: bytes):
    """What a reader sees in a file: Word paragraphs and table cells, every Excel cell, PDF page text."""
    if fmt == "docx":
        from docx import Document
        d = Document(io.BytesIO(body))
        return ([p.text for p in d.paragraphs],
                [[c.text for c in row.cells] for t in d.tables for row in t.rows])
    if fmt == "xlsx":
        from openpyxl import load_workbook
        wb = load_workbook(io.BytesIO(body))
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    import pypdfium2 as pdfium
    assert body.startswith(b"%PDF-")
    doc = pdfium.PdfDocument(body)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


# --- the whole path ----------------------------------------------------------------------

def _analyst_acts(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(audit_log.c.action, func.count()).where(audit_log.c.actor == "city_analyst")
                                 .group_by(audit_log.c.action)).all())


def test_brj001_request_build_serve_matches_a_direct_build(jobs_url, jobs_engine, charts):
    from dashboard.briefing.files import make
    app = _app(jobs_url)
    analyst = _client(app, "city_analyst")
    url = f"/briefing/download?region={REGION}&week={COMPLETE}&format="
    before = _analyst_acts(jobs_engine)  # other tests of the session may have exported too
    # Not built: the request only queues (202, a sentence), the same file twice is one build.
    for fmt in ("docx", "xlsx", "pdf", "xlsx"):
        r = analyst.get(url + fmt)
        assert r.status_code == 202 and "正在后台生成" in r.data.decode() and r.headers["Retry-After"]
    queued = _rows(jobs_engine)
    assert sorted(r.format for r in queued) == ["docx", "pdf", "xlsx"] and {r.status for r in queued} == {"queued"}
    assert {r.requested_by for r in queued} == {"city_analyst"} and {r.as_of for r in queued} == {now()}
    # The worker claims one and its siblings (same region, week, as_of): one report, three files.
    worker = _worker(jobs_engine, charts)
    assert worker.build_next() is True and worker.build_next() is False
    done = _rows(jobs_engine)
    assert {r.status for r in done} == {"done"} and {r.attempts for r in done} == {1}
    assert {r.worker for r in done} == {"host:1"} and all(r.active_key is None for r in done)
    engine = make_engine(jobs_url)
    with engine.connect() as conn:
        _, direct, _ = make(conn, scope_of(conn, "450800"), REGION, data.parse_week(COMPLETE), now())
    engine.dispose()
    for fmt in ("docx", "xlsx", "pdf"):
        r = analyst.get(url + fmt)
        assert r.status_code == 200 and r.headers["Content-Disposition"] == \
            f'attachment; filename="briefing-{REGION}-{COMPLETE}.{fmt}"'
        row = _rows(jobs_engine, format=fmt)[0]
        assert r.data == row.body and row.size == len(r.data)
        import hashlib
        assert row.sha256 == hashlib.sha256(r.data).hexdigest()
        assert _texts(fmt, r.data) == _texts(fmt, direct[fmt]), fmt
    from docx import Document
    assert Document(io.BytesIO(analyst.get(url + "docx").data)).paragraphs[0].text == "港北区网格化社会治理周报"
    # Served again without a new build; the queue and every file served are audited.
    assert len(_rows(jobs_engine)) == 3
    acts = _analyst_acts(jobs_engine)
    assert acts.get("briefing_request", 0) - before.get("briefing_request", 0) == 4
    assert acts.get("export", 0) - before.get("export", 0) == 4
    # The preview the page shows came with them.
    import json
    p = json.loads(_rows(jobs_engine, format="docx")[0].preview)
    assert p["heading"] == "港北区网格化社会治理周报" and p["figures"]["rows"][0][0] == "受理事件（件）"


def test_brj002_two_workers_racing_build_once(jobs_engine, charts):
    t = now()
    with jobs_engine.begin() as conn:
        first = builds.enqueue(conn, REGION, COMPLETE, "xlsx", t, "city_analyst", t)
        assert builds.enqueue(conn, REGION, COMPLETE, "xlsx", t, "someone_else", t) == first  # one pending per file
    # Both read the same queued row; the conditional UPDATE lets one of them have it.
    with jobs_engine.connect() as conn:
        seen = builds.claimable(conn, t)
    assert [r.id for r in seen] == [first]
    with jobs_engine.begin() as conn:
        assert builds.claim(conn, seen[0], "host:a", t, t - dt.timedelta(seconds=300)) is True
        assert builds.claim(conn, seen[0], "host:b", t, t - dt.timedelta(seconds=300)) is False
        builds.requeue(conn, first, "host:a")
    # Two whole workers at once, over and over: the file is built once, by one of them.
    a, b = _worker(jobs_engine, charts, "host:a"), _worker(jobs_engine, charts, "host:b")
    start = threading.Barrier(2)
    built = {}

    def run(w):
        start.wait()
        built[w.holder] = w.run_pass()
    threads = [threading.Thread(target=run, args=(w,)) for w in (a, b)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(built.values()) == [0, 1]
    row = _rows(jobs_engine)[0]
    assert row.status == "done" and row.attempts == 2 and row.worker in ("host:a", "host:b")


def test_brj003_a_dead_workers_build_is_reclaimed(jobs_engine, charts):
    t = now()
    common = dict(region_code=REGION, week=COMPLETE, as_of=t, requested_by="city_analyst", requested_at=t,
                  started_at=t - dt.timedelta(minutes=10), progress=55, status="running")
    with jobs_engine.begin() as conn:
        dead = builds.add(conn, format="xlsx", worker="dead:1", attempts=1, active_key=f"{REGION}/{COMPLETE}/xlsx",
                          heartbeat_at=t - dt.timedelta(minutes=10), **common)
        alive = builds.add(conn, format="docx", worker="alive:1", attempts=1, active_key=f"{REGION}/{COMPLETE}/docx",
                           heartbeat_at=t - dt.timedelta(seconds=30), **common)
        hopeless = builds.add(conn, format="pdf", worker="dead:2", attempts=jobs.MAX_ATTEMPTS,
                              active_key=f"{REGION}/{COMPLETE}/pdf", heartbeat_at=t - dt.timedelta(minutes=10),
                              **common)
    w = _worker(jobs_engine, charts, "host:new", stuck=300)
    assert w.run_pass() == 1
    rows = {r.id: r for r in _rows(jobs_engine)}
    assert rows[dead].status == "done" and rows[dead].worker == "host:new" and rows[dead].attempts == 2
    assert rows[alive].status == "running" and rows[alive].worker == "alive:1"  # still beating: left alone
    assert rows[hopeless].status == "failed" and "多次中断" in rows[hopeless].error
    assert rows[hopeless].active_key is None  # a new request may queue it again
    # The dead worker wakes up: its result is not stored over the new one.
    with jobs_engine.begin() as conn:
        assert builds.finish(conn, dead, "dead:1", t, "x.xlsx", b"stale", "{}") is False
        assert builds.beat(conn, [dead], "dead:1", 90, t) == 0
    assert _rows(jobs_engine, id=dead)[0].body.startswith(b"PK")


def test_brj004_a_failed_build_says_why(jobs_engine, charts):
    t = now()
    with jobs_engine.begin() as conn:
        bad = builds.enqueue(conn, "450899", COMPLETE, "xlsx", t, "city_analyst", t)  # no such region
    assert _worker(jobs_engine, charts).run_pass() == 1
    row = _rows(jobs_engine, id=bad)[0]
    assert row.status == "failed" and "450899" in row.error and row.body is None and row.active_key is None


# --- who may ask and fetch ----------------------------------------------------------------

@pytest.fixture()
def town_analyst(jobs_engine):
    """An analyst of the first township (added to the test's own database)."""
    from dashboard.auth import hash_password
    from data_access import users
    from data_access.schema import region
    with jobs_engine.begin() as conn:
        towns = conn.execute(select(region.c.code).where(region.c.level == "township")
                             .order_by(region.c.code).limit(2)).scalars().all()
        users.add(conn, "brj_town_analyst", hash_password(TEST_PASSWORD), "analyst", towns[0], now())
    yield towns
    with jobs_engine.begin() as conn:
        conn.execute(delete(app_user).where(app_user.c.username == "brj_town_analyst"))


def test_brj005_permission_and_scope(jobs_url, jobs_engine, charts, town_analyst):
    own, other = town_analyst
    app = _app(jobs_url, DEFAULT_REGION=own)
    url = "/briefing/download?week=" + COMPLETE + "&format=xlsx&region="
    # Not an analyst: refused, nothing queued.
    assert _client(app, "city_duty").get(url + REGION).status_code == 403
    assert _client(app, "city_leader").get(url + REGION).status_code == 403
    assert _rows(jobs_engine) == []
    # Another township's briefing reads like one that does not exist, and is not queued.
    town = _client(app, "brj_town_analyst")
    r, unknown = town.get(url + other), town.get(url + own[:6] + "999")
    assert r.status_code == unknown.status_code == 404
    assert r.data.decode().replace(other, "X") == unknown.data.decode().replace(own[:6] + "999", "X")
    assert _rows(jobs_engine) == []
    # ... nor fetched once someone city-wide had it built.
    assert _client(app, "city_analyst").get(url + other).status_code == 202
    assert _worker(jobs_engine, charts).run_pass() == 1
    assert _client(app, "city_analyst").get(url + other).status_code == 200
    r = town.get(url + other)
    assert r.status_code == 404 and not r.data.startswith(b"PK")
    # Their own: queued, built, served.
    assert town.get(url + own).status_code == 202
    assert _worker(jobs_engine, charts).run_pass() == 1
    assert town.get(url + own).data.startswith(b"PK")
    # The page's callbacks: the same refusals; a reader's page queues only the preview.
    from flask_login import login_user

    from callbacks import briefing as cb
    from dashboard.auth import User
    from data_access import users
    with app.server.test_request_context():
        with jobs_engine.connect() as conn:
            row = users.get(conn, "brj_town_analyst")
        login_user(User("u", row.id, row.username, row.role, row.scope_code))
        assert "不存在" in str(cb.generate(1, COMPLETE, other)["error"])
        links, preview, notice, stop_polling = cb.show(COMPLETE, None, None, other)
        assert links == [] and "brf-error" in str(preview) and stop_polling is True
    with app.server.test_request_context():
        with jobs_engine.connect() as conn:
            row = users.get(conn, "city_leader")
        login_user(User("u", row.id, row.username, row.role, row.scope_code))
        before = len(_rows(jobs_engine))
        links, preview, notice, stop_polling = cb.show("2026-W45", None, None, REGION)
        assert "brf-no-export" in str(links) and "brf-preview-pending" in str(preview) and stop_polling is False
        assert [r.format for r in _rows(jobs_engine)[before:]] == ["preview"]
    assert len(_rows(jobs_engine, region_code=other)) == 1  # only the city analyst's


# --- the Monday pre-build -------------------------------------------------------------------

def _shanghai(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text + "+08:00").astimezone(dt.timezone.utc)


def test_brj006_monday_prebuild_once_per_analyst_region(jobs_engine, charts, town_analyst):
    own, other = town_analyst
    with jobs_engine.begin() as conn:  # a disabled analyst's region is not built
        from data_access import users
        from dashboard.auth import hash_password
        users.add(conn, "brj_gone_analyst", hash_password(TEST_PASSWORD), "analyst", other, now())
        users.disable(conn, "brj_gone_analyst", now())
    try:
        w = _worker(jobs_engine, charts, prebuild_at="02:00")
        # Monday 2026-11-23 01:00 Beijing time: W47 has ended, but before BRIEFING_PREBUILD_AT (02:00).
        assert w.prebuild(_shanghai("2026-11-23T01:00:00")) == 0
        assert w.prebuild(_shanghai("2026-11-23T02:30:00")) == 8
        rows = _rows(jobs_engine)
        assert sorted((r.region_code, r.format) for r in rows) == sorted(
            (code, f) for code in ("450800", own) for f in ("preview", "docx", "xlsx", "pdf"))
        assert {r.week for r in rows} == {"2026-W47"} and {r.requested_by for r in rows} == {None}
        # Once: later passes, another process, and after one failed.
        assert w.prebuild(_shanghai("2026-11-23T02:31:00")) == 0
        assert _worker(jobs_engine, charts, "host:2", prebuild_at="02:00").prebuild(_shanghai("2026-11-24T09:00:00")) == 0
        with jobs_engine.begin() as conn:
            builds.fail(conn, rows[0].id, None, now(), "test")
        assert w.prebuild(_shanghai("2026-11-25T09:00:00")) == 0
        # The next Monday: the next week.
        assert w.prebuild(_shanghai("2026-11-30T03:00:00")) == 8
        # People's requests go before the pre-build in the queue.
        t = _shanghai("2026-11-30T03:00:01")
        with jobs_engine.begin() as conn:
            mine = builds.enqueue(conn, REGION, "2026-W45", "xlsx", t, "city_analyst", t)
            assert builds.claimable(conn, t)[0].id == mine
    finally:
        with jobs_engine.begin() as conn:
            conn.execute(delete(app_user).where(app_user.c.username == "brj_gone_analyst"))


def test_brj007_the_scheduler_runs_the_prebuild(sqlite_url, tmp_path):
    """The scheduler's process queues last week's builds (here W46: DASHBOARD_NOW is Friday of W47)
    and its worker thread builds them."""
    from dashboard import scheduler
    url = _copy(sqlite_url, tmp_path / "sched.db")
    eng = make_engine(url)
    stop = scheduler.start(eng, 60, defer=lambda: False, reconcile_seconds=0, alerts_seconds=0,
                           briefing_seconds=0.5)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not any(r.status == "done" for r in _rows(eng)):
            time.sleep(0.5)
    finally:
        stop.set()
    rows = _rows(eng)
    assert {(r.region_code, r.week) for r in rows} == {("450800", COMPLETE)}  # city_analyst's region
    assert sorted(r.format for r in rows) == ["docx", "pdf", "preview", "xlsx"]
    assert any(r.status == "done" for r in rows)
    eng.dispose()


# --- the page in a browser ------------------------------------------------------------------

def test_brj101_progress_then_ready_then_download(dash_duo, sqlite_url, tmp_path, charts):
    from openpyxl import load_workbook

    from .browser import click, start_signed_in
    from .test_briefing_browser import _wait_file
    url = _copy(sqlite_url, tmp_path / "page.db")
    eng = make_engine(url)
    app = _app(url)
    start_signed_in(dash_duo, app, "city_analyst", path=f"/briefing?region={REGION}")
    dash_duo.driver.set_window_size(1400, 1000)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    dash_duo.driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": str(downloads)})
    dash_duo.driver.get(dash_duo.server_url + f"/briefing?region={REGION}")
    # Nothing built and no worker yet: the preview waits, the files can be asked for.
    dash_duo.wait_for_element("#brf-preview-pending", timeout=60)
    click(dash_duo, "#brf-generate")
    dash_duo.wait_for_element("#brf-progress-bar", timeout=30)
    dash_duo.wait_for_text_to_equal("#brf-progress-text", "已排队，等待后台生成…", timeout=30)
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "briefing-progress.png"))
    assert [r.status for r in _rows(eng)] == ["queued"] * 4
    # The scheduler's worker, in a thread of the test.
    stop = threading.Event()
    worker = _worker(eng, charts, "test:thread")
    thread = threading.Thread(target=loop, args=(worker, 0.3, None, stop, lambda _d: False), daemon=True)
    thread.start()
    try:
        dash_duo.wait_for_element("#brf-ready", timeout=180)
        assert "周报文件已生成" in dash_duo.find_element("#brf-ready").text
        dash_duo.wait_for_element("#brf-figures", timeout=30)
        assert dash_duo.find_element("#brf-fig-0 td").text == "受理事件（件）"
        assert dash_duo.find_elements("#brf-progress-bar") == []
        dash_duo.driver.save_screenshot(str(ARTIFACTS / "briefing-ready.png"))
        href = dash_duo.find_element("#brf-dl-xlsx").get_attribute("href")
        assert href.endswith(f"/briefing/download?region={REGION}&week={COMPLETE}&format=xlsx")
        click(dash_duo, "#brf-dl-xlsx")
        xlsx = _wait_file(downloads, f"briefing-{REGION}-{COMPLETE}.xlsx")
        assert load_workbook(xlsx)["概要"]["A1"].value == "港北区网格化社会治理周报"
        assert {r.status for r in _rows(eng)} == {"done"}
    finally:
        stop.set()
        thread.join(timeout=60)
        eng.dispose()
