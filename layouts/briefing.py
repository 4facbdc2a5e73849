"""周报: choose a week, see its key figures and summary, download Word / Excel / PDF.
Data in, components out; the files themselves come from /briefing/download."""
from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from .shell import breadcrumb

PATH = "/briefing"
DOWNLOADS = (("docx", "Word", "bi-file-earmark-word"), ("xlsx", "Excel", "bi-file-earmark-excel"),
             ("pdf", "PDF", "bi-file-earmark-pdf"))


def week_label(week, complete: bool) -> str:
    m, s = week.monday, week.sunday
    text = f"{week.year}年第{week.number}周（{m.month}月{m.day}日—{s.month}月{s.day}日）"
    return text if complete else text + "·进行中"


def week_options(weeks: list, complete: dict) -> list[dict]:
    """weeks: newest first; complete: {label: bool}."""
    return [{"label": week_label(w, complete[w.label]), "value": w.label} for w in weeks]


def download_href(region_code: str, week: str, fmt: str) -> str:
    return f"{PATH}/download?" + urlencode({"region": region_code, "week": week, "format": fmt})


def downloads(region_code: str, week: str):
    return [html.A([html.I(className=f"bi {icon} me-1"), f"下载 {name}"],
                   href=download_href(region_code, week, fmt), id=f"brf-dl-{fmt}",
                   download=f"briefing-{region_code}-{week}.{fmt}",
                   className="btn btn-outline-primary me-2 mb-2")
            for fmt, name, icon in DOWNLOADS]


def no_export():
    return html.Small("下载周报文件需分析员权限；可先查看下方预览。", className="text-muted", id="brf-no-export")


def figures_table(table) -> dbc.Table:
    """The key-figures table (content.Table) as the files show it."""
    head = html.Thead(html.Tr([html.Th(c.header) for c in table.columns]))
    rows = []
    for i in range(len(table.rows)):
        rows.append(html.Tr([html.Td(table.text(i, j), className="text-end" if j else None)
                             for j in range(len(table.columns))], id=f"brf-fig-{i}"))
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, bordered=True, className="mb-1",
                     id="brf-figures")


def preview(b):
    """The briefing's summary and key figures (the files carry the charts and the tables)."""
    return html.Div([
        html.H5(b.heading, className="text-danger fw-bold mb-1"),
        html.Div(f"{b.issue_line}　{b.issuer}编", className="text-muted small mb-2"),
        html.Div([html.P(text, className="mb-2") for text in b.summary], id="brf-summary"),
        figures_table(b.key_figures),
        html.Small(b.key_figures.note, className="text-muted"),
    ])


def error(message: str):
    return dbc.Alert(message, color="warning", id="brf-error")


def briefing_page(region, chain, options: list[dict], selected: str):
    return html.Div([
        dcc.Store(id="brf-region", data=region.code),
        breadcrumb(chain, PATH),
        html.H4(f"{region.name} · 周报", className="mb-3"),
        dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col([dbc.Label("周次", html_for="brf-week"),
                         dcc.Dropdown(id="brf-week", options=options, value=selected, clearable=False)], lg=5),
                dbc.Col([dbc.Label("下载"), html.Div(downloads(region.code, selected), id="brf-downloads")],
                        lg=7),
            ]),
            html.Small("周报按自然周（周一至周日，北京时间）统计本区域及全部下级区域；生成需十余秒。"
                       "Word 可直接编辑，Excel 为各表原始数据，PDF 供打印。", className="text-muted"),
        ]), className="mb-3"),
        dbc.Card([dbc.CardHeader("预览：本周概况与主要指标"),
                  dbc.CardBody(dcc.Loading(html.Div(id="brf-preview"), type="default"))]),
    ])
