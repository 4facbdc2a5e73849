"""The frame around every page: navbar, clock, page slot."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

def navbar(nav):
    """nav: (path, label, element id) in order (the view registry, callbacks/views.py)."""
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand([html.I(className="bi bi-grid-3x3-gap-fill me-2"), "红格指挥舱"], href="/"),
        dbc.Nav([dbc.NavItem(dbc.NavLink(label, href=path, id=nav_id)) for path, label, nav_id in nav],
                className="me-auto"),
        html.Span(id="whoami", className="navbar-text text-light small me-2"),
        # Sign-out is a POST (a link from another site cannot sign anyone out).
        html.Form(html.Button("退出", type="submit", id="logout", className="btn btn-sm btn-outline-light"),
                  method="POST", action="/logout", className="me-3 mb-0"),
        html.Button([html.I(className="bi bi-volume-up-fill me-1"), "警报声音"], id="alarm-sound",
                    className="btn btn-sm btn-outline-light me-3", title="开启或关闭预警声音"),
        html.Span(id="clock", className="navbar-text text-light font-monospace"),
    ], fluid=True), color="dark", dark=True, className="mb-3")


def app_shell(nav, carousel, alarm_seconds: int = 5):
    """nav: the navigation bar's entries; carousel: the paths the wall rotates through.
    #frame is the 1920×1080 canvas that big-screen mode scales to the real screen."""
    return html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Interval(id="clock-tick", interval=1000),
        # The wall's alarm: every screen polls its region's unacknowledged red/orange warnings.
        dcc.Interval(id="alarm-tick", interval=alarm_seconds * 1000),
        dcc.Store(id="alarm-store"),
        dcc.Store(id="takeover-pin", storage_type="session"),
        dcc.Store(id="takeover-release", storage_type="session"),
        # 投屏: a kiosk screen follows what the desk sent it (callbacks/wall.py sets REFRESH_SECONDS).
        dcc.Interval(id="wall-follow-tick", interval=alarm_seconds * 1000), dcc.Store(id="wall-follow"),
        html.Div([navbar(nav), html.Div(id="alarm-banner"), dbc.Container(id="page", fluid=True),
                  html.Div(id="takeover", className="takeover")], id="frame", className="frame",
                 **{"data-carousel": ",".join(carousel)}),
    ])


def breadcrumb(chain, path: str = "/"):
    """chain: regions from the scope root to the current one."""
    items = []
    for i, r in enumerate(chain):
        r = r if isinstance(r, dict) else {"code": r.code, "name": r.name, "level": r.level}
        last = i == len(chain) - 1
        href = f"/grid/{r['code']}" if r["level"] == "grid" else f"{path}?region={r['code']}"
        items.append({"label": r["name"], "href": None if last else href, "active": last})
    return html.Div(dbc.Breadcrumb(items=items, id="breadcrumb"), className="mb-2")


def updated_badge(as_of, stale_since=None):
    """When the data was last good; a red 数据延迟 mark while the database is away."""
    from . import fmt
    if stale_since:
        return dbc.Badge(f"数据延迟 · 自 {fmt.clock(stale_since)} 起", color="danger", id="stale-mark")
    return html.Span(f"数据更新于 {fmt.clock(as_of)}", className="text-muted small")


def error_page(message: str, status: int):
    return dbc.Alert([html.H5(f"无法显示（{status}）"), html.P(message),
                      dcc.Link("返回总览", href="/")], color="warning", id="page-error")


def schematic_note():
    return html.Small("注：乡镇、村、网格边界为示意，非官方界线。", className="text-muted")
