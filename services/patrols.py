"""巡查覆盖: coverage per child, blind spots, key-person visits; the 7-day worker ranking.

The ranking is heavier and slower-moving: its own snapshot, computed at most once per
WORKER_CACHE_SECONDS for every screen."""
from __future__ import annotations

from data_access import patrols
from data_access.cache import remember

from .snapshot import Snapshot

WORKER_CACHE_SECONDS = 300


def compute(conn, scope, region, now) -> dict:
    visits = patrols.visits_by_category(conn, scope, region, now)
    return {**patrols.coverage(conn, scope, region, now, categories=visits), "visits": visits}


def compute_workers(conn, scope, region, now) -> dict:
    def run():
        return {**patrols.worker_activity(conn, scope, region, now), "computed_at": now.isoformat()}
    return remember("patrols-workers", scope.code, region.code, now, WORKER_CACHE_SECONDS, run)


SNAPSHOT = Snapshot("patrols", compute)
WORKERS = Snapshot("patrols-workers-snap", compute_workers)
