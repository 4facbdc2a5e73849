"""Shift handover, 交接班 (issue #16 item 5), on SQLite and PostgreSQL: a real shift of the seeded
tiny city; the sheet's counts against an independent recount from the raw rows; the outgoing then
the incoming officer sign (two audit rows) and the sheet is frozen; one officer cannot sign both;
another township's officer can neither see nor sign it (refused, audited); the Word and PDF files
open and carry the figures; and in a real browser."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import time

import pytest
from sqlalchemy import insert, select

from data_access import handover as data
from data_access.engine import make_engine
from data_access.schema import (OPEN_WARNING_STATUSES, audit_log, handover, handover_signoff, region, warning,
                                warning_action)
from data_access.scope import scope_of
from data_access.warning_rules import WarningConfig
from dashboard import create_app

from . import dashcall
from .conftest import ARTIFACTS, TEST_PASSWORD, copy_sqlite, now, private_pg, sign_in

SHOW, SIGN = "hnd-sheet.children", "hnd-feedback.children"
TIMES = data.parse_times("08:00,20:00")


# --- a private database of the seeded tiny city, per backend ---------------------------------

@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, tmp_path_factory):
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = copy_sqlite(request.getfixturevalue("sqlite_url"), tmp_path_factory.mktemp("hnd") / "hnd.db")
        else:
            url = stack.enter_context(private_pg("redgrid_hnd", rollups=False))  # the sheet reads no rollups
        eng = make_engine(url)
        with eng.connect() as conn:
            towns = conn.execute(select(region.c.code).where(region.c.level == "township")
                                 .order_by(region.c.code).limit(2)).scalars().all()
            county = conn.execute(select(region.c.code).where(region.c.level == "county")
                                  .order_by(region.c.code).limit(1)).scalar()
        yield {"url": url, "eng": eng, "towns": towns, "county": county,
               "app": create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2})}
        eng.dispose()


def _person(app, username):
    c = app.server.test_client()
    assert sign_in(c, username).status_code == 302
    return c


def _show(client, app, shift_key, code):
    r = dashcall.call(client, app, dashcall.find(app, SHOW), [shift_key, 0], [code])
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_json()["response"]


def _sign(client, app, role, shift_key, code):
    clicks = [1, None] if role == "outgoing" else [None, 1]
    changed = "hnd-sign-out.n_clicks" if role == "outgoing" else "hnd-sign-in.n_clicks"
    return dashcall.call(client, app, dashcall.find(app, SIGN), clicks, [shift_key, code, 0], changed=changed)


def _said(r) -> str:
    assert r.status_code == 200, (r.status_code, r.get_data(as_text=True)[:300])
    return json.dumps(r.get_json()["response"]["hnd-feedback"], ensure_ascii=False)


def _find(tree, ident):
    """The component with this id in a rendered Dash tree (JSON), or None."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == ident:
            return tree
        for v in tree.values():
            hit = _find(v, ident)
            if hit is not None:
                return hit
    elif isinstance(tree, list):
        for v in tree:
            hit = _find(v, ident)
            if hit is not None:
                return hit
    return None


def _audits(eng, like="handover%"):
    with eng.connect() as conn:
        return conn.execute(select(audit_log).where(audit_log.c.action.like(like)).order_by(audit_log.c.id)).all()


# --- the independent recount ----------------------------------------------------------------

def _raw(eng):
    """Every region, warning and warning action, read whole: nothing filtered by SQL."""
    with eng.connect() as conn:
        regions = {r.code: r for r in conn.execute(select(region.c.code, region.c.level, region.c.county_code,
                                                          region.c.township_code, region.c.village_code,
                                                          region.c.city_code))}
        warnings = {w.id: w for w in conn.execute(select(warning.c.id, warning.c.level, warning.c.region_code))}
        actions = sorted(conn.execute(select(warning_action)).all(), key=lambda a: (a.at, a.id))
    return regions, warnings, actions


def _ancestor(row, level):
    return row.code if level == "grid" else getattr(row, f"{level}_code")


