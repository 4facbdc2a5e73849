"""周报 builds: the queue of briefing files the scheduler's worker makes (table `briefing_build`).

A web request never makes a briefing: it `enqueue`s a row and later reads the stored bytes
(`latest` with the body). The worker (dashboard/briefing/jobs.py) takes one with `claim`, a
conditional UPDATE on the row's status and attempt count read just before, so of several
processes (gunicorn workers, the refresher, other hosts) only one builds it. A running row
whose worker stopped beating (`beat`) for the stuck period is claimed again, up to a number of
attempts, then given up (`give_up`). Each file has at most one pending row: `active_key` is
unique while the row is queued or running and NULL afterwards.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from .schema import app_user, briefing_build

FORMATS = ("preview", "docx", "xlsx", "pdf")  # preview: the page's summary and key figures, no file
PENDING = ("queued", "running")
b = briefing_build
# Everything but the file, for the page's polling (a city PDF is a megabyte).
META = [c for c in b.c if c.name != "body"]


def active_key(region_code: str, week: str, fmt: str) -> str:
    return f"{region_code}/{week}/{fmt}"


def _insert_ignoring_duplicates(conn: Connection):
    # One statement that skips the active_key another process inserted first (both dialects say ON CONFLICT).
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(briefing_build)


def enqueue(conn: Connection, region_code: str, week: str, fmt: str, as_of: dt.datetime,
            requested_by: str | None, now: dt.datetime) -> int:
    """The pending build of this file: a new queued row, or the one already queued or running
    (whoever asked first; its as_of stays). Returns its id."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown briefing format {fmt!r}")
    key = active_key(region_code, week, fmt)
    conn.execute(_insert_ignoring_duplicates(conn).values(
        region_code=region_code, week=week, format=fmt, as_of=as_of, status="queued", progress=0,
        active_key=key, requested_by=(requested_by or "")[:64] or None, requested_at=now, attempts=0,
    ).on_conflict_do_nothing())
    return conn.execute(select(b.c.id).where(b.c.active_key == key)).scalar_one()


def rows(conn: Connection, region_code: str, week: str, since: dt.datetime) -> dict:
    """{format: newest row (no body)} of the region's week among the pending ones and those
    whose figures are as of `since` or later (older ones are stale for this caller)."""
    got = conn.execute(select(*META).where(
        b.c.region_code == region_code, b.c.week == week,
        or_(b.c.status.in_(PENDING), b.c.as_of >= since)).order_by(b.c.id.desc())).all()
    out = {}
    for r in got:
        out.setdefault(r.format, r)
    return out


def latest(conn: Connection, region_code: str, week: str, fmt: str, since: dt.datetime):
    """The newest built file (with its body) whose figures are as of `since` or later, or None."""
    return conn.execute(select(b).where(
        b.c.region_code == region_code, b.c.week == week, b.c.format == fmt, b.c.status == "done",
        b.c.as_of >= since).order_by(b.c.as_of.desc(), b.c.id.desc()).limit(1)).first()


def get(conn: Connection, build_id: int):
    return conn.execute(select(b).where(b.c.id == build_id)).first()


def any_since(conn: Connection, region_code: str, week: str, fmt: str, since: dt.datetime) -> bool:
    """Whether this file was ever asked for with figures as of `since` or later (any status)."""
    return conn.execute(select(b.c.id).where(
        b.c.region_code == region_code, b.c.week == week, b.c.format == fmt,
        or_(b.c.status.in_(PENDING), b.c.as_of >= since)).limit(1)).first() is not None


# --- the worker's side ------------------------------------------------------------

def claimable(conn: Connection, stale_before: dt.datetime, limit: int = 20) -> list:
    """Queued rows, and running rows not heard of since `stale_before` (their worker died);
    people's requests before the scheduler's pre-builds, then oldest first."""
    return conn.execute(select(*META).where(or_(
        b.c.status == "queued", and_(b.c.status == "running", b.c.heartbeat_at < stale_before)))
        .order_by(b.c.requested_by.is_(None), b.c.requested_at, b.c.id).limit(limit)).all()


def claim(conn: Connection, row, worker: str, now: dt.datetime, stale_before: dt.datetime) -> bool:
    """Take `row` (as read by `claimable`) for `worker`; False when another process took it first."""
    return conn.execute(update(b).where(
        b.c.id == row.id, b.c.attempts == row.attempts,
        or_(b.c.status == "queued", and_(b.c.status == "running", b.c.heartbeat_at < stale_before)))
        .values(status="running", worker=worker[:64], attempts=row.attempts + 1, started_at=now,
                heartbeat_at=now, progress=5, error=None)).rowcount == 1


