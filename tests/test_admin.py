"""Admins see accounts, the audit log and bad rows; unmasking a person is role-gated, needs a
reason and is audited; nobody else reaches either."""
from __future__ import annotations

import re

from sqlalchemy import select

from data_access import quality
from data_access.schema import audit_log, grid_worker, region
from layouts import admin as admin_view

from . import dashcall
from .conftest import KIOSK_TOKEN, now, sign_in

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _render(client, app, path):
    return dashcall.call(client, app, dashcall.find(app, "page.children"), [path, ""])


def test_adm001_admin_page(app, engine):
    admin = app.server.test_client()
    assert sign_in(admin, "city_admin").status_code == 302
    body = _render(admin, app, "/admin").get_data(as_text=True)
    for name in ("city_duty", "town_leader", "other_town_leader"):
        assert name in body
    assert "admin-audit-table" in body and "login" in body  # its own sign-in is in the log
    with engine.connect() as conn:
        counts = quality.bad_row_counts(conn, now())
    assert "admin-quality" in body and sum(n for k in counts.values() for n in k.values()) > 0
    for table, kinds in counts.items():  # a sample of every kind that has bad rows, none of the others
        for kind, n in kinds.items():
            assert (f"admin-sample-{table}-{kind}" in body) == (n > 0), (table, kind, n)
    assert not PHONE.search(body)
    for who in ("city_leader", "city_duty", "city_analyst", "town_leader"):
        c = app.server.test_client()
        sign_in(c, who)
        page = _render(c, app, "/admin").get_data(as_text=True)
        assert "无法显示（403）" in page and "admin-users" not in page, who
    key = dashcall.find(app, "admin-audit.children")
    c = app.server.test_client()
    sign_in(c, "city_leader")
    r = dashcall.call(c, app, key, ["login"])  # a non-admin gets nothing: refused by its declared permission
    assert r.status_code == 403 and "login" not in r.get_data(as_text=True)
    r = dashcall.call(admin, app, key, ["login"])
    assert r.status_code == 200 and "city_admin" in r.get_data(as_text=True)


def test_adm002_unmask_with_reason_and_audit(app, engine):
    with engine.connect() as conn:
        towns = conn.execute(select(region.c.code).where(region.c.level == "township")
                             .order_by(region.c.code).limit(2)).scalars().all()
        mine = conn.execute(select(grid_worker.c.id, grid_worker.c.phone, grid_worker.c.grid_code)
                            .where(grid_worker.c.grid_code.like(f"{towns[0]}%"), grid_worker.c.phone.isnot(None))
                            .order_by(grid_worker.c.id).limit(1)).one()
        theirs = conn.execute(select(grid_worker.c.id, grid_worker.c.phone)
                              .where(grid_worker.c.grid_code.like(f"{towns[1]}%"), grid_worker.c.phone.isnot(None))
                              .order_by(grid_worker.c.id).limit(1)).one()
    key = dashcall.find(app, "unmask-result.children")
    duty = app.server.test_client()
    sign_in(duty, "town_duty")
    page = _render(duty, app, f"/grid/{mine.grid_code}").get_data(as_text=True)
    assert "unmask-card" in page and mine.phone not in page  # masked until asked
    r = dashcall.call(duty, app, key, [1], [mine.id, "看"])
    assert "事由" in r.get_data(as_text=True) and mine.phone not in r.get_data(as_text=True)
    r = dashcall.call(duty, app, key, [1], [mine.id, "联系处置事件#12"])
    assert mine.phone in r.get_data(as_text=True)
    r = dashcall.call(duty, app, key, [1], [theirs.id, "联系处置事件#12"])  # another township's worker
    assert theirs.phone not in r.get_data(as_text=True) and "无权" in r.get_data(as_text=True)
    for hostile in ("1", None, [1], {"id": 1}, -1, 2**40):
        r = dashcall.call(duty, app, key, [1], [hostile, "联系处置事件#12"])
        assert r.status_code == 200 and not PHONE.search(r.get_data(as_text=True))
    analyst = app.server.test_client()
    sign_in(analyst, "city_analyst")
    assert "unmask-card" not in _render(analyst, app, f"/grid/{mine.grid_code}").get_data(as_text=True)
    r = dashcall.call(analyst, app, key, [1], [mine.id, "联系处置事件#12"])
    assert "无权" in r.get_data(as_text=True) and mine.phone not in r.get_data(as_text=True)
    kiosk = app.server.test_client()
    kiosk.get(f"/kiosk?token={KIOSK_TOKEN}")
    r = dashcall.call(kiosk, app, key, [1], [mine.id, "联系处置事件#12"])
    assert mine.phone not in r.get_data(as_text=True)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor, audit_log.c.target, audit_log.c.detail, audit_log.c.ok)
                            .where(audit_log.c.action == "unmask").order_by(audit_log.c.id)).all()
    granted = [r for r in rows if r.ok]
    assert ("town_duty", f"grid_worker:{mine.id}", "联系处置事件#12", True) in [tuple(r) for r in granted]
    assert any(r.actor == "town_duty" and r.target == f"grid_worker:{theirs.id}" and not r.ok for r in rows)
    assert any(r.actor == "city_analyst" and not r.ok for r in rows)


def _texts(component) -> list[str]:
    """Every text a Dash component tree shows (strings among its children)."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in _texts(c)]
    children = getattr(component, "children", None)
    return [] if children is None else _texts(children)


def test_adm003_every_bad_row_kind_has_a_chinese_label():
    """A table or kind added to quality.RULES without a label would show its English key."""
    chinese = re.compile(r"^[\u4e00-\u9fff]+$")
    for table, (_, kinds) in quality.RULES.items():
        assert chinese.match(admin_view.TABLE_NAMES.get(table, "")), table
        for kind in kinds:
            assert chinese.match(admin_view.KIND_NAMES.get(kind, "")), (table, kind)
    # As the page shows them: every cell of the quality table in Chinese or a number.
    counts = {t: {k: 3 for k in kinds} for t, (_, kinds) in quality.RULES.items()}
    shown = _texts(admin_view.quality_section(counts, {}))
    assert len(shown) == 3 * sum(len(k) for k in counts.values()) + 3
    assert not [t for t in shown if re.search(r"[A-Za-z_]", t)]
    assert "户" in shown and "所属户不存在或不在同一网格" in shown and "检查记录" in shown
