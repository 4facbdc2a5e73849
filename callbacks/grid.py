"""一格一档 callbacks: the grid profile page and its live refresh."""
from __future__ import annotations

from dash import Input, Output, State

from data_access import grid, metrics, regions
from dashboard import runtime
from layouts import grid as view

from . import live


def compute(conn, scope, code, now) -> dict:
    return {"profile": grid.profile(conn, scope, code, now),
            "summary": metrics.summary(conn, scope, code, now),
            "chain": [{"code": r.code, "name": r.name, "level": r.level}
                      for r in regions.breadcrumb(conn, scope, code)]}


def _body(snap):
    return view.grid_page(snap["chain"], snap["profile"], snap["summary"], snap["as_of"])


def page(code: str):
    snap = live.snapshot("grid", code, compute)
    return view.grid_frame(code, runtime.setting("REFRESH_SECONDS"), _body(snap), live.first_state(snap),
                           snap["as_of"])


def tick(_n, code, state):
    return live.tick("grid", code, state, compute, lambda snap: [_body(snap)], 1)


def register(app) -> None:
    app.callback(Output("grid-body", "children"), Output("grid-updated", "children"),
                 Output("grid-state", "data"), Input("grid-tick", "n_intervals"),
                 State("grid-code", "data"), State("grid-state", "data"),
                 prevent_initial_call=True)(tick)
