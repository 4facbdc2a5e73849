"""周报 made off the web tier: requests enqueue, the scheduler's worker builds (docs/briefing.md).

This module is the light half (no writers, no Chromium): what a web request may do, and the
worker's settings. The worker itself is dashboard/briefing/worker.py.

A web request (the /briefing page, GET /briefing/download) only reads `briefing_build` and adds
queued rows (`request`). The `Worker` runs in the scheduler's process (dashboard/scheduler.py: the
refresher, or whichever process has WARNINGS_EVALUATE_SECONDS > 0): it claims a queued row
(data_access/briefing_builds.claim: a conditional UPDATE, so no file is built twice), gathers the
week's report once for every queued file of the same region, week and as_of, renders the charts
in its long-lived Chromium (charts.ChartServer) and stores each file with its preview. Early on
Monday (BRIEFING_PREBUILD_AT, Asia/Shanghai) it also queues last week's briefing of every region
that has an analyst account, so the Monday meeting's files are ready before anyone asks.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from data_access import briefing as data
from data_access import briefing_builds as builds

from . import content

# The files' vocabulary, here so a web worker need not load the writers (dashboard/briefing/files.py).
FILE_FORMATS = ("docx", "xlsx", "pdf")
MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "pdf": "application/pdf"}

# A running week's build is reused this long (its figures move). A complete week's for a day:
# the source systems still correct settled rows (a re-categorised ticket, a deleted fake patrol;
# the rollups' reconciler re-derives them), and a correction must reach the briefing too.
FRESH_SECONDS = 600
COMPLETE_FRESH_SECONDS = 86400
MAX_ATTEMPTS = 3  # a build whose worker died this many times is given up
KEEP_DAYS = 98  # built files kept: the page offers the last 12 weeks
PREBUILD_FORMATS = ("preview", *FILE_FORMATS)
# Progress shown on /briefing: 5 once claimed (briefing_builds.claim), then figures gathered,
# charts and files written, 100 when stored.
GATHERED, WRITTEN = 55, 95


def since(week: data.Week, now: dt.datetime) -> dt.datetime:
    """The oldest as_of a build may have to answer a request at `now`: a complete week's files
    made after it ended serve for COMPLETE_FRESH_SECONDS (then a request builds them again, so a
    late correction reaches them within a day); a running week's for FRESH_SECONDS."""
    if week.complete(now):
        return max(week.end, now - dt.timedelta(seconds=COMPLETE_FRESH_SECONDS))
    return now - dt.timedelta(seconds=FRESH_SECONDS)


def preview_json(b: content.Briefing) -> str:
    """What /briefing shows before the files are opened: the summary and the key figures."""
    t = b.key_figures
    return json.dumps({
        "heading": b.heading, "issue_line": b.issue_line, "issuer": b.issuer, "summary": b.summary,
        "figures": {"headers": [c.header for c in t.columns], "note": t.note,
                    "rows": [[t.text(i, j) for j in range(len(t.columns))] for i in range(len(t.rows))]},
    }, ensure_ascii=False)


# --- the web's side: read and enqueue, never build ----------------------------------------

def state(conn, region_code: str, week: data.Week, now: dt.datetime) -> dict:
    """{format: row without its body} that answers a request at `now` (pending, done or failed)."""
    return builds.rows(conn, region_code, week.label, since(week, now))


def request(conn, region_code: str, week: data.Week, formats, now: dt.datetime, username: str | None) -> dict:
    """Queue the files of `formats` that have no usable or pending build; {format: id} of the new
    or already pending ones (the files already built are not in it). The caller checked the
    region against the requester's scope and the week; it commits with its audit row."""
    have = state(conn, region_code, week, now)
    queued = {}
    for fmt in formats:
        row = have.get(fmt)
        if row is not None and row.status != "failed":
            if row.status in builds.PENDING:
                queued[fmt] = row.id
            continue
        queued[fmt] = builds.enqueue(conn, region_code, week.label, fmt, now, username, now)
    return queued


def ready_file(conn, region_code: str, week: data.Week, fmt: str, now: dt.datetime):
    """The built file (with body) that answers a download at `now`, or None."""
    return builds.latest(conn, region_code, week.label, fmt, since(week, now))


# --- the worker ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    scope_code: str  # the instance's jurisdiction (SCOPE_REGION): builds never reach outside it
    stuck_seconds: float = 300.0  # a running build not heard of this long is reclaimed
    prebuild_at: str = "02:00"  # Monday, Asia/Shanghai; "" = no pre-build

    @classmethod
    def from_settings(cls, values: dict) -> "Config":
        return cls(str(values["SCOPE_REGION"]), float(values["BRIEFING_STUCK_SECONDS"]),
                   str(values["BRIEFING_PREBUILD_AT"]).strip())

    def prebuild_delay(self) -> dt.timedelta | None:
        if not self.prebuild_at:
            return None
        hours, minutes = self.prebuild_at.split(":")
        return dt.timedelta(hours=int(hours), minutes=int(minutes))
