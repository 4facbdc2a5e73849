"""Tests for the synthetic Guigang region tree (dashboard.demo.regions)."""

import hashlib
import json
import math
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
import shapely

from dashboard.demo import regions as R

ROOT = Path(__file__).resolve().parents[1]
GANGBEI = "450802"
KEYS = set(R.ROW_KEYS)


@pytest.fixture(scope="module")
def gangbei():
    return R.build_regions([GANGBEI])


@pytest.fixture(scope="module")
def city():
    # The one full-city build; shared by the tests that need every county.
    return R.build_regions()


@pytest.fixture(scope="module")
def shapes(gangbei):
    return {r["code"]: shapely.from_geojson(r["geometry"]) for r in gangbei}


def _children(rows):
    kids = defaultdict(list)
    for r in rows:
        if r["parent_code"] is not None:
            kids[r["parent_code"]].append(r)
    return kids


def _digest(rows):
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


# ----------------------------------------------------------------------------- structure


def test_rows_have_exactly_the_documented_keys(gangbei):
    assert all(set(r) == KEYS for r in gangbei)
    assert {r["level"] for r in gangbei} == set(R.LEVELS)


def test_full_city_counts(city):
    counts = Counter(r["level"] for r in city)
    assert counts["city"] == 1
    assert counts["county"] == 5
    assert counts["township"] == 74
    assert counts["village"] == 1195
    villages = [r for r in city if r["level"] == "village"]
    urban = sum(r["is_urban"] for r in villages)
    rural = len(villages) - urban
    assert 3 * rural + 6 * urban <= counts["grid"] <= 6 * rural + 12 * urban
    assert len({r["code"] for r in city}) == len(city)


def test_gangbei_counts(gangbei):
    counts = Counter(r["level"] for r in gangbei)
    assert counts["city"] == 1
    assert counts["county"] == 1
    assert counts["township"] == 8
    assert counts["village"] == 137


def test_restricted_build_matches_full_build(gangbei, city):
    # Seeds come from codes, so a county looks the same whatever else is built.
    full = [r for r in city if r["county_code"] == GANGBEI]
    assert full == [r for r in gangbei if r["level"] != "city"]
    city_row = lambda rows: {k: v for k, v in rows[0].items() if k not in ("population", "households", "enterprises")}
    assert city_row(city) == city_row(gangbei)


def test_parents_come_before_children(gangbei):
    seen = set()
    for r in gangbei:
        assert r["parent_code"] is None or r["parent_code"] in seen
        seen.add(r["code"])


def test_code_lengths_and_prefixes(gangbei):
    by_code = {r["code"]: r for r in gangbei}
    for r in gangbei:
        assert len(r["code"]) == R.CODE_LENGTH[r["level"]]
        assert r["code"].isdigit()
        if r["level"] == "city":
            assert r["code"] == "450800" and r["parent_code"] is None
            continue
        parent = by_code[r["parent_code"]]
        assert R.LEVELS.index(parent["level"]) == R.LEVELS.index(r["level"]) - 1
        prefix = parent["code"][:4] if parent["level"] == "city" else parent["code"]
        assert r["code"].startswith(prefix)


def test_ancestor_columns(gangbei):
    by_code = {r["code"]: r for r in gangbei}
    for r in gangbei:
        assert r["city_code"] == "450800"
        expected = {"county": None, "township": None, "village": None}
        node = r
        while node is not None:
            if node["level"] in expected:
                expected[node["level"]] = node["code"]
            node = by_code.get(node["parent_code"])
        assert r["county_code"] == expected["county"]
        assert r["township_code"] == expected["township"]
        assert r["village_code"] == expected["village"]
    city = by_code["450800"]
    assert (city["county_code"], city["township_code"], city["village_code"]) == (None, None, None)


def test_grids_per_village(gangbei):
    kids = _children(gangbei)
    for v in (r for r in gangbei if r["level"] == "village"):
        grids = kids[v["code"]]
        lo, hi = (6, 12) if v["is_urban"] else (3, 6)
        assert lo <= len(grids) <= hi
        assert [g["code"] for g in grids] == [f"{v['code']}{i:03d}" for i in range(1, len(grids) + 1)]
        assert [g["name"] for g in grids] == [f"第{i}网格" for i in range(1, len(grids) + 1)]
        assert all(g["is_urban"] == v["is_urban"] for g in grids)


def test_is_urban_rules(gangbei):
    for r in gangbei:
        if r["level"] in ("city", "county"):
            assert r["is_urban"] is False
        elif r["level"] == "township":
            assert r["is_urban"] == r["name"].endswith("街道")
        elif r["level"] == "village":
            assert r["is_urban"] == (int(r["code"][-3:]) < 200)
    names = {r["name"]: r["is_urban"] for r in gangbei if r["level"] == "township"}
    assert names["贵城街道"] and names["港城街道"] and not names["大圩镇"]


# ----------------------------------------------------------------------------- statistics


def test_statistics_sum_up(gangbei):
    kids = _children(gangbei)
    for r in gangbei:
        if r["level"] == "grid":
            continue
        for key in ("population", "households", "enterprises"):
            assert r[key] == sum(c[key] for c in kids[r["code"]]), (r["code"], key)


def test_grid_statistics_are_plausible(gangbei):
    grids = [r for r in gangbei if r["level"] == "grid"]
    for g in grids:
        assert all(isinstance(g[k], int) for k in ("population", "households", "enterprises"))
        if g["is_urban"]:
            assert 250 <= g["households"] <= 600 and 0 <= g["enterprises"] <= 40
        else:
            assert 60 <= g["households"] <= 200 and 0 <= g["enterprises"] <= 8
        assert 2.5 <= g["population"] / g["households"] <= 3.7
    ratio = sum(g["population"] for g in grids) / sum(g["households"] for g in grids)
    assert 2.95 < ratio < 3.25


