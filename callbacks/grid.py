"""一格一档 callbacks: the grid profile page and its live refresh."""
from __future__ import annotations

from dash import Input, Output, State, no_update
from sqlalchemy.exc import SQLAlchemyError

from data_access import RegionError, grid, metrics, regions
from data_access.cache import remember
from dashboard import runtime
from layouts import grid as view
from layouts.shell import error_page


def body(code: str):
    scope, now = runtime.scope(), runtime.now()

    def compute():
        with runtime.engine().connect() as conn:
            return {"profile": grid.profile(conn, scope, code, now),
                    "summary": metrics.summary(conn, scope, code, now),
                    "chain": regions.breadcrumb(conn, scope, code), "as_of": now}
    snap = remember("grid", scope.code, code, now, runtime.setting("REFRESH_SECONDS"), compute)
    return view.grid_page(snap["chain"], snap["profile"], snap["summary"], snap["as_of"])


def page(code: str):
    return view.grid_frame(code, runtime.setting("REFRESH_SECONDS"), body(code))


def tick(_n, code):
    try:
        return body(code)
    except RegionError as exc:
        return error_page(str(exc), exc.status)
    except SQLAlchemyError:
        return no_update


def register(app) -> None:
    app.callback(Output("grid-body", "children"), Input("grid-tick", "n_intervals"),
                 State("grid-code", "data"), prevent_initial_call=True)(tick)
