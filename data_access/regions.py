"""The region tree: lookups, children, breadcrumbs and map geometry."""
from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .schema import LEVELS, region
from .scope import REGION_COLUMNS, Region, Scope, level_column, resolve


def get(conn: Connection, scope: Scope, code: str | None) -> Region:
    return resolve(conn, scope, code)


def children(conn: Connection, scope: Scope, code: str | None) -> list[Region]:
    r = resolve(conn, scope, code)
    rows = conn.execute(
        select(*REGION_COLUMNS).where(region.c.parent_code == r.code).order_by(region.c.code))
    return [Region(**row._mapping) for row in rows]


def breadcrumb(conn: Connection, scope: Scope, code: str | None) -> list[Region]:
    """From the scope root down to the region (nothing above the scope is shown)."""
    r = resolve(conn, scope, code)
    # The ancestors' codes are on the region itself: one query for all of them.
    levels = LEVELS[LEVELS.index(scope.level):LEVELS.index(r.level)]
    codes = [r.ancestor(level) for level in levels]
    rows = conn.execute(select(*REGION_COLUMNS).where(region.c.code.in_([c for c in codes if c])))
    found = {row.code: Region(**row._mapping) for row in rows}
    return [found[c] for c in codes if c in found] + [r]


def children_geojson(conn: Connection, scope: Scope, code: str | None) -> dict:
    """A FeatureCollection of the children's polygons (feature id = region code)."""
    r = resolve(conn, scope, code)
    rows = conn.execute(
        select(region.c.code, region.c.name, region.c.geometry)
        .where(region.c.parent_code == r.code).order_by(region.c.code))
    features = []
    for code_, name, geometry in rows:
        try:
            geom = json.loads(geometry) if geometry else None
        except ValueError:
            geom = None  # broken geometry: the region is listed but not drawn
        if geom:
            features.append({"type": "Feature", "id": code_,
                             "properties": {"name": name}, "geometry": geom})
    return {"type": "FeatureCollection", "features": features}


def grid_count(conn: Connection, scope: Scope, code: str | None, by_child: bool = False):
    """Grids in the subtree (or per child when `by_child`)."""
    r = resolve(conn, scope, code)
    own = level_column(region, r.level)
    where = [region.c.level == "grid", own == r.code]
    if not by_child:
        return conn.execute(select(func.count()).where(*where)).scalar() or 0
    if r.child_level is None:
        return {}
    col = level_column(region, r.child_level)
    return dict(conn.execute(select(col, func.count()).where(*where).group_by(col)).all())


def names(conn: Connection, codes) -> dict:
    """{code: name} of these region codes (unknown and empty ones left out), read in chunks."""
    codes = sorted({c for c in codes if c})
    out: dict = {}
    for i in range(0, len(codes), 500):
        out.update(conn.execute(select(region.c.code, region.c.name)
                                .where(region.c.code.in_(codes[i:i + 500]))).all())
    return out


def map_geojson(conn: Connection, scope: Scope, code: str | None) -> dict:
    """The polygons a map of the region draws: its children's, or a grid's own outline."""
    r = resolve(conn, scope, code)
    if r.level != "grid":
        return children_geojson(conn, scope, r)
    row = conn.execute(select(region.c.geometry).where(region.c.code == r.code)).first()
    try:
        geom = json.loads(row.geometry) if row and row.geometry else None
    except ValueError:
        geom = None
    features = [{"type": "Feature", "id": r.code, "properties": {"name": r.name}, "geometry": geom}] if geom else []
    return {"type": "FeatureCollection", "features": features}
