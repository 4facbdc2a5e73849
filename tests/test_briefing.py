"""周报 (issue #5): the week's figures against pandas over raw rows, week-on-week changes,
the three files read back with their readers, scope (no row from another county),
masking, the CLI, and the download route's answers to hostile input."""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pandas as pd
import pytest
from sqlalchemy import func, insert, select

from data_access import briefing as data
from data_access.schema import appeal, grid_worker, incident, region, warning
from data_access.scope import scope_of
from dashboard.briefing import content
from dashboard.briefing.files import make

from . import oracle
from .conftest import now

SH = "Asia/Shanghai"
COMPLETE, RUNNING = "2026-W46", "2026-W47"  # the tiny city ends on Friday 2026-11-20 15:30


# --- an independent reading of docs/briefing.md, from raw rows ---------------------------

def _bounds(label: str, at: dt.datetime, shift_days: int = 0):
    """(start, as_of) in UTC: Monday 00:00 Shanghai to Sunday 23:59:59, or `at` if earlier."""
    year, week = int(label[:4]), int(label[-2:])
    start = pd.Timestamp(dt.date.fromisocalendar(year, week, 1)).tz_localize(SH).tz_convert("UTC")
    as_of = min(start + pd.Timedelta(days=7) - pd.Timedelta(seconds=1), pd.Timestamp(at))
    shift = pd.Timedelta(days=shift_days)
    return start + shift, as_of + shift


def _day(s: pd.Series) -> pd.Series:
    return s.dt.tz_convert(SH).dt.date


def _incidents(conn, level, code, as_of):
    raw = oracle.table(conn, "incident")
    inc = oracle.located(raw, oracle.grids(conn), level, code)
    inc = inc[inc.reported_at.notna() & (inc.reported_at <= as_of)]
    inc = inc[~(inc.closed_at.notna() & (inc.closed_at < inc.reported_at))]
    first = raw.sort_values("id").drop_duplicates(["source", "source_ref"], keep="first").id
    return inc[inc.id.isin(first)].copy()


def _ratio(a, b):
    return None if not b else round(a / b, 4)


def _clamp(x):
    return max(0.0, min(100.0, x))


def expected(conn, level: str, code: str, start, as_of) -> dict:
    """Every headline figure of the briefing, counted by the book."""
    inc = _incidents(conn, level, code, as_of)
    closed_now = inc.closed_at.notna() & (inc.closed_at <= as_of)
    rep = inc[inc.reported_at >= start]
    same_day = closed_now[rep.index] & (_day(rep.closed_at) == _day(rep.reported_at))
    open_ = inc[~closed_now]
    g = oracle.grids(conn)
    ngrids = len(g[(g["code"] if level == "grid" else g[f"{level}_code"]) == code])
    pat = oracle.located(oracle.table(conn, "patrol"), g, level, code)
    pat = pat[pat.started_at.notna() & (pat.started_at <= as_of) & (pat.started_at >= start)]
    pat = pat[~(pat.ended_at.notna() & (pat.ended_at < pat.started_at))].copy()
    pat["day"] = _day(pat.started_at)
    days = (as_of.tz_convert(SH).date() - start.tz_convert(SH).date()).days + 1
    grid_days = len(pat[["grid_code", "day"]].drop_duplicates())
    kp = oracle.located(oracle.table(conn, "key_person"), g, level, code)
    vis = oracle.table(conn, "visit")
    last = vis[vis.visited_at <= as_of].groupby("key_person_id").visited_at.max()
    kp = kp.assign(last=kp.id.map(last))
    on_time = int((kp["last"].notna() & (kp["last"] >= as_of - pd.to_timedelta(kp.visit_interval_days, unit="D"))).sum())
    app = oracle.located(oracle.table(conn, "appeal"), g, level, code)
    app = app[app.received_at.notna() & (app.received_at <= as_of)]
    app = app[~(app.resolved_at.notna() & (app.resolved_at < app.received_at))]
    week = app[app.received_at >= start]
    sat = week.satisfaction.dropna()
    rated = week[week.sentiment.notna()]
    # Barometer at as_of (docs/metrics.md): last 7 days against the 28 before.
    a7 = app[app.received_at >= as_of - pd.Timedelta(days=7)]
    a28 = app[(app.received_at < as_of - pd.Timedelta(days=7)) & (app.received_at >= as_of - pd.Timedelta(days=35))]
    ratio = (len(a7) / 7) / (len(a28) / 28) if len(a28) else 1.0
    volume = _clamp(80 - 100 * (ratio - 1))
    r7, r28 = a7[a7.sentiment.notna()], a28[a28.sentiment.notna()]
    shift = ((r7.sentiment < 0).mean() - (r28.sentiment < 0).mean()) if len(r7) and len(r28) else 0.0
    mood = _clamp(80 - 300 * shift)
    s30 = app[app.received_at >= as_of - pd.Timedelta(days=30)].satisfaction.dropna()
    s30 = round(float(s30.mean()), 2) if len(s30) else None
    satisfaction_score = _clamp((s30 - 1) / 4 * 100) if s30 is not None else 80.0
    return {
        "received": len(rep), "closed": int((closed_now & (inc.closed_at >= start)).sum()),
        "cleared_same_day": int(same_day.sum()), "clearance_rate": _ratio(int(same_day.sum()), len(rep)),
        "open": len(open_), "overdue": int((open_.sla_due_at < as_of).sum()),
        "patrols": len(pat), "issues": int(pat.issues_found.fillna(0).sum()),
        "km": round(float(pat.distance_m.fillna(0).sum()) / 1000, 1), "grid_days": grid_days,
        "grids_total": ngrids, "patrol_coverage": _ratio(grid_days, ngrids * days),
        "grids_patrolled": int(pat.grid_code.nunique()), "key_persons": len(kp), "visited_on_time": on_time,
        "visit_on_time_rate": _ratio(on_time, len(kp)),
        "appeals": len(week), "satisfaction": round(float(sat.mean()), 2) if len(sat) else None,
        "negative_share": _ratio(int((rated.sentiment < 0).sum()), len(rated)),
        "barometer_index": round(0.35 * volume + 0.35 * mood + 0.30 * satisfaction_score, 1),
    }


