"""A queue a person can clear (issue #16 items 1 and 6), on both databases: related warnings
grouped per grid and rule, levels that follow their condition down, silences that stop the
alarm, the escalation and the push for a stated time, a silent feed raising one warning and
holding the rules that read it, and the desk's own health against an independent count."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlalchemy import delete, func, insert, select, update

from dashboard import create_app
from data_access import alert_channels, cases, warning_board, warning_desk, warning_silences, warnings
from data_access.engine import make_engine
from data_access.schema import (OPEN_WARNING_STATUSES, alert_channel, audit_log, grid_state, incident, patrol,
                                region, warning, warning_action, warning_silence)
from data_access.scope import RegionError, scope_of
from data_access.warning_rules import WarningConfig

from .browser import click, start_signed_in
from .conftest import ARTIFACTS, copy_sqlite, now
from .test_warnings import _Ids, _grids, _incident

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
CITY = "450800"


def _close_all(conn):
    conn.execute(update(warning).values(status="resolved", cleared_at=now()))


def _one(conn, key):
    return conn.execute(select(warning).where(warning.c.dedup_key == key)).one()


def _actions(conn, wid):
    return [r.action for r in conn.execute(select(warning_action.c.action).where(warning_action.c.warning_id == wid)
                                           .order_by(warning_action.c.id))]


def test_wq001_overdue_incidents_of_a_grid_are_one_warning(wconn):
    _close_all(wconn)
    ids, (g, other) = _Ids(wconn), _grids(wconn)
    # Scores (hours late × severity): 1500 orange, 500 yellow, 300 blue; one more in another grid.
    worst = _incident(wconn, ids, g, severity=3, reported_at=now() - 600 * H, sla_due_at=now() - 500 * H)
    mid = _incident(wconn, ids, g, severity=1, reported_at=now() - 600 * H, sla_due_at=now() - 500 * H)
    low = _incident(wconn, ids, g, severity=1, reported_at=now() - 400 * H, sla_due_at=now() - 300 * H)
    _incident(wconn, ids, other, severity=1, reported_at=now() - 400 * H, sla_due_at=now() - 300 * H)
    warnings.evaluate(wconn, now(), rules=["overdue"])
    w = _one(wconn, f"overdue:grid:{g.code}")
    ev = json.loads(w.evidence)
    assert (w.level, w.subject_type, w.subject_id, w.status) == ("orange", "grid", g.code, "new")
    assert set(ev["incident"]) >= {worst, mid, low} and ev["members"] >= 3
    assert f"共 {ev['members']} 项事件超期" in w.reason and f"事件#{worst}" in w.reason
    assert _one(wconn, f"overdue:grid:{other.code}").level == "blue"
    # No warning per incident any more.
    assert wconn.execute(select(func.count()).select_from(warning).where(
        warning.c.dedup_key.in_([f"overdue:{i}" for i in (worst, mid, low)]))).scalar() == 0

    # The worst one is closed: the group stays, one member fewer, its level follows down (audited).
    wconn.execute(update(incident).where(incident.c.id == worst).values(closed_at=now() - H, status="closed"))
    warnings.evaluate(wconn, now(), rules=["overdue"])
    after = _one(wconn, f"overdue:grid:{g.code}")
    assert after.id == w.id and after.level == "yellow" and after.version == w.version + 1
    assert worst not in json.loads(after.evidence)["incident"]
    assert _actions(wconn, w.id)[-1] == "downgrade"

    # A new late incident joins the acknowledged group: members change, the state does not, the
    # version stays (an officer acting on the group meanwhile is not refused), the trail says so.
    warning_desk.act(wconn, scope_of(wconn, CITY), w.id, after.version, "acknowledge", "值班员甲", now())
    acked = _one(wconn, f"overdue:grid:{g.code}")
    joined = _incident(wconn, ids, g, severity=1, reported_at=now() - 300 * H, sla_due_at=now() - 250 * H)
    warnings.evaluate(wconn, now(), rules=["overdue"])
    grown = _one(wconn, f"overdue:grid:{g.code}")
    assert grown.status == "acknowledged" and grown.version == acked.version
    assert joined in json.loads(grown.evidence)["incident"]
    assert _actions(wconn, w.id)[-1] == "members"


def test_wq002_a_level_follows_its_condition_down(wconn):
    _close_all(wconn)
    g = _grids(wconn, 1)[0]
    wconn.execute(delete(grid_state).where(grid_state.c.grid_code == g.code))
    wconn.execute(insert(grid_state).values(grid_code=g.code, mode="emergency", since=now() - 2 * H, reason="防汛"))
    warnings.evaluate(wconn, now(), rules=["emergency"])
    key = f"emergency:{g.code}:{(now() - 2 * H).isoformat()}"
    assert _one(wconn, key).level == "orange"  # a fresh switch
    later = now() + 23 * H
    warnings.evaluate(wconn, later, rules=["emergency"])
    assert _one(wconn, key).level == "yellow"  # a day on: no longer the wall's alarm
    assert _actions(wconn, _one(wconn, key).id)[-1] == "downgrade"
    # Switched off, level-following stops; with follow_down off (the old engine) it stays orange.
    _close_all(wconn)
    wconn.execute(delete(warning).where(warning.c.dedup_key == key))
    warnings.evaluate(wconn, now(), rules=["emergency"])
    warnings.evaluate(wconn, later, WarningConfig(follow_down=False), rules=["emergency"])
    assert _one(wconn, key).level == "orange"


def _red(conn):
    """A new red warning (a severity-4 incident reported ten minutes ago) in the first grid."""
    _close_all(conn)
    g = _grids(conn, 1)[0]
    inc = _incident(conn, _Ids(conn), g, severity=4, title="静默测试", reported_at=now() - dt.timedelta(minutes=10))
    raised = [w for w in warnings.evaluate(conn, now(), rules=["major"]) if w["subject"]["id"] == str(inc)]
    assert raised and raised[0]["level"] == "red"
    return g, raised[0]


def test_wq003_a_silence_stops_the_alarm_the_escalation_and_the_push_until_it_ends(wconn):
    g, w = _red(wconn)
    city = scope_of(wconn, CITY)
    alarm_ids = lambda at: [x["id"] for x in warning_desk.alarms(wconn, city, CITY, at)]  # noqa: E731
    assert w["id"] in alarm_ids(now())
    wconn.execute(insert(alert_channel).values(
        name="silence-test", kind="wecom", region_code=CITY, min_level="orange",
        target="http://127.0.0.1:9/hook", active=True, created_at=now()))
    # Every rule, in the grid's township, for an hour.
    s = warning_silences.add(wconn, city, None, g.township_code, 60, "已知停电检修，现场已处置", "值班员甲", now())
    t = now() + dt.timedelta(minutes=20)  # past the red's 15-minute escalation
    assert w["id"] not in alarm_ids(t)
    assert warning_desk.alarm_counts(wconn, city, CITY, t).get("red", 0) == 0
    assert all(m["id"] != w["id"] for m in warning_desk.escalate(wconn, t))
    assert alert_channels.plan(wconn, t) == 0
    queued = {x["id"]: x for x in warning_desk.queue(wconn, city, CITY, t)}
    assert queued[w["id"]]["silenced"] is True  # still on the desk's list, marked
    # A silence of another rule, or another township, holds nothing.
    s2 = warning_silences.add(wconn, city, "blind_spot", CITY, 60, "巡查系统升级", "值班员甲", t)
    warning_silences.cancel(wconn, city, s["id"], "值班员乙", t)
    assert w["id"] in alarm_ids(t)  # ended early: it sounds again at once
    warning_silences.cancel(wconn, city, s2["id"], "值班员乙", t)
    # A silence that simply runs out: silenced inside its hour, sounding after it.
    s3 = warning_silences.add(wconn, city, "major", g.code, 30, "网格员已在现场", "值班员甲", t)
    assert w["id"] not in alarm_ids(t + dt.timedelta(minutes=29))
    assert w["id"] in alarm_ids(t + dt.timedelta(minutes=31))
    end = t + dt.timedelta(minutes=31)
    assert [m["id"] for m in warning_desk.escalate(wconn, end)] == [w["id"]]  # its clock ran on
    assert alert_channels.plan(wconn, end) == 1
    with pytest.raises(warning_silences.SilenceRefused):
        warning_silences.cancel(wconn, city, s3["id"], "值班员乙", end)  # already over
    # Refused: no reason, a duration out of bounds, an unknown rule, a region outside the scope.
    town = scope_of(wconn, g.township_code)
    other = wconn.execute(select(region.c.code).where(region.c.level == "township",
                                                      region.c.code != g.township_code)).scalar()
    for args in ((None, g.code, 60, "  "), (None, g.code, 5, "x"), (None, g.code, 73 * 60, "x"),
                 ("no_rule", g.code, 60, "x"), (None, g.code, "60", "x")):
        with pytest.raises(warning_silences.SilenceRefused):
            warning_silences.add(wconn, city, *args, "值班员甲", now())
    with pytest.raises(RegionError):
        warning_silences.add(wconn, town, None, other, 60, "越权", "值班员甲", now())
    with pytest.raises(warning_silences.SilenceRefused):  # another township's silence: unknown to it
        warning_silences.cancel(wconn, town, s2["id"], "值班员甲", t)
    listed = warning_silences.listing(wconn, town, warnings.lookup(wconn, g.township_code), end)
    assert s2["id"] not in {x["id"] for x in listed}  # the city's silence is above the township's scope
    assert {x["id"] for x in warning_silences.listing(wconn, city, warnings.lookup(wconn, CITY), end)} >= {
        s["id"], s2["id"], s3["id"]}


def _silent_city(wconn):
    """Evaluated eleven days after the tiny city's data stops (every feed quiet)."""
    _close_all(wconn)
    return now() + 11 * D


