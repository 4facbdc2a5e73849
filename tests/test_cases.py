"""一事一码 (issue #16 item 2): reports of one event linked into one case, counted once as an event.

On real SQLite and PostgreSQL: a copy of the tiny city gets three days of multi-source reports from
the demo generator (the same event told by a grid worker, 12345 and 110 minutes apart), the
rollups fold them in, the linker links them; then the figures, the rollups, the officer's split
and join (audited, permission-checked) are checked against independent counts.
"""
from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from sqlalchemy import and_, func, select

from data_access import cases, incidents, load, metrics, quality, rollups
from data_access.schema import audit_log, case_action, incident, incident_case, region
from data_access.scope import NotInScope, scope_of
from data_access.timeutil import day_start, local_date

from .conftest import copy_sqlite, now, private_pg, sign_in
from .dashcall import call, find

CITY = "450800"
BATCH_DAYS = 3


def _add_reports(url: str) -> dict[int, int]:
    """Three days of incidents with the demo's repeated reports, written after the tiny city's rows;
    returns the generator's truth {extra report id: the event's first report id}."""
    from dashboard.demo.generate import City, Scale
    from data_access.engine import make_engine
    end = now()
    eng = make_engine(url)
    city = City(Scale("tiny", ("450802",), 14, extra_reports=True), 7, stream=29)
    with eng.connect() as conn:
        city.next_id = {k: v + 1 for k, v in load.max_ids(conn).items()}
        cols = city.incidents(end - dt.timedelta(days=BATCH_DAYS), end - dt.timedelta(minutes=5), end)
        load.write_columns(conn, "incident", cols)
        conn.connection.commit()  # write_columns speaks to the driver directly
    with eng.begin() as conn:
        rollups.catch_up(conn, end)  # the back-dated rows folded into the settled days
    eng.dispose()
    return dict(city.last_extra_origin)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def linked(request, sqlite_url, tmp_path_factory):
    """(url, truth, link result) of a writable tiny city with repeated reports, linked once."""
    from dashboard.cases import link
    from data_access.engine import create_own_tables, make_engine
    if request.param == "sqlite":
        url = copy_sqlite(sqlite_url, tmp_path_factory.mktemp("cases") / "cases.db")
        ctx = None
    else:
        ctx = private_pg("redgrid_cases")
        url = ctx.__enter__()
    try:
        truth = _add_reports(url)
        eng = make_engine(url)
        create_own_tables(eng)
        result = link.link(eng, now())
        eng.dispose()
        yield url, truth, result
    finally:
        if ctx is not None:
            ctx.__exit__(None, None, None)


@pytest.fixture()
def lconn(linked):
    from data_access.engine import make_engine
    eng = make_engine(linked[0])
    with eng.connect() as c:
        yield c
    eng.dispose()


def _secondaries_today(conn) -> int:
    """Independently: today's valid reports that are in a case whose primary is another report."""
    g = region.alias("g")
    c = incident.c
    joined = incident.join(g, and_(g.c.code == c.grid_code, g.c.level == "grid", g.c.village_code == c.village_code,
                                   g.c.township_code == c.township_code, g.c.county_code == c.county_code))
    joined = joined.join(incident_case, incident_case.c.incident_id == c.id)
    return conn.execute(select(func.count()).select_from(joined).where(
        quality.incident_ok(now()), c.reported_at >= day_start(now()),
        incident_case.c.primary_id != c.id)).scalar()


# --- the labelled pairs and the chosen measure ------------------------------------------------

def test_cas001_labelled_pairs_choose_the_measure_and_meet_the_targets():
    from dashboard.cases import evaluate, link
    with open(evaluate.PAIRS, encoding="utf-8") as f:
        pairs = list(csv.DictReader(f))
    assert len(pairs) >= 300
    assert {p["split"] for p in pairs} == {"tune", "heldout"}
    assert {p["label"] for p in pairs} == {"0", "1"}
    hard = [p for p in pairs if p["label"] == "0" and p["a_grid_code"] == p["b_grid_code"]
            and p["a_category"] == p["b_category"]]
    assert len(hard) >= 30  # same grid, same kind of event, minutes or hours apart: not one event
    cross = [p for p in pairs if p["label"] == "1" and p["a_source"] != p["b_source"]]
    assert len(cross) >= 100  # one event told by two different sources
    report = evaluate.run()
    chosen = report["measures"][report["chosen"]]
    assert report["chosen"] == "title_overlap" and chosen["threshold"] == link.THRESHOLD
    held = chosen["heldout"]
    assert report["heldout"] >= 150
    assert held["precision"] >= 0.95 and held["recall"] >= 0.85, held


