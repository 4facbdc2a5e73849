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

from .timeutil import now as clock_now

cache = Cache()

LOCK_SECONDS = 30      # a lock outlives the slowest honest computation, not a dead worker for long
WAIT_SECONDS = 20.0    # how long a request without an older value waits for the holder
POLL_SECONDS = 0.02
LATEST_BUCKETS = 12    # the latest value stays this many buckets (at least a minute) for stale answers
_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()
stats = {"computed": 0, "waited": 0, "stale": 0, "background": 0, "handed_off": 0}  # per process, for benchmarks

# A refresher process (run_refresher) can take the live snapshots' computations off the web
# workers: they then only note which (kind, scope, region) screens are watching, and answer
# from the latest value; the refresher computes each watched one once per bucket. Without a
# refresher alive (its heartbeat key), a web worker computes in a thread of its own.
JOBS: dict[str, Callable] = {}   # kind -> job(scope_code, region_code, now) -> value to store
ACTIVE_KEY = "rg:refresher:watched"
ALIVE_KEY = "rg:refresher:alive"
WATCH_SECONDS = 60      # a (kind, scope, region) no screen asked for this long is no longer refreshed
_alive = {"checked": 0.0, "alive": False}


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
            compute: Callable[[], object], handoff: bool = False) -> None:
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
                               (max(2 * int(seconds), 10), max(LATEST_BUCKETS * int(seconds), 60)), compute,
                               (kind, scope_code, region_code or "", seconds) if handoff else None)


def remember(kind: str, scope_code: str, region_code: str | None, now: dt.datetime,
             seconds: int, compute: Callable[[], object], stale_ok: bool = True, background: bool = False,
             handoff: bool = False, keep_latest: bool = False):
    """The bucket's value: cached, else computed once for everybody (see the module doc).

    `stale_ok`: while another process computes this bucket, answer with the latest value
    if there is one; False waits for the new one. `background`: answer with the latest
    value at once and compute the new one in a thread (live ticks and pages); `handoff`: or let
    the refresher process compute it when one runs (the kind must be in JOBS). The latest value
    is also kept (for `peek_latest` and stale answers) with `background` or `keep_latest`; other
    callers (reports, files) are not held twice.
    """
    if not active():
        return compute()
    n = bucket(now, seconds)
    key = key_of(kind, scope_code, region_code, n)
    latest = key_of(kind, scope_code, region_code, "latest") if (background or keep_latest) else None
    timeouts = (max(2 * int(seconds), 10), max(LATEST_BUCKETS * int(seconds), 60))
    hit = _get(key)
    if hit is not None:
        return hit
    if background:
        older = _get(latest)
        if older is not None:
            _refresh_in_background(key, latest, timeouts, compute,
                                   (kind, scope_code, region_code or "", seconds) if handoff else None)
            stats["stale"] += 1
            return older
    if _shared():
        return _remember_shared(key, latest, timeouts, compute, stale_ok)
    return _remember_local(key, latest, timeouts, compute)


def _compute_and_store(key, latest, timeouts, compute):
    value = compute()
    stats["computed"] += 1
    _set(key, value, timeouts[0])
    if latest is not None:
        _set(latest, value, timeouts[1])
    return value


def _local(lock: str) -> str:
    """A process-local lock's name: per app, like the SimpleCache it guards."""
    return f"{id(current_app._get_current_object())}:{lock}"


def _take(lock: str) -> bool:
    """The computation's lock for this bucket: Redis SET NX, or a process-local lock."""
    if _shared():
        try:
            return bool(cache.add(lock, f"{os.getpid()}:{threading.get_ident()}", timeout=LOCK_SECONDS))
        except Exception:
            return True  # no lock service: compute, as without a cache
    with _local_guard:
        held = _local_locks.setdefault(_local(lock), threading.Lock())
    return held.acquire(blocking=False)


def _release(lock: str) -> None:
    if _shared():
        try:
            cache.delete(lock)
        except Exception:
            pass
        return
    with _local_guard:
        held = _local_locks.pop(_local(lock), None)
    if held is not None and held.locked():
        held.release()


