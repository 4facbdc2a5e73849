"""The rollups' reconciler (issue #17 item 2): settled rows updated (re-categorised, moved to
another grid, re-timed) or deleted in the shared tables reach every figure after one
`rollups.reconcile` pass, on SQLite and PostgreSQL; an unchanged database re-derives nothing."""
from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import and_, delete, func, inspect, select, update

from data_access import briefing, incidents, metrics, rollups, warnings
from data_access.schema import app_meta, appeal, incident, patrol, region
from data_access.scope import scope_of
from data_access.timeutil import local_day

from . import oracle
from .conftest import copy_sqlite, now

NOTHING = {"rollup_incident_day": 0, "rollup_appeal_day": 0, "patrol_cells": 0, "rollup_patrol_last": 0}


def _redone(result: dict) -> dict:
    return {k: result[k] for k in NOTHING}


def _day(days_back: int) -> dt.date:
    return local_day(now()) - dt.timedelta(days=days_back)


def _codes(conn):
    """The city, a county and a township holding rows (the first of each)."""
    county = conn.execute(select(region.c.code).where(region.c.level == "county").order_by(region.c.code)).scalar()
    town = conn.execute(select(region.c.code).where(region.c.level == "township", region.c.county_code == county)
                        .order_by(region.c.code)).scalar()
    return ["450800", county, town]


def _figures(conn, codes, at):
    """Every figure the issue names: KPIs, trends, warning candidates and the briefing."""
    scope = scope_of(conn, "450800")
    out = {}
    for code in codes:
        out[f"summary {code}"] = metrics.summary(conn, scope, code, at)
        out[f"trend {code}"] = incidents.daily_trend(conn, scope, code, at)
    out["candidates"] = warnings.candidates(conn, at)
    week = briefing.last_complete_week(at)
    out["briefing"] = briefing.report(conn, scope, "450800", week, at)
    out["briefing county"] = briefing.report(conn, scope, codes[1], week, at)
    return out


def _raw_figures(conn, codes, at):
    """The same with the rollups hidden (the horizon key gone), inside a savepoint."""
    with conn.begin_nested() as sp:
        conn.execute(delete(app_meta).where(app_meta.c.key == rollups.HORIZON_KEY))
        assert rollups.horizon(conn) is None
        out = _figures(conn, codes, at)
        sp.rollback()
    assert rollups.horizon(conn) is not None
    return out


def _assert_same(conn, codes, at, what):
    a, b = _figures(conn, codes, at), _raw_figures(conn, codes, at)
    for key in a:
        assert a[key] == b[key], f"{what}: {key} differs"
    # And an independent recount (tests/oracle.py) of the city's KPIs.
    told = oracle.summary(conn, "city", "450800", at)
    assert {k: a["summary 450800"][k] for k in told} == told, what


def _valid_incidents(conn, day: dt.date, limit: int):
    """Valid closed incidents of `day`, each of another township and none of the township a moved
    row goes to (the last grid's): the cells they touch are distinct whatever the seed drew."""
    g = region.alias("g")
    last = conn.execute(select(region.c.township_code).where(region.c.level == "grid")
                        .order_by(region.c.code.desc()).limit(1)).scalar()
    rows = conn.execute(
        select(incident.c.id, incident.c.township_code).select_from(incident.join(g, and_(
            g.c.code == incident.c.grid_code, g.c.level == "grid", g.c.village_code == incident.c.village_code,
            g.c.township_code == incident.c.township_code, g.c.county_code == incident.c.county_code)))
        .where(incident.c.reported_at >= rollups._start(day),
               incident.c.reported_at < rollups._start(day + dt.timedelta(days=1)),
               incident.c.closed_at.isnot(None), incident.c.township_code != last)
        .order_by(incident.c.id)).all()
    seen: dict = {}
    for wid, township in rows:
        seen.setdefault(township, wid)
    return sorted(seen.values())[:limit]


def _blind(conn, at) -> set:
    return {c["subject_id"] for c in warnings.candidates(conn, at, rules=["blind_spot"])}


def test_rec001_unchanged_database_re_derives_nothing(wconn):
    """After a build (the seed's path) and after the catch-up settles new days: 0 cells."""
    rollups.rebuild(wconn, now())
    assert _redone(rollups.reconcile(wconn, now())) == NOTHING
    later = now() + dt.timedelta(days=2)
    rollups.catch_up(wconn, later)
    assert _redone(rollups.reconcile(wconn, later)) == NOTHING
    assert _redone(rollups.reconcile(wconn, later, days=400)) == NOTHING


