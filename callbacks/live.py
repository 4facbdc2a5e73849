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
import sys
from typing import Callable

if __name__ == "__main__":  # `python -m callbacks.live`: the refresher, on the package's own module
    from callbacks.live import refresher_main
    sys.exit(refresher_main())
from urllib.parse import parse_qs

import orjson
from dash import no_update
from dash._no_update import NoUpdate
from dash.exceptions import PreventUpdate
from flask import current_app
from plotly.io.json import to_json_plotly

from data_access import DatabaseError, RegionError, RegionNotFound, cache, regions
from data_access.scope import scope_of
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


# Views whose snapshot is recomputed less often than the screens tick (their own setting).
SNAPSHOT_SECONDS = {"opinion": "OPINION_REFRESH_SECONDS"}


def seconds_of(kind: str) -> int:
    """The length of a view's time bucket: how often its snapshot is recomputed."""
    own = SNAPSHOT_SECONDS.get(kind.split("#")[0])
    tick = runtime.setting("REFRESH_SECONDS")
    return max(tick, runtime.setting(own)) if own else tick


def _compute_entry(kind: str, compute: Callable, scope, code: str | None, now: dt.datetime) -> dict:
    """This bucket's entry {"snap", "sig"}. The signature and the time are also kept alone under
    their own key ({kind}#sig: [sig, as_of]), so a tick reads a few bytes, not the snapshot."""
    with runtime.engine().connect() as conn:
        snap = {**compute(conn, scope, code, now), "as_of": now}
    entry = {"snap": snap, "sig": signature(snap)}
    cache.put(f"{kind}#sig", scope.code, code, now, seconds_of(kind), [entry["sig"], now.isoformat()])
    return entry


def serve(kind: str, compute: Callable) -> None:
    """Let a refresher process (`python -m callbacks.live`) compute this view's snapshots."""
    def job(scope_code: str, code: str | None, now: dt.datetime) -> dict:
        with runtime.engine().connect() as conn:
            scope = scope_of(conn, scope_code)
        return _compute_entry(kind, compute, scope, code, now)
    cache.JOBS[kind] = job


def _runner(kind: str, code: str | None, compute: Callable):
    scope, now = runtime.scope(), runtime.now()
    return scope, now, seconds_of(kind), lambda: _compute_entry(kind, compute, scope, code, now)


def _entry(kind: str, code: str | None, compute: Callable, stale_ok: bool = True) -> dict:
    """{"snap", "sig"} of this bucket, computed once for every screen (data_access.cache).
    Screens never wait for a computation when a recent snapshot exists."""
    scope, now, seconds, run = _runner(kind, code, compute)
    return cache.remember(kind, scope.code, code, now, seconds, run, stale_ok=stale_ok, background=True,
                          handoff=True)


def snapshot(kind: str, code: str | None, compute: Callable) -> dict:
    """compute(conn, scope, code, now) -> dict of plain values; adds `as_of`."""
    return _entry(kind, code, compute, stale_ok=False)["snap"]


def signature(snap: dict) -> str:
    body = json.dumps({k: v for k, v in snap.items() if k != "as_of"}, sort_keys=True, default=str)
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


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


def rendered(kind: str, code: str | None, entry: dict, render: Callable, variant: str | None) -> dict:
    """{"values", "hashes"} of render(snap); with a `variant` (the inputs besides the snapshot
    that the render depends on) it is built once per (snapshot, variant) for every screen."""
    if variant is None:
        values, hashes = _plain(list(render(entry["snap"])))
        return {"values": values, "hashes": hashes}
    scope = runtime.scope()

    def build():
        values, hashes = _plain(list(render(entry["snap"])))
        return {"values": values, "hashes": hashes}
    return cache.remember(f"{kind}#render:{variant}:{entry['sig']}", scope.code, code, runtime.now(),
                          seconds_of(kind), build, stale_ok=False, keep_latest=True)


def first_state(snap: dict, parts: list | None = None) -> dict:
    """The state store of a freshly rendered page; `parts` are the hashes of the tick outputs
    the page already shows, so the first changed tick sends only what differs."""
    state = {"sig": signature(snap), "ok_at": snap["as_of"].isoformat()}
    if parts is not None:
        state["parts"] = parts
    return state


PAGE_SECONDS = 60  # a rendered page is kept this long per snapshot signature


def cached_page(kind: str, code: str | None, compute: Callable, build: Callable[[dict], object]):
    """A view's page for a region, rendered once per snapshot for every screen that opens it
    (a wall of screens reopening at once costs one rendering, not one each), as plain JSON.
    build(snap) renders it (placing the region, which refuses a code outside the scope)."""
    entry = _entry(kind, code, compute)
    scope = runtime.scope()

    def render():
        return orjson.loads(to_json_plotly(build(entry["snap"])))
    return cache.remember(f"{kind}#page:{entry['sig']}", scope.code, code, runtime.now(), PAGE_SECONDS, render,
                          stale_ok=False)


