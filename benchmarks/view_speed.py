"""Server time of each view, in one process and one run, with its yardsticks.

    python benchmarks/view_speed.py --db postgresql://postgres@127.0.0.1/redgrid_city \
        --now 2026-11-26T00:00:00+00:00 --out benchmarks/results/views-pg.json

Per view and level (city, county, township):
- cold: the snapshot computed with nothing cached (what one time bucket costs, once for
  every screen), and the SQL statements it runs;
- raw SQL: the statements the same snapshot needs when the rollups are not used
  (captured, then replayed through the driver: database time only);
- naive: benchmarks/naive.py, the raw rows read into pandas per request;
- warm ticks through the real Dash endpoint (Flask test client: server time without
  the network): unchanged (204) and changed (200, every output sent), with bytes;
- region change: the router callback rendering the page for the region, cold (cache
  cleared: compute + geometry) and warm.
Ratios are taken within this run (the machine is shared and noisy).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from benchmarks import naive  # noqa: E402
from benchmarks.dashclient import Screen, short_name  # noqa: E402
from benchmarks.loadgen import pct  # noqa: E402

VIEWS = {"overview": "/", "incidents": "/incidents", "patrols": "/patrols", "opinion": "/opinion"}
LEVELS = {"city": "450800", "county": "450802", "township": "450802001"}


def stats(values: list[float]) -> dict:
    values = [v * 1000 for v in values]
    return {"p50": round(statistics.median(values), 2), "p95": round(pct(values, 0.95), 2),
            "n": len(values)}


class Counter:
    def __init__(self, engine):
        self.statements: list[tuple[str, object]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, conn, cursor, statement, params, context, executemany):
        if self.on:
            self.statements.append((statement, params))

    def __enter__(self):
        self.statements = []
        self.on = True
        return self

    def __exit__(self, *exc):
        self.on = False


def replay(engine, statements) -> float:
    """Database time of the statements: execute and fetch every row, nothing else."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        t = time.perf_counter()
        for sql, params in statements:
            cur = raw.cursor()
            cur.execute(sql, params)
            if cur.description is not None:
                cur.fetchall()
            cur.close()
        return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--now", default="2026-11-26T00:00:00+00:00", help="DASHBOARD_NOW of the run")
    ap.add_argument("--runs", type=int, default=5, help="cold runs per view and level")
    ap.add_argument("--ticks", type=int, default=200, help="warm ticks per view")
    ap.add_argument("--naive-runs", type=int, default=2)
    ap.add_argument("--views", default="overview,incidents,patrols,opinion")
    ap.add_argument("--levels", default="city,county,township")
    ap.add_argument("--out")
    args = ap.parse_args()

    from benchmarks.load_test import kiosk_token
    from services import SNAPSHOTS
    from data_access import regions as region_tree
    from dashboard import create_app
    from data_access import cache as snapshots
    from data_access import rollups
    from data_access.scope import scope_of
    from data_access.timeutil import parse_instant
    def compute_of(view):  # the service, with the region resolved as the edge does
        return lambda conn, scope, code, at: SNAPSHOTS[view].compute(conn, scope, region_tree.get(conn, scope, code), at)
    computes = {v: compute_of(v) for v in ("overview", "incidents", "patrols", "opinion")}
    token = kiosk_token(args.db)
    app = create_app({"DATABASE_URL": args.db, "DASHBOARD_NOW": args.now, "REFRESH_SECONDS": 5,
                      "SECRET_KEY": "view-speed-only", "CACHE_REDIS_URL": "", "WARNINGS_EVALUATE_SECONDS": 0})
    server = app.server
    engine = server.extensions["redgrid.engine"]
    counter = Counter(engine)
    at = parse_instant(args.now)
    client = server.test_client()
    assert client.get(f"/kiosk?token={token}").status_code == 302  # a wall screen's session cookie
    headers: dict = {}
    layout = client.get("/_dash-layout", headers=headers).get_json()
    deps = client.get("/_dash-dependencies", headers=headers).get_json()

    def post(body):
        t = time.perf_counter()
        r = client.post("/_dash-update-component", json=body, headers=headers)
        return time.perf_counter() - t, r

    def open_page(view, code) -> tuple[Screen, float, object]:
        screen = Screen(deps, layout, f"{VIEWS[view]}?region={code}")
        router = [cb for cb in screen.for_input("url.search") if short_name(cb) == "page.children"][0]
        seconds, r = post(screen.body(router, ["url.pathname", "url.search"]))
        assert r.status_code == 200, r.status_code
        screen.apply(r.get_json())
        return screen, seconds, r

    out = {"db": args.db.split("@")[-1], "now": args.now, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
           "rows": []}
    print("| view | level | cold ms p50 / p95 | statements | raw-SQL ms | naive pandas ms | cold ÷ raw SQL | "
          "cold ÷ naive | tick 204 ms p50 / p95 | tick 200 ms p50 / p95 | 200 bytes | region cold ms p50 / p95 | "
          "region warm ms p50 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for view in args.views.split(","):
        for level in args.levels.split(","):
            code = LEVELS[level]
            row = {"view": view, "level": level, "code": code}
            with server.app_context():
                with engine.connect() as conn:
                    scope = scope_of(conn, "450800")
                cold = []
                for _ in range(args.runs):
                    snapshots.cache.clear()
                    with engine.connect() as conn, counter:
                        t = time.perf_counter()
                        computes[view](conn, scope, code, at)
                        cold.append(time.perf_counter() - t)
                    ours = list(counter.statements)
                row["cold"] = stats(cold)
                row["statements"] = len(ours)
                row["sql_ms"] = round(statistics.median(replay(engine, ours) for _ in range(3)) * 1000, 2)
                # The same snapshot answered from the raw tables (rollups hidden for this process).
                real = rollups.horizon
                rollups.horizon = lambda conn: None
                try:
                    snapshots.cache.clear()
                    with engine.connect() as conn, counter:
                        t = time.perf_counter()
                        computes[view](conn, scope, code, at)
                        row["cold_without_rollups_ms"] = round((time.perf_counter() - t) * 1000, 2)
                    raw_statements = list(counter.statements)
                finally:
                    rollups.horizon = real
                row["raw_sql_ms"] = round(statistics.median(replay(engine, raw_statements)
                                                            for _ in range(2)) * 1000, 2)
                if view in naive.VIEWS and args.naive_runs > 0:
                    times = []
                    for _ in range(args.naive_runs):
                        with engine.connect() as conn:
                            t = time.perf_counter()
                            naive.VIEWS[view](conn, level, code, at)
                            times.append(time.perf_counter() - t)
                    row["naive_ms"] = round(statistics.median(times) * 1000, 2)
            # Region change, cold then warm, through the router callback.
            region_cold, region_warm = [], []
            for _ in range(args.runs):
                with server.app_context():
                    snapshots.cache.clear()
                region_cold.append(open_page(view, code)[1])
            for _ in range(args.runs):
                region_warm.append(open_page(view, code)[1])
            row["region_cold"], row["region_warm"] = stats(region_cold), stats(region_warm)
            # Warm ticks: unchanged (the page's own state), and changed (an old signature, no parts).
            screen, _, _ = open_page(view, code)
            interval = next(i for i in screen.intervals() if i.endswith("-tick") and i != "alarm-tick")
            prop_id, callbacks = screen.tick(interval)
            body = screen.body(callbacks[0], [prop_id])
            same, changed, sizes = [], [], []
            for _ in range(args.ticks):
                s, r = post(body)
                assert r.status_code == 204, (view, level, r.status_code)
                same.append(s)
            old = json.loads(json.dumps(body))
            for item in old["state"]:
                if item["id"].endswith("-state"):
                    item["value"] = {"sig": "old"}
            for _ in range(args.ticks):
                s, r = post(old)
                assert r.status_code == 200, (view, level, r.status_code)
                changed.append(s)
                sizes.append(len(r.data))
            row["tick_unchanged"], row["tick_changed"] = stats(same), stats(changed)
            row["tick_changed_bytes"] = max(sizes)
            naive_ms = row.get("naive_ms")
            c = row["cold"]["p50"]
            print(f"| {view} | {level} | {c} / {row['cold']['p95']} | {row['statements']} | {row['raw_sql_ms']} | "
                  f"{naive_ms if naive_ms is not None else '—'} | {c / row['raw_sql_ms']:.2f} | "
                  f"{'%.3f' % (c / naive_ms) if naive_ms else '—'} | "
                  f"{row['tick_unchanged']['p50']} / {row['tick_unchanged']['p95']} | "
                  f"{row['tick_changed']['p50']} / {row['tick_changed']['p95']} | {row['tick_changed_bytes']} | "
                  f"{row['region_cold']['p50']} / {row['region_cold']['p95']} | {row['region_warm']['p50']} |",
                  flush=True)
            out["rows"].append(row)
            if args.out:
                Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                Path(args.out).write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
