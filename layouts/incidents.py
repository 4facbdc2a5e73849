"""事件流转: what came in, where it is, what is late. Data in, components and figures out."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from data_access.incidents import hours_late
from data_access.vocabulary import HANDLING_LEVEL_NAMES, INCIDENT_CATEGORIES, INCIDENT_KPIS, INCIDENT_STATUS_NAMES
from data_access.vocabulary import SEVERITY_NAMES, SOURCE_NAMES

from . import fmt, ranking
from .kpis import kpi_row
from .shell import breadcrumb, updated_badge

PATH = "/incidents"
KPIS = INCIDENT_KPIS

SOURCES = SOURCE_NAMES
CATEGORIES = INCIDENT_CATEGORIES
LEVELS = HANDLING_LEVEL_NAMES
# The states of data_access.incidents (computed at `now`), furthest along first: the bars' order.
STATES = {key: INCIDENT_STATUS_NAMES[key] for key in ("closed", "in_progress", "dispatched", "reported")}
SEVERITY = SEVERITY_NAMES
UNKNOWN = "未知"

TODAY_COLOR, WEEK_COLOR = "#b91c1c", "#64748b"
STAGE_COLORS = ("#2563eb", "#d97706", "#7c3aed", "#059669")
STATE_COLORS = {"已办结": "#16a34a", "处置中": "#f59e0b", "已吹哨": "#f97316", "已上报": "#dc2626"}


def _label(mapping: dict, key) -> str:
    return mapping.get(key, key or UNKNOWN)


def _ordered(known, present) -> list:
    """Known labels in their fixed order (so bars keep their places), then anything unexpected."""
    known = list(known)
    return known + sorted(p for p in present if p not in known)


def _base(fig: go.Figure, region_code: str, **layout) -> go.Figure:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      legend={"orientation": "h", "y": 1.12, "x": 0},
                      uirevision=region_code,  # ticks keep the user's zoom; a new region resets it
                      **layout)
    return fig


def _figure(traces: list[dict], region_code: str, **layout) -> go.Figure:
    """A figure from plain dicts, validated once: make_subplots and chains of update_* cost
    tens of milliseconds per figure, most of a page's render."""
    return _base(go.Figure({"data": traces, "layout": layout}), region_code)


def _panel_title(text: str, x0: float, x1: float) -> dict:
    return {"text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": (x0 + x1) / 2, "y": 1.0,
            "xanchor": "center", "yanchor": "bottom", "font": {"size": 16}}


def _empty_note(show: bool, text: str) -> list:
    return [{"text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
             "font": {"size": 16, "color": "#94a3b8"}}] if show else []


# --- volumes by source / category ---------------------------------------------------

def volumes(flows: list[dict], field: str) -> dict:
    """{"labels", "today", "week"} summed over the flow rows by `field` (source or category)."""
    today: dict = {}
    week: dict = {}
    for f in flows:
        key = f[field] if f[field] is not None else UNKNOWN
        today[key] = today.get(key, 0) + f["today"]
        week[key] = week.get(key, 0) + f["week"]
    keys = _ordered(SOURCES if field == "source" else CATEGORIES, week)
    names = SOURCES if field == "source" else {}
    return {"keys": keys, "labels": [_label(names, k) for k in keys],
            "today": [today.get(k, 0) for k in keys], "week": [week.get(k, 0) for k in keys]}


def volume_values(flows: list[dict], field: str) -> dict:
    """What a tick changes in a volume figure: per-trace arrays and the height."""
    v = volumes(flows, field)
    return {"traces": [{"y": v["labels"], "x": v["today"], "text": v["today"], "customdata": v["keys"]},
                       {"y": v["labels"], "x": v["week"], "text": v["week"], "customdata": v["keys"]}],
            "layout": {"height": 110 + 26 * len(v["keys"])}}


