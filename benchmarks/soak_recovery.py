"""Soak with a database restart (issue #7): gunicorn + a private PostgreSQL + the simulator +
screens polling + a duty officer acknowledging warnings, for MINUTES; PostgreSQL is stopped
and started once in the middle.

It checks what the issue asks: no lost warning actions (every acknowledgement the app
confirmed is in warning_action), no errors once the database is back (after two refresh
intervals), and worker memory over time. Results: benchmarks/soak_recovery.md.

    python benchmarks/soak_recovery.py [--minutes 30] [--screens 30] [--workers 2]

Needs Debian's PostgreSQL binaries (runs its own instance on a free port as the postgres
OS user) and Redis on 127.0.0.1:6379 (uses database 5).
"""
from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PASSWORD = "soak-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """initdb + pg_ctl as the postgres OS user, in a temporary directory."""

    def __init__(self):
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
        self.dir = Path(tempfile.mkdtemp(prefix="redgrid-soak-pg-"))
        self.port = free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_pg(self.bin / "initdb", "-D", self.dir / "data", "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_pg(self, *cmd):
        run = [str(c) for c in cmd]
        if os.geteuid() == 0:
            run = ["runuser", "-u", "postgres", "--", *run]
        subprocess.run(run, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        self._as_pg(self.bin / "pg_ctl", "-D", self.dir / "data", "-l", self.dir / "log", "-w", "-o",
                    f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")

    def stop(self):
        self._as_pg(self.bin / "pg_ctl", "-D", self.dir / "data", "-m", "fast", "-w", "stop")

    def remove(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def cli(*args, stdin=None, env=None):
    return subprocess.run([PY, "-m", "dashboard", *args], cwd=ROOT, input=stdin, text=True, check=True,
                          capture_output=True, env=env)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def sign_in(base: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
               allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.status_code
    return s


def dash_call(session, base, output, inputs, state=(), changed=None):
    body = {"output": output, "outputs": _outputs(output), "inputs": list(inputs), "state": list(state),
            "changedPropIds": [changed or f"{inputs[0]['id']}.{inputs[0]['property']}"]}
    return session.post(f"{base}/_dash-update-component", json=body, timeout=30)


def _outputs(key):
    if key.startswith(".."):
        return [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in key.strip(".").split("...")]
    i, p = key.rsplit(".", 1)
    return {"id": i, "property": p}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []  # (t, kind, status)

    def add(self, kind, status):
        with self.lock:
            self.rows.append((time.time(), kind, status))


def screen_loop(base, token, stop, tally, period):
    """A wall screen: the alarm poll and the summary API, every `period` seconds."""
    s = requests.Session()
    s.get(f"{base}/kiosk?token={token}", allow_redirects=False, timeout=30)
    alarm = "..alarm-banner.children...takeover.children...alarm-store.data.."
    state = None
    while not stop.is_set():
        for kind, call in (
            ("alarm", lambda: dash_call(s, base, alarm, [
                {"id": "alarm-tick", "property": "n_intervals", "value": 1},
                {"id": "url", "property": "pathname", "value": "/"},
                {"id": "url", "property": "search", "value": ""},
                {"id": "takeover-pin", "property": "data", "value": None},
                {"id": "takeover-release", "property": "data", "value": None}],
                [{"id": "alarm-store", "property": "data", "value": state}])),
            ("summary", lambda: s.get(f"{base}/api/v1/summary", timeout=30)),
        ):
            try:
                r = call()
                tally.add(kind, r.status_code)
            except requests.RequestException:
                tally.add(kind, "conn")
        stop.wait(period)


def officer_loop(base, stop, tally, confirmed, period):
    """A duty officer: acknowledge the newest unacknowledged warning through the desk callback."""
    s = sign_in(base, "soak_duty")
    act = "..warn-feedback.children...warn-changed.data...warn-comment.value.."
    while not stop.is_set():
        try:
            r = s.get(f"{base}/api/v1/warnings?status=new", timeout=30)
            tally.add("queue", r.status_code)
            rows = r.json() if r.status_code == 200 else []
            if rows:
                w = rows[0]
                version = 1  # the API lists new warnings; a stale version is a conflict, which is fine
                r = dash_call(s, base, act, [{"id": b, "property": "n_clicks", "value": 1 if b == "warn-ack" else None}
                                             for b in ("warn-ack", "warn-assign", "warn-resolve", "warn-dismiss",
                                                       "warn-reopen")],
                              [{"id": "warn-current", "property": "data", "value": {"id": w["id"], "version": version}},
                               {"id": "warn-comment", "property": "value", "value": "soak"},
                               {"id": "warn-assignee", "property": "value", "value": None},
                               {"id": "warn-changed", "property": "data", "value": 0}],
                              changed="warn-ack.n_clicks")
                tally.add("act", r.status_code)
                if r.status_code == 200 and "已确认" in r.text:
                    confirmed.append(w["id"])
        except requests.RequestException:
            tally.add("queue", "conn")
        stop.wait(period)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--screens", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--period", type=float, default=5)
    ap.add_argument("--outage", type=float, default=30, help="seconds PostgreSQL stays down")
    args = ap.parse_args()

    pg = PrivatePostgres()
    procs = []
    try:
        pg.start()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DASHBOARD_NOW", None)
        t0 = time.time()
        cli("seed", "--db", pg.url, "--scale", "tiny", env=env)
        seed_s = time.time() - t0
        cli("users", "add", "soak_duty", "--role", "duty_officer", "--scope", "450800", "--db", pg.url,
            stdin=PASSWORD + "\n", env=env)
        token = cli("users", "kiosk", "soak_wall", "--scope", "450800", "--db", pg.url, env=env) \
            .stdout.split("token=")[1].split()[0]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        app_env = {**env, "DATABASE_URL": pg.url, "CACHE_REDIS_URL": "redis://127.0.0.1:6379/5",
                   "WARNINGS_EVALUATE_SECONDS": "20", "REFRESH_SECONDS": str(int(args.period)),
                   "SECRET_KEY": "soak-secret"}
        gunicorn = subprocess.Popen([str(Path(PY).parent / "gunicorn"), "-w", str(args.workers), "-b",
                                     f"127.0.0.1:{port}", "--timeout", "60", "dashboard.wsgi:server"],
                                    cwd=ROOT, env=app_env, stdout=subprocess.DEVNULL, stderr=open("/tmp/soak-gunicorn.log", "w"))
        procs.append(gunicorn)
        sim = subprocess.Popen([PY, "-m", "dashboard", "simulate", "--db", pg.url, "--speed", "20"], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=open("/tmp/soak-sim.log", "w"))
        procs.append(sim)
        for _ in range(120):
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(1)

        stop, tally, confirmed = threading.Event(), Tally(), []
        threads = [threading.Thread(target=screen_loop, args=(base, token, stop, tally, args.period), daemon=True)
                   for _ in range(args.screens)]
        threads.append(threading.Thread(target=officer_loop, args=(base, stop, tally, confirmed, 10), daemon=True))
        for t in threads:
            t.start()
        start = time.time()
        end = start + args.minutes * 60
        down_at = start + args.minutes * 30 - args.outage / 2
        up_at = None
        memory = []  # (minute, [rss of each worker])
        health = []
        while time.time() < end:
            now = time.time()
            if up_at is None and now >= down_at:
                pg.stop()
                down_real = time.time()
                time.sleep(args.outage)
                try:
                    h = requests.get(f"{base}/healthz", timeout=10)
                    health.append(("down", h.status_code, h.json().get("database")))
                except requests.RequestException as exc:
                    health.append(("down", "conn", type(exc).__name__))
                pg.start()
                up_at = time.time()
            memory.append(((now - start) / 60, [rss_mb(p) for p in worker_pids(gunicorn.pid)]))
            time.sleep(30)
        h = requests.get(f"{base}/healthz", timeout=10)
        health.append(("end", h.status_code, h.json().get("database")))
        stop.set()
        for t in threads:
            t.join(40)

        # Every confirmed acknowledgement is in the audit table.
        from sqlalchemy import select

        from data_access.engine import make_engine
        from data_access.schema import warning_action
        eng = make_engine(pg.url)
        with eng.connect() as conn:
            acked = set(conn.execute(select(warning_action.c.warning_id).where(
                warning_action.c.action == "acknowledge", warning_action.c.actor == "soak_duty")).scalars())
        eng.dispose()
        lost = [w for w in confirmed if w not in acked]
        grace = up_at + 2 * args.period if up_at else end
        during = [r for r in tally.rows if down_real <= r[0] <= grace]
        after = [r for r in tally.rows if r[0] > grace]
        before = [r for r in tally.rows if r[0] < down_real]
        bad = lambda rows: [r for r in rows if r[2] not in (200, 204)]  # noqa: E731
        first = [m for _, ms in memory[:2] for m in ms if m]
        last = [m for _, ms in memory[-2:] for m in ms if m]
        result = {
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "minutes": args.minutes, "screens": args.screens, "workers": args.workers, "seed_s": round(seed_s),
            "requests": len(tally.rows), "before_errors": len(bad(before)),
            "outage_requests": len(during), "outage_non_2xx": len(bad(during)),
            "outage_5xx": len([r for r in during if isinstance(r[2], int) and r[2] >= 500]),
            "after_requests": len(after), "after_errors": len(bad(after)),
            "acks_confirmed": len(confirmed), "acks_lost": len(lost),
            "rss_first_mb": round(statistics.median(first), 1) if first else None,
            "rss_last_mb": round(statistics.median(last), 1) if last else None,
            "rss_max_mb": round(max(m for _, ms in memory for m in ms if m), 1) if memory else None,
            "non_2xx_by_phase": {phase: _by_kind(bad(rows)) for phase, rows in
                                 (("before", before), ("outage", during), ("after", after))},
            "health": health, "memory": [(round(t, 1), [round(m or 0, 1) for m in ms]) for t, ms in memory],
        }
        print(json.dumps(result, ensure_ascii=False, indent=1))
        write(result)
        return 0 if not lost and not result["after_errors"] else 1
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        pg.remove()


def _by_kind(rows) -> dict:
    out: dict = {}
    for _, kind, status in rows:
        out[f"{kind} {status}"] = out.get(f"{kind} {status}", 0) + 1
    return out


def write(r: dict) -> None:
    lines = [
        "# Soak with a database restart (issue #7)", "",
        f"Run {r['date']}: {r['minutes']} min, gunicorn {r['workers']} workers + Redis + a private PostgreSQL "
        f"(tiny city, seeded in {r['seed_s']} s) + the simulator at ×20; {r['screens']} kiosk screens polling "
        "the alarm callback and /api/v1/summary every 5 s; one duty officer acknowledging the newest warning "
        "through the desk callback every 10 s. PostgreSQL stopped (pg_ctl -m fast) half-way and started again. "
        "Command: `python benchmarks/soak_recovery.py`.", "",
        "| measure | value |", "|---|---|",
        f"| requests | {r['requests']:,} |",
        f"| errors before the outage | {r['before_errors']} |",
        f"| requests during the outage (+2 refresh intervals) | {r['outage_requests']:,} |",
        f"| … of them not 200/204 | {r['outage_non_2xx']} (5xx: {r['outage_5xx']}) |",
        f"| requests after recovery | {r['after_requests']:,} |",
        f"| errors after recovery | {r['after_errors']} |",
        f"| acknowledgements confirmed by the app | {r['acks_confirmed']} |",
        f"| … missing from warning_action | {r['acks_lost']} |",
        f"| worker RSS, first minute → last minute (median) | {r['rss_first_mb']} MB → {r['rss_last_mb']} MB |",
        f"| worker RSS, max | {r['rss_max_mb']} MB |",
        f"| non-2xx answers by phase (what, status: count) | {r['non_2xx_by_phase']} |",
        f"| /healthz during the outage, at the end | {r['health']} |", "",
        "Worker RSS over time (minute: MB per worker):", "",
        "| minute | " + " | ".join(f"worker {i + 1}" for i in range(len(r['memory'][0][1]) if r['memory'] else 0)) + " |",
        "|---|" + "---|" * (len(r['memory'][0][1]) if r['memory'] else 0),
        *[f"| {t} | " + " | ".join(str(m) for m in ms) + " |" for t, ms in r["memory"]],
    ]
    (ROOT / "benchmarks" / "soak_recovery.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
