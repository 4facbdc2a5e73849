"""社情民意晴雨表 on the wall: the weather and its KPIs, volume against its baseline, mood and
satisfaction, topics, hot words, the rising topics (风向标), channels, the children ranked and
the latest appeals (轮播), all at once."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from . import opinion as desk
from . import wall_frame as wall

RECENT_COLUMNS = [
    {"field": "topic", "headerName": "话题", "width": 112},
    {"field": "sentiment", "headerName": "情绪", "width": 132},
    {"field": "content", "headerName": "诉求内容", "flex": 3},
]


def _recent_grid(rows: list[dict]):
    """The desk grid's id and rows (the tick fills them), the wall's columns, no controls."""
    return dag.AgGrid(
        id="op-recent", columnDefs=RECENT_COLUMNS, rowData=desk.recent_rows(rows), getRowId="params.data.id",
        defaultColDef={"sortable": False, "filter": False, "resizable": False, "suppressMovable": True},
        dashGridOptions={"animateRows": False, "rowHeight": 38, "headerHeight": 38, "suppressHorizontalScroll": True,
                         "localeText": {"noRowsToShow": "暂无诉求"}},
        style={"height": "100%"})


def wall_page(region, snap: dict, refresh_seconds: int, state: dict):
    summary, trends = snap["summary"], snap["trends"]
    days, topics = trends["days"], trends["topics"]
    rising = sum(1 for t in topics if t["rising"])
    hidden = [dcc.Store(id="op-region", data=region.code), dcc.Store(id="op-state", data=state),
              dcc.Store(id="op-topic", data=None), dcc.Store(id="op-word", data=None),
              dcc.Interval(id="op-tick", interval=refresh_seconds * 1000)]
    panels = [
        wall.panel("晴雨表", html.Div(desk.weather_panel(summary), id="op-weather"), "weather",
                   note="指数以本区域前28日为常态（=80）"),
        wall.panel("每日诉求量与基线（近35日）", wall.graph("op-volume", desk.volume_figure(days)), "volume"),
        wall.panel("热点话题（近7日，红色为上升）", wall.graph("op-topics", desk.topics_figure(topics)), "topics"),
        wall.panel(["风向标：上升话题", dbc.Badge(str(rising), color="danger" if rising else "secondary",
                                          className="ms-2", id="op-rising-count")],
                   html.Div(desk.rising_table(topics), id="op-rising"), "rising", scroll=True),
        wall.panel("每日负面情绪占比（近30日）", wall.graph("op-negative", desk.negative_figure(days)), "negative"),
        wall.panel("每日平均满意度（近30日）", wall.graph("op-satisfaction", desk.satisfaction_figure(days)),
                   "satisfaction"),
        wall.panel("本期热词（近7日）", wall.graph("op-words", desk.words_figure(snap["words"])), "words"),
        wall.panel("诉求渠道构成（近30日）", wall.graph("op-channels", desk.channels_figure(trends["channels"])),
                   "channels"),
        wall.panel("下级区域晴雨排行（指数由低到高）", html.Div(desk.children_table(snap["children"]), id="op-children"),
                   "children", scroll=True),
        wall.panel(html.Span(["最新诉求", html.Span(desk.filter_note(None), id="op-filter", className="d-none"),
                              html.Button(id="op-topic-clear", className="d-none")]),
                   _recent_grid(snap["recent"]), "recent", scroll=True),
    ]
    return wall.page("opinion", f"{region.name} · 社情民意晴雨表", "op-updated", snap["as_of"], hidden,
                     html.Div(desk.kpis(summary), id="op-kpis", className="wall-kpis"), panels)
