"""The duty desk on both databases: the lifecycle with its audit, refusals, optimistic locking
(two officers at once: one winner), escalation, reopening, scope, the alarm list, and the
desk's callbacks under hostile payloads."""
from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import delete, insert, select, update

from data_access import warning_desk as wd
from data_access import warnings
from data_access.engine import make_engine
from data_access.schema import incident, region, warning, warning_action
from data_access.scope import OutOfScope, scope_of

from . import dashcall
from .conftest import now
from .test_warnings import _grids, _Ids, _incident

M = dt.timedelta(minutes=1)


def _raise_major(conn, at=None):
    """A planted severity-4 incident and the red warning the evaluator raises for it."""
    ids, (g, _) = _Ids(conn), _grids(conn)
    inc = _incident(conn, ids, g, severity=4, reported_at=(at or now()) - 30 * M)
    raised = [w for w in warnings.evaluate(conn, at or now(), rules=["major"]) if w["subject"]["id"] == str(inc)]
    assert len(raised) == 1
    return raised[0], inc, g


def _audit(conn, wid):
    return conn.execute(select(warning_action.c.action, warning_action.c.actor, warning_action.c.comment,
                               warning_action.c.before, warning_action.c.after)
                        .where(warning_action.c.warning_id == wid).order_by(warning_action.c.id)).all()


def test_wd001_lifecycle_with_audit(wconn):
    w, _, g = _raise_major(wconn)
    scope = scope_of(wconn, "450800")
    assert w["status"] == "new" and w["version"] == 1 and w["level"] == "red"
    a = wd.act(wconn, scope, w["id"], 1, "acknowledge", "王值班", now(), "收到，正在核实")
    assert (a["status"], a["version"], a["acknowledged_by"]) == ("acknowledged", 2, "王值班")
    b = wd.act(wconn, scope, w["id"], 2, "assign", "王值班", now() + M, "请属地处置", "西山镇综治中心")
    assert (b["status"], b["version"], b["assignee"]) == ("assigned", 3, "西山镇综治中心")
    c = wd.act(wconn, scope, w["id"], 3, "resolve", "李科长", now() + 9 * M, "现场已处置完毕")
    assert (c["status"], c["version"]) == ("resolved", 4)
    rows = _audit(wconn, w["id"])
    assert [r.action for r in rows] == ["raise", "acknowledge", "assign", "resolve"]
    assert [r.actor for r in rows] == ["system", "王值班", "王值班", "李科长"]
    assert rows[3].comment == "现场已处置完毕"
    assert json.loads(rows[2].before)["status"] == "acknowledged" and json.loads(rows[2].after) == {
        "status": "assigned", "assignee": "西山镇综治中心"}
    hist = wd.history(wconn, scope, w["id"])
    assert [h["action_name"] for h in hist] == ["系统预警", "确认", "指派", "办结"]
    # A resolved warning can be reopened by an officer, with a reason.
    d = wd.act(wconn, scope, w["id"], 4, "reopen", "李科长", now() + 20 * M, "群众反映仍未解决")
    assert d["status"] == "acknowledged" and d["version"] == 5


def test_wd002_refusals(wconn):
    w, _, _ = _raise_major(wconn)
    scope = scope_of(wconn, "450800")
    cases = [("resolve", "王", "", None), ("dismiss", "王", "  ", None), ("assign", "王", "x", ""),
             ("acknowledge", "", "x", None), ("acknowledge", "王", "长" * 501, None), ("delete", "王", "x", None),
             ("reopen", "王", "仍存在", None)]
    for action, actor, comment, assignee in cases:
        with pytest.raises(wd.ActionRefused):
            wd.act(wconn, scope, w["id"], 1, action, actor, now(), comment, assignee)
    for bad_id in (0, -1, "1", None, True, 10**12):
        with pytest.raises(wd.WarningNotFound):
            wd.act(wconn, scope, bad_id, 1, "acknowledge", "王", now())
    assert [r.action for r in _audit(wconn, w["id"])] == ["raise"]  # nothing was written
    wd.act(wconn, scope, w["id"], 1, "acknowledge", "王", now())
    with pytest.raises(wd.ActionRefused):  # right version, wrong state
        wd.act(wconn, scope, w["id"], 2, "acknowledge", "王", now())


def test_wd003_stale_version_is_a_conflict(wconn):
    w, _, _ = _raise_major(wconn)
    scope = scope_of(wconn, "450800")
    wd.act(wconn, scope, w["id"], 1, "acknowledge", "甲", now())
    with pytest.raises(wd.Conflict) as err:
        wd.act(wconn, scope, w["id"], 1, "dismiss", "乙", now(), "误报")
    assert err.value.current["status"] == "acknowledged" and "甲" in str(err.value)
    assert [r.actor for r in _audit(wconn, w["id"])] == ["system", "甲"]


