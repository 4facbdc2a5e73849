"""预警研判: the duty desk (queue, detail, actions, audit), the wall's alarm banner and the
big-screen takeover. Data in, components out; citizens' text is always shown as text."""
from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import dcc, html

from data_access.vocabulary import SEVERITY_NAMES as SEVERITY
from data_access.vocabulary import WARNING_LEVEL_NAMES as LEVEL_NAMES
from data_access.vocabulary import WARNING_RULE_NAMES as RULE_NAMES
from data_access.vocabulary import WARNING_STATUS_NAMES as STATUS_NAMES
from data_access.vocabulary import WORKER_ROLE_NAMES as ROLE_NAMES

from . import fmt
from .figures import region_map
from .shell import breadcrumb, schematic_note

PATH = "/warnings"
LEVEL_COLORS = {"red": "danger", "orange": "orange", "yellow": "warning", "blue": "primary"}
STATUS_FILTERS = {"open": "未关闭", **STATUS_NAMES, "all": "全部"}
# How long a silence lasts (minutes -> label): the desk's choices, within warning_silences' bounds.
SILENCE_MINUTES = {30: "30分钟", 60: "1小时", 120: "2小时", 240: "4小时", 480: "8小时", 1440: "24小时",
                   4320: "72小时"}
ALL_RULES = "*"  # the rule dropdown's "every rule" (a silence with no rule)


def level_badge(level: str, escalated_to_name: str | None = None):
    parts = [dbc.Badge(f"{LEVEL_NAMES.get(level, level)}色", className=f"level-badge level-{level} me-1")]
    if escalated_to_name:
        parts.append(dbc.Badge(f"已升级·{escalated_to_name}", color="dark", className="me-1 escalated-badge"))
    return parts


# --- the desk -----------------------------------------------------------------------

def desk_page(region, chain, counts: dict, children: list[dict], refresh_seconds: int, actor: str,
              can_act: bool):
    """The frame of /warnings; the queue and the detail fill in by callbacks."""
    filters = dbc.Row([
        # Each level's label in its own colour (legible on the light desk and the dark wall).
        dbc.Col(dcc.Checklist(id="warn-levels", options=[{"label": html.Span(f" {LEVEL_NAMES[lv]}",
                                                                            className=f"level-label level-{lv}"),
                                                           "value": lv}
                                                          for lv in LEVEL_NAMES],
                              value=list(LEVEL_NAMES), inline=True, inputClassName="ms-2 me-1"), md=3),
        dbc.Col(dcc.Dropdown(id="warn-rules", options=[{"label": v, "value": k} for k, v in RULE_NAMES.items()],
                             multi=True, placeholder="全部规则"), md=5),
        dbc.Col(dcc.Dropdown(id="warn-status", options=[{"label": v, "value": k} for k, v in STATUS_FILTERS.items()],
                             value="open", clearable=False), md=2),
    ], className="g-2 mb-2 align-items-center")
    actions = html.Div([
        html.Div([html.Span("处理人："), html.B(actor, id="warn-actor")] if can_act else
                 html.Span("当前账号只能查看；处置预警需值班员账号。", className="text-muted"),
                 className="mb-2"),
        dbc.Input(id="warn-assignee", placeholder="承办单位或人员（指派时填写）", maxLength=64, className="mb-2"),
        dbc.Textarea(id="warn-comment", placeholder="处理意见（办结、驳回、重新打开时必填）", maxLength=500,
                     className="mb-2", rows=2),
        html.Div([
            # Disabled until a warning is selected; then only the actions its status allows.
            dbc.Button("确认", id="warn-ack", disabled=True, color="danger", className="me-2"),
            dbc.Button("指派", id="warn-assign", disabled=True, color="warning", className="me-2"),
            dbc.Button("办结", id="warn-resolve", disabled=True, color="success", className="me-2"),
            dbc.Button("驳回（误报）", id="warn-dismiss", disabled=True, color="secondary", className="me-2"),
            # Outlined, not "light": a light button on the light desk read as plain text.
            dbc.Button("重新打开", id="warn-reopen", disabled=True, color="primary", outline=True, className="me-2"),
        ]),
        html.Div(id="warn-feedback", className="mt-2"),
    ], id="warn-actions", className="mt-3")
    return html.Div([
        breadcrumb(chain, PATH),
        html.Div([html.H4(f"{region.name} · 预警研判值班台", className="me-4 mb-0"),
                  html.Span(level_counts(counts), id="warn-counts")],
                 className="d-flex align-items-center mb-2 flex-wrap"),
        html.Div(child_badges(children), id="warn-children"),
        html.Div(id="warn-health", className="warn-health mb-2"),
        filters,
        dbc.Row([
            dbc.Col(html.Div(id="warn-queue", className="warn-queue"), md=5),
            dbc.Col([html.Div(id="warn-detail", children=html.P("从左侧选择一条预警。", className="text-muted")),
                     actions, silence_panel(region, can_act)], md=7),
        ]),
        dcc.Store(id="warn-selected"),
        dcc.Store(id="warn-current"),
        dcc.Store(id="warn-changed", data=0),
        dcc.Interval(id="warn-tick", interval=max(refresh_seconds, 2) * 1000),
    ], className="warnings-page", **{"data-region": region.code})


