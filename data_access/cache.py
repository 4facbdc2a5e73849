"""Shared snapshots: one computation per (query, scope, region, time bucket).

The flask-caching backend is SimpleCache per process, or Redis when
CACHE_REDIS_URL is set so every worker and host shares one copy. Outside a
Flask app (CLI, tests of the data layer) values are computed directly.
Values are plain dicts and lists, never DataFrames, so any backend can hold them.

At a bucket edge every screen asks for the new bucket at about the same moment.
Only one computes it: a short lock (Redis SET NX with an expiry, shared by every
worker and host; a per-key thread lock with SimpleCache, whose values live in
one process anyway). The others answer from the latest value while the new one
is computed (a live screen then simply gets it on its next tick), or wait for it
when there is none, and compute it themselves only if the lock holder died.

Live ticks go one step further (`background=True`): when the latest value is there,
even the lock holder answers with it at once and computes the new bucket in a
thread of its own, so no screen's tick waits for a computation; the numbers on
screen are then at most one bucket (REFRESH_SECONDS) older than the clock.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
from typing import Callable

from flask import current_app, has_app_context
from flask_caching import Cache

cache = Cache()

LOCK_SECONDS = 30      # a lock outlives the slowest honest computation, not a dead worker for long
WAIT_SECONDS = 20.0    # how long a request without an older value waits for the holder
POLL_SECONDS = 0.02
LATEST_BUCKETS = 12    # the latest value stays this many buckets (at least a minute) for stale answers
_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()
stats = {"computed": 0, "waited": 0, "stale": 0, "background": 0}  # per process, read by the benchmarks


def bucket(now: dt.datetime, seconds: int) -> int:
    return int(now.timestamp()) // max(1, int(seconds))


def key_of(kind: str, scope_code: str, region_code: str | None, n: int) -> str:
    return f"rg:{kind}:{scope_code}:{region_code or '-'}:{n}"


def active() -> bool:
    return has_app_context() and "cache" in current_app.extensions


def _shared() -> bool:
    """True when the backend is shared between processes (Redis)."""
    backend = getattr(cache, "cache", None)
    return type(backend).__name__.startswith("Redis")


def _get(key):
    try:
        return cache.get(key)
    except Exception:  # a cache that went away must not take the screen with it
        return None


def _set(key, value, timeout) -> None:
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:
        pass


def peek(kind: str, scope_code: str, region_code: str | None, now: dt.datetime, seconds: int):
    """The value of this bucket if someone computed it, else None (never computes)."""
    if not active():
        return None
    return _get(key_of(kind, scope_code, region_code, bucket(now, seconds)))


def peek_latest(kind: str, scope_code: str, region_code: str | None):
    """The latest value stored for this kind and region, of whatever bucket (None: none)."""
    if not active():
        return None
    return _get(key_of(kind, scope_code, region_code, "latest"))


def put(kind: str, scope_code: str, region_code: str | None, now: dt.datetime, seconds: int, value) -> None:
    """Store a value for this bucket, and as the latest (a small companion of a snapshot,
    e.g. its signature)."""
    if active():
        _set(key_of(kind, scope_code, region_code, bucket(now, seconds)), value, max(2 * int(seconds), 10))
        _set(key_of(kind, scope_code, region_code, "latest"), value, max(LATEST_BUCKETS * int(seconds), 60))


def refresh(kind: str, scope_code: str, region_code: str | None, now: dt.datetime, seconds: int,
            compute: Callable[[], object]) -> None:
    """Make sure this bucket gets computed, in a thread, without reading any value."""
    if not active():
        return
    key = key_of(kind, scope_code, region_code, bucket(now, seconds))
    try:
        there = bool(cache.has(key))
    except Exception:
        there = False
    if not there:
        _refresh_in_background(key, key_of(kind, scope_code, region_code, "latest"),
                               (max(2 * int(seconds), 10), max(LATEST_BUCKETS * int(seconds), 60)), compute)


def remember(kind: str, scope_code: str, region_code: str | None, now: dt.datetime,
             seconds: int, compute: Callable[[], object], stale_ok: bool = True, background: bool = False):
    """The bucket's value: cached, else computed once for everybody (see the module doc).

    `stale_ok`: while another process computes this bucket, answer with the latest value
    if there is one; False waits for the new one. `background`: answer with the latest
    value at once and compute the new one in a thread (live ticks and pages).
    """
    if not active():
        return compute()
    n = bucket(now, seconds)
    key = key_of(kind, scope_code, region_code, n)
    latest = key_of(kind, scope_code, region_code, "latest")
    timeouts = (max(2 * int(seconds), 10), max(LATEST_BUCKETS * int(seconds), 60))
    hit = _get(key)
    if hit is not None:
        return hit
    if background:
        older = _get(latest)
        if older is not None:
            _refresh_in_background(key, latest, timeouts, compute)
            stats["stale"] += 1
            return older
    if _shared():
        return _remember_shared(key, latest, timeouts, compute, stale_ok)
    return _remember_local(key, latest, timeouts, compute)


def _compute_and_store(key, latest, timeouts, compute):
    value = compute()
    stats["computed"] += 1
    _set(key, value, timeouts[0])
    _set(latest, value, timeouts[1])
    return value


def _take(lock: str) -> bool:
    """The computation's lock for this bucket: Redis SET NX, or a process-local lock."""
    if _shared():
        try:
            return bool(cache.add(lock, f"{os.getpid()}:{threading.get_ident()}", timeout=LOCK_SECONDS))
        except Exception:
            return True  # no lock service: compute, as without a cache
    with _local_guard:
        held = _local_locks.setdefault(lock, threading.Lock())
    return held.acquire(blocking=False)