def test_wq004_a_silent_source_is_one_warning_not_hundreds(wconn):
    at = _silent_city(wconn)
    legacy = [r for r in warnings.RULES if r != "source_silent"]
    before = warnings.candidates(wconn, at, WarningConfig(group_rules=()), legacy)
    assert sum(c["rule"] == "blind_spot" for c in before) > 300  # what a stopped feed did to the old engine
    found = warnings.candidates(wconn, at)
    silent = [c for c in found if c["rule"] == "source_silent"]
    assert len(silent) == 1 and silent[0]["level"] == "orange" and silent[0]["region_code"] == CITY
    ev = silent[0]["evidence"]
    assert {"patrol", "visit", "incident:hotline_12345", "appeal:hotline_12345"} <= set(ev["feeds"])
    assert set(ev["holds"]) == {"overdue", "surge", "blind_spot", "visit", "repeat", "barometer"}
    assert "数据源中断" in silent[0]["reason"] and "研判暂停" in silent[0]["reason"]
    held = {c["rule"] for c in found} & set(ev["holds"])
    assert held == set(), held
    assert len(found) < 30, len(found)  # the silent feed and the emergency switches, nothing else


def test_wq005_held_rules_neither_close_nor_clear_and_resume_with_the_feed(wconn):
    # A blind spot an officer has acknowledged, then the feeds stop: it stays open (held), and
    # an untouched one is not auto-resolved either.
    _close_all(wconn)
    blind = [c["region_code"] for c in warnings.candidates(wconn, now(), rules=["blind_spot"])]
    assert blind, "the tiny city has blind spots at now"
    g = wconn.execute(select(region.c.code).where(region.c.code == blind[0])).one()
    warnings.evaluate(wconn, now(), rules=["blind_spot"])
    blind = _one(wconn, f"blind_spot:{g.code}")
    assert blind.status == "new"
    at = now() + 11 * D
    warnings.evaluate(wconn, at)
    assert _one(wconn, f"blind_spot:{g.code}").status == "new"
    silent = wconn.execute(select(warning).where(warning.c.rule == "source_silent",
                                                 warning.c.status.in_(OPEN_WARNING_STATUSES))).all()
    assert len(silent) == 1
    # The patrol feed speaks again (the last hour, every grid but ours): the blind-spot rule
    # runs again there, and the silent warning no longer names patrols.
    grids = wconn.execute(select(region.c.code, region.c.village_code, region.c.township_code, region.c.county_code)
                          .where(region.c.level == "grid", region.c.code != g.code)).all()
    top = wconn.execute(select(func.max(patrol.c.id))).scalar()
    wconn.execute(insert(patrol), [
        {"id": top + i + 1, "worker_id": 1, "grid_code": c, "village_code": v, "township_code": t, "county_code": k,
         "started_at": at - dt.timedelta(minutes=30), "ended_at": at - dt.timedelta(minutes=5), "distance_m": 900,
         "issues_found": 0} for i, (c, v, t, k) in enumerate(grids)])
    found = warnings.candidates(wconn, at)
    silent = [c for c in found if c["rule"] == "source_silent"]
    assert silent and "patrol" not in silent[0]["evidence"]["feeds"]
    blind_now = {c["region_code"] for c in found if c["rule"] == "blind_spot"}
    assert blind_now == {g.code}
    # ...and, back in its verdicts, it still sees the held warning's condition: nothing reopened or closed.
    warnings.evaluate(wconn, at)
    assert _one(wconn, f"blind_spot:{g.code}").status == "new"


