"""一格一档: one grid's profile, its KPIs and its place in the tree."""
from __future__ import annotations

from data_access import grid, metrics, regions

from .snapshot import Snapshot


def compute(conn, scope, region, now) -> dict:
    return {"profile": grid.profile(conn, scope, region, now),
            "summary": metrics.summary(conn, scope, region, now),
            "chain": [{"code": r.code, "name": r.name, "level": r.level}
                      for r in regions.breadcrumb(conn, scope, region)]}


SNAPSHOT = Snapshot("grid", compute, grid_only=True)
