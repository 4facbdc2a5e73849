"""考核评价: the month's ranking of grid workers, villages and townships, the records behind a
score, and the weights (versioned). Data in (services.assessment), components out."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from data_access.assessment import (GRADE_NAMES, GRADES, INDICATOR_NAMES, INDICATORS, LEVEL_NAMES, LEVELS,
                                    THRESHOLD_NAMES)

from .shell import breadcrumb

PATH = "/assessment"
MAX_WORKER_ROWS = 1000  # sent to the page; the Excel file has everyone
TABLE_HEIGHT, ROW_HEIGHT = 480, 30
GRADE_COLORS = {"excellent": "success", "good": "primary", "pass": "secondary", "fail": "danger", None: "light"}
TABS = {"worker": "asm-tab-worker", "village": "asm-tab-village", "township": "asm-tab-township"}
PERCENT = {"clearance", "patrol_coverage", "patrol_regularity", "visit_on_time", "overdue", "repeat_appeals"}


def value_text(indicator: str, value) -> str:
    """An indicator's raw value as read: a rate in %, satisfaction as a mean of 1–5."""
    if value is None:
        return "无数据"
    return f"{value:.2f} 分" if indicator == "satisfaction" else f"{value * 100:.1f}%"


def _columns(level: str) -> list[dict]:
    first = [{"field": "rank", "headerName": "排名", "width": 78, "pinned": "left", "type": "numericColumn"},
             {"field": "name", "headerName": "姓名" if level == "worker" else "名称", "pinned": "left",
              "width": 110 if level == "worker" else 170, "cellClass": "asm-link",
              "tooltipValueGetter": {"function": "'点击打开该区域'"} if level != "worker" else None}]
    if level == "worker":
        first += [{"field": "role_name", "headerName": "角色", "width": 110},
                  {"field": "grid_name", "headerName": "网格", "width": 96},
                  {"field": "parent", "headerName": "所属乡镇 村(社区)", "width": 190, "tooltipField": "parent"}]
    elif level == "village":
        first += [{"field": "parent", "headerName": "所属乡镇(街道)", "width": 130},
                  {"field": "grids", "headerName": "网格数", "width": 86, "type": "numericColumn"}]
    else:
        first += [{"field": "grids", "headerName": "网格数", "width": 86, "type": "numericColumn"}]
    first += [{"field": "score", "headerName": "总分", "width": 84, "type": "numericColumn",
               "cellClass": "asm-score"},
              {"field": "grade_name", "headerName": "等级", "width": 90,
               "cellClassRules": {f"asm-grade-{g}": f"params.data.grade == '{g}'" for g in GRADES}}]
    for k in INDICATORS:
        first.append({"field": k, "headerName": INDICATOR_NAMES[k], "flex": 1, "minWidth": 150, "type": "numericColumn",
                      "tooltipField": f"{k}_tip", "cellClass": "asm-drill ag-right-aligned-cell",
                      "headerTooltip": "点击分数查看依据"})
    return [{k: v for k, v in c.items() if v is not None} for c in first]


COLUMNS = {level: _columns(level) for level in LEVELS}


def rows(report: dict, level: str) -> list[dict]:
    """The table's rows: scores 0–100, the raw value and its counts as each cell's tooltip."""
    out = []
    for r in report["levels"][level][:MAX_WORKER_ROWS] if level != "worker" else _ends(report["levels"][level]):
        row = {k: r.get(k) for k in ("rank", "name", "role_name", "grid_name", "parent", "grids", "score",
                                     "grade", "grade_name")}
        row["rid"] = f"{level}:{r['id']}"
        for k in INDICATORS:
            row[k] = r[k]
            row[f"{k}_tip"] = f"{value_text(k, r[f'{k}_value'])}（{_counts_text(k, r['counts'])}）"
        out.append(row)
    return out


def _ends(rows_: list[dict]) -> list[dict]:
    if len(rows_) <= MAX_WORKER_ROWS:
        return rows_
    half = MAX_WORKER_ROWS // 2
    return rows_[:half] + rows_[-half:]


def _counts_text(k: str, c: dict) -> str:
    return {
        "clearance": f"当月事件 {c['reported']} 件，当日办结 {c['cleared']} 件",
        "patrol_coverage": f"应巡查 {c['days']} 天次，已巡查 {c['patrol_days']} 天次",
        "patrol_regularity": f"{c['days']} 天次中连续未巡查超限 {c['gap_days']} 天次",
        "visit_on_time": f"重点人员 {c['kp']} 人，按期走访 {c['kp_on_time']} 人",
        "overdue": f"当月事件 {c['reported']} 件，超期 {c['overdue']} 件",
        "satisfaction": f"已评价诉求 {c['rated']} 件",
        "repeat_appeals": f"当月诉求 {c['appeals']} 件，重复 {c['repeated']} 件",
    }[k]