def test_wq006_desk_health_against_an_independent_count(wconn):
    g, w = _red(wconn)
    city = scope_of(wconn, CITY)
    deadlines = dict(WarningConfig().escalate_minutes)
    t = now() + dt.timedelta(minutes=20)
    h = warning_board.desk_health(wconn, city, CITY, t, deadlines=deadlines)
    rows = wconn.execute(select(warning.c.level, warning.c.status, warning.c.created_at, warning.c.escalated)
                         .where(warning.c.status.in_(OPEN_WARNING_STATUSES), warning.c.created_at <= t)).all()
    aware = lambda x: x if x.tzinfo else x.replace(tzinfo=dt.timezone.utc)  # noqa: E731
    late = sum(1 for r in rows if r.status == "new" and r.level in deadlines
               and (t - aware(r.created_at)).total_seconds() > deadlines[r.level] * 60)
    assert sum(h["late"].values()) == late >= 1
    assert sum(h["levels"].values()) == len(rows)
    assert len(h["escalated"]) == min(20, sum(bool(r.escalated) for r in rows))
    warning_desk.act(wconn, city, w["id"], w["version"], "acknowledge", "值班员甲", now() + dt.timedelta(minutes=6))
    h = warning_board.desk_health(wconn, city, CITY, t, deadlines=deadlines)
    assert h["ack"]["red"]["n"] >= 1 and h["ack"]["red"]["median"] is not None
    # The shift's digest of yellow and blue: what never sounds, counted.
    since = now() - 7 * D
    d = warning_board.desk_health(wconn, city, CITY, t, deadlines=deadlines, since=since)["digest"]
    raised = dict(wconn.execute(select(warning.c.level, func.count()).where(
        warning.c.level.in_(("yellow", "blue")), warning.c.created_at >= since, warning.c.created_at <= t)
        .group_by(warning.c.level)).all())
    assert d["levels"] == {"yellow": raised.get("yellow", 0), "blue": raised.get("blue", 0)}
    assert sum(d["rules"].values()) == sum(d["children"].values()) == sum(raised.values()) > 0
    warning_silences.add(wconn, city, None, CITY, 60, "演练", "值班员甲", t)
    assert warning_board.desk_health(wconn, city, CITY, t, deadlines=deadlines)["silenced"] == sum(
        1 for r in rows if r.created_at is not None)