def _codes(conn) -> dict:
    """city; the busiest township; the busiest village of it."""
    town = conn.execute(select(incident.c.township_code, func.count()).group_by(incident.c.township_code)
                        .order_by(func.count().desc(), incident.c.township_code).limit(1)).first()[0]
    village = conn.execute(select(incident.c.village_code, func.count()).where(incident.c.township_code == town)
                           .group_by(incident.c.village_code)
                           .order_by(func.count().desc(), incident.c.village_code).limit(1)).first()[0]
    return {"city": "450800", "township": town, "village": village}


def _close(a, b):
    if a is None or b is None:
        return a == b
    return abs(a - b) < 1e-9


# --- weeks ----------------------------------------------------------------------------------

def test_brf001_weeks_parse_and_refuse():
    w = data.parse_week("2026-W47")
    assert (w.monday, w.sunday) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert w.start == dt.datetime(2026, 11, 15, 16, tzinfo=dt.timezone.utc)
    assert w.previous().label == "2026-W46" and data.parse_week("2026-W01").previous().label == "2025-W52"
    assert data.parse_week("2026-W53").monday == dt.date(2026, 12, 28)  # 2026 has 53 ISO weeks
    for bad in ("2025-W53", "2026-W00", "2026-W54", "2026W47", "2026-w47", "2026-W47\n", " 2026-W47",
                "２０２６-W47", "2026-W4७", "x' OR 1=1 --", "", None, 202647, "1999-W10", "2100-W01"):
        with pytest.raises(data.WeekError):
            data.parse_week(bad)
    at = now()  # Friday 2026-11-20 15:30 Shanghai
    assert data.last_complete_week(at).label == COMPLETE
    assert [x.label for x in data.recent_weeks(at, 3)] == [RUNNING, COMPLETE, "2026-W45"]
    span = data.parse_week(RUNNING).span(at)
    assert span.as_of == at and span.days == 5 and not data.parse_week(RUNNING).complete(at)
    full = data.parse_week(COMPLETE).span(at)
    assert full.as_of == dt.datetime(2026, 11, 15, 15, 59, 59, tzinfo=dt.timezone.utc) and full.days == 7
    with pytest.raises(data.WeekError):
        data.parse_week("2026-W48").span(at)  # begins after now


# --- figures ----------------------------------------------------------------------------------

@pytest.mark.parametrize("label", [COMPLETE, RUNNING])
@pytest.mark.parametrize("level", ["city", "township", "village"])
def test_brf002_headline_equals_raw_rows(conn, city_scope, level, label):
    code = _codes(conn)[level]
    span = data.parse_week(label).span(now())
    got = data.headline(conn, city_scope, code, span)
    want = expected(conn, level, code, *_bounds(label, now()))
    assert want["received"] > 0 and want["appeals"] > 0 and want["patrols"] > 0, "the week has data"
    for key, value in want.items():
        assert _close(got[key], value), (key, got[key], value)


