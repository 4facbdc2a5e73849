"""Warning rules on both databases: each planted condition fires with its level and reason,
each near-miss stays quiet; dedup, reopening, the JSON API and the active_warnings KPI."""
from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from sqlalchemy import delete, func, insert, select, update

from data_access import metrics, warnings
from data_access.schema import appeal, grid_state, incident, key_person, patrol, region, visit, warning
from data_access.scope import scope_of
from data_access.warning_rules import WarningConfig

from .conftest import now

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def _grids(conn, n=2, township=None):
    q = select(region.c.code, region.c.village_code, region.c.township_code, region.c.county_code,
               region.c.name).where(region.c.level == "grid")
    if township:
        q = q.where(region.c.township_code == township)
    return conn.execute(q.order_by(region.c.code).limit(n)).all()


def _loc(g):
    return {"grid_code": g[0], "village_code": g[1], "township_code": g[2], "county_code": g[3]}


def _path(conn, code):
    """The region path by walking parents (independent of warnings._Names)."""
    parts = []
    while code:
        name, parent, level = conn.execute(select(region.c.name, region.c.parent_code, region.c.level)
                                           .where(region.c.code == code)).one()
        if level == "city":
            break
        parts.append(name)
        code = parent
    return "".join(reversed(parts))


class _Ids:
    def __init__(self, conn):
        self.conn, self.top = conn, {}

    def next(self, table):
        if table.name not in self.top:
            self.top[table.name] = self.conn.execute(select(func.max(table.c.id))).scalar() or 0
        self.top[table.name] += 1
        return self.top[table.name]


def _incident(conn, ids, g, **kw):
    i = ids.next(incident)
    values = dict(id=i, source="hotline_12345", source_ref=f"T-W-{i}", category="其他", severity=1,
                  title=f"测试事件{i}", reported_at=now() - 2 * H, sla_due_at=now() + 72 * H,
                  status="reported", handling_level="grid", **_loc(g))
    values.update(kw)
    conn.execute(insert(incident).values(**values))
    return i


def _settle(conn):
    """Rows planted on settled days reach the rollups the way the app's scheduler folds them in."""
    from data_access import rollups
    if rollups.horizon(conn) is not None:
        rollups.catch_up(conn, now())


# The rules' verdicts one record at a time; grouping them per grid is test_warn013's.
PER_ITEM = WarningConfig(group_rules=())


def _found(conn, rule, cfg=None):
    _settle(conn)
    return {c["dedup_key"]: c for c in warnings.candidates(conn, now(), cfg or PER_ITEM, rules=[rule])}


def test_warn001_overdue_incident(wconn):
    ids, (g, _) = _Ids(wconn), _grids(wconn)
    late = _incident(wconn, ids, g, severity=3, reported_at=now() - 300 * H, sla_due_at=now() - 200 * H)
    mild = _incident(wconn, ids, g, severity=1, reported_at=now() - 200 * H, sla_due_at=now() - 100 * H)
    done = _incident(wconn, ids, g, severity=4, reported_at=now() - 400 * H, sla_due_at=now() - 300 * H,
                     closed_at=now() - H)
    found = _found(wconn, "overdue")
    w = found[f"overdue:{late}"]
    assert w["level"] == "yellow"  # 200 h × 3 = 600: ≥ 480 (yellow), < 720 (orange)
    assert w["region_code"] == g[0] and w["evidence"] == {"incident": [late]}
    assert _path(wconn, g[0]) in w["reason"] and "超期 200 小时" in w["reason"] and f"#{late}" in w["reason"]
    assert f"overdue:{mild}" not in found  # 100 h × 1 = 100 < 240: near-miss
    assert f"overdue:{done}" not in found  # closed by now


