"""JSON routes on both databases: /healthz and /api/v1/summary."""
from __future__ import annotations

from data_access import metrics
from data_access.scope import scope_of

from .conftest import now


def test_api001_healthz(client):
    body = client.get("/healthz").get_json()
    assert body["database"] == "ok"
    assert body["data_age_seconds"] is not None and 0 <= body["data_age_seconds"] < 3600


def test_api002_summary_equals_data_access(client, conn):
    r = client.get("/api/v1/summary?region=450802")
    assert r.status_code == 200
    body = r.get_json()
    want = metrics.summary(conn, scope_of(conn, "450800"), "450802", now())
    for key in metrics.KEYS:
        assert body[key] == want[key], key
    assert body["region"] == "450802" and body["as_of"].startswith("2026-11-20T07:30")


def test_api003_bad_region_codes(client):
    assert client.get("/api/v1/summary?region=abc").status_code == 400
    assert client.get("/api/v1/summary?region=450899").status_code == 404
    r = client.get("/api/v1/summary?region=' OR 1=1 --")
    assert r.status_code == 400 and "区划代码" in r.get_json()["error"]
    assert client.get("/api/v1/summary?region=" + "9" * 5000).status_code == 400
