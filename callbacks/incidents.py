"""事件流转 callbacks: first render and live ticks (KPIs, Patch of figure values, grid rows)."""
from __future__ import annotations

import datetime as dt

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError
from data_access import cases as case_data
from data_access.scope import check_code
from dashboard import access, auth, runtime
from layouts import incidents as view
from layouts import wall_incidents as wall
from layouts.kpis import kpi_row
from layouts.patches import values_patch
from services.incidents import SLOW_SECONDS, SNAPSHOT

from . import live
from .views import View


def page(code: str | None):
    def build(snap):
        region, chain, _ = live.place(code)
        parts = live.page_parts(SNAPSHOT, region.code, render, "")
        return view.incidents_page(region, chain, snap, runtime.setting("REFRESH_SECONDS"),
                                   live.first_state(snap, parts), SLOW_SECONDS)
    return live.cached_page(SNAPSHOT, code or runtime.scope().code, build)


def wall_page(code: str | None):
    def build(snap):
        region, _, _ = live.place(code)
        parts = live.page_parts(SNAPSHOT, region.code, render, "")
        return wall.wall_page(region, snap, runtime.setting("REFRESH_SECONDS"), live.first_state(snap, parts),
                              SLOW_SECONDS)
    return live.cached_page(SNAPSHOT, code or runtime.scope().code, build, "wall")


LATENESS_STEP = 360  # seconds: lateness is shown to 0.1 h, so it is recomputed every 6 minutes


def lateness_clock(as_of):
    """The time the overdue list's lateness is computed at on a tick: the snapshot's, floored to
    LATENESS_STEP, so the 200-row list is sent again only when it changes (not every bucket)."""
    return as_of - dt.timedelta(seconds=int(as_of.timestamp()) % LATENESS_STEP)


def render(snap: dict) -> list:
    overdue = snap["overdue"]
    return [
        kpi_row(snap["kpis"], view.KPIS),
        values_patch(view.volume_values(snap["flows"], "source")),
        values_patch(view.volume_values(snap["flows"], "category")),
        values_patch(view.sankey_values(snap["flows"])),
        view.overdue_rows(overdue["rows"], lateness_clock(snap["as_of"])),
        view.overdue_total(overdue["total"], len(overdue["rows"])),
        values_patch(view.department_values(snap["departments"])),
        values_patch(view.trend_values(snap["trend"])),
        view.children_table(snap["children"]),
    ]


OUTPUTS = [Output("inc-kpis", "children"), Output("inc-source", "figure"),
           Output("inc-category", "figure"), Output("inc-sankey", "figure"),
           Output("inc-overdue", "rowData"), Output("inc-overdue-total", "children"),
           Output("inc-dept", "figure"),
           Output("inc-trend", "figure"), Output("inc-children", "children")]


def tick(_n, code, state):
    try:
        code = check_code(code)  # any client can send any payload: only a well-formed code goes on
    except RegionError:
        raise PreventUpdate from None
    return live.tick(SNAPSHOT, code, state, render, len(OUTPUTS), variant="")


CASES_PERMISSION = "cases"
CASES_SHOWN = 30


def cases_list(code, _changed):
    """The region's recent cases of several reports (its own read, in the caller's scope), read on
    opening the page and after each split or join: not on every tick (a query per screen)."""
    try:
        code = check_code(code)
        with runtime.engine().connect() as conn:
            got = case_data.recent_cases(conn, runtime.scope(), code, runtime.now(), limit=CASES_SHOWN)
    except RegionError:
        raise PreventUpdate from None
    except DatabaseError:
        raise PreventUpdate from None  # keep the last list on screen
    return view.cases_list(got["cases"]), view.cases_total(got["total"], len(got["cases"]))


def _report_id(value):
    """A report id from the form: a positive int (a number input sends int or float), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        return None
    return int(value)


def case_act(_split, _join, incident_id, other_id, reason, changed):
    """Split a report off its case, or join two reports' cases: the duty officer's act, checked
    in data_access (scope, reason, state) and audited with it in one transaction."""
    action = view.CASE_ACTIONS.get(ctx.triggered_id)
    if action is None:
        raise PreventUpdate
    me, now = runtime.user().name, runtime.now()
    first, second = _report_id(incident_id), _report_id(other_id)
    try:
        with runtime.engine().begin() as conn:  # the change, its case_action row and the audit log row
            if action == "split":
                got = case_data.split(conn, runtime.scope(), first, me, reason, now)
                target, after = got["before"]["case_code"], got["after"]["split_off"]["case_code"]
                message = f"已将报告 {first} 从案件 {target} 拆分，成为案件 {after}。"
            else:
                if second is None:
                    raise case_data.CaseRefused("请填写要并入的报告编号")
                got = case_data.join(conn, runtime.scope(), first, second, me, reason, now)
                target = got["after"]["case_code"]
                message = f"已合并为案件 {target}（{len(got['after']['reports'])} 份报告）。"
            auth.audit_in(conn, f"case_{action}", target=f"case:{target}",
                          detail={"incident": first, "other": second, "before": got["before"], "after": got["after"]})
    except RegionError as exc:  # refused: a bad id, not linked, outside the jurisdiction, no reason
        auth.audit(f"case_{action}", target=f"incident:{str(incident_id)[:20]}",
                   detail={"other": str(other_id)[:20], "refused": str(exc)[:200]}, ok=False)
        return view.case_feedback(str(exc), "warning"), no_update
    except DatabaseError:
        return view.case_feedback("数据库或审计日志暂时不可用，操作未保存，请稍后重试。", "danger"), no_update
    return view.case_feedback(message, "success"), (changed if isinstance(changed, int) else 0) + 1


def register(app) -> None:
    access.callback(app, access.READ, Output("inc-cases", "children"), Output("inc-cases-total", "children"),
                    Input("inc-region", "data"), Input("inc-cases-changed", "data"))(cases_list)
    access.callback(app, CASES_PERMISSION, Output("inc-case-feedback", "children"),
                    Output("inc-cases-changed", "data"),
                    Input("inc-case-split", "n_clicks"), Input("inc-case-join", "n_clicks"),
                    State("inc-case-id", "value"), State("inc-case-other", "value"),
                    State("inc-case-reason", "value"), State("inc-cases-changed", "data"),
                    prevent_initial_call=True, audit="case_action")(case_act)
    access.callback(app, access.READ, 
        *OUTPUTS, Output("inc-updated", "children"), Output("inc-state", "data"),
        Input("inc-tick", "n_intervals"), State("inc-region", "data"), State("inc-state", "data"),
        prevent_initial_call=True,
    )(tick)


VIEW = View("/incidents", "事件流转", page, register, nav=2, carousel=True, wall_page=wall_page,
            snapshots=(SNAPSHOT,))
