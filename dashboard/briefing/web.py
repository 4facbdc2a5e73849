"""GET /briefing/download?region=CODE&week=2026-W47&format=docx|xlsx|pdf — the page's downloads.

Only analysts (dashboard.access: `export`). Every input is checked before anything runs: the
format against the list, the week's spelling and that it has begun, the region's code and
that it lies in the caller's scope (data_access.scope). A refusal is a short Chinese message
with 400, 403 or 404. The request never makes the file (docs/briefing.md "Built off the web
tier"): a built one is served at once; otherwise it is queued for the scheduler's worker and
the answer is 202 with a sentence to come back (audited `briefing_request`). Every request is
audited with its real outcome, and a file leaves only once its `export` row is written (if the
audit log cannot be written, no file: 503).
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from data_access import DatabaseError, RegionError
from data_access import briefing as data
from data_access.scope import resolve

from .. import access, auth, runtime
from . import jobs

bp = Blueprint("briefing", __name__)
FORMATS, MEDIA_TYPES = jobs.FILE_FORMATS, jobs.MEDIA_TYPES
QUEUED = "周报文件正在后台生成，请稍候再试（约半分钟；可在周报页面查看进度）。"


def _refuse(message: str, status: int) -> Response:
    return Response(message, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def _refused(message: str, status: int) -> Response:
    auth.audit("export", target=request.full_path[:500], detail={"status": status, "reason": message}, ok=False)
    return _refuse(message, status)


@bp.get("/briefing/download")
@access.route("export", audit="export")
def download():
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
            got = jobs.ready_file(conn, region.code, week, fmt, now)
        if got is None:
            with runtime.engine().begin() as conn:  # the request and its audit row commit together
                # The audit row first: when it cannot be written (the log locked), nothing is queued.
                try:
                    auth.audit_in(conn, "briefing_request", target=request.full_path[:500],
                                  detail={"region": region.code, "week": week.label, "format": fmt})
                except DatabaseError:
                    raise auth.AuditUnavailable() from None
                jobs.request(conn, region.code, week, (fmt,), now, auth.current().name)
            return Response(QUEUED, status=202, mimetype="text/plain",
                            headers={"Cache-Control": "no-store", "Retry-After": "10"})
    except data.WeekError as exc:
        return _refused(str(exc), exc.status)
    except RegionError as exc:
        return _refused(str(exc), exc.status)
    except auth.AuditUnavailable as exc:
        return _refuse(exc.message, 503)
    except DatabaseError:
        return _refused("数据库暂时不可用，请稍后再试。", 503)
    try:
        auth.audited("export", target=request.full_path[:500],
                     detail={"region": region.code, "week": week.label, "format": fmt, "file": got.filename,
                             "sha256": got.sha256})
    except auth.AuditUnavailable as exc:
        return _refuse(exc.message, 503)
    return Response(got.body, mimetype=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{got.filename}"', "Cache-Control": "private, no-store"})
