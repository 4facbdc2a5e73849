"""The briefing as an editable Word file (.docx): A4, the 简报 masthead, real headings and tables.

Chinese text is set in named East Asian fonts (宋体 for the body, 黑体 for headings) through
the styles, so the secretary edits a normal document. Word on Windows has both; elsewhere
the font table names Noto Serif/Sans CJK SC as their alternates (w:altName), which
LibreOffice and WPS on Linux substitute.
"""
from __future__ import annotations

import io
from xml.sax.saxutils import quoteattr

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .content import Briefing, Table, sections

SONG, HEI, KAI = "宋体", "黑体", "楷体"
LATIN = "Times New Roman"
# East Asian font -> (alternate Noto face, charset 86 = GB2312, panose)
FONT_TABLE = {SONG: ("Noto Serif CJK SC", "02010600030101010101"),
              HEI: ("Noto Sans CJK SC", "02010609060101010101"),
              KAI: ("Noto Serif CJK SC", "02010609060101010101")}
RED = RGBColor(0xC0, 0x00, 0x00)
PAGE_W, PAGE_H = Mm(210), Mm(297)
# GB/T 9704 margins: top 37 mm, bottom 35 mm, left 28 mm, right 26 mm.
MARGINS = {"top_margin": Mm(37), "bottom_margin": Mm(35), "left_margin": Mm(28), "right_margin": Mm(26)}
TEXT_WIDTH = PAGE_W - MARGINS["left_margin"] - MARGINS["right_margin"]
RIGHT_KINDS = {"int", "rank", "rate", "score", "index", "hours", "float1", "pct_change", "pp_change", "delta1", "delta2"}


def _fonts(rpr_owner, east_asia: str, latin: str = LATIN) -> None:
    """Explicit fonts on a style or run: Latin and East Asian faces, theme fonts removed
    (a theme font attribute would win over the named face)."""
    rpr = rpr_owner.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr, value in (("w:ascii", latin), ("w:hAnsi", latin), ("w:eastAsia", east_asia), ("w:cs", latin)):
        rfonts.set(qn(attr), value)


def _lang(style) -> None:
    rpr = style.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _style(doc, name: str, east_asia: str, size: float, bold=False, color=None, before=0, after=0):
    s = doc.styles[name]
    _fonts(s.element, east_asia)
    s.font.size = Pt(size)
    s.font.bold = bold
    s.font.italic = False
    s.font.color.rgb = color or RGBColor(0, 0, 0)
    s.paragraph_format.space_before = Pt(before)
    s.paragraph_format.space_after = Pt(after)
    return s


def _styles(doc) -> None:
    normal = _style(doc, "Normal", SONG, 12)
    normal.paragraph_format.line_spacing = 1.5
    _lang(normal)
    _style(doc, "Title", SONG, 26, bold=True, color=RED, after=6)
    title = doc.styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # The template draws a blue rule under Title: the masthead has its own red one.
    ppr = title.element.get_or_add_pPr()
    for border in ppr.findall(qn("w:pBdr")):
        ppr.remove(border)
    _style(doc, "Heading 1", HEI, 16, before=12, after=6)
    _style(doc, "Heading 2", KAI, 14, bold=True, before=6, after=3)
    _style(doc, "Caption", KAI, 10.5, after=6).paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _font_table(doc) -> None:
    """Name the Noto CJK faces as alternates of 宋体/黑体/楷体 in word/fontTable.xml."""
    part = next((p for p in doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml"), None)
    if part is None:
        return
    xml = part.blob.decode("utf-8")
    entries = "".join(
        f'<w:font w:name={quoteattr(name)}><w:altName w:val={quoteattr(alt)}/>'
        f'<w:panose1 w:val="{panose}"/><w:charset w:val="86"/><w:family w:val="auto"/>'
        f'<w:pitch w:val="variable"/></w:font>'
        for name, (alt, panose) in FONT_TABLE.items() if f'w:name="{name}"' not in xml)
    part._blob = xml.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def _red_rule(paragraph) -> None:
    """The masthead's red line under the issuer and date (a paragraph bottom border)."""
    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "4"), ("w:color", "C00000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.append(bdr)


def _masthead(doc, b: Briefing) -> None:
    doc.add_paragraph(b.heading, style="Title")
    line = doc.add_paragraph(b.issue_line)
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = line.runs[0]
    run.font.size = Pt(14)
    _fonts(run._r, KAI)
    p = doc.add_paragraph()
    p.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    p.add_run(f"{b.issuer}编")
    p.add_run(f"\t{b.issued.year}年{b.issued.month}月{b.issued.day}日")
    _red_rule(p)


def _cell(cell, text: str, bold=False, right=False, size=9) -> None:
    para = cell.paragraphs[0]
    para.paragraph_format.line_spacing = 1.0
    para.paragraph_format.space_after = Pt(0)
    para.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
    run = para.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    if bold:
        _fonts(run._r, HEI)


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _table(doc, t: Table) -> None:
    if t.print_note:
        note = doc.add_paragraph(t.print_note)
        note.runs[0].font.size = Pt(10.5)
    if not t.rows:
        return
    table = doc.add_table(rows=1 + t.printed, cols=len(t.columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    total = sum(c.width for c in t.columns)
    widths = [int(TEXT_WIDTH * c.width / total) for c in t.columns]
    size = 9 if len(t.columns) > 6 else 10.5
    for j, col in enumerate(t.columns):
        _cell(table.rows[0].cells[j], col.header, bold=True, size=size)
        _shade(table.rows[0].cells[j], "D9D9D9")
    _repeat_header(table.rows[0])
    for i in range(t.printed):
        cells = table.rows[i + 1].cells
        for j in range(len(t.columns)):
            _cell(cells[j], t.text(i, j), right=t.kind(i, j) in RIGHT_KINDS, size=size)
    for row in table.rows:
        for j, w in enumerate(widths):
            row.cells[j].width = w


def write(b: Briefing) -> bytes:
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = PAGE_W, PAGE_H
    for k, v in MARGINS.items():
        setattr(sec, k, v)
    _styles(doc)
    _font_table(doc)
    props = doc.core_properties
    props.title, props.author, props.subject = b.heading, b.issuer, b.issue_line
    props.keywords = f"周报 {b.week} {b.region_code}"
    _masthead(doc, b)
    for title, kind, body in sections(b):
        doc.add_heading(title, level=1)
        if kind == "summary":
            for text in body:
                p = doc.add_paragraph(text)
                p.paragraph_format.first_line_indent = Pt(24)  # two characters
        elif kind == "charts":
            for chart in body:
                doc.add_picture(io.BytesIO(chart.png), width=TEXT_WIDTH)
                doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                doc.add_paragraph(chart.title, style="Caption")
                if chart.caption:
                    doc.add_paragraph(chart.caption, style="Caption")
        else:
            _table(doc, body)
    end = doc.add_paragraph(
        f"说明：数据截至{b.as_of_text}，来自网格化社会治理数据库，已剔除无效记录；个人信息已脱敏。")
    end.runs[0].font.size = Pt(10.5)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
