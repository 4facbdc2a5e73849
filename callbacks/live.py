"""The live-refresh pattern every view shares.

A view's numbers are one snapshot per (view, scope, region, time bucket),
computed once and read by every screen. A tick sends nothing when the
snapshot's signature is unchanged, and keeps the last good data on screen with
a 数据延迟 mark when the database does not answer.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Callable
from urllib.parse import parse_qs

import orjson
from dash import no_update
from dash._no_update import NoUpdate
from dash.exceptions import PreventUpdate
from flask import current_app
from plotly.io.json import to_json_plotly

from data_access import DatabaseError, RegionError, RegionNotFound, cache, regions
from dashboard import runtime
from layouts.shell import updated_badge
from services import SNAPSHOTS, Snapshot
from services.snapshot import compute_entry, signature


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


def drilled(code: str, search: str | None, path: str = "/", grid_profile: bool = True) -> tuple[str, str]:
    """(pathname, search) of a drill-down to `code`: a grid opens its profile (unless the view
    shows grids itself: `grid_profile=False`); a wall stays a wall (?screen=1 and its
    carousel's &rotate= go along)."""
    params = parse_qs(search.lstrip("?")[:MAX_QUERY]) if isinstance(search, str) else {}
    keep = "".join(f"&{k}={params[k][0]}" for k in ("screen", "rotate")
                   if params.get(k) and params[k][0].isdigit())
    if len(code) == 15 and grid_profile:
        return f"/grid/{code}", f"?{keep[1:]}" if keep else ""
    return path, f"?region={code}{keep}"


def region_of(pathname: str | None, search: str | None) -> str | None:
    """The region a page shows: /grid/CODE, else ?region=."""
    pathname = (pathname or "/")[:MAX_QUERY]
    if pathname.startswith("/grid/"):
        return pathname[len("/grid/"):]
    return region_from_search(search)


def place(code: str | None, with_map: bool = False):
    """The region to show (resolved once and checked against the scope), its breadcrumb, and for
    map views the children's polygons (sent once per region; ticks send values only)."""
    scope = runtime.scope()
    with runtime.engine().connect() as conn:
        region = regions.get(conn, scope, code)
        chain = regions.breadcrumb(conn, scope, region)
        geojson = regions.children_geojson(conn, scope, region) if with_map else None
    return region, chain, geojson


def seconds_of(kind: str) -> int:
    """The length of a snapshot's time bucket: how often it is recomputed (at least every tick)."""
    declared = SNAPSHOTS.get(kind.split("#")[0])
    tick = runtime.setting("REFRESH_SECONDS")
    return tick if declared is None else max(tick, runtime.setting(declared.period))


def _runner(snapshot: Snapshot, code: str | None):
    scope, now, seconds, engine = runtime.scope(), runtime.now(), seconds_of(snapshot.kind), runtime.engine()
    return scope, now, seconds, lambda: compute_entry(snapshot, engine, scope, code, now, seconds)


def _entry(snapshot: Snapshot, code: str | None) -> dict:
    """{"snap", "sig"} of this bucket, computed once for every screen (data_access.cache).
    Screens never wait for a computation when a recent snapshot exists."""
    scope, now, seconds, run = _runner(snapshot, code)
    return cache.live_value(snapshot.kind, scope.code, code, now, seconds, run)


def snapshot(declared: Snapshot, code: str | None) -> dict:
    """The service's plain values for this bucket, with `as_of`."""
    return _entry(declared, code)["snap"]


def _plain(outputs: list) -> tuple[list, list]:
    """Rendered outputs as plain JSON values (what Dash would send) and a short hash of each.
    Patches stay patches: the renderer recognises them by their marker, not their class."""
    values, hashes = [], []
    for out in outputs:
        if NoUpdate.is_no_update(out):
            values.append(no_update)
            hashes.append(None)
            continue
        text = to_json_plotly(out)
        values.append(orjson.loads(text))
        hashes.append(hashlib.blake2b(text.encode(), digest_size=6).hexdigest())
    return values, hashes


def rendered(snapshot: Snapshot, code: str | None, entry: dict, render: Callable, variant: str | None) -> dict:
    """{"values", "hashes"} of render(snap); with a `variant` (the inputs besides the snapshot
    that the render depends on) it is built once per (snapshot, variant) for every screen."""
    def build():
        values, hashes = _plain(list(render(entry["snap"])))
        return {"values": values, "hashes": hashes}
    if variant is None:
        return build()
    return cache.remember_latest(f"{snapshot.kind}#render:{variant}:{entry['sig']}", runtime.scope().code, code,
                                 runtime.now(), seconds_of(snapshot.kind), build)


def first_state(snap: dict, parts: list | None = None) -> dict:
    """The state store of a freshly rendered page; `parts` are the hashes of the tick outputs
    the page already shows, so the first changed tick sends only what differs."""
    state = {"sig": signature(snap), "ok_at": snap["as_of"].isoformat()}
    if parts is not None:
        state["parts"] = parts
    return state


PAGE_SECONDS = 60  # a rendered page is kept this long per snapshot signature


def cached_page(snapshot: Snapshot, code: str | None, build: Callable[[dict], object], variant: str = "page"):
    """A view's page for a region, rendered once per snapshot for every screen that opens it
    (a wall of screens reopening at once costs one rendering, not one each), as plain JSON.
    build(snap) renders it (placing the region, which refuses a code outside the scope);
    `variant` names the layout ("page" for the desk, "wall" for the wall's composition)."""
    entry = _entry(snapshot, code)

    def render():
        return orjson.loads(to_json_plotly(build(entry["snap"])))
    return cache.remember(f"{snapshot.kind}#{variant}:{entry['sig']}", runtime.scope().code, code, runtime.now(),
                          PAGE_SECONDS, render)


def page_parts(snapshot: Snapshot, code: str | None, render: Callable, variant: str) -> list:
    """Hashes of the tick outputs for the page being rendered (same bucket, same snapshot)."""
    entry = _entry(snapshot, code)
    return rendered(snapshot, code, entry, render, variant)["hashes"]


def tick(snapshot: Snapshot, code: str | None, state: dict | None,
         render: Callable[[dict], list], n_outputs: int, variant: str | None = None) -> list:
    """Outputs: the view's `n_outputs` values, then the status badge, then the new state.

    Unchanged snapshot: an empty 204. Changed: only the outputs whose rendering differs
    from what the screen has (their hashes travel in the state store), as plain values."""
    state = state if isinstance(state, dict) else {}
    nothing = [no_update] * n_outputs
    stale = bool(state.get("stale_since"))
    try:
        if stale:  # the mark goes only with data of this bucket, computed now if need be
            _check_region(runtime.scope(), code, snapshot)
            scope, now, seconds, run = _runner(snapshot, code)
            entry = cache.current_value(snapshot.kind, scope.code, code, now, seconds, run)
        else:
            quick = _from_signature(snapshot, code, state, render, variant, n_outputs)
            if quick is not None:
                return quick
            entry = _entry(snapshot, code)
    except RegionError:
        raise PreventUpdate from None
    except DatabaseError:
        since = state.get("stale_since") or state.get("ok_at") or runtime.now().isoformat()
        return nothing + [updated_badge(None, dt.datetime.fromisoformat(since)),
                          {**state, "stale_since": since}]
    snap = entry["snap"]
    if entry["sig"] == state.get("sig") and not stale:
        return _unchanged(state, snap["as_of"], n_outputs)
    return _answer(rendered(snapshot, code, entry, render, variant), entry["sig"], snap["as_of"], state)


def _check_region(scope, code, snapshot: Snapshot) -> None:
    """The code names a region inside the scope (RegionError otherwise); each (scope, code) is
    checked against the database once per process, so an unchanged tick stays query-free."""
    seen = current_app.extensions.setdefault("redgrid.checked_regions", set())
    key = (snapshot.grid_only, scope.code, code if isinstance(code, str) or code is None else repr(code)[:40])
    if key in seen:
        return
    with runtime.engine().connect() as conn:
        r = regions.get(conn, scope, code)
    if snapshot.grid_only and r.level != "grid":  # the 一格一档 view is for grids only
        raise RegionNotFound(f"{r.code} 不是网格")
    if len(seen) > 50_000:  # bounded: codes are finite, forged ones are refused before this line
        seen.clear()
    seen.add(key)


CHECKED_SECONDS = 60  # how often an unchanged screen is told its data is still current


def _unchanged(state: dict, as_of: dt.datetime, n_outputs: int) -> list:
    """Nothing changed: an empty 204, except at most once a minute the badge alone, so that
    数据更新于 tells when the data was last checked (a quiet village is live, not stale)."""
    try:
        shown = dt.datetime.fromisoformat(state.get("ok_at"))
    except (TypeError, ValueError):
        shown = None
    if shown is not None and (as_of - shown).total_seconds() < CHECKED_SECONDS:
        raise PreventUpdate
    return [no_update] * n_outputs + [updated_badge(as_of), {**state, "ok_at": as_of.isoformat()}]


def _answer(out: dict, sig: str, as_of: dt.datetime, state: dict) -> list:
    """The outputs the screen does not have yet, the badge, and the new state."""
    had = state.get("parts") if isinstance(state.get("parts"), list) else []
    values = [v if i >= len(had) or h is None or had[i] != h else no_update
              for i, (v, h) in enumerate(zip(out["values"], out["hashes"]))]
    return values + [updated_badge(as_of), {"sig": sig, "ok_at": as_of.isoformat(), "parts": out["hashes"]}]


def _from_signature(snapshot: Snapshot, code, state, render, variant, n_outputs: int) -> list | None:
    """The cheap path of a tick: the signature (this bucket's, else the latest while this one is
    computed in a thread) and, when it changed, the shared rendering — never the snapshot.
    None when neither is in the cache (the caller takes the full path)."""
    kind = snapshot.kind
    scope, now, seconds, run = _runner(snapshot, code)
    _check_region(scope, code, snapshot)  # before any background work is started for it
    cache.watch(kind, scope.code, code, seconds)
    head = cache.peek(f"{kind}#sig", scope.code, code, now, seconds)
    if head is None:
        cache.refresh(kind, scope.code, code, now, seconds, run)
        if cache.failed(kind, scope.code, code):  # the latest is not the current: say so
            raise DatabaseError("the last computation of this snapshot failed")
        head = cache.peek_latest(f"{kind}#sig", scope.code, code)
    if head is None:
        return None
    sig, as_of = head[0], dt.datetime.fromisoformat(head[1])
    if sig == state.get("sig"):
        return _unchanged(state, as_of, n_outputs)
    if variant is None:
        return None
    out = cache.peek_latest(f"{kind}#render:{variant}:{sig}", scope.code, code)
    return None if out is None else _answer(out, sig, as_of, state)