def siblings(conn: Connection, row) -> list:
    """The other queued files of the same region, week and as_of: one report makes them all."""
    return conn.execute(select(*META).where(
        b.c.region_code == row.region_code, b.c.week == row.week, b.c.as_of == row.as_of,
        b.c.status == "queued", b.c.id != row.id).order_by(b.c.id)).all()


def beat(conn: Connection, ids: list[int], worker: str, progress: int, now: dt.datetime) -> int:
    """Progress of the running builds `ids` that are still this worker's; how many were."""
    return conn.execute(update(b).where(b.c.id.in_(ids), b.c.worker == worker[:64], b.c.status == "running")
                        .values(progress=progress, heartbeat_at=now)).rowcount


def finish(conn: Connection, build_id: int, worker: str, now: dt.datetime, filename: str | None,
           body: bytes | None, preview: str) -> bool:
    """Store the result; older built copies of the same file are dropped (this one is newer).
    False when the row is no longer this worker's (it was reclaimed meanwhile)."""
    row = get(conn, build_id)
    done = conn.execute(update(b).where(b.c.id == build_id, b.c.worker == worker[:64], b.c.status == "running")
                        .values(status="done", progress=100, active_key=None, finished_at=now, heartbeat_at=now,
                                filename=filename, body=body, size=len(body) if body is not None else None,
                                sha256=hashlib.sha256(body).hexdigest() if body is not None else None,
                                preview=preview)).rowcount == 1
    if done:
        conn.execute(delete(b).where(b.c.region_code == row.region_code, b.c.week == row.week,
                                     b.c.format == row.format, b.c.status == "done", b.c.id != build_id,
                                     b.c.as_of <= row.as_of))
    return done


def fail(conn: Connection, build_id: int, worker: str | None, now: dt.datetime, error: str) -> bool:
    """Mark a build failed with a reason a person can read (shown on /briefing)."""
    where = [b.c.id == build_id, b.c.status.in_(PENDING)]
    if worker is not None:
        where.append(b.c.worker == worker[:64])
    return conn.execute(update(b).where(*where).values(
        status="failed", active_key=None, finished_at=now, error=error[:500])).rowcount == 1


def requeue(conn: Connection, build_id: int, worker: str) -> bool:
    """Hand a running build back to the queue (the database went away mid-build)."""
    return conn.execute(update(b).where(b.c.id == build_id, b.c.worker == worker[:64], b.c.status == "running")
                        .values(status="queued", progress=0, worker=None, started_at=None,
                                heartbeat_at=None)).rowcount == 1


def give_up(conn: Connection, row, now: dt.datetime, stale_before: dt.datetime, error: str) -> bool:
    """A stuck build that used all its attempts is failed (once, by whichever process sees it)."""
    return conn.execute(update(b).where(
        b.c.id == row.id, b.c.attempts == row.attempts, b.c.status == "running", b.c.heartbeat_at < stale_before)
        .values(status="failed", active_key=None, finished_at=now, error=error[:500])).rowcount == 1


def purge(conn: Connection, before: dt.datetime) -> int:
    """Drop finished builds older than `before` (the page offers the last 12 weeks)."""
    return conn.execute(delete(b).where(b.c.status.in_(("done", "failed")), b.c.requested_at < before)).rowcount


def analyst_regions(conn: Connection) -> list[str]:
    """The jurisdictions of the active analyst accounts (the Monday pre-build's regions)."""
    return list(conn.execute(select(app_user.c.scope_code).where(
        app_user.c.role == "analyst", app_user.c.active.is_(True)).distinct().order_by(app_user.c.scope_code)
    ).scalars())


def add(conn: Connection, **values) -> int:
    """A row as given (tests: a build left running by a worker that died)."""
    return conn.execute(insert(b).values(**values)).inserted_primary_key[0]


def forget(conn: Connection, region_code: str, week: str) -> int:
    """Drop every finished build of a region's week (a rebuild from scratch; the benchmark)."""
    return conn.execute(delete(b).where(b.c.region_code == region_code, b.c.week == week,
                                        b.c.status.in_(("done", "failed")))).rowcount
