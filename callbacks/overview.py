"""总览 callbacks: first render, live ticks (204 / Patch), map measure, drill-down."""
from __future__ import annotations

from dash import Input, Output, Patch, State, no_update
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError
from dashboard import access, runtime
from layouts import overview as view
from layouts import wall_overview as wall
from layouts.kpis import HEADLINE, exact, kpi_class, kpi_value
from layouts.patches import values_patch
from services.overview import SNAPSHOT

from . import live
from .views import View


def page(code: str | None):
    def build(snap):
        region, chain, geojson = live.place(code, with_map=True)
        measure = view.measure_of(None)
        parts = live.page_parts(SNAPSHOT, region.code, lambda s: render(s, measure), measure)
        return view.overview_page(region, chain, snap, geojson, runtime.setting("REFRESH_SECONDS"),
                                  live.first_state(snap, parts))
    return live.cached_page(SNAPSHOT, _region(code), build)


def wall_page(code: str | None):
    def build(snap):
        region, _, geojson = live.place(code, with_map=True)
        measure = view.measure_of(None)
        parts = live.page_parts(SNAPSHOT, region.code, lambda s: render(s, measure), measure)
        return wall.wall_page(region, snap, geojson, runtime.setting("REFRESH_SECONDS"),
                              live.first_state(snap, parts))
    return live.cached_page(SNAPSHOT, _region(code), build, "wall")


def _region(code: str | None) -> str:
    """The region a page shows (the scope's root when the URL names none)."""
    return code or runtime.scope().code


KPI_OUTPUTS = [o for k in HEADLINE for o in (Output(f"kpi-{k}", "children"), Output(f"kpi-{k}", "title"),
                                              Output(f"kpi-{k}", "className"))]


def _map_patch(children: list[dict], measure: str) -> Patch:
    return values_patch({"traces": [{"z": [0 if v is None else v for v in view.map_values(children, measure)]}]})


def render(snap: dict, measure: str) -> list:
    """Only values go back: KPI texts, the map's z (never geometry), the ranking, trend, ticker."""
    summary, children = snap["summary"], snap["children"]
    kpis = [v for k in HEADLINE
            for v in (kpi_value(k, summary.get(k)), exact(summary.get(k)), kpi_class(k, summary.get(k)))]
    days = [d["day"][5:] for d in snap["trend"]]  # the labels move at midnight too
    trend = values_patch({"traces": [{"x": days, "y": [d["reported"] for d in snap["trend"]]},
                                     {"x": days, "y": [d["closed"] for d in snap["trend"]]}]})
    return kpis + [_map_patch(children, measure), view.children_table(children), trend,
                   view.ticker(snap["ticker"]), view.barometer_parts(summary)]


def tick(_n, code, state, measure):
    measure = view.measure_of(measure)
    # The measure is part of the rendering: one rendering per (snapshot, measure) for all screens.
    return live.tick(SNAPSHOT, code, state, lambda snap: render(snap, measure),
                     len(KPI_OUTPUTS) + 5, variant=measure)


def switch_measure(measure, code):
    """Recolour the map by another measure: values, colour-bar title and hover only."""
    measure = view.measure_of(measure)
    try:
        snap = live.snapshot(SNAPSHOT, code)
    except (RegionError, DatabaseError):
        raise PreventUpdate from None  # a forged region gets nothing; a database away keeps the map
    fig = _map_patch(snap["children"], measure)
    label = view.MEASURES[measure][0]
    fig["data"][0]["colorbar"]["title"]["text"] = label
    fig["data"][0]["hovertemplate"] = "%{text}<br>" + label + "：%{z}<extra></extra>"
    return fig


def drill(click, search=None):
    """A click on the map opens that child (a grid opens its profile; a wall stays a wall)."""
    try:
        child = click["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return no_update, no_update
    if not isinstance(child, str) or not child.isdigit():
        return no_update, no_update
    return live.drilled(child, search)


def register(app) -> None:
    access.callback(app, access.READ, 
        *KPI_OUTPUTS, Output("ov-map", "figure"), Output("ov-children", "children"),
        Output("ov-trend", "figure"), Output("ov-ticker", "children"), Output("ov-barometer", "children"),
        Output("ov-updated", "children"), Output("ov-state", "data"),
        Input("ov-tick", "n_intervals"), State("ov-region", "data"), State("ov-state", "data"),
        State("ov-measure", "value"), prevent_initial_call=True,
    )(tick)
    access.callback(app, access.READ, Output("ov-map", "figure", allow_duplicate=True), Input("ov-measure", "value"),
                 State("ov-region", "data"), prevent_initial_call=True)(switch_measure)
    access.callback(app, access.READ, Output("url", "pathname"), Output("url", "search"),
                 Input("ov-map", "clickData"), State("url", "search"), prevent_initial_call=True)(drill)


VIEW = View("/", "总览", page, register, nav=1, carousel=True, wall_page=wall_page, snapshots=(SNAPSHOT,))
