"""交接班 as printable files: the shift's handover sheet as Word (.docx) and PDF, and their route.

GET /handover/download?region=CODE&shift=2026-11-19T20:00&format=docx|pdf. The sheet is
`data_access.handover.sheet` (the stored, signed figures once handed over). The files reuse the
weekly briefing's writers (dashboard/briefing/word.py, pdf.py): its styles, fonts (宋体/黑体 with
Noto CJK alternates in Word; embedded Noto CJK subsets in PDF) and table writer, fed with the
briefing's own `content.Table`. Checks as the briefing's download: the format against the list,
the shift's spelling, the region in the caller's scope; every request audited with its outcome,
and a file leaves only once its row is written (no audit, no file: 503).
"""
from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, Response, request

from data_access import DatabaseError, RegionError
from data_access import handover as data
from data_access.timeutil import SHANGHAI
from data_access.vocabulary import WARNING_ACTION_NAMES, WARNING_RULE_NAMES, WARNING_STATUS_NAMES

from . import access, auth, runtime
from .briefing.content import LEVEL_WORDS, Column, Table

bp = Blueprint("handover", __name__)
FORMATS = ("docx", "pdf")
MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "pdf": "application/pdf"}
ACTION = "handover_export"
TITLE = "值班交接班记录"
PRINT_OPEN, PRINT_COMMENTS = 40, 60


