"""巡查覆盖: today's coverage map, hours since the last patrol, blind spots,
key-person visits by category, and the grid-worker activity ranking.

Pure functions: data (from data_access.patrols) in, components and figures out.
"""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from data_access.timeutil import parse_instant

from . import figures, fmt, ranking
from .kpis import kpi_card
from .shell import breadcrumb, schematic_note, updated_badge

PATH = "/patrols"
STALE_HOURS = 72  # bars at or past the blind-spot line turn red

HOURS_HELP = ("每个下级区域取其下属各网格“距最近一次巡查的小时数”的最大值（即最久未巡的网格）；"
              "悬停可见中位数。30天内无巡查的网格按720小时计。")
BLIND_HELP = "截至当前时刻，连续3天及以上无有效巡查记录的网格（30天内无记录者标注“30天以上”或“从未巡查”）。"
VISIT_HELP = ("按时：最近一次走访距今不超过该人员的走访周期；逾期：超过周期或从未走访。"
              "风险加权逾期 = 逾期人员风险等级（1–3）之和。")
WORKER_HELP = ("近7日（今日及前6个自然日），按巡查次数、里程排序。辖区事件按时办结率 = 该网格员所在网格"
               "近7日上报的事件中，已办结且不晚于办理时限的占比。")


# --- KPI cards --------------------------------------------------------------

def _grids_card(done, total):
    """Grids patrolled of all grids: two numbers in one card (title "n/total")."""
    return dbc.Card(dbc.CardBody([
        html.Div([html.I(className="bi bi-grid-3x3 me-1"), "已巡网格 / 网格总数"], className="kpi-label"),
        html.Div(f"{fmt.count(done)} / {fmt.count(total)}", id="kpi-grids_patrolled_today",
                 title=f"{done}/{total}", className="kpi-value"),
    ]), className="kpi-card h-100")


def kpis(summary: dict):
    s = summary
    cards = [
        kpi_card("patrol_coverage_today", s.get("patrol_coverage_today")),
        kpi_card("patrols_today", s.get("patrols_today")),
        _grids_card(s.get("grids_patrolled_today"), s.get("grids_total")),
        kpi_card("blind_spot_grids", s.get("blind_spot_grids")),
        kpi_card("visit_on_time_rate", s.get("visit_on_time_rate")),
        kpi_card("key_persons_overdue", s.get("key_persons_overdue")),
    ]
    return dbc.Row([dbc.Col(c, xs=6, md=4, xl=2, className="mb-2") for c in cards], className="g-2")


# --- map and hours ----------------------------------------------------------

def child_href(child: dict) -> str:
    return ranking.child_href(PATH, child)


def map_values(children: list[dict]) -> list:
    """Coverage today in percent (0–100), one decimal."""
    return [round((c["patrol_coverage_today"] or 0) * 100, 1) for c in children]


def map_figure(region_code: str, geojson: dict, children: list[dict]):
    fig = figures.region_map(geojson, [c["code"] for c in children], [c["name"] for c in children],
                             map_values(children), "今日巡查覆盖率(%)", region_code)
    # Low coverage is the alarm: red = few grids walked, green = all walked, on a fixed 0–100 %.
    fig.update_traces(colorscale="RdYlGn", zmin=0, zmax=100,
                      hovertemplate="%{text}<br>今日巡查覆盖率：%{z}%<extra></extra>")
    return fig


def hours_values(children: list[dict]) -> dict:
    return {"y": [c["max_hours"] or 0 for c in children],
            "customdata": [[c["code"], c["median_hours"]] for c in children],
            "colors": ["#b91c1c" if (c["max_hours"] or 0) >= STALE_HOURS else "#2563eb" for c in children]}


