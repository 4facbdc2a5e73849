"""一户一档 · 一人一档 · 一企一档: pure layouts from a file's masked data (data_access/files.py)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from data_access.vocabulary import CHANNEL_NAMES

from . import fmt
from .shell import breadcrumb

RISK_COLORS = {"危化品": "danger", "消防重点": "warning", "劳动密集": "info", "有限空间": "secondary",
               "低保户": "info", "独居老人户": "warning", "重点人员": "danger", "出租屋": "secondary"}


def _tags(tags: list[str], id_=None):
    named = {"id": id_} if id_ else {}
    if not tags:
        return html.Span("无标签", className="text-muted small", **named)
    return html.Span([dbc.Badge(t, color=RISK_COLORS.get(t, "light"), text_color=None if t in RISK_COLORS
                                else "dark", className="me-1") for t in tags], **named)


LONG_FACT = {"fontSize": "1.15rem", "lineHeight": "1.5"}  # an address or a sentence, not a number


def _fact(label, value, id_=None, long=False):
    return dbc.Col(dbc.Card(dbc.CardBody([html.Div(label, className="kpi-label"),
                                          html.Div(value, className="kpi-value file-fact", id=id_,
                                                   style=LONG_FACT if long else None)]),
                            className="kpi-card h-100"), xs=6, md=3, className="mb-2")


def _table(title: str, id_: str, head: list[str], rows: list[list], empty: str = "无记录"):
    """A card with a small table; citizens' text is passed as text (never HTML)."""
    body = html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]) if rows else \
        html.Tbody(html.Tr(html.Td(empty, colSpan=len(head), className="text-muted")))
    return dbc.Card([dbc.CardHeader(title),
                     dbc.CardBody(dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), body],
                                            size="sm", className="mb-0 recent-table", id=id_),
                                  className="p-0 recent-scroll")], className="h-100")


def _head(data: dict, title: str, kind_label: str):
    chain = data["chain"] + [{"code": "", "name": kind_label, "level": "file"}]
    return [breadcrumb(chain, "/"),
            html.Div([html.H4(title, className="mb-0 me-2", id="file-title"), _tags(data["tags"], "file-tags")],
                     className="d-flex align-items-center flex-wrap mb-2")]


def _workers(workers: list[dict]):
    return _table("包联网格员（本网格力量）", "file-workers", ["姓名", "角色", "电话"],
                  [[w["name"], w["role"], w["phone"]] for w in workers])


def _visits(visits: list[dict]):
    return _table("走访记录", "file-visits", ["时间", "网格员", "情况"],
                  [[fmt.stamp(v["visited_at"]), v["worker"], v["outcome"]] for v in visits], "无走访记录")


def _appeals(appeals: list[dict]):
    return _table("诉求（按诉求人关联）", "file-appeals", ["受理", "渠道", "主题", "内容", "办结"],
                  [[fmt.stamp(a["received_at"]), CHANNEL_NAMES.get(a["channel"], a["channel"]), a["topic"],
                    a["content"], "已办结" if a["resolved"] else "办理中"] for a in appeals], "无诉求记录")


def _incidents(title: str, id_: str, incidents: list[dict]):
    return _table(title, id_, ["上报", "类别", "事件", "状态"],
                  [[fmt.stamp(i["reported_at"]), i["category"], i["title"], i["status"]] for i in incidents])


RESULT_COLORS = {"合格": "success", "限期整改": "warning", "停产整顿": "danger"}


def _rectified(i: dict) -> str:
    if i["result"] == "合格":
        return "—"
    return f"已整改（{fmt.stamp(i['rectified_at'])}）" if i["rectified_at"] else "待复查"


def _inspections(inspections: list[dict]):
    return _table("安全检查记录", "file-inspections", ["检查时间", "检查人", "结果", "发现问题", "整改复查"],
                  [[fmt.stamp(i["inspected_at"]), i["inspector"],
                    dbc.Badge(i["result"], color=RESULT_COLORS.get(i["result"], "light"),
                              text_color=None if i["result"] in RESULT_COLORS else "dark"),
                    i["findings"] or "—", _rectified(i)] for i in inspections], "无检查记录")


