"""投屏 (send to the wall, issue #13): the desk page that sends a view and region to a named
wall screen, and every screen's follow tick.

The desk (`send`, permission `send_to_wall`: leaders and duty officers) writes the screen's
assignment and its audit row in one transaction (data_access/wall_screens.py checks the
screen, the region and the view against the sender's jurisdiction). The screen
(`follow`, on the shell's `wall-follow-tick`, every REFRESH_SECONDS) reads its own assignment
— a cache hit while nothing changes, answered with an empty 204 — and moves its URL when it
differs. The assignment lives in the database: a reload or a server restart keeps it.
A person's browser stops the tick at its first call.
"""
from __future__ import annotations

import datetime as dt

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError, wall_screens
from data_access.cache import cache
from data_access.scope import resolve
from data_access.timeutil import parse_instant, wall_clock
from dashboard import access, auth, runtime
from layouts import wall as view

from .views import View, carousel

DESK_ONLY = ("/briefing", view.PATH)  # read views that are desk tools, not wall pictures
ACTION = "wall_assign"
TICK_ID, STORE_ID = "wall-follow-tick", "wall-follow"


def _views():
    from . import VIEWS  # the registry (callbacks/__init__.py imports this module first)
    return VIEWS


def wall_views(views) -> list[tuple[str, str]]:
    """(path, title) of the views a screen may be sent: every view a kiosk may open, desk tools aside."""
    return [(v.path, v.title + ("（区划填网格代码）" if v.prefix else "")) for v in views
            if v.permission == access.READ and v.path not in DESK_ONLY]


def _paths(views) -> dict[str, bool]:
    """What data_access needs to know of them: path → takes a grid's code in the path."""
    return {v.path: v.prefix is not None for v in views
            if v.permission == access.READ and v.path not in DESK_ONLY}


def _titles(views) -> dict[str, str]:
    return {v.path: v.title for v in views}


# --- the desk ----------------------------------------------------------------------------

def page(code: str | None):
    scope = runtime.scope()
    with runtime.engine().connect() as conn:
        region = resolve(conn, scope, code)  # a forged ?region= is refused like on every page
        screens = wall_screens.screens(conn, scope)
    views = _views()
    return view.wall_page(screens, wall_views(views), region.code, runtime.setting("REFRESH_SECONDS"),
                          runtime.user().name, _titles(views))


def _region(value):
    """The region field: text, trimmed; anything else goes to data_access's check as it is."""
    if isinstance(value, str):
        return value.strip()[:64]
    return value


def _rotate(value):
    if value in (None, ""):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value) < 8:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise wall_screens.WallRefused(f"轮播间隔应为 {wall_screens.ROTATE_MIN}–{wall_screens.ROTATE_MAX} 秒的整数")
    return value


def _playlist(value):
    if value in (None, "", []):
        return None
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise wall_screens.WallRefused("轮播页面无效")
    return value


def _short(value) -> str:
    return str(value)[:40]


def send(clicks, kiosk_id, path, region_code, rotate, playlist):
    if not isinstance(clicks, int) or isinstance(clicks, bool) or clicks < 1:
        raise PreventUpdate
    views = _views()
    user = runtime.user()
    try:
        region_code, rotate, playlist = _region(region_code), _rotate(rotate), _playlist(playlist)
        with runtime.engine().begin() as conn:  # the assignment and its audit row commit together
            a = wall_screens.assign(conn, runtime.scope(), kiosk_id, path, region_code, rotate, playlist,
                                    user.name, wall_clock(), _paths(views))
            auth.audit_in(conn, ACTION, target=f"kiosk:{a['screen_id']}",
                          detail={"screen": a["screen"], "path": a["path"], "region": a["region_code"],
                                  "rotate": a["rotate"], "playlist": a["playlist"]})
    except RegionError as exc:  # also WallRefused and "not yours" (worded as "does not exist")
        auth.audit(ACTION, target=f"kiosk:{_short(kiosk_id)}", detail={"refused": str(exc)[:200],
                   "path": _short(path), "region": _short(region_code)}, ok=False)
        return view.feedback(str(exc), "warning"), no_update
    except DatabaseError:
        return view.feedback("数据库或审计日志暂时不可用，投屏未执行，请稍后重试。", "danger"), no_update
    forget(a["screen_id"])
    titles = _titles(views)
    what = "、".join(titles.get(p, p) for p in a["playlist"]) if a["playlist"] else titles.get(a["path"], a["path"])
    turn = f"，每 {a['rotate']} 秒轮播" if a["rotate"] else ""
    message = (f"已投屏：大屏“{a['screen']}”→ {what} · {a['region_name']}{turn}。"
               f"大屏将在 {runtime.setting('REFRESH_SECONDS')} 秒内切换。")
    try:
        with runtime.engine().connect() as conn:
            table = view.screen_table(wall_screens.screens(conn, runtime.scope()), titles)
    except DatabaseError:
        table = no_update
    return view.feedback(message, "success"), table


