"""考核评价 (issue #18 item 4), on SQLite and PostgreSQL.

The tiny city is seeded over 52 days here (its usual 14 do not reach October), so October 2026 —
the last complete month at the tests' now — is a whole month of data. The month's township and
worker scores against an independent pandas recount from the raw rows; weights versioned and
audited, refused for a non-admin, and last month unchanged by a new version; a township's
account sees only its township and a forged region answers like an unknown one; the Excel
file; and in a real browser (tabs, a drilled score, a screenshot at 1920×1080).
"""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import io
import json
import re
from unittest import mock

import pandas as pd
import pytest
from sqlalchemy import create_engine, select, text

from data_access import assessment as A
from data_access import incidents
from data_access.engine import make_engine
from data_access.schema import assessment_weights, audit_log, region
from data_access.scope import scope_of
from dashboard import create_app
from dashboard.demo.generate import SCALES, Scale

from . import dashcall
from .conftest import ARTIFACTS, _add_users, now, private_pg, sign_in

MONTH = "2026-10"
START = dt.datetime(2026, 9, 30, 16, 0, tzinfo=dt.timezone.utc)  # 2026-10-01 00:00 Shanghai
END = dt.datetime(2026, 10, 31, 16, 0, tzinfo=dt.timezone.utc)
AS_OF = END - dt.timedelta(seconds=1)
DAYS = 31
# The built-in version 0, written out here (not read from the module under test).
WEIGHTS = {"clearance": 20, "patrol_coverage": 20, "patrol_regularity": 10, "visit_on_time": 15, "overdue": 15,
           "satisfaction": 10, "repeat_appeals": 10}
GAP, OVERDUE_WORST, REPEAT_WORST, MIN_SHARE = 2, 0.3, 0.3, 0.5
LINES = (("优秀", 90), ("良好", 80), ("合格", 60))
SHOW = "asm-summary.children"


def _seed52(url: str) -> None:
    from dashboard.demo.seed import seed
    with mock.patch.dict(SCALES, {"tiny52": Scale("tiny52", ("450802",), 52)}):
        seed(url, "tiny52", 7, now(), log=lambda *_: None, warning_weeks=0)
    _add_users(url)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, tmp_path_factory):
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('asm') / 'asm.db'}"
        else:
            url = stack.enter_context(private_pg("redgrid_asm", seed=False))
        _seed52(url)
        eng = make_engine(url)
        with eng.connect() as conn:
            towns = conn.execute(select(region.c.code).where(region.c.level == "township")
                                 .order_by(region.c.code).limit(2)).scalars().all()
        yield {"url": url, "eng": eng, "towns": towns,
               "app": create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2})}
        eng.dispose()


def _person(app, username):
    c = app.server.test_client()
    assert sign_in(c, username).status_code == 302
    return c


def _show(client, app, code, tab="worker", month=MONTH, changed=0):
    r = dashcall.call(client, app, dashcall.find(app, SHOW), [month, tab, changed], [code])
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_json()["response"]


# --- the oracle: raw rows, pandas, the method of docs/assessment.md ---------------------------

def _utc(s):
    return pd.to_datetime(s, utc=True)


def _local_day(s):
    return (s + pd.Timedelta(hours=8)).dt.date


