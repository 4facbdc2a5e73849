"""The load test: gunicorn (N workers, one or two instances behind nginx) + Redis + a database,
driven by benchmarks/loadgen.py at several screen counts.

    python benchmarks/load_test.py --db postgresql://postgres@127.0.0.1/redgrid_city \
        --steps 10,300 --duration 60 --out benchmarks/results/load-pg.json

For each step it reports the request latencies (median / p95 / p99 per kind),
errors, payload bytes of changed (200) and unchanged (204) answers, the SQL
statements the app ran per 5-second refresh interval (SQLAlchemy events in every
worker, benchmarks/bench_wsgi.py), PostgreSQL's own transaction and table-scan
counters for the database (pg_stat_database, pg_stat_user_tables: this server has
no pg_stat_statements, which needs shared_preload_libraries and a restart of the
shared server), and every worker's RSS over time. It starts its own Redis (port
--redis-port) and, with --instances 2, nginx (Debian's package) in front of the
two gunicorns; everything it starts it stops.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import loadgen  # noqa: E402

INTERVAL = 5.0  # the screens' refresh period (REFRESH_SECONDS)
# Ten (view, region) pairs: the city, two counties and a township on the overview, incident and
# patrol views. The opinion view (issue #8) is measured by view_speed.py but not loaded here: its
# city snapshot reads the text of every unlabelled appeal and outlasts gunicorn's timeout.
WALL = ("overview@450800,incidents@450800,patrols@450800,"
        "overview@450802,incidents@450802,patrols@450802,"
        "overview@450803,"
        "overview@450802001,incidents@450802001,patrols@450802001")


def _wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


class Stack:
    """Redis, gunicorn instance(s), optionally nginx and the simulator; stopped on exit."""

    def __init__(self, args):
        self.args = args
        self.procs: list[subprocess.Popen] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="rg-load-"))
        self.bench_dir = self.tmp / "counters"
        self.ports = [args.port + i for i in range(args.instances)]

    def _start(self, cmd, env=None, log="proc"):
        out = open(self.tmp / f"{log}.log", "w")
        p = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def __enter__(self):
        a = self.args
        self._start(["redis-server", "--port", str(a.redis_port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--maxmemory", "512mb", "--maxmemory-policy", "allkeys-lru"],
                    log="redis")
        _wait_port(a.redis_port)
        env = {"DATABASE_URL": a.db, "CACHE_REDIS_URL": f"redis://127.0.0.1:{a.redis_port}/0",
               "WARNINGS_EVALUATE_SECONDS": str(a.scheduler_seconds), "SECRET_KEY": "load-test-only-key",
               "DASHBOARD_NOW": "", "PYTHONPATH": str(ROOT)}
        for i, port in enumerate(self.ports):
            self._start([str(ROOT / ".venv/bin/gunicorn"), "-w", str(a.workers), "-b", f"127.0.0.1:{port}",
                         "--timeout", "60", "--graceful-timeout", "5", "benchmarks.bench_wsgi:server"],
                        env={**env, "REDGRID_BENCH_DIR": str(self.bench_dir / f"i{i}")}, log=f"gunicorn{i}")
        for i in range(a.refreshers):  # live snapshots computed off the web workers (dashboard/refresher.py)
            # Background work at a lower priority than the web workers, as deploy/systemd sets it.
            self._start(["nice", "-n", str(a.nice), str(ROOT / ".venv/bin/python"), "-m", "benchmarks.bench_wsgi"],
                        env={**env, "REDGRID_BENCH_DIR": str(self.bench_dir / f"r{i}")}, log=f"refresher{i}")
        for port in self.ports:
            _wait_port(port, 120)
        self.base = f"http://127.0.0.1:{self.ports[0]}"
        if a.instances > 1:
            self.base = f"http://127.0.0.1:{self._nginx()}"
        if a.simulate:
            self._start(["nice", "-n", str(a.nice), str(ROOT / ".venv/bin/python"), "-m", "dashboard", "simulate", "--db", a.db,
                         "--speed", str(a.simulate), "--tick", "2"], log="simulate")
        return self

    def _nginx(self) -> int:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise SystemExit("nginx is not installed: apt-get install nginx-light")
        port = self.args.port + 100
        upstream = "\n".join(f"    server 127.0.0.1:{p};" for p in self.ports)
        site = (ROOT / "deploy/nginx/redgrid.conf").read_text()
        site = site.replace("listen 80;", f"listen {port};").replace("server_name redgrid.example;", "")
        site = site.replace("    server 127.0.0.1:8050;\n    server 127.0.0.1:8051;", upstream)
        conf = self.tmp / "nginx.conf"
        conf.write_text(f"""worker_processes 1;
pid {self.tmp}/nginx.pid;
error_log {self.tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {self.tmp}/nginx-body;
  proxy_temp_path {self.tmp}/nginx-proxy;
  {site}
}}
""")
        self._start([nginx, "-c", str(conf), "-p", str(self.tmp), "-g", "daemon off;"], log="nginx")
        _wait_port(port)
        return port

    def workers(self) -> list[dict]:
        out = []
        for f in self.bench_dir.glob("*/*.json"):
            try:
                out.append(json.loads(f.read_text()))
            except (OSError, ValueError):
                pass
        return out

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def pg_counters(url: str) -> dict | None:
    """PostgreSQL's own view of the work on this database (None for SQLite)."""
    if not url.startswith("postgres"):
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    eng = create_engine(u, poolclass=__import__("sqlalchemy.pool", fromlist=["NullPool"]).NullPool)
    with eng.connect() as conn:
        xact = conn.execute(text("SELECT xact_commit + xact_rollback, tup_returned + tup_fetched "
                                 "FROM pg_stat_database WHERE datname = current_database()")).one()
        scans = conn.execute(text("SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) "
                                  "FROM pg_stat_user_tables")).scalar()
    eng.dispose()
    return {"transactions": int(xact[0]), "tuples": int(xact[1]), "scans": int(scans)}