def _residents(title: str, id_: str, people: list[dict], empty: str):
    return _table(title, id_, ["姓名", "关系", "年龄段", "身份证号", "电话", "标签"], [
        [dcc.Link(p["name"] or "—", href=f"/person/{p['id']}", id=f"file-person-{p['id']}"), p["relation"],
         p["age_band"], p["id_number"] or "—", p["phone"] or "—", _tags(p["tags"])] for p in people], empty)


def household_page(data: dict, unmask=None):
    registered = len(data["residents"])
    note = None if registered else html.P(
        "本户成员未录入人口库（演示数据按户抽样登记，见 docs/files.md）。", className="text-muted small mt-2",
        id="file-sample-note")
    return html.Div([
        *_head(data, f"{data['address']} · 一户一档", "户档"),
        dbc.Row([_fact("户籍人数", fmt.count(data["members"]), "file-members"),
                 _fact("登记成员", fmt.count(registered), "file-registered"),
                 _fact("所属网格", dcc.Link(data["grid_name"], href=f"/grid/{data['grid_code']}",
                                            id="file-grid-link"), "file-grid"),
                 _fact("户编号", str(data["id"]), "file-id")], className="g-2"),
        dbc.Row([dbc.Col(_residents("家庭成员", "file-residents", data["residents"], "无登记成员"), lg=8),
                 dbc.Col(_workers(data["workers"]), lg=4)], className="mt-2 g-2"),
        note,
        dbc.Row([dbc.Col(_visits(data["visits"]), lg=4), dbc.Col(_appeals(data["appeals"]), lg=4),
                 dbc.Col(_incidents("周边事件（约100米内，近90天）", "file-incidents", data["incidents"]), lg=4)],
                className="mt-2 g-2"),
        unmask,
    ], className="file-page", id="file-page")


def person_page(data: dict, unmask=None):
    home = data["household"]
    kp = data["key_person_detail"]
    kp_text = "否" if kp is None else f"{kp['category']} · 风险{kp['risk_level']}级 · 每{kp['interval_days']}天走访"
    return html.Div([
        *_head(data, f"{data['name']} · 一人一档", "人档"),
        dbc.Row([_fact("身份证号", data["id_number"] or "—", "file-id-number"),
                 _fact("电话", data["phone"] or "—", "file-phone"),
                 _fact("年龄段", data["age_band"], "file-age"),
                 _fact("与户主关系", data["relation"], "file-relation")], className="g-2"),
        dbc.Row([_fact("所在户", "—" if home is None else dcc.Link(
                     home["address"], href=f"/household/{home['id']}", id="file-household-link"), "file-household",
                       long=True),
                 _fact("所属网格", dcc.Link(data["grid_name"], href=f"/grid/{data['grid_code']}",
                                            id="file-grid-link"), "file-grid"),
                 _fact("重点人员", kp_text, "file-key-person", long=kp is not None),
                 _fact("最近走访", fmt.stamp(data["last_visit"]) if data["last_visit"] else "—",
                       "file-last-visit")], className="g-2"),
        dbc.Row([dbc.Col(_residents("同户成员", "file-housemates", data["housemates"], "无同户登记成员"), lg=8),
                 dbc.Col(_workers(data["workers"]), lg=4)], className="mt-2 g-2"),
        dbc.Row([dbc.Col(_visits(data["visits"]), lg=5), dbc.Col(_appeals(data["appeals"]), lg=7)],
                className="mt-2 g-2"),
        unmask,
    ], className="file-page", id="file-page")