def level_counts(counts: dict):
    """The header's open warnings per level ("红色 2 橙色 0 …"), every level shown."""
    return [html.Span([f"{LEVEL_NAMES[lv]}色 ", html.B(fmt.count(counts.get(lv, 0)))],
                      className=f"level-count level-{lv} me-3", id=f"warn-count-{lv}")
            for lv in LEVEL_NAMES]


def child_badges(children: list[dict]):
    """Links to the sub-regions that have open warnings, each with its count; none: nothing."""
    links = [dcc.Link([c["name"], dbc.Badge(fmt.count(c["open"]), color="secondary", className="ms-1")],
                      href=f"{PATH}?region={c['code']}", className="me-3 small", id=f"warn-child-{c['code']}")
             for c in children if c["open"]]
    return html.Div(links, className="mb-2") if links else None


def _members(w: dict) -> int:
    ev = w.get("evidence")
    n = ev.get("members") if isinstance(ev, dict) else None
    return n if isinstance(n, int) else 1


def deadline_text(w: dict, now: dt.datetime | None, deadlines: dict) -> tuple[str, bool] | None:
    """("确认时限 剩 12 分", False) / ("超时未确认 5 分", True) for a waiting red/orange warning."""
    minutes = deadlines.get(w["level"])
    if now is None or minutes is None or w["status"] != "new" or not w.get("created_at"):
        return None
    left = minutes - (now - dt.datetime.fromisoformat(w["created_at"])).total_seconds() / 60
    return (f"确认时限 剩 {int(left) + 1} 分", False) if left > 0 else (f"超时未确认 {int(-left)} 分", True)


def queue_list(rows: list[dict], names: dict, selected: int | None, now: dt.datetime | None = None,
               deadlines: dict | None = None):
    if not rows:
        return html.P("没有符合条件的预警。", className="text-muted", id="warn-empty")
    items = []
    for w in rows:
        marks = []
        if _members(w) > 1:  # a group: one warning per grid and rule, counting its members
            marks.append(dbc.Badge(f"{_members(w)}项", color="secondary", className="me-1 warn-members"))
        if w.get("silenced"):
            marks.append(dbc.Badge("已静默", color="light", text_color="dark", className="me-1 warn-silenced"))
        due = None if w.get("silenced") else deadline_text(w, now, deadlines or {})
        if due:
            marks.append(html.Span(due[0], className="small me-2 warn-deadline" + (" text-danger fw-bold" if due[1] else "")))
        items.append(html.Button([
            html.Div([*level_badge(w["level"], names.get(w.get("escalated_to"))),
                      html.Span(RULE_NAMES.get(w["rule"], w["rule"]), className="fw-bold me-2"),
                      *marks,
                      html.Span(STATUS_NAMES.get(w["status"], w["status"]), className=f"warn-status status-{w['status']}"),
                      html.Span(_when(w["created_at"]), className="ms-auto small text-muted")],
                     className="d-flex align-items-center flex-wrap"),
            html.Div(w["reason"], className="small warn-reason"),
        ], id={"type": "warn-item", "index": w["id"]}, n_clicks=0,
            className="list-group-item list-group-item-action text-start"
                      + (" active-warning" if w["id"] == selected else "")))
    return html.Div(items, className="list-group")


