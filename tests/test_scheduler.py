"""The in-app warnings evaluator: one process at a time, through a lease."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from data_access import lease
from data_access.engine import make_engine
from data_access.schema import warning
from dashboard import scheduler

from .conftest import copy_sqlite, now


def test_sch001_lease_has_one_holder(engine):
    t = now()
    with engine.begin() as conn:
        assert lease.try_take(conn, "test-lease", "worker-a", t, 60)
        assert not lease.try_take(conn, "test-lease", "worker-b", t + dt.timedelta(seconds=10), 60)
        assert lease.try_take(conn, "test-lease", "worker-a", t + dt.timedelta(seconds=20), 60)  # renew
        # Expired: the other worker takes over.
        assert lease.try_take(conn, "test-lease", "worker-b", t + dt.timedelta(seconds=90), 60)
        assert lease.holder(conn, "test-lease") == "worker-b"
        conn.rollback()


def test_sch002_only_the_lease_holder_evaluates(sqlite_url, tmp_path):
    copy = tmp_path / "sched.db"
    copy_sqlite(sqlite_url, copy)
    eng = make_engine(f"sqlite:///{copy}")
    with eng.connect() as conn:  # the seed's own warnings (its replay of the rules over its history)
        before = conn.execute(select(func.count()).select_from(warning)).scalar()
    first = scheduler.evaluate_once(eng, 60, holder="host:1")
    second = scheduler.evaluate_once(eng, 60, holder="host:2")
    assert first is not None and len(first) > 0  # the tiny city has blind spots and emergency grids
    assert second is None  # another worker holds the lease: no duplicate evaluation
    with eng.connect() as conn:
        assert conn.execute(select(func.count()).select_from(warning)).scalar() == before + len(first)
    again = scheduler.evaluate_once(eng, 60, holder="host:1")
    assert again == []  # dedup: nothing new while those warnings are open


def _thread_writes(sqlite_url, tmp_path, table, seconds: float) -> int:
    """Rows of `table` the app's scheduler thread (WARNINGS_EVALUATE_SECONDS=1) has written into a
    copy of the test city within `seconds` (as soon as there are some; the seed's own rows, such
    as its replayed warnings, do not count)."""
    import time

    from dashboard import create_app
    copy = tmp_path / "thread.db"
    copy_sqlite(sqlite_url, copy)
    eng = make_engine(f"sqlite:///{copy}")
    with eng.connect() as conn:
        before = conn.execute(select(func.count()).select_from(table)).scalar()
    app = create_app({"DATABASE_URL": f"sqlite:///{copy}", "WARNINGS_EVALUATE_SECONDS": 1})
    deadline = time.time() + seconds
    count = 0
    while time.time() < deadline and not count:
        time.sleep(0.5)
        with eng.connect() as conn:
            count = conn.execute(select(func.count()).select_from(table)).scalar() - before
    app.server.extensions["redgrid.scheduler"].set()  # stop the thread with the test
    return count


def test_sch003_thread_runs_in_the_app(sqlite_url, tmp_path):
    assert _thread_writes(sqlite_url, tmp_path, warning, 30) > 0


def test_sch004_thread_stores_text_readings(sqlite_url, tmp_path):
    """The scheduler thread also keeps the barometer's text readings (data_access/opinion_readings.py)."""
    from data_access.schema import appeal_reading
    assert _thread_writes(sqlite_url, tmp_path, appeal_reading, 60) > 0


def test_sch005_a_web_worker_defers_to_a_beating_refresher(sqlite_url, tmp_path):
    """While `defer()` says a refresher runs the maintenance, the thread does nothing; when it
    stops saying so (the refresher died), the thread takes the work back."""
    import threading
    import time

    from dashboard import scheduler
    copy = tmp_path / "defer.db"
    copy_sqlite(sqlite_url, copy)
    eng = make_engine(f"sqlite:///{copy}")
    refresher = threading.Event()
    refresher.set()
    asked = []

    def defer():
        asked.append(1)
        return refresher.is_set()

    with eng.connect() as conn:  # the seed's own warnings (its replay of the rules over its history)
        before = conn.execute(select(func.count()).select_from(warning)).scalar()

    def warnings_count():  # raised since the start
        with eng.connect() as conn:
            return conn.execute(select(func.count()).select_from(warning)).scalar() - before
    stop = scheduler.start(eng, 1, defer=defer)
    try:
        time.sleep(3)
        assert len(asked) >= 2 and warnings_count() == 0  # asked every interval, did nothing
        refresher.clear()
        deadline = time.time() + 30
        while time.time() < deadline and not warnings_count():
            time.sleep(0.5)
        assert warnings_count() > 0
    finally:
        stop.set()
    assert scheduler._deferring(lambda: 1 / 0) is False  # cannot tell: do the work
