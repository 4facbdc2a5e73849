"""周报 callbacks: the page (its region from the URL, weeks to choose), and for the chosen week the
preview and the downloads as the scheduler's worker built them. No callback builds a report: the
page queues what is missing (the preview for anyone, the files for an analyst) and polls the
builds' progress (dashboard/briefing/jobs.py; the files are served by dashboard/briefing/web.py)."""
from __future__ import annotations

import json
import logging

from dash import Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, RegionError
from data_access import briefing as data
from data_access.scope import check_code, resolve
from dashboard import access, auth, runtime
from dashboard.briefing import jobs
from layouts import briefing as view

from . import live
from .views import View

WEEKS_OFFERED = 12
log = logging.getLogger(__name__)


def page(code: str | None):
    region, chain, _ = live.place(code)
    now = runtime.now()
    weeks = data.recent_weeks(now, WEEKS_OFFERED)
    complete = {w.label: w.complete(now) for w in weeks}
    return view.briefing_page(region, chain, view.week_options(weeks, complete),
                              data.last_complete_week(now).label)


def _checked(week_value, code):
    """(Region, Week, now): the client's week and region checked before use (RegionError / WeekError)."""
    code = check_code(code)
    week = data.parse_week(week_value)
    now = runtime.now()
    week.span(now)
    with runtime.engine().connect() as conn:
        region = resolve(conn, runtime.scope(), code)
    return region, week, now


def _error(message: str):
    return [], view.error(message), None, True


def _trigger() -> str | None:
    try:
        return ctx.triggered_id
    except Exception:  # noqa: BLE001 - called outside a Dash request (tests): as on the page's first render
        return None


def show(week_value, job, _tick, code):
    """The chosen week's preview, downloads and build progress. Queues the preview when no build
    has one (what the page used to compute in the request); polls while anything is pending."""
    trigger = _trigger()
    try:
        region, week, now = _checked(week_value, code)
        with runtime.engine().connect() as conn:
            have = jobs.state(conn, region.code, week, now)
        # A failed preview is asked for again when the week is chosen, not on every poll.
        if "preview" not in have or (have["preview"].status == "failed" and trigger != "brf-poll"):
            with runtime.engine().begin() as conn:
                jobs.request(conn, region.code, week, ("preview",), now, runtime.user().name)
                have = jobs.state(conn, region.code, week, now)
    except (RegionError, data.WeekError) as exc:
        return _error(str(exc))
    except DatabaseError:
        return _error("数据库暂时不可用，请稍后再试。")
    except Exception:  # a bug must not leave the page blank
        log.exception("briefing page failed: %s %s", code, week_value)
        return _error("周报页面出错，已记录日志。")
    p = have["preview"]
    if p.status == "done":
        preview = view.preview(json.loads(p.preview))
    elif p.status == "failed":
        preview = view.failed(p.error or "未知原因")
    else:
        preview = view.preview_pending(p.progress)
    pending = any(r.status in ("queued", "running") for r in have.values())
    # Exports are an analyst's act (dashboard/auth.py gates the route too): others see the preview.
    if not runtime.can("export"):
        return view.no_export(), preview, None, not pending
    files = [have.get(f) for f in jobs.FILE_FORMATS]
    asked = isinstance(job, dict) and job.get("region") == region.code and job.get("week") == week.label
    if all(r is not None and r.status == "done" for r in files):
        # Built: downloads at once; a ready notice when this page asked for them.
        watched = asked and trigger in ("brf-poll", "brf-job")
        notice = view.ready(view.week_label(week, week.complete(now))) if watched else None
        return view.downloads(region.code, week.label), preview, notice, not pending
    broken = [r for r in files if r is not None and r.status == "failed"]
    running = [r for r in files if r is not None and r.status in ("queued", "running")]
    if running:
        percent = min(r.progress for r in running)
        notice = view.progress(percent, all(r.status == "queued" for r in running))
    elif broken:
        notice = view.failed(broken[0].error or "未知原因")
    elif isinstance(job, dict) and job.get("error") and asked:
        notice = view.failed(job["error"])
    else:
        notice = None
    return [view.generate_button(bool(running))], preview, notice, not pending


def generate(clicks, week_value, code):
    """Queue Word, Excel and PDF of the chosen week (those not built or under way), audited."""
    if not clicks:
        raise PreventUpdate
    try:
        region, week, now = _checked(week_value, code)
        with runtime.engine().begin() as conn:  # the request and its audit row commit together
            queued = jobs.request(conn, region.code, week, jobs.FILE_FORMATS, now, runtime.user().name)
            auth.audit_in(conn, "briefing_request", target=f"briefing:{region.code}:{week.label}",
                          detail={"region": region.code, "week": week.label, "builds": queued})
    except (RegionError, data.WeekError) as exc:
        return {"region": str(code)[:15], "week": str(week_value)[:8], "error": str(exc)}
    except DatabaseError:
        return {"region": str(code)[:15], "week": str(week_value)[:8], "error": "数据库暂时不可用，请稍后再试。"}
    return {"region": region.code, "week": week.label, "at": now.isoformat()}


def register(app) -> None:
    access.callback(app, access.READ, Output("brf-downloads", "children"), Output("brf-preview", "children"),
                    Output("brf-progress", "children"), Output("brf-poll", "disabled"),
                    Input("brf-week", "value"), Input("brf-job", "data"), Input("brf-poll", "n_intervals"),
                    State("brf-region", "data"))(show)
    access.callback(app, "export", Output("brf-job", "data"), Input("brf-generate", "n_clicks"),
                    State("brf-week", "value"), State("brf-region", "data"), audit="briefing_request",
                    prevent_initial_call=True)(generate)


VIEW = View("/briefing", "周报", page, register, nav=6)
