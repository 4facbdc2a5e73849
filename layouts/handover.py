"""交接班: one shift's handover sheet (what the desk did, what is left open), its two sign-offs and
its printable files. Data in (data_access.handover.sheet), components out."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html

from data_access.handover import COUNT_NAMES, COUNTS, ROLE_NAMES, ROLES
from data_access.vocabulary import WARNING_ACTION_NAMES as ACTION_NAMES
from data_access.vocabulary import WARNING_LEVEL_NAMES as LEVEL_NAMES
from data_access.vocabulary import WARNING_RULE_NAMES as RULE_NAMES
from data_access.vocabulary import WARNING_STATUS_NAMES as STATUS_NAMES

from . import fmt
from .shell import breadcrumb

PATH = "/handover"
DOWNLOADS = (("docx", "Word", "bi-file-earmark-word"), ("pdf", "PDF", "bi-file-earmark-pdf"))
STATES = {"open": ("未交班 · 实时统计", "secondary"), "handed": ("已交班 · 待接班", "warning"),
          "signed": ("已交接 · 数据已冻结", "success")}


def _at(iso: str | None) -> str:
    return fmt.stamp(dt.datetime.fromisoformat(iso)) if iso else "—"


def shift_options(shifts) -> list[dict]:
    return [{"label": s.label, "value": s.key} for s in shifts]


def download_href(region_code: str, shift_key: str, kind: str) -> str:
    return f"{PATH}/download?" + urlencode({"region": region_code, "shift": shift_key, "format": kind})


def downloads(region_code: str, shift_key: str):
    return [html.A([html.I(className=f"bi {icon} me-1"), f"下载 {name}"],
                   href=download_href(region_code, shift_key, kind), id=f"hnd-dl-{kind}",
                   className="btn btn-outline-primary btn-sm me-2")
            for kind, name, icon in DOWNLOADS]


def feedback(message: str, color: str):
    return dbc.Alert(message, color=color, className="py-2 mb-0", id="hnd-message")


def _counts_table(rows: list[tuple[str, dict]], total: dict, table_id: str, first: str):
    head = html.Thead(html.Tr([html.Th(first), *[html.Th(COUNT_NAMES[k], className="text-end") for k in COUNTS]]))
    body = [html.Tr([html.Td(label), *[html.Td(fmt.count(r[k]), className="text-end") for k in COUNTS]])
            for label, r in rows]
    body.append(html.Tr([html.Th("合计"), *[html.Th(fmt.count(total[k]), className="text-end",
                                                   id=f"{table_id}-total-{k}") for k in COUNTS]]))
    return dbc.Table([head, html.Tbody(body)], size="sm", bordered=True, striped=True, id=table_id,
                     className="mb-3")


def _level(level: str):
    return dbc.Badge(f"{LEVEL_NAMES.get(level, level)}色", className=f"level-badge level-{level}")


def sheet_view(sheet: dict):
    """The sheet: by level, by region, the warnings left open, the officers' comments."""
    f = sheet["figures"]
    by_level = _counts_table([(f"{LEVEL_NAMES.get(r['level'], r['level'])}色", r) for r in f["by_level"]],
                             f["totals"], "hnd-levels", "级别")
    by_region = _counts_table([(r["name"], r) for r in f["by_region"]], f["totals"], "hnd-regions", "区域")
    still = [html.Tr([html.Td(w["id"]), html.Td(_level(w["level"])), html.Td(RULE_NAMES.get(w["rule"], w["rule"])),
                      html.Td(w["region_name"]),
                      html.Td([STATUS_NAMES.get(w["status"], w["status"]),
                               dbc.Badge("超时", color="danger", className="ms-1") if w["overdue"] else None]),
                      html.Td(_at(w["raised_at"])), html.Td(w["reason"], className="small")])
             for w in f["open_list"]]
    more = f["listed"]["open"] - len(f["open_list"])
    talk = [html.Tr([html.Td(_at(c["at"])), html.Td(c["actor"]), html.Td(ACTION_NAMES.get(c["action"], c["action"])),
                     html.Td(c["warning_id"]), html.Td(c["comment"], className="small")]) for c in f["comments"]]
    return html.Div([
        html.Div(f"统计截至 {_at(f['as_of'])}；新发、确认、办结、驳回、升级为本班次内发生的，"
                 "未关闭、超时未确认为交班时的状态。", className="text-muted small mb-2"),
        dbc.Row([dbc.Col([html.H6("按预警级别"), by_level], lg=6),
                 dbc.Col([html.H6("按区域"), by_region], lg=6)]),
        html.H6(f"交班时未关闭的预警（{f['listed']['open']} 条）"),
        dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("编号", "级别", "规则", "区域", "状态", "发出时间", "内容")])),
                   html.Tbody(still)], size="sm", bordered=True, id="hnd-open", className="mb-1") if still
        else html.P("无。", className="text-muted"),
        html.Small(f"另有 {more} 条未列出。", className="text-muted") if more > 0 else None,
        html.H6("值班员处置意见", className="mt-3"),
        dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("时间", "值班员", "操作", "预警编号", "意见")])),
                   html.Tbody(talk)], size="sm", bordered=True, id="hnd-comments") if talk
        else html.P("本班次无处置意见。", className="text-muted"),
    ], id="hnd-figures")


def signoffs(sheet: dict):
    """The state and the two signatures (or who still has to sign)."""
    text, color = STATES[sheet["state"]]
    parts = [dbc.Badge(text, color=color, className="me-3 fs-6", id="hnd-state-badge")]
    for role in ROLES:
        s = sheet["signoffs"].get(role)
        who = f"{s['username']}（{_at(s['signed_at'])}）" if s else "待签"
        parts.append(html.Span([f"{ROLE_NAMES[role]}人：", html.B(who)], className="me-3", id=f"hnd-signed-{role}"))
    if not sheet["intact"]:
        parts.append(dbc.Badge("存档数据与签字不符，请联系管理员", color="danger", id="hnd-tampered"))
    return parts


def error(message: str):
    return dbc.Alert(message, color="warning", id="hnd-error")


def handover_page(region, chain, options: list[dict], selected: str, actor: str):
    return html.Div([
        dcc.Store(id="hnd-region", data=region.code),
        dcc.Store(id="hnd-changed", data=0),
        breadcrumb(chain, PATH),
        html.H4(f"{region.name} · 交接班", className="mb-3"),
        dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col([dbc.Label("班次", html_for="hnd-shift"),
                         dcc.Dropdown(id="hnd-shift", options=options, value=selected, clearable=False)], lg=4),
                dbc.Col([dbc.Label("打印"), html.Div(downloads(region.code, selected), id="hnd-downloads")], lg=3),
                dbc.Col([dbc.Label(["签字：", html.B(actor, id="hnd-actor")]),
                         html.Div([dbc.Button("交班签字", id="hnd-sign-out", color="danger", className="me-2"),
                                   dbc.Button("接班签字", id="hnd-sign-in", color="primary")])], lg=5),
            ], className="g-2"),
            html.Div(id="hnd-signoffs", className="mt-3"),
            html.Div(id="hnd-feedback", className="mt-2"),
            html.Small("交班人（本班值班员）先签“交班”，接班人（下一班值班员）再签“接班”，两人须为不同账号。"
                       "交班后本表数据即存档，之后预警再有变化也不改动已交接的记录。", className="text-muted"),
        ]), className="mb-3"),
        dbc.Card([dbc.CardHeader("交接班记录"),
                  dbc.CardBody(dcc.Loading(html.Div(id="hnd-sheet"), type="default"))]),
    ], className="handover-page")