def _oracle(url: str) -> dict:
    """{"township": {code: row}, "worker": {id: row}} with the counters, values and score."""
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.connect() as conn:
        def read(sql):
            return pd.read_sql(text(sql), conn)
        reg = read("SELECT code, level, county_code, township_code, village_code FROM region")
        inc = read("SELECT id, source, source_ref, grid_code, village_code, township_code, county_code, "
                   "reported_at, closed_at, sla_due_at FROM incident")
        cases = read("SELECT incident_id, primary_id FROM incident_case")
        pat = read("SELECT worker_id, grid_code, village_code, township_code, county_code, started_at, ended_at "
                   "FROM patrol")
        kp = read("SELECT id, grid_code, village_code, township_code, county_code, visit_interval_days "
                  "FROM key_person")
        vis = read("SELECT key_person_id, visited_at FROM visit")
        apl = read("SELECT id, grid_code, village_code, township_code, county_code, received_at, resolved_at, "
                   "satisfaction, citizen_hash FROM appeal")
        wk = read("SELECT id, grid_code, role, active FROM grid_worker")
    eng.dispose()
    grids = reg[reg.level == "grid"].rename(columns={"code": "grid_code"})[
        ["grid_code", "village_code", "township_code", "county_code"]]

    def located(df):
        return df.merge(grids, on=["grid_code", "village_code", "township_code", "county_code"], how="inner")

    # incidents: events of the month, bad rows out
    for c in ("reported_at", "closed_at", "sla_due_at"):
        inc[c] = _utc(inc[c])
    first = inc.dropna(subset=["source", "source_ref"]).groupby(["source", "source_ref"]).id.min()
    dup = inc.dropna(subset=["source", "source_ref"]).merge(first.rename("first").reset_index(),
                                                             on=["source", "source_ref"])
    dups = set(dup[dup.id != dup["first"]].id)
    secondary = set(cases[cases.incident_id != cases.primary_id].incident_id)
    inc = located(inc)
    inc = inc[inc.reported_at.notna() & (inc.reported_at <= AS_OF) & ~inc.id.isin(dups) & ~inc.id.isin(secondary)
              & ~(inc.closed_at.notna() & (inc.closed_at < inc.reported_at))]
    inc = inc[(inc.reported_at >= START) & (inc.reported_at < END)].copy()
    closed = inc.closed_at.notna() & (inc.closed_at <= AS_OF)
    inc["cleared"] = closed & (_local_day(inc.closed_at) == _local_day(inc.reported_at))
    inc["overdue"] = inc.sla_due_at.notna() & ((closed & (inc.closed_at > inc.sla_due_at))
                                               | (~closed & (inc.sla_due_at < AS_OF)))
    by_inc = inc.groupby("grid_code").agg(reported=("id", "size"), cleared=("cleared", "sum"),
                                          overdue=("overdue", "sum"))
    # patrols: (worker, grid, day) with a valid patrol
    pat["started_at"], pat["ended_at"] = _utc(pat.started_at), _utc(pat.ended_at)
    pat = located(pat)
    pat = pat[pat.started_at.notna() & (pat.started_at <= AS_OF) & (pat.started_at >= START)
              & (pat.started_at < END) & ~(pat.ended_at.notna() & (pat.ended_at < pat.started_at))].copy()
    pat["day"] = _local_day(pat.started_at)
    days = [dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(DAYS)]
    grid_days = pat.groupby("grid_code").day.apply(set).to_dict()
    worker_days = pat.groupby(["worker_id", "grid_code"]).day.apply(set).to_dict()

    def irregular(covered):
        total, run = 0, 0
        for d in days:
            if d in covered:
                total += run if run > GAP else 0
                run = 0
            else:
                run += 1
        return total + (run if run > GAP else 0)
    # key persons on time at the month's end
    kp = located(kp)
    vis["visited_at"] = _utc(vis.visited_at)
    last = vis[vis.visited_at <= AS_OF].groupby("key_person_id").visited_at.max()
    kp["last"] = kp.id.map(last)
    cutoff = AS_OF - pd.to_timedelta(kp.visit_interval_days.fillna(0), unit="D")
    kp["on_time"] = kp["last"].notna() & (kp["last"] >= cutoff)
    by_kp = kp.groupby("grid_code").agg(kp=("id", "size"), kp_on_time=("on_time", "sum"))
    # appeals: satisfaction, repeats (same citizen, same grid, within 30 days before)
    apl["received_at"], apl["resolved_at"] = _utc(apl.received_at), _utc(apl.resolved_at)
    apl = located(apl)
    apl = apl[apl.received_at.notna() & (apl.received_at <= AS_OF)
              & ~(apl.resolved_at.notna() & (apl.resolved_at < apl.received_at))
              & (apl.received_at >= START - pd.Timedelta(days=30)) & (apl.received_at < END)]
    apl = apl.sort_values(["received_at", "id"]).copy()
    prev = apl.groupby(["citizen_hash", "grid_code"]).received_at.shift(1)
    apl["repeated"] = apl.citizen_hash.notna() & prev.notna() & (apl.received_at - prev <= pd.Timedelta(days=30))
    month_apl = apl[apl.received_at >= START]
    by_apl = month_apl.groupby("grid_code").agg(appeals=("id", "size"), rated=("satisfaction", "count"),
                                                sat_sum=("satisfaction", "sum"), repeated=("repeated", "sum"))
    per = grids.set_index("grid_code")[["township_code"]].join(by_inc).join(by_kp).join(by_apl).fillna(0)
    per["patrol_days"] = [len(grid_days.get(g, set())) for g in per.index]
    per["gap_days"] = [irregular(grid_days.get(g, set())) for g in per.index]
    per["days"] = DAYS

    def scored(c):
        def r(a, b):
            return None if not b else a / b
        vals = {"clearance": r(c["cleared"], c["reported"]), "patrol_coverage": r(c["patrol_days"], c["days"]),
                "patrol_regularity": r(c["days"] - c["gap_days"], c["days"]),
                "visit_on_time": r(c["kp_on_time"], c["kp"]), "overdue": r(c["overdue"], c["reported"]),
                "satisfaction": r(c["sat_sum"], c["rated"]), "repeat_appeals": r(c["repeated"], c["appeals"])}
        s = {}
        for k, v in vals.items():
            if v is None:
                continue
            if k == "overdue":
                s[k] = 100 * (1 - min(1, v / OVERDUE_WORST))
            elif k == "repeat_appeals":
                s[k] = 100 * (1 - min(1, v / REPEAT_WORST))
            elif k == "satisfaction":
                s[k] = (v - 1) / 4 * 100
            else:
                s[k] = 100 * v
        have = sum(WEIGHTS[k] for k in s)
        score = None if have < MIN_SHARE * 100 else sum(WEIGHTS[k] * x for k, x in s.items()) / have
        return {"values": vals, "score": score}
    towns = {t: scored(g.sum(numeric_only=True)) for t, g in per.groupby("township_code")}
    wk = wk[wk.role.isin(["grid_leader", "full_time", "part_time"]) & wk.active.fillna(False).astype(bool)
            & wk.grid_code.isin(per.index)]
    workers = {}
    for w in wk.itertuples():
        c = per.loc[w.grid_code].to_dict()
        own = worker_days.get((w.id, w.grid_code), set())
        c["patrol_days"], c["gap_days"] = len(own), irregular(own)
        workers[int(w.id)] = scored(c)
    return {"township": towns, "worker": workers}


