"""What a server-side session costs a screen's tick (issue #14), measured in one run as ratios.

The same signed-in client sends the same unchanged wall tick (the alarm poll, an Interval: a
screen's own refresh, which writes nothing to the session) N times with the
session read (a) from the database on every request (the per-process cache: SQLite or
PostgreSQL), (b) from Redis (the production setting), and (c) with a kiosk bearer token (no
session at all). Statements sent to the database are counted too.

    python benchmarks/session_cost.py --db sqlite:///var/redgrid.db [--redis redis://127.0.0.1:6379/7] [-n 500]
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _client(app, user, password):
    c = app.server.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert c.post("/login", data={"username": user, "password": password, "csrf_token": token}).status_code == 302
    return c


def _tick(app):
    key = next(k for k in app.callback_map if k.startswith("..alarm-banner.children"))
    spec = app.callback_map[key]
    values = {"alarm-tick.n_intervals": 1, "url.pathname": "/", "url.search": "?region=450800"}
    return json.dumps({
        "output": key, "outputs": [{"id": i, "property": p} for i, p in
                                   (o.rsplit(".", 1) for o in key.strip(".").split("..."))],
        "inputs": [{**d, "value": values.get(f"{d['id']}.{d['property']}")} for d in spec["inputs"]],
        "state": [{**d, "value": None} for d in spec["state"]],
        "changedPropIds": ["alarm-tick.n_intervals"]})


def _run(app, client, n, headers=None):
    body = _tick(app)
    statements = []
    engine = app.server.extensions["redgrid.engine"]
    listen = lambda *a, **k: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    post = lambda: client.post("/_dash-update-component", data=body, content_type="application/json",  # noqa: E731
                               headers=headers)
    post()  # warm
    times = []
    for _ in range(n):
        t = time.perf_counter()
        assert post().status_code in (200, 204)
        times.append(time.perf_counter() - t)
    event.remove(engine, "before_cursor_execute", listen)
    return {"median_ms": round(statistics.median(times) * 1000, 3), "statements_per_request": len(statements) / (n + 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    ap.add_argument("--user", default="city_leader")
    ap.add_argument("--password", default="test-password-1")
    ap.add_argument("--kiosk-token", default="test-kiosk-token-city-000000000000")
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--out", default="benchmarks/results/session_cost.json")
    args = ap.parse_args()
    from dashboard import create_app
    out = {}
    local = create_app({"DATABASE_URL": args.db})
    out["session read from the database (per-process cache)"] = _run(local, _client(local, args.user, args.password),
                                                                     args.n)
    shared = create_app({"DATABASE_URL": args.db, "CACHE_REDIS_URL": args.redis})
    out["session read from Redis"] = _run(shared, _client(shared, args.user, args.password), args.n)
    out["kiosk bearer token, no session (Redis)"] = _run(shared, shared.server.test_client(), args.n,
                                                          {"Authorization": f"Bearer {args.kiosk_token}"})
    base = out["session read from Redis"]["median_ms"]
    for row in out.values():
        row["ratio_to_redis"] = round(row["median_ms"] / base, 2)
    Path(args.out).write_text(json.dumps({"db": args.db.split("@")[-1], "n": args.n, "results": out},
                                         ensure_ascii=False, indent=1))
    for name, row in out.items():
        print(f"{row['median_ms']:>8.3f} ms  ×{row['ratio_to_redis']:<5} {row['statements_per_request']:.2f} stmt  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