def page_parts(kind: str, code: str | None, compute: Callable, render: Callable, variant: str) -> list:
    """Hashes of the tick outputs for the page being rendered (same bucket, same snapshot)."""
    entry = _entry(kind, code, compute, stale_ok=False)
    return rendered(kind, code, entry, render, variant)["hashes"]


def tick(kind: str, code: str | None, state: dict | None, compute: Callable,
         render: Callable[[dict], list], n_outputs: int, variant: str | None = None) -> list:
    """Outputs: the view's `n_outputs` values, then the status badge, then the new state.

    Unchanged snapshot: an empty 204. Changed: only the outputs whose rendering differs
    from what the screen has (their hashes travel in the state store), as plain values."""
    state = state if isinstance(state, dict) else {}
    nothing = [no_update] * n_outputs
    stale = bool(state.get("stale_since"))
    try:
        if not stale:
            quick = _from_signature(kind, code, state, compute, render, variant)
            if quick is not None:
                return quick
        entry = _entry(kind, code, compute, stale_ok=True)
    except RegionError:
        raise PreventUpdate from None
    except DatabaseError:
        since = state.get("stale_since") or state.get("ok_at") or runtime.now().isoformat()
        return nothing + [updated_badge(None, dt.datetime.fromisoformat(since)),
                          {**state, "stale_since": since}]
    snap = entry["snap"]
    if entry["sig"] == state.get("sig") and not stale:
        raise PreventUpdate
    return _answer(rendered(kind, code, entry, render, variant), entry["sig"], snap["as_of"], state)


def _check_region(scope, code, kind: str) -> None:
    """The code names a region inside the scope (RegionError otherwise); each (scope, code) is
    checked against the database once per process, so an unchanged tick stays query-free."""
    seen = current_app.extensions.setdefault("redgrid.checked_regions", set())
    key = (kind == "grid", scope.code, code if isinstance(code, str) or code is None else repr(code)[:40])
    if key in seen:
        return
    with runtime.engine().connect() as conn:
        r = regions.get(conn, scope, code)
    if kind == "grid" and r.level != "grid":  # the 一格一档 view is for grids only
        raise RegionNotFound(f"{r.code} 不是网格")
    if len(seen) > 50_000:  # bounded: codes are finite, forged ones are refused before this line
        seen.clear()
    seen.add(key)


def _answer(out: dict, sig: str, as_of: dt.datetime, state: dict) -> list:
    """The outputs the screen does not have yet, the badge, and the new state."""
    had = state.get("parts") if isinstance(state.get("parts"), list) else []
    values = [v if i >= len(had) or h is None or had[i] != h else no_update
              for i, (v, h) in enumerate(zip(out["values"], out["hashes"]))]
    return values + [updated_badge(as_of), {"sig": sig, "ok_at": as_of.isoformat(), "parts": out["hashes"]}]


def _from_signature(kind, code, state, compute, render, variant) -> list | None:
    """The cheap path of a tick: the signature (this bucket's, else the latest while this one is
    computed in a thread) and, when it changed, the shared rendering — never the snapshot.
    None when neither is in the cache (the caller takes the full path)."""
    scope, now, seconds, run = _runner(kind, code, compute)
    _check_region(scope, code, kind)  # before any background work is started for it
    cache.watch(kind, scope.code, code, seconds)
    head = cache.peek(f"{kind}#sig", scope.code, code, now, seconds)
    if head is None:
        cache.refresh(kind, scope.code, code, now, seconds, run, handoff=True)
        head = cache.peek_latest(f"{kind}#sig", scope.code, code)
    if head is None:
        return None
    sig, as_of = head[0], dt.datetime.fromisoformat(head[1])
    if sig == state.get("sig"):
        raise PreventUpdate  # unchanged: the answer is an empty 204
    if variant is None:
        return None
    out = cache.peek_latest(f"{kind}#render:{variant}:{sig}", scope.code, code)
    return None if out is None else _answer(out, sig, as_of, state)


def refresher_main() -> int:
    """`python -m callbacks.live`: compute the watched live snapshots once per bucket, off the
    web workers (same DATABASE_URL and CACHE_REDIS_URL as the app; docs/deployment.md)."""
    import logging

    from dashboard import create_app
    logging.basicConfig(level=logging.INFO)
    # It also runs the scheduler (rollups, warnings, text readings) when WARNINGS_EVALUATE_SECONDS
    # is set: the web workers leave that work to it while it beats (dashboard/app.py).
    app = create_app({"REDGRID_REFRESHER": True})
    cache.run_refresher(app.server)
    return 0

