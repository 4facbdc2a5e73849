"""一格一档 callbacks: the grid profile page and its live refresh."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError, grid, privacy
from dashboard import access, auth, runtime
from layouts import grid as view
from layouts import wall_grid as wall
from services.grid import SNAPSHOT

from . import live
from .views import View

MIN_REASON, MAX_REASON = 4, 200  # the form's input takes at most MAX_REASON characters


def _body(snap):
    return view.grid_page(snap["chain"], snap["profile"], snap["summary"], snap["as_of"])


def page(code: str):
    snap = live.snapshot(SNAPSHOT, code)
    unmask = view.unmask_panel(snap["profile"]["workers"]) if runtime.can("unmask") else None
    return view.grid_frame(code, runtime.setting("REFRESH_SECONDS"), _body(snap), live.first_state(snap),
                           snap["as_of"], unmask, snap["profile"].get("register"))


def wall_page(code: str):
    snap = live.snapshot(SNAPSHOT, code)
    return wall.wall_page(code, runtime.setting("REFRESH_SECONDS"), snap["chain"], snap["profile"],
                          snap["summary"], live.first_state(snap), snap["as_of"])


def checked_reason(target: str, reason) -> tuple[str, object]:
    """The typed reason of an unmasking, cleaned; with a refusal (audited) when it is empty,
    too short or too long. Shared by every unmasking form (一格一档 and the files)."""
    too_long = isinstance(reason, str) and len(reason) > MAX_REASON
    reason = privacy.clean_reason(reason)
    if too_long:
        auth.audit("unmask", target=target, detail={"refused": "reason too long", "reason": reason}, ok=False)
        return reason, dbc.Alert(f"查看事由不能超过 {MAX_REASON} 字", color="warning")
    if len(reason) < MIN_REASON:
        auth.audit("unmask", target=target, detail={"refused": "reason", "reason": reason}, ok=False)
        return reason, dbc.Alert(f"请填写查看事由（至少 {MIN_REASON} 个字）", color="warning")
    return reason, None


def unmask(n_clicks, worker_id, reason):
    """Role-gated (dashboard.access: `unmask`), with a typed reason; granted or refused, it is
    audited, and the name and phone are shown only once the granted row is committed with the
    read that found them (no audit, no data)."""
    if not n_clicks:
        raise PreventUpdate
    target = f"grid_worker:{str(worker_id)[:20]}"
    reason, refusal = checked_reason(target, reason)
    if refusal is not None:
        return refusal
    try:
        with runtime.engine().begin() as conn:
            person = grid.worker_contact(conn, runtime.scope(), worker_id)
            auth.audit_in(conn, "unmask", target=f"grid_worker:{person['id']}", detail=reason)
    except RegionError as exc:
        auth.audit("unmask", target=target, detail={"refused": "scope", "reason": reason}, ok=False)
        return dbc.Alert(str(exc), color="danger")
    except DatabaseError:
        return dbc.Alert(auth.AuditUnavailable.message, color="danger")
    return dbc.Alert([html.B(person["name"] or "—"), f"  {person['phone'] or '无电话'}",
                      html.Small("（已记录查看事由）", className="ms-2 text-muted")], color="info", id="unmask-shown")


def tick(_n, code, state, layout=None):
    """`layout` says which composition the screen shows: "wall", else the desk's."""
    if layout == "wall":
        return live.tick(SNAPSHOT, code, state, lambda snap: [wall.body(snap["chain"], snap["profile"],
                                                                        snap["summary"])], 1)
    return live.tick(SNAPSHOT, code, state, lambda snap: [_body(snap)], 1)


def register(app) -> None:
    access.callback(app, "unmask", Output("unmask-result", "children"), Input("unmask-go", "n_clicks"),
                 State("unmask-worker", "value"), State("unmask-reason", "value"),
                 prevent_initial_call=True, audit="unmask")(unmask)
    access.callback(app, access.READ, Output("grid-body", "children"), Output("grid-updated", "children"),
                 Output("grid-state", "data"), Input("grid-tick", "n_intervals"),
                 State("grid-code", "data"), State("grid-state", "data"), State("grid-layout", "data"),
                 prevent_initial_call=True)(tick)


VIEW = View("/grid/<code>", "一格一档", page, register, wall_page=wall_page, snapshots=(SNAPSHOT,))