def test_cas002_conflicting_particulars_are_two_events():
    from dashboard.cases import text
    assert text.conflict("桥头一处出租屋", "老街一处出租屋")
    assert text.conflict("居民韦某反映", "居民覃某反映")
    assert not text.conflict("村道边有渣土车", "村道边沿途抛洒泥沙")  # 村道 inside 村道边 is the same spot
    assert not text.conflict("巷子里井盖缺失", "井盖缺失，仅用树枝遮挡")  # one names no spot


# --- the linker on real databases -------------------------------------------------------------

def test_cas003_linker_joins_the_reports_of_one_event(linked, lconn):
    _url, truth, result = linked
    assert result["linked"] > 0 and result["read"] > len(truth)
    member = cases.memberships(lconn, list(truth))
    origin = lambda i: truth.get(i, i)  # noqa: E731
    right = [i for i in truth if i in member and origin(member[i]) == origin(i)]
    assert len(right) >= 0.9 * len(truth), (len(right), len(truth))
    # One primary per case, the earliest report; one code per case, AJ + the primary's day + its id.
    rows = lconn.execute(select(incident_case.c.primary_id, incident_case.c.case_code, incident.c.reported_at,
                                incident.c.id)
                         .select_from(incident_case.join(incident, incident.c.id == incident_case.c.incident_id))
                         ).all()
    by_case: dict = {}
    for r in rows:
        by_case.setdefault(r.primary_id, []).append(r)
    for primary, reports in by_case.items():
        assert len(reports) >= 2 and len({r.case_code for r in reports}) == 1
        first = min(reports, key=lambda r: (r.reported_at, r.id))
        assert first.id == primary
        assert reports[0].case_code == cases.case_code(primary, first.reported_at)
        assert reports[0].case_code.startswith("AJ") and reports[0].case_code.endswith(f"{primary:07d}")


def test_cas004_a_second_pass_reads_nothing_new(linked, lconn):
    from dashboard.cases import link
    from data_access.engine import make_engine
    before = lconn.execute(select(func.count()).select_from(incident_case)).scalar()
    eng = make_engine(linked[0])
    again = link.link(eng, now())
    eng.dispose()
    assert again["read"] == 0 and again["linked"] == 0
    assert lconn.execute(select(func.count()).select_from(incident_case)).scalar() == before


def test_cas005_events_counted_once_reports_in_the_source_mix(linked, lconn):
    from . import oracle
    scope = scope_of(lconn, CITY)
    reports = oracle.summary(lconn, "city", CITY, now())  # the oracle counts every report
    got = metrics.summary(lconn, scope, CITY, now())
    twice = _secondaries_today(lconn)
    assert twice > 0
    assert got["incidents_today"] == reports["incidents_today"] - twice
    # The source mix and the Sankey count reports: every one of today's reports is there.
    flows = incidents.flows(lconn, scope, CITY, now())
    assert sum(f["today"] for f in flows) == reports["incidents_today"]
    # The overdue list lists events: no report whose case has another primary.
    od = incidents.overdue(lconn, scope, CITY, now())
    listed = {r["id"] for r in od["rows"]}
    member = cases.memberships(lconn, listed)
    assert all(member.get(i, i) == i for i in listed)
    assert od["total"] == got["overdue_incidents"]
    assert all(r["case_code"].startswith("AJ") for r in od["rows"])


def _cells(conn) -> dict:
    return {(r.day, r.township_code): (r.reported, r.cleared_same_day, r.closed)
            for r in conn.execute(select(rollups.rollup_incident_day))}


def _fresh_cells(conn) -> dict:
    """The settled day cells derived again from the raw rows (what the rollup must hold)."""
    h = rollups.horizon(conn)
    first = dt.date.fromisoformat(min(d for d, _ in _cells(conn)))
    got = rollups._incident_cells(conn, first, h - dt.timedelta(days=1), now())
    return {k: tuple(v[1:]) for k, v in got.items()}


def _pick_case(conn, settled: bool):
    """A case of 2+ reports whose secondary lies in a settled day (or today)."""
    h = rollups.horizon(conn)
    c = incident.c
    edge = day_start(now())
    cond = c.reported_at < edge if settled else c.reported_at >= edge
    row = conn.execute(select(incident_case.c.incident_id, incident_case.c.primary_id, c.reported_at)
                       .select_from(incident_case.join(incident, c.id == incident_case.c.incident_id))
                       .where(incident_case.c.primary_id != incident_case.c.incident_id, cond)
                       .order_by(incident_case.c.incident_id)).first()
    assert row is not None and h is not None
    return row