# --- in the browser ---------------------------------------------------------------

@pytest.fixture()
def quiet_db(sqlite_url, tmp_path):
    """A new red warning, and a group of two overdue incidents in another grid."""
    url = copy_sqlite(sqlite_url, tmp_path / "silence.db")
    eng = make_engine(url)
    with eng.begin() as conn:
        g, w = _red(conn)
        other = _grids(conn, 2, township=g.township_code)[1]
        ids = _Ids(conn)
        for sev in (3, 1):
            _incident(conn, ids, other, severity=sev, reported_at=now() - 600 * H, sla_due_at=now() - 500 * H)
        warnings.evaluate(conn, now(), rules=["overdue"])
        group = _one(conn, f"overdue:grid:{other.code}")
    yield url, eng, g, w, group
    eng.dispose()


def _gone(dash_duo, selector, timeout=15):
    end = time.time() + timeout
    while time.time() < end and dash_duo.find_elements(selector):
        time.sleep(0.3)
    assert not dash_duo.find_elements(selector), f"{selector} still there"


def test_wq007_silence_grouping_and_expiry_on_the_desk(dash_duo, quiet_db):
    url, eng, g, w, group = quiet_db
    app = create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2, "ALARM_SECONDS": 1})
    start_signed_in(dash_duo, app, path=f"/warnings?region={g.township_code}")
    dash_duo.driver.set_window_size(1600, 1500)  # the whole desk, silences included, on one screen
    dash_duo.wait_for_element("#alarm-banner-body", timeout=30)
    dash_duo.wait_for_element("#warn-health .warn-health-card", timeout=30)

    # The group: one line with its member count; its detail lists the members.
    badge = dash_duo.wait_for_element(".warn-queue .warn-members", timeout=20)
    assert badge.text == f"{json.loads(group.evidence)['members']}项"
    item = next(e for e in dash_duo.find_elements(".warn-queue .list-group-item") if "共 " in e.text)
    item.click()
    dash_duo.wait_for_element(f"#warn-detail-{group.id} .warn-member-list", timeout=20)
    assert len(dash_duo.find_elements(".warn-member-list li")) == json.loads(group.evidence)["members"]

    # Silence every rule of the township for 30 minutes: the banner goes, the warning stays, marked.
    dash_duo.driver.execute_script("document.getElementById('warn-silences').scrollIntoView({block: 'center'})")
    dash_duo.select_dcc_dropdown("#warn-silence-minutes", value="30分钟")
    dash_duo.find_element("#warn-silence-reason").send_keys("现场已处置，等待部门销号")
    click(dash_duo, "#warn-silence-add")
    dash_duo.wait_for_contains_text("#warn-feedback-msg", "已静默", timeout=20)
    dash_duo.wait_for_element("#warn-silence-table", timeout=20)
    assert "生效中" in dash_duo.find_element("#warn-silence-table").text
    _gone(dash_duo, "#alarm-banner-body")
    dash_duo.wait_for_element(".warn-queue .warn-silenced", timeout=20)
    dash_duo.driver.execute_script("document.getElementById('warn-silences').scrollIntoView({block: 'end'})")
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "desk-silence.png"))

    # Thirty-one minutes later the silence has run out: the banner is back, the list says so.
    app.server.config["DASHBOARD_NOW"] = (now() + dt.timedelta(minutes=31)).isoformat()
    dash_duo.wait_for_element("#alarm-banner-body", timeout=20)
    dash_duo.wait_for_contains_text("#warn-silence-table", "已到期", timeout=20)
    _gone(dash_duo, ".warn-queue .warn-silenced")

    # A second silence, ended early by hand: the banner goes and comes back.
    dash_duo.find_element("#warn-silence-reason").send_keys("演练")
    click(dash_duo, "#warn-silence-add")
    _gone(dash_duo, "#alarm-banner-body")
    click(dash_duo, "#warn-silence-table button")
    dash_duo.wait_for_contains_text("#warn-feedback-msg", "已解除静默", timeout=20)
    dash_duo.wait_for_element("#alarm-banner-body", timeout=20)
    with eng.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log.c.action).order_by(audit_log.c.id))]
        rows = conn.execute(select(warning_silence).order_by(warning_silence.c.id)).all()
    assert actions[-3:] == ["warning_silence", "warning_silence", "warning_unsilence"]
    assert [(s.created_by, s.cancelled_by, s.rule, s.region_code) for s in rows] == [
        ("city_duty", None, None, g.township_code), ("city_duty", "city_duty", None, g.township_code)]
    assert (rows[0].ends_at - rows[0].starts_at) == dt.timedelta(minutes=30)


