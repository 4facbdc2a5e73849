"""The briefing as PDF, laid out with fpdf2: the Word file's content and order, A4.

fpdf2 subsets and embeds Debian's Noto CJK faces (OpenType/CFF inside a .ttc) as real
CID fonts with an exact ToUnicode map, so the text copies and searches as written.
Chromium's print-to-PDF was measured against it and lost: it draws these faces as Type3
glyph procedures and maps some ideographs (网, 比) to Kangxi radicals. docs/briefing.md
has the numbers.
"""
from __future__ import annotations

import functools
import io
import os
import re
import subprocess

from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos

from .content import Briefing, Table, sections

# Body: Noto Serif CJK SC (a 宋体 face); bold and headings: Noto Sans CJK SC Bold (黑体).
FACES = {"": ("Noto Serif CJK SC", "regular"), "B": ("Noto Sans CJK SC", "bold")}
# Debian's fonts-noto-cjk, used when fontconfig cannot be asked: (file, index of SC in the collection).
DEBIAN = {"": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
          "B": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2)}
MARGIN_L, MARGIN_T, MARGIN_R, MARGIN_B = 28, 30, 26, 28  # mm
RED, GREY = (192, 0, 0), (217, 217, 217)
PAD_V, PAD_H = 0.7, 1.0  # table cell padding, mm
RIGHT_KINDS = {"int", "rank", "rate", "score", "index", "hours", "float1", "pct_change", "pp_change", "delta1", "delta2"}


# Chinese line breaking (禁则): these never start a line, those never end one.
NO_START = set("，。、；：？！）》」』”’】〕…%,.;:?!)]}")
NO_END = set("（《「『“‘【〔([{")
# A number, date or code stays whole (4,287 / 70.0% / 2026-11-08); anything else breaks per character.
TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z,.%+\-:/]*|.", re.S)
ROW_MM = 6.0  # a one-line table row at 9 pt, for keeping short tables on one page


def wrap(pdf: FPDF, text: str, width: float) -> str:
    """`text` broken into lines no wider than `width` (mm, current font) by the rules above;
    fpdf2's own wrapping knows neither."""
    lines = []
    for para in text.split("\n"):
        line: list[tuple[str, float]] = []
        for tok in TOKEN.findall(para):
            w = pdf.get_string_width(tok)
            if line and sum(x[1] for x in line) + w > width:
                carry = []
                if tok[0] in NO_START and len(line) > 1:
                    carry.append(line.pop())  # take the character before the mark along
                while len(line) > 1 and line[-1][0][-1] in NO_END:
                    carry.insert(0, line.pop())
                lines.append("".join(x[0] for x in line))
                line = carry
            if line or tok != " ":
                line.append((tok, w))
        lines.append("".join(x[0] for x in line))
    return "\n".join(lines)


class FontMissing(RuntimeError):
    pass


@functools.lru_cache(maxsize=None)
def font_file(style: str) -> tuple[str, int]:
    """(path, collection index) of the face for `style`, asked of fontconfig."""
    family, weight = FACES[style]
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}\n%{index}\n%{family}", f"{family}:{weight}"],
                             capture_output=True, text=True, timeout=20, check=True).stdout.split("\n")
        if len(out) >= 3 and "CJK" in out[2] and os.path.exists(out[0]):
            return out[0], int(out[1] or 0)
    except (OSError, subprocess.SubprocessError, ValueError):
        pass
    path, index = DEBIAN[style]
    if os.path.exists(path):
        return path, index
    raise FontMissing(f"PDF needs the {family} font (Debian: apt-get install fonts-noto-cjk)")


