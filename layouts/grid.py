"""一格一档: one grid's profile."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from data_access.vocabulary import INCIDENT_STATUS_NAMES

from . import fmt
from .files import register_lists
from .kpis import kpi_row
from .shell import breadcrumb, updated_badge

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
        breadcrumb(chain, "/"),
        html.Div([html.H4(f"{chain[-2]['name'] if len(chain) > 1 else ''}{profile['name']} · 一格一档",
                          className="mb-0"), badge,
                  # The grid's 人、地、物、事、组织 on its map (the files open from there too).
                  dcc.Link("智慧地图", href=f"/map?region={chain[-1]['code']}", id="grid-map-link",
                           className="btn btn-sm btn-outline-primary ms-2")],
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
        dbc.Row([
            dbc.Col(_recent("近30日事件", "grid-recent-incidents", ["时间", "类别", "事件", "状态"], [
                [fmt.stamp(i["reported_at"]), i["category"],
                 html.Span([html.Span(i["title"], className="incident-title"), html.Br(), html.Small(
                     i["case_code"] + (f" · 同一事件{i['case_reports']}份报告" if i.get("case_reports", 1) > 1 else ""),
                     className="text-muted case-code")]),
                 html.Span("超期" if i["overdue"] else STATUS.get(i["status"], i["status"]),
                           className="text-danger fw-bold" if i["overdue"] else None)]
                for i in profile["recent_incidents"]]), lg=4),
            dbc.Col(_recent("近30日巡查", "grid-recent-patrols", ["开始", "网格员", "时长", "里程", "发现问题"], [
                [fmt.stamp(p["started_at"]), p["worker"] or "—",
                 "进行中" if p["minutes"] is None else f"{p['minutes']}分钟",
                 f"{(p['distance_m'] or 0) / 1000:.1f}km", p["issues_found"]]
                for p in profile["recent_patrols"]]), lg=4),
            dbc.Col(_recent("近30日诉求", "grid-recent-appeals", ["时间", "主题", "内容"], [
                [fmt.stamp(a["received_at"]), a["topic"], a["content"]] for a in profile["recent_appeals"]]), lg=4),
        ], className="mt-2 g-2"),
    ])


STATUS = INCIDENT_STATUS_NAMES


def _recent(title: str, id_: str, head: list[str], rows: list[list]):
    """A short recent-records table; citizens' text is passed as text (never HTML)."""
    body = html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]) if rows else \
        html.Tbody(html.Tr(html.Td("无记录", colSpan=len(head))))
    return dbc.Card([dbc.CardHeader(title),
                     dbc.CardBody(dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), body],
                                            size="sm", className="mb-0 recent-table", id=id_),
                                  className="p-0 recent-scroll")])


def grid_frame(code: str, refresh_seconds: int, content, state: dict, as_of, unmask=None, register=None):
    """The live frame of a grid page: a tick re-renders the body only when its data changed.
    The register's lists (一户一档 · 一企一档 links) sit outside the body: long, and slow to
    change, they are sent once with the page, not with every changed tick."""
    return html.Div([dcc.Store(id="grid-code", data=code), dcc.Store(id="grid-state", data=state),
                     dcc.Store(id="grid-layout", data="desk"),
                     dcc.Interval(id="grid-tick", interval=refresh_seconds * 1000),
                     html.Div(updated_badge(as_of), id="grid-updated", className="float-end"),
                     html.Div(content, id="grid-body"),
                     None if register is None else register_lists(register), unmask])


def unmask_panel(workers: list[dict]):
    """Seeing a worker's full name and phone is an act with a reason, for permitted roles."""
    return dbc.Card([
        dbc.CardHeader("查看网格员完整联系方式（需填写事由，操作留痕）"),
        dbc.CardBody([
            dbc.Row([
                dbc.Col(dcc.Dropdown(id="unmask-worker", placeholder="选择网格员",
                                     options=[{"label": f"{w['name']}（{w['role']}）", "value": w["id"]}
                                              for w in workers]), md=4),
                dbc.Col(dbc.Input(id="unmask-reason", placeholder="事由（如：联系处置事件#123）", maxLength=200), md=6),
                dbc.Col(dbc.Button("查看", id="unmask-go", color="secondary"), md=2),
            ], className="g-2"),
            html.Div(id="unmask-result", className="mt-2"),
        ]),
    ], className="mt-3", id="unmask-card")