def test_warn002_major_incident_is_red(wconn):
    ids, (g, _) = _Ids(wconn), _grids(wconn)
    major = _incident(wconn, ids, g, severity=4, reported_at=now() - H)
    mass = _incident(wconn, ids, g, severity=2, category="群体性事件", reported_at=now() - 3 * H)
    old = _incident(wconn, ids, g, severity=4, reported_at=now() - 30 * H)
    minor = _incident(wconn, ids, g, severity=3, reported_at=now() - H)
    closed = _incident(wconn, ids, g, severity=4, reported_at=now() - 2 * H, closed_at=now() - H)
    future = _incident(wconn, ids, g, severity=4, reported_at=now() + H)
    found = _found(wconn, "major")
    assert found[f"major:{major}"]["level"] == "red" and "重大事件" in found[f"major:{major}"]["reason"]
    assert found[f"major:{mass}"]["level"] == "red" and "群体性事件" in found[f"major:{mass}"]["reason"]
    assert _path(wconn, g[0]) in found[f"major:{major}"]["reason"]
    for i in (old, minor, closed, future):
        assert f"major:{i}" not in found


def test_warn003_surge_poisson(wconn):
    ids, (g, _) = _Ids(wconn), _grids(wconn)
    for day in range(2, 30):  # baseline: one a day for 28 days in each planted category
        for cat in ("测试激增", "测试平稳"):
            _incident(wconn, ids, g, category=cat, reported_at=now() - day * D + H)
    for k in range(9):
        _incident(wconn, ids, g, category="测试激增", reported_at=now() - (k + 1) * H)
    for k in range(4):
        _incident(wconn, ids, g, category="测试平稳", reported_at=now() - (k + 1) * H)
    found = _found(wconn, "surge")
    w = found[f"surge:{g[2]}:测试激增"]
    # P(X ≥ 9 | μ = 1) ≈ 1.1e-6: above 1e-7 (orange), below 1e-4 (yellow)
    assert w["level"] == "yellow" and w["region_code"] == g[2]
    assert 1e-6 < w["evidence"]["p"] < 1.2e-6 and len(w["evidence"]["incident"]) == 9
    assert _path(wconn, g[2]) in w["reason"] and "「测试激增」事件 9 起" in w["reason"]
    assert f"surge:{g[2]}:测试平稳" not in found  # 4 against 1/day: below the minimum count and alpha


def _patrols_only(conn, ids, g, *times):
    conn.execute(delete(patrol).where(patrol.c.grid_code == g[0]))
    for t in times:
        conn.execute(insert(patrol).values(id=ids.next(patrol), worker_id=1, started_at=t,
                                           ended_at=t + H, distance_m=1000, issues_found=0, **_loc(g)))


def test_warn004_patrol_blind_spot(wconn):
    ids, (a, b) = _Ids(wconn), _grids(wconn)
    _patrols_only(wconn, ids, a, now() - 80 * H, now() - 10 * D, now() + H)  # the future one is unknown
    _patrols_only(wconn, ids, b, now() - 60 * H)
    from data_access import rollups
    if rollups.horizon(wconn) is not None:  # rows were deleted: a running maximum cannot shrink
        rollups.rebuild(wconn, now())
    found = _found(wconn, "blind_spot")
    w = found[f"blind_spot:{a[0]}"]
    assert w["level"] == "blue" and _path(wconn, a[0]) + " 80 小时无巡查" in w["reason"]
    assert f"blind_spot:{b[0]}" not in found  # 60 h: near-miss


def test_warn005_key_person_missed_visit(wconn):
    ids, (g, _) = _Ids(wconn), _grids(wconn)
    risky, mild = ids.next(key_person), ids.next(key_person)
    wconn.execute(insert(key_person), [
        dict(id=risky, category="社区矫正对象", risk_level=3, visit_interval_days=7, name="张三丰", **_loc(g)),
        dict(id=mild, category="独居老人", risk_level=1, visit_interval_days=30, name="李四", **_loc(g))])
    wconn.execute(insert(visit), [
        dict(id=ids.next(visit), key_person_id=risky, worker_id=1, visited_at=now() - 100 * D),
        dict(id=ids.next(visit), key_person_id=mild, worker_id=1, visited_at=now() - 40 * D)])
    found = _found(wconn, "visit")
    w = found[f"visit:{risky}"]
    assert w["level"] == "yellow"  # (100 − 7) days × weight 4 = 372 ≥ 360
    assert "张**" in w["reason"] and "张三丰" not in w["reason"]
    assert _path(wconn, g[0]) in w["reason"] and "已 100 天未走访" in w["reason"] and "风险3级" in w["reason"]
    assert f"visit:{mild}" not in found  # 10 days × 1 < 280