def test_cas006_split_and_join_are_audited_and_recounted(linked):
    from data_access.engine import make_engine
    eng = make_engine(linked[0])
    scope = None
    with eng.begin() as conn:
        scope = scope_of(conn, CITY)
        assert _cells(conn) == _fresh_cells(conn)  # the linker re-derived what its links changed
        row = _pick_case(conn, settled=False)
        before = metrics.summary(conn, scope, CITY, now())["incidents_today"]
        got = cases.split(conn, scope, row.incident_id, "city_duty", "  不是同一事件   地点不同  ", now())
        assert got["before"]["primary_id"] == row.primary_id and row.incident_id in got["before"]["reports"]
        assert got["after"]["split_off"]["reports"] == [row.incident_id]
        assert cases.memberships(conn, [row.incident_id]) == {}
        assert metrics.summary(conn, scope, CITY, now())["incidents_today"] == before + 1
        audit = conn.execute(select(case_action).where(case_action.c.incident_id == row.incident_id)).all()[-1]
        assert (audit.action, audit.actor, audit.reason) == ("split", "city_duty", "不是同一事件 地点不同")
        assert row.incident_id in json.loads(audit.before)["reports"]
        assert json.loads(audit.after)["split_off"]["reports"] == [row.incident_id]
        joined = cases.join(conn, scope, row.primary_id, row.incident_id, "city_duty", "同一事件", now())
        assert row.incident_id in joined["after"]["reports"]
        assert cases.memberships(conn, [row.incident_id]) == {row.incident_id: row.primary_id}
        assert metrics.summary(conn, scope, CITY, now())["incidents_today"] == before
        assert conn.execute(select(case_action.c.action).where(case_action.c.incident_id == row.incident_id)
                            .order_by(case_action.c.id)).scalars().all()[-2:] == ["split", "join"]
    eng.dispose()


def test_cas007_a_split_in_a_settled_day_rederives_the_rollup(linked):
    from data_access.engine import make_engine
    eng = make_engine(linked[0])
    with eng.begin() as conn:
        scope = scope_of(conn, CITY)
        row = _pick_case(conn, settled=True)
        day = conn.execute(select(local_date(incident.c.reported_at), incident.c.township_code)
                           .where(incident.c.id == row.incident_id)).one()
        cell = _cells(conn)[(day[0], day[1])]
        cases.split(conn, scope, row.incident_id, "city_duty", "误合并", now())
        after = _cells(conn)
        assert after[(day[0], day[1])][0] == cell[0] + 1  # one more event reported that day
        assert after == _fresh_cells(conn)
        # The checksums were taken with the cells: the reconciler finds nothing to redo.
        redo = rollups.reconcile(conn, now(), 30)
        assert redo["rollup_incident_day"] == 0, redo
        # A link changed behind the app's back (a row removed by hand) is found by the reconciler.
        other = _pick_case(conn, settled=True)
        conn.execute(incident_case.delete().where(incident_case.c.incident_id == other.incident_id))
        redo = rollups.reconcile(conn, now(), 30)
        assert redo["rollup_incident_day"] >= 1
        assert _cells(conn) == _fresh_cells(conn)
    eng.dispose()


def test_cas008_refusals(linked):
    from data_access.engine import make_engine
    eng = make_engine(linked[0])
    with eng.connect() as conn:
        scope = scope_of(conn, CITY)
        row = _pick_case(conn, settled=False)
        with pytest.raises(cases.CaseRefused):  # a reason is required (blank, invisible characters)
            cases.split(conn, scope, row.incident_id, "city_duty", " \u200b ", now())
        with pytest.raises(cases.CaseRefused):
            cases.split(conn, scope, True, "city_duty", "x", now())
        with pytest.raises(cases.CaseRefused):
            cases.join(conn, scope, row.primary_id, row.incident_id, "city_duty", "已是同一案", now())
        lone = conn.execute(select(incident.c.id).where(
            incident.c.id.not_in(select(incident_case.c.incident_id)), incident.c.reported_at <= now(),
            incident.c.township_code == conn.execute(select(incident.c.township_code)
                                                     .where(incident.c.id == row.incident_id)).scalar())
            .limit(1)).scalar()
        with pytest.raises(cases.CaseRefused):  # nothing to split
            cases.split(conn, scope, lone, "city_duty", "x", now())
        town = conn.execute(select(incident.c.township_code).where(incident.c.id == row.incident_id)).scalar()
        elsewhere = conn.execute(select(region.c.code).where(region.c.level == "township",
                                                             region.c.code != town)).scalar()
        with pytest.raises(NotInScope):  # a report outside the officer's jurisdiction reads as unknown
            cases.split(conn, scope_of(conn, elsewhere), row.incident_id, "town_duty", "x", now())
        assert cases.memberships(conn, [row.incident_id])  # nothing changed
        conn.rollback()
    eng.dispose()