def kiosk_token(db: str) -> str:
    """A kiosk token for the simulated screens (issue #7's sign-in), made in the database."""
    import secrets

    from data_access import users
    from data_access.engine import create_schema, make_engine
    from data_access.timeutil import now
    engine = make_engine(db)
    create_schema(engine)
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        users.add_kiosk(conn, f"load-test-{token[:6]}", token, "450800", now())
    engine.dispose()
    return token


def _sum(workers: list[dict], key: str) -> int:
    return sum(w.get(key, 0) for w in workers)


async def _step(stack: Stack, screens: int, args, auth) -> dict:
    mix = loadgen.parse_mix(args.mix)
    rec = loadgen.Recorder(time.perf_counter())
    rss: list[dict] = []
    marks: dict = {}

    async def sampler():
        await asyncio.sleep(args.ramp + args.warm)
        marks["start"] = (time.time(), stack.workers(), pg_counters(args.db))
        while True:
            now = time.time()
            rss.append({"t": round(now - marks["start"][0], 1),
                        **{str(w["pid"]): w["rss_mb"] for w in stack.workers()}})
            await asyncio.sleep(args.rss_every)

    task = asyncio.create_task(sampler())
    await loadgen.run(stack.base, screens, mix, args.warm + args.duration, auth, args.ramp, args.drill_every,
                      [r for r in args.drill_regions.split(",") if r], recorder=rec)
    task.cancel()
    end = (time.time(), stack.workers(), pg_counters(args.db))
    t0, w0, pg0 = marks["start"]
    t1, w1, pg1 = end
    intervals = (t1 - t0) / INTERVAL
    since = args.ramp + args.warm
    result = {
        "screens": screens, "seconds": round(t1 - t0, 1),
        "requests": loadgen.summarise(rec.rows, since=since),
        "by_callback": _by_callback(rec.rows, since),
        "statements_per_interval": round((_sum(w1, "statements") - _sum(w0, "statements")) / intervals, 1),
        "app_requests_per_interval": round((_sum(w1, "requests") - _sum(w0, "requests")) / intervals, 1),
        "snapshots": {k: _sum(w1, k) - _sum(w0, k)
                      for k in ("snap_computed", "snap_waited", "snap_stale", "snap_background", "snap_handed_off")},
        "rss_mb": rss, "workers": len(w1),
    }
    if pg0 and pg1:
        result["pg_per_interval"] = {k: round((pg1[k] - pg0[k]) / intervals, 1) for k in pg0}
    return result


def _by_callback(rows, since):
    out = {}
    for name in sorted({r["name"] for r in rows if r["kind"] in ("tick", "region")}):
        rs = [r for r in rows if r["name"] == name and r["kind"] in ("tick", "region") and r["t"] >= since]
        if rs:
            out[name] = loadgen.summarise([{**r, "kind": "x"} for r in rs])["x"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--steps", default="10,300", help="screen counts, one run each")
    ap.add_argument("--duration", type=float, default=60, help="measured seconds per step")
    ap.add_argument("--warm", type=float, default=15, help="seconds after the ramp before measuring")
    ap.add_argument("--ramp", type=float, default=5)
    ap.add_argument("--mix", default=WALL)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--instances", type=int, default=1, help="2 = two gunicorns behind nginx")
    ap.add_argument("--refreshers", type=int, default=1,
                    help="refresher processes computing the live snapshots (0 = the web workers do)")
    ap.add_argument("--port", type=int, default=8150)
    ap.add_argument("--redis-port", type=int, default=6390)
    ap.add_argument("--simulate", type=float, default=1.0, help="simulator speed while loading (0 = off)")
    ap.add_argument("--scheduler-seconds", type=int, default=60,
                    help="WARNINGS_EVALUATE_SECONDS of the app (its thread also settles the rollups)")
    ap.add_argument("--nice", type=int, default=10, help="niceness of the refresher and the simulator (0 = same as the web)")
    ap.add_argument("--drill-every", type=float, default=0.0)
    ap.add_argument("--drill-regions", default="450802,450803,450802001")
    ap.add_argument("--rss-every", type=float, default=5.0)
    ap.add_argument("--kiosk", help="kiosk token (default: one made for the run)")
    ap.add_argument("--cookie", action="append", default=[])
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--keep", action="store_true", help="keep the logs folder")
    ap.add_argument("--out", help="JSON results file")
    args = ap.parse_args()
    auth = loadgen.auth_from(args.cookie, args.header, args.kiosk)
    if not auth.cookies and not auth.headers and not auth.kiosk:
        auth.kiosk = kiosk_token(args.db)  # each screen signs in once, as a wall screen does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop what we started on a plain kill too
    results = {"db": args.db.split("@")[-1], "workers": args.workers, "instances": args.instances,
               "refreshers": args.refreshers,
               "mix": args.mix, "started": time.strftime("%Y-%m-%d %H:%M:%S"), "steps": []}
    with Stack(args) as stack:
        for n in [int(x) for x in args.steps.split(",")]:
            step = asyncio.run(_step(stack, n, args, auth))
            results["steps"].append(step)
            t = step["requests"].get("tick", {})
            print(f"screens {n}: tick p50 {t.get('ms_p50')} p95 {t.get('ms_p95')} ms, errors "
                  f"{sum(v['errors'] for v in step['requests'].values())}, statements/interval "
                  f"{step['statements_per_interval']}, pg {step.get('pg_per_interval')}", flush=True)
            if args.out:
                Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False))
        if args.keep:
            print("logs:", stack.tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