def _release(lock: str) -> None:
    if _shared():
        try:
            cache.delete(lock)
        except Exception:
            pass
        return
    with _local_guard:
        held = _local_locks.pop(lock, None)
    if held is not None and held.locked():
        held.release()


def _refresh_in_background(key, latest, timeouts, compute) -> None:
    lock = f"{key}:lock"
    if not _take(lock):
        return  # someone is on it
    app = current_app._get_current_object()

    def run():
        try:
            with app.app_context():
                if _get(key) is None:
                    _compute_and_store(key, latest, timeouts, compute)
                    stats["background"] += 1
        except Exception:  # noqa: BLE001 - the next tick tries again; the screen keeps its numbers
            app.logger.exception("background refresh of %s failed", key)
        finally:
            _release(lock)
    threading.Thread(target=run, name="snapshot-refresh", daemon=True).start()


def _remember_shared(key, latest, timeouts, compute, stale_ok):
    lock = f"{key}:lock"
    try:
        mine = bool(cache.add(lock, f"{os.getpid()}:{threading.get_ident()}", timeout=LOCK_SECONDS))
    except Exception:
        mine = True  # no lock service: compute, as without a cache
    if mine:
        try:
            return _compute_and_store(key, latest, timeouts, compute)
        finally:
            try:
                cache.delete(lock)
            except Exception:
                pass
    if stale_ok:
        older = _get(latest)
        if older is not None:
            stats["stale"] += 1
            return older
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        hit = _get(key)
        if hit is not None:
            stats["waited"] += 1
            return hit
        try:
            if cache.get(lock) is None:  # the holder failed or died: do it ourselves
                break
        except Exception:
            break
    return _compute_and_store(key, latest, timeouts, compute)


def _remember_local(key, latest, timeouts, compute):
    lock = f"{key}:lock"
    with _local_guard:
        held = _local_locks.setdefault(lock, threading.Lock())
    try:
        with held:  # a background refresh of the same bucket holds it too: wait for it
            hit = _get(key)
            if hit is not None:
                stats["waited"] += 1
                return hit
            return _compute_and_store(key, latest, timeouts, compute)
    finally:
        with _local_guard:
            if _local_locks.get(lock) is held:
                del _local_locks[lock]