def test_wd004_two_officers_at_once_one_wins(db_url):
    """Two connections acknowledge the same warning at the same moment: exactly one succeeds,
    the other is told; the audit has one acknowledgement."""
    eng = make_engine(db_url)
    with eng.begin() as conn:
        scope = scope_of(conn, "450800")
        g = conn.execute(select(region.c.code).where(region.c.level == "grid").order_by(region.c.code).limit(1)).scalar()
        wid = conn.execute(insert(warning).values(
            dedup_key="test:race", rule="major", level="red", region_code=g, subject_type="incident",
            subject_id="0", reason="并发测试", evidence="{}", status="new", version=1, created_at=now(),
            updated_at=now(), escalated=False)).inserted_primary_key[0]
    try:
        for _ in range(3):  # a few rounds: the race must hold every time
            with eng.begin() as conn:
                version = conn.execute(select(warning.c.version).where(warning.c.id == wid)).scalar()
                conn.execute(update(warning).where(warning.c.id == wid).values(status="new"))
            barrier, results = threading.Barrier(2), []

            def officer(name):
                try:
                    barrier.wait()
                    with eng.begin() as conn:
                        wd.act(conn, scope, wid, version, "acknowledge", name, now())
                    results.append(("ok", name))
                except wd.Conflict as exc:
                    results.append(("conflict", str(exc)))

            threads = [threading.Thread(target=officer, args=(n,)) for n in ("甲", "乙")]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert sorted(r[0] for r in results) == ["conflict", "ok"], results
            winner = next(r[1] for r in results if r[0] == "ok")
            with eng.connect() as conn:
                acks = [r for r in _audit(conn, wid) if r.action == "acknowledge"]
                assert acks[-1].actor == winner
                assert conn.execute(select(warning.c.version).where(warning.c.id == wid)).scalar() == version + 1
        with eng.connect() as conn:
            assert len([r for r in _audit(conn, wid) if r.action == "acknowledge"]) == 3
    finally:
        with eng.begin() as conn:
            conn.execute(delete(warning_action).where(warning_action.c.warning_id == wid))
            conn.execute(delete(warning).where(warning.c.id == wid))
        eng.dispose()


def test_wd005_escalation_up_the_tree(wconn):
    w, _, g = _raise_major(wconn, now() - 40 * M)  # a grid's red warning, 40 minutes old, never acknowledged
    county, city = g[3], "450800"
    # An orange one 40 minutes old stays (60-minute rule); an acknowledged red one stays.
    other = _raise_major(wconn, now() - 40 * M)[0]
    acked = _raise_major(wconn, now() - 40 * M)[0]
    wconn.execute(update(warning).where(warning.c.id == other["id"]).values(level="orange"))
    wd.act(wconn, scope_of(wconn, "450800"), acked["id"], 1, "acknowledge", "王", now() - 35 * M)

    ours = {w["id"], other["id"], acked["id"]}

    def escalate(at):  # the seed's own major incidents may escalate too: look at ours
        return [(m["id"], m["escalated_to"]) for m in wd.escalate(wconn, at) if m["id"] in ours]
    assert escalate(now() - 20 * M) == [(w["id"], county)]  # 20 minutes in: one step, to the county
    assert escalate(now() - 19 * M) == []  # no step twice
    assert escalate(now()) == [(w["id"], city)]  # 40 minutes: two steps, the city
    assert escalate(now() + 10 * M) == []  # nowhere higher than the city
    row = wconn.execute(select(warning).where(warning.c.id == w["id"])).one()
    assert row.escalated and row.escalated_to == city and row.status == "new"
    steps = [r for r in _audit(wconn, w["id"]) if r.action == "escalate"]
    assert len(steps) == 2 and "升级至" in steps[1].comment
    assert wconn.execute(select(warning.c.escalated).where(warning.c.id.in_([other["id"], acked["id"]]))).scalars().all() \
        == [False, False]
    assert escalate(now() + 80 * M) == [(other["id"], city)]  # the orange one, 2 hours old: two steps


