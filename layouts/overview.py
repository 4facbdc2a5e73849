"""总览: headline KPIs, the map of the children, and the children ranked."""
from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import dcc, html

from data_access.vocabulary import KPI_LABELS

from . import figures, fmt
from .kpis import barometer_facts, kpi_row
from .ranking import ranking_table
from .shell import breadcrumb, schematic_note, updated_badge

# Map measures a leader can switch between: key -> (label, scale factor for display).
# The labels are the KPIs' own (vocabulary.KPI_LABELS); a percentage says so.
MEASURES = {"incidents_today": (KPI_LABELS["incidents_today"], 1),
            "overdue_incidents": (KPI_LABELS["overdue_incidents"], 1),
            "patrol_coverage_today": (KPI_LABELS["patrol_coverage_today"] + "%", 100),
            "barometer_index": (KPI_LABELS["barometer_index"], 1)}
DEFAULT_MEASURE = "incidents_today"


def measure_of(value) -> str:
    """A known measure, else the default (any JSON can arrive from a client)."""
    return value if isinstance(value, str) and value in MEASURES else DEFAULT_MEASURE


def map_values(children: list[dict], measure: str = DEFAULT_MEASURE) -> list:
    factor = MEASURES[measure][1]
    return [None if c.get(measure) is None else round(c[measure] * factor, 1) for c in children]


def map_figure(region_code: str, geojson: dict, children: list[dict], measure: str = DEFAULT_MEASURE):
    return figures.region_map(geojson, [c["code"] for c in children], [c["name"] for c in children],
                              map_values(children, measure), MEASURES[measure][0], region_code)


def trend_figure(days: list[dict]):
    return figures.daily_bars([d["day"][5:] for d in days], [d["reported"] for d in days],
                              [d["closed"] for d in days], "受理", "办结")


def ticker(items: list[dict]):
    if not items:
        return html.P("近3日无新事件", className="text-muted p-2 mb-0")
    return html.Ul([
        html.Li([
            html.Span(fmt.clock(dt.datetime.fromisoformat(i["reported_at"])), className="ticker-time"),
            dbc.Badge(i["category"], color="danger" if (i["severity"] or 0) >= 3 else "secondary",
                      className="mx-2"),
            html.Span(i["title"], className="ticker-title"),
            html.Span(f"{i['place']} · {i['source']}", className="ticker-meta"),
        ], id=f"ticker-{i['id']}", className="ticker-item") for i in items
    ], className="ticker list-unstyled mb-0", id="ov-ticker-list")




def children_table(children: list[dict]):
    return ranking_table(children, "/", "child-", [
        (KPI_LABELS["incidents_today"], lambda c: fmt.count(c["incidents_today"])),
        ("在办", lambda c: fmt.count(c["open_incidents"])),
        ("超期", lambda c: fmt.count(c["overdue_incidents"])),
        ("巡查覆盖", lambda c: fmt.percent(c["patrol_coverage_today"])),
    ], sort_key=lambda c: (-(c["incidents_today"] or 0), c["code"]),
        alarming=lambda c: {"超期"} if c["overdue_incidents"] else set())


def barometer_parts(summary: dict):
    """Beside the headline's 晴雨表指数: what it is made of, in absolute numbers, and that it is
    relative to the region's own past (a sunny glyph can sit beside a high negative share)."""
    return barometer_facts(summary, "ov-abs-")


def overview_page(region, chain, snap: dict, geojson: dict, refresh_seconds: int, state: dict):
    summary, children, as_of = snap["summary"], snap["children"], snap["as_of"]
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
        html.Div(barometer_parts(summary), id="ov-barometer", className="mb-2 px-1"),
        dbc.Row([
            dbc.Col(dbc.Card([
                dbc.CardHeader(html.Div([
                    html.Span("下级区域分布", className="me-3"),
                    dbc.RadioItems(id="ov-measure", value=DEFAULT_MEASURE, inline=True,
                                   options=[{"label": v[0], "value": k} for k, v in MEASURES.items()]),
                ], className="d-flex flex-wrap align-items-center")),
                # responsive: the map follows its card's size after the first paint too
                dbc.CardBody(dcc.Graph(id="ov-map", figure=map_figure(region.code, geojson, children),
                                       config={"displayModeBar": False}, responsive=True,
                                       style={"height": "480px"}), className="p-1"),
                dbc.CardFooter(schematic_note()),
            ]), lg=7, className="mb-3"),
            dbc.Col(dbc.Card([
                dbc.CardHeader("下级区域排行（点击下钻）"),
                dbc.CardBody(html.Div(children_table(children), id="ov-children"),
                             className="p-0 children-scroll"),
            ]), lg=5, className="mb-3"),
        ]),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("近7日事件受理与办结"),
                              dbc.CardBody(dcc.Graph(id="ov-trend", figure=trend_figure(snap["trend"]),
                                                     config={"displayModeBar": False}, responsive=True,
                                                     style={"height": "260px"}), className="p-1")]),
                    lg=6, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader([html.I(className="bi bi-broadcast me-1"), "实时事件"]),
                              dbc.CardBody(html.Div(ticker(snap["ticker"]), id="ov-ticker"),
                                           className="p-0 ticker-box")]),
                    lg=6, className="mb-3"),
        ]),
    ])
