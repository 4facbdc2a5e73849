"""智慧地图 callbacks: the page, two live ticks (events every tick; the register's layers
slowly), the layer switch, and what a click on a point opens."""
from __future__ import annotations

import re

from dash import ClientsideFunction, Input, Output, Patch, State, no_update
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError, regions, smart_map
from dashboard import access, runtime
from layouts import smart_map as view
from layouts import wall_map as wall
from layouts.patches import values_patch
from services.smart_map import SNAPSHOT

from . import live
from .views import View

REGISTER_SECONDS = 60  # the register's layers change daily at most: checked once a minute
CLICK = re.compile(r"^(incident|household|enterprise|place|organization):([0-9]{1,9}(?:,[0-9]{1,9}){0,29})$")


def _geojson(code: str):
    with runtime.engine().connect() as conn:
        return regions.map_geojson(conn, runtime.scope(), code)


def render_events(snap: dict) -> list:
    """The 事 layer's points, the legend's counts and the newest open events (every tick)."""
    if "layers" not in snap:
        return [values_patch({"traces": [{"z": [c["open"] for c in snap["children"]]}]}), no_update, no_update]
    layers = snap["layers"]
    return [values_patch(view.events_values(layers)), view.legend(layers, snap["grids"]), view.recent_events(layers)]


def render_register(snap: dict) -> list:
    """The 人 / 地 / 物 / 组织 layers (changed rarely: a slow tick of their own)."""
    if "layers" not in snap:
        return [no_update]
    return [values_patch(view.register_values(snap["layers"]))]


def _build(code: str, wall_screen: bool):
    def build(snap):
        geojson = _geojson(code)
        state = live.first_state(snap, live.page_parts(SNAPSHOT, code, render_events, "events"))
        rstate = live.first_state(snap, live.page_parts(SNAPSHOT, code, render_register, "register"))
        make = wall.wall_page if wall_screen else view.map_page
        return make(code, snap, geojson, runtime.setting("REFRESH_SECONDS"), state, rstate, REGISTER_SECONDS)
    return build


def page(code: str | None):
    code = code or runtime.scope().code
    return live.cached_page(SNAPSHOT, code, _build(code, False))


def wall_page(code: str | None):
    code = code or runtime.scope().code
    return live.cached_page(SNAPSHOT, code, _build(code, True), "wall")


def tick(_n, code, state):
    return live.tick(SNAPSHOT, code, state, render_events, 3, variant="events")


def register_tick(_n, code, state):
    return live.tick(SNAPSHOT, code, state, render_register, 1, variant="register")


def switch_layers(value):
    """Show or hide layers: the traces' `visible` flags only (a tick never touches them)."""
    if not isinstance(value, list):
        raise PreventUpdate
    shown = {v for v in value if isinstance(v, str)}
    patch = Patch()
    for i, layer in enumerate(view.TRACE_LAYER):
        patch["data"][i]["visible"] = layer in shown
    return patch


def _point(click) -> str | None:
    try:
        point = click["points"][0]
        value = point["customdata"]
    except (TypeError, KeyError, IndexError):
        return None
    return value if isinstance(value, str) and len(value) <= 320 else None


def open_point(click, search):
    """A click: a grid polygon drills down, an enterprise or a household opens its file, an
    event, a place, an organisation or a building of several households opens a card here.
    Any client can send any clickData: only the patterns above are read, each id scope-checked."""
    value = _point(click)
    if value is None:
        raise PreventUpdate
    if value.isdigit():  # a child polygon: drill down, staying on the map (and on the wall)
        path, query = live.drilled(value, search, view.PATH, grid_profile=False)
        return no_update, path, query
    found = CLICK.fullmatch(value)
    if found is None:
        raise PreventUpdate
    kind, ids = found.group(1), found.group(2).split(",")
    if kind == "enterprise" or (kind == "household" and len(ids) == 1):
        return no_update, f"/{kind}/{ids[0]}", ""
    try:
        with runtime.engine().connect() as conn:
            scope, now = runtime.scope(), runtime.now()
            if kind == "incident":
                card = view.incident_card(smart_map.incident_card(conn, scope, ids[0], now))
            elif kind == "household":
                card = view.households_card(smart_map.households_brief(conn, scope, ids, now))
            else:
                card = view.point_card(smart_map.point_card(conn, scope, kind, ids[0]))
    except RegionError as exc:
        card = view.refusal(str(exc))
    except DatabaseError:
        card = view.refusal("数据库暂时不可用，请稍后再试。")
    return card, no_update, no_update


def register(app) -> None:
    access.callback(app, access.READ, Output("map-graph", "figure"), Output("map-legend", "children"),
                    Output("map-events", "children"), Output("map-updated", "children"), Output("map-state", "data"),
                    Input("map-tick", "n_intervals"), State("map-region", "data"), State("map-state", "data"),
                    prevent_initial_call=True)(tick)
    access.callback(app, access.READ, Output("map-graph", "figure", allow_duplicate=True),
                    Output("map-rupdated", "children"), Output("map-rstate", "data"),
                    Input("map-rtick", "n_intervals"), State("map-region", "data"), State("map-rstate", "data"),
                    prevent_initial_call=True)(register_tick)
    access.callback(app, access.READ, Output("map-graph", "figure", allow_duplicate=True),
                    Input("map-layers", "value"), prevent_initial_call=True)(switch_layers)
    access.callback(app, access.READ, Output("map-detail", "children"),
                    Output("url", "pathname", allow_duplicate=True), Output("url", "search", allow_duplicate=True),
                    Input("map-graph", "clickData"), State("url", "search"), prevent_initial_call=True)(open_point)
    # Open events pulse: a browser-side restyle of their halo, no server round trip.
    app.clientside_callback(ClientsideFunction("redgrid", "pulse"), Output("map-pulse", "className"),
                            Input("map-pulse", "n_intervals"))


VIEW = View(view.PATH, "智慧地图", page, register, nav=4.5, wall_page=wall_page, snapshots=(SNAPSHOT,))
