"""总览 callbacks: first render, live ticks (no_update / Patch), map drill-down."""
from __future__ import annotations

from dash import Input, Output, Patch, State, no_update

from data_access import metrics, regions
from dashboard import runtime
from layouts import overview as view
from layouts.kpis import KPI_CARDS, exact, kpi_value

from . import live


def compute(conn, scope, code, now) -> dict:
    return {"summary": metrics.summary(conn, scope, code, now),
            "children": metrics.by_child(conn, scope, code, now)}


def page(code: str | None):
    scope = runtime.scope()
    with runtime.engine().connect() as conn:
        region = regions.get(conn, scope, code)
        chain = regions.breadcrumb(conn, scope, region.code)
        geojson = regions.children_geojson(conn, scope, region.code)
    snap = live.snapshot("overview", region.code, compute)
    return view.overview_page(region, chain, snap["summary"], snap["children"], geojson,
                              snap["as_of"], runtime.setting("REFRESH_SECONDS"), live.first_state(snap))


KPI_OUTPUTS = [o for k in KPI_CARDS for o in (Output(f"kpi-{k}", "children"), Output(f"kpi-{k}", "title"))]


def render(snap: dict) -> list:
    """Only values go back: KPI texts, the map's z (a Patch, never geometry), the ranking."""
    summary, children = snap["summary"], snap["children"]
    kpis = [v for k in KPI_CARDS for v in (kpi_value(k, summary.get(k)), exact(summary.get(k)))]
    fig = Patch()
    fig["data"][0]["z"] = [v or 0 for v in view.map_values(children)]
    return kpis + [fig, view.children_table(children)]


def tick(_n, code, state):
    return live.tick("overview", code, state, compute, render, len(KPI_OUTPUTS) + 2)


def drill(click):
    """A click on the map opens that child (a grid opens its profile)."""
    try:
        child = click["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return no_update, no_update
    if not isinstance(child, str) or not child.isdigit():
        return no_update, no_update
    if len(child) == 15:
        return f"/grid/{child}", ""
    return "/", f"?region={child}"


def register(app) -> None:
    app.callback(
        *KPI_OUTPUTS, Output("ov-map", "figure"), Output("ov-children", "children"),
        Output("ov-updated", "children"), Output("ov-state", "data"),
        Input("ov-tick", "n_intervals"), State("ov-region", "data"), State("ov-state", "data"),
        prevent_initial_call=True,
    )(tick)
    app.callback(Output("url", "pathname"), Output("url", "search"),
                 Input("ov-map", "clickData"), prevent_initial_call=True)(drill)
