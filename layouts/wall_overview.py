"""总览 on the wall: the twelve headline KPIs as a block on the left, the map large in the
centre, the children ranked on the right, the live ticker (轮播) and the 7-day trend below."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from data_access.vocabulary import HEADLINE

from . import overview as desk
from . import wall_frame as wall
from .kpis import kpi_card


def wall_page(region, snap: dict, geojson: dict, refresh_seconds: int, state: dict):
    summary, children, code = snap["summary"], snap["children"], region.code
    hidden = [dcc.Store(id="ov-region", data=code), dcc.Store(id="ov-state", data=state),
              dcc.Interval(id="ov-tick", interval=refresh_seconds * 1000)]
    measure = dbc.RadioItems(id="ov-measure", value=desk.DEFAULT_MEASURE, inline=True, className="wall-measure",
                             options=[{"label": v[0], "value": k} for k, v in desk.MEASURES.items()])
    kpis = html.Div([kpi_card(k, summary.get(k)) for k in HEADLINE], id="ov-kpis", className="wall-kpi-block")
    panels = [
        # 晴雨表指数 is relative to the region's own past: its absolute parts stand beside it.
        wall.panel("综合指标", kpis, "kpis", note=html.Div(desk.barometer_parts(summary), id="ov-barometer")),
        wall.panel(html.Div([html.Span("下级区域分布", className="me-3"), measure], className="wall-map-head"),
                   wall.graph("ov-map", desk.map_figure(code, geojson, children)), "map",
                   note="注：乡镇、村、网格边界为示意，非官方界线。"),
        wall.panel("下级区域排行", html.Div(desk.children_table(children), id="ov-children"), "children",
                   scroll=True),
        wall.panel("实时事件", html.Div(desk.ticker(snap["ticker"]), id="ov-ticker"), "ticker", scroll=True),
        wall.panel("近7日事件受理与办结", wall.graph("ov-trend", desk.trend_figure(snap["trend"])), "trend"),
    ]
    return wall.page("overview", f"{region.name} · 综合态势", "ov-updated", snap["as_of"], hidden, None, panels)
