"""预警研判 on the wall: open warnings by level in the KPI strip, the map of the children's open
warnings in the centre, the children ranked and the warnings' ages on the left, the open queue
scrolling on the right (轮播表), what was raised and closed over seven days below.

The duty desk acts; the wall shows. No buttons here, and reasons are masked (services/warnings.py)."""
from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
from dash import dcc, html

from data_access.vocabulary import WARNING_LEVEL_NAMES as LEVEL_NAMES
from data_access.vocabulary import WARNING_RULE_NAMES as RULE_NAMES
from data_access.vocabulary import WARNING_STATUS_NAMES as STATUS_NAMES

from . import figures, fmt
from . import wall_frame as wall
from .patches import values_patch

PATH = "/warnings"
COLORS = {"red": "#dc2626", "orange": "#f97316", "yellow": "#eab308", "blue": "#3b82f6"}


def _card(label: str, value, id_: str, alarming: bool = False):
    return html.Div(html.Div(html.Div([
        html.Div(label, className="kpi-label"),
        html.Div(value, id=id_, className="kpi-value" + (" text-danger" if alarming else "")),
    ], className="card-body"), className="card kpi-card h-100"), className="col")


def kpis(board: dict):
    """The open count of each level, what was escalated, and how fast the desk acknowledges."""
    levels = board["levels"]
    ack = board["ack_median_minutes"]
    cards = [_card(f"{LEVEL_NAMES[lv]}色预警", fmt.count(levels[lv]), f"board-{lv}", lv == "red" and levels[lv] > 0)
             for lv in LEVEL_NAMES]
    cards += [_card("已升级在办", fmt.count(board["escalated"]), "board-escalated", board["escalated"] > 0),
              _card("近7日新增", fmt.count(board["raised_total"]), "board-raised"),
              _card("确认用时中位数", "—" if ack is None else f"{ack:.0f}分钟", "board-ack")]
    return html.Div(cards, className="row")


def _total(counts: dict | None) -> int:
    return sum((counts or {}).values())


def map_values(board: dict, children: list[dict]) -> list[int]:
    return [_total(board["children"].get(c["code"])) for c in children]


def map_figure(region_code: str, geojson: dict, board: dict, children: list[dict]) -> go.Figure:
    fig = figures.region_map(geojson, [c["code"] for c in children], [c["name"] for c in children],
                             map_values(board, children), "在办预警", region_code)
    # 0 is calm blue; any open warning is warm, the most a deep red; the scale starts at 0.
    fig.update_traces(colorscale=[[0, "#1e3a8a"], [0.01, "#fde68a"], [0.5, "#f97316"], [1, "#b91c1c"]],
                      zmin=0, zmax=map_top(board, children), colorbar={"title": {"text": "在办预警"}, "thickness": 14})
    return fig


def map_top(board: dict, children: list[dict]) -> int:
    return max([1] + map_values(board, children))


def children_table(board: dict, children: list[dict]):
    """Children with open warnings, the most red first (then orange, then all)."""
    rows = [(c, board["children"].get(c["code"]) or {}) for c in children]
    rows = [(c, n) for c, n in rows if _total(n)]
    rows.sort(key=lambda cn: (-cn[1].get("red", 0), -cn[1].get("orange", 0), -_total(cn[1]), cn[0]["code"]))
    head = html.Thead(html.Tr([html.Th("区域")] + [html.Th(f"{LEVEL_NAMES[lv]}") for lv in LEVEL_NAMES]
                              + [html.Th("合计")]))
    body = [html.Tr([html.Td(c["name"])] + [html.Td(fmt.count(n.get(lv, 0)) if n.get(lv) else "",
                                                    className=f"level-cell level-{lv}") for lv in LEVEL_NAMES]
                    + [html.Td(fmt.count(_total(n)), className="fw-bold")]) for c, n in rows]
    if not body:
        body = [html.Tr(html.Td("下级区域暂无在办预警", colSpan=len(LEVEL_NAMES) + 2))]
    return html.Table([head, html.Tbody(body)], className="table table-sm mb-0 wall-table")


def ages_figure(board: dict) -> go.Figure:
    """How long the open warnings have waited, by level (horizontal, stacked)."""
    bands = list(board["ages"])
    fig = go.Figure([go.Bar(y=bands, x=[board["ages"][b][lv] for b in bands], name=f"{LEVEL_NAMES[lv]}色",
                            orientation="h", marker_color=COLORS[lv]) for lv in LEVEL_NAMES])
    fig.update_layout(barmode="stack", yaxis={"type": "category", "autorange": "reversed"},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "traceorder": "normal"},
                      margin={"t": 30, "b": 10, "l": 10, "r": 10})
    return fig