def test_rec002_updates_and_deletions_reach_every_figure(wconn):
    conn, at = wconn, now()
    rollups.rebuild(conn, at)  # a known start (other tests may have written into the shared fixture)
    codes = _codes(conn)
    moved, recategorised, retimed, deleted = _valid_incidents(conn, _day(3), 4)
    # A settled incident's grid corrected to a grid of another township (and county, if any).
    old = conn.execute(select(incident.c.township_code).where(incident.c.id == moved)).scalar()
    target = conn.execute(select(region.c.code, region.c.village_code, region.c.township_code, region.c.county_code)
                          .where(region.c.level == "grid", region.c.township_code != old)
                          .order_by(region.c.code.desc())).first()
    conn.execute(update(incident).where(incident.c.id == moved).values(
        grid_code=target[0], village_code=target[1], township_code=target[2], county_code=target[3]))
    # Re-categorised (no rollup holds the category: the figures read it from the raw rows).
    cat = conn.execute(select(incident.c.category).where(incident.c.id == recategorised)).scalar()
    conn.execute(update(incident).where(incident.c.id == recategorised)
                 .values(category="其他" if cat != "其他" else "矛盾纠纷"))
    # Its time changed: reported two days earlier, closed the same day it was reported.
    was = conn.execute(select(incident.c.reported_at).where(incident.c.id == retimed)).scalar()
    conn.execute(update(incident).where(incident.c.id == retimed).values(
        reported_at=was - dt.timedelta(days=2), closed_at=was - dt.timedelta(days=2, minutes=-30)))
    conn.execute(delete(incident).where(incident.c.id == deleted))
    # A grid's patrols of its last five settled days (and today's) deleted: a blind spot now.
    recent = conn.execute(select(rollups.rollup_patrol_last.c.grid_code)
                          .where(rollups.rollup_patrol_last.c.last_at >= rollups._start(_day(1)))
                          .order_by(rollups.rollup_patrol_last.c.grid_code)).scalars().all()
    blind_before = _blind(conn, at)
    grid = next(g for g in recent if g not in blind_before)
    gone = conn.execute(delete(patrol).where(patrol.c.grid_code == grid,
                                             patrol.c.started_at >= rollups._start(_day(5)))).rowcount
    assert gone > 0
    # Appeals of one township's settled day deleted.
    town = codes[2]
    gone = conn.execute(delete(appeal).where(appeal.c.township_code == town,
                                             appeal.c.received_at >= rollups._start(_day(2)),
                                             appeal.c.received_at < rollups._start(_day(1)))).rowcount
    assert gone > 0

    # Before the reconcile the rollups are stale: the blind spot is missed, the trends differ.
    assert grid not in _blind(conn, at)
    assert _figures(conn, codes, at) != _raw_figures(conn, codes, at)

    result = rollups.reconcile(conn, at)
    assert result["rollup_incident_day"] >= 4  # moved: two cells; re-timed: two; deleted: one
    assert result["rollup_appeal_day"] >= 1
    assert result["patrol_cells"] >= 1 and result["rollup_patrol_last"] >= 1
    assert grid in _blind(conn, at)  # the blind-spot rule raises it now
    _assert_same(conn, codes + [target[3], target[2]], at, "after reconcile")
    assert _redone(rollups.reconcile(conn, at)) == NOTHING  # and it is settled: nothing again


def test_rec003_a_moved_row_re_derives_both_cells_only(wconn):
    """A re-timed appeal: its old and its new (day, township) cell, nothing else."""
    conn, at = wconn, now()
    rollups.rebuild(conn, at)
    row = conn.execute(select(appeal.c.id, appeal.c.township_code).where(
        appeal.c.received_at >= rollups._start(_day(4)), appeal.c.received_at < rollups._start(_day(3)))
        .order_by(appeal.c.id)).first()
    was = conn.execute(select(appeal.c.received_at).where(appeal.c.id == row[0])).scalar()
    conn.execute(update(appeal).where(appeal.c.id == row[0]).values(received_at=was - dt.timedelta(days=2)))
    assert _redone(rollups.reconcile(conn, at)) == {**NOTHING, "rollup_appeal_day": 2}