def _recount(raw, code: str, level: str, child_level: str | None, shift: data.Shift) -> tuple[dict, dict, dict]:
    """(totals, {level: counts}, {child code: counts}) straight from the rows: every warning's
    status at the shift's end replayed from its whole history."""
    regions, warnings, actions = raw
    mine = {wid for wid, w in warnings.items() if _ancestor(regions[w.region_code], level) == code}
    end = shift.end
    did = {k: set() for k in ("raised", "acknowledged", "resolved", "dismissed", "escalated")}
    status, raised_at = {}, {}
    for a in actions:
        if a.warning_id not in mine:
            continue
        person = a.actor != "system"
        if shift.start <= a.at < end:
            if a.action == "raise" or (a.action == "reopen" and not person):
                did["raised"].add(a.warning_id)
            before = json.loads(a.before) if a.before else {}
            if person and a.action != "reopen" and isinstance(before, dict) and before.get("status") == "new":
                did["acknowledged"].add(a.warning_id)
            if a.action in ("resolve", "auto_resolve"):
                did["resolved"].add(a.warning_id)
            if a.action == "dismiss":
                did["dismissed"].add(a.warning_id)
            if a.action == "escalate":
                did["escalated"].add(a.warning_id)
        if a.at <= end:
            after = {"raise": "new", "acknowledge": "acknowledged", "assign": "assigned", "resolve": "resolved",
                     "auto_resolve": "resolved", "dismiss": "dismissed",
                     "reopen": "acknowledged" if person else "new"}.get(a.action)
            if after is not None:
                status[a.warning_id] = after
                if after == "new":
                    raised_at[a.warning_id] = a.at
    deadline = {lv: dt.timedelta(minutes=m) for lv, m in WarningConfig().escalate_minutes}
    still = {wid for wid, s in status.items() if s in OPEN_WARNING_STATUSES}
    late = {wid for wid in still if status[wid] == "new" and warnings[wid].level in deadline
            and end - raised_at[wid] > deadline[warnings[wid].level]}
    sets = {**did, "open": still, "overdue": late}
    totals = {k: len(v) for k, v in sets.items()}
    by_level, by_child = {}, {}
    for k, ids in sets.items():
        for wid in ids:
            by_level.setdefault(warnings[wid].level, dict.fromkeys(data.COUNTS, 0))[k] += 1
            child = _ancestor(regions[warnings[wid].region_code], child_level) if child_level else code
            by_child.setdefault(child, dict.fromkeys(data.COUNTS, 0))[k] += 1
    return totals, by_level, by_child


def _busiest(raw, count=10) -> list[data.Shift]:
    """The recent complete shifts, the one with the most warning actions first."""
    _, _, actions = raw
    done = data.recent_shifts(TIMES, now(), count)[1:]
    return sorted(done, key=lambda s: -sum(1 for a in actions if s.start <= a.at < s.end))


# 1 -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["city", "county"])
def test_hnd001_the_sheet_counts_what_the_raw_rows_say(db, level):
    raw = _raw(db["eng"])
    code = "450800" if level == "city" else db["county"]
    child_level = "county" if level == "city" else "township"
    checked = 0
    with db["eng"].connect() as conn:
        scope = scope_of(conn, "450800")
        for shift in _busiest(raw)[:3]:
            f = data.figures(conn, scope, code, shift, now())
            totals, by_level, by_child = _recount(raw, code, level, child_level, shift)
            assert f["totals"] == totals, shift.key
            for row in f["by_level"]:
                assert {k: row[k] for k in data.COUNTS} == by_level.get(row["level"], dict.fromkeys(data.COUNTS, 0))
            sheet_children = {r["code"]: {k: r[k] for k in data.COUNTS} for r in f["by_region"]}
            assert {c: v for c, v in sheet_children.items() if any(v.values())} == by_child, shift.key
            for k in data.COUNTS:  # the rows add up to the total
                assert sum(r[k] for r in f["by_region"]) == totals[k]
            assert f["listed"]["open"] == totals["open"] and len(f["open_list"]) == min(totals["open"], 100)
            checked += sum(totals.values())
            # The comments are the officers' own, in the shift, in order.
            assert all(shift.start.isoformat() <= c["at"] < shift.end.isoformat() and c["actor"] != "system"
                       for c in f["comments"])
    # A real shift: something happened and something was left open.
    assert checked > 0
    busiest = _recount(raw, code, level, child_level, _busiest(raw)[0])[0]
    assert busiest["open"] > 0 and busiest["raised"] + busiest["acknowledged"] + busiest["resolved"] > 0


