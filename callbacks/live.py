"""The live-refresh pattern every view shares.

A view's numbers are one snapshot per (view, scope, region, time bucket),
computed once and read by every screen. A tick sends nothing when the
snapshot's signature is unchanged, and keeps the last good data on screen with
a 数据延迟 mark when the database does not answer.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Callable
from urllib.parse import parse_qs

from dash import no_update
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError, regions
from data_access.cache import remember
from dashboard import runtime
from layouts.shell import updated_badge


MAX_QUERY = 512


def region_from_search(search: str | None) -> str | None:
    """The ?region= value (None when absent); anything odd is left for the scope check to refuse."""
    if not search:
        return None
    values = parse_qs(search.lstrip("?")[:MAX_QUERY]).get("region")
    return values[0] if values else None


def big_screen(search: str | None) -> bool:
    """?screen=1: the wall's big-screen mode (assets/redgrid.js reads the same flag)."""
    return parse_qs((search or "").lstrip("?")[:MAX_QUERY]).get("screen") == ["1"]


def region_of(pathname: str | None, search: str | None) -> str | None:
    """The region a page shows: /grid/CODE, else ?region=."""
    pathname = (pathname or "/")[:MAX_QUERY]
    if pathname.startswith("/grid/"):
        return pathname[len("/grid/"):]
    return region_from_search(search)


def place(code: str | None, with_map: bool = False):
    """The region to show (checked against the scope), its breadcrumb, and for map views the
    children's polygons (sent once per region; ticks send values only)."""
    scope = runtime.scope()
    with runtime.engine().connect() as conn:
        region = regions.get(conn, scope, code)
        chain = regions.breadcrumb(conn, scope, region.code)
        geojson = regions.children_geojson(conn, scope, region.code) if with_map else None
    return region, chain, geojson


def snapshot(kind: str, code: str | None, compute: Callable) -> dict:
    """compute(conn, scope, code, now) -> dict of plain values; adds `as_of`."""
    scope, now = runtime.scope(), runtime.now()

    def run():
        with runtime.engine().connect() as conn:
            return {**compute(conn, scope, code, now), "as_of": now}
    return remember(kind, scope.code, code, now, runtime.setting("REFRESH_SECONDS"), run)


def signature(snap: dict) -> str:
    body = json.dumps({k: v for k, v in snap.items() if k != "as_of"}, sort_keys=True, default=str)
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


def first_state(snap: dict) -> dict:
    return {"sig": signature(snap), "ok_at": snap["as_of"].isoformat()}


def tick(kind: str, code: str | None, state: dict | None, compute: Callable,
         render: Callable[[dict], list], n_outputs: int) -> list:
    """Outputs: the view's `n_outputs` values, then the status badge, then the new state."""
    state = state or {}
    nothing = [no_update] * n_outputs
    try:
        snap = snapshot(kind, code, compute)
    except RegionError:
        raise PreventUpdate from None
    except DatabaseError:
        since = state.get("stale_since") or state.get("ok_at") or runtime.now().isoformat()
        return nothing + [updated_badge(None, dt.datetime.fromisoformat(since)),
                          {**state, "stale_since": since}]
    sig = signature(snap)
    if sig == state.get("sig") and not state.get("stale_since"):
        raise PreventUpdate  # unchanged: the answer is an empty 204

    return list(render(snap)) + [updated_badge(snap["as_of"]), first_state(snap)]
