"""How long the weekly briefing (周报) takes, step by step, on one database.

    python benchmarks/briefing_time.py --db sqlite:////tmp/city.db --week 2026-W47 [--runs 3]
        [--levels city,county,township] [--formats docx,xlsx,pdf]

Each run is what `python -m dashboard briefing` does after connecting: gather the week's
figures (data), render the charts in one headless Chromium (charts), write each file.
Prints a Markdown table of the first run and the median / max of all runs, per level;
`cpu` is this process's CPU time (the wall-clock columns depend on what else runs).

    python benchmarks/briefing_time.py --db URL --web [--levels city] [--week …] [--now …]

`--web` times what a web request costs for a download (issue #19 item 7): before, the request
built the files itself (a cold build: data, charts, the file); now it queues (202), the
scheduler's worker builds (timed: with Chromium's start, then with the browser already up), and
the request serves the stored bytes. It signs in a temporary analyst account through the real
login form and writes `briefing_build` rows into the database given (both removed afterwards).
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LEVEL_CODES = {"city": "450800", "county": "450802", "township": "450802001"}


def main() -> int:
    from data_access.engine import DEFAULT_URL  # after the sys.path line above
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=DEFAULT_URL)
    ap.add_argument("--week", default=None, help="ISO week (default: the last complete week)")
    ap.add_argument("--now", default=None, help="ISO time the figures are known at (default: now)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--levels", default="city")
    ap.add_argument("--formats", default="docx,xlsx,pdf")
    ap.add_argument("--web", action="store_true", help="time the web request before and after the worker")
    args = ap.parse_args()
    if args.web:
        return web(args)
    from dashboard.briefing.files import make, parse_formats
    from data_access import briefing as data
    from data_access.engine import make_engine
    from data_access.scope import scope_of
    from data_access.timeutil import now as clock_now
    from data_access.timeutil import parse_instant

    at = parse_instant(args.now) if args.now else clock_now()
    week = data.parse_week(args.week) if args.week else data.last_complete_week(at)
    formats = parse_formats(args.formats)
    engine = make_engine(args.db, statement_timeout_ms=300_000)
    steps = ["data", "charts", *formats, "total", "cpu"]
    print(f"Weekly briefing {week.label}, {args.db.split('://')[0]}, formats {','.join(formats)}, "
          f"{args.runs} runs (s): first run, then median / max\n")
    print("| level | " + " | ".join(steps) + " | sizes (KB) |")
    print("|---|" + "---|" * (len(steps) + 1))
    for level in args.levels.split(","):
        code = LEVEL_CODES[level]
        runs, sizes = [], {}
        for _ in range(args.runs):
            started, cpu = time.perf_counter(), time.process_time()
            with engine.connect() as conn:
                _, files, timings = make(conn, scope_of(conn, "450800"), code, week, at, formats)
            timings["total"] = time.perf_counter() - started
            # CPU seconds of this process (Python and SQLite; Chromium not counted): what the
            # briefing costs whatever else shares the machine.
            timings["cpu"] = time.process_time() - cpu
            runs.append(timings)
            sizes = {f: len(b) // 1024 for f, b in files.items()}
        cells = []
        for step in steps:
            values = [r.get(step, 0.0) for r in runs]
            cells.append(f"{values[0]:.1f}, {statistics.median(values):.1f} / {max(values):.1f}")
        print(f"| {level} {code} | " + " | ".join(cells) + " | "
              + ", ".join(f"{f} {n}" for f, n in sizes.items()) + " |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:.0f} MB (Chromium runs in its own processes)")
    return 0


def _signed_in(app, username: str, password: str):
    import re
    c = app.server.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert c.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                  "next": "/"}).status_code == 302
    return c


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def web(args) -> int:
    import secrets

    from sqlalchemy import delete

    from dashboard import create_app
    from dashboard.auth import hash_password
    from dashboard.briefing import jobs
    from dashboard.briefing.files import make, parse_formats
    from dashboard.briefing.worker import Worker
    from data_access import briefing as data
    from data_access import briefing_builds, users
    from data_access.engine import make_engine
    from data_access.schema import app_user
    from data_access.scope import scope_of
    from data_access.timeutil import now as clock_now
    from data_access.timeutil import parse_instant

    at = parse_instant(args.now) if args.now else clock_now()
    week = data.parse_week(args.week) if args.week else data.last_complete_week(at)
    formats = parse_formats(args.formats)
    engine = make_engine(args.db, statement_timeout_ms=300_000)
    name, password = "bench_briefing", secrets.token_urlsafe(16)
    with engine.begin() as conn:
        conn.execute(delete(app_user).where(app_user.c.username == name))
        users.add(conn, name, hash_password(password), "analyst", "450800", at)
    app = create_app({"DATABASE_URL": args.db, "DASHBOARD_NOW": at.isoformat(), "REFRESH_SECONDS": 60})
    client = _signed_in(app, name, password)
    worker = Worker(engine, jobs.Config("450800", prebuild_at=""))
    print(f"Briefing download, web request vs worker, {week.label}, {args.db.split('://')[0]}, "
          f"formats {','.join(formats)} (s)\n")
    print("| level | before: cold build in the request | after: request (queue, 202) | worker build, "
          "Chromium starting | worker build, Chromium up | after: request (serve, 200) | sizes (KB) |")
    print("|---|---|---|---|---|---|---|")
    try:
        for level in args.levels.split(","):
            code = LEVEL_CODES[level]
            with engine.connect() as conn:  # what GET /briefing/download did before: the whole build
                (_, files, _), before = _timed(lambda: make(conn, scope_of(conn, "450800"), code, week, at, formats))
            builds = []
            for _ in range(2):  # the first with Chromium's start, the second with the browser up
                with engine.begin() as conn:
                    briefing_builds.forget(conn, code, week.label)
                queued = []
                for f in formats:
                    r, took = _timed(lambda: client.get(
                        f"/briefing/download?region={code}&week={week.label}&format={f}"))
                    assert r.status_code == 202, r.status_code
                    queued.append(took)
                built, took = _timed(worker.build_next)
                assert built
                builds.append(took)
            served = []
            for _ in range(5):
                for f in formats:
                    r, took = _timed(lambda: client.get(
                        f"/briefing/download?region={code}&week={week.label}&format={f}"))
                    assert r.status_code == 200 and len(r.data) > 1000, r.status_code
                    served.append(took)
            print(f"| {level} {code} | {before:.1f} | median {statistics.median(queued):.3f}, max {max(queued):.3f} | "
                  f"{builds[0]:.1f} | {builds[1]:.1f} | median {statistics.median(served):.3f}, "
                  f"max {max(served):.3f} | " + ", ".join(f"{f} {len(b) // 1024}" for f, b in files.items()) + " |")
    finally:
        worker.close()
        with engine.begin() as conn:
            conn.execute(delete(app_user).where(app_user.c.username == name))
            for code in (LEVEL_CODES[lv] for lv in args.levels.split(",")):
                briefing_builds.forget(conn, code, week.label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