def test_wq008_one_quiet_feed_holds_only_the_rules_that_read_it(wconn):
    # The 12345 link stops eight hours before now; every other feed goes on.
    wconn.execute(delete(incident).where(incident.c.source == "hotline_12345", incident.c.reported_at <= now(),
                                         incident.c.reported_at > now() - 8 * H))
    found = warnings.candidates(wconn, now())
    silent = [c for c in found if c["rule"] == "source_silent"]
    assert len(silent) == 1
    ev = silent[0]["evidence"]
    assert ev["feeds"] == ["incident:hotline_12345"] and ev["holds"] == ["overdue", "surge"]
    assert "12345热线" in silent[0]["reason"] and "已 8 小时以上无新数据" in silent[0]["reason"]
    rules = {c["rule"] for c in found}
    assert "blind_spot" in rules and not rules & {"overdue", "surge"}
    # A quiet night is not a silence: the same eight hours ending at 06:00 Shanghai, when the
    # grid workers do not patrol, raise nothing about patrols.
    night = dt.datetime(2026, 11, 19, 22, 0, tzinfo=dt.timezone.utc)  # 06:00 in Shanghai
    at_night = [c for c in warnings.candidates(wconn, night, rules=["source_silent"])]
    assert all("patrol" not in c["evidence"]["feeds"] for c in at_night), at_night


def test_wq009_one_event_reported_three_times_is_one_red_warning(wconn):
    """一事一码: a major event that reached the grid app, 12345 and 110 sounds once."""
    _close_all(wconn)
    g = _grids(wconn, 1)[0]
    ids = _Ids(wconn)
    reports = [_incident(wconn, ids, g, severity=4, source=source, title=f"一事一码测试{source}",
                         reported_at=now() - dt.timedelta(minutes=m))
               for source, m in (("patrol", 40), ("hotline_12345", 35), ("police_110", 30))]
    city = scope_of(wconn, CITY)
    for other in reports[1:]:
        cases.join(wconn, city, reports[0], other, "值班员甲", "同一起事件", now())
    found = [c for c in warnings.candidates(wconn, now(), rules=["major"]) if c["region_code"] == g.code]
    assert [c["subject_id"] for c in found] == [str(reports[0])]  # through its primary report only
    # Split again by an officer: three events, three warnings.
    for other in reports[1:]:
        cases.split(wconn, city, other, "值班员甲", "核实为不同事件", now())
    found = [c for c in warnings.candidates(wconn, now(), rules=["major"]) if c["region_code"] == g.code]
    assert sorted(c["subject_id"] for c in found) == sorted(map(str, reports))