def test_rec004_changes_outside_the_window_wait_for_a_wider_pass(wconn):
    conn, at = wconn, now()
    rollups.rebuild(conn, at)
    gone = conn.execute(delete(appeal).where(appeal.c.received_at >= rollups._start(_day(9)),
                                             appeal.c.received_at < rollups._start(_day(8)))).rowcount
    assert gone > 0
    assert _redone(rollups.reconcile(conn, at, days=5)) == NOTHING
    assert rollups.reconcile(conn, at, days=10)["rollup_appeal_day"] > 0


def test_rec005_database_built_before_the_checksums(wconn):
    """Rollups an older version built (no rollup_check table): the first pass creates it and
    re-derives the window's cells once; then the figures are right and the next pass is empty."""
    conn, at = wconn, now()
    rollups.rebuild(conn, at)
    conn.execute(rollups.rollup_check.delete())
    conn.exec_driver_sql("DROP TABLE rollup_check")
    assert "rollup_check" not in inspect(conn).get_table_names()
    conn.execute(delete(appeal).where(appeal.c.received_at >= rollups._start(_day(2)),
                                      appeal.c.received_at < rollups._start(_day(1))))
    first = rollups.reconcile(conn, at)
    assert first["rollup_incident_day"] > 0 and first["rollup_appeal_day"] > 0 and first["patrol_cells"] > 0
    _assert_same(conn, _codes(conn), at, "first pass")
    assert _redone(rollups.reconcile(conn, at)) == NOTHING


def test_rec006_create_schema_adds_the_checksum_table(sqlite_url, tmp_path):
    from data_access.engine import create_schema, make_engine
    eng = make_engine(copy_sqlite(sqlite_url, tmp_path / "old.db"))
    with eng.begin() as conn:
        conn.exec_driver_sql("DROP TABLE rollup_check")
    create_schema(eng)
    assert "rollup_check" in inspect(eng).get_table_names()
    with eng.begin() as conn:
        assert rollups.reconcile(conn, now())["rollup_incident_day"] > 0  # once
        assert _redone(rollups.reconcile(conn, now())) == NOTHING
    eng.dispose()


def test_rec007_reconcile_engine_runs_under_the_lease_and_its_period(sqlite_url, tmp_path):
    from data_access.engine import make_engine
    eng = make_engine(copy_sqlite(sqlite_url, tmp_path / "lease.db"))
    first = rollups.reconcile_engine(eng, now(), "host:1", 600, every=3600)
    assert first is not None and "rollup_incident_day" in first
    assert rollups.reconcile_engine(eng, now(), "host:2", 600, every=3600) is None  # another holds it
    assert rollups.reconcile_engine(eng, now(), "host:1", 600, every=3600) == {"due": False}
    assert rollups.reconcile_engine(eng, now(), "host:1", 600, every=0) is not None  # by hand: always
    eng.dispose()


def test_rec008_the_scheduler_thread_reconciles(sqlite_url, tmp_path):
    """The app's scheduler thread: a deleted settled appeal day is reflected without a by-hand pass."""
    from dashboard import scheduler
    from data_access.engine import make_engine
    eng = make_engine(copy_sqlite(sqlite_url, tmp_path / "thread.db"))
    with eng.begin() as conn:
        conn.execute(delete(app_meta).where(app_meta.c.key.in_([rollups.RECONCILED_KEY, "lease.rollups"])))
        conn.execute(delete(appeal).where(appeal.c.received_at >= rollups._start(_day(2)),
                                          appeal.c.received_at < rollups._start(_day(1))))
    stop = scheduler.start(eng, 1, reconcile_seconds=3600)
    try:
        deadline, done = time.time() + 120, None
        while time.time() < deadline and done is None:
            time.sleep(0.5)
            with eng.connect() as conn:
                done = conn.execute(select(app_meta.c.value).where(app_meta.c.key == rollups.RECONCILED_KEY)).scalar()
    finally:
        stop.set()
    assert done is not None
    with eng.connect() as conn:
        n = conn.execute(select(func.coalesce(func.sum(rollups.rollup_appeal_day.c.appeals), 0))
                         .where(rollups.rollup_appeal_day.c.day == _day(2).isoformat())).scalar()
        assert n == 0
    eng.dispose()