# --- the desk's own health, and its silences ------------------------------------------

def _minutes(value) -> str:
    return "—" if value is None else (f"{value:.0f} 分" if value < 120 else f"{value / 60:.1f} 小时")


def health_strip(h: dict):
    """确认用时 (median / P90 of the last hours), what waits past its deadline, open warnings by
    level and age, the silenced and the escalated ones: is the desk keeping up?"""
    ack = h.get("ack") or {}
    speed = [html.Span(f"近{h['hours']}小时确认用时", className="me-2 text-muted")]
    for key, label in (("red", "红色"), ("orange", "橙色"), ("all", "全部")):
        a = ack.get(key)
        if a:
            speed.append(html.Span([f"{label} 中位 ", html.B(_minutes(a["median"])), " · P90 ",
                                    html.B(_minutes(a["p90"]))], className="me-3", id=f"warn-ack-{key}"))
    if len(speed) == 1:
        speed.append(html.Span("暂无确认记录", className="me-3 text-muted", id="warn-ack-none"))
    late = sum((h.get("late") or {}).values())
    waiting = [html.Span("超时未确认 ", className="text-muted"),
               html.B(fmt.count(late), className="text-danger" if late else "", id="warn-late")]
    ages = h.get("ages") or {}
    age_rows = [html.Tr([html.Th("在办", className="text-muted fw-normal")] + [html.Th(b) for b in ages])]
    for lv in LEVEL_NAMES:
        if any(ages[b].get(lv) for b in ages):
            age_rows.append(html.Tr([html.Td(f"{LEVEL_NAMES[lv]}色", className=f"level-label level-{lv}")]
                                    + [html.Td(fmt.count(ages[b].get(lv, 0))) for b in ages]))
    escalated = h.get("escalated") or []
    return dbc.Card(dbc.CardBody([
        html.Div([html.B("值班台运行", className="me-3"), *speed], className="d-flex flex-wrap align-items-center small"),
        html.Div([*waiting, html.Span("已静默 ", className="text-muted ms-3"),
                  html.B(fmt.count(h.get("silenced", 0)), id="warn-silenced-count"),
                  html.Span("已升级在办 ", className="text-muted ms-3"),
                  html.B(fmt.count(len(escalated)), id="warn-escalated-count"),
                  html.Span("：" + "，".join(f"#{e['id']} {RULE_NAMES.get(e['rule'], e['rule'])}·{e['region_name']}"
                                            for e in escalated[:3]) if escalated else "",
                            className="text-muted")], className="small mt-1"),
        html.Table(html.Tbody(age_rows), className="table table-sm small mb-0 mt-1 warn-ages w-auto")
        if len(age_rows) > 1 else None,
        digest(h.get("digest") or {}),
    ], className="py-2"), className="warn-health-card")


def digest(d: dict):
    """本班黄蓝预警摘要: the yellow and blue warnings of the shift, which never sound, in one line."""
    if d.get("since") is None:
        return None
    total = sum((d.get("levels") or {}).values())
    head = [html.B("本班黄蓝预警摘要", className="me-2"), html.Span(f"自 {fmt.stamp(d['since'])} 起新增 "),
            html.B(fmt.count(total), id="warn-digest-total"), html.Span(" 条")]
    if not total:
        return html.Div(head, className="small mt-1", id="warn-digest")
    levels = "，".join(f"{LEVEL_NAMES[lv]}色 {n}" for lv, n in d["levels"].items() if n)
    rules = "，".join(f"{RULE_NAMES.get(k, k)} {n}" for k, n in sorted(d["rules"].items(), key=lambda x: -x[1]))
    where = "，".join(f"{k} {n}" for k, n in sorted(d["children"].items(), key=lambda x: -x[1])[:6])
    return html.Div([*head, html.Span(f"（{levels}）：{rules}；最多：{where}", className="text-muted")],
                    className="small mt-1", id="warn-digest")