def enterprise_page(data: dict, unmask=None):
    inspected = data["last_inspected_at"]
    inspection = "从未检查" if inspected is None else f"{fmt.stamp(inspected)} · {data['inspection_result']}"
    if data["inspection_overdue"]:  # 90 days for an enterprise with a risk tag, a year otherwise
        inspection += " · 超期未检"
    return html.Div([
        *_head(data, f"{data['name']} · 一企一档", "企档"),
        dbc.Row([_fact("行业", data["enterprise_kind"] or "—", "file-kind"),
                 _fact("从业人员", fmt.count(data["employees"]), "file-employees"),
                 _fact("联系人", f"{data['contact_name'] or '—'} {data['contact_phone'] or ''}", "file-contact",
                       long=True),
                 _fact("所属网格", dcc.Link(data["grid_name"], href=f"/grid/{data['grid_code']}",
                                            id="file-grid-link"), "file-grid")], className="g-2"),
        dbc.Row([_fact("最近检查", html.Span(inspection, className="text-danger fw-bold"
                                             if data["inspection_overdue"] else None), "file-inspection", long=True)],
                className="g-2"),
        dbc.Row([dbc.Col(_inspections(data["inspections"]))], className="mt-2 g-2"),
        dbc.Row([dbc.Col(_incidents("安全生产与消防事件（约100米内，近一年）", "file-safety",
                                    data["safety_incidents"]), lg=4),
                 dbc.Col(_incidents("周边事件（约100米内，近90天）", "file-incidents", data["incidents"]), lg=4),
                 dbc.Col(_workers(data["workers"]), lg=4)], className="mt-2 g-2"),
        unmask,
    ], className="file-page", id="file-page")


def unmask_panel(subjects: list[tuple[str, str]]):
    """Seeing one resident's or contact's full data is an act with a reason, for permitted roles.
    subjects: (value "person:ID" …, label already masked)."""
    return dbc.Card([
        dbc.CardHeader("查看完整个人信息（需填写事由，操作留痕）"),
        dbc.CardBody([
            dbc.Row([
                dbc.Col(dcc.Dropdown(id="file-reveal-subject", placeholder="选择对象",
                                     options=[{"label": label, "value": value} for value, label in subjects],
                                     value=subjects[0][0] if len(subjects) == 1 else None), md=4),
                dbc.Col(dbc.Input(id="file-reveal-reason", placeholder="事由（如：入户走访核实信息）", maxLength=200),
                        md=6),
                dbc.Col(dbc.Button("查看", id="file-reveal-go", color="secondary"), md=2),
            ], className="g-2"),
            html.Div(id="file-reveal-result", className="mt-2"),
        ]),
    ], className="mt-3", id="file-reveal-card")


def revealed(found: dict):
    """What the unmasking shows once its audit row is committed."""
    parts = [html.B(found.get("name") or found.get("address") or "—")]
    if found.get("id_number"):
        parts.append(f"  {found['id_number']}")
    if "phone" in found:
        parts.append(f"  {found['phone'] or '无电话'}")
    return dbc.Alert([*parts, html.Small("（已记录查看事由）", className="ms-2 text-muted")], color="info",
                     id="file-reveal-shown")


def register_lists(register: dict):
    """The grid profile's 一户一档 and 一企一档 lists, each row a link to its file."""
    households = _table(f"一户一档（{len(register['households'])}户，有标签的在前）", "grid-households-list",
                        ["住址", "人数", "标签"],
                        [[dcc.Link(h["address"], href=f"/household/{h['id']}"), h["members"], _tags(h["tags"])]
                         for h in register["households"]], "无登记住户")
    enterprises = _table(f"一企一档（{len(register['enterprises'])}家，有风险标签的在前）", "grid-enterprises-list",
                         ["企业", "行业", "人数", "风险"],
                         [[dcc.Link(e["name"], href=f"/enterprise/{e['id']}"), e["kind"], e["employees"],
                           _tags(e["tags"])] for e in register["enterprises"]], "无登记企业")
    return dbc.Row([dbc.Col(households, lg=7), dbc.Col(enterprises, lg=5)], className="mt-2 g-2 grid-register")