def hours_figure(region_code: str, children: list[dict]):
    v = hours_values(children)
    fig = go.Figure(go.Bar(
        x=[c["name"] for c in children], y=v["y"], customdata=v["customdata"],
        marker={"color": v["colors"]},
        hovertemplate="%{x}<br>最久未巡网格：%{y} 小时<br>中位数：%{customdata[1]} 小时<extra></extra>"))
    fig.add_hline(y=STALE_HOURS, line={"color": "#b91c1c", "dash": "dot", "width": 1},
                  annotation_text="3天", annotation_position="top left")
    fig.update_layout(margin={"l": 40, "r": 10, "t": 10, "b": 80}, height=400, uirevision=region_code,
                      yaxis={"title": {"text": "小时（最大值）"}, "rangemode": "tozero"},
                      xaxis={"type": "category", "tickangle": -40, "automargin": True})  # names, never dates
    return fig


# --- children ranking -------------------------------------------------------

def children_table(children: list[dict]):
    # Worst first: lowest coverage, then most blind spots.
    return ranking.ranking_table(children, PATH, "pat-child-", [
        ("今日覆盖", lambda c: fmt.percent(c["patrol_coverage_today"])),
        ("已巡/网格", lambda c: f"{fmt.count(c['grids_patrolled_today'])}/{fmt.count(c['grids'])}"),
        ("盲区网格", lambda c: fmt.count(c["blind_spots"])),
        ("最久未巡(时)", lambda c: fmt.decimal(c["max_hours"])),
    ], sort_key=lambda c: (c["patrol_coverage_today"] is not None, c["patrol_coverage_today"] or 0,
                           -c["blind_spots"], c["code"]),
        alarming=lambda c: {"盲区网格"} if c["blind_spots"] else set())


# --- blind spots ------------------------------------------------------------

BLIND_COLUMNS = [
    {"field": "path", "headerName": "网格", "flex": 2, "minWidth": 220, "tooltipField": "path"},
    {"field": "days", "headerName": "未巡天数", "width": 110, "type": "numericColumn"},
    {"field": "status", "headerName": "状态", "width": 130},
    {"field": "leader", "headerName": "网格长", "width": 100},
    {"field": "last", "headerName": "最近巡查", "width": 150},
]


def blind_rows(rows: list[dict]) -> list[dict]:
    """Plain strings and numbers only (the grid shows text, never HTML)."""
    return [{"code": b["code"], "path": b["path"], "days": b["days"], "status": b["status"],
             "leader": b.get("leader") or "—",
             "last": fmt.stamp(parse_instant(b["last_patrol"])) if b["last_patrol"] else "—"}
            for b in rows]


def blind_count(total: int, shown: int):
    text = f"共 {fmt.count(total)} 个" + (f"（列出最久的 {shown} 个）" if shown < total else "")
    return html.Span(text, className="badge bg-danger ms-2" if total else "badge bg-success ms-2")


def blind_grid(rows: list[dict]):
    return dag.AgGrid(
        id="pat-blind", columnDefs=BLIND_COLUMNS, rowData=blind_rows(rows), getRowId="params.data.code",
        defaultColDef={"resizable": True, "sortable": True},
        # localeText, not overlay*Template: dash-ag-grid blocks HTML template strings (XSS guard).
        dashGridOptions={"tooltipShowDelay": 300, "animateRows": False,
                         "localeText": {"noRowsToShow": "暂无盲区网格"}},
        style={"height": "400px"})


# --- key persons ------------------------------------------------------------

def visit_values(cats: list[dict]) -> dict:
    return {"x": [c["category"] for c in cats], "on_time": [c["on_time"] for c in cats],
            "overdue": [c["overdue"] for c in cats], "weighted": [c["risk_weighted_overdue"] for c in cats]}


