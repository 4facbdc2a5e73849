"""事件流转 callbacks: first render and live ticks (KPIs, Patch of figure values, grid rows)."""
from __future__ import annotations

import datetime as dt

from dash import Input, Output, Patch, State
from dash.exceptions import PreventUpdate

from data_access import RegionError, incidents
from data_access.cache import remember
from data_access.scope import check_code
from data_access.timeutil import local_day
from dashboard import access, runtime
from layouts import incidents as view
from layouts.kpis import kpi_row

from . import live

KIND = "incidents"
# The 30-day figures (daily trend, department response times) cost most of a city-level
# compute and move slowly: they are recomputed every SLOW_SECONDS, not every tick; the
# trend's today point still comes live from the KPIs.
SLOW_SECONDS = 300


def compute(conn, scope, code, now) -> dict:
    kpis, children = incidents.kpis_and_children(conn, scope, code, now)

    def slow():
        return {"trend": incidents.daily_trend(conn, scope, code, now),
                "departments": incidents.response_times(conn, scope, code, now)}
    # The local day in the key: the 30-day window moves at midnight, not at a bucket edge.
    month = remember(f"{KIND}-30d-{local_day(now)}", scope.code, code, now, SLOW_SECONDS, slow)
    return {"kpis": kpis,
            "flows": incidents.flows(conn, scope, code, now),
            "overdue": incidents.overdue(conn, scope, code, now),
            "children": children,
            "trend": incidents.with_today(month["trend"], kpis, now),
            "departments": month["departments"]}


def page(code: str | None):
    def build(snap):
        region, chain, _ = live.place(code)
        parts = live.page_parts(KIND, region.code, compute, render, "")
        return view.incidents_page(region, chain, snap, runtime.setting("REFRESH_SECONDS"),
                                   live.first_state(snap, parts), SLOW_SECONDS)
    return live.cached_page(KIND, code or runtime.scope().code, compute, build)


def values_patch(values: dict) -> Patch:
    """Only data arrays (and the few layout values that move) go back on a tick: styling,
    axes and hover text stay in the browser."""
    patch = Patch()
    for i, trace in enumerate(values["traces"]):
        _assign(patch["data"][i], trace)
    _assign(patch["layout"], values["layout"])
    return patch


def _assign(target, values: dict) -> None:
    # Leaf by leaf: assigning a whole dict (a Sankey's node) would drop its styling.
    for key, value in values.items():
        if isinstance(value, dict):
            _assign(target[key], value)
        else:
            target[key] = value


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
    return live.tick(KIND, code, state, compute, render, len(OUTPUTS), variant="")


def register(app) -> None:
    access.callback(app, access.READ, 
        *OUTPUTS, Output("inc-updated", "children"), Output("inc-state", "data"),
        Input("inc-tick", "n_intervals"), State("inc-region", "data"), State("inc-state", "data"),
        prevent_initial_call=True,
    )(tick)


# The refresher process may compute these snapshots (callbacks/live.py).
live.serve(KIND, compute)