# 2 -------------------------------------------------------------------------------------------

def test_hnd002_outgoing_then_incoming_sign_and_the_sheet_is_frozen(db):
    app, eng = db["app"], db["eng"]
    shift = _busiest(_raw(eng))[0]
    before_audits = len(_audits(eng))
    duty, leader = _person(app, "city_duty"), _person(app, "city_leader")
    shown = _show(duty, app, shift.key, "450800")
    assert shown["hnd-sign-out"]["disabled"] is False and shown["hnd-sign-in"]["disabled"] is True
    with eng.connect() as conn:
        live = data.figures(conn, scope_of(conn, "450800"), "450800", shift, now())
    assert "已交班" in _said(_sign(duty, app, "outgoing", shift.key, "450800"))
    # The outgoing officer cannot take the shift over; the incoming one can.
    shown = _show(duty, app, shift.key, "450800")
    assert shown["hnd-sign-out"]["disabled"] is True and shown["hnd-sign-in"]["disabled"] is True
    assert _show(leader, app, shift.key, "450800")["hnd-sign-in"]["disabled"] is False
    assert "已接班" in _said(_sign(leader, app, "incoming", shift.key, "450800"))
    with eng.connect() as conn:
        stored = conn.execute(select(handover).where(handover.c.region_code == "450800",
                                                     handover.c.shift_start == shift.start)).one()
        signs = conn.execute(select(handover_signoff).where(handover_signoff.c.region_code == "450800",
                                                            handover_signoff.c.shift_start == shift.start)
                             .order_by(handover_signoff.c.role)).all()
    assert json.loads(stored.figures) == live  # what was signed is what the officer saw
    assert [(s.role, s.username, s.figures_sha256) for s in signs] == [
        ("incoming", "city_leader", stored.figures_sha256), ("outgoing", "city_duty", stored.figures_sha256)]
    # Two audit rows, one per sign-off, each naming the shift.
    rows = _audits(eng)[before_audits:]
    assert [(a.action, a.actor, a.ok) for a in rows] == [("handover_outgoing", "city_duty", True),
                                                        ("handover_incoming", "city_leader", True)]
    assert all(a.target == f"handover:450800:{shift.key}" for a in rows)
    # Later the data changes inside that shift: a warning raised then, entered afterwards.
    at = shift.start + dt.timedelta(minutes=30)
    with eng.begin() as conn:
        grid = conn.execute(select(region.c.code).where(region.c.level == "grid").order_by(region.c.code)
                            .limit(1)).scalar()
        wid = conn.execute(insert(warning).values(
            dedup_key="major:hnd-late", rule="major", level="red", region_code=grid, reason="补录的预警",
            status="new", version=1, created_at=at, updated_at=at, escalated=False)).inserted_primary_key[0]
        conn.execute(insert(warning_action).values(warning_id=wid, action="raise", actor="system", at=at,
                                                   after='{"status": "new"}'))
    with eng.connect() as conn:
        scope = scope_of(conn, "450800")
        recount = data.figures(conn, scope, "450800", shift, now())
        frozen = data.sheet(conn, scope, "450800", shift, now())
    assert recount["totals"]["raised"] == live["totals"]["raised"] + 1  # the data did change …
    assert frozen["figures"] == live and frozen["state"] == "signed" and frozen["intact"]  # … the sheet did not
    shown = _show(leader, app, shift.key, "450800")
    cell = _find(shown["hnd-sheet"]["children"], "hnd-levels-total-raised")
    assert cell["props"]["children"] == str(live["totals"]["raised"])
    assert "已交接" in json.dumps(shown["hnd-signoffs"], ensure_ascii=False)
    assert shown["hnd-sign-out"]["disabled"] is True and shown["hnd-sign-in"]["disabled"] is True
    # Neither role can be signed again.
    assert "不能重复交班" in _said(_sign(leader, app, "outgoing", shift.key, "450800"))
    assert "已由 city_leader 接班" in _said(_sign(duty, app, "incoming", shift.key, "450800"))


