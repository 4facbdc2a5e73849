"""GET /briefing/download?region=CODE&week=2026-W47&format=docx|xlsx|pdf — the page's downloads.

Only analysts (dashboard.access: `export`). Every input is checked before anything runs: the
format against the list, the week's spelling and that it has begun, the region's code and
that it lies in the caller's scope (data_access.scope). A refusal is a short Chinese message
with 400, 403 or 404. Every request is audited with its real outcome, and a file leaves only
once its `export` row is written (if the audit log cannot be written, no file: 503).
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, request

from data_access import DatabaseError, RegionError
from data_access import briefing as data
from data_access.cache import remember
from data_access.scope import resolve

from .. import access, auth, runtime

bp = Blueprint("briefing", __name__)
FORMATS = ("docx", "xlsx", "pdf")
# A week's report and files are kept this long: a complete week no longer changes, and
# the same leader clicking Word then PDF should not wait twice.
CACHE_SECONDS = 600


def report_for(scope, code: str, week: data.Week, now: dt.datetime) -> dict:
    """The week's report, shared by the page's preview and its downloads (one per cache bucket)."""
    def compute():
        with runtime.engine().connect() as conn:
            return data.report(conn, scope, code, week, now)
    return remember(f"briefing-report-{week.label}", scope.code, code, now, CACHE_SECONDS, compute)


def _refuse(message: str, status: int) -> Response:
    return Response(message, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def _refused(message: str, status: int) -> Response:
    auth.audit("export", target=request.full_path[:500], detail={"status": status, "reason": message}, ok=False)
    return _refuse(message, status)


@bp.get("/briefing/download")
@access.route("export", audit="export")
def download():
    from .files import MEDIA_TYPES, from_report  # the writers load on the first download
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        return _refused("格式应为 docx、xlsx 或 pdf", 400)
    now = runtime.now()
    try:
        raw_week = request.args.get("week")
        week = data.parse_week(raw_week) if raw_week else data.last_complete_week(now)
        week.span(now)  # a week that has not begun has no briefing
        scope = runtime.scope()
        with runtime.engine().connect() as conn:
            region = resolve(conn, scope, request.args.get("region") or runtime.setting("DEFAULT_REGION"))
        report = report_for(scope, region.code, week, now)

        def make():
            b, files, _ = from_report(report, now, (fmt,))
            return {"name": b.filename(fmt), "body": files[fmt]}
        got = remember(f"briefing-{fmt}-{week.label}", scope.code, region.code, now, CACHE_SECONDS, make)
    except data.WeekError as exc:
        return _refused(str(exc), exc.status)
    except RegionError as exc:
        return _refused(str(exc), exc.status)
    except DatabaseError:
        return _refused("数据库暂时不可用，请稍后再试。", 503)
    try:
        auth.audited("export", target=request.full_path[:500],
                     detail={"region": region.code, "week": week.label, "format": fmt, "file": got["name"]})
    except auth.AuditUnavailable as exc:
        return _refuse(exc.message, 503)
    return Response(got["body"], mimetype=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{got["name"]}"', "Cache-Control": "private, no-store"})