def volume_figure(region_code: str, flows: list[dict], field: str) -> go.Figure:
    v = volume_values(flows, field)
    today, week = v["traces"]
    # Two panels, each on its own scale: today's handful would vanish beside the week's total.
    return _figure([
        {"type": "bar", "name": "今日", "orientation": "h", "textposition": "auto", "marker": {"color": TODAY_COLOR},
         "hovertemplate": "%{y}<br>今日：%{x} 件<extra></extra>", "xaxis": "x", "yaxis": "y", **today},
        {"type": "bar", "name": "近7日", "orientation": "h", "textposition": "auto", "marker": {"color": WEEK_COLOR},
         "hovertemplate": "%{y}<br>近7日：%{x} 件<extra></extra>", "xaxis": "x2", "yaxis": "y2", **week},
    ], region_code, showlegend=False,
        xaxis={"domain": [0.0, 0.48], "anchor": "y"}, xaxis2={"domain": [0.52, 1.0], "anchor": "y2"},
        yaxis={"domain": [0.0, 1.0], "anchor": "x", "autorange": "reversed"},
        yaxis2={"domain": [0.0, 1.0], "anchor": "x2", "matches": "y", "showticklabels": False},
        annotations=[_panel_title("今日", 0.0, 0.48), _panel_title("近7日", 0.52, 1.0)], **v["layout"])


# --- Sankey: source → category → handling level → state --------------------------------

def sankey_data(flows: list[dict]) -> dict:
    """Nodes and links of the four-stage flow over the last 7 days (empty stages left out)."""
    stages = [
        ("source", lambda k: _label(SOURCES, k), list(SOURCES)),
        ("category", lambda k: k or UNKNOWN, list(CATEGORIES)),
        ("level", lambda k: _label(LEVELS, k), list(LEVELS)),
        ("state", lambda k: _label(STATES, k), list(STATES)),
    ]
    totals: list[dict] = [{} for _ in stages]
    pairs: list[dict] = [{} for _ in stages[1:]]
    for f in flows:
        if not f["week"]:
            continue
        keys = [f[name] for name, _, _ in stages]
        for i, k in enumerate(keys):
            totals[i][k] = totals[i].get(k, 0) + f["week"]
        for i in range(len(stages) - 1):
            pair = (keys[i], keys[i + 1])
            pairs[i][pair] = pairs[i].get(pair, 0) + f["week"]
    labels, colors, index = [], [], {}
    for i, (_, name, order) in enumerate(stages):
        present = [k for k in order if k in totals[i]] + sorted(
            (k for k in totals[i] if k not in order), key=lambda k: str(k))
        for k in present:
            index[(i, k)] = len(labels)
            label = name(k)
            labels.append(label)
            colors.append(STATE_COLORS.get(label, STAGE_COLORS[i]) if i == 3 else STAGE_COLORS[i])
    source, target, value, link_colors = [], [], [], []
    for i, stage_pairs in enumerate(pairs):
        for (a, b), n in sorted(stage_pairs.items(), key=lambda p: (index[(i, p[0][0])], index[(i + 1, p[0][1])])):
            source.append(index[(i, a)])
            target.append(index[(i + 1, b)])
            value.append(n)
            link_colors.append("rgba(100,116,139,0.28)")
    return {"labels": labels, "colors": colors, "source": source, "target": target,
            "value": value, "link_colors": link_colors}


def sankey_values(flows: list[dict]) -> dict:
    s = sankey_data(flows)
    return {"traces": [{"node": {"label": s["labels"], "color": s["colors"]},
                        "link": {"source": s["source"], "target": s["target"], "value": s["value"],
                                 "color": s["link_colors"]}}],
            "layout": {"annotations": _empty_note(not s["value"], "近7日无事件")}}


def sankey_figure(region_code: str, flows: list[dict]) -> go.Figure:
    v = sankey_values(flows)
    trace = v["traces"][0]
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat="d", valuesuffix=" 件",
        node={**trace["node"], "pad": 12, "thickness": 16, "line": {"width": 0}}, link=trace["link"],
    ))
    _base(fig, region_code, height=460, font={"size": 13}, **v["layout"])
    return fig


# --- overdue (SLA) ----------------------------------------------------------------------

OVERDUE_COLUMNS = [
    {"field": "title", "headerName": "事件", "minWidth": 220, "flex": 2, "tooltipField": "title"},
    {"field": "category", "headerName": "类别", "width": 100},
    {"field": "severity", "headerName": "等级", "width": 86},
    {"field": "area", "headerName": "所在网格", "minWidth": 220, "flex": 2, "tooltipField": "area"},
    {"field": "department", "headerName": "承办部门", "width": 130},
    {"field": "reported", "headerName": "上报时间", "width": 150},
    {"field": "due", "headerName": "办理时限", "width": 150},
    {"field": "hours_late", "headerName": "超期（小时）", "width": 136, "sort": "desc",
     "type": "numericColumn", "cellClass": "text-danger fw-bold",
     "valueFormatter": {"function": "d3.format('.1f')(params.value)"}},
    {"field": "state", "headerName": "状态", "width": 90},
]