# 3 -------------------------------------------------------------------------------------------

def test_hnd003_one_officer_cannot_sign_both(db):
    app, eng = db["app"], db["eng"]
    shift = _busiest(_raw(eng))[1]
    duty = _person(app, "city_duty")
    assert "已交班" in _said(_sign(duty, app, "outgoing", shift.key, "450800"))
    n = len(_audits(eng))
    assert "不能是同一人" in _said(_sign(duty, app, "incoming", shift.key, "450800"))
    refused = _audits(eng)[n:]
    assert [(a.action, a.actor, a.ok) for a in refused] == [("handover_incoming", "city_duty", False)]
    with eng.connect() as conn:
        roles = conn.execute(select(handover_signoff.c.role).where(
            handover_signoff.c.region_code == "450800", handover_signoff.c.shift_start == shift.start)).scalars()
        assert sorted(roles) == ["outgoing"]
        assert data.sheet(conn, scope_of(conn, "450800"), "450800", shift, now())["state"] == "handed"
    # Nor can the incoming sign first, nor anyone sign a shift long before its end.
    other = _busiest(_raw(eng))[2]
    assert "须在交班之后" in _said(_sign(_person(app, "city_leader"), app, "incoming", other.key, "450800"))
    running = data.recent_shifts(TIMES, now(), 1)[0]  # 15:30 of a shift that ends at 20:00
    assert "尚未到交班时间" in _said(_sign(duty, app, "outgoing", running.key, "450800"))
    assert _show(duty, app, running.key, "450800")["hnd-sign-out"]["disabled"] is True


# 4 -------------------------------------------------------------------------------------------

def test_hnd004_another_township_can_neither_see_nor_sign(db):
    app, eng = db["app"], db["eng"]
    town_a, town_b = db["towns"]
    shift = _busiest(_raw(eng))[0]
    own = _person(app, "town_duty")  # town A's duty officer sees town A's sheet
    assert _find(_show(own, app, shift.key, town_a)["hnd-sheet"], "hnd-figures") is not None
    stranger = _person(app, "other_town_leader")  # a leader of town B
    n = len(_audits(eng))
    shown = _show(stranger, app, shift.key, town_a)
    said = json.dumps(shown["hnd-sheet"], ensure_ascii=False)
    assert "不存在或无权查看" in said and "hnd-figures" not in said
    assert shown["hnd-sign-out"]["disabled"] is True and shown["hnd-sign-in"]["disabled"] is True
    assert "不存在或无权查看" in _said(_sign(stranger, app, "outgoing", shift.key, town_a))
    r = stranger.get(f"/handover/download?region={town_a}&shift={shift.key}&format=pdf")
    assert r.status_code == 404 and "%PDF" not in r.get_data(as_text=True)
    refused = _audits(eng)[n:]
    assert [(a.action, a.actor, a.ok) for a in refused] == [
        ("handover_view", "other_town_leader", False), ("handover_outgoing", "other_town_leader", False),
        ("handover_export", "other_town_leader", False)]
    with eng.connect() as conn:
        assert conn.execute(select(handover).where(handover.c.region_code == town_a)).first() is None
    # The page itself is refused too, and an analyst has no handover at all (refused by the gate, audited).
    assert "不存在或无权查看" in json.dumps(dashcall.call(stranger, app, dashcall.find(app, "page.children"),
                                                       ["/handover", f"?region={town_a}"]).get_json(),
                                         ensure_ascii=False)
    analyst = _person(app, "city_analyst")
    r = _sign(analyst, app, "outgoing", shift.key, "450800")
    assert r.status_code == 403
    assert _audits(eng, "handover_sign")[-1].actor == "city_analyst"
    assert analyst.get(f"/handover/download?region=450800&shift={shift.key}&format=pdf").status_code == 403


