"""交接班 callbacks: the shift's sheet, and the outgoing (交班) and incoming (接班) sign-offs.

Any client can send anything to any callback: the shift is parsed against SHIFTS, the region
re-resolved in the caller's scope (data_access.handover), the role taken from which button was
clicked, and the signer is always the signed-in account, never a value from the page. Refusals
are audited; a sign-off writes its audit row in its own transaction.
"""
from __future__ import annotations

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError
from data_access import handover as data
from dashboard import access, auth, runtime
from layouts import handover as view

from . import live
from .views import View

PERMISSION = "handover"
SHIFTS_OFFERED = 6
BUTTONS = {"hnd-sign-out": "outgoing", "hnd-sign-in": "incoming"}


def _times():
    return data.parse_times(runtime.setting("SHIFTS"))


def page(code: str | None):
    region, chain, _ = live.place(code)
    now, times = runtime.now(), _times()
    shifts = data.recent_shifts(times, now, SHIFTS_OFFERED)
    return view.handover_page(region, chain, view.shift_options(shifts), data.default_shift(times, now).key,
                              runtime.user().name)


def _short(value) -> str:
    return str(value)[:40]


def _code(value) -> str:
    """The region from the page's store: text, else refused (an empty one would mean the scope's root)."""
    if not isinstance(value, str) or not value:
        raise data.HandoverError("区划代码无效")
    return value


def show(shift_key, _changed, region_code):
    """The sheet of the chosen shift, its signatures, its files and which button is live."""
    now = runtime.now()
    try:
        shift = data.parse_shift(_times(), shift_key, now)
        with runtime.engine().connect() as conn:
            sheet = data.sheet(conn, runtime.scope(), _code(region_code), shift, now)
    except RegionError as exc:  # a bad shift, or a region outside the jurisdiction (read as unknown)
        auth.audit("handover_view", target=f"region:{_short(region_code)}",
                   detail={"shift": _short(shift_key), "refused": str(exc)[:200]}, ok=False)
        return view.error(str(exc)), None, None, True, True
    except DatabaseError:
        raise PreventUpdate  # keep the last sheet on screen
    me = runtime.user().name
    out_by = sheet["signoffs"].get("outgoing", {}).get("username")
    code = sheet["figures"]["region"]["code"]
    return (view.sheet_view(sheet), view.signoffs(sheet), view.downloads(code, shift.key),
            not (sheet["state"] == "open" and sheet["signable"]),
            not (sheet["state"] == "handed" and out_by != me))


def sign(out_clicks, in_clicks, shift_key, region_code, changed):
    role = BUTTONS.get(ctx.triggered_id)
    clicks = out_clicks if role == "outgoing" else in_clicks
    if role is None or not isinstance(clicks, int) or isinstance(clicks, bool) or clicks < 1:
        raise PreventUpdate
    action = f"handover_{role}"
    now, me = runtime.now(), runtime.user().name
    try:
        shift = data.parse_shift(_times(), shift_key, now)
        with runtime.engine().begin() as conn:  # the sign-off and its audit row commit together
            sheet = data.sign(conn, runtime.scope(), _code(region_code), shift, role, me, now)
            auth.audit_in(conn, action, target=f"handover:{sheet['figures']['region']['code']}:{shift.key}",
                          detail={"region": sheet["figures"]["region"]["code"], "shift": shift.key,
                                  "role": role, "totals": sheet["figures"]["totals"]})
    except RegionError as exc:  # HandoverError (NotYet, AlreadySigned), or a region outside the jurisdiction
        auth.audit(action, target=f"handover:{_short(region_code)}:{_short(shift_key)}",
                   detail={"refused": str(exc)[:200]}, ok=False)
        return view.feedback(str(exc), "warning"), (changed if isinstance(changed, int) else 0) + 1
    except DatabaseError:
        return view.feedback("数据库或审计日志暂时不可用，签字未保存，请稍后重试。", "danger"), no_update
    word = "交班" if role == "outgoing" else "接班（本班记录已冻结）"
    return (view.feedback(f"已{word}：{sheet['figures']['shift']['label']}，签字人 {me}。", "success"),
            (changed if isinstance(changed, int) else 0) + 1)


def register(app) -> None:
    access.callback(app, PERMISSION, Output("hnd-sheet", "children"), Output("hnd-signoffs", "children"),
                    Output("hnd-downloads", "children"), Output("hnd-sign-out", "disabled"),
                    Output("hnd-sign-in", "disabled"),
                    Input("hnd-shift", "value"), Input("hnd-changed", "data"), State("hnd-region", "data"))(show)
    access.callback(app, PERMISSION, Output("hnd-feedback", "children"), Output("hnd-changed", "data"),
                    Input("hnd-sign-out", "n_clicks"), Input("hnd-sign-in", "n_clicks"),
                    State("hnd-shift", "value"), State("hnd-region", "data"), State("hnd-changed", "data"),
                    prevent_initial_call=True, audit="handover_sign")(sign)


# nav 5.5: right after 预警研判 (5), before 周报 (6), without renumbering the others.
VIEW = View("/handover", "交接班", page, register, nav=5.5, permission=PERMISSION)