def overdue_rows(rows: list[dict], as_of) -> list[dict]:
    """AG Grid rows: plain strings and numbers (the grid shows citizens' text as text, never HTML);
    lateness in hours at `as_of`."""
    return [{"id": str(r["id"]), "title": r["title"] or "（无标题）", "category": r["category"] or UNKNOWN,
             "severity": f"{r['severity']}级·{SEVERITY.get(r['severity'], '')}" if r["severity"] else "—",
             "area": " / ".join(p for p in (r["township"], r["village"], r["grid"]) if p),
             "department": r["department"] or "网格自办", "reported": fmt.stamp(r["reported_at"]),
             "due": fmt.stamp(r["sla_due_at"]), "hours_late": hours_late(r, as_of),
             "state": _label(STATES, r["state"])} for r in rows]


def overdue_total(total: int, shown: int):
    if not total:
        return dbc.Badge("无超期事件", color="success", className="ms-2", id="inc-overdue-count", title="0")
    text = f"共 {fmt.count(total)} 件" + (f"，列出超期最久的 {shown} 件" if shown < total else "")
    return dbc.Badge(text, color="danger", className="ms-2", id="inc-overdue-count", title=str(total))


def overdue_grid(rows: list[dict], as_of):
    return dag.AgGrid(
        id="inc-overdue", columnDefs=OVERDUE_COLUMNS, rowData=overdue_rows(rows, as_of),
        getRowId="params.data.id",
        defaultColDef={"resizable": True, "sortable": True, "filter": True},
        dashGridOptions={"tooltipShowDelay": 300, "animateRows": False,
                         "localeText": {"noRowsToShow": "暂无超期事件"}},
        style={"height": "420px"})


# --- department response 吹哨→报到 -------------------------------------------------------

def department_values(depts: list[dict]) -> dict:
    # The sample size sits in the label: a bar without its count misleads.
    names = [f"{d['department']}（{fmt.count(d['count'])}件）" for d in depts]
    counts = [d["count"] for d in depts]
    return {"traces": [{"y": names, "x": [d[k] for d in depts], "customdata": counts,
                        "text": [fmt.decimal(d[k]) for d in depts]} for k in ("median", "p90")],
            "layout": {"height": 140 + 30 * max(len(depts), 2),
                       "annotations": _empty_note(not depts, "近30日无吹哨报到记录")}}


def department_figure(region_code: str, depts: list[dict]) -> go.Figure:
    v = department_values(depts)
    median, p90 = v["traces"]
    return _figure([
        {"type": "bar", "name": "中位数", "orientation": "h", "marker": {"color": "#2563eb"}, "textposition": "auto",
         "hovertemplate": "%{y}<br>中位数：%{x} 分钟<extra></extra>", **median},
        {"type": "bar", "name": "P90", "orientation": "h", "marker": {"color": "#f59e0b"}, "textposition": "auto",
         "hovertemplate": "%{y}<br>90%分位：%{x} 分钟<extra></extra>", **p90},
    ], region_code, barmode="group", yaxis={"autorange": "reversed"},  # slowest first, at the top
        xaxis={"title": {"text": "分钟"}}, **v["layout"])


# --- daily trend ---------------------------------------------------------------------------

def trend_values(trend: list[dict]) -> dict:
    days = [t["day"][5:] for t in trend]  # MM-DD: the year is in the card's context
    rate = [None if t["clearance_rate"] is None else round(t["clearance_rate"] * 100, 1) for t in trend]
    return {"traces": [{"x": days, "y": [t["reported"] for t in trend]},
                       {"x": days, "y": [t["closed"] for t in trend]},
                       {"x": days, "y": rate}],
            "layout": {}}