def silence_panel(region, can_act: bool):
    """Silence a rule (or all) in this region for a stated time, with a reason; the silences below."""
    form = dbc.Row([
        dbc.Col(dcc.Dropdown(id="warn-silence-rule", value=ALL_RULES, clearable=False,
                             options=[{"label": "全部规则", "value": ALL_RULES}]
                             + [{"label": v, "value": k} for k, v in RULE_NAMES.items()]), md=4),
        dbc.Col(dcc.Dropdown(id="warn-silence-minutes", value=60, clearable=False,
                             options=[{"label": v, "value": k} for k, v in SILENCE_MINUTES.items()]), md=3),
        dbc.Col(dbc.Button("静默", id="warn-silence-add", color="secondary", outline=True), md=2),
        dbc.Col(dbc.Input(id="warn-silence-reason", placeholder="静默原因（必填，如：已知施工停电，巡查暂停）",
                          maxLength=500), md=12, className="mt-2"),
    ], className="g-2") if can_act else html.P("静默需值班员账号。", className="small text-muted")
    return html.Div([
        html.H6(f"静默（{region.name}及以下）", className="mt-4"),
        html.P("静默期间，该范围内的预警不响铃、不闪烁、不升级、不外发推送，仍在左侧列表中（标“已静默”）；"
               "到期或解除后仍未确认的预警重新报警。", className="small text-muted mb-2"),
        form,
        html.Div(id="warn-silence-feedback", className="mt-2"),
        html.Div(id="warn-silence-list", className="mt-2"),
    ], id="warn-silences")


def silence_done(s: dict, ended: bool) -> str:
    if ended:
        return f"已解除静默：{s['rule_name']} · {s['region_name']}"
    return f"已静默：{s['rule_name']} · {s['region_name']}，至 {fmt.stamp(s['ends_at'])}"


def silence_list(items: list[dict], can_act: bool):
    if not items:
        return html.P("当前没有静默。", className="small text-muted", id="warn-silence-none")
    rows = []
    for s in items:
        state = ("生效中，至 " + fmt.stamp(s["ends_at"]) if s["active"] else
                 f"已由 {s['cancelled_by']} 解除" if s["cancelled_at"] else "已到期")
        end = (dbc.Button("解除", id={"type": "warn-unsilence", "index": s["id"]}, size="sm", color="secondary",
                          outline=True) if s["active"] and can_act else None)
        rows.append(html.Tr([html.Td(s["rule_name"]), html.Td(s["region_name"]), html.Td(state),
                             html.Td(s["reason"]), html.Td(s["created_by"]), html.Td(end)],
                            className="" if s["active"] else "text-muted"))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("规则", "范围", "状态", "原因", "设置人", "")])),
                      html.Tbody(rows)], size="sm", className="small", id="warn-silence-table")


def _when(iso: str | None) -> str:
    return fmt.stamp(dt.datetime.fromisoformat(iso)) if iso else "—"


def detail(w: dict, history: list[dict], focus: dict, names: dict):
    """One warning: what, where, why, the records behind it, and everything done to it."""
    region_href = (f"/grid/{w['region']}" if len(w["region"]) == 15 else f"/?region={w['region']}")
    rows = [
        html.Div([*level_badge(w["level"], names.get(w.get("escalated_to"))),
                  html.Span(RULE_NAMES.get(w["rule"], w["rule"]), className="fw-bold me-2"),
                  html.Span(STATUS_NAMES.get(w["status"], w["status"]), id="warn-detail-status",
                            className=f"warn-status status-{w['status']}")],
                 className="d-flex align-items-center mb-2"),
        html.H5(w["reason"], className="warn-detail-reason"),
        html.Div([html.Span(f"编号 {w['id']} · 发现于 {_when(w['created_at'])} · "),
                  dcc.Link(f"查看区域：{w.get('region_name') or w['region']}", href=region_href)],
                 className="small text-muted mb-2"),
    ]
    if w.get("assignee"):
        rows.append(html.Div(f"承办：{w['assignee']}", className="small mb-1"))
    if w.get("silenced"):
        rows.append(html.Div("已静默：不响铃、不升级、不外发，静默结束后仍未确认将重新报警", className="small mb-1 text-muted"))
    ev = w.get("evidence") if isinstance(w.get("evidence"), dict) else {}
    if _members(w) > 1 and isinstance(ev.get("items"), list):
        rows.append(html.Div([html.Div(f"本组 {_members(w)} 项（同一网格同类预警合并为一条）：", className="small fw-bold"),
                              html.Ol([html.Li(str(item), className="small") for item in ev["items"]],
                                      className="mb-1 warn-member-list")]))
    rows.append(evidence(focus))
    rows.append(html.H6("处置记录", className="mt-3"))
    rows.append(audit_table(history))
    return html.Div(rows, id=f"warn-detail-{w['id']}")