# ----------------------------------------------------------------------------- geometry


def test_geometry_is_valid_rounded_geojson(gangbei, shapes):
    for r in gangbei:
        gj = json.loads(r["geometry"])
        assert gj["type"] in ("Polygon", "MultiPolygon")
        g = shapes[r["code"]]
        assert g.is_valid and not g.is_empty and g.area > 0, r["code"]
        xy = shapely.get_coordinates(g)
        assert np.allclose(xy, np.round(xy, 5), atol=1e-9)
        # Label point inside (5-decimal rounding may put it ~1 m off an edge).
        assert g.distance(shapely.Point(r["lon"], r["lat"])) < 2e-5, r["code"]
        assert (r["lon"], r["lat"]) == (round(r["lon"], 5), round(r["lat"], 5))


def test_full_city_geometry_is_valid(city):
    geoms = shapely.from_geojson([r["geometry"] for r in city])
    assert shapely.is_valid(geoms).all()
    assert (shapely.area(geoms) > 0).all()
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    assert 109.1 < minx and maxx < 110.8 and 22.6 < miny and maxy < 24.1  # GCJ-02, Guigang


def test_city_outline_is_union_of_counties(city):
    geoms = {r["code"]: shapely.from_geojson(r["geometry"]) for r in city if r["level"] in ("city", "county")}
    city_geom = geoms.pop("450800")
    union = shapely.union_all(list(geoms.values()))
    assert city_geom.symmetric_difference(union).area < 1e-4 * city_geom.area


def test_siblings_partition_their_parent(gangbei, shapes):
    for parent_code, kids in _children(gangbei).items():
        parent = shapes[parent_code]
        cells = [shapes[k["code"]] for k in kids]
        if parent_code == "450800":  # restricted build: one county inside the whole city
            continue
        total = sum(c.area for c in cells)
        assert abs(total - parent.area) <= 0.01 * parent.area, parent_code
        union = shapely.union_all(cells)
        assert parent.symmetric_difference(union).area <= 0.01 * parent.area, parent_code
        tree = shapely.STRtree(cells)
        left, right = tree.query(cells, predicate="intersects")
        pairs = left < right
        overlap = shapely.area(shapely.intersection(
            np.array(cells, dtype=object)[left[pairs]], np.array(cells, dtype=object)[right[pairs]]
        )).sum()
        assert overlap <= 1e-4 * parent.area, parent_code


def test_cells_are_compact(gangbei, shapes):
    # Polsby-Popper 4*pi*A/P^2: 1 for a disc; Voronoi cells sit well above 0.2.
    scores = [4 * math.pi * g.area / g.length ** 2
              for r in gangbei if r["level"] in ("township", "village", "grid")
              for g in [shapes[r["code"]]]]
    assert np.median(scores) > 0.6
    assert min(scores) > 0.1


def test_urban_townships_are_nearer_the_seat(city):
    for county in R.COUNTY_SEATS:
        sx, sy = R.seat_point(county)
        townships = [r for r in city if r["level"] == "township" and r["county_code"] == county]
        dist = lambda r: math.hypot(r["lon"] - sx, r["lat"] - sy)
        urban = [dist(r) for r in townships if r["is_urban"]]
        rural = [dist(r) for r in townships if not r["is_urban"]]
        if urban:
            assert np.mean(urban) < np.mean(rural), county


def test_seat_lies_in_an_urban_township(gangbei, shapes):
    seat = shapely.Point(R.seat_point(GANGBEI))
    holders = [r for r in gangbei if r["level"] == "township" and shapes[r["code"]].covers(seat)]
    assert holders and all(r["is_urban"] for r in holders)


def test_urban_communities_are_smaller_and_nearer(gangbei, shapes):
    sx, sy = R.seat_point(GANGBEI)
    villages = [r for r in gangbei if r["level"] == "village"]
    urban = [r for r in villages if r["is_urban"]]
    rural = [r for r in villages if not r["is_urban"]]
    mean_area = lambda rows: np.mean([shapes[r["code"]].area for r in rows])
    mean_dist = lambda rows: np.mean([math.hypot(r["lon"] - sx, r["lat"] - sy) for r in rows])
    assert mean_area(urban) < mean_area(rural) / 2
    assert mean_dist(urban) < mean_dist(rural)


# ----------------------------------------------------------------------------- API details


def test_seat_point():
    for code, (lon, lat) in R.COUNTY_SEATS.items():
        assert R.seat_point(code) == (lon, lat)
    assert R.seat_point("450802000000") == R.COUNTY_SEATS[GANGBEI]


def test_unknown_county_is_rejected():
    with pytest.raises(ValueError):
        R.build_regions(["450899"])
    with pytest.raises(ValueError):
        R.seat_point("110101")


def test_build_is_deterministic(gangbei):
    assert R.build_regions([GANGBEI]) == gangbei
    assert R.build_regions(GANGBEI) == gangbei  # a lone code string works too


def test_build_is_deterministic_across_processes(gangbei):
    # A fresh interpreter with another hash seed must give identical output.
    code = (
        "import hashlib, json; from dashboard.demo.regions import build_regions; "
        "print(hashlib.sha256(json.dumps(build_regions(['450802']), ensure_ascii=False)"
        ".encode()).hexdigest())"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == _digest(gangbei)