def trend_figure(region_code: str, trend: list[dict]) -> go.Figure:
    reported, closed, rate = trend_values(trend)["traces"]
    return _figure([
        {"type": "bar", "name": "上报", "marker": {"color": WEEK_COLOR}, "yaxis": "y",
         "hovertemplate": "%{x}<br>上报：%{y} 件<extra></extra>", **reported},
        {"type": "bar", "name": "办结", "marker": {"color": "#16a34a"}, "yaxis": "y",
         "hovertemplate": "%{x}<br>办结：%{y} 件<extra></extra>", **closed},
        {"type": "scatter", "name": "日清零率", "mode": "lines+markers", "line": {"color": TODAY_COLOR, "width": 2},
         "connectgaps": False, "yaxis": "y2", "hovertemplate": "%{x}<br>日清零率：%{y}%<extra></extra>", **rate},
    ], region_code, height=380, barmode="group",
        xaxis={"type": "category", "tickangle": -45, "domain": [0.0, 0.94], "anchor": "y"},
        yaxis={"title": {"text": "件"}, "anchor": "x"},
        yaxis2={"title": {"text": "日清零率 %"}, "range": [0, 105], "tickmode": "linear", "tick0": 0, "dtick": 25,
                "overlaying": "y", "side": "right", "anchor": "x", "showgrid": False})


# --- children ranking -----------------------------------------------------------------

def child_href(child: dict) -> str:
    return ranking.child_href(PATH, child)


def children_table(children: list[dict]):
    return ranking.ranking_table(children, PATH, "inc-child-", [
        ("今日事件", lambda c: fmt.count(c["incidents_today"])),
        ("在办", lambda c: fmt.count(c["open_incidents"])),
        ("超期", lambda c: fmt.count(c["overdue_incidents"])),
        ("日清零率", lambda c: fmt.percent(c["clearance_rate_today"])),
    ], sort_key=lambda c: (-(c["overdue_incidents"] or 0), -(c["open_incidents"] or 0),
                           -(c["incidents_today"] or 0), c["code"]),
        alarming=lambda c: {"超期"} if c["overdue_incidents"] else set())


# --- the page ----------------------------------------------------------------------------

def _card(header, body, footer=None, body_class="p-1", **col):
    parts = [dbc.CardHeader(header), dbc.CardBody(body, className=body_class)]
    if footer is not None:
        parts.append(dbc.CardFooter(html.Small(footer, className="text-muted")))
    return dbc.Col(dbc.Card(parts, className="h-100"), className="mb-3", **col)


def _graph(id_: str, fig: go.Figure):
    return dcc.Graph(id=id_, figure=fig, config={"displayModeBar": False})


def incidents_page(region, chain, snap: dict, refresh_seconds: int, state: dict, slow_seconds: int = 300):
    """snap: kpis, flows, overdue, departments, trend, children (callbacks.incidents.compute);
    slow_seconds: how often the 30-day figures are recomputed."""
    code = region.code
    overdue = snap["overdue"]
    return html.Div([
        dcc.Store(id="inc-region", data=code),
        dcc.Store(id="inc-state", data=state),
        dcc.Interval(id="inc-tick", interval=refresh_seconds * 1000),
        breadcrumb(chain, PATH),
        html.Div([html.H4(f"{region.name} · 事件流转", className="mb-0 me-3"),
                  html.Div(updated_badge(snap["as_of"]), id="inc-updated")],
                 className="d-flex align-items-center mb-2"),
        html.Div(kpi_row(snap["kpis"], KPIS), id="inc-kpis"),
        dbc.Row([
            _card("近7日事件流转：来源 → 类别 → 处置层级 → 当前状态",
                  _graph("inc-sankey", sankey_figure(code, snap["flows"])),
                  "处置层级：一格解决（网格）→ 乡镇 → 县区 → 市级（全网联动）；状态按当前时刻的办理进度。", lg=8),
            _card("下级区域排行（按超期，点击下钻）",
                  html.Div(children_table(snap["children"]), id="inc-children"),
                  dcc.Link("查看本网格一格一档", href=f"/grid/{code}", id="inc-grid-profile")
                  if region.level == "grid" else None,
                  body_class="p-0 children-scroll", lg=4),
        ], className="g-3"),
        dbc.Row([
            _card(html.Span(["超期督办（在办且已过办理时限）",
                             html.Span(overdue_total(overdue["total"], len(overdue["rows"])),
                                       id="inc-overdue-total")]),
                  overdue_grid(overdue["rows"], snap["as_of"]), lg=12),
        ], className="g-3"),
        dbc.Row([cases_panel()], className="g-3"),
        dbc.Row([
            _card("事件来源", _graph("inc-source", volume_figure(code, snap["flows"], "source")), lg=5),
            _card("事件类别", _graph("inc-category", volume_figure(code, snap["flows"], "category")), lg=7),
        ], className="g-3"),
        dbc.Row([
            _card("部门响应时长（吹哨→报到，近30日）",
                  _graph("inc-dept", department_figure(code, snap["departments"])),
                  f"按近30日上报、已吹哨且已报到的事件计；每{max(1, slow_seconds // 60)}分钟更新。", lg=6),
            _card("近30日办结趋势", _graph("inc-trend", trend_figure(code, snap["trend"])),
                  "日清零率：当日上报事件中当日办结的比例（今日为截至此刻）。", lg=6),
        ], className="g-3"),
    ])


