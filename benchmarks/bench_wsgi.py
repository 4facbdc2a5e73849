"""gunicorn entry for the load benchmarks: the real app plus counters, nothing else changed.

    REDGRID_BENCH_DIR=/tmp/rg-bench gunicorn -w 4 benchmarks.bench_wsgi:server

Each worker counts the SQL statements its engine runs (SQLAlchemy
`before_cursor_execute`), the requests it serves and the snapshots it computed,
waited for or answered stale (the app's data_access.cache.SnapshotState), and writes them with its
RSS to $REDGRID_BENCH_DIR/<pid>.json once a second. `python -m
benchmarks.bench_wsgi` runs the snapshot refresher (dashboard/refresher.py) counted the
same way. The load test sums the files of all processes of all instances. The
production entries (dashboard.wsgi, python -m dashboard refresher) have none of this.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from sqlalchemy import event

from dashboard import create_app, refresher as refresher_process
from dashboard.runtime import ENGINE_KEY
from data_access import cache as snapshots

_counts = {"statements": 0, "requests": 0}
_dir = Path(os.environ.get("REDGRID_BENCH_DIR", "/tmp/redgrid-bench"))


def instrument(server) -> None:
    """Count this process's SQL statements and requests, and write them once a second."""
    def count_statement(*_args, **_kw):
        _counts["statements"] += 1

    def count_request():
        _counts["requests"] += 1
    event.listen(server.extensions[ENGINE_KEY], "before_cursor_execute", count_statement)
    server.before_request(count_request)
    stats = server.extensions[snapshots.STATE_KEY].stats
    threading.Thread(target=_writer, args=(stats,), name="bench-counters", daemon=True).start()


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _writer(stats: dict):
    _dir.mkdir(parents=True, exist_ok=True)
    path = _dir / f"{os.getpid()}.json"
    while True:
        body = {"pid": os.getpid(), "t": time.time(), "rss_mb": round(_rss_mb(), 1), **_counts,
                **{f"snap_{k}": v for k, v in stats.items()}}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body))
        tmp.replace(path)
        time.sleep(1.0)


def refresher() -> int:
    """`python -m benchmarks.bench_wsgi refresher`: the snapshot refresher, counted the same way."""
    app = create_app({"REDGRID_REFRESHER": True})  # runs the scheduler too, as dashboard/refresher.py does
    instrument(app.server)
    refresher_process.run(app)
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(refresher())
else:
    # gunicorn imports this module in each worker (no --preload): each counts on its own.
    app = create_app()
    server = app.server
    instrument(server)
