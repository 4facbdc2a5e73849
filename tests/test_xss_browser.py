"""Citizens' text is shown as text (issue #7): a corpus of XSS payloads stored in the database
never executes in the browser.

Thirty payloads (script tags, img onerror, svg onload, javascript: and data: URLs, attribute
breakouts, mutation XSS, template injection such as {{7*7}} and ${...}, markdown-style links,
entity- and percent-encoded forms) are written into a copy of the tiny city as incident titles
and descriptions, appeal contents, key-person names and categories, grid-worker names, a
grid's emergency reason, warning reasons, assignees and action comments. Each payload would
set its own `window.__xss_N` flag (or the document title, or open an alert) if it ran.

Headless Chromium then visits every page where they can appear — the overview's ticker and
alarm banner, the /incidents overdue table, the /opinion recent appeals, the grid profile
一格一档 and the /warnings desk (queue and detail) — and checks that each payload shown is
there as text (the element's text is the payload, character for character; masked names
show as their mask), that no flag is set, the title is unchanged, no alert opened, and the
browser reported no Content-Security-Policy violation (a payload parsed as HTML would have
tried to run and been refused).
"""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from selenium.common.exceptions import NoAlertPresentException
from sqlalchemy import func, insert, select, update

from data_access.engine import make_engine
from data_access.privacy import mask_name
from data_access.schema import appeal, grid_state, grid_worker, incident, key_person, region, warning, warning_action
from dashboard import create_app

from .browser import start_signed_in
from .conftest import ARTIFACTS, copy_sqlite, now

TEMPLATES = [
    "<script>window.__xss_N=1</script>",
    '<img src=x onerror="window.__xss_N=1">',
    '<svg onload="window.__xss_N=1"></svg>',
    "<svg><script>window.__xss_N=1</script></svg>",
    '"><img src=x onerror=window.__xss_N=1>',
    "'><script>window.__xss_N=1</script>",
    '" onmouseover="window.__xss_N=1" autofocus onfocus="window.__xss_N=1" x="',
    '<a href="javascript:window.__xss_N=1">点此查看</a>',
    "[点此查看](javascript:window.__xss_N=1)",
    "javascript:window.__xss_N=1",
    "{{constructor.constructor('window.__xss_N=1')()}}",
    "{{7*7}} ${window.__xss_N=1} #{7*7}",
    '<iframe src="javascript:parent.__xss_N=1"></iframe>',
    '<body onload="window.__xss_N=1">',
    '<details open ontoggle="window.__xss_N=1">',
    '<input autofocus onfocus="window.__xss_N=1">',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss_N=1">',
    '<object data="javascript:parent.__xss_N=1"></object>',
    "<scr<script>ipt>window.__xss_N=1</scr</script>ipt>",
    "<IMG SRC=x oNeRrOr=window.__xss_N=1>",
    "&lt;img src=x onerror=window.__xss_N=1&gt;",
    '<div style="background:url(javascript:window.__xss_N=1)">x</div>',
    '<a href="data:text/html,&lt;script&gt;parent.__xss_N=1&lt;/script&gt;">x</a>',
    '<video><source onerror="window.__xss_N=1"></video>',
    "</textarea></title><script>window.__xss_N=1</script>",
    "<img src=x onerror=\"document.title='XSS-N'\">",
    '<img src=x onerror="alert(N)">',
    '<base href="javascript:window.__xss_N=1//">',
    "%3Cscript%3Ewindow.__xss_N=1%3C/script%3E",
    '<marquee onstart="window.__xss_N=1">x</marquee>',
]
PAYLOADS = [t.replace("N", str(n)) for n, t in enumerate(TEMPLATES, start=1)]
TITLE = "红格指挥舱"


def _grids(conn, n):
    return conn.execute(select(region.c.code, region.c.village_code, region.c.township_code, region.c.county_code)
                        .where(region.c.level == "grid").order_by(region.c.code).limit(n)).all()


