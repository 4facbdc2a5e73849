"""投屏: the desk page that sends a view and region (or a carousel) to a named wall screen.
Data in, components out."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from . import fmt

PATH = "/wall"


def _shows(a: dict | None, titles: dict[str, str]) -> str:
    if a is None:
        return "未投屏（按大屏自身地址显示）"
    region = f"{a.get('region_name') or a['region_code']}（{a['region_code']}）"
    if a["playlist"]:
        views = "、".join(titles.get(p, p) for p in a["playlist"])
        return f"轮播 {views} · 每 {a['rotate']} 秒 · {region}"
    if a["rotate"]:
        return f"轮播（从{titles.get(a['path'], a['path'])}起）· 每 {a['rotate']} 秒 · {region}"
    return f"{titles.get(a['path'], a['path'])} · {region}"


def screen_table(screens: list[dict], titles: dict[str, str]):
    if not screens:
        return dbc.Alert("辖区内没有已命名的大屏。请管理员用 python -m dashboard users kiosk 名称 --scope 区划 "
                         "创建大屏令牌并在大屏浏览器中打开。", color="secondary", id="wall-none")
    head = html.Thead(html.Tr([html.Th(h) for h in ("大屏", "绑定区划", "当前画面", "投屏人", "投屏时间")]))
    body = [html.Tr([html.Td(html.B(s["name"])), html.Td(f"{s['scope_name']}（{s['scope_code']}）"),
                     html.Td(_shows(s["assignment"], titles)),
                     html.Td(s["assignment"]["assigned_by"] if s["assignment"] else "—"),
                     html.Td(fmt.stamp(s["assignment"]["assigned_at"]) if s["assignment"] else "—")],
                    id=f"wall-screen-{s['id']}") for s in screens]
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True, hover=True, className="small mb-0",
                     id="wall-screen-table")


def wall_page(screens: list[dict], views: list[tuple[str, str]], region_code: str, refresh_seconds: int,
              actor: str, titles: dict[str, str]):
    """views: (path, title) of what may be sent; region_code: the region the form starts with."""
    options = [{"label": f"{s['name']} · {s['scope_name']}", "value": s["id"]} for s in screens]
    view_options = [{"label": t, "value": p} for p, t in views]
    form = dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col([dbc.Label("大屏", html_for="wall-screen"),
                     dcc.Dropdown(id="wall-screen", options=options, placeholder="选择大屏",
                                  value=options[0]["value"] if len(options) == 1 else None)], md=3),
            dbc.Col([dbc.Label("页面", html_for="wall-view"),
                     dcc.Dropdown(id="wall-view", options=view_options, value=views[0][0] if views else None,
                                  clearable=False)], md=2),
            dbc.Col([dbc.Label("区划代码", html_for="wall-region"),
                     dbc.Input(id="wall-region", value=region_code, maxLength=15, placeholder="如 450802",
                               autoComplete="off")], md=2),
            dbc.Col([dbc.Label("轮播间隔（秒，可空）", html_for="wall-rotate"),
                     dbc.Input(id="wall-rotate", type="number", min=5, max=3600, step=1,
                               placeholder="不轮播")], md=2),
            dbc.Col([dbc.Label("轮播页面（可空：大屏默认轮播）", html_for="wall-playlist"),
                     dcc.Dropdown(id="wall-playlist", multi=True, placeholder="默认轮播",
                                  options=[o for o in view_options if not o["value"].endswith(">")])], md=3),
        ], className="g-2"),
        html.Div([
            dbc.Button([html.I(className="bi bi-cast me-1"), "发送"], id="wall-send", color="danger",
                       className="me-3"),
            html.Span(f"操作人：{actor} · 大屏在 {refresh_seconds} 秒内切换到新画面；投屏记入审计日志。",
                      className="text-muted small"),
        ], className="mt-3 d-flex align-items-center"),
        html.Div(id="wall-feedback", className="mt-2"),
    ]), className="mb-3")
    return html.Div([
        html.H4([html.I(className="bi bi-display me-2"), "投屏"]),
        html.P("把一个页面和区划（或一组轮播页面）发送到指挥中心的某块大屏；只能选择辖区内绑定的大屏和辖区内的区划。",
               className="text-muted small"),
        form,
        html.H5("辖区内的大屏", className="mt-2"),
        html.Div(screen_table(screens, titles), id="wall-screens"),
    ], className="wall-desk")


def feedback(message: str, color: str):
    return dbc.Alert(message, color=color, className="py-2 mb-0", id="wall-feedback-msg")
