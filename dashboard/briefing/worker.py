"""The 周报 worker: claims queued builds, makes the files once, stores them (dashboard/briefing/jobs.py
has the queue's web side; docs/briefing.md "Built off the web tier").

It runs in the scheduler's process only (dashboard/scheduler.py), the one place where briefing
charts are rendered: its ChartServer keeps one Chromium for the life of the process.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from typing import Callable

from sqlalchemy.engine import Engine

from data_access import DatabaseError, RegionError
from data_access import briefing as data
from data_access import briefing_builds as builds
from data_access.scope import scope_of
from data_access.timeutil import now as clock_now

from . import charts
from .files import FORMATS, from_report, needs_charts
from .jobs import GATHERED, KEEP_DAYS, MAX_ATTEMPTS, PREBUILD_FORMATS, WRITTEN, Config, preview_json

log = logging.getLogger(__name__)


class Worker:
    """Builds queued briefings, one region-week at a time. One per process (its ChartServer is
    the process's one Chromium); several processes share the queue safely."""

    def __init__(self, engine: Engine, config: Config, chart_server: charts.ChartServer | None = None,
                 holder: str | None = None, clock: Callable[[], dt.datetime] = clock_now):
        self.engine = engine
        self.config = config
        self.charts = chart_server or charts.ChartServer()
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:briefing"
        self.clock = clock
        self._scope = None

    # One pass of the scheduler's loop: the Monday pre-build, then every queued build.
    def run_pass(self, stop: threading.Event | None = None) -> int:
        self.prebuild()
        built = 0
        while not (stop is not None and stop.is_set()) and self.build_next():
            built += 1
        return built

    def prebuild(self, now: dt.datetime | None = None) -> int:
        """Queue last week's briefing (preview and the three files) of every analyst's region once,
        from Monday BRIEFING_PREBUILD_AT on (any later pass of that week catches up if the process
        was down); a file asked for or built since the week ended is left alone (a failed one
        too: a person can ask again on /briefing)."""
        delay = self.config.prebuild_delay()
        if delay is None:
            return 0
        now = now or self.clock()
        week = data.last_complete_week(now)
        if now < week.end + delay:  # late rows and the rollups' settling of Sunday come first
            return 0
        added = 0
        with self.engine.begin() as conn:
            builds.purge(conn, now - dt.timedelta(days=KEEP_DAYS))
            for code in builds.analyst_regions(conn):
                for fmt in PREBUILD_FORMATS:
                    if not builds.any_since(conn, code, week.label, fmt, week.end):
                        builds.enqueue(conn, code, week.label, fmt, now, None, now)
                        added += 1
        if added:
            log.info("briefing: pre-build of %s queued %d files", week.label, added)
        return added

    def _stale_before(self, now: dt.datetime) -> dt.datetime:
        return now - dt.timedelta(seconds=self.config.stuck_seconds)

    def claim_next(self) -> list | None:
        """Claim the next build and its queued siblings; their rows, or None when nothing waits."""
        now = self.clock()
        stale = self._stale_before(now)
        with self.engine.begin() as conn:
            for row in builds.claimable(conn, stale):
                if row.status == "running" and row.attempts >= MAX_ATTEMPTS:
                    if builds.give_up(conn, row, now, stale, "生成进程多次中断，已停止重试；请重新生成。"):
                        log.warning("briefing: build %d given up after %d attempts", row.id, row.attempts)
                    continue
                if row.status == "running":
                    log.warning("briefing: build %d of a stopped worker (%s) reclaimed", row.id, row.worker)
                if builds.claim(conn, row, self.holder, now, stale):
                    ids = [row.id] + [s.id for s in builds.siblings(conn, row)
                                      if builds.claim(conn, s, self.holder, now, stale)]
                    return [builds.get(conn, i) for i in ids]  # as claimed: attempts counted
        return None

    def build_next(self) -> bool:
        """Build one claimed group; False when nothing was waiting."""
        group = self.claim_next()
        if group is None:
            return False
        self.build(group)
        return True

    def _beat(self, ids: list[int], progress: int) -> None:
        with self.engine.begin() as conn:
            builds.beat(conn, ids, self.holder, progress, self.clock())

    def _scope_of(self, conn):
        if self._scope is None:
            self._scope = scope_of(conn, self.config.scope_code)
        return self._scope

    def build(self, group: list) -> None:
        first = group[0]
        ids = [r.id for r in group]
        formats = tuple(f for f in FORMATS if any(r.format == f for r in group))
        started = time.perf_counter()
        try:
            week = data.parse_week(first.week)
            with self.engine.connect() as conn:
                report = data.report(conn, self._scope_of(conn), first.region_code, week, first.as_of)
            self._beat(ids, GATHERED if needs_charts(formats) else WRITTEN)
            b, files, timings = from_report(report, first.as_of, formats, self.charts)
            preview = preview_json(b)
        except (RegionError, data.WeekError) as exc:
            self._fail(ids, str(exc))
            return
        except DatabaseError as exc:  # the database went away: back to the queue, the attempt counts
            log.warning("briefing: database unavailable while building %s (%s)", ids, type(exc).__name__)
            self._requeue(group)
            return
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the worker; the page says it failed
            log.exception("briefing: build %s failed", ids)
            self._fail(ids, f"周报生成出错（{type(exc).__name__}），已记录日志；请稍后重新生成。")
            return
        with self.engine.begin() as conn:
            now = self.clock()
            for r in group:
                body = files.get(r.format)
                name = b.filename(r.format) if body is not None else None
                if not builds.finish(conn, r.id, self.holder, now, name, body, preview):
                    log.warning("briefing: build %d was reclaimed by another worker; result dropped", r.id)
        log.info("briefing %s %s (%s) built in %.1f s: %s", first.region_code, first.week,
                 ",".join(r.format for r in group), time.perf_counter() - started,
                 ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))

    def _fail(self, ids: list[int], message: str) -> None:
        with self.engine.begin() as conn:
            for i in ids:
                builds.fail(conn, i, self.holder, self.clock(), message)

    def _requeue(self, group: list) -> None:
        try:
            with self.engine.begin() as conn:
                for r in group:
                    if r.attempts >= MAX_ATTEMPTS:
                        builds.fail(conn, r.id, self.holder, self.clock(), "数据库暂时不可用，周报未能生成；请稍后重新生成。")
                    else:
                        builds.requeue(conn, r.id, self.holder)
        except DatabaseError:  # still away: the rows stay running and are reclaimed when stuck
            pass

    def close(self) -> None:
        self.charts.close()


def loop(worker: Worker, seconds: float, defer: Callable[[], bool] | None, stop: threading.Event,
         deferring: Callable[[Callable[[], bool]], bool]) -> None:
    """The scheduler's briefing thread: a pass every `seconds` while this process does the work;
    its Chromium is closed when the scheduler stops."""
    try:
        while not stop.wait(seconds):
            if defer is not None and deferring(defer):
                continue
            try:
                worker.run_pass(stop)
            except DatabaseError as exc:
                log.warning("briefing worker: database unavailable (%s)", type(exc).__name__)
            except Exception:  # a bug must not stop the builds for good
                log.exception("briefing worker failed")
    finally:
        worker.close()
