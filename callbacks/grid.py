"""一格一档 callbacks: the grid profile page and its live refresh."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError, grid, metrics, regions
from dashboard import auth, runtime
from layouts import grid as view

from . import live


def compute(conn, scope, code, now) -> dict:
    return {"profile": grid.profile(conn, scope, code, now),
            "summary": metrics.summary(conn, scope, code, now),
            "chain": [{"code": r.code, "name": r.name, "level": r.level}
                      for r in regions.breadcrumb(conn, scope, code)]}


def _body(snap):
    return view.grid_page(snap["chain"], snap["profile"], snap["summary"], snap["as_of"])


def page(code: str):
    snap = live.snapshot("grid", code, compute)
    unmask = view.unmask_panel(snap["profile"]["workers"]) if runtime.can("unmask") else None
    return view.grid_frame(code, runtime.setting("REFRESH_SECONDS"), _body(snap), live.first_state(snap),
                           snap["as_of"], unmask)


def unmask(n_clicks, worker_id, reason):
    """Role-gated, with a typed reason, written to the audit log whether granted or refused."""
    if not n_clicks:
        raise PreventUpdate
    reason = " ".join(reason.split())[:200] if isinstance(reason, str) else ""
    if not runtime.can("unmask"):
        auth.audit("unmask", target=f"grid_worker:{str(worker_id)[:20]}", detail="role", ok=False)
        return dbc.Alert("当前账号无权查看完整个人信息", color="danger")
    if len(reason) < 4:
        return dbc.Alert("请填写查看事由（至少 4 个字）", color="warning")
    try:
        with runtime.engine().connect() as conn:
            person = grid.worker_contact(conn, runtime.scope(), worker_id)
    except RegionError as exc:
        auth.audit("unmask", target=f"grid_worker:{str(worker_id)[:20]}", detail=reason, ok=False)
        return dbc.Alert(str(exc), color="danger")
    except DatabaseError:
        return dbc.Alert("数据库暂时不可用，请稍后再试", color="danger")
    auth.audit("unmask", target=f"grid_worker:{person['id']}", detail=reason)
    return dbc.Alert([html.B(person["name"] or "—"), f"  {person['phone'] or '无电话'}",
                      html.Small("（已记录查看事由）", className="ms-2 text-muted")], color="info", id="unmask-shown")


def tick(_n, code, state):
    return live.tick("grid", code, state, compute, lambda snap: [_body(snap)], 1)


def register(app) -> None:
    app.callback(Output("unmask-result", "children"), Input("unmask-go", "n_clicks"),
                 State("unmask-worker", "value"), State("unmask-reason", "value"),
                 prevent_initial_call=True)(unmask)
    app.callback(Output("grid-body", "children"), Output("grid-updated", "children"),
                 Output("grid-state", "data"), Input("grid-tick", "n_intervals"),
                 State("grid-code", "data"), State("grid-state", "data"),
                 prevent_initial_call=True)(tick)