def summary(report: dict, level: str):
    """The month, the weights version, and how many rows got each grade."""
    got = report["levels"][level]
    counts = {g: sum(1 for r in got if r["grade"] == g) for g in (*GRADES, None)}
    w = report["weights"]
    badges = [dbc.Badge(f"{GRADE_NAMES[g]} {counts[g]}", color=GRADE_COLORS[g],
                        className="me-2 fs-6" + (" text-dark" if g is None else ""), id=f"asm-count-{g or 'none'}")
              for g in (*GRADES, None) if g is not None or counts[g]]
    note = (f"{report['month_label']} · {report['region']['name']} · 共 {len(got)} 个{LEVEL_NAMES[level]}"
            f" · 权重版本 v{w['version']}（{w['comment'] or '—'}）· 统计截至 {report['as_of'][:10]} 日末")
    if level == "worker" and len(got) > MAX_WORKER_ROWS:
        note += f" · 页面列出前 {MAX_WORKER_ROWS // 2} 名与后 {MAX_WORKER_ROWS // 2} 名，完整名单见 Excel"
    if report["partial"]:
        note += " · 本月尚未结束，为截至昨日的进度"
    if level == "township" and not got:
        note += " · 当前区域在乡镇以下，无乡镇考核"
    return html.Div([html.Div(badges, className="mb-1"), html.Small(note, className="text-muted", id="asm-note")])


def table_style(n_rows: int) -> dict:
    """A short list (townships of a county) without an empty box under it; a long one scrolls."""
    return {"height": f"{min(TABLE_HEIGHT, 56 + ROW_HEIGHT * max(n_rows, 3))}px"}


def error(message: str):
    return dbc.Alert(message, color="warning", id="asm-error", className="mb-0")


def evidence_view(e: dict):
    """The records behind one score: what they are, how many, the first rows."""
    more = e["total"] - len(e["rows"])
    table = dbc.Table([html.Thead(html.Tr([html.Th(c) for c in e["columns"]])),
                       html.Tbody([html.Tr([html.Td("—" if v is None else v) for v in r]) for r in e["rows"]])],
                      size="sm", bordered=True, striped=True, id="asm-evidence-table", className="mb-1 small") \
        if e["rows"] else html.P("没有扣分记录。", className="text-muted", id="asm-evidence-empty")
    return dbc.Card(dbc.CardBody([
        html.H6([html.I(className="bi bi-search me-2"), e["title"]], id="asm-evidence-title"),
        html.Div(e["note"] + f" 共 {e['total']} 条。", className="text-muted small mb-2", id="asm-evidence-note"),
        html.Div(table, className="asm-evidence-scroll"),
        html.Small(f"另有 {more} 条未列出。", className="text-muted") if more > 0 else None,
    ]), className="mt-3")


def evidence_hint():
    return html.Div("点击表中任一指标分数，查看其依据的记录；点击名称进入该区域。", className="text-muted small mt-3")


# --- weights -----------------------------------------------------------------------------------

def _weights_table(v: dict):
    w, t = v["weights"], v["thresholds"]
    head = html.Thead(html.Tr([html.Th("指标"), *[html.Th(INDICATOR_NAMES[k]) for k in INDICATORS]]))
    body = html.Tbody(html.Tr([html.Td("权重"), *[html.Td(f"{w[k]:g}", id=f"asm-weight-{k}") for k in INDICATORS]]))
    grades = (f"优秀 ≥ {t['excellent']:g}，良好 ≥ {t['good']:g}，合格 ≥ {t['pass']:g}，其余不合格；"
              f"连续未巡查超过 {t['gap_days']} 天计为不规律；超期事件率达 {t['overdue_worst'] * 100:g}%、"
              f"重复诉求率达 {t['repeat_worst'] * 100:g}% 得 0 分；有数据指标的权重不足 "
              f"{t['min_weight_share'] * 100:g}% 时为“数据不足”。")
    return html.Div([dbc.Table([head, body], size="sm", bordered=True, className="mb-1 small", id="asm-weights-table"),
                     html.Small(grades, className="text-muted")])