@pytest.mark.parametrize("shift_key, region_code", [
    (None, "450800"), (12, "450800"), ("2026-11-19T21:00", "450800"), ("2099-01-01T08:00", "450800"),
    ("x" * 5000, "450800"), ("2026-11-19T20:00", {"code": "450800"}), ("2026-11-19T20:00", "4508001"),
    ("2026-02-30T08:00", "450800")])
def test_hnd004b_hostile_payloads_get_a_sentence(db, shift_key, region_code):
    app = db["app"]
    duty = _person(app, "city_duty")
    shown = json.dumps(_show(duty, app, shift_key, region_code)["hnd-sheet"], ensure_ascii=False)
    assert "hnd-error" in shown and "hnd-figures" not in shown
    with db["eng"].connect() as conn:
        before = conn.execute(select(handover.c.region_code, handover.c.shift_start)).all()
    r = _sign(duty, app, "outgoing", shift_key, region_code)
    assert r.status_code == 200 and '"color": "warning"' in _said(r)
    with db["eng"].connect() as conn:
        assert conn.execute(select(handover.c.region_code, handover.c.shift_start)).all() == before  # nothing signed


# 5 -------------------------------------------------------------------------------------------

def test_hnd005_the_word_and_pdf_files_carry_the_figures(db):
    from docx import Document
    from pypdf import PdfReader
    app, eng = db["app"], db["eng"]
    shift, county = _busiest(_raw(eng))[0], db["county"]
    duty, leader = _person(app, "city_duty"), _person(app, "city_leader")
    assert "已交班" in _said(_sign(duty, app, "outgoing", shift.key, county))
    assert "已接班" in _said(_sign(leader, app, "incoming", shift.key, county))
    with eng.connect() as conn:
        sheet = data.sheet(conn, scope_of(conn, "450800"), county, shift, now())
    f = sheet["figures"]
    n = len(_audits(eng, "handover_export"))
    got = {}
    for fmt in ("docx", "pdf"):
        r = leader.get(f"/handover/download?region={county}&shift={shift.key}&format={fmt}")
        assert r.status_code == 200, r.get_data(as_text=True)[:200]
        assert f"handover-{county}-" in r.headers["Content-Disposition"]
        got[fmt] = r.data
    doc = Document(io.BytesIO(got["docx"]))
    rows = {t.rows[0].cells[0].text: [[c.text for c in row.cells] for row in t.rows] for t in doc.tables}
    total = ["合计", *[f"{f['totals'][k]:,}" for k in data.COUNTS]]
    assert rows["级别"][-1] == total and rows["区域"][-1] == total
    assert [r[0] for r in rows["区域"][1:-1]] == [r["name"] for r in f["by_region"]]
    body = "\n".join(p.text for p in doc.paragraphs)
    assert f["shift"]["label"] in body and "交班人：city_duty" in body and "接班人：city_leader" in body
    reader = PdfReader(io.BytesIO(got["pdf"]))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    # pypdf spaces out (or NUL-separates) CJK glyphs: compare without them.
    pdf_text = re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in reader.pages))
    assert "值班交接班记录" in pdf_text and f["region"]["name"] in pdf_text
    assert "合计" + "".join(str(f["totals"][k]) for k in data.COUNTS) in pdf_text
    for level_row in f["by_level"]:
        words = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}[level_row["level"]]
        assert words + "".join(str(level_row[k]) for k in data.COUNTS) in pdf_text
    assert "交班人：city_duty" in pdf_text and "接班人：city_leader" in pdf_text
    exports = _audits(eng, "handover_export")[n:]
    assert [(a.actor, a.ok) for a in exports] == [("city_leader", True), ("city_leader", True)]
    bad = leader.get(f"/handover/download?region={county}&shift={shift.key}&format=xlsx")
    assert bad.status_code == 400 and _audits(eng, "handover_export")[-1].ok is False


# 6 -------------------------------------------------------------------------------------------