def _grade(score):
    for name, line in LINES:
        if score >= line:
            return name
    return "不合格"


def _same(row, expected):
    if expected["score"] is None:
        assert row["score"] is None and row["grade_name"] == "数据不足", row
    else:
        assert row["score"] == pytest.approx(expected["score"], abs=0.051), row
        if all(abs(expected["score"] - line) > 0.06 for _, line in LINES):
            assert row["grade_name"] == _grade(expected["score"]), row
    for k, v in expected["values"].items():
        got = row[f"{k}_value"]
        assert (got is None) == (v is None), (k, row)
        if v is not None:
            assert got == pytest.approx(v, abs=6e-5), (k, row)


def test_asm001_october_matches_an_independent_recount(db):
    """Townships and every assessed worker of the county, against pandas from the raw rows."""
    expected = _oracle(db["url"])
    month = A.parse_month(MONTH, now())
    assert (month.start, month.end, len(month.days), month.partial) == (START, END, DAYS, False)
    with db["eng"].connect() as conn:
        report = A.assess(conn, scope_of(conn, "450800"), "450802", month, A.weights_for(conn, MONTH))
    towns = {r["id"]: r for r in report["levels"]["township"]}
    assert set(towns) == set(expected["township"]) and len(towns) >= 5
    for code, row in towns.items():
        _same(row, expected["township"][code])
    workers = {r["id"]: r for r in report["levels"]["worker"]}
    assert set(workers) == set(expected["worker"]) and len(workers) > 1000
    for wid, row in workers.items():
        _same(row, expected["worker"][wid])
    # Ranked by score, unscored last; every indicator present in the month for a whole township.
    scores = [r["score"] for r in report["levels"]["worker"] if r["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    assert all(towns[c][k] is not None for c in towns for k in A.INDICATORS)
    assert any(r["counts"]["repeated"] for r in towns.values())  # the seed has repeat callers


def test_asm001b_the_month_clearance_is_the_daily_rate_summed(db):
    """One label, one number: 日清零率（月） is Σ same-day ÷ Σ reported of the incident view's daily trend."""
    month = A.parse_month(MONTH, now())
    with db["eng"].connect() as conn:
        scope = scope_of(conn, "450800")
        report = A.assess(conn, scope, "450802", month, A.weights_for(conn, MONTH))
        town = report["levels"]["township"][0]
        trend = incidents.daily_trend(conn, scope, town["id"], month.as_of, DAYS)
    assert [d["day"] for d in trend][0] == "2026-10-01" and trend[-1]["day"] == "2026-10-31"
    assert town["counts"]["reported"] == sum(d["reported"] for d in trend)
    assert town["counts"]["cleared"] == sum(d["cleared_same_day"] for d in trend)


# --- weights: versioned, audited, admins only, last month unchanged ---------------------------

def _save(client, app, weights, thresholds, effective, comment, changed=0):
    key = dashcall.find(app, "asm-weights-feedback.children")
    state = [*[weights[k] for k in A.INDICATORS], *[thresholds[k] for k in A.THRESHOLD_NAMES], effective, comment,
             changed]
    return dashcall.call(client, app, key, [1], state)


def _said(r) -> str:
    return json.dumps(r.get_json(), ensure_ascii=False)


def _scores(rows):
    return [(r["rid"], r["score"], r["grade_name"]) for r in rows]


def test_asm002_a_new_version_is_audited_and_leaves_last_month_alone(db):
    app, eng = db["app"], db["eng"]
    admin = _person(app, "city_admin")
    before_oct = _show(admin, app, "450802")["asm-table"]["rowData"]
    before_nov = _show(admin, app, "450802", month="2026-11")["asm-table"]["rowData"]
    with eng.connect() as conn:
        n_audit = len(conn.execute(select(audit_log.c.id)).all())
    new_w = dict(WEIGHTS, clearance=40, patrol_coverage=10, patrol_regularity=0)
    t = {"excellent": 92, "good": 82, "pass": 65, "gap_days": 3, "overdue_worst": 0.4, "repeat_worst": 0.4,
         "min_weight_share": 0.5}
    # Refusals first: a month that has ended, weights not summing to 100, no comment.
    for weights, eff, comment, said in [(new_w, "2026-10", "x", "不能早于本月"), (dict(new_w, clearance=41), "2026-11",
                                        "x", "合计应为 100"), (new_w, "2026-11", "  ", "修改说明")]:
        r = _save(admin, app, weights, t, eff, comment)
        assert r.status_code == 200 and said in _said(r)
    r = _save(admin, app, new_w, t, "2026-11", "十一月起加重日清零")
    assert "已保存权重版本 v1" in _said(r)
    with eng.connect() as conn:
        rows = conn.execute(select(assessment_weights)).all()
        audits = [a for a in conn.execute(select(audit_log).order_by(audit_log.c.id)).all()[n_audit:]
                  if a.action != "login"]
    assert [(x.version, x.effective_from, x.created_by) for x in rows] == [(1, "2026-11", "city_admin")]
    assert json.loads(rows[0].weights)["clearance"] == 40
    assert [(a.action, a.actor, a.ok) for a in audits] == [("assessment_weights", "city_admin", False)] * 3 + [
        ("assessment_weights", "city_admin", True)]
    assert "v1" in audits[-1].target and "十一月起加重日清零" in audits[-1].detail
    # October keeps version 0 and its scores; November (in progress) is scored with v1.
    after_oct = _show(admin, app, "450802", changed=1)
    assert _scores(after_oct["asm-table"]["rowData"]) == _scores(before_oct)
    assert "v0" in json.dumps(after_oct["asm-summary"], ensure_ascii=False)
    after_nov = _show(admin, app, "450802", month="2026-11", changed=1)
    assert "v1" in json.dumps(after_nov["asm-summary"], ensure_ascii=False)
    assert _scores(after_nov["asm-table"]["rowData"]) != _scores(before_nov)
    # A leader is refused by the gate (audited); a township's admin inside (weights are city-wide).
    leader = _person(app, "city_leader")
    r = _save(leader, app, new_w, t, "2026-11", "试图修改")
    assert r.status_code == 403
    town_admin = _person(app, "town_admin")
    assert "仅市级管理员" in _said(_save(town_admin, app, new_w, t, "2026-11", "试图修改"))
    with eng.connect() as conn:
        assert len(conn.execute(select(assessment_weights)).all()) == 1
        last = conn.execute(select(audit_log).where(audit_log.c.action == "assessment_weights")
                            .order_by(audit_log.c.id.desc()).limit(2)).all()
    assert [(a.action, a.actor, a.ok) for a in last] == [("assessment_weights", "town_admin", False),
                                                          ("assessment_weights", "city_leader", False)]
    with eng.begin() as conn:  # leave the module's database as it was for the other tests
        conn.execute(assessment_weights.delete())


# --- scope ------------------------------------------------------------------------------------

def test_asm003_a_township_sees_its_own_and_a_forged_region_reads_as_unknown(db):
    app = db["app"]
    town_a, town_b = db["towns"]
    leader = _person(app, "town_leader")
    shown = _show(leader, app, town_a)
    rows = shown["asm-table"]["rowData"]
    assert rows and all(re.fullmatch(r".\*+", r["name"]) for r in rows)  # names masked, as on /patrols
    with db["eng"].connect() as conn:
        own = {w for w, in conn.execute(text("SELECT w.id FROM grid_worker w JOIN region g ON g.code = w.grid_code "
                                             "AND g.level = 'grid' WHERE g.township_code = :t AND w.active "
                                             "AND w.role IN ('grid_leader','full_time','part_time')"),
                                        {"t": town_a})}
    shown = {int(r["rid"].split(":")[1]) for r in rows}
    assert shown <= own and len(shown) == min(len(own), 1000)  # a long list: its two ends on the page
    with db["eng"].connect() as conn:  # everyone in the report (and the file)
        whole = A.assess(conn, scope_of(conn, town_a), None, A.parse_month(MONTH, now()), A.BUILT_IN)
    assert {r["id"] for r in whole["levels"]["worker"]} == own
    towns = _show(leader, app, town_a, tab="township")["asm-table"]["rowData"]
    assert [r["rid"] for r in towns] == [f"township:{town_a}"]
    forged = json.dumps(_show(leader, app, town_b)["asm-summary"], ensure_ascii=False)
    unknown = json.dumps(_show(leader, app, "450802999")["asm-summary"], ensure_ascii=False)
    assert "不存在或无权查看" in forged and forged.replace(town_b, "X") == unknown.replace("450802999", "X")
    assert _show(leader, app, town_b)["asm-table"]["rowData"] == []
    # A drilled row of another township: a worker, a village, answered like unknown ones.
    city = _show(_person(app, "city_leader"), app, town_b)["asm-table"]["rowData"]
    stranger = city[0]["rid"]
    key = dashcall.find(app, "asm-evidence.children@")
    for rid in (stranger, "worker:999999"):
        r = dashcall.call(leader, app, key, [{"colId": "overdue", "rowId": rid}], [MONTH, town_a, ""])
        said = _said(r)
        assert "不存在或无权查看" in said and "asm-evidence-table" not in said
    r = dashcall.call(leader, app, key, [{"colId": "overdue", "rowId": rows[0]["rid"]}], [MONTH, town_a, ""])
    assert "asm-evidence-title" in _said(r)


def test_asm003b_evidence_matches_the_score(db):
    """A worker's coverage lists exactly the days he did not patrol; overdue lists the incidents."""
    month = A.parse_month(MONTH, now())
    with db["eng"].connect() as conn:
        scope = scope_of(conn, "450800")
        report = A.assess(conn, scope, "450802", month, A.BUILT_IN)
        worker = next(r for r in report["levels"]["worker"] if 0 < r["counts"]["patrol_days"] < DAYS)
        e = A.evidence(conn, scope, "worker", worker["id"], "patrol_coverage", month, A.BUILT_IN)
        assert e["rows"][0][1] == DAYS - worker["counts"]["patrol_days"]
        assert len(e["rows"][0][2].split("、")) == e["rows"][0][1]
        gaps = A.evidence(conn, scope, "worker", worker["id"], "patrol_regularity", month, A.BUILT_IN)
        assert sum(r[3] for r in gaps["rows"]) == worker["counts"]["gap_days"]
        town = report["levels"]["township"][0]
        for k, n in (("overdue", "overdue"), ("visit_on_time", None), ("repeat_appeals", "repeated")):
            e = A.evidence(conn, scope, "township", town["id"], k, month, A.BUILT_IN)
            want = town["counts"][n] if n else town["counts"]["kp"] - town["counts"]["kp_on_time"]
            assert e["total"] == want, k
        e = A.evidence(conn, scope, "township", town["id"], "clearance", month, A.BUILT_IN)
        assert e["total"] == town["counts"]["reported"] - town["counts"]["cleared"]


# --- Excel ------------------------------------------------------------------------------------

def test_asm004_the_excel_file_matches_the_screen(db):
    from openpyxl import load_workbook
    app, eng = db["app"], db["eng"]
    analyst = _person(app, "city_analyst")
    screen = _show(analyst, app, "450802", tab="township")["asm-table"]["rowData"]
    key = dashcall.find(app, "asm-download.data")
    r = dashcall.call(analyst, app, key, [1], [MONTH, "450802"])
    assert r.status_code == 200
    sent = r.get_json()["response"]["asm-download"]["data"]
    assert sent["filename"] == "assessment-450802-2026-10.xlsx" and sent["base64"]
    wb = load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    assert wb.sheetnames == ["乡镇(街道)", "村(社区)", "网格员", "权重与标准"]
    ws = wb["乡镇(街道)"]
    header = [c.value for c in ws[3]]
    assert header[:6] == ["排名", "代码", "名称", "网格数", "总分", "等级"] and "日清零率（月）得分" in header
    first = [c.value for c in ws[4]]
    assert (first[0], first[2], first[4], first[5]) == (screen[0]["rank"], screen[0]["name"], screen[0]["score"],
                                                        screen[0]["grade_name"])
    col = header.index("超期事件率得分")
    assert first[col] == screen[0]["overdue"]
    assert ws.max_row - 3 == len(screen)
    workers = wb["网格员"]
    note = json.dumps(_show(analyst, app, "450802")["asm-summary"], ensure_ascii=False)
    assert workers.max_row - 3 == int(re.search(r"共 (\d+) 个网格员", note).group(1))  # everyone, not the page's ends
    assert all(re.fullmatch(r".\*+", workers.cell(n, 3).value) for n in range(4, workers.max_row + 1))
    with eng.connect() as conn:
        a = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(1)).one()
    assert (a.action, a.actor, a.ok) == ("assessment_export", "city_analyst", True)
    # A leader has no export (the gate refuses and audits).
    r = dashcall.call(_person(app, "city_leader"), app, key, [1], [MONTH, "450802"])
    assert r.status_code == 403


def test_asm005_months_and_hostile_input():
    n = now()
    assert A.default_month(n) == "2026-10"
    assert [m.key for m in A.month_options(n)][:3] == ["2026-11", "2026-10", "2026-09"]
    assert A.parse_month("2026-11", n).partial and len(A.parse_month("2026-11", n).days) == 19
    for bad in (None, 202610, "2026-13", "2026-1", "x" * 500, "2026-12", "1999-12"):
        with pytest.raises(A.AssessmentError):
            A.parse_month(bad, n)
    with pytest.raises(A.AssessmentError):
        A.validate(dict(WEIGHTS, clearance=True), A.DEFAULT_THRESHOLDS)
    with pytest.raises(A.AssessmentError):
        A.validate(WEIGHTS, dict(A.DEFAULT_THRESHOLDS, good=95))


# --- the browser --------------------------------------------------------------------------------

def test_asm006_in_the_browser_tabs_and_a_drilled_score(dash_duo, db):
    if not db["url"].startswith("sqlite"):
        pytest.skip("one browser run is enough")
    from .browser import click, start_signed_in
    app = create_app({"DATABASE_URL": db["url"], "REFRESH_SECONDS": 2})
    start_signed_in(dash_duo, app, username="city_analyst", path="/assessment?region=450802")
    driver = dash_duo.driver
    driver.set_window_size(1920, 1080)
    dash_duo.wait_for_contains_text("#asm-note", "2026年10月", timeout=40)
    assert "考核评价" in dash_duo.find_element("#nav-assessment").text
    dash_duo.wait_for_element('#asm-table .ag-row[row-index="0"]', timeout=30)
    click(dash_duo, "#asm-tab-township")
    dash_duo.wait_for_contains_text("#asm-note", "乡镇(街道)", timeout=30)
    dash_duo.wait_for_element('#asm-table .ag-row[row-id^="township:"]', timeout=30)
    click(dash_duo, '#asm-table .ag-row[row-index="0"] .ag-cell[col-id="overdue"]')
    dash_duo.wait_for_contains_text("#asm-evidence-title", "超期事件率", timeout=30)
    assert dash_duo.find_element("#asm-evidence-note").text.startswith("当月上报的事件中")
    driver.save_screenshot(str(ARTIFACTS / "assessment-township.png"))
    click(dash_duo, "#asm-tab-worker")
    dash_duo.wait_for_contains_text("#asm-note", "网格员", timeout=30)
    dash_duo.wait_for_element('#asm-table .ag-row[row-id^="worker:"]', timeout=30)
    click(dash_duo, '#asm-table .ag-row[row-index="0"] .ag-cell[col-id="patrol_coverage"]')
    dash_duo.wait_for_contains_text("#asm-evidence-title", "巡查覆盖率", timeout=30)
    driver.execute_script("window.scrollTo(0, 0);")
    driver.save_screenshot(str(ARTIFACTS / "assessment-workers.png"))
    assert not [e for e in (dash_duo.get_logs() or []) if e.get("level") == "SEVERE"]
