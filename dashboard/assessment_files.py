"""考核评价 as an Excel workbook for the monthly meeting (openpyxl).

One sheet per tab — 乡镇(街道), 村(社区), 网格员 — with every row (the page lists the ends of a long
worker list; the file has everyone), each indicator as its raw value and its 0–100 score, and a
sheet 权重与标准 with the weights version the month was scored with. Names are masked as on the
page. The download is the view's callback (dcc.Download), checked for `export` and audited.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from data_access.assessment import INDICATOR_NAMES, INDICATORS, LEVEL_NAMES, THRESHOLD_NAMES

ACTION = "assessment_export"
SHEET_ORDER = ("township", "village", "worker")
HEADER_ROW = 3  # row 1: title, row 2: month, region, weights version
HEAD_FILL = PatternFill("solid", fgColor="C00000")
HEAD_FONT = Font(bold=True, color="FFFFFF")
FIRST = {
    "worker": [("排名", "rank", 6), ("编号", "id", 8), ("姓名", "name", 9), ("角色", "role_name", 11),
               ("网格", "grid_name", 9), ("网格代码", "grid", 17), ("所属乡镇 村(社区)", "parent", 22)],
    "village": [("排名", "rank", 6), ("代码", "id", 15), ("名称", "name", 16), ("所属乡镇(街道)", "parent", 14),
                ("网格数", "grids", 8)],
    "township": [("排名", "rank", 6), ("代码", "id", 12), ("名称", "name", 14), ("网格数", "grids", 8)],
}


def headers(level: str) -> list[str]:
    out = [h for h, _, _ in FIRST[level]] + ["总分", "等级"]
    for k in INDICATORS:
        out += [INDICATOR_NAMES[k], f"{INDICATOR_NAMES[k]}得分"]
    return out


def _sheet(wb: Workbook, report: dict, level: str) -> None:
    ws = wb.create_sheet(LEVEL_NAMES[level])
    w = report["weights"]
    ws["A1"] = f"{report['region']['name']} · {report['month_label']} 考核评价（{LEVEL_NAMES[level]}）"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (f"统计截至 {report['as_of'][:10]} 日末 · 权重版本 v{w['version']}（{w['comment'] or '—'}）"
                + (" · 本月尚未结束" if report["partial"] else ""))
    head = headers(level)
    for i, text in enumerate(head, 1):
        cell = ws.cell(HEADER_ROW, i, text)
        cell.fill, cell.font = HEAD_FILL, HEAD_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for n, row in enumerate(report["levels"][level], HEADER_ROW + 1):
        values = [row.get(key) for _, key, _ in FIRST[level]] + [row["score"], row["grade_name"]]
        for k in INDICATORS:
            values += [row[f"{k}_value"], row[k]]
        for i, v in enumerate(values, 1):
            ws.cell(n, i, v)
        base = len(FIRST[level]) + 2
        for j, k in enumerate(INDICATORS):
            ws.cell(n, base + 2 * j + 1).number_format = "0.00" if k == "satisfaction" else "0.0%"
    widths = [wd for _, _, wd in FIRST[level]] + [7, 8] + [12, 9] * len(INDICATORS)
    for i, wd in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = wd
    ws.row_dimensions[HEADER_ROW].height = 32
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, len(FIRST[level]) + 1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(head))}{max(HEADER_ROW, ws.max_row)}"


def _method(wb: Workbook, report: dict) -> None:
    ws = wb.create_sheet("权重与标准")
    w = report["weights"]
    ws.append(["权重版本", f"v{w['version']}"])
    ws.append(["生效月份", w["effective_from"] if w["version"] else "（内置默认）"])
    ws.append(["修改人", w["created_by"] or "—"])
    ws.append(["说明", w["comment"]])
    ws.append([])
    ws.append(["指标", "权重"])
    for k in INDICATORS:
        ws.append([INDICATOR_NAMES[k], w["weights"][k]])
    ws.append([])
    ws.append(["标准", "值"])
    for k, name in THRESHOLD_NAMES.items():
        ws.append([name, w["thresholds"][k]])
    ws.append([])
    ws.append(["方法", "各指标折算为 0–100 分后按权重加权；无数据的指标不计，其权重按比例分给其余指标（见 docs/assessment.md）。"])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 40


def workbook(report: dict) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for level in SHEET_ORDER:
        _sheet(wb, report, level)
    _method(wb, report)
    wb.properties.title = f"考核评价 {report['month']} {report['region']['code']}"
    wb.properties.creator = "红格指挥舱"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filename(report: dict) -> str:
    return f"assessment-{report['region']['code']}-{report['month']}.xlsx"