def test_hnd006_shifts_come_from_the_setting():
    assert data.parse_times("20:00, 08:00") == (dt.time(8), dt.time(20))
    for bad in ("", "8:00", "24:00", "08:00;20:00", "morning"):
        with pytest.raises(ValueError):
            data.parse_times(bad)
    at = dt.datetime(2026, 11, 20, 7, 30, tzinfo=dt.timezone.utc)  # 15:30 in Shanghai
    assert [s.key for s in data.recent_shifts(TIMES, at, 3)] == ["2026-11-20T08:00", "2026-11-19T20:00",
                                                                  "2026-11-19T08:00"]
    night = data.parse_shift(TIMES, "2026-11-19T20:00", at)
    assert (night.start, night.end) == (dt.datetime(2026, 11, 19, 12, tzinfo=dt.timezone.utc),
                                        dt.datetime(2026, 11, 20, 0, tzinfo=dt.timezone.utc))
    assert night.label == "11月19日20:00—11月20日08:00"
    assert data.default_shift(TIMES, at).key == "2026-11-19T20:00"  # the running one is hours from its end
    assert data.default_shift(TIMES, at + dt.timedelta(hours=4)).key == "2026-11-20T08:00"  # 19:30: its last hour
    three = data.parse_times("00:00,08:00,16:00")
    assert data.shift_at(three, at).key == "2026-11-20T08:00" and data.shift_at(three, at).end.hour == 8


# 7 -------------------------------------------------------------------------------------------

def _sign_in_as(dash_duo, username, path):
    driver = dash_duo.driver
    driver.delete_all_cookies()
    driver.get(f"{dash_duo.server_url}/login?next={path}")
    dash_duo.wait_for_element("#username", timeout=20).send_keys(username)
    driver.find_element("css selector", "#password").send_keys(TEST_PASSWORD)
    driver.find_element("css selector", "#login-submit").click()
    end = time.time() + 20
    while time.time() < end and "/login" in driver.current_url:
        time.sleep(0.2)
    assert "/login" not in driver.current_url, "sign-in failed"


def test_hnd007_in_the_browser_two_officers_hand_over(dash_duo, sqlite_url, tmp_path):
    from .browser import click, start_signed_in
    url = copy_sqlite(sqlite_url, tmp_path / "browser.db")
    app = create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2})
    start_signed_in(dash_duo, app, path="/handover")
    driver = dash_duo.driver
    driver.set_window_size(1600, 1000)
    dash_duo.wait_for_element("#hnd-levels", timeout=30)
    dash_duo.wait_for_contains_text("#hnd-signoffs", "未交班", timeout=20)
    assert "交接班" in dash_duo.find_element("#nav-handover").text
    click(dash_duo, "#hnd-sign-out")
    dash_duo.wait_for_contains_text("#hnd-feedback", "已交班", timeout=20)
    dash_duo.wait_for_contains_text("#hnd-signoffs", "待接班", timeout=20)
    assert not dash_duo.find_element("#hnd-sign-in").is_enabled()  # not for the one who handed over
    # The next shift's officer signs in on the same browser and takes over.
    _sign_in_as(dash_duo, "city_leader", "/handover")
    dash_duo.wait_for_contains_text("#hnd-signoffs", "待接班", timeout=30)
    click(dash_duo, "#hnd-sign-in")
    dash_duo.wait_for_contains_text("#hnd-feedback", "已接班", timeout=20)
    dash_duo.wait_for_contains_text("#hnd-signoffs", "已交接", timeout=20)
    signed = dash_duo.find_element("#hnd-signoffs").text
    assert "city_duty" in signed and "city_leader" in signed
    assert not dash_duo.find_element("#hnd-sign-out").is_enabled()
    assert not dash_duo.find_element("#hnd-sign-in").is_enabled()
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "handover-desk.png"))
    eng = make_engine(url)
    with eng.connect() as conn:
        assert [(s.role, s.username) for s in conn.execute(select(handover_signoff)
                                                             .order_by(handover_signoff.c.role))] == [
            ("incoming", "city_leader"), ("outgoing", "city_duty")]
    eng.dispose()
    assert not [e for e in (dash_duo.get_logs() or []) if e.get("level") == "SEVERE"]
