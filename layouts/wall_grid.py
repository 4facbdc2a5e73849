"""一格一档 on the wall: the grid's KPIs, its facts and its team on the left, the last 30 days'
incidents, patrols and appeals as auto-scrolling lists (轮播表), key persons by category.
Personal data is masked as on the desk; unmasking is a desk act, never on the wall."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from . import fmt
from . import grid as desk
from . import wall_frame as wall
from .kpis import kpi_row
from .shell import updated_badge


def _table(id_: str, head: list[str], rows: list[list], empty: str = "无记录"):
    body = html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]) if rows else \
        html.Tbody(html.Tr(html.Td(empty, colSpan=len(head))))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), body],
                     size="sm", className="mb-0 wall-table", id=id_)


def _facts(profile: dict):
    wechat = profile["wechat"]
    facts = [("常住人口", fmt.count(profile["population"]), "grid-population"),
             ("户数", fmt.count(profile["households"]), "grid-households"),
             ("企业", fmt.count(profile["enterprises"]), "grid-enterprises"),
             ("微信群入群率", fmt.percent(wechat["joined"] / wechat["total"])
              if wechat and wechat["total"] else "—", "grid-wechat"),
             ("近30日事件", fmt.count(profile["incidents_30d"]), "grid-incidents-30d"),
             ("近30日巡查", fmt.count(profile["patrols_30d"]), "grid-patrols-30d"),
             ("近30日诉求", fmt.count(profile["appeals_30d"]), "grid-appeals-30d"),
             ("最近巡查", fmt.short_stamp(profile["last_patrol_at"]), "grid-last-patrol")]
    return html.Div([html.Div([html.Div(label, className="wall-fact-label"),
                               html.Div(value, className="wall-fact-value", id=id_)], className="wall-fact")
                     for label, value, id_ in facts], className="wall-facts")


def _incident_status(i: dict):
    if i["overdue"]:
        return html.Span("超期", className="text-danger fw-bold")
    return desk.STATUS.get(i["status"], i["status"])


def body(chain, profile: dict, summary: dict):
    """What a tick re-renders: the KPI strip and the panels (the 平时/战时 mode among them)."""
    state = profile["state"]
    emergency = bool(state and state["mode"] == "emergency")
    mode = dbc.Badge(f"战时状态 · {state['reason'] or ''}" if emergency else "平时状态",
                     color="danger" if emergency else "success", id="grid-mode", className="wall-mode")
    workers = [[w["name"], w["role"], w["phone"], "是" if w["party_member"] else ""] for w in profile["workers"]]
    persons = [[k, fmt.count(v)] for k, v in profile["key_persons"].items()]
    incidents = [[fmt.short_stamp(i["reported_at"]), i["category"], i["title"], _incident_status(i)]
                 for i in profile["recent_incidents"]]
    patrols = [[fmt.short_stamp(p["started_at"]), p["worker"] or "—",
                "进行中" if p["minutes"] is None else f"{p['minutes']}分钟",
                f"{(p['distance_m'] or 0) / 1000:.1f}km", p["issues_found"]] for p in profile["recent_patrols"]]
    appeals = [[fmt.short_stamp(a["received_at"]), a["topic"], a["content"]] for a in profile["recent_appeals"]]
    panels = [
        wall.panel(["网格概况 ", mode], _facts(profile), "facts"),
        wall.panel("网格力量", _table("grid-workers", ["姓名", "角色", "电话", "党员"], workers, "暂无"), "team",
                   scroll=True),
        wall.panel("重点人员（按类别）", _table("grid-key-persons", ["类别", "人数"], persons, "无"), "persons",
                   scroll=True),
        wall.panel("近30日事件", _table("grid-recent-incidents", ["时间", "类别", "事件", "状态"], incidents),
                   "incidents", scroll=True),
        wall.panel("近30日巡查", _table("grid-recent-patrols", ["开始", "网格员", "时长", "里程", "发现问题"], patrols),
                   "patrols", scroll=True),
        wall.panel("近30日诉求", _table("grid-recent-appeals", ["时间", "主题", "内容"], appeals),
                   "appeals", scroll=True),
    ]
    return [html.Div(kpi_row(summary, desk.GRID_KPIS), className="wall-kpis"),
            html.Div(panels, className="wall-grid wall-grid-profile")]


def wall_page(code: str, refresh_seconds: int, chain, profile: dict, summary: dict, state: dict, as_of):
    """The same live frame as the desk's (grid-code, grid-state, grid-tick, grid-body), told by
    grid-layout that its ticks render this composition."""
    place = chain[-2]["name"] if len(chain) > 1 else ""
    return html.Div([
        dcc.Store(id="grid-code", data=code), dcc.Store(id="grid-state", data=state),
        dcc.Store(id="grid-layout", data="wall"),
        dcc.Interval(id="grid-tick", interval=refresh_seconds * 1000),
        html.Div([html.H2(f"{place}{profile['name']} · 一格一档", className="wall-title"),
                  html.Div(updated_badge(as_of), id="grid-updated", className="wall-updated")],
                 className="wall-head"),
        html.Div(body(chain, profile, summary), id="grid-body", className="wall-body"),
    ], className="wall-page")
