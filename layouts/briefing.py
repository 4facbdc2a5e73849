"""周报: choose a week, see its key figures and summary, download Word / Excel / PDF.
Data in, components out; the files are built by the scheduler's worker and served by
/briefing/download; a build under way shows its progress."""
from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from .shell import breadcrumb

PATH = "/briefing"
POLL_MS = 1000  # how often a page with a build under way asks for its progress
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


def figures_table(figures: dict) -> dbc.Table:
    """The key-figures table as the files show it ({"headers", "rows": texts, "note"})."""
    head = html.Thead(html.Tr([html.Th(h) for h in figures["headers"]]))
    rows = [html.Tr([html.Td(text, className="text-end" if j else None) for j, text in enumerate(row)],
                    id=f"brf-fig-{i}") for i, row in enumerate(figures["rows"])]
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, bordered=True, className="mb-1",
                     id="brf-figures")


def preview(b: dict):
    """The briefing's summary and key figures as the worker stored them (the files carry the
    charts and the tables)."""
    return html.Div([
        html.H5(b["heading"], className="text-danger fw-bold mb-1"),
        html.Div(f"{b['issue_line']}　{b['issuer']}编", className="text-muted small mb-2"),
        html.Div([html.P(text, className="mb-2") for text in b["summary"]], id="brf-summary"),
        figures_table(b["figures"]),
        html.Small(b["figures"]["note"], className="text-muted"),
    ])


def preview_pending(progress: int):
    return html.Div([html.Div("预览正在后台生成，完成后自动显示。", className="text-muted small mb-2"),
                     dbc.Progress(value=max(progress, 5), striped=True, animated=True, style={"height": "6px"})],
                    id="brf-preview-pending")


def generate_button(pending: bool):
    """Files not built yet: one click queues Word, Excel and PDF together (one report makes all three)."""
    return dbc.Button([html.I(className="bi bi-gear me-1"), "正在生成…" if pending else "生成 Word / Excel / PDF"],
                      id="brf-generate", color="primary", className="me-2 mb-2", disabled=pending)


def progress(percent: int, queued: bool):
    """The files' build, polled every second: queued (waiting for the worker) or its progress."""
    text = "已排队，等待后台生成…" if queued else f"正在生成周报文件（{percent}%）…"
    return html.Div([
        html.Div(text, className="small mb-1", id="brf-progress-text"),
        dbc.Progress(value=max(percent, 5), label=f"{percent}%" if percent >= 10 else "", striped=True,
                     animated=True, color="info", id="brf-progress-bar", style={"height": "18px"}),
    ], id="brf-progress-box", className="mb-2")


def ready(week_text: str):
    return dbc.Alert([html.I(className="bi bi-check-circle-fill me-2"),
                      f"周报文件已生成：{week_text}。请点击上方按钮下载。"],
                     color="success", id="brf-ready", dismissable=True, className="mb-2")


def failed(message: str):
    return dbc.Alert([html.I(className="bi bi-exclamation-triangle-fill me-2"), f"周报生成失败：{message}"],
                     color="danger", id="brf-failed", className="mb-2")


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
                dbc.Col([dbc.Label("下载"), html.Div(id="brf-downloads")], lg=7),
            ]),
            html.Div(id="brf-progress"),
            dcc.Store(id="brf-job"),
            dcc.Interval(id="brf-poll", interval=POLL_MS, disabled=True),
            html.Small("周报按自然周（周一至周日，北京时间）统计本区域及全部下级区域，由后台生成：上周周报每周一凌晨"
                       "已预先生成，其他周次点击生成后约半分钟可下载。Word 可直接编辑，Excel 为各表原始数据，PDF 供打印。",
                       className="text-muted"),
        ]), className="mb-3"),
        dbc.Card([dbc.CardHeader("预览：本周概况与主要指标"),
                  dbc.CardBody(html.Div(id="brf-preview"))]),
    ])
