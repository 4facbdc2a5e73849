"""Rollups (issue #6) give the raw answers: random regions and moments on SQLite and PostgreSQL,
back-dated rows, settling a day, late closings, incremental equal to a rebuild."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import delete, func, insert, select, update

from data_access import incidents, metrics, patrols, rollups
from data_access.schema import app_meta, appeal, incident, patrol, region, visit
from data_access.scope import resolve

from .conftest import now


def _answers(conn, scope, code, at):
    r = resolve(conn, scope, code)
    return {
        "appeals": metrics.appeal_counts(conn, r, at),
        "appeals_by_child": metrics.appeal_counts(conn, r, at, by_child=True),
        "visits": metrics.visit_counts(conn, r, at),
        "summary": metrics.summary(conn, scope, code, at),
        "children": metrics.by_child(conn, scope, code, at),
        "trend30": incidents.daily_trend(conn, scope, code, at),
        "trend7": incidents.daily_trend(conn, scope, code, at, days=7),
        "last_patrols": patrols.last_patrols(conn, r, at),
        "coverage": patrols.coverage(conn, scope, code, at),
        "visits_by_category": patrols.visits_by_category(conn, scope, code, at),
    }


def _raw_answers(conn, scope, code, at):
    """The same questions with the rollups hidden (the horizon key gone), inside a savepoint."""
    with conn.begin_nested() as sp:
        conn.execute(delete(app_meta).where(app_meta.c.key == rollups.HORIZON_KEY))
        assert rollups.horizon(conn) is None
        out = _answers(conn, scope, code, at)
        sp.rollback()
    assert rollups.horizon(conn) is not None  # back for the next rollup-based answer
    return out


def _regions(conn, rng, n_each=2):
    codes = ["450800"]
    for level in ("county", "township"):
        pool = list(conn.execute(select(region.c.code).where(region.c.level == level).order_by(region.c.code))
                    .scalars())
        codes += rng.sample(pool, min(n_each, len(pool)))
    return codes


def _assert_same(a, b, what):
    for key in a:
        assert a[key] == b[key], f"{what}: {key} differs"


def test_roll001_rollups_equal_raw_on_random_regions_and_moments(engine, city_scope):
    rng = random.Random(6)
    with engine.connect() as conn, conn.begin():
        assert rollups.horizon(conn) is not None  # the seed built them
        codes = _regions(conn, rng)
        moments = [now(), now() - dt.timedelta(hours=rng.randint(1, 15))] + [
            now() - dt.timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
            for _ in range(2)]
        if True:
            for code in codes:
                for at in moments:
                    _assert_same(_answers(conn, city_scope, code, at), _raw_answers(conn, city_scope, code, at),
                                 f"{code} at {at}")


def test_roll002_the_rollups_are_really_read(engine):
    """The settled days come from the rollup tables: change a cell and the answer follows."""
    with engine.connect() as conn, conn.begin() as tx:
        r = resolve(conn, rollups_scope(conn), "450800")
        day = (now() - dt.timedelta(days=3)).astimezone(rollups.SHANGHAI).date().isoformat()
        before = {p["day"]: p for p in incidents.daily_trend(conn, rollups_scope(conn), "450800", now())}[day]
        town = conn.execute(select(rollups.rollup_incident_day.c.township_code)
                            .where(rollups.rollup_incident_day.c.day == day)).scalars().first()
        conn.execute(update(rollups.rollup_incident_day)
                     .where(rollups.rollup_incident_day.c.day == day,
                            rollups.rollup_incident_day.c.township_code == town)
                     .values(reported=rollups.rollup_incident_day.c.reported + 1000))
        after = {p["day"]: p for p in incidents.daily_trend(conn, rollups_scope(conn), "450800", now())}[day]
        assert after["reported"] == before["reported"] + 1000
        assert r.level == "city"
        tx.rollback()


def rollups_scope(conn):
    from data_access.scope import scope_of
    return scope_of(conn, "450800")


def _grid(conn, rng):
    rows = conn.execute(select(region.c.code, region.c.village_code, region.c.township_code, region.c.county_code)
                        .where(region.c.level == "grid").order_by(region.c.code)).all()
    return rng.choice(rows)


def _back_dated_rows(conn, rng, at):
    """One incident (closed the same day), one appeal, one patrol and one visit, days ago."""
    g = _grid(conn, rng)
    where = {"grid_code": g[0], "village_code": g[1], "township_code": g[2], "county_code": g[3]}
    when = at - dt.timedelta(days=4, hours=2)
    top = {t.name: conn.execute(select(func.max(t.c.id))).scalar() or 0 for t in (incident, appeal, patrol, visit)}
    conn.execute(insert(incident).values(
        id=top["incident"] + 1, source="hotline_12345", source_ref="T-ROLL-1", category="其他", severity=1,
        title="回填", reported_at=when, closed_at=when + dt.timedelta(hours=1),
        sla_due_at=when + dt.timedelta(hours=72), status="closed", handling_level="grid", **where))
    conn.execute(insert(appeal).values(id=top["appeal"] + 1, channel="wechat", received_at=when, topic="其他",
                                       sentiment=-0.5, satisfaction=2, **where))
    conn.execute(insert(patrol).values(id=top["patrol"] + 1, worker_id=1, started_at=when,
                                       ended_at=when + dt.timedelta(minutes=30), distance_m=100, issues_found=0,
                                       **where))
    person = conn.execute(select(func.min(visit.c.key_person_id))).scalar()
    conn.execute(insert(visit).values(id=top["visit"] + 1, key_person_id=person, worker_id=1, visited_at=when))
    return g


def test_roll003_back_dated_rows_are_caught_up(engine, city_scope):
    rng = random.Random(3)
    with engine.connect() as conn, conn.begin() as tx:
        g = _back_dated_rows(conn, rng, now())
        result = rollups.catch_up(conn, now())
        assert result["back_dated"], result  # the day the rows landed in was re-derived
        for code in ("450800", g[3], g[2]):
            _assert_same(_answers(conn, city_scope, code, now()), _raw_answers(conn, city_scope, code, now()),
                         f"back-dated {code}")
        tx.rollback()


def test_roll004_stale_rollups_without_catch_up_would_differ(engine, city_scope):
    """The comparison can fail: back-dated rows without a catch-up leave the rollup behind."""
    rng = random.Random(4)
    with engine.connect() as conn, conn.begin() as tx:
        g = _back_dated_rows(conn, rng, now())
        a = _answers(conn, city_scope, g[2], now())
        b = _raw_answers(conn, city_scope, g[2], now())
        assert a["trend30"] != b["trend30"]
        tx.rollback()


def _cells(conn):
    return {t.name: sorted(tuple(row) for row in conn.execute(select(t))) for t in rollups.TABLES}


def test_roll005_settling_days_incrementally_equals_a_rebuild(engine, city_scope):
    """Two days pass: the catch-up settles them (and re-derives the grace days, catching a
    late closing); the tables then equal a full rebuild at the same moment."""
    later = now() + dt.timedelta(days=2)
    with engine.connect() as conn, conn.begin() as tx:
        # A closing written late: an incident reported yesterday, closed yesterday, written now.
        day_before = now() - dt.timedelta(days=1)
        victim = conn.execute(select(incident.c.id).where(
            incident.c.reported_at >= day_before - dt.timedelta(hours=3), incident.c.reported_at < day_before,
            incident.c.closed_at.is_(None)).order_by(incident.c.id)).scalars().first()
        if victim is not None:
            conn.execute(update(incident).where(incident.c.id == victim)
                         .values(closed_at=day_before + dt.timedelta(minutes=5), status="closed"))
        result = rollups.catch_up(conn, later)
        assert len(result["settled"]) == 2
        assert rollups.horizon(conn) == later.astimezone(rollups.SHANGHAI).date()
        incremental = _cells(conn)
        rollups.rebuild(conn, later)
        assert _cells(conn) == incremental
        for code in ("450800", "450802"):
            _assert_same(_answers(conn, city_scope, code, later), _raw_answers(conn, city_scope, code, later),
                         f"settled {code}")
        tx.rollback()


def test_roll006_one_process_at_a_time(engine):
    """The scheduler's pass runs under a lease: a second holder gets None while the first holds it."""
    at = now()
    first = rollups.catch_up_engine(engine, at, "test-a", 600)
    second = rollups.catch_up_engine(engine, at, "test-b", 600)
    assert first is not None and second is None
    with engine.begin() as conn:  # let others (and the next run) take it
        conn.execute(delete(app_meta).where(app_meta.c.key == "lease.rollups"))


