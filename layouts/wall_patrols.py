"""巡查覆盖 on the wall: the coverage map in the centre; the children ranked and the hours since
the last patrol on the left; blind spots and the worker ranking (轮播) on the right; key
persons' visits below."""
from __future__ import annotations

import dash_ag_grid as dag
from dash import dcc, html

from . import patrols as desk
from . import wall_frame as wall

BLIND_COLUMNS = [
    {"field": "path", "headerName": "网格", "flex": 2.4},
    {"field": "days", "headerName": "未巡天数", "width": 116, "type": "numericColumn", "cellClass": "text-danger fw-bold"},
    {"field": "leader", "headerName": "网格长", "flex": 1},
]
WORKER_COLUMNS = [
    {"field": "rank", "headerName": "名次", "width": 84, "type": "numericColumn"},
    {"field": "name", "headerName": "姓名", "flex": 1},
    {"field": "grid", "headerName": "所在网格", "flex": 2.2},
    {"field": "patrols", "headerName": "巡查", "width": 86, "type": "numericColumn"},
    {"field": "on_time_pct", "headerName": "按时办结%", "width": 130, "type": "numericColumn"},
]


def _grid(id_, columns, rows, row_id, empty):
    """The desk grid's id (the ticks fill its rows), the wall's columns, no controls."""
    return dag.AgGrid(
        id=id_, columnDefs=columns, rowData=rows, getRowId=row_id,
        defaultColDef={"sortable": False, "filter": False, "resizable": False, "suppressMovable": True},
        dashGridOptions={"animateRows": False, "rowHeight": 38, "headerHeight": 38,
                         "suppressHorizontalScroll": True, "localeText": {"noRowsToShow": empty}},
        style={"height": "100%"})


def wall_page(region, snap: dict, geojson: dict, refresh_seconds: int, state: dict, worker_refresh_seconds: int):
    children, blind, summary, cats = snap["children"], snap["blind_spots"], snap["summary"], snap["visits"]
    code = region.code
    hidden = [dcc.Store(id="pat-region", data=code), dcc.Store(id="pat-state", data=state),
              dcc.Store(id="pat-wstate", data=None),
              dcc.Interval(id="pat-tick", interval=refresh_seconds * 1000),
              dcc.Interval(id="pat-wtick", interval=worker_refresh_seconds * 1000)]
    panels = [
        wall.panel("下级区域排行（覆盖率由低到高）", html.Div(desk.children_table(children), id="pat-children"),
                   "children", scroll=True),
        wall.panel("距上次巡查小时数（最久未巡网格）", wall.graph("pat-hours", desk.hours_figure(code, children)),
                   "hours"),
        wall.panel("下级区域 · 今日巡查覆盖率", wall.graph("pat-map", desk.map_figure(code, geojson, children)),
                   "map", note="注：乡镇、村、网格边界为示意，非官方界线。"),
        wall.panel(["巡查盲区网格", html.Span(desk.blind_count(summary["blind_spot_grids"], len(blind)),
                                        id="pat-blind-count")],
                   _grid("pat-blind", BLIND_COLUMNS, desk.blind_rows(blind), "params.data.code", "暂无盲区网格"),
                   "blind", scroll=True),
        wall.panel("网格员履职排行（近7日）",
                   _grid("pat-workers", WORKER_COLUMNS, [], "params.data.rid", "加载中…"), "workers", scroll=True,
                   note=[html.Span(desk.worker_note(None), id="pat-workers-note"),
                         html.Span(id="pat-wupdated", className="d-none")]),
        wall.panel("重点人员走访（按时 / 逾期 / 风险加权）",
                   wall.graph("pat-kp", desk.visit_figure(code, cats),
                              legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
                              margin={"t": 28, "b": 4, "l": 8, "r": 8}), "kp"),
        wall.panel("重点人员走访明细", html.Div(desk.visit_table(cats), id="pat-kp-table"), "kptable", scroll=True),
    ]
    return wall.page("patrols", f"{region.name} · 巡查覆盖", "pat-updated", snap["as_of"], hidden,
                     html.Div(desk.kpis(summary), id="pat-kpis", className="wall-kpis"), panels)
