"""Make the briefing's files: gather, render the charts, write each format asked for."""
from __future__ import annotations

import contextlib
import datetime as dt
import time

from data_access import briefing as data
from data_access.scope import resolve
from data_access.timeutil import local_day

from . import charts, content, excel, pdf, word
from .jobs import FILE_FORMATS as FORMATS

WRITERS = {"docx": word.write, "xlsx": excel.write, "pdf": pdf.write}


def parse_formats(text: str | None) -> tuple[str, ...]:
    """'docx,pdf' → ('docx', 'pdf'); None or '' → all three; anything else is a ValueError."""
    if not text:
        return FORMATS
    wanted = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise ValueError(f"格式应为 {','.join(FORMATS)} 中的一个或多个")
    return tuple(f for f in FORMATS if f in wanted)


def make(conn, scope, code, week, now: dt.datetime, formats=FORMATS) -> tuple[content.Briefing, dict, dict]:
    """(briefing, {format: bytes}, {step: seconds}) for `week` of region `code` as known at `now`."""
    resolve(conn, scope, code)  # a refused region or week costs no browser start
    week.span(now)
    # Chromium boots while the figures are gathered (a few seconds saved on two cores).
    with charts.Renderer() if needs_charts(formats) else contextlib.nullcontext() as renderer:
        t = time.perf_counter()
        report = data.report(conn, scope, code, week, now)
        took = time.perf_counter() - t
        b, files, timings = from_report(report, now, formats, renderer)
    return b, files, {"data": took, **timings}


def needs_charts(formats) -> bool:
    return any(f in formats for f in ("docx", "pdf"))  # only these two show the charts


def from_report(report: dict, now: dt.datetime, formats=FORMATS,
                renderer=None) -> tuple[content.Briefing, dict, dict]:
    """The files of an already gathered report (the page shares one report between its
    preview and its downloads)."""
    timings = {}
    b = content.build(report, local_day(now))
    if needs_charts(formats):
        t = time.perf_counter()
        charts.attach(b, report, renderer)
        timings["charts"] = time.perf_counter() - t
    files = {}
    for f in formats:
        t = time.perf_counter()
        files[f] = WRITERS[f](b)
        timings[f] = time.perf_counter() - t
    return b, files, timings
