"""巡查覆盖 callbacks: first render, live ticks (Patch of values only), drill-down.

Two live snapshots: the coverage view proper (every REFRESH_SECONDS), and the
7-day worker ranking, which is heavier and slower-moving: it is filled in after
the page shows, refreshed on its own slower tick and computed at most once per
WORKER_CACHE_SECONDS for every screen.
"""
from __future__ import annotations

from dash import Input, Output, Patch, State, ctx, no_update

from data_access import patrols
from data_access.cache import remember
from data_access.scope import CODE_PATTERN
from dashboard import access, runtime
from layouts import patrols as view

from . import live

WORKER_CACHE_SECONDS = 300
WORKER_TICK_SECONDS = 60


def compute(conn, scope, code, now) -> dict:
    visits = patrols.visits_by_category(conn, scope, code, now)
    return {**patrols.coverage(conn, scope, code, now, categories=visits), "visits": visits}


def compute_workers(conn, scope, code, now) -> dict:
    def run():
        return {**patrols.worker_activity(conn, scope, code, now), "computed_at": now.isoformat()}
    return remember("patrols-workers", scope.code, code, now, WORKER_CACHE_SECONDS, run)


def page(code: str | None):
    def build(snap):
        region, chain, geojson = live.place(code, with_map=True)
        refresh = runtime.setting("REFRESH_SECONDS")
        parts = live.page_parts("patrols", region.code, compute, render, "")
        return view.patrols_page(region, chain, snap, geojson, refresh, live.first_state(snap, parts),
                                 max(refresh, WORKER_TICK_SECONDS))
    return live.cached_page("patrols", code or runtime.scope().code, compute, build)


def render(snap: dict) -> list:
    """Only values go back: KPI cards, figure y/z (Patches, never geometry), table rows."""
    children, cats = snap["children"], snap["visits"]
    cover = Patch()
    cover["data"][0]["z"] = view.map_values(children)
    h = view.hours_values(children)
    hours = Patch()
    hours["data"][0]["y"] = h["y"]
    hours["data"][0]["customdata"] = h["customdata"]
    hours["data"][0]["marker"]["color"] = h["colors"]
    v = view.visit_values(cats)
    kp = Patch()
    for i, key in enumerate(("on_time", "overdue", "weighted")):
        kp["data"][i]["x"] = v["x"]
        kp["data"][i]["y"] = v[key]
    return [view.kpis(snap["summary"]), cover, hours, kp, view.visit_table(cats),
            view.children_table(children), view.blind_rows(snap["blind_spots"]),
            view.blind_count(snap["summary"]["blind_spot_grids"], len(snap["blind_spots"]))]


OUTPUTS = [Output("pat-kpis", "children"), Output("pat-map", "figure"), Output("pat-hours", "figure"),
           Output("pat-kp", "figure"), Output("pat-kp-table", "children"), Output("pat-children", "children"),
           Output("pat-blind", "rowData"), Output("pat-blind-count", "children")]


def tick(_n, code, state):
    return live.tick("patrols", code, state, compute, render, len(OUTPUTS), variant="")


def render_workers(snap: dict) -> list:
    return [view.worker_rows(snap), view.worker_note(snap)]


def tick_workers(_n, code, state):
    return live.tick("patrols-workers-snap", code, state, compute_workers, render_workers, 2, variant="")


def _region_code(value) -> str | None:
    return value if isinstance(value, str) and CODE_PATTERN.match(value) else None


def drill(map_click, hours_click, blind_cell, worker_cell):
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
    if len(code) == 15:
        return f"/grid/{code}", ""
    return view.PATH, f"?region={code}"


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
        Input("pat-blind", "cellClicked"), Input("pat-workers", "cellClicked"),
        prevent_initial_call=True,
    )(drill)


# The refresher process may compute these snapshots (callbacks/live.py).
live.serve("patrols", compute)
live.serve("patrols-workers-snap", compute_workers)
