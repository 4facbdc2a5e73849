"""事件流转 callbacks: first render and live ticks (KPIs, Patch of figure values, grid rows)."""
from __future__ import annotations

import datetime as dt

from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from data_access import RegionError
from data_access.scope import check_code
from dashboard import access, runtime
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


def register(app) -> None:
    access.callback(app, access.READ, 
        *OUTPUTS, Output("inc-updated", "children"), Output("inc-state", "data"),
        Input("inc-tick", "n_intervals"), State("inc-region", "data"), State("inc-state", "data"),
        prevent_initial_call=True,
    )(tick)


VIEW = View("/incidents", "事件流转", page, register, nav=2, carousel=True, wall_page=wall_page,
            snapshots=(SNAPSHOT,))
