"""The warnings evaluator inside the app process group.

Every worker runs this thread; a lease (data_access/lease.py) lets one of them
evaluate per interval, so several gunicorn workers or hosts do not duplicate work.
Off unless WARNINGS_EVALUATE_SECONDS > 0 (tests and read-only replicas leave it off).
Each interval: the rollups' catch-up; every ROLLUPS_RECONCILE_SECONDS (real time, whichever
process holds the 'rollups' lease) their reconcile pass (corrections and deletions in settled
days, data_access/rollups.py); the warning rules; the text readings. Beside it, a second thread
delivers the off-screen alerts every ALERTS_DELIVER_SECONDS (dashboard/notify.py), so a slow
receiver never delays the rules; a third builds the queued 周报 files and Monday's pre-build every
BRIEFING_WORKER_SECONDS (dashboard/briefing/worker.py), so a 20-50 s city build delays neither.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from data_access import DatabaseError, lease, opinion_readings, rollups, warning_desk, warnings
from data_access.engine import create_schema
from data_access.timeutil import now as clock_now

from . import notify, settings
from .briefing import jobs as briefing_jobs
from .cases import link as cases_link

log = logging.getLogger(__name__)


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def evaluate_once(engine: Engine, seconds: float, holder: str | None = None) -> list[dict] | None:
    """Evaluate when this process holds the lease; None when another process does."""
    at = clock_now()
    with engine.begin() as conn:
        if not lease.try_take(conn, "warnings", holder or holder_id(), at, seconds * 1.5):
            return None
        raised = warnings.evaluate(conn, at)
        moved = warning_desk.escalate(conn, at)
        if moved:
            log.info("warnings: escalated %d", len(moved))
        return raised


def _deferring(defer: Callable[[], bool]) -> bool:
    try:
        return bool(defer())
    except Exception:  # noqa: BLE001 - cannot tell: do the work (a duplicate pass is harmless, a missed one is not)
        return False


def reconcile_once(engine: Engine, seconds: float, every: float, holder: str | None = None) -> dict | None:
    """The rollups' reconcile pass when it is due (the last by any process `every` s ago) and this
    process holds the 'rollups' lease; None when another process does; {"due": False} when not due."""
    result = rollups.reconcile_engine(engine, clock_now(), holder or holder_id(), max(seconds * 10, 600), every=every)
    if result and any(result.get(k) for k in ("rollup_incident_day", "rollup_appeal_day", "patrol_cells")):
        log.info("rollups reconcile: re-derived %s", result)
    return result


def deliver_alerts(engine: Engine, config: notify.Config) -> dict | None:
    """One pass of the off-screen alerts worker; None when the database did not answer."""
    try:
        counts = notify.deliver_once(engine, clock_now, config)
    except IntegrityError:  # two processes planned the same deliveries at once: the next pass goes on
        log.info("alerts: another worker is planning")
        return None
    except DatabaseError as exc:
        log.warning("alerts: database unavailable (%s)", type(exc).__name__)
        return None
    if counts["sent"] or counts["failed"]:
        log.info("alerts: %s", counts)
    return counts


def _alerts_loop(engine: Engine, seconds: float, config: notify.Config, defer, stop: threading.Event) -> None:
    while not stop.wait(seconds):  # first pass after one interval: the evaluator prepares the tables
        if defer is not None and _deferring(defer):
            continue
        try:
            deliver_alerts(engine, config)
        except Exception:  # a bug must not stop the deliveries for good
            log.exception("alerts delivery failed")


def _briefing_loop(engine: Engine, seconds: float, config, defer, stop: threading.Event) -> None:
    # The writers and kaleido load here, in the thread, not with the app: a web worker that defers
    # to the refresher never pays their ~2.5 s and memory (not an import loop).
    from .briefing import worker
    worker.loop(worker.Worker(engine, config), seconds, defer, stop, _deferring)


def start(engine: Engine, seconds: float, defer: Callable[[], bool] | None = None,
          reconcile_seconds: float | None = None, alerts_seconds: float | None = None,
          briefing_seconds: float | None = None) -> threading.Event | None:
    """Start the evaluator thread; set the returned event to stop it. While `defer()` says so
    (a web worker while a refresher process beats) the thread leaves the work to that process:
    a 2-3 s evaluation holding a web worker's interpreter made its screens' ticks wait.
    `reconcile_seconds`: the rollups' reconcile period (None: the ROLLUPS_RECONCILE_SECONDS
    setting; 0: never). `alerts_seconds`: the off-screen alerts' period (None: the
    ALERTS_DELIVER_SECONDS setting; 0: off). `briefing_seconds`: the briefing worker's period (None:
    the BRIEFING_WORKER_SECONDS setting; 0: off)."""
    if seconds <= 0:
        return None
    values = settings.load()
    if reconcile_seconds is None:
        reconcile_seconds = float(values["ROLLUPS_RECONCILE_SECONDS"])
    if alerts_seconds is None:
        alerts_seconds = float(values["ALERTS_DELIVER_SECONDS"])
    stop = threading.Event()
    if alerts_seconds > 0:
        threading.Thread(target=_alerts_loop, args=(engine, alerts_seconds, notify.Config.from_settings(values),
                                                    defer, stop), name="alerts-delivery", daemon=True).start()
    if briefing_seconds is None:
        briefing_seconds = float(values["BRIEFING_WORKER_SECONDS"])
    if briefing_seconds > 0:  # 周报 builds in their own thread: a 20-50 s city build never delays the rules
        threading.Thread(target=_briefing_loop, args=(engine, briefing_seconds, briefing_jobs.Config.from_settings(values),
                                                      defer, stop), name="briefing-worker", daemon=True).start()

    def loop():
        try:
            create_schema(engine)  # the dashboard's own tables, on a database seeded by an older version
        except DatabaseError as exc:
            log.warning("warnings evaluator: cannot prepare tables (%s)", type(exc).__name__)
        while not stop.is_set():
            if defer is not None and _deferring(defer):
                stop.wait(seconds)
                continue
            try:  # settle the rollups first (one process at a time; data_access/rollups.py)
                rollups.catch_up_engine(engine, clock_now(), holder_id(), max(seconds * 10, 600))
            except DatabaseError as exc:
                log.warning("rollups catch-up: database unavailable (%s)", type(exc).__name__)
            except Exception:
                log.exception("rollups catch-up failed")
            if reconcile_seconds > 0:
                try:  # corrections and deletions in settled days, every reconcile_seconds
                    reconcile_once(engine, seconds, reconcile_seconds)
                except IntegrityError:  # two workers created the lease row at once
                    log.info("rollups reconcile: lease taken by another worker")
                except DatabaseError as exc:
                    log.warning("rollups reconcile: database unavailable (%s)", type(exc).__name__)
                except Exception:
                    log.exception("rollups reconcile failed")
            try:  # 一事一码: new reports linked into cases before the rules count events (dashboard/cases)
                cases_link.link_engine(engine, clock_now(), holder_id(), max(seconds * 10, 600))
            except IntegrityError:  # two workers created the lease row at once
                log.info("cases: another worker is linking")
            except DatabaseError as exc:
                log.warning("cases: database unavailable (%s)", type(exc).__name__)
            except Exception:
                log.exception("cases linking failed")
            try:
                raised = evaluate_once(engine, seconds)
                if raised:
                    log.info("warnings: raised %d", len(raised))
            except IntegrityError:  # two workers created the lease row at once: the other one won
                log.info("warnings evaluator: lease taken by another worker")
            except DatabaseError as exc:  # the database went away: try again next interval
                log.warning("warnings evaluator: database unavailable (%s)", type(exc).__name__)
            except Exception:  # a bug in one rule must not stop the evaluator for good
                log.exception("warnings evaluator failed")
            # After the warnings: the first fill of a city reads ~100,000 texts (~40 s).
            try:  # the barometer's text readings of new appeals (data_access/opinion_readings.py)
                opinion_readings.fill_engine(engine, clock_now(), holder_id(), max(seconds * 10, 600))
            except IntegrityError:  # two workers created the lease row at once, or filled the same rows
                log.info("opinion readings: another worker is filling")
            except DatabaseError as exc:
                log.warning("opinion readings: database unavailable (%s)", type(exc).__name__)
            except Exception:
                log.exception("opinion readings fill failed")
            stop.wait(seconds)
    threading.Thread(target=loop, name="warnings-evaluator", daemon=True).start()
    return stop