def _when(iso: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(iso) if iso else None


def _counts(rows: list[dict], first: list) -> list[list]:
    return [[*head, *[r[k] for k in data.COUNTS]] for head, r in zip(first, rows)]


def tables(sheet: dict) -> list[Table]:
    """The sheet as the briefing's tables, in the order the files show them."""
    f = sheet["figures"]
    counts = [Column(data.COUNT_NAMES[k], "int") for k in data.COUNTS]
    total = [["合计", *[f["totals"][k] for k in data.COUNTS]]]
    levels = Table("levels", "一、按预警级别", [Column("级别", width=1.3), *counts],
                   _counts(f["by_level"], [[LEVEL_WORDS.get(r["level"], r["level"])] for r in f["by_level"]]) + total,
                   note="新发、确认、办结、驳回、升级为本班次内发生的；未关闭、超时未确认为交班时的状态。")
    regions = Table("regions", "二、按区域", [Column("区域", width=2.2), *counts],
                    _counts(f["by_region"], [[r["name"]] for r in f["by_region"]]) + total)
    open_rows = [[w["id"], LEVEL_WORDS.get(w["level"], w["level"]), WARNING_RULE_NAMES.get(w["rule"], w["rule"]),
                  w["region_name"],
                  WARNING_STATUS_NAMES.get(w["status"], w["status"]) + ("·超时" if w["overdue"] else ""),
                  _when(w["raised_at"]), w["reason"]] for w in f["open_list"]]
    listed = f["listed"]["open"]
    still = Table("open", "三、交班时未关闭的预警",
                  [Column("编号", "rank", 0.7), Column("级别", width=0.7), Column("规则", width=1.3),
                   Column("区域", width=1.3), Column("状态", width=1.1), Column("发出时间", "datetime", 1.6),
                   Column("内容", width=4.5)], open_rows, print_limit=PRINT_OPEN,
                  note="" if listed == len(open_rows) else f"共 {listed} 条，列出最严重的 {len(open_rows)} 条。")
    talk = [[_when(c["at"]), c["actor"], WARNING_ACTION_NAMES.get(c["action"], c["action"]), c["warning_id"],
             c["comment"]] for c in f["comments"]]
    comments = Table("comments", "四、值班员处置意见",
                     [Column("时间", "datetime", 1.6), Column("值班员", width=1.1), Column("操作", width=0.8),
                      Column("预警编号", "rank", 0.8), Column("意见", width=5.0)], talk, print_limit=PRINT_COMMENTS,
                     note="" if talk else "本班次无处置意见。")
    return [levels, regions, still, comments]


def signature_lines(sheet: dict) -> list[str]:
    """交班人 / 接班人 with their names and times, or a blank to sign by hand."""
    out = []
    for role in data.ROLES:
        s = sheet["signoffs"].get(role)
        name = data.ROLE_NAMES[role]
        if s:
            at = _when(s["signed_at"]).astimezone(SHANGHAI)
            out.append(f"{name}人：{s['username']}　签署时间：{at:%Y-%m-%d %H:%M}")
        else:
            out.append(f"{name}人：＿＿＿＿＿＿　签署时间：＿＿＿＿＿＿")
    return out


def heading_lines(sheet: dict) -> tuple[str, str]:
    f = sheet["figures"]
    state = {"open": "未交班（实时统计）", "handed": "已交班，待接班", "signed": "已交接（数据已冻结）"}[sheet["state"]]
    as_of = _when(f["as_of"]).astimezone(SHANGHAI)
    return (f"{f['region']['name']} · 班次 {f['shift']['label']}",
            f"统计截至 {as_of:%Y-%m-%d %H:%M}　{state}")


def filename(sheet: dict, fmt: str) -> str:
    f = sheet["figures"]
    return f"handover-{f['region']['code']}-{f['shift']['key'].replace(':', '')}.{fmt}"


# The writers import python-docx and fpdf2 on the first file, as the briefing's route does: the
# app's start does not pay for them.
def write_docx(sheet: dict) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    from .briefing import word
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = word.PAGE_W, word.PAGE_H
    for k, v in word.MARGINS.items():
        setattr(sec, k, v)
    word._styles(doc)
    word._font_table(doc)
    doc.core_properties.title = TITLE
    doc.core_properties.keywords = f"交接班 {sheet['figures']['shift']['key']} {sheet['figures']['region']['code']}"
    doc.add_paragraph(TITLE, style="Title")
    line, state = heading_lines(sheet)
    for text in (line, state):
        p = doc.add_paragraph(text)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    word._red_rule(doc.paragraphs[-1])
    for t in tables(sheet):
        doc.add_heading(t.title, level=1)
        word._table(doc, t)
    doc.add_heading("五、签字", level=1)
    for text in signature_lines(sheet):
        doc.add_paragraph(text).runs[0].font.size = Pt(12)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def write_pdf(sheet: dict) -> bytes:
    from fpdf.enums import XPos, YPos

    from .briefing import pdf
    doc = pdf._Doc(format="A4", unit="mm")
    for style in pdf.FACES:
        path, index = pdf.font_file(style)
        doc.add_font("cjk", style, path, collection_font_number=index)
    for font in doc.fonts.values():
        font.ttfont.recalcBBoxes = False  # as the briefing: a third of the writer's time saved
    doc.set_margins(pdf.MARGIN_L, pdf.MARGIN_T, pdf.MARGIN_R)
    doc.set_auto_page_break(True, margin=pdf.MARGIN_B)
    doc.set_title(TITLE)
    doc.set_creator("红格指挥舱")
    doc.set_lang("zh-CN")
    doc.add_page()
    doc.set_text_color(*pdf.RED)
    doc.set_font("cjk", "B", 22)
    doc.cell(0, 12, TITLE, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_text_color(0, 0, 0)
    line, state = heading_lines(sheet)
    doc.set_font("cjk", "", 12)
    for text in (line, state):
        doc.cell(0, 8, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_draw_color(*pdf.RED)
    doc.set_line_width(0.8)
    doc.line(doc.l_margin, doc.get_y() + 1, doc.w - doc.r_margin, doc.get_y() + 1)
    doc.set_draw_color(0, 0, 0)
    doc.set_line_width(0.2)
    doc.ln(4)
    for t in tables(sheet):
        pdf._heading(doc, t.title)
        pdf._table(doc, t)
    pdf._heading(doc, "五、签字")
    for text in signature_lines(sheet):
        pdf._para(doc, text, indent=False, height=9)
    return bytes(doc.output())


WRITERS = {"docx": write_docx, "pdf": write_pdf}


# --- the route ---------------------------------------------------------------------------------

def _refuse(message: str, status: int) -> Response:
    return Response(message, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def _refused(message: str, status: int) -> Response:
    auth.audit(ACTION, target=request.full_path[:500], detail={"status": status, "reason": message}, ok=False)
    return _refuse(message, status)


def shift_times():
    return data.parse_times(runtime.setting("SHIFTS"))


@bp.get("/handover/download")
@access.route("handover", audit=ACTION)
def download():
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        return _refused("格式应为 docx 或 pdf", 400)
    now = runtime.now()
    try:
        shift = data.parse_shift(shift_times(), request.args.get("shift"), now)
        with runtime.engine().connect() as conn:
            sheet = data.sheet(conn, runtime.scope(), request.args.get("region") or None, shift, now)
    except RegionError as exc:  # HandoverError too; a region outside the scope reads as unknown
        return _refused(str(exc), exc.status)
    except DatabaseError:
        return _refused("数据库暂时不可用，请稍后再试。", 503)
    body = WRITERS[fmt](sheet)
    name = filename(sheet, fmt)
    try:
        auth.audited(ACTION, target=request.full_path[:500],
                     detail={"region": sheet["figures"]["region"]["code"], "shift": shift.key, "format": fmt,
                             "state": sheet["state"], "file": name})
    except auth.AuditUnavailable as exc:
        return _refuse(exc.message, 503)
    return Response(body, mimetype=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})
