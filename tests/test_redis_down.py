"""Redis goes away and comes back (issue #7): the app answers from a per-process cache, says so
in /healthz, and returns to Redis on its own."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from dashboard import create_app
from dashboard.fallback_cache import RETRY_SECONDS

from .conftest import sign_in


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis(port):
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_red001_redis_down_and_back(sqlite_url):
    port = _port()
    proc = _redis(port)
    try:
        app = create_app({"DATABASE_URL": sqlite_url, "CACHE_REDIS_URL": f"redis://127.0.0.1:{port}/0"})
        c = app.server.test_client()
        assert sign_in(c).status_code == 302
        h = c.get("/healthz").get_json()
        assert h["cache"] == "redis" and h["status"] == "ok"
        first = c.get("/api/v1/summary").get_json()

        proc.terminate()
        proc.wait(10)
        for _ in range(3):  # screens keep working, from the per-process cache
            r = c.get("/api/v1/summary")
            assert r.status_code == 200 and r.get_json()["incidents_today"] == first["incidents_today"]
        h = c.get("/healthz")
        assert h.status_code == 200  # the database answers; the cache is degraded, not down
        body = h.get_json()
        assert body["status"] == "degraded" and body["cache"].startswith("per-process") and body["cache_down_since"]
        assert sign_in(app.server.test_client(), "city_leader").status_code == 302  # sign-in works too

        proc = _redis(port)
        time.sleep(RETRY_SECONDS + 0.5)
        h = c.get("/healthz").get_json()
        assert h["cache"] == "redis" and h["status"] == "ok" and "cache_down_since" not in h
        assert c.get("/api/v1/summary").status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
