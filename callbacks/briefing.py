"""周报 callbacks: the page (its region from the URL, weeks to choose), and on a week's choice
the download links and the preview. The files are served by dashboard/briefing/web.py."""
from __future__ import annotations

import logging

from dash import Input, Output, State

from data_access import DatabaseError, RegionError
from data_access import briefing as data
from data_access.scope import check_code
from data_access.timeutil import local_day
from dashboard import access, runtime
from dashboard.briefing import content
from dashboard.briefing.web import report_for
from layouts import briefing as view

from . import live
from .views import View

WEEKS_OFFERED = 12


def page(code: str | None):
    region, chain, _ = live.place(code)
    now = runtime.now()
    weeks = data.recent_weeks(now, WEEKS_OFFERED)
    complete = {w.label: w.complete(now) for w in weeks}
    return view.briefing_page(region, chain, view.week_options(weeks, complete),
                              data.last_complete_week(now).label)


def choose(week_value, code):
    """Any client can send anything: the week and the region are checked before use."""
    try:
        code = check_code(code)
        week = data.parse_week(week_value)
        now = runtime.now()
        week.span(now)
        scope = runtime.scope()
        report = report_for(scope, code, week, now)
    except (RegionError, data.WeekError) as exc:
        return [], view.error(str(exc))
    except DatabaseError:
        return [], view.error("数据库暂时不可用，请稍后再试。")
    except Exception:  # a bug must not leave the page blank
        logging.getLogger(__name__).exception("briefing preview failed: %s %s", code, week_value)
        return [], view.error("预览生成出错，已记录日志。")
    # Exports are an analyst's act (dashboard/auth.py gates the route too): others see the preview.
    links = view.downloads(code, week.label) if runtime.can("export") else view.no_export()
    return links, view.preview(content.build(report, local_day(now)))


def register(app) -> None:
    access.callback(app, access.READ, Output("brf-downloads", "children"), Output("brf-preview", "children"),
                    Input("brf-week", "value"), State("brf-region", "data"))(choose)


VIEW = View("/briefing", "周报", page, register, nav=6)
