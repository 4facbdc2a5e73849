"""The data layer on real SQLite and PostgreSQL: scope, metrics against an oracle, bad rows."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from data_access import BadRegionCode, OutOfScope, RegionNotFound, grid, metrics, quality, regions
from data_access.schema import incident, region
from data_access.scope import resolve, scope_of

from . import oracle
from .conftest import now

KEYS = ["incidents_today", "closed_today", "clearance_rate_today", "open_incidents",
        "overdue_incidents", "patrol_coverage_today", "visit_on_time_rate", "appeals_today",
        "negative_share_today", "satisfaction_30d"]


def _pick(conn, level):
    return conn.execute(select(region.c.code).where(region.c.level == level)
                        .order_by(region.c.code).limit(1)).scalar()


def test_da001_region_codes_are_checked(conn, city_scope):
    for bad in ["", "abc", "4508", "450800'; DROP TABLE region;--", "4508000000000000000", None, 12]:
        if bad in ("", None):
            assert resolve(conn, city_scope, bad).code == "450800"  # default: the scope root
            continue
        with pytest.raises(BadRegionCode):
            resolve(conn, city_scope, bad)
    with pytest.raises(RegionNotFound):
        resolve(conn, city_scope, "450899")


def test_da002_scope_refuses_outside_subtree(conn):
    townships = conn.execute(select(region.c.code).where(region.c.level == "township")
                             .order_by(region.c.code).limit(2)).scalars().all()
    scope = scope_of(conn, townships[0])
    assert resolve(conn, scope, None).code == townships[0]
    with pytest.raises(OutOfScope):
        resolve(conn, scope, townships[1])
    with pytest.raises(OutOfScope):
        resolve(conn, scope, "450800")  # the parent is outside a township's subtree
    with pytest.raises(OutOfScope):
        metrics.summary(conn, scope, townships[1], now())
    village = conn.execute(select(region.c.code).where(region.c.township_code == townships[0],
                                                       region.c.level == "village").limit(1)).scalar()
    assert resolve(conn, scope, village).level == "village"


@pytest.mark.parametrize("level", ["city", "county", "township", "village", "grid"])
def test_da003_summary_matches_oracle(conn, city_scope, level):
    code = "450800" if level == "city" else _pick(conn, level)
    if level == "township":  # the busiest one, so every figure is non-trivial
        code = conn.execute(select(incident.c.township_code, func.count()).group_by(incident.c.township_code)
                            .order_by(func.count().desc()).limit(1)).first()[0]
    got = metrics.summary(conn, city_scope, code, now())
    want = oracle.summary(conn, level, code, now())
    assert {k: got[k] for k in KEYS} == want
    if level in ("city", "county", "township"):
        assert got["incidents_today"] > 0 and got["open_incidents"] > 0


@pytest.mark.parametrize("level", ["city", "county", "township", "village"])
def test_da004_children_add_up(conn, city_scope, level):
    code = "450800" if level == "city" else _pick(conn, level)
    parent = metrics.summary(conn, city_scope, code, now())
    kids = metrics.by_child(conn, city_scope, code, now())
    assert [k["code"] for k in kids] == [c.code for c in regions.children(conn, city_scope, code)]
    for key in ("incidents_today", "closed_today", "open_incidents", "overdue_incidents",
                "appeals_today", "grids_total", "grids_patrolled_today", "key_persons"):
        assert sum(k[key] for k in kids) == parent[key], key


def test_da005_bad_rows_are_counted_and_excluded(conn):
    counts = quality.bad_row_counts(conn, now())
    for table in ("incident", "patrol", "appeal"):
        assert sum(counts[table].values()) > 0, table
        assert counts[table]["unknown_grid"] > 0
    assert counts["incident"]["duplicate"] > 0
    total = conn.execute(select(func.count()).select_from(incident)).scalar()
    share = sum(counts["incident"].values()) / total
    assert 0.001 < share < 0.03  # about 0.5% planted (future rows inflate it a little)


def test_da006_replay_sees_only_the_past(conn, city_scope):
    """A row reported after `now` does not exist yet; one closed after `now` is still open."""
    import datetime as dt
    earlier = now() - dt.timedelta(hours=6)
    past = metrics.summary(conn, city_scope, "450800", earlier)
    assert {k: past[k] for k in KEYS} == oracle.summary(conn, "city", "450800", earlier)
    assert past["incidents_today"] < metrics.summary(conn, city_scope, "450800", now())["incidents_today"]


def test_da007_grid_profile_masks_personal_data(conn, city_scope):
    code = _pick(conn, "grid")
    prof = grid.profile(conn, city_scope, code, now())
    assert prof["workers"]
    raw_phones = set(conn.execute(text("SELECT phone FROM grid_worker WHERE grid_code = :g"), {"g": code}).scalars())
    for w in prof["workers"]:
        assert "*" in w["name"] and "****" in w["phone"]
        assert w["phone"] not in raw_phones
    with pytest.raises(RegionNotFound):
        grid.profile(conn, city_scope, "450800", now())


def test_da008_children_geometry_is_geojson(conn, city_scope):
    fc = regions.children_geojson(conn, city_scope, "450800")
    assert fc["type"] == "FeatureCollection"
    assert {f["id"] for f in fc["features"]} == {c.code for c in regions.children(conn, city_scope, "450800")}
    crumbs = regions.breadcrumb(conn, city_scope, _pick(conn, "grid"))
    assert [c.level for c in crumbs] == ["city", "county", "township", "village", "grid"]
