"""预警研判 on the wall: its composition, its live tick (one snapshot for every screen, values
only) and the map's drill-down. The duty desk's own callbacks are in callbacks/warnings.py."""
from __future__ import annotations

from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from data_access.scope import CODE_PATTERN
from dashboard import access, runtime
from layouts import wall_warnings as wall
from services.warnings import SNAPSHOT

from . import live


def page(code: str | None):
    def build(snap):
        region, _, geojson = live.place(code, with_map=True)
        parts = live.page_parts(SNAPSHOT, region.code, render, "")
        return wall.wall_page(region, snap, geojson, runtime.setting("REFRESH_SECONDS"),
                              live.first_state(snap, parts))
    return live.cached_page(SNAPSHOT, code or runtime.scope().code, build, "wall")


def render(snap: dict) -> list:
    return wall.render(snap, snap["as_of"])


OUTPUTS = [Output("board-kpis", "children"), Output("board-map", "figure"), Output("board-children", "children"),
           Output("board-ages", "figure"), Output("board-trend", "figure"), Output("board-queue", "children"),
           Output("board-note", "children")]


def tick(_n, code, state):
    return live.tick(SNAPSHOT, code, state, render, len(OUTPUTS), variant="")


def drill(click, search=None):
    """A click on a child region opens its board (a grid opens its profile); the wall stays a wall."""
    try:
        data = click["points"][0]["customdata"]
        code = data[0] if isinstance(data, list) else data
    except (TypeError, KeyError, IndexError, AttributeError):
        raise PreventUpdate from None
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        raise PreventUpdate
    return live.drilled(code, search, wall.PATH)


def register(app) -> None:
    access.callback(app, access.READ, *OUTPUTS, Output("board-updated", "children"), Output("board-state", "data"),
                    Input("board-tick", "n_intervals"), State("board-region", "data"), State("board-state", "data"),
                    prevent_initial_call=True)(tick)
    access.callback(app, access.READ, Output("url", "pathname", allow_duplicate=True),
                    Output("url", "search", allow_duplicate=True), Input("board-map", "clickData"),
                    State("url", "search"), prevent_initial_call=True)(drill)
