"""URL → page. The region to show lives in the URL (?region=CODE, /grid/CODE)."""
from __future__ import annotations

import logging

from dash import ClientsideFunction, Input, Output, dcc

from data_access import DatabaseError, RegionError
from dashboard import access, runtime
from dashboard.auth import ROLE_NAMES
from layouts.shell import error_page

from . import views as registry
from .live import MAX_QUERY, big_screen, region_from_search


def render(views, pathname: str | None, search: str | None):
    # Any client can send any JSON here: a URL is text or nothing.
    if not isinstance(pathname, (str, type(None))) or not isinstance(search, (str, type(None))):
        return error_page("地址无效", 400)
    pathname = (pathname or "/")[:MAX_QUERY]
    view, from_path = registry.find(views, pathname)
    if view is None:
        return error_page(f"页面 {pathname[:64]} 不存在", 404)
    # `read` is this callback's own permission (checked by the gate); a role's is checked here.
    if view.permission != access.READ and not runtime.can(view.permission):
        return error_page(access.REFUSALS.get(view.permission, "无权查看"), 403)
    try:
        code = from_path if view.prefix is not None else region_from_search(search)
        if view.wall_page is not None and big_screen(search):
            return view.wall_page(code)  # the wall's own composition of the same pieces
        return view.page(code)
    except RegionError as exc:
        return error_page(str(exc), exc.status)
    except DatabaseError:
        return error_page("数据库暂时不可用，请稍后刷新。", 503)
    except Exception:  # a bug must not blank the wall: log it, say so, keep the frame
        logging.getLogger(__name__).exception("page render failed: %s %s", pathname, search)
        return error_page("页面出错，已记录日志。", 500)


def whoami(_pathname):
    u = runtime.user()
    if not u:
        return ""
    label = f"{u.name} · {ROLE_NAMES.get(u.role, u.role)}"
    return [dcc.Link("管理", href="/admin", className="text-light me-2", id="nav-admin"), label] \
        if runtime.can("admin") else label


def register(app, views) -> None:
    def route(pathname, search):
        return render(views, pathname, search)
    access.callback(app, access.READ, Output("page", "children"), Input("url", "pathname"), Input("url", "search"))(route)
    access.callback(app, access.READ, Output("whoami", "children"), Input("url", "pathname"))(whoami)
    # A view a role may not open is not offered in its navigation bar (the router refuses it anyway).
    guarded = [v for v in views if v.nav is not None and v.permission != access.READ]
    if guarded:
        def offered(_pathname):
            return [None if runtime.can(v.permission) else {"display": "none"} for v in guarded]
        access.callback(app, access.READ, [Output(v.nav_id, "style") for v in guarded],
                        Input("url", "pathname"))(offered)
    # Browser-side (assets/redgrid.js): the clock needs no server round trip per second,
    # big-screen mode and the carousel are pure presentation.
    app.clientside_callback(ClientsideFunction("redgrid", "clock"),
                            Output("clock", "children"), Input("clock-tick", "n_intervals"))
    app.clientside_callback(ClientsideFunction("redgrid", "screen"),
                            Output("frame", "className"), Input("url", "search"))
    app.clientside_callback(ClientsideFunction("redgrid", "navSearch"),
                            [Output(nav_id, "href") for _, _, nav_id in registry.navigation(views)],
                            Input("url", "search"))
