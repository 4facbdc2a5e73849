"""总览 callbacks: first render, live ticks (no_update / Patch), map drill-down."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from dash import Input, Output, Patch, State, no_update
from sqlalchemy.exc import SQLAlchemyError

from data_access import RegionError, metrics, regions
from data_access.cache import remember
from dashboard import runtime
from layouts import overview as view
from layouts.kpis import KPI_CARDS, exact, kpi_value


def snapshot(code: str | None) -> dict:
    """The numbers of one overview screen, shared by every viewer in the same time bucket."""
    scope, now = runtime.scope(), runtime.now()
    seconds = runtime.setting("REFRESH_SECONDS")

    def compute():
        with runtime.engine().connect() as conn:
            return {"summary": metrics.summary(conn, scope, code, now),
                    "children": metrics.by_child(conn, scope, code, now), "as_of": now}
    return remember("overview", scope.code, code, now, seconds, compute)


def signature(snap: dict) -> str:
    body = json.dumps([snap["summary"], snap["children"]], sort_keys=True, default=str)
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


def page(code: str | None):
    scope = runtime.scope()
    with runtime.engine().connect() as conn:
        region = regions.get(conn, scope, code)
        chain = regions.breadcrumb(conn, scope, region.code)
        geojson = regions.children_geojson(conn, scope, region.code)
    snap = snapshot(region.code)
    state = {"sig": signature(snap), "ok_at": snap["as_of"].isoformat()}
    return view.overview_page(region, chain, snap["summary"], snap["children"], geojson,
                              snap["as_of"], runtime.setting("REFRESH_SECONDS"), state)


KPI_OUTPUTS = [o for k in KPI_CARDS for o in (Output(f"kpi-{k}", "children"), Output(f"kpi-{k}", "title"))]


def tick(_n, code, state):
    """Nothing goes back when nothing changed; only values (never geometry) when it did."""
    state = state or {}
    nothing = [no_update] * (len(KPI_OUTPUTS) + 3)
    try:
        snap = snapshot(code)
    except RegionError:
        return nothing + [no_update]
    except SQLAlchemyError:
        since = state.get("stale_since") or state.get("ok_at") or runtime.now().isoformat()
        badge = view.updated_badge(None, stale_since=_parse(since))
        return nothing[:-1] + [badge, {**state, "stale_since": since}]
    sig = signature(snap)
    if sig == state.get("sig") and not state.get("stale_since"):
        return nothing + [no_update]
    summary, children = snap["summary"], snap["children"]
    kpis = [v for k in KPI_CARDS for v in (kpi_value(k, summary.get(k)), exact(summary.get(k)))]
    fig = Patch()
    fig["data"][0]["z"] = [v or 0 for v in view.map_values(children)]
    return kpis + [fig, view.children_table(children), view.updated_badge(snap["as_of"]),
                   {"sig": sig, "ok_at": snap["as_of"].isoformat()}]


def _parse(text):
    return dt.datetime.fromisoformat(text)


def drill(click, code):
    """A click on the map opens that child (a grid opens its profile)."""
    try:
        child = click["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        return no_update, no_update
    if not isinstance(child, str):
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
                 Input("ov-map", "clickData"), State("ov-region", "data"),
                 prevent_initial_call=True)(drill)