def evidence(focus: dict):
    parts = []
    if focus["incidents"]:
        parts.append(dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("事件", "类别", "等级", "上报", "时限")])),
                                html.Tbody([html.Tr([html.Td(f"#{i['id']} {i['title'] or ''}"), html.Td(i["category"]),
                                                     html.Td(SEVERITY.get(i["severity"], "—")),
                                                     html.Td(fmt.stamp(i["reported_at"])),
                                                     html.Td(fmt.stamp(i["sla_due_at"]))])
                                            for i in focus["incidents"]])], size="sm", className="mb-1"))
    if focus["appeals"]:
        parts.append(html.Ul([html.Li(f"{fmt.stamp(a['received_at'])} [{a['topic'] or '未分类'}] {a['content'] or ''}",
                                      className="small") for a in focus["appeals"]], className="mb-1"))
    if focus["key_persons"]:
        parts.append(html.Ul([html.Li(f"{k['name']} · {k['category']} · 风险等级 {k['risk_level']}", className="small")
                              for k in focus["key_persons"]], className="mb-1"))
    if focus["workers"]:
        parts.append(html.Div("附近网格员：" + "，".join(f"{w['name']}（{ROLE_NAMES.get(w['role'], w['role'])} "
                                                    f"{w['phone'] or ''}）" for w in focus["workers"][:4]),
                              className="small text-muted"))
    return html.Div(parts, className="warn-evidence")


def audit_table(history: list[dict]):
    return dbc.Table([
        html.Thead(html.Tr([html.Th(h) for h in ("时间", "操作", "处理人", "意见", "变化")])),
        html.Tbody([html.Tr([html.Td(fmt.stamp(h["at"])), html.Td(h["action_name"]), html.Td(h.get("actor_name") or h["actor"] or "—"),
                             html.Td(h["comment"] or ""), html.Td(_change_text(h))]) for h in history]),
    ], size="sm", striped=True, id="warn-audit", className="small")


def _change_text(h: dict) -> str:
    before, after = h.get("before") or {}, h.get("after") or {}
    out = []
    if "status" in after:
        out.append(f"{STATUS_NAMES.get(before.get('status'), before.get('status') or '—')}→"
                   f"{STATUS_NAMES.get(after['status'], after['status'])}")
    if after.get("level") and before.get("level"):
        out.append(f"{LEVEL_NAMES.get(before['level'])}→{LEVEL_NAMES.get(after['level'])}")
    if after.get("assignee"):
        out.append(f"承办：{after['assignee']}")
    if after.get("escalated_to"):
        out.append(f"升级至 {after['escalated_to']}")
    return "；".join(out)


def feedback(message: str, color: str):
    return dbc.Alert(message, color=color, className="py-2 mb-0", id="warn-feedback-msg")


# --- the wall --------------------------------------------------------------------

def alarm_counts(rows: list[dict], counted: dict | None = None) -> list[tuple[str, int]]:
    """(level, how many) of the waiting warnings, worst level first, levels with none left out;
    `counted` ({level: n}, every waiting warning) when the rows are only the first page."""
    counts: dict[str, int] = dict(counted or {})
    if counted is None:
        for w in rows:
            counts[w["level"]] = counts.get(w["level"], 0) + 1
    return [(lv, counts[lv]) for lv in LEVEL_NAMES if counts.get(lv)]