def trend_figure(board: dict) -> go.Figure:
    """Raised per day by level (stacked bars), closed per day (a line)."""
    days = board["days"]
    fig = go.Figure([go.Bar(x=days, y=board["raised"][lv], name=f"新增·{LEVEL_NAMES[lv]}", marker_color=COLORS[lv])
                     for lv in LEVEL_NAMES]
                    + [go.Scatter(x=days, y=board["closed"], name="办结", mode="lines+markers",
                                  line={"color": "#22d3ee", "width": 3})])
    # "MM-DD" labels are categories, never dates (plotly would read "12-01" as 2012).
    fig.update_layout(barmode="stack", xaxis={"type": "category"},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "traceorder": "normal"})
    return fig


def _age(created_at: str | None, now: dt.datetime) -> str:
    if not created_at:
        return "—"
    minutes = max(0, int((now - dt.datetime.fromisoformat(created_at)).total_seconds() // 60))
    return f"{minutes}分钟" if minutes < 60 else f"{minutes // 60}小时" if minutes < 1440 else f"{minutes // 1440}天"


def queue_table(queue: list[dict], total: int, now: dt.datetime):
    """The open queue, most severe then newest; the reason is masked text, never HTML."""
    head = html.Thead(html.Tr([html.Th(h) for h in ("级别", "规则", "区域", "已等待", "状态")]))
    rows = []
    for w in queue:
        rows.append(html.Tr([
            html.Td(html.Span(f"{LEVEL_NAMES.get(w['level'], w['level'])}色",
                              className=f"badge level-badge level-{w['level']}")),
            html.Td([html.Div(RULE_NAMES.get(w["rule"], w["rule"]), className="fw-bold"),
                     html.Div(w["reason"] or "", className="wall-reason")]),
            html.Td(w["region_name"] or w["region"]),
            html.Td(_age(w["created_at"], now)),
            html.Td(STATUS_NAMES.get(w["status"], w["status"])),
        ]))
    if not rows:
        rows = [html.Tr(html.Td("暂无在办预警", colSpan=5))]
    return html.Table([head, html.Tbody(rows)], className="table table-sm mb-0 wall-table wall-queue")


def queue_note(shown: int, total: int) -> str:
    return f"共 {fmt.count(total)} 条在办" + (f"，轮播最新最急的 {shown} 条" if total > shown else "")


def render(snap: dict, now: dt.datetime) -> list:
    """What a tick sends: the strip, the map's values (a Patch, never the polygons), the tables, the charts."""
    board, children = snap["board"], snap["children"]
    total = _total(board["levels"])
    return [kpis(board), values_patch({"traces": [{"z": map_values(board, children),
                                                         "zmax": map_top(board, children)}]}),
            children_table(board, children), wall.figure(ages_figure(board)), wall.figure(trend_figure(board)),
            queue_table(snap["queue"], total, now), queue_note(len(snap["queue"]), total)]


def wall_page(region, snap: dict, geojson: dict, refresh_seconds: int, state: dict):
    board, children, now = snap["board"], snap["children"], snap["as_of"]
    total = _total(board["levels"])
    hidden = [dcc.Store(id="board-region", data=region.code), dcc.Store(id="board-state", data=state),
              dcc.Interval(id="board-tick", interval=refresh_seconds * 1000)]
    panels = [
        wall.panel("下级区域 · 在办预警", html.Div(children_table(board, children), id="board-children"),
                   "children", scroll=True),
        wall.panel("在办预警已等待时长", wall.graph("board-ages", ages_figure(board)), "ages"),
        wall.panel("下级区域 · 在办预警分布", wall.graph("board-map", map_figure(region.code, geojson, board, children)),
                   "map", note="注：乡镇、村、网格边界为示意，非官方界线。"),
        wall.panel("在办预警（按级别、时间轮播）", html.Div(queue_table(snap["queue"], total, now), id="board-queue"),
                   "queue", scroll=True, note=html.Span(queue_note(len(snap["queue"]), total), id="board-note")),
        wall.panel("近7日预警 新增 / 办结", wall.graph("board-trend", trend_figure(board)), "trend"),
    ]
    return wall.page("warnings", f"{region.name} · 预警研判", "board-updated", now, hidden,
                     html.Div(kpis(board), id="board-kpis", className="wall-kpis"), panels)