def _redis():
    backend = getattr(cache, "cache", None)
    return getattr(backend, "_write_client", None)


def refresher_alive() -> bool:
    """Is a refresher process beating (checked at most once a second per process)?"""
    now = time.monotonic()
    if now - _alive["checked"] > 1.0:
        _alive["checked"] = now
        try:
            client = _redis()
            _alive["alive"] = bool(client is not None and client.exists(ALIVE_KEY))
        except Exception:
            _alive["alive"] = False
    return _alive["alive"]


def _hand_off(job: tuple | None) -> bool:
    """Note a watched (kind, scope, region, seconds) for the refresher; False when none runs."""
    if job is None or job[0] not in JOBS or not _shared() or not refresher_alive():
        return False
    try:
        _redis().hset(ACTIVE_KEY, "|".join(str(p) for p in job), time.time())
    except Exception:
        return False
    stats["handed_off"] += 1
    return True


_marked: dict[str, float] = {}


def watch(kind: str, scope_code: str, region_code: str | None, seconds: int) -> None:
    """A screen is watching: keep this (kind, scope, region) on the refresher's list (one write
    per process every few seconds at most, not one per tick)."""
    if kind not in JOBS or not _shared() or not refresher_alive():
        return
    name = f"{kind}|{scope_code}|{region_code or ''}|{seconds}"
    now = time.monotonic()
    if now - _marked.get(name, -1e9) < WATCH_SECONDS / 6:
        return
    _marked[name] = now
    try:
        _redis().hset(ACTIVE_KEY, name, time.time())
    except Exception:
        pass


def _refresh_in_background(key, latest, timeouts, compute, job=None) -> None:
    if _hand_off(job):
        return
    lock = f"{key}:lock"
    if not _take(lock):
        return  # someone is on it
    app = current_app._get_current_object()

    def run():
        with app.app_context():  # the release too: the lock is found through the app
            try:
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
    if stale_ok and latest is not None:
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
    lock = _local(f"{key}:lock")
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


def run_refresher(app, stop: threading.Event | None = None) -> None:
    """The refresher process's loop: beat, and compute every watched (kind, scope, region) once
    per bucket under the same lock as the web workers. Computations beyond a bucket's length
    simply make the screens' numbers one bucket older; nothing queues up."""
    stop = stop or threading.Event()
    log = app.logger
    with app.app_context():
        client = _redis()
        if client is None:
            raise SystemExit("the refresher needs CACHE_REDIS_URL (Redis shared with the web workers)")
        try:
            _refresh_loop(client, stop, log)
        finally:
            client.delete(ALIVE_KEY)  # the web workers compute again at once


def _refresh_loop(client, stop, log) -> None:
    while not stop.is_set():
        client.set(ALIVE_KEY, os.getpid(), ex=15)
        started = time.time()
        watched = client.hgetall(ACTIVE_KEY)
        for raw, seen in watched.items():
            name = raw.decode() if isinstance(raw, bytes) else raw
            if started - float(seen) > WATCH_SECONDS:
                client.hdel(ACTIVE_KEY, name)
                continue
            kind, scope_code, region_code, seconds = name.split("|")
            if kind not in JOBS:
                continue
            at = clock_now()
            seconds = int(seconds)
            key = key_of(kind, scope_code, region_code or None, bucket(at, seconds))
            if cache.has(key) or not _take(f"{key}:lock"):
                continue
            try:
                _compute_and_store(key, key_of(kind, scope_code, region_code or None, "latest"),
                                   (max(2 * seconds, 10), max(LATEST_BUCKETS * seconds, 60)),
                                   lambda: JOBS[kind](scope_code, region_code or None, at))
                stats["background"] += 1
            except Exception:  # noqa: BLE001 - one region's failure must not stop the others
                log.exception("refresher: %s failed", name)
            finally:
                _release(f"{key}:lock")
        # Wake just after the next bucket edge of the shortest period watched.
        period = min((int(n.decode().rsplit("|", 1)[1]) if isinstance(n, bytes) else int(n.rsplit("|", 1)[1])
                      for n in watched), default=5)
        stop.wait(max(0.2, period - (time.time() % period) + 0.05))