def alarm_banner(rows: list[dict], counted: dict | None = None):
    """The flashing bar every screen of the region shows while red/orange warnings wait: the
    count of each level ("红 2 · 橙 5"), then the worst one's reason. One line: on the wall
    the reason is cut with an ellipsis (assets/app.css), never wrapped onto a second line."""
    if not rows:
        return None
    worst = rows[0]
    counts = []
    for lv, n in alarm_counts(rows, counted):
        if counts:
            counts.append(html.Span("·", className="alarm-sep"))
        counts.append(html.Span([LEVEL_NAMES.get(lv, lv), html.B(fmt.count(n), className="ms-1")],
                                className=f"alarm-count level-{lv}", id=f"alarm-count-{lv}"))
    return html.Div([
        html.I(className="bi bi-exclamation-triangle-fill me-2 alarm-icon"),
        html.Span(counts, className="alarm-counts me-3"),
        html.B(f"{LEVEL_NAMES.get(worst['level'], worst['level'])}色预警：", className="alarm-level"),
        html.Span(worst["reason"], className="ms-1 alarm-reason", title=worst["reason"]),
        dcc.Link("前往值班台处置", href=f"{PATH}?region={worst['region']}", className="ms-3 alarm-link"),
    ], className=f"alarm-banner alarm-{worst['level']}", id="alarm-banner-body")


def alarm_speech(rows: list[dict]) -> list[dict]:
    """What a wall reads aloud for each red warning: its level, place and rule, masked like the
    banner's counts (never the reason's text, which may quote a citizen)."""
    return [{"id": w["id"], "text": f"{LEVEL_NAMES['red']}色预警。{w.get('place') or w.get('region_name') or '辖区'}，"
                                    f"{RULE_NAMES.get(w['rule'], '预警').replace('/', '或')}。"}
            for w in rows if w["level"] == "red"]


def takeover(focus: dict, now: dt.datetime, pinned: bool):
    """A red warning holds the big screen: its area's map, the records, nearest workers, the SLA clock."""
    w, r = focus["warning"], focus["region"]
    fc = focus["geojson"]
    codes = [f["id"] for f in fc["features"]]
    names = [f["properties"].get("name", "") for f in fc["features"]]
    fig = region_map(fc, codes, names, [2 if c == r.code else 0 for c in codes], "预警", w["region"], height=640)
    fig.update_traces(colorscale=[[0, "#334155"], [1, "#dc2626"]], showscale=False)
    due = [i["sla_due_at"] for i in focus["incidents"] if i["sla_due_at"] and not i["closed"]]
    clock = (html.Div(["处置时限 ", html.Span("—", className="countdown",
                                            **{"data-due": min(due).isoformat(), "data-now": now.isoformat()})],
                      className="takeover-clock") if due else None)
    workers = html.Table([html.Tbody([html.Tr([html.Td(x["name"]), html.Td(ROLE_NAMES.get(x["role"], x["role"] or "")),
                                               html.Td(x["phone"] or ""), html.Td(x["grid_code"][-3:] + "格")])
                                      for x in focus["workers"]])], className="takeover-workers")
    return html.Div([
        html.Div([html.I(className="bi bi-broadcast me-2"),
                  f"{LEVEL_NAMES[w['level']]}色预警 · {focus['rule_name']} · {focus['area'].name}",
                  html.Span(_when(w["created_at"]), className="ms-3 small")], className="takeover-title"),
        html.Div(w["reason"], className="takeover-reason"),
        dbc.Row([
            dbc.Col([dcc.Graph(figure=fig, config={"displayModeBar": False}, id="takeover-map"), schematic_note()], md=7),
            dbc.Col([clock, evidence({**focus, "workers": []}), html.H5("附近网格员"), workers,
                     html.Div([
                         dbc.Button("取消固定" if pinned else "固定此画面", id="takeover-pin-btn", color="light",
                                    className="me-2"),
                         dbc.Button("返回轮播", id="takeover-release-btn", color="secondary"),
                     ], className="mt-3"),
                     html.Div("值班员在值班台确认后，本画面自动返回轮播。", className="small mt-2")], md=5),
        ]),
    ], className="takeover-panel", id=f"takeover-{w['id']}", **{"data-warning": str(w["id"])})