# --- 一事一码: cases of several reports, and the duty officer's split / join ----------------------

CASE_ACTIONS = {"inc-case-split": "split", "inc-case-join": "join"}


def cases_panel():
    """Filled by its own callbacks (not the shared snapshot): the list reads the region's recent
    cases; the form is the duty officer's (the server checks the role and audits)."""
    form = dbc.Row([
        dbc.Col(dbc.Input(id="inc-case-id", type="number", min=1, placeholder="报告编号（事件ID）"), md=2),
        dbc.Col(dbc.Input(id="inc-case-other", type="number", min=1, placeholder="并入的报告编号（合并用）"), md=2),
        dbc.Col(dbc.Input(id="inc-case-reason", maxLength=200, placeholder="原因（必填，记入审计）"), md=4),
        dbc.Col(dbc.ButtonGroup([
            dbc.Button("拆分出案件", id="inc-case-split", color="warning", outline=True, n_clicks=0),
            dbc.Button("合并为一案", id="inc-case-join", color="primary", outline=True, n_clicks=0)]), md=4),
    ], className="g-2 mb-2")
    return _card(
        html.Span(["一事一码 · 多来源合并案件（近3日）", html.Span(id="inc-cases-total")]),
        [dcc.Store(id="inc-cases-changed", data=0), html.Div(id="inc-cases"), html.Hr(className="my-2"),
         html.Small("值班员：把误合并的报告拆分出去，或把同一事件的两份报告合并为一案（操作留痕）。",
                    className="text-muted d-block mb-1"), form, html.Div(id="inc-case-feedback")],
        "事件数（新增、在办、超期、日清零）按案件计，同一事件的多份报告只计一次；“事件来源”按报告计。",
        body_class="p-2", lg=12)


def cases_total(total: int, shown: int):
    text = f"{total} 件" if total <= shown else f"{total} 件（显示最近 {shown} 件）"
    return dbc.Badge(text, color="secondary", className="ms-2", id="inc-cases-count", title=str(total))


def cases_list(cases: list[dict]):
    if not cases:
        return html.Div("近3日无多来源合并的案件", className="text-muted small", id="inc-cases-empty")
    rows = []
    for c in cases:
        reports = [html.Li([html.Span(f"#{r['id']} ", className="text-muted"),
                            dbc.Badge(r["source_name"], color="light", text_color="dark", className="me-1"),
                            fmt.short_stamp(r["reported_at"]),
                            " ", r["title"] or "", " ",
                            html.Small(f"（{r['grid'] or '—'}）", className="text-muted")],
                           className="case-report")
                   for r in c["reports"]]
        rows.append(html.Div([html.Div([html.Strong(c["case_code"], className="me-2 case-code"),
                                        html.Span(f"{len(c['reports'])} 份报告 · {c['category'] or ''}",
                                                  className="text-muted small")]),
                              html.Ul(reports, className="mb-1 small ps-3")],
                             className="border-bottom py-1 case-row", id=f"case-{c['primary_id']}"))
    return html.Div(rows, className="cases-scroll", style={"maxHeight": "320px", "overflowY": "auto"})


def case_feedback(message: str, color: str):
    return dbc.Alert(message, color=color, className="py-1 px-2 mb-0 mt-1 small", id="inc-case-alert")