def test_warn006_repeated_appeals(wconn):
    ids, (g, _) = _Ids(wconn), _grids(wconn)

    def plant(citizen, *ages):
        for age in ages:
            wconn.execute(insert(appeal).values(id=ids.next(appeal), channel="hotline_12345", topic="噪音扰民",
                                                content="楼下噪音", citizen_hash=citizen,
                                                received_at=now() - age, **_loc(g)))
    plant("c" * 64, 20 * D, 5 * D, H)
    plant("d" * 64, 5 * D, H)                 # only twice
    plant("e" * 64, 31 * D, 5 * D, H)         # the first is outside 30 days
    found = _found(wconn, "repeat")
    w = found[f"repeat:{'c' * 16}:噪音扰民"]
    assert w["level"] == "blue" and "同一诉求人 30 天内第 3 次反映 噪音扰民" in w["reason"]
    assert _path(wconn, g[0]) in w["reason"] and len(w["evidence"]["appeal"]) == 3
    assert f"repeat:{'d' * 16}:噪音扰民" not in found and f"repeat:{'e' * 16}:噪音扰民" not in found


def test_warn007_barometer_drop(wconn):
    scope = scope_of(wconn, "450800")
    townships = wconn.execute(select(region.c.code).where(region.c.level == "township")
                              .order_by(region.c.code)).scalars().all()

    def index(code, at):
        return metrics.summary(wconn, scope, code, at)["barometer_index"]
    drops = {t: index(t, now() - 7 * D) - index(t, now()) for t in townships}
    # Thresholds just above what the seed already shows, so only the planted storm crosses them.
    cfg = WarningConfig(barometer_floor=0.0, barometer_drop=round(max(drops.values()) + 1, 1),
                        barometer_orange_floor=0.0, barometer_orange_drop=100.0)
    assert _found(wconn, "barometer", cfg) == {}
    # The storm hits the township whose index already fell most: the seeded city has its own
    # flare-ups (a township's complaints for a few days), and a storm elsewhere might not fall
    # further than the worst of them.
    hit = max(townships, key=lambda t: (drops[t], t))
    calm = next(t for t in townships if t != hit)
    ids = _Ids(wconn)
    g = _grids(wconn, 1, township=hit)[0]
    for k in range(150):  # a storm of angry, unsatisfied appeals in the last three days
        wconn.execute(insert(appeal).values(id=ids.next(appeal), channel="wechat", topic="环境污染", content="x",
                                            sentiment=-0.9, satisfaction=1, received_at=now() - (k % 70 + 1) * H,
                                            **_loc(g)))
    g2 = _grids(wconn, 1, township=calm)[0]
    wconn.execute(insert(appeal).values(id=ids.next(appeal), channel="wechat", topic="其他", content="x",
                                        sentiment=0.5, satisfaction=5, received_at=now() - H, **_loc(g2)))
    _settle(wconn)
    now_index, earlier = index(hit, now()), index(hit, now() - 7 * D)
    assert earlier - now_index >= cfg.barometer_drop
    found = _found(wconn, "barometer", cfg)
    w = found[f"barometer:{hit}"]
    assert w["level"] == "yellow" and w["region_code"] == hit
    assert w["evidence"]["index"] == now_index and w["evidence"]["index_before"] == earlier
    assert _path(wconn, hit) in w["reason"] and f"指数 {now_index:.1f}" in w["reason"]
    assert f"下降 {earlier - now_index:.1f} 点" in w["reason"]
    assert f"barometer:{calm}" not in found  # near-miss: a small change stays under the threshold
    # The floor alone: just under it fires orange when below the orange floor.
    floor = WarningConfig(barometer_floor=now_index + 0.1, barometer_drop=1000.0,
                          barometer_orange_floor=now_index + 0.1, barometer_orange_drop=1000.0)
    assert _found(wconn, "barometer", floor)[f"barometer:{hit}"]["level"] == "orange"
    assert f"barometer:{hit}" not in _found(wconn, "barometer", WarningConfig(
        barometer_floor=now_index, barometer_drop=1000.0))  # exactly at the floor: near-miss