def test_wd006_closed_while_condition_holds_then_returns(wconn):
    w, inc, _ = _raise_major(wconn)
    scope = scope_of(wconn, "450800")
    wd.act(wconn, scope, w["id"], 1, "resolve", "王", now(), "已派员")
    assert warnings.evaluate(wconn, now(), rules=["major"]) == []  # still there: not raised again
    wconn.execute(update(incident).where(incident.c.id == inc).values(closed_at=now() - M))
    assert warnings.evaluate(wconn, now(), rules=["major"]) == []  # gone: marked cleared
    assert wconn.execute(select(warning.c.cleared_at).where(warning.c.id == w["id"])).scalar() is not None
    wconn.execute(update(incident).where(incident.c.id == inc).values(closed_at=None))
    back = warnings.evaluate(wconn, now(), rules=["major"])
    assert [b["id"] for b in back] == [w["id"]]  # the same warning reopens, no new row
    row = wconn.execute(select(warning).where(warning.c.id == w["id"])).one()
    assert row.status == "new" and row.cleared_at is None and row.version == 3
    assert [r.action for r in _audit(wconn, w["id"])] == ["raise", "resolve", "reopen"]


def test_wd007_scope_is_enforced(wconn):
    w, _, g = _raise_major(wconn)
    # The tiny city may have one county: a neighbouring township's officer is the outsider.
    other = wconn.execute(select(region.c.code).where(region.c.level == "township", region.c.code != g[2])
                          .order_by(region.c.code).limit(1)).scalar()
    outsider = scope_of(wconn, other)
    with pytest.raises(OutOfScope):
        wd.get(wconn, outsider, w["id"])
    with pytest.raises(OutOfScope):
        wd.act(wconn, outsider, w["id"], 1, "acknowledge", "外县", now())
    with pytest.raises(OutOfScope):
        wd.focus(wconn, outsider, w["id"], now())
    assert w["id"] not in [x["id"] for x in wd.queue(wconn, outsider, None, now())]
    assert w["id"] not in [x["id"] for x in wd.alarms(wconn, outsider, None, now())]
    assert [r.action for r in _audit(wconn, w["id"])] == ["raise"]


def test_wd008_alarms_are_unacknowledged_red_and_orange(wconn):
    w, _, g = _raise_major(wconn)
    scope = scope_of(wconn, "450800")
    in_grid = {a["id"] for a in wd.alarms(wconn, scope, g[0], now())}
    assert w["id"] in in_grid
    assert all(a["level"] in ("red", "orange") and a["status"] == "new" for a in wd.alarms(wconn, scope, None, now()))
    wd.act(wconn, scope, w["id"], 1, "acknowledge", "王", now())
    assert w["id"] not in {a["id"] for a in wd.alarms(wconn, scope, g[0], now())}


def test_wd009_focus_masks_people(wconn):
    w, inc, g = _raise_major(wconn)
    f = wd.focus(wconn, scope_of(wconn, "450800"), w["id"], now())
    assert [i["id"] for i in f["incidents"]] == [inc] and f["region"].code == g[0]
    assert f["workers"] and f["workers"][0]["grid_code"] == g[0]  # its own grid's workers first
    assert all("*" in x["name"] and "****" in (x["phone"] or "****") for x in f["workers"])
    assert {feat["id"] for feat in f["geojson"]["features"]} >= {g[0]}


HOSTILE = [None, 1, "1", [1], {"id": "1"}, {"id": -5}, {"id": 10**15}, {"id": True}, {"id": 1.5},
           {"id": "<script>alert(1)</script>"}, "x" * 5000]


def test_wd010_desk_callbacks_refuse_hostile_payloads(client, app):
    act = dashcall.find(app, "warn-feedback.children")
    queue = dashcall.find(app, "warn-queue.children")
    show = dashcall.find(app, "warn-detail.children")
    alarm = dashcall.find(app, "alarm-banner.children")
    for current in HOSTILE:
        r = dashcall.call(client, app, act, [1, None, None, None, None],
                          [current, "x", "y", 0], changed="warn-ack.n_clicks")
        assert r.status_code in (200, 204), (current, r.status_code)
        assert b"Traceback" not in r.data
        r = dashcall.call(client, app, show, [current, 1, 0])
        assert r.status_code in (200, 204) and b"Traceback" not in r.data
    for levels, rules, status in [("red", None, "open"), (["purple"], None, "open"), (["red"], ["x; drop"], "open"),
                                  (["red"], None, "closed"), ([1], None, "open"), (["red"], "overdue", ["open"])]:
        r = dashcall.call(client, app, queue, [1, levels, rules, status, 0, None], ["?region=450800"])
        assert r.status_code == 200 and "无效".encode() in r.data, (levels, rules, status)
    for search in ("?region=999999", "?region=%27%20or%201=1", "?region=" + "9" * 600, None):
        r = dashcall.call(client, app, alarm, [1, "/", search, None, None], [None])
        assert r.status_code in (200, 204)
    r = dashcall.call(client, app, alarm, [1, "/", "?region=450800", ["x"], "y"], [[1]])
    assert r.status_code in (200, 204)
