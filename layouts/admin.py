"""管理: accounts in the admin's jurisdiction, the audit log, and bad rows in the shared tables."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from data_access.privacy import mask_text
from data_access.vocabulary import ACCOUNT_ROLE_NAMES as ROLE_NAMES

from . import fmt

# Every table and kind of data_access.quality.RULES (tests/test_admin.py checks none is missing).
KIND_NAMES = {"unknown_grid": "网格不存在或上级不符", "missing_time": "缺少时间", "future_time": "时间在未来",
              "closed_before_reported": "办结早于上报", "ended_before_started": "结束早于开始",
              "resolved_before_received": "办结早于受理", "duplicate": "重复记录",
              "bad_members": "成员数无效", "unknown_household": "所属户不存在或不在同一网格",
              "missing_point": "缺少坐标或坐标无效", "unknown_enterprise": "所属企业不存在或不在同一网格",
              "rectified_before_inspected": "整改早于检查"}
TABLE_NAMES = {"incident": "事件", "patrol": "巡查", "appeal": "诉求", "household": "户", "person": "人员",
               "enterprise": "企业", "place": "场所", "organization": "组织", "inspection": "检查记录"}


def _table(head, rows, id_):
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                      html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])],
                     size="sm", striped=True, className="small", id=id_)


def admin_page(users: list, audit: list, actions: list[str], counts: dict, samples: dict):
    user_rows = [[u.username, ROLE_NAMES.get(u.role, u.role), u.scope_code, "启用" if u.active else "停用",
                  fmt.stamp(u.updated_at)] for u in users]
    return html.Div([
        html.H4("系统管理"),
        html.P("账户通过命令行维护：python -m dashboard users add|disable|set-scope …（不设默认密码）。",
               className="text-muted small"),
        html.H5("账户", className="mt-3"),
        _table(["用户名", "角色", "辖区", "状态", "更新于"], user_rows, "admin-users"),
        html.H5("审计日志（近 7 天）", className="mt-4"),
        dcc.Dropdown(id="admin-audit-action", options=[{"label": a, "value": a} for a in actions],
                     placeholder="全部操作", className="mb-2", style={"maxWidth": "320px"}),
        html.Div(audit_table(audit), id="admin-audit"),
        html.H5("数据质量（被剔除的问题记录）", className="mt-4"),
        quality_section(counts, samples),
    ], className="admin-page")


def audit_table(rows: list):
    return _table(["时间", "用户", "操作", "对象", "详情", "来源", "结果"],
                  [[fmt.stamp(r.at), r.actor or "—", r.action, r.target or "", (r.detail or "")[:120], r.ip or "",
                    "成功" if r.ok else "失败"] for r in rows], "admin-audit-table")


def quality_section(counts: dict, samples: dict):
    rows = [[TABLE_NAMES.get(t, t), KIND_NAMES.get(k, k), fmt.count(n)]
            for t, kinds in counts.items() for k, n in kinds.items()]
    parts = [_table(["表", "问题类型", "记录数"], rows, "admin-quality")]
    for (t, k), found in samples.items():
        if not found:
            continue
        head = list(found[0])
        parts.append(html.H6(f"{TABLE_NAMES.get(t, t)} · {KIND_NAMES.get(k, k)}（样例）", className="mt-2"))
        parts.append(_table(head, [[_cell(v) for v in r.values()] for r in found], f"admin-sample-{t}-{k}"))
    return html.Div(parts)


def _cell(value):
    if hasattr(value, "isoformat"):
        return fmt.stamp(value)
    if isinstance(value, str):
        return mask_text(value)[:80]
    return "—" if value is None else str(value)