def visit_figure(region_code: str, cats: list[dict]):
    v = visit_values(cats)
    fig = go.Figure([
        go.Bar(name="按时走访", x=v["x"], y=v["on_time"], marker={"color": "#16a34a"},
               hovertemplate="%{x}<br>按时走访：%{y} 人<extra></extra>"),
        go.Bar(name="逾期未访", x=v["x"], y=v["overdue"], marker={"color": "#dc2626"},
               hovertemplate="%{x}<br>逾期未访：%{y} 人<extra></extra>"),
        go.Scatter(name="风险加权逾期", x=v["x"], y=v["weighted"], mode="markers", yaxis="y2",
                   marker={"color": "#7c2d12", "size": 11, "symbol": "diamond"},
                   hovertemplate="%{x}<br>风险加权逾期：%{y}<extra></extra>"),
    ])
    fig.update_layout(barmode="stack", height=360, uirevision=region_code,
                      margin={"l": 40, "r": 40, "t": 10, "b": 70},
                      legend={"orientation": "h", "y": 1.1},
                      yaxis={"title": {"text": "人数"}, "rangemode": "tozero"},
                      yaxis2={"title": {"text": "风险加权"}, "overlaying": "y", "side": "right",
                              "rangemode": "tozero", "showgrid": False, "tickformat": "d",
                              "tickmode": "auto"},
                      xaxis={"type": "category", "tickangle": -30, "automargin": True})
    return fig


def visit_table(cats: list[dict]):
    if not cats:
        return html.P("辖区内无重点人员。", className="p-2 mb-0 text-muted")
    head = html.Thead(html.Tr([html.Th(h) for h in
                               ("类别", "人数", "按时走访", "逾期未访", "其中从未走访", "风险加权逾期", "及时率")]))
    body = html.Tbody([html.Tr([
        html.Td(c["category"]), html.Td(fmt.count(c["persons"])), html.Td(fmt.count(c["on_time"])),
        html.Td(fmt.count(c["overdue"]), className="text-danger fw-bold" if c["overdue"] else None),
        html.Td(fmt.count(c["never"])), html.Td(fmt.count(c["risk_weighted_overdue"])),
        html.Td(fmt.percent(c["on_time_rate"])),
    ], id=f"pat-kp-{i}") for i, c in enumerate(cats)])
    return dbc.Table([head, body], size="sm", striped=True, className="mb-0 children-table")


# --- grid workers -----------------------------------------------------------

WORKER_COLUMNS = [
    {"field": "rank", "headerName": "排名", "width": 80, "type": "numericColumn"},
    {"field": "name", "headerName": "姓名", "width": 90},
    {"field": "role", "headerName": "角色", "width": 110},
    {"field": "grid", "headerName": "所在网格", "flex": 2, "minWidth": 220, "tooltipField": "grid"},
    {"field": "patrols", "headerName": "巡查次数", "width": 105, "type": "numericColumn"},
    {"field": "km", "headerName": "里程(公里)", "width": 110, "type": "numericColumn"},
    {"field": "issues", "headerName": "发现问题", "width": 105, "type": "numericColumn"},
    {"field": "incidents", "headerName": "辖区事件", "width": 105, "type": "numericColumn"},
    {"field": "closed_on_time", "headerName": "按时办结", "width": 105, "type": "numericColumn"},
    {"field": "on_time_pct", "headerName": "按时办结率(%)", "width": 130, "type": "numericColumn"},
]


def worker_rows(data: dict | None) -> list[dict]:
    if not data:
        return []
    return [{"rid": f"{w['grid_code']}-{w['wid']}", "rank": w["rank"], "name": w["name"], "role": w["role"],
             "grid": w["grid"], "patrols": w["patrols"], "km": w["km"], "issues": w["issues"],
             "incidents": w["incidents"], "closed_on_time": w["closed_on_time"],
             "on_time_pct": None if w["on_time_rate"] is None else round(w["on_time_rate"] * 100, 1)}
            for w in data["rows"]]


def worker_note(data: dict | None):
    if not data:
        return html.Span("加载中…", className="text-muted small")
    text = f"共 {fmt.count(data['total'])} 名在岗网格员"
    if data.get("truncated"):
        half = len(data["rows"]) // 2
        text += f"，列出前 {half} 名与后 {half} 名"
    if data.get("computed_at"):
        text += f" · 统计于 {fmt.clock(parse_instant(data['computed_at']))}"
    return html.Span(text, className="text-muted small")