def test_cas009_desk_callbacks_permission_and_audit(linked):
    from dashboard import create_app
    from data_access.engine import make_engine
    url = linked[0]
    app = create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2})
    eng = make_engine(url)
    with eng.connect() as conn:
        row = _pick_case(conn, settled=False)
    act = find(app, "inc-case-feedback.children")
    listing = find(app, "inc-cases.children")
    leader = app.server.test_client()
    assert sign_in(leader, "city_leader").status_code == 302
    refused = call(leader, app, act, [1, 0], [row.incident_id, None, "误合并", 0], changed="inc-case-split.n_clicks")
    assert refused.status_code == 403
    duty = app.server.test_client()
    assert sign_in(duty, "city_duty").status_code == 302
    shown = call(duty, app, listing, [CITY, 0]).get_data(as_text=True)
    with eng.connect() as conn:
        case = cases.case_of(conn, scope_of(conn, CITY), row.incident_id, now())
    assert case["case_code"] in shown
    no_reason = call(duty, app, act, [1, 0], [row.incident_id, None, "", 0], changed="inc-case-split.n_clicks")
    assert "请填写原因" in no_reason.get_data(as_text=True)
    done = call(duty, app, act, [1, 0], [row.incident_id, None, "误合并：不同地点", 0],
                changed="inc-case-split.n_clicks")
    assert done.status_code == 200 and "已将报告" in done.get_data(as_text=True)
    with eng.connect() as conn:
        assert cases.memberships(conn, [row.incident_id]) == {}
        logged = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.ok)
                              .where(audit_log.c.action.in_(["case_split", "case_action"]))
                              .order_by(audit_log.c.id)).all()
        # the leader's refusal, the duty officer's missing reason, then the split itself
        assert ("city_leader", "case_action", False) in [tuple(x) for x in logged]
        assert ("city_duty", "case_split", False) in [tuple(x) for x in logged]
        assert tuple(logged[-1]) == ("city_duty", "case_split", True)
    with eng.begin() as conn:  # put the case back for any later test
        cases.join(conn, scope_of(conn, CITY), row.primary_id, row.incident_id, "city_duty", "恢复", now())
    eng.dispose()


def test_cas010_in_the_browser_a_duty_officer_splits_and_joins(dash_duo, sqlite_url, tmp_path):
    """The /incidents panel lists the case; the officer splits a report off and joins it back."""
    from dashboard import create_app
    from dashboard.cases import link
    from data_access.engine import create_own_tables, make_engine

    from .browser import click, start_signed_in
    url = copy_sqlite(sqlite_url, tmp_path / "browser.db")
    _add_reports(url)
    eng = make_engine(url)
    create_own_tables(eng)
    link.link(eng, now())
    with eng.connect() as conn:
        row = _pick_case(conn, settled=False)
        code = cases.case_of(conn, scope_of(conn, CITY), row.incident_id, now())["case_code"]
    app = create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2})
    start_signed_in(dash_duo, app, path="/incidents")
    dash_duo.wait_for_contains_text("#inc-cases", code, timeout=40)
    dash_duo.find_element("#inc-case-id").send_keys(str(row.incident_id))
    dash_duo.find_element("#inc-case-reason").send_keys("地点不同，误合并")
    click(dash_duo, "#inc-case-split")
    dash_duo.wait_for_contains_text("#inc-case-feedback", "已将报告", timeout=20)
    with eng.connect() as conn:
        assert cases.memberships(conn, [row.incident_id]) == {}
    dash_duo.find_element("#inc-case-id").clear()
    dash_duo.find_element("#inc-case-id").send_keys(str(row.primary_id))
    dash_duo.find_element("#inc-case-other").send_keys(str(row.incident_id))
    click(dash_duo, "#inc-case-join")
    dash_duo.wait_for_contains_text("#inc-case-feedback", "已合并为案件", timeout=20)
    dash_duo.wait_for_contains_text("#inc-cases", code, timeout=20)  # the list was read again
    with eng.connect() as conn:
        assert cases.memberships(conn, [row.incident_id]) == {row.incident_id: row.primary_id}
        assert [a["action"] for a in cases.actions(conn, now() - dt.timedelta(days=1))][:2] == ["join", "split"]
    eng.dispose()
