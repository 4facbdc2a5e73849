"""The briefing as an Excel workbook (.xlsx): a 概要 sheet, then one sheet per table with the
raw numbers — numbers as numbers (shown with a number format), dates and times as Excel
dates (Beijing time), frozen header row, auto-filter."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from data_access.timeutil import SHANGHAI

from .content import Briefing, Table

FORMATS = {"int": "#,##0", "rank": "0", "rate": "0.0%", "score": "0.00", "index": "0.0", "hours": "0.0",
           "float1": "#,##0.0", "pct_change": "+0.0%;-0.0%;0.0%",
           "pp_change": '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"',
           "delta1": "+0.0;-0.0;0.0", "delta2": "+0.00;-0.00;0.00",
           "datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd"}
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
FONT = "宋体"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def put(ws, row: int, column: int, value):
    """A cell whose text can never be read as a formula (formula injection: an incident titled
    '=HYPERLINK(…)' stays text): such text is stored as a string cell with Excel's quote prefix."""
    c = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        c.value = value
        c.data_type = "s"
        c.quotePrefix = True
    return c


def cell_value(value, kind: str):
    """What goes into the cell: aware times become Beijing wall time (Excel has no zones)."""
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).replace(tzinfo=None)
    if kind in FORMATS and kind not in ("datetime", "date") and not isinstance(value, (int, float)):
        return float(value)
    return value


def _width(text: str) -> float:
    # CJK characters are about two Latin widths.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet(wb, t: Table) -> None:
    ws = wb.create_sheet(t.key[:31])
    for j, col in enumerate(t.columns, 1):
        c = put(ws, 1, j, col.header + ("（北京时间）" if col.kind == "datetime" else ""))
        c.font = Font(name=FONT, bold=True)
        c.fill = HEADER_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [_width(ws.cell(row=1, column=j).value) for j in range(1, len(t.columns) + 1)]
    for i, row in enumerate(t.rows):
        for j, value in enumerate(row):
            kind = t.kind(i, j)
            c = put(ws, i + 2, j + 1, cell_value(value, kind))
            c.font = Font(name=FONT)
            if kind in FORMATS:
                c.number_format = FORMATS[kind]
            widths[j] = max(widths[j], min(60, _width(t.text(i, j))))
    for j, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = w + 2
    ws.freeze_panes = "A2"
    if t.rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(t.columns))}{len(t.rows) + 1}"
    if t.note:
        put(ws, len(t.rows) + 3, 1, t.note).font = Font(name=FONT, italic=True, color="666666")


def _overview(wb, b: Briefing) -> None:
    ws = wb.active
    ws.title = "概要"
    lines = [(b.heading, Font(name=FONT, bold=True, size=18, color="C00000")),
             (b.issue_line, Font(name=FONT, size=12)),
             (f"{b.issuer}编　{b.issued.year}年{b.issued.month}月{b.issued.day}日", Font(name=FONT, size=11)),
             (f"区划代码：{b.region_code}　周次：{b.week}　数据截至：{b.as_of_text}", Font(name=FONT, size=11)),
             ("", None)]
    lines += [(text, Font(name=FONT, size=11)) for text in b.summary]
    for i, (text, font) in enumerate(lines, 1):
        c = put(ws, i, 1, text)
        if font:
            c.font = font
        c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 110
    for i in range(6, len(lines) + 1):
        ws.row_dimensions[i].height = 15 * (1 + _width(ws.cell(row=i, column=1).value or "") // 105)


def write(b: Briefing) -> bytes:
    wb = Workbook()
    _overview(wb, b)
    for t in [b.key_figures, *b.tables, *b.data_tables]:
        _sheet(wb, t)
    wb.properties.title = b.heading
    wb.properties.creator = b.issuer
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
