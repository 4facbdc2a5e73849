"""巡查覆盖 callbacks: first render, live ticks (Patch of values only), drill-down.

Two live snapshots: the coverage view proper (every REFRESH_SECONDS), and the
7-day worker ranking, which is heavier and slower-moving: it is filled in after
the page shows, refreshed on its own slower tick and computed at most once per
WORKER_CACHE_SECONDS for every screen.
"""
from __future__ import annotations

from dash import Input, Output, State, ctx, no_update

from data_access.scope import CODE_PATTERN
from dashboard import access, runtime
from layouts import patrols as view
from layouts import wall_patrols as wall
from layouts.patches import values_patch
from services.patrols import SNAPSHOT, WORKERS

from . import live
from .views import View

WORKER_TICK_SECONDS = 60


def page(code: str | None):
    def build(snap):
        region, chain, geojson = live.place(code, with_map=True)
        refresh = runtime.setting("REFRESH_SECONDS")
        parts = live.page_parts(SNAPSHOT, region.code, render, "")
        return view.patrols_page(region, chain, snap, geojson, refresh, live.first_state(snap, parts),
                                 max(refresh, WORKER_TICK_SECONDS))
    return live.cached_page(SNAPSHOT, code or runtime.scope().code, build)


def wall_page(code: str | None):
    def build(snap):
        region, _, geojson = live.place(code, with_map=True)
        refresh = runtime.setting("REFRESH_SECONDS")
        parts = live.page_parts(SNAPSHOT, region.code, render, "")
        return wall.wall_page(region, snap, geojson, refresh, live.first_state(snap, parts),
                              max(refresh, WORKER_TICK_SECONDS))
    return live.cached_page(SNAPSHOT, code or runtime.scope().code, build, "wall")


def render(snap: dict) -> list:
    """Only values go back: KPI cards, figure y/z (Patches, never geometry), table rows."""
    children, cats = snap["children"], snap["visits"]
    cover = values_patch({"traces": [{"z": view.map_values(children)}]})
    h = view.hours_values(children)
    hours = values_patch({"traces": [{"y": h["y"], "customdata": h["customdata"], "marker": {"color": h["colors"]}}]})
    v = view.visit_values(cats)
    kp = values_patch({"traces": [{"x": v["x"], "y": v[key]} for key in ("on_time", "overdue", "weighted")]})
    return [view.kpis(snap["summary"]), cover, hours, kp, view.visit_table(cats),
            view.children_table(children), view.blind_rows(snap["blind_spots"]),
            view.blind_count(snap["summary"]["blind_spot_grids"], len(snap["blind_spots"]))]


OUTPUTS = [Output("pat-kpis", "children"), Output("pat-map", "figure"), Output("pat-hours", "figure"),
           Output("pat-kp", "figure"), Output("pat-kp-table", "children"), Output("pat-children", "children"),
           Output("pat-blind", "rowData"), Output("pat-blind-count", "children")]


def tick(_n, code, state):
    return live.tick(SNAPSHOT, code, state, render, len(OUTPUTS), variant="")


def render_workers(snap: dict) -> list:
    return [view.worker_rows(snap), view.worker_note(snap)]


def tick_workers(_n, code, state):
    return live.tick(WORKERS, code, state, render_workers, 2, variant="")


def _region_code(value) -> str | None:
    return value if isinstance(value, str) and CODE_PATTERN.match(value) else None


def drill(map_click, hours_click, blind_cell, worker_cell, search=None):
    """A click on the map, a bar or a table row opens that region (a grid opens its profile)."""
    trigger = ctx.triggered_id
    code = None
    try:
        if trigger in ("pat-map", "pat-hours"):
            click = map_click if trigger == "pat-map" else hours_click
            data = click["points"][0]["customdata"]
            code = _region_code(data[0] if isinstance(data, list) else data)
        elif trigger == "pat-blind":
            code = _region_code(blind_cell["rowId"])
        elif trigger == "pat-workers":
            code = _region_code(str(worker_cell["rowId"]).split("-", 1)[0])
    except (TypeError, KeyError, IndexError, AttributeError):
        code = None
    if code is None:
        return no_update, no_update
    return live.drilled(code, search, view.PATH)


def register(app) -> None:
    access.callback(app, access.READ, 
        *OUTPUTS, Output("pat-updated", "children"), Output("pat-state", "data"),
        Input("pat-tick", "n_intervals"), State("pat-region", "data"), State("pat-state", "data"),
        prevent_initial_call=True,
    )(tick)
    # Fires once when the page mounts (the ranking is filled in after first paint), then on its tick.
    access.callback(app, access.READ, 
        Output("pat-workers", "rowData"), Output("pat-workers-note", "children"),
        Output("pat-wupdated", "children"), Output("pat-wstate", "data"),
        Input("pat-wtick", "n_intervals"), State("pat-region", "data"), State("pat-wstate", "data"),
    )(tick_workers)
    access.callback(app, access.READ, 
        Output("url", "pathname", allow_duplicate=True), Output("url", "search", allow_duplicate=True),
        Input("pat-map", "clickData"), Input("pat-hours", "clickData"),
        Input("pat-blind", "cellClicked"), Input("pat-workers", "cellClicked"), State("url", "search"),
        prevent_initial_call=True,
    )(drill)


VIEW = View(view.PATH, "巡查覆盖", page, register, nav=3, carousel=True, wall_page=wall_page,
            snapshots=(SNAPSHOT, WORKERS))
