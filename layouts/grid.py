"""一格一档: one grid's profile."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from . import fmt
from .kpis import kpi_row
from .shell import breadcrumb

GRID_KPIS = ("incidents_today", "closed_today", "open_incidents", "overdue_incidents",
             "patrol_coverage_today", "appeals_today")


def _fact(label, value, id_=None):
    return dbc.Col(dbc.Card(dbc.CardBody([html.Div(label, className="kpi-label"),
                                          html.Div(value, className="kpi-value", id=id_)]),
                            className="kpi-card h-100"), xs=6, md=3, className="mb-2")


def grid_page(chain, profile: dict, summary: dict, as_of):
    wechat = profile["wechat"]
    state = profile["state"]
    emergency = state and state["mode"] == "emergency"
    badge = dbc.Badge(f"战时状态 · {state['reason'] or ''}" if emergency else "平时状态",
                      color="danger" if emergency else "success", className="ms-2", id="grid-mode")
    workers = dbc.Table([
        html.Thead(html.Tr([html.Th("姓名"), html.Th("角色"), html.Th("电话"), html.Th("党员")])),
        html.Tbody([html.Tr([html.Td(w["name"]), html.Td(w["role"]), html.Td(w["phone"]),
                             html.Td("是" if w["party_member"] else "")]) for w in profile["workers"]]),
    ], size="sm", striped=True, id="grid-workers")
    persons = dbc.Table(html.Tbody([html.Tr([html.Td(k), html.Td(fmt.count(v))])
                                    for k, v in profile["key_persons"].items()]),
                        size="sm", id="grid-key-persons") if profile["key_persons"] else html.P("无", className="p-2")
    return html.Div([
        breadcrumb(chain),
        html.Div([html.H4(f"{chain[-2].name if len(chain) > 1 else ''}{profile['name']} · 一格一档",
                          className="mb-0"), badge,
                  html.Span(f"数据更新于 {fmt.clock(as_of)}", className="text-muted small ms-3")],
                 className="d-flex align-items-center mb-2"),
        kpi_row(summary, GRID_KPIS),
        dbc.Row([
            _fact("常住人口", fmt.count(profile["population"]), "grid-population"),
            _fact("户数", fmt.count(profile["households"]), "grid-households"),
            _fact("企业", fmt.count(profile["enterprises"]), "grid-enterprises"),
            _fact("微信群入群率", fmt.percent(wechat["joined"] / wechat["total"])
                  if wechat and wechat["total"] else "—", "grid-wechat"),
            _fact("近30日事件", fmt.count(profile["incidents_30d"]), "grid-incidents-30d"),
            _fact("近30日巡查", fmt.count(profile["patrols_30d"]), "grid-patrols-30d"),
            _fact("近30日诉求", fmt.count(profile["appeals_30d"]), "grid-appeals-30d"),
            _fact("最近巡查", fmt.stamp(profile["last_patrol_at"]), "grid-last-patrol"),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("网格力量"), dbc.CardBody(workers, className="p-0")]), lg=7),
            dbc.Col(dbc.Card([dbc.CardHeader("重点人员（按类别）"),
                              dbc.CardBody(persons, className="p-0")]), lg=5),
        ], className="mt-2"),
    ])


def grid_frame(code: str, refresh_seconds: int, content):
    """The live frame of a grid page: its ticks re-render the body."""
    return html.Div([dcc.Store(id="grid-code", data=code),
                     dcc.Interval(id="grid-tick", interval=refresh_seconds * 1000),
                     html.Div(content, id="grid-body")])