# --- the screen ----------------------------------------------------------------------------

def _key(kiosk_id: int) -> str:
    return f"rg:wall:{kiosk_id}"


def forget(kiosk_id: int) -> None:
    """A new assignment is read at the screen's next tick (every worker, with Redis)."""
    try:
        cache.delete(_key(kiosk_id))
    except Exception:  # noqa: BLE001 - the cache entry ends by itself within one interval
        pass


def assignment(kiosk_id: int) -> dict | None:
    """The screen's assignment, cached for one refresh interval (deleted at once by `send`)."""
    key = _key(kiosk_id)
    try:
        hit = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache that went away means a database read
        hit = None
    if hit is None:
        with runtime.engine().connect() as conn:
            a = wall_screens.current(conn, kiosk_id)
        hit = {"none": True} if a is None else {**a, "assigned_at": a["assigned_at"].isoformat()}
        try:
            cache.set(key, hit, timeout=max(1, int(runtime.setting("REFRESH_SECONDS"))))
        except Exception:  # noqa: BLE001
            pass
    return None if hit.get("none") else hit


def target(a: dict, now: dt.datetime) -> tuple[str, str]:
    """The URL a screen shows for its assignment: a playlist turns on the server's clock."""
    path, code = a["path"], a["region_code"]
    if "<" in path:  # a path template: the grid's code is the path ("/grid/<code>")
        return path.split("<", 1)[0] + code, "?screen=1"
    if a["playlist"]:
        elapsed = max(0.0, (now - parse_instant(a["assigned_at"])).total_seconds())
        return a["playlist"][int(elapsed // a["rotate"]) % len(a["playlist"])], f"?region={code}&screen=1"
    if a["rotate"]:  # the wall's own carousel turns in the browser (assets/redgrid.js)
        return path, f"?region={code}&screen=1&rotate={a['rotate']}"
    return path, f"?region={code}&screen=1"


def follow(_tick, pathname, search, state):
    """A kiosk screen moves to its assignment; nothing is sent while it already shows it."""
    user = runtime.user()
    if user is None or not user.is_kiosk:
        return no_update, no_update, no_update, True  # a person's browser: no more ticks
    try:
        a = assignment(user.uid)
    except DatabaseError:
        raise PreventUpdate  # keep what is on screen
    if a is None:
        raise PreventUpdate
    path, query = target(a, wall_clock())
    seen = state.get("v") if isinstance(state, dict) else None
    if a["rotate"] and not a["playlist"]:
        # The browser's carousel changes the path: any view of it is the assignment, once seen.
        turning = search == query and pathname in {path, *carousel(_views())}
        if turning and seen == a["version"]:
            raise PreventUpdate
        if turning:  # reloaded mid-carousel: stay where it is
            return no_update, no_update, {"v": a["version"]}, no_update
    elif pathname == path and search == query:
        raise PreventUpdate
    return path, query, {"v": a["version"]}, no_update


def register(app) -> None:
    access.callback(app, "send_to_wall", Output("wall-feedback", "children"), Output("wall-screens", "children"),
                    Input("wall-send", "n_clicks"), State("wall-screen", "value"), State("wall-view", "value"),
                    State("wall-region", "value"), State("wall-rotate", "value"), State("wall-playlist", "value"),
                    prevent_initial_call=True, audit=ACTION)(send)
    access.callback(app, access.READ, Output("url", "pathname", allow_duplicate=True),
                    Output("url", "search", allow_duplicate=True), Output(STORE_ID, "data"),
                    Output(TICK_ID, "disabled"),
                    Input(TICK_ID, "n_intervals"), State("url", "pathname"), State("url", "search"),
                    State(STORE_ID, "data"), prevent_initial_call="initial_duplicate")(follow)
    _set_interval(app.layout, app.server.config["REFRESH_SECONDS"])


def _set_interval(layout, seconds) -> None:
    """The shell is built before the settings reach callbacks: the follow tick runs every
    REFRESH_SECONDS, "within one refresh interval" as promised."""
    stack = [layout]
    while stack:
        node = stack.pop()
        if getattr(node, "id", None) == TICK_ID:
            node.interval = int(seconds * 1000)
            return
        children = getattr(node, "children", None)
        stack.extend(children if isinstance(children, (list, tuple)) else [children] if children is not None else [])


VIEW = View(view.PATH, "投屏", page, register, nav=7, permission="send_to_wall")