class _Doc(FPDF):
    def footer(self):
        # 公文 page numbers: "— 3 —", centred.
        self.set_y(-18)
        self.set_font("cjk", "", 10)
        self.cell(0, 8, f"— {self.page_no()} —", align="C")


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("cjk", "B", 14)
    pdf.cell(0, 10, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", "", 11)


def _para(pdf: FPDF, text: str, size=11, indent=True, height=6.8, align="L") -> None:
    pdf.set_font("cjk", "", size)
    text = wrap(pdf, ("\u3000\u3000" if indent else "") + text, pdf.epw - 2 * pdf.c_margin - 0.2)
    pdf.multi_cell(0, height, text, align=align, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)


def _table(pdf: FPDF, t: Table) -> None:
    if t.print_note:
        _para(pdf, t.print_note, size=9.5, indent=False, height=6)
        pdf.ln(1)
    if not t.rows:
        return
    size = 7.5 if len(t.columns) > 8 else 9
    pdf.set_font("cjk", "", size)
    aligns = tuple("R" if c.kind in RIGHT_KINDS else "L" for c in t.columns)
    total = sum(c.width for c in t.columns)
    inner = [pdf.epw * c.width / total - 2 * PAD_H - 0.3 for c in t.columns]
    with pdf.table(col_widths=tuple(c.width for c in t.columns), text_align=aligns, line_height=size * 0.5,
                   wrapmode=WrapMode.CHAR, padding=(PAD_V, PAD_H),
                   headings_style=FontFace(emphasis="BOLD", fill_color=GREY)) as table:
        head = table.row()
        for c in t.columns:
            head.cell(c.header, align="C")
        for i in range(t.printed):
            row = table.row()
            for j in range(len(t.columns)):
                # Per-cell alignment: the key figures' columns mix text and numbers.
                row.cell(wrap(pdf, t.text(i, j), inner[j]), align="R" if t.kind(i, j) in RIGHT_KINDS else "L")
    pdf.ln(2)


def _masthead(pdf: FPDF, b: Briefing) -> None:
    pdf.set_text_color(*RED)
    pdf.set_font("cjk", "B", 24)
    pdf.multi_cell(0, 13, b.heading, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", "", 13)
    pdf.cell(0, 9, b.issue_line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("cjk", "", 11)
    pdf.cell(pdf.epw / 2, 8, f"{b.issuer}编")
    pdf.cell(pdf.epw / 2, 8, f"{b.issued.year}年{b.issued.month}月{b.issued.day}日", align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.ln(4)


def write(b: Briefing) -> bytes:
    pdf = _Doc(format="A4", unit="mm")
    for style in FACES:
        path, index = font_file(style)
        pdf.add_font("cjk", style, path, collection_font_number=index)
    for font in pdf.fonts.values():
        # The subsets keep the whole face's bounding box: recomputing it walks every glyph's
        # outline: about 30 % of the PDF writer's CPU time (2.9 s instead of 4.1 s, 4 runs each).
        font.ttfont.recalcBBoxes = False
    pdf.set_margins(MARGIN_L, MARGIN_T, MARGIN_R)
    pdf.set_auto_page_break(True, margin=MARGIN_B)
    pdf.set_title(b.heading)
    pdf.set_author(b.issuer)
    pdf.set_subject(b.issue_line)
    pdf.set_keywords(f"周报 {b.week} {b.region_code}")
    pdf.set_creator("红格指挥舱")
    pdf.set_lang("zh-CN")
    pdf.add_page()
    _masthead(pdf, b)
    for title, kind, body in sections(b):
        if kind == "table" and body.printed <= 24:
            # A short table starts on a fresh page rather than leave only a few rows behind.
            need = 22 + ROW_MM * (body.printed + 1)
            room = pdf.page_break_trigger - pdf.get_y()
            if room < need < pdf.eph and room < need * 0.6:
                pdf.add_page()
        _heading(pdf, title)
        if kind == "summary":
            for text in body:
                _para(pdf, text)
        elif kind == "charts":
            for chart in body:
                h = pdf.epw * chart.height / chart.width
                if pdf.will_page_break(h + 16):
                    pdf.add_page()
                pdf.image(io.BytesIO(chart.png), w=pdf.epw, h=h)
                pdf.set_font("cjk", "", 10)
                pdf.cell(0, 6, chart.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                if chart.caption:
                    _para(pdf, chart.caption, size=9, indent=False, height=5.5, align="C")
                pdf.ln(3)
        else:
            _table(pdf, body)
    pdf.ln(2)
    _para(pdf, f"说明：数据截至{b.as_of_text}，来自网格化社会治理数据库，已剔除无效记录；个人信息已脱敏。",
          size=9.5, indent=False, height=6)
    return bytes(pdf.output())