def test_warn008_emergency_mode(wconn):
    a, b = _grids(wconn)
    c = _grids(wconn, 3)[2]
    for code in (a[0], b[0], c[0]):
        wconn.execute(delete(grid_state).where(grid_state.c.grid_code == code))
    wconn.execute(insert(grid_state), [
        dict(grid_code=a[0], mode="emergency", since=now() - H, reason="防汛抗洪"),
        dict(grid_code=b[0], mode="emergency", since=now() + H, reason="尚未发生"),
        dict(grid_code=c[0], mode="normal", since=now() - H, reason=None)])
    found = {c_["subject_id"]: c_ for c_ in _found(wconn, "emergency").values()}
    assert found[a[0]]["level"] == "orange"
    assert _path(wconn, a[0]) in found[a[0]]["reason"] and "战时状态（防汛抗洪）" in found[a[0]]["reason"]
    assert b[0] not in found and c[0] not in found
    wconn.execute(update(grid_state).where(grid_state.c.grid_code == a[0]).values(since=now() - 3 * D))
    assert {c_["subject_id"]: c_ for c_ in _found(wconn, "emergency").values()}[a[0]]["level"] == "yellow"


def test_warn009_dedup_and_reopen(wconn):
    ids, (g, _) = _Ids(wconn), _grids(wconn)
    major = _incident(wconn, ids, g, severity=4, reported_at=now() - H)
    first = warnings.evaluate(wconn, now())
    mine = [w for w in first if w["subject"] == {"type": "incident", "id": str(major)} and w["rule"] == "major"]
    assert len(mine) == 1 and mine[0]["level"] == "red" and mine[0]["status"] == "new"
    assert warnings.evaluate(wconn, now()) == []  # same conditions, all still open: nothing new
    key = f"major:{major}"
    wconn.execute(update(warning).where(warning.c.dedup_key == key).values(status="dismissed"))
    assert warnings.evaluate(wconn, now()) == []  # dismissed while the condition holds: not news again
    # The condition goes away, then returns: the same warning reopens (no second row).
    wconn.execute(update(incident).where(incident.c.id == major).values(closed_at=now() - H / 2))
    assert warnings.evaluate(wconn, now()) == []
    wconn.execute(update(incident).where(incident.c.id == major).values(closed_at=None))
    again = warnings.evaluate(wconn, now())
    assert [(w["rule"], w["id"]) for w in again] == [("major", mine[0]["id"])]
    rows = wconn.execute(select(warning.c.status).where(warning.c.dedup_key == key)).scalars().all()
    assert rows == ["new"]
    # The condition clears while nobody has touched it: the system resolves it.
    wconn.execute(update(incident).where(incident.c.id == major).values(closed_at=now() - H / 2))
    assert warnings.evaluate(wconn, now()) == []
    rows = wconn.execute(select(warning.c.status).where(warning.c.dedup_key == key)).scalars().all()
    assert rows == ["resolved"]