def worker_grid():
    return dag.AgGrid(
        id="pat-workers", columnDefs=WORKER_COLUMNS, rowData=[], getRowId="params.data.rid",
        defaultColDef={"resizable": True, "sortable": True},
        dashGridOptions={"tooltipShowDelay": 300, "animateRows": False,
                         "localeText": {"noRowsToShow": "暂无网格员", "loadingOoo": "加载中…"}},
        style={"height": "440px"})


# --- the page ---------------------------------------------------------------

def _help(id_: str, text: str):
    return html.Span([html.I(className="bi bi-info-circle ms-1", id=id_, title=text),
                      dbc.Tooltip(text, target=id_, placement="bottom")])


def _section(header, body, footer=None, help_=None, **col):
    head = list(header) if isinstance(header, list) else [header]  # flat: Dash renders no nested lists
    if help_:
        head.append(_help(*help_))
    parts = [dbc.CardHeader(head), dbc.CardBody(body, className="p-1")]
    if footer is not None:
        parts.append(dbc.CardFooter(footer if not isinstance(footer, str)
                                    else html.Small(footer, className="text-muted")))
    return dbc.Col(dbc.Card(parts, className="h-100"), className="mb-3", **col)


def patrols_page(region, chain, snap: dict, geojson: dict, refresh_seconds: int, state: dict,
                 worker_refresh_seconds: int):
    children, blind = snap["children"], snap["blind_spots"]
    summary, cats = snap["summary"], snap["visits"]
    return html.Div([
        dcc.Store(id="pat-region", data=region.code),
        dcc.Store(id="pat-state", data=state),
        dcc.Store(id="pat-wstate", data=None),
        dcc.Interval(id="pat-tick", interval=refresh_seconds * 1000),
        dcc.Interval(id="pat-wtick", interval=worker_refresh_seconds * 1000),
        breadcrumb(chain, PATH),
        html.Div([html.H4(f"{region.name} · 巡查覆盖", className="mb-0 me-3"),
                  html.Div(updated_badge(snap["as_of"]), id="pat-updated")],
                 className="d-flex align-items-center mb-2"),
        html.Div(kpis(summary), id="pat-kpis"),
        dbc.Row([
            _section("下级区域 · 今日巡查覆盖率（点击下钻）",
                     dcc.Graph(id="pat-map", figure=map_figure(region.code, geojson, children),
                               config={"displayModeBar": False}, style={"height": "480px"}),
                     schematic_note(), lg=7),
            _section("距上次巡查小时数（最久未巡网格）",
                     dcc.Graph(id="pat-hours", figure=hours_figure(region.code, children),
                               config={"displayModeBar": False}),
                     HOURS_HELP, ("pat-hours-help", HOURS_HELP), lg=5),
        ]),
        dbc.Row([
            _section("下级区域排行（覆盖率由低到高，点击下钻）",
                     html.Div(children_table(children), id="pat-children", className="children-scroll"),
                     lg=5),
            _section(["巡查盲区网格", html.Span(blind_count(summary["blind_spot_grids"], len(blind)),
                                          id="pat-blind-count")],
                     blind_grid(blind), "点击行查看一格一档。", ("pat-blind-help", BLIND_HELP), lg=7),
        ]),
        dbc.Row([
            _section("重点人员走访（按类别：应访 / 按时 / 逾期）",
                     dbc.Row([dbc.Col(dcc.Graph(id="pat-kp", figure=visit_figure(region.code, cats),
                                                config={"displayModeBar": False}), lg=7),
                              dbc.Col(html.Div(visit_table(cats), id="pat-kp-table"), lg=5)],
                             className="g-1 align-items-center"),
                     VISIT_HELP, ("pat-kp-help", VISIT_HELP), lg=12),
        ]),
        dbc.Row([
            _section("网格员履职排行（近7日，考核参考）",
                     [html.Div([html.Div(worker_note(None), id="pat-workers-note", className="me-3"),
                                html.Div(id="pat-wupdated")], className="d-flex px-1"),
                      worker_grid()],
                     "点击行查看该网格一格一档。", ("pat-workers-help", WORKER_HELP), lg=12),
        ]),
    ])
