"""总览: headline KPIs, the map of the children, and the children ranked."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from . import figures, fmt
from .kpis import kpi_row
from .shell import breadcrumb, schematic_note, updated_badge

MAP_MEASURE = ("incidents_today", "今日事件")


def child_href(child: dict) -> str:
    return f"/grid/{child['code']}" if child["level"] == "grid" else f"/?region={child['code']}"


def map_values(children: list[dict]) -> list:
    return [c[MAP_MEASURE[0]] for c in children]


def map_figure(region_code: str, geojson: dict, children: list[dict], dark: bool = False):
    return figures.region_map(geojson, [c["code"] for c in children], [c["name"] for c in children],
                              map_values(children), MAP_MEASURE[1], region_code, dark=dark)


def children_table(children: list[dict]):
    head = html.Thead(html.Tr([html.Th("下级区域"), html.Th("今日事件"), html.Th("在办"),
                               html.Th("超期"), html.Th("巡查覆盖")]))
    ranked = sorted(children, key=lambda c: (-(c["incidents_today"] or 0), c["code"]))
    body = html.Tbody([
        html.Tr([
            html.Td(dcc.Link(c["name"], href=child_href(c), id=f"child-{c['code']}")),
            html.Td(fmt.count(c["incidents_today"])),
            html.Td(fmt.count(c["open_incidents"])),
            html.Td(fmt.count(c["overdue_incidents"]),
                    className="text-danger fw-bold" if c["overdue_incidents"] else None),
            html.Td(fmt.percent(c["patrol_coverage_today"])),
        ]) for c in ranked
    ])
    return dbc.Table([head, body], size="sm", hover=True, striped=True, className="mb-0 children-table")


def overview_page(region, chain, summary: dict, children: list[dict], geojson: dict, as_of,
                  refresh_seconds: int, state: dict):
    title = f"{region.name} · 综合态势"
    return html.Div([
        dcc.Store(id="ov-region", data=region.code),
        dcc.Store(id="ov-state", data=state),
        dcc.Interval(id="ov-tick", interval=refresh_seconds * 1000),
        breadcrumb(chain, "/"),
        html.Div([html.H4(title, className="mb-0 me-3"),
                  html.Div(updated_badge(as_of), id="ov-updated")],
                 className="d-flex align-items-center mb-2"),
        html.Div(kpi_row(summary), id="ov-kpis"),
        dbc.Row([
            dbc.Col(dbc.Card([
                dbc.CardHeader(f"下级区域 · {MAP_MEASURE[1]}"),
                dbc.CardBody(dcc.Graph(id="ov-map", figure=map_figure(region.code, geojson, children),
                                       config={"displayModeBar": False}), className="p-1"),
                dbc.CardFooter(schematic_note()),
            ]), lg=7, className="mb-3"),
            dbc.Col(dbc.Card([
                dbc.CardHeader("下级区域排行（点击下钻）"),
                dbc.CardBody(html.Div(children_table(children), id="ov-children"),
                             className="p-0 children-scroll"),
            ]), lg=5, className="mb-3"),
        ]),
    ])