def test_warn010_open_warnings_scoped_and_counted(wconn):
    scope = scope_of(wconn, "450800")
    # The seed replays the rules over its history and leaves a queue open at its end.
    seeded = warnings.open_warnings(wconn, scope, "450800", now())
    raised = warnings.evaluate(wconn, now())
    assert raised, "the tiny city raises something"
    both = {w["id"]: w for w in seeded + raised}
    city = warnings.open_warnings(wconn, scope, "450800", now())
    assert {w["id"] for w in city} == set(both)
    assert warnings.active_count(wconn, scope, "450800") == len(both)
    assert metrics.summary(wconn, scope, "450800", now())["active_warnings"] == len(both)
    county = raised[0]["region"][:6]
    inside = [w for w in both.values() if w["region"].startswith(county)]
    assert {w["id"] for w in warnings.open_warnings(wconn, scope, county, now())} == {w["id"] for w in inside}
    kids = metrics.by_child(wconn, scope, "450800", now())
    assert sum(k["active_warnings"] for k in kids) == len(both)
    assert {k["code"]: k["active_warnings"] for k in kids}[county] == len(inside)
    day_before = {w["id"] for w in warnings.open_warnings(wconn, scope, "450800", now() - D)}
    assert not day_before & {w["id"] for w in raised}  # not yet raised back then
    assert day_before == {w["id"] for w in seeded if dt.datetime.fromisoformat(w["created_at"]) <= now() - D}
    with pytest.raises(Exception):
        warnings.open_warnings(wconn, scope_of(wconn, county), "450800", now())


def test_warn011_api(client, engine, db_url):
    assert client.get("/api/v1/warnings?region=abc").status_code == 400
    assert client.get("/api/v1/warnings?region=450899").status_code == 404
    assert client.get("/api/v1/warnings?region=450800&status=bogus").status_code == 400
    with engine.connect() as conn:
        g = _grids(conn, 1)[0]
        other_township = conn.execute(select(region.c.code).where(
            region.c.level == "township", region.c.code != g[2]).limit(1)).scalar()
    with engine.begin() as conn:
        wid = conn.execute(insert(warning).values(
            dedup_key="test:api", rule="major", level="red", region_code=g[0], subject_type="incident",
            subject_id="1", reason="测试预警", evidence=json.dumps({"incident": [1]}), status="new", version=1,
            created_at=now() - H, updated_at=now() - H, escalated=False)).inserted_primary_key[0]
    try:
        body = client.get(f"/api/v1/warnings?region={g[3]}&status=open").get_json()
        w = [x for x in body if x["id"] == wid][0]
        assert w["level"] == "red" and w["rule"] == "major" and w["region"] == g[0]
        assert w["reason"] == "测试预警" and w["status"] == "new" and w["subject"]["type"] == "incident"
        assert w["created_at"].startswith("2026-11-20T06:30")
        other = client.get(f"/api/v1/warnings?region={other_township}")
        assert other.status_code == 200 and all(x["id"] != wid for x in other.get_json())
        assert all(x["id"] != wid for x in client.get("/api/v1/warnings?region=450800&status=resolved").get_json())
    finally:
        with engine.begin() as conn:
            conn.execute(delete(warning).where(warning.c.id == wid))


def test_warn012_cli_and_older_database(sqlite_url, tmp_path, capsys):
    """The CLI adds the warning tables to a database that predates them, raises, then raises nothing new."""
    from sqlalchemy import text

    from dashboard.__main__ import main
    from data_access.engine import make_engine
    copy = tmp_path / "cli.db"
    shutil.copy(sqlite_url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DROP TABLE warning_action"))
        conn.execute(text("DROP TABLE warning"))
        # A 重大 incident an hour old: the seeded city has a few a week, not one at every moment.
        g = _grids(conn, 1)[0]
        _incident(conn, _Ids(conn), g, severity=4, reported_at=now() - H)
    with eng.connect() as conn:  # no table yet: no warnings, and the summary still works
        scope = scope_of(conn, "450800")
        assert metrics.summary(conn, scope, "450800", now())["active_warnings"] == 0
        assert warnings.open_warnings(conn, scope, "450800", now()) == []
    assert main(["warnings", "evaluate", "--db", url, "--now", now().isoformat()]) == 0
    out = capsys.readouterr().out
    with eng.connect() as conn:
        n = conn.execute(select(func.count()).select_from(warning)).scalar()
        assert n > 0 and f"raised {n} warning(s)" in out and "[红] major" in out
        assert metrics.summary(conn, scope_of(conn, "450800"), "450800", now())["active_warnings"] == n
    assert main(["warnings", "evaluate", "--db", url, "--now", now().isoformat()]) == 0
    assert "raised 0 warning(s)" in capsys.readouterr().out
    eng.dispose()
