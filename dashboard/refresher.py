"""`python -m dashboard refresher`: compute the watched live snapshots once per bucket, off the
web workers (same DATABASE_URL and CACHE_REDIS_URL as the app; docs/deployment.md).

It imports services, never callbacks: the jobs are the declared snapshots (services.SNAPSHOTS).
"""
from __future__ import annotations

import logging
import threading

from data_access import cache
from data_access.scope import scope_of
from services import SNAPSHOTS
from services.snapshot import compute_entry

from . import runtime


def jobs(server) -> dict:
    """kind -> job(scope_code, region_code, now): every declared snapshot, with the app's settings."""
    engine = server.extensions[runtime.ENGINE_KEY]
    tick = server.config["REFRESH_SECONDS"]

    def job_for(snapshot):
        seconds = max(tick, server.config[snapshot.period])

        def job(scope_code, code, now):
            with engine.connect() as conn:
                scope = scope_of(conn, scope_code)
            return compute_entry(snapshot, engine, scope, code, now, seconds)
        return job
    return {kind: job_for(s) for kind, s in SNAPSHOTS.items()}


def run(app, stop: threading.Event | None = None) -> None:
    cache.run_refresher(app.server, jobs(app.server), stop)


def main() -> int:
    from . import create_app
    logging.basicConfig(level=logging.INFO)
    # It also runs the scheduler (rollups, warnings, text readings) when WARNINGS_EVALUATE_SECONDS
    # is set: the web workers leave that work to it while it beats (dashboard/app.py).
    run(create_app({"REDGRID_REFRESHER": True}))
    return 0
