"""The incident ticker against an independent pandas reading of the raw rows, on both databases:
the newest 15 of the last 3 days, whether the first 6-hour look finds enough or not."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select

from data_access import ticker
from data_access.schema import incident, region

from . import oracle
from .conftest import now


def _want(conn, level: str, code: str, at: dt.datetime, limit: int = 15) -> list[int]:
    ts = pd.Timestamp(at)
    g = oracle.grids(conn)
    inc = oracle.located(oracle.table(conn, "incident"), g, level, code)
    inc = inc[inc.reported_at.notna() & (inc.reported_at <= ts) & (inc.reported_at >= ts - pd.Timedelta(days=3))]
    inc = inc[~(inc.closed_at.notna() & (inc.closed_at < inc.reported_at))]
    first = oracle.table(conn, "incident").sort_values("id").drop_duplicates(["source", "source_ref"]).id
    inc = inc[inc.id.isin(first)]
    return inc.sort_values(["reported_at", "id"], ascending=False).id.head(limit).tolist()


def test_tick002_newest_fifteen_match_the_raw_rows(conn, city_scope):
    at = now()
    county = conn.execute(select(region.c.code).where(region.c.level == "county").order_by(region.c.code)).scalar()
    town = conn.execute(select(incident.c.township_code).group_by(incident.c.township_code)
                        .order_by(incident.c.township_code)).scalar()
    # A grid with a few incidents in the last 3 days but fewer than 15 in the last 6 hours: the wide look.
    quiet = conn.execute(select(incident.c.grid_code).where(incident.c.reported_at >= at - dt.timedelta(days=3),
                                                            incident.c.reported_at <= at)
                         .group_by(incident.c.grid_code).order_by(incident.c.grid_code)).scalar()
    cases = [("city", "450800"), ("county", county), ("township", town), ("grid", quiet)]
    for level, code in cases:
        got = [row["id"] for row in ticker.latest(conn, city_scope, code, at)]
        want = _want(conn, level, code, at)
        assert got == want, (level, code)
        assert want, (level, code)
    assert len(_want(conn, "grid", quiet, at)) < 15
    assert len(_want(conn, "city", "450800", at)) == 15
    # Another moment of the day (a quieter hour), the same rule.
    dawn = at.replace(hour=3, minute=0)
    assert [row["id"] for row in ticker.latest(conn, city_scope, "450800", dawn)] == _want(conn, "city", "450800", dawn)