def weights_view(panel: dict, month_label: str):
    """The version this month is scored with, and the history of versions."""
    a = panel["applied"]
    history = [html.Tr([html.Td(f"v{v['version']}"), html.Td(v["effective_from"] if v["version"] else "—"),
                        html.Td(v["created_by"] or "—"), html.Td((v["created_at"] or "—")[:16].replace("T", " ")),
                        html.Td(v["comment"])]) for v in panel["versions"]]
    return html.Div([
        html.Div([html.B(f"{month_label} 采用权重版本 v{a['version']}"),
                  html.Span(f"（{a['comment']}）", className="text-muted")], id="asm-applied", className="mb-2"),
        _weights_table(a),
        html.Details([html.Summary("版本记录", className="small mt-2"),
                      dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("版本", "生效月份", "修改人", "时间", "说明")])),
                                 html.Tbody(history)], size="sm", bordered=True, className="small mt-1",
                                id="asm-versions")]),
    ])


def editor(latest: dict, months: list[str]):
    """The admin's form for a new version (prefilled with the latest one)."""
    w, t = latest["weights"], latest["thresholds"]

    def field(id_, label, value, step):
        return dbc.Col([dbc.Label(label, html_for=id_, className="small mb-0"),
                        dbc.Input(id=id_, type="number", value=value, step=step, size="sm")], xs=6, md=3, xl=True)
    return dbc.Card(dbc.CardBody([
        html.H6("新建权重版本（管理员）"),
        dbc.Row([field(f"asm-w-{k}", INDICATOR_NAMES[k], w[k], 1) for k in INDICATORS], className="g-2 mb-2"),
        dbc.Row([field(f"asm-t-{k}", THRESHOLD_NAMES[k], t[k], 1 if k in ("excellent", "good", "pass", "gap_days")
                       else 0.05) for k in THRESHOLD_NAMES], className="g-2 mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label("生效月份", html_for="asm-eff", className="small mb-0"),
                     dcc.Dropdown(id="asm-eff", options=[{"label": m, "value": m} for m in months], value=months[0],
                                  clearable=False)], md=3),
            dbc.Col([dbc.Label("修改说明", html_for="asm-comment", className="small mb-0"),
                     dbc.Input(id="asm-comment", maxLength=500, placeholder="如：按市委组织部10月通知调整", size="sm")], md=6),
            dbc.Col(dbc.Button([html.I(className="bi bi-save me-1"), "保存为新版本"], id="asm-save", color="danger",
                               size="sm", className="mt-4"), md=3),
        ], className="g-2"),
        html.Small("已结束月份的考核保留原权重；新版本从所选月份起生效。", className="text-muted"),
        html.Div(id="asm-weights-feedback", className="mt-2"),
    ]), className="mt-3", id="asm-editor")


def feedback(message: str, color: str):
    return dbc.Alert(message, color=color, className="py-2 mb-0", id="asm-message")


# --- the page ----------------------------------------------------------------------------------

def assessment_page(region, chain, options: list[dict], selected: str, can_export: bool, edit=None):
    tools = [dcc.Dropdown(id="asm-month", options=options, value=selected, clearable=False,
                          style={"minWidth": "240px"})]
    if can_export:
        tools.append(dbc.Button([html.I(className="bi bi-file-earmark-excel me-1"), "导出 Excel"], id="asm-export",
                                color="success", outline=True, size="sm", className="ms-3"))
    tools.append(html.Div(id="asm-export-msg", className="ms-3 small"))
    return html.Div([
        dcc.Store(id="asm-region", data=region.code),
        dcc.Store(id="asm-changed", data=0),
        dcc.Download(id="asm-download"),
        breadcrumb(chain, PATH),
        html.H4(f"{region.name} · 考核评价", className="mb-3"),
        dbc.Card(dbc.CardBody([
            html.Div([dbc.Label("考核月份", html_for="asm-month", className="me-2 mb-0"), *tools],
                     className="d-flex align-items-center mb-2"),
            dbc.Tabs([dbc.Tab(label=LEVEL_NAMES[lv], tab_id=lv, id=TABS[lv]) for lv in LEVELS],
                     id="asm-tab", active_tab="worker", className="mb-2"),
            html.Div(id="asm-summary", className="mb-2"),
            dag.AgGrid(id="asm-table", columnDefs=COLUMNS["worker"], rowData=[], getRowId="params.data.rid",
                       defaultColDef={"resizable": True, "sortable": True},
                       dashGridOptions={"tooltipShowDelay": 300, "animateRows": False, "rowHeight": ROW_HEIGHT,
                                        "localeText": {"noRowsToShow": "暂无考核对象", "loadingOoo": "计算中…"}},
                       style=table_style(MAX_WORKER_ROWS)),
            html.Div(evidence_hint(), id="asm-evidence"),
        ]), className="mb-3"),
        dbc.Card(dbc.CardBody([html.H6("权重与评级标准"), html.Div(id="asm-weights")]), className="mb-3"),
        edit,
    ], id="asm-page")