def _loc(g):
    return {"grid_code": g[0], "village_code": g[1], "township_code": g[2], "county_code": g[3]}


def _next(conn, table):
    return (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def _plant(conn) -> dict:
    """Every payload in every citizen- or staff-written column that a page shows."""
    g = _grids(conn, 1)[0]
    at, k = now(), len(PAYLOADS)
    inc0, app0, kp0, wk0 = (_next(conn, t) for t in (incident, appeal, key_person, grid_worker))
    # Newest incidents (ticker, grid profile) and the most overdue ones (the overdue table).
    recent = [dict(id=inc0 + i, source="hotline_12345", source_ref=f"XSS-R-{i}", category="其他", severity=1,
                   title=p, description=p, reported_at=at,  # newest of all (ties go to the higher id)
                   sla_due_at=at + dt.timedelta(hours=72), status="reported", handling_level="grid", **_loc(g))
              for i, p in enumerate(PAYLOADS)]
    late = [dict(id=inc0 + k + i, source="hotline_12345", source_ref=f"XSS-L-{i}", category="其他", severity=2,
                 title=p, description=p, reported_at=at - dt.timedelta(days=90),
                 sla_due_at=at - dt.timedelta(days=80, minutes=i), status="in_progress", handling_level="grid",
                 **_loc(g)) for i, p in enumerate(PAYLOADS)]
    conn.execute(insert(incident), recent + late)
    conn.execute(insert(appeal), [dict(id=app0 + i, channel="hotline_12345", received_at=at, content=p, topic="其他",
                                       sentiment=-0.2, citizen_hash=f"xss{i}", **_loc(g))
                                  for i, p in enumerate(PAYLOADS)])
    conn.execute(insert(key_person), [dict(id=kp0 + i, category=f"类别{p}", risk_level=2, visit_interval_days=30,
                                           name=p, **_loc(g)) for i, p in enumerate(PAYLOADS)])
    conn.execute(insert(grid_worker), [dict(id=wk0 + i, grid_code=g[0], name=p, role="part_time",
                                            phone="13800000000", party_member=False, active=True)
                                       for i, p in enumerate(PAYLOADS)])
    conn.execute(update(grid_state).where(grid_state.c.grid_code == g[0]).values(
        mode="emergency", since=at - dt.timedelta(hours=1), reason=PAYLOADS[0]))
    # Warnings: the city's old ones are done; one orange (the wall's banner) and one yellow per payload.
    conn.execute(update(warning).values(status="resolved"))
    w0 = _next(conn, warning)
    evidence = json.dumps({"incident": [inc0 + k + i for i in range(20)], "appeal": [app0 + i for i in range(20)],
                           "key_person": [kp0 + i for i in range(20)]})
    conn.execute(insert(warning), [dict(
        id=w0 + i, dedup_key=f"xss:{i}", rule="repeat", level="orange" if i == 0 else "yellow", region_code=g[0],
        subject_type="grid", subject_id=g[0], reason=p, evidence=evidence, status="new" if i == 0 else "assigned",
        version=1, created_at=at - dt.timedelta(minutes=i + 1), updated_at=at - dt.timedelta(minutes=i + 1),
        escalated=False, assignee=p) for i, p in enumerate(PAYLOADS)])
    conn.execute(insert(warning_action), [dict(warning_id=w0, action="assign", actor=p[:60],
                                               at=at - dt.timedelta(seconds=i + 1), comment=p, before="{}",
                                               after=json.dumps({"assignee": p}))
                                          for i, p in enumerate(PAYLOADS)])
    return {"grid": g[0], "warning": w0, "recent": recent, "late": late}


@pytest.fixture()
def xss_db(sqlite_url, tmp_path):
    """A writable copy of the tiny city with the payloads planted."""
    url = copy_sqlite(sqlite_url, tmp_path / "xss.db")
    eng = make_engine(url)
    with eng.begin() as conn:
        planted = _plant(conn)
    eng.dispose()
    return url, planted


# --- what the browser shows ------------------------------------------------------------------

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    [e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber].join(' ')));
"""


def _texts(dash_duo, selector) -> list[str]:
    return dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent);", selector)


def _grid_texts(dash_duo, grid_id, col) -> list[str]:
    """Every cell of one AG Grid column, scrolling through its virtualised rows."""
    seen: dict[str, str] = {}
    script = """
        const vp = document.querySelector(arguments[0] + ' .ag-body-viewport');
        const cell = ".ag-cell[col-id='" + arguments[1] + "']";
        const out = Array.from(document.querySelectorAll(arguments[0] + ' .ag-row')).map(r =>
            [r.getAttribute('row-index'), (r.querySelector(cell) || {}).textContent]);
        const end = vp.scrollTop + vp.clientHeight >= vp.scrollHeight - 2;
        vp.scrollTop += vp.clientHeight / 2;
        return [out, end];"""
    for _ in range(60):
        rows, end = dash_duo.driver.execute_script(script, f"#{grid_id}", col)
        seen.update({i: t for i, t in rows if t is not None})
        if end:
            time.sleep(0.3)
            rows, _ = dash_duo.driver.execute_script(script, f"#{grid_id}", col)
            seen.update({i: t for i, t in rows if t is not None})
            break
        time.sleep(0.25)
    return list(seen.values())


def _nothing_ran(dash_duo, where: str) -> None:
    d = dash_duo.driver
    flags = d.execute_script("return Object.keys(window).filter(k => k.startsWith('__xss'));")
    assert flags == [], (where, flags)
    assert d.title == TITLE, (where, d.title)
    try:
        text = d.switch_to.alert.text
    except NoAlertPresentException:
        text = None
    assert text is None, (where, "alert opened", text)
    csp = d.execute_script("return window.__csp || null;")
    assert csp == [], (where, csp)
    injected = d.execute_script("""return document.querySelectorAll(
        '#frame img[src="x"], #frame svg[onload], #frame iframe, #frame object, #frame details[ontoggle],'
        + '#frame input[onfocus], #frame marquee, #frame video source, #frame base, #frame body').length;""")
    assert injected == 0, (where, injected)


def _visit(dash_duo, path, ready, timeout=30):
    dash_duo.driver.get(dash_duo.server_url + path)
    dash_duo.wait_for_element(ready, timeout=timeout)
    time.sleep(1.5)  # let ticks, the alarm poll and the grids settle


def test_xss001_stored_payloads_show_as_text_and_never_run(dash_duo, xss_db):
    url, planted = xss_db
    assert len(PAYLOADS) >= 20 and len(set(PAYLOADS)) == len(PAYLOADS)
    app = create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 3, "ALARM_SECONDS": 1})
    start_signed_in(dash_duo, app)
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    dash_duo.driver.set_window_size(1600, 1000)
    shown = {}

    # 总览: the ticker (newest 15 incidents) and the wall's alarm banner (the orange warning).
    _visit(dash_duo, "/?region=450800", "#ov-ticker-list .ticker-title")
    ticker = _texts(dash_duo, "#ov-ticker-list .ticker-title")
    assert len(ticker) == 15 and set(ticker) <= set(PAYLOADS), ticker[:3]
    dash_duo.wait_for_element("#alarm-banner-body .alarm-reason", timeout=20)
    assert _texts(dash_duo, "#alarm-banner-body .alarm-reason") == [PAYLOADS[0]]
    _nothing_ran(dash_duo, "overview")
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "xss-overview.png"))
    shown["overview"] = len(ticker) + 1

    # 事件流转: the overdue table lists the most late first: all thirty of ours.
    _visit(dash_duo, "/incidents?region=450800", "#inc-overdue .ag-row")
    titles = _grid_texts(dash_duo, "inc-overdue", "title")
    assert set(PAYLOADS) <= set(titles), sorted(set(PAYLOADS) - set(titles))[:3]
    _nothing_ran(dash_duo, "incidents")
    shown["incidents"] = len(set(PAYLOADS) & set(titles))

    # 社情民意: the recent appeals (newest first: ours).
    _visit(dash_duo, "/opinion?region=450800", "#op-recent .ag-row")
    contents = _grid_texts(dash_duo, "op-recent", "content")
    assert set(PAYLOADS) <= set(contents), sorted(set(PAYLOADS) - set(contents))[:3]
    _nothing_ran(dash_duo, "opinion")
    shown["opinion"] = len(set(PAYLOADS) & set(contents))

    # 一格一档: recent incidents and appeals, workers (masked names), key persons by category,
    # the emergency reason.
    _visit(dash_duo, f"/grid/{planted['grid']}", "#grid-workers")
    # The title's own element: the cell also carries its case code (一事一码) under it.
    incidents = _texts(dash_duo, "#grid-recent-incidents tbody tr td:nth-child(3) .incident-title")
    assert len(incidents) == 20 and set(incidents) <= set(PAYLOADS), incidents[:3]
    appeals = _texts(dash_duo, "#grid-recent-appeals tbody tr td:nth-child(3)")
    assert len(appeals) == 20 and set(appeals) <= set(PAYLOADS), appeals[:3]
    workers = _texts(dash_duo, "#grid-workers tbody tr td:first-child")
    assert {mask_name(p) for p in PAYLOADS} <= set(workers)
    categories = _texts(dash_duo, "#grid-key-persons tbody tr td:first-child")
    assert {f"类别{p}" for p in PAYLOADS} <= set(categories)
    assert _texts(dash_duo, "#grid-mode") == [f"战时状态 · {PAYLOADS[0]}"]
    _nothing_ran(dash_duo, "grid")
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "xss-grid.png"))
    shown["grid"] = 20 + 20 + len(PAYLOADS) * 2 + 1

    # 预警研判: every reason in the queue; the orange one's detail with its evidence and audit.
    _visit(dash_duo, "/warnings?region=450800", ".warn-queue .warn-reason")
    reasons = _texts(dash_duo, ".warn-queue .warn-reason")
    assert set(PAYLOADS) <= set(reasons), sorted(set(PAYLOADS) - set(reasons))[:3]
    item = dash_duo.driver.execute_script("return document.getElementById(arguments[0]);",
                                          json.dumps({"index": planted["warning"], "type": "warn-item"},
                                                     separators=(",", ":")))
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", item)
    item.click()
    dash_duo.wait_for_element(f"#warn-detail-{planted['warning']}", timeout=20)
    detail = f"#warn-detail-{planted['warning']}"
    assert _texts(dash_duo, f"{detail} .warn-detail-reason") == [PAYLOADS[0]]
    evidence_incidents = _texts(dash_duo, f"{detail} .warn-evidence table tbody tr td:first-child")
    assert evidence_incidents == [f"#{row['id']} {row['title']}" for row in planted["late"][:20]]
    evidence_lists = _texts(dash_duo, f"{detail} .warn-evidence ul li")
    for p in PAYLOADS[:20]:
        assert any(li.endswith(f"] {p}") for li in evidence_lists), p  # an appeal, as text
        assert f"{mask_name(p)} · 类别{p} · 风险等级 2" in evidence_lists  # a key person, masked
    comments = _texts(dash_duo, "#warn-audit tbody tr td:nth-child(4)")
    assert set(PAYLOADS) <= set(comments)
    assert f"承办：{PAYLOADS[0]}" in _texts(dash_duo, f"{detail} div.small")
    _nothing_ran(dash_duo, "warnings")
    dash_duo.driver.save_screenshot(str(ARTIFACTS / "xss-warnings.png"))
    shown["warnings"] = len(PAYLOADS) * 2 + 1 + 20 + 40

    time.sleep(3)  # a few live ticks and alarm polls later, still nothing ran
    _nothing_ran(dash_duo, "after ticks")
    print(f"\n[xss] {len(PAYLOADS)} payloads; texts checked per page: {shown}")
