"""智慧地图: the points of a village's or a grid's layers, or the children's open events above."""
from __future__ import annotations

from data_access import regions, smart_map

from .snapshot import Snapshot


def compute(conn, scope, region, now) -> dict:
    chain = [{"code": r.code, "name": r.name, "level": r.level} for r in regions.breadcrumb(conn, scope, region)]
    if region.level in smart_map.POINT_LEVELS:
        return {"level": region.level, "chain": chain, "layers": smart_map.layers(conn, region, now),
                "grids": smart_map.grids(conn, region)}
    return {"level": region.level, "chain": chain, "children": smart_map.children_open(conn, region, now)}


SNAPSHOT = Snapshot("smartmap", compute)