@pytest.mark.parametrize("level", ["city", "township"])
def test_brf003_previous_week_and_changes(conn, city_scope, level):
    code = _codes(conn)[level]
    for label in (COMPLETE, RUNNING):
        report = data.report(conn, city_scope, code, data.parse_week(label), now())
        # The previous week is the same span 7 days earlier: a running week meets the same weekdays.
        prev = expected(conn, level, code, *_bounds(label, now(), -7))
        for key, value in prev.items():
            assert _close(report["prev"][key], value), (label, key, report["prev"][key], value)
        table = content.key_figures(report["this"], report["prev"])
        rows = {r[0]: r for r in table.rows}
        this, last = report["this"], report["prev"]
        r = rows["受理事件（件）"]
        assert r[1:3] == [this["received"], last["received"]]
        assert r[3] == round((this["received"] - last["received"]) / last["received"], 4)
        assert table.text(0, 3) == f"{(this['received'] - last['received']) / last['received'] * 100:+.1f}%"
        r = rows["日清零率（全周）"]
        assert r[3] == round((this["clearance_rate"] - last["clearance_rate"]) * 100, 1)
        assert table.text(2, 3).endswith("个百分点") or table.text(2, 3) == "持平"
        r = rows["诉求满意度（分）"]
        assert r[3] == round(this["satisfaction"] - last["satisfaction"], 2)
        r = rows["晴雨表指数"]
        assert r[3] == round(this["barometer_index"] - last["barometer_index"], 1)
    assert content.change(0, 0, "int") == 0.0 and content.change(5, 0, "int") is None
    assert content.change(None, 3, "rate") is None


def test_brf004_children_partition_the_region_and_rank(conn, city_scope):
    town = _codes(conn)["township"]
    span = data.parse_week(COMPLETE).span(now())
    head = data.headline(conn, city_scope, town, span)
    kids = data.children(conn, city_scope, town, span)
    assert kids and all(k["level"] == "village" and k["code"].startswith(town) for k in kids)
    for key in ("received", "closed", "cleared_same_day", "overdue", "patrols", "appeals", "grid_days",
                "grids_total", "issues"):
        assert sum(k[key] for k in kids) == head[key], key
    start, as_of = _bounds(COMPLETE, now())
    some = max(kids, key=lambda k: k["received"])
    want = expected(conn, "village", some["code"], start, as_of)
    for key in ("received", "closed", "clearance_rate", "overdue", "patrol_coverage", "visit_on_time_rate",
                "appeals", "satisfaction", "barometer_index"):
        assert _close(some[key], want[key]), key
    ranked = content.children_table(kids, "village").rows
    rates = [r[4] for r in ranked if r[4] is not None]
    assert rates == sorted(rates, reverse=True) and [r[0] for r in ranked] == list(range(1, len(kids) + 1))
    grid = conn.execute(select(region.c.code).where(region.c.level == "grid", region.c.township_code == town)
                        .limit(1)).scalar()
    assert data.children(conn, city_scope, grid, span) == []


def test_brf005_lists_scoped_masked_and_counted(conn, city_scope):
    town = _codes(conn)["township"]
    report = data.report(conn, city_scope, town, data.parse_week(COMPLETE), now())
    start, as_of = _bounds(COMPLETE, now())
    town_name = conn.execute(select(region.c.name).where(region.c.code == town)).scalar()
    # Workers: the township's only, masked, ranked by patrols.
    w = report["workers"]
    active = conn.execute(select(func.count()).select_from(grid_worker.join(region, region.c.code == grid_worker.c.grid_code))
                          .where(region.c.township_code == town, grid_worker.c.active.is_(True))).scalar()
    assert w["total"] == active and w["rows"]
    assert all(r["grid_code"].startswith(town) and re.fullmatch(r".\*+", r["name"]) for r in w["rows"])
    patrols = [r["patrols"] for r in w["rows"]]
    assert patrols[:data.TOP_WORKERS] == sorted(patrols[:data.TOP_WORKERS], reverse=True)
    # Overdue: open at the week's end and late, most late first, all in the township.
    inc = _incidents(conn, "township", town, as_of)
    late = inc[~(inc.closed_at.notna() & (inc.closed_at <= as_of)) & (inc.sla_due_at < as_of)]
    assert report["overdue"]["total"] == len(late) > 0
    rows = report["overdue"]["rows"]
    assert [r["id"] for r in rows] == late.sort_values(["sla_due_at", "id"], ascending=[True, False]).id.tolist()[:len(rows)]
    assert all(r["township"] == town_name for r in rows)
    assert rows[0]["hours_late"] == round((as_of - late.sla_due_at.min()).total_seconds() / 3600, 1)
    # Topics: counts of this week and the one before.
    app = oracle.located(oracle.table(conn, "appeal"), oracle.grids(conn), "township", town)
    app = app[app.received_at.notna() & (app.received_at <= as_of)]
    app = app[~(app.resolved_at.notna() & (app.resolved_at < app.received_at))]
    this = app[app.received_at >= start].topic.fillna("未分类").value_counts()
    prev = app[(app.received_at >= start - pd.Timedelta(days=7)) & (app.received_at < start)].topic.fillna("未分类").value_counts()
    for t in report["topics"]:
        assert t["appeals"] == this[t["topic"]] and t["prev"] == prev.get(t["topic"], 0)
    assert report["topics"][0]["appeals"] == this.max()
    # Categories: this week and the week before, per category.
    cats = {c["category"]: c for c in report["categories"]}
    week_inc = inc[inc.reported_at >= start]
    assert {k: v["this"] for k, v in cats.items() if v["this"] and k is not None} == \
        week_inc.category.dropna().value_counts().to_dict()