@pytest.mark.parametrize("level", ["village", "grid"])
def test_roll007_below_township_reads_raw_rows(engine, city_scope, level):
    with engine.connect() as conn, conn.begin():
        code = conn.execute(select(region.c.code).where(region.c.level == level).order_by(region.c.code)).scalar()
        if code:
            _assert_same(_answers(conn, city_scope, code, now()), _raw_answers(conn, city_scope, code, now()),
                         f"{level} {code}")


def test_roll008_one_pass_over_children_equals_the_two_calls(engine, city_scope):
    """The overview and the incident view count once by child and sum for the region."""
    rng = random.Random(8)
    with engine.connect() as conn, conn.begin():
        codes = _regions(conn, rng) + [conn.execute(select(region.c.code).where(region.c.level == lvl)
                                                     .order_by(region.c.code)).scalar()
                                        for lvl in ("village", "grid")]
        for code in codes:
            for at in (now(), now() - dt.timedelta(days=2, hours=3)):
                head, kids = metrics.summary_and_children(conn, city_scope, code, at)
                assert head == metrics.summary(conn, city_scope, code, at), code
                assert kids == metrics.by_child(conn, city_scope, code, at), code
                k, c = incidents.kpis_and_children(conn, city_scope, code, at)
                assert k == incidents.kpis(conn, city_scope, code, at), code
                assert c == incidents.children(conn, city_scope, code, at), code
                cats = patrols.visits_by_category(conn, city_scope, code, at)
                assert patrols.coverage(conn, city_scope, code, at, categories=cats) == \
                    patrols.coverage(conn, city_scope, code, at), code
