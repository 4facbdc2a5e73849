"""事件流转 on the wall: the Sankey in the centre, sources and categories on the left, the
overdue list (轮播) and the ranking on the right, departments and the 30-day trend below."""
from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from . import incidents as desk
from . import wall_frame as wall
from .kpis import kpi_row


# The overdue list read from across the room: what, where, who, how late (the desk has every column).
OVERDUE_COLUMNS = [
    {"field": "title", "headerName": "事件", "flex": 2.2},
    {"field": "area", "headerName": "所在网格", "flex": 1.7},
    {"field": "department", "headerName": "部门", "flex": 1.1},
    {"field": "hours_late", "headerName": "超期(时)", "width": 104, "type": "numericColumn",
     "cellClass": "text-danger fw-bold", "valueFormatter": {"function": "d3.format('.1f')(params.value)"}},
]


def overdue_grid(rows: list[dict], as_of):
    """The same grid id as the desk's (the tick fills its rows), wall columns, no controls."""
    return dag.AgGrid(
        id="inc-overdue", columnDefs=OVERDUE_COLUMNS, rowData=desk.overdue_rows(rows, as_of),
        getRowId="params.data.id",
        defaultColDef={"sortable": False, "filter": False, "resizable": False, "suppressMovable": True},
        dashGridOptions={"animateRows": False, "rowHeight": 38, "headerHeight": 38,
                         "suppressHorizontalScroll": True, "localeText": {"noRowsToShow": "暂无超期事件"}},
        style={"height": "100%"})


def wall_page(region, snap: dict, refresh_seconds: int, state: dict, slow_seconds: int = 300):
    code, overdue = region.code, snap["overdue"]
    hidden = [dcc.Store(id="inc-region", data=code), dcc.Store(id="inc-state", data=state),
              dcc.Interval(id="inc-tick", interval=refresh_seconds * 1000)]
    panels = [
        wall.panel("事件来源（近7日）", wall.graph("inc-source", desk.volume_figure(code, snap["flows"], "source")),
                   "source"),
        wall.panel("事件类别（近7日）", wall.graph("inc-category", desk.volume_figure(code, snap["flows"], "category")),
                   "category"),
        wall.panel("事件流转：来源 → 类别 → 处置层级 → 当前状态",
                   wall.graph("inc-sankey", desk.sankey_figure(code, snap["flows"])), "sankey"),
        wall.panel(html.Span(["超期督办", html.Span(desk.overdue_total(overdue["total"], len(overdue["rows"])),
                                                id="inc-overdue-total")]),
                   overdue_grid(overdue["rows"], snap["as_of"]), "overdue", scroll=True),
        wall.panel("下级区域排行（按超期）", html.Div(desk.children_table(snap["children"]), id="inc-children"),
                   "children", scroll=True),
        wall.panel("部门响应时长（吹哨→报到，分钟，近30日）",
                   wall.graph("inc-dept", desk.department_figure(code, snap["departments"]),
                              legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
                              margin={"t": 26, "b": 4, "l": 10, "r": 10}, xaxis={"title": {"text": ""}}), "dept"),
        wall.panel("近30日受理与办结", wall.graph("inc-trend", desk.trend_figure(code, snap["trend"])), "trend"),
    ]
    return wall.page("incidents", f"{region.name} · 事件流转", "inc-updated", snap["as_of"], hidden,
                     html.Div(kpi_row(snap["kpis"], desk.KPIS), id="inc-kpis", className="wall-kpis"), panels)