# --- files -----------------------------------------------------------------------------------

def docx_text(blob: bytes) -> str:
    from docx import Document
    doc = Document(io.BytesIO(blob))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


def xlsx_values(blob: bytes) -> list:
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(blob))
    return [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def pdf_text(blob: bytes) -> str:
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(blob)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_brf006_files_read_back(conn, city_scope):
    from docx import Document
    from docx.oxml.ns import qn
    from openpyxl import load_workbook
    import pypdf

    b, files, _ = make(conn, city_scope, "450800", data.parse_week(COMPLETE), now())
    want = expected(conn, "city", "450800", *_bounds(COMPLETE, now()))
    prev = expected(conn, "city", "450800", *_bounds(COMPLETE, now(), -7))
    change = (want["received"] - prev["received"]) / prev["received"]

    # Word: A4, masthead, numbered headings, key figures as in the oracle, East Asian fonts.
    doc = Document(io.BytesIO(files["docx"]))
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert doc.paragraphs[0].text == "贵港市网格化社会治理周报" and doc.paragraphs[0].style.name == "Title"
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert heads[:3] == ["一、本周概况", "二、主要指标", "三、图表"] and "八、红色和橙色预警" in heads
    rfonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "宋体"
    assert doc.styles["Heading 1"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
    assert "Noto Serif CJK SC" in [p for p in doc.part.package.iter_parts()
                                   if p.partname == "/word/fontTable.xml"][0].blob.decode()
    figures = {row.cells[0].text: [c.text for c in row.cells] for row in doc.tables[0].rows}
    assert figures["受理事件（件）"] == ["受理事件（件）", f"{want['received']:,}", f"{prev['received']:,}",
                                     f"{change * 100:+.1f}%"]
    assert figures["日清零率（全周）"][1] == f"{want['clearance_rate'] * 100:.1f}%"
    assert figures["期末超期事件（件）"][1] == f"{want['overdue']:,}"
    assert figures["诉求满意度（分）"][1] == f"{want['satisfaction']:.2f}"
    assert len(doc.inline_shapes) == 3  # trend, categories, children
    summary = "\n".join(p.text for p in doc.paragraphs)
    assert f"全市共受理事件{want['received']:,}件，环比{'上升' if change > 0 else '下降'}{abs(change) * 100:.1f}%" in summary

    # Excel: a sheet per table, typed cells, frozen headers, the same numbers.
    wb = load_workbook(io.BytesIO(files["xlsx"]))
    assert wb.sheetnames == ["概要", "主要指标", "下级区域排名", "网格员考核", "超期事件", "诉求热点", "红橙预警",
                             "每日事件", "事件类别"]
    ws = wb["主要指标"]
    assert ws.freeze_panes == "A2" and ws["A1"].value == "指标"
    cells = {ws.cell(row=r, column=1).value: [ws.cell(row=r, column=c) for c in (2, 3, 4)] for r in range(2, ws.max_row + 1)}
    assert cells["受理事件（件）"][0].value == want["received"] and isinstance(cells["受理事件（件）"][0].value, int)
    assert cells["受理事件（件）"][2].value == round(change, 4) and cells["受理事件（件）"][2].number_format.startswith("+0.0%")
    assert cells["日清零率（全周）"][0].value == want["clearance_rate"] and cells["日清零率（全周）"][0].number_format == "0.0%"
    assert cells["晴雨表指数"][0].value == want["barometer_index"]
    od = wb["超期事件"]
    assert od.freeze_panes == "A2" and isinstance(od["G2"].value, dt.datetime) and od["G2"].number_format == "yyyy-mm-dd hh:mm"
    assert isinstance(wb["每日事件"]["A2"].value, dt.datetime)  # a date cell (openpyxl reads dates as datetimes)
    assert [wb["每日事件"].cell(row=r, column=2).value for r in range(2, 16)][-7:] == \
        [d["reported"] for d in data.report(conn, city_scope, "450800", data.parse_week(COMPLETE), now())["trend"]][-7:]
    assert sum(wb["每日事件"].cell(row=r, column=2).value for r in range(9, 16)) == want["received"]

    # PDF: the same text, Chinese intact, the CJK faces embedded as fonts (not drawn as Type3).
    text = pdf_text(files["pdf"])
    assert "贵港市网格化社会治理周报" in text and "一、本周概况" in text and "网格" in text
    assert f"全市共受理事件{want['received']:,}件" in text.replace("\r\n", "")
    assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in text), "ideographs mapped to radicals"
    reader = pypdf.PdfReader(io.BytesIO(files["pdf"]))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    fonts = set()
    for page in reader.pages:
        for f in page["/Resources"]["/Font"].values():
            f = f.get_object()
            desc = f["/DescendantFonts"][0].get_object()
            assert f["/Subtype"] == "/Type0" and "/FontFile3" in desc["/FontDescriptor"].get_object()
            fonts.add(str(f["/BaseFont"]).split("+")[-1])
    assert fonts == {"NotoSerifCJKSC", "NotoSansCJKSCBold"}  # subsets of the body and the bold face


# --- scope and masking, with rows planted in a second county ------------------------------------

def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def _plant(conn) -> dict:
    """港南区 (450803) with one township, village and grid; a late incident, appeals, a worker and
    warnings there; in 港北区 a late incident whose title carries a phone and an ID number."""
    city = {"city_code": "450800", "is_urban": False, "population": 100, "households": 30, "enterprises": 1}
    # executemany takes its columns from the first row: every row names every column.
    conn.execute(insert(region), [
        dict(code="450803", name="港南区", level="county", parent_code="450800", county_code="450803",
             township_code=None, village_code=None, **city),
        dict(code="450803100", name="测试桥镇", level="township", parent_code="450803", county_code="450803",
             township_code="450803100", village_code=None, **city),
        dict(code="450803100001", name="测试桥村委会", level="village", parent_code="450803100",
             county_code="450803", township_code="450803100", village_code="450803100001", **city),
        dict(code="450803100001001", name="第1网格", level="grid", parent_code="450803100001",
             county_code="450803", township_code="450803100", village_code="450803100001", **city)])
    south = dict(grid_code="450803100001001", village_code="450803100001", township_code="450803100",
                 county_code="450803")
    north = conn.execute(select(region.c.code, region.c.village_code, region.c.township_code, region.c.county_code)
                         .where(region.c.level == "grid", region.c.county_code == "450802").limit(1)).first()
    north = dict(grid_code=north[0], village_code=north[1], township_code=north[2], county_code=north[3])
    top = conn.execute(select(func.max(incident.c.id))).scalar() + 1
    conn.execute(insert(incident), [
        dict(id=top, source="hotline_12345", source_ref="brf-test-1", category="矛盾纠纷", severity=3,
             title="港南测试事件", reported_at=_at("2026-11-03T02:00:00"), sla_due_at=_at("2026-11-03T03:00:00"),
             status="reported", handling_level="grid", **south),
        dict(id=top + 1, source="hotline_12345", source_ref="brf-test-2", category="矛盾纠纷", severity=3,
             title="港北测试事件 联系电话13812345678 身份证450802199001011234",
             reported_at=_at("2026-11-03T02:00:00"), sla_due_at=_at("2026-11-03T03:30:00"),
             status="reported", handling_level="grid", **north),
        dict(id=top + 2, source="hotline_12345", source_ref="brf-test-3", category="消防安全", severity=2,
             title="港南本周事件", reported_at=_at("2026-11-10T02:00:00"), sla_due_at=_at("2026-11-20T03:00:00"),
             status="reported", handling_level="grid", **south)])
    aid = conn.execute(select(func.max(appeal.c.id))).scalar() + 1
    conn.execute(insert(appeal), [dict(id=aid + i, channel="wechat", received_at=_at("2026-11-11T03:00:00"),
                                       content="测试", topic="港南测试话题", sentiment=-0.5, satisfaction=1,
                                       **south) for i in range(40)])
    wid = conn.execute(select(func.max(grid_worker.c.id))).scalar() + 1
    conn.execute(insert(grid_worker).values(id=wid, grid_code=south["grid_code"], name="南测试员", role="grid_leader",
                                            phone="13900001111", party_member=False, active=True))
    rows = [("red", south["grid_code"], "港南测试预警", "2026-11-10T04:00:00"),
            ("red", north["grid_code"], "港北测试预警 13812345678", "2026-11-11T04:00:00"),
            ("yellow", north["grid_code"], "港北黄色预警", "2026-11-12T04:00:00"),
            ("orange", north["grid_code"], "周外测试预警", "2026-11-03T04:00:00")]
    for i, (level, code, reason, at) in enumerate(rows):
        conn.execute(insert(warning).values(
            dedup_key=f"brf-test:{i}", rule="major", level=level, region_code=code, subject_type="incident",
            subject_id=str(top), reason=reason, evidence=json.dumps({"incident": [top]}), status="new", version=1,
            created_at=_at(at), updated_at=_at(at), escalated=False))
    return {"north": north, "south": south}


SOUTH_MARKS = ("港南区", "测试桥镇", "港南测试事件", "港南本周事件", "港南测试预警", "港南测试话题")


def _fold_in(conn) -> None:
    """Dashboard rollups (where this build has them) hold settled days: fold the planted rows in,
    as the app's catch-up does for rows written late."""
    try:
        from data_access import rollups
    except ImportError:
        return
    if rollups.horizon(conn) is not None:
        rollups.catch_up(conn, now())


def test_brf007_county_briefing_has_nothing_from_another_county(wconn):
    city_scope = scope_of(wconn, "450800")
    week = data.parse_week(COMPLETE)
    # The seeded city's own warnings of the week (the seed replays the rules over its history).
    seeded = data.report(wconn, city_scope, "450802", week, now())["this"]["warnings"]
    seeded_city_red = data.report(wconn, city_scope, "450800", week, now())["this"]["warnings"]["red"]
    _plant(wconn)
    _fold_in(wconn)
    _, county, _ = make(wconn, city_scope, "450802", week, now())
    _, city, _ = make(wconn, city_scope, "450800", week, now())
    texts = {"county": (docx_text(county["docx"]), " ".join(map(str, xlsx_values(county["xlsx"]))),
                        pdf_text(county["pdf"]).replace("\r\n", "")),
             "city": (docx_text(city["docx"]), " ".join(map(str, xlsx_values(city["xlsx"]))),
                      pdf_text(city["pdf"]).replace("\r\n", ""))}
    for text in texts["county"]:
        assert not [m for m in SOUTH_MARKS if m in text], "a row from 港南区 in 港北区's briefing"
        assert "港北测试预警" in text and "周外测试预警" not in text
    for text in texts["city"]:
        for mark in ("港南区", "测试桥镇", "港南测试事件", "港南测试预警", "港北测试预警"):
            assert mark in text, mark
        assert "周外测试预警" not in text
    # Personal data: phone and ID numbers in titles and reasons, and workers' names, leave masked.
    for text in texts["county"] + texts["city"]:
        assert "13812345678" not in text and "450802199001011234" not in text and "南测试员" not in text
    assert "138****5678" in texts["county"][0] and "450802********1234" in texts["county"][0]
    # The planted late incidents top the overdue lists; the warning counts see the planted rows.
    report = data.report(wconn, city_scope, "450802", week, now())
    assert report["overdue"]["rows"][0]["title"].startswith("港北测试事件 联系电话138****5678")
    planted = {"red": 1, "orange": 0, "yellow": 1, "blue": 0}
    assert report["this"]["warnings"] == {level: seeded[level] + n for level, n in planted.items()}
    city_report = data.report(wconn, city_scope, "450800", week, now())
    assert city_report["this"]["warnings"]["red"] == seeded_city_red + 2
    assert [c["code"] for c in city_report["children"]] == ["450802", "450803"]
    south = city_report["children"][1]
    assert (south["received"], south["open"], south["overdue"], south["appeals"], south["warnings_red_orange"]) == \
        (1, 2, 1, 40, 1)
    planted = wconn.execute(select(func.max(grid_worker.c.id))).scalar()
    assert planted not in [w["wid"] for w in report["workers"]["rows"]]
    assert [w["name"] for w in city_report["workers"]["rows"] if w["wid"] == planted] == ["南***"]
    assert city_report["this"]["received"] == report["this"]["received"] + 1
    # A county-scoped caller cannot ask for the city or the other county.
    from data_access import OutOfScope
    with pytest.raises(OutOfScope):
        data.report(wconn, scope_of(wconn, "450802"), "450803", week, now())


# --- the text ---------------------------------------------------------------------------------

def test_brf008_summary_wording():
    def head(**kw):
        base = {"received": 1234, "closed": 1200, "clearance_rate": 0.961, "open": 50, "overdue": 12,
                "patrol_coverage": 0.95, "patrols": 4000, "issues": 300, "visit_on_time_rate": 0.9,
                "appeals": 500, "satisfaction": 4.5, "barometer_index": 72.0, "warnings_total": 0,
                "warnings": {"red": 0, "orange": 0, "yellow": 0, "blue": 0}}
        return {**base, **kw}
    report = {"region": {"code": "450800", "name": "贵港市", "level": "city"},
              "monday": dt.date(2026, 11, 16), "sunday": dt.date(2026, 11, 22), "complete": True,
              "as_of": _at("2026-11-22T15:59:59"),
              "this": head(warnings_total=3, warnings={"red": 1, "orange": 2, "yellow": 0, "blue": 0}),
              "prev": head(received=1140, clearance_rate=0.958, appeals=500),
              "children": [{"code": "450802", "name": "港北区", "overdue": 7}, {"code": "450881", "name": "桂平市", "overdue": 5},
                           {"code": "450803", "name": "港南区", "overdue": 0}],
              "topics": [{"topic": "未分类", "appeals": 2316}, {"topic": "邻里纠纷", "appeals": 1090}]}
    text = "".join(content.summary(report))
    assert text.startswith("本周（11月16日—11月22日），全市共受理事件1,234件，环比上升8.2%；")
    assert "日清零率（全周）96.1%，较上周提高0.3个百分点" in text
    assert "其中超期12件，主要集中在港北区（7件）、桂平市（5件）。" in text and "港南区" not in text
    assert "受理群众诉求500件，与上周持平" in text and "晴雨表指数72.0（多云）" in text
    assert "本周共发出风险预警3条，其中红色1条、橙色2条。" in text
    assert "诉求较多的是邻里纠纷（1,090件）。" in text  # 未分类 is not a topic to report
    report["complete"] = False
    assert "本周尚未结束" in content.summary(report)[-1]
    assert content.area_word("港北区", "county") == "全区" and content.area_word("桂平市", "county") == "全市"
    assert content.area_word("贵城街道", "township") == "全街道" and content.area_word("第3网格", "grid") == "本网格"


# --- CLI and web ------------------------------------------------------------------------------

def test_brf009_cli(db_url, tmp_path, capsys):
    from dashboard.__main__ import main
    args = ["briefing", "--db", db_url, "--region", "450802", "--week", COMPLETE, "--now", now().isoformat()]
    assert main(args + ["--out", str(tmp_path), "--format", "xlsx"]) == 0
    path = tmp_path / f"briefing-450802-{COMPLETE}.xlsx"
    assert path.exists() and "wrote" in capsys.readouterr().out
    from openpyxl import load_workbook
    assert load_workbook(path)["主要指标"]["B2"].value > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    for bad in (["--week", "2026-W99"], ["--week", "2026-W50"], ["--region", "abc"], ["--region", "450899"],
                ["--format", "exe"]):
        argv = ["briefing", "--db", db_url, "--region", "450802", "--week", COMPLETE, "--now", now().isoformat(),
                "--out", str(tmp_path / "bad"), "--format", "xlsx"]
        for i in range(0, len(bad), 2):
            argv[argv.index(bad[i]) + 1] = bad[i + 1]
        assert main(argv) == 2, bad
        assert "briefing:" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


@pytest.fixture()
def analyst(app):
    """A city-wide analyst's browser session (exports need the analyst's permission)."""
    from .conftest import sign_in
    c = app.server.test_client()
    assert sign_in(c, "city_analyst").status_code == 302
    return c


def _built(client, app, url: str, charts=None):
    """GET a briefing file the way the app makes it now (issue #19 item 7): a file not built yet is
    queued (202) and the scheduler's worker builds it; then the same GET serves it."""
    from dashboard.briefing import jobs
    from dashboard.briefing.worker import Worker
    r = client.get(url)
    if r.status_code != 202:
        return r
    assert "正在后台生成" in r.data.decode()
    worker = Worker(app.server.extensions["redgrid.engine"], jobs.Config("450800", prebuild_at=""), charts)
    assert worker.run_pass() >= 1
    return client.get(url)


def test_brf010_download_route_checks_everything(analyst, client, app, db_url):
    # Exports are an analyst's act: a duty officer is refused, a stranger is sent to sign in.
    assert client.get(f"/briefing/download?region=450802&week={COMPLETE}&format=xlsx").status_code == 403
    stranger = app.server.test_client().get(f"/briefing/download?region=450802&week={COMPLETE}&format=xlsx")
    assert stranger.status_code in (302, 401) and not stranger.data.startswith(b"PK")
    client = analyst
    ok = _built(client, app, f"/briefing/download?region=450802&week={COMPLETE}&format=xlsx")
    assert ok.status_code == 200 and ok.mimetype.endswith("spreadsheetml.sheet")
    assert ok.headers["Content-Disposition"] == f'attachment; filename="briefing-450802-{COMPLETE}.xlsx"'
    from openpyxl import load_workbook
    assert load_workbook(io.BytesIO(ok.data))["概要"]["A1"].value == "港北区网格化社会治理周报"
    hostile = {
        "region=abc&week=2026-W46&format=xlsx": 400, "region=450899&week=2026-W46&format=xlsx": 404,
        "region=450802%27--&week=2026-W46&format=pdf": 400, "region=450802&week=2026-W99&format=xlsx": 400,
        "region=450802&week=2026-W50&format=docx": 400, "region=450802&week=W46%3Bdrop&format=pdf": 400,
        "region=450802&week=2026-W46&format=exe": 400, "region=450802&week=2026-W46": 400,
        "region=450802&week=2026-W46&format=../../etc/passwd": 400,
        f"region={'4' * 5000}&week=2026-W46&format=xlsx": 400,
    }
    for query, status in hostile.items():
        r = client.get("/briefing/download?" + query)
        assert r.status_code == status, (query, r.status_code)
        assert r.mimetype == "text/plain" and r.data.decode()  # a reason in words
    page = client.get("/briefing?region=450802")
    assert page.status_code == 200  # the Dash shell; the page itself is the router's


@pytest.fixture()
def town_analyst(engine):
    """An analyst whose jurisdiction is one township (added for this test, removed after)."""
    from sqlalchemy import delete

    from dashboard.auth import hash_password
    from data_access import users
    from data_access.schema import app_user

    from .conftest import TEST_PASSWORD
    town = "450802001"
    with engine.begin() as conn:
        users.add(conn, "brf_town_analyst", hash_password(TEST_PASSWORD), "analyst", town, now())
    yield town
    with engine.begin() as conn:
        conn.execute(delete(app_user).where(app_user.c.username == "brf_town_analyst"))


def test_brf011_scope_of_the_user(db_url, town_analyst):
    from dashboard import create_app

    from .conftest import sign_in
    town = town_analyst
    app = create_app({"DATABASE_URL": db_url, "DEFAULT_REGION": town})
    c = app.server.test_client()
    assert sign_in(c, "brf_town_analyst").status_code == 302
    # Outside the jurisdiction reads as "does not exist" (404, the same words).
    assert c.get(f"/briefing/download?region=450802&week={COMPLETE}&format=xlsx").status_code == 404
    assert c.get(f"/briefing/download?region=450800&week={COMPLETE}&format=xlsx").status_code == 404
    r = _built(c, app, f"/briefing/download?week={COMPLETE}&format=xlsx")  # no region: the instance's own
    assert r.status_code == 200 and f"briefing-{town}-" in r.headers["Content-Disposition"]
    from callbacks import briefing as cb
    from callbacks import VIEWS, router
    from dashboard.briefing import jobs
    from dashboard.briefing.charts import ChartServer
    from dashboard.briefing.worker import Worker
    with app.server.test_request_context():
        from flask_login import login_user

        from dashboard.auth import User
        from data_access import users
        with app.server.extensions["redgrid.engine"].connect() as conn:
            row = users.get(conn, "brf_town_analyst")
        login_user(User("u", row.id, row.username, row.role, row.scope_code))
        links, preview, _, _ = cb.show(COMPLETE, None, None, "450800")
        assert links == [] and "无权" in str(preview)
        links, preview, _, _ = cb.show("2026-W99", None, None, town)
        assert links == [] and "没有第 99 周" in str(preview)
        # The files and the preview are made by the scheduler's worker: ask, let it build, look again.
        cb.generate(1, COMPLETE, town)
        cb.show(COMPLETE, None, None, town)
        charts = ChartServer()
        try:
            Worker(app.server.extensions["redgrid.engine"], jobs.Config("450800", prebuild_at=""), charts).run_pass()
        finally:
            charts.close()
        links, preview, _, _ = cb.show(COMPLETE, None, None, town)
        assert [a.href for a in links] == [f"/briefing/download?region={town}&week={COMPLETE}&format={f}"
                                           for f in ("docx", "xlsx", "pdf")]
        assert "brf-figures" in str(preview)
        page = router.render(VIEWS, "/briefing", f"?region={town}")
        assert "brf-week" in str(page) and COMPLETE in str(page)
        assert "无法显示（404）" in str(router.render(VIEWS, "/briefing", "?region=450800"))
