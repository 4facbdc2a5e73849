"""智慧地图 on the wall: the map large on the left, the layers' counts, the card of the point
last clicked and the newest open events (轮播) on the right. Same component ids as the desk
page, so the same ticks fill both; no name or address on the wall either."""
from __future__ import annotations

from dash import dcc, html

from . import smart_map as desk
from . import wall_frame as wall


def wall_page(code: str, snap: dict, geojson: dict, refresh_seconds: int, state: dict, rstate: dict,
              register_seconds: int):
    name = snap["chain"][-1]["name"]
    hidden = desk.hidden(code, refresh_seconds, state, rstate, register_seconds)
    if "layers" not in snap:
        # The ticks' other outputs exist (empty) so that one callback serves every level.
        hidden += [html.Div(id="map-legend", hidden=True), html.Div(id="map-events", hidden=True),
                   html.Div(id="map-detail", hidden=True), html.Div(desk.layer_switch(), hidden=True)]
        panels = [wall.panel("下级区域未办结事件（点击下钻到村、网格）",
                             wall.graph("map-graph", desk.children_map(code, geojson, snap["children"], height=None)),
                             "map", note="注：乡镇、村、网格边界为示意，非官方界线。")]
        return wall.page("smartmap-top", f"{name} · 智慧地图", "map-updated", snap["as_of"], hidden, None, panels)
    layers = snap["layers"]
    fig = wall.figure(desk.point_map(code, geojson, layers, height=None, fit=(1050, 820)), hoverlabel={"font": {"size": 18}})
    graph = dcc.Graph(id="map-graph", figure=fig, config={"displayModeBar": False, "scrollZoom": True},
                      responsive=True, className="wall-graph", style={"height": "100%", "width": "100%"})
    panels = [
        wall.panel(html.Div([html.Span("人 · 地 · 物 · 事 · 组织", className="me-3"), desk.layer_switch(wall=True)],
                            className="wall-map-head"), graph, "map",
                   note="注：网格边界为示意；点位不显示姓名与门牌。"),
        wall.panel("图层统计", html.Div(desk.legend(layers, snap["grids"]), id="map-legend"), "legend"),
        wall.panel("点位详情", html.Div(desk.detail_hint(), id="map-detail"), "detail"),
        wall.panel("最新未办结事件", html.Div(desk.recent_events(layers), id="map-events"), "events", scroll=True),
        wall.panel("风险点位", html.Div(desk.risk_points(layers), id="map-risks"), "risks", scroll=True),
    ]
    return wall.page("smartmap", f"{name} · 智慧地图", "map-updated", snap["as_of"], hidden, None, panels)
