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

Three ways to ask, one function each:
- `remember`: the bucket's value, computed once; the others wait for it (reports, pages).
- `remember_latest`: the same, and kept as the latest value too; while another process
  computes, the latest is answered at once (renderings shared by screens).
- `live_value`: live ticks never wait: with a latest value there, even the lock holder
  answers with it at once and the new bucket is computed in a thread of its own, or by
  the refresher process when one beats; the numbers on screen are then at most one
  bucket (REFRESH_SECONDS) older than the clock.

The per-process state (locks, counters, the refresher's heartbeat as last seen) is
a `SnapshotState` owned by the Flask app (`init_app`), not module globals.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
from typing import Callable

from flask import current_app, has_app_context
from flask_caching import Cache
from sqlalchemy.exc import SQLAlchemyError

from .timeutil import now as clock_now

cache = Cache()

LOCK_SECONDS = 30      # a lock outlives the slowest honest computation, not a dead worker for long
WAIT_SECONDS = 20.0    # how long a request without an older value waits for the holder
POLL_SECONDS = 0.02
LATEST_BUCKETS = 12    # the latest value stays this many buckets (at least a minute) for stale answers

# A refresher process (run_refresher) can take the live snapshots' computations off the web
# workers: they then only note which (kind, scope, region) screens are watching, and answer
# from the latest value; the refresher computes each watched one once per bucket. Without a
# refresher alive (its heartbeat key), a web worker computes in a thread of its own.
ACTIVE_KEY = "rg:refresher:watched"
ALIVE_KEY = "rg:refresher:alive"
WATCH_SECONDS = 60      # a (kind, scope, region) no screen asked for this long is no longer refreshed
STATE_KEY = "redgrid.snapshots"


class SnapshotState:
    """What one app's process knows of the shared snapshots."""

    def __init__(self) -> None:
        self.stats = {"computed": 0, "waited": 0, "stale": 0, "background": 0, "handed_off": 0}  # for benchmarks
        self.locks: dict[str, threading.Lock] = {}  # process-local locks (SimpleCache)
        self.guard = threading.Lock()
        self.alive_checked = 0.0
        self.alive = False
        self.marked: dict[str, float] = {}  # watched names last written, so a tick writes rarely


def init_app(server, config: dict) -> None:
    """The cache backend and this app's snapshot state."""
    cache.init_app(server, config=config)
    server.extensions[STATE_KEY] = SnapshotState()


def state() -> SnapshotState:
    return current_app.extensions.setdefault(STATE_KEY, SnapshotState())


def bucket(now: dt.datetime, seconds: int) -> int:
    return int(now.timestamp()) // max(1, int(seconds))


def key_of(kind: str, scope_code: str, region_code: str | None, n) -> str:
    return f"rg:{kind}:{scope_code}:{region_code or '-'}:{n}"


def _timeouts(seconds: int) -> tuple[int, int]:
    """How long a bucket's value and the latest value are kept."""
    return max(2 * int(seconds), 10), max(LATEST_BUCKETS * int(seconds), 60)


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


def _delete(key) -> None:
    try:
        cache.delete(key)
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
        short, long = _timeouts(seconds)
        _set(key_of(kind, scope_code, region_code, bucket(now, seconds)), value, short)
        _set(key_of(kind, scope_code, region_code, "latest"), value, long)


def _failed_key(kind: str, scope_code: str, region_code: str | None) -> str:
    return key_of(f"{kind}#failed", scope_code, region_code, "latest")


def failed(kind: str, scope_code: str, region_code: str | None) -> bool:
    """Did the last computation of this live value fail on the database (in a thread here, in
    another worker or in the refresher)? Then the latest value is no longer the current one:
    a screen showing it must say 数据延迟 instead of "unchanged"."""
    return active() and _get(_failed_key(kind, scope_code, region_code)) is not None


class _Slot:
    """One bucket of one kind: its key, its latest key, their timeouts."""

    def __init__(self, kind, scope_code, region_code, now, seconds, keep_latest: bool):
        self.key = key_of(kind, scope_code, region_code, bucket(now, seconds))
        self.latest = key_of(kind, scope_code, region_code, "latest") if keep_latest else None
        self.failed = _failed_key(kind, scope_code, region_code) if keep_latest else None
        self.timeouts = _timeouts(seconds)
        self.job = (kind, scope_code, region_code or "", seconds)

    def store(self, compute):
        try:
            value = compute()
        except SQLAlchemyError:
            if self.failed is not None:  # seen by every worker's next tick (`failed`)
                _set(self.failed, time.time(), self.timeouts[1])
            raise
        state().stats["computed"] += 1
        _set(self.key, value, self.timeouts[0])
        if self.latest is not None:
            _set(self.latest, value, self.timeouts[1])
            _delete(self.failed)
        return value


def remember(kind: str, scope_code: str, region_code: str | None, now: dt.datetime, seconds: int,
             compute: Callable[[], object]):
    """The bucket's value: cached, else computed once for everybody; the others wait for it."""
    if not active():
        return compute()
    return _computed_once(_Slot(kind, scope_code, region_code, now, seconds, False), compute, stale_ok=False)


def remember_latest(kind: str, scope_code: str, region_code: str | None, now: dt.datetime, seconds: int,
                    compute: Callable[[], object]):
    """As `remember`, and kept as the latest value: while another process computes this bucket,
    the latest is answered at once instead of waiting."""
    if not active():
        return compute()
    return _computed_once(_Slot(kind, scope_code, region_code, now, seconds, True), compute, stale_ok=True)


def live_value(kind: str, scope_code: str, region_code: str | None, now: dt.datetime, seconds: int,
               compute: Callable[[], object], handoff: bool = True):
    """A live tick's value: the latest at once when there is one, the new bucket computed in a
    thread (or handed to the refresher process when one beats and `handoff`), so no tick waits."""
    if not active():
        return compute()
    slot = _Slot(kind, scope_code, region_code, now, seconds, True)
    hit = _get(slot.key)
    if hit is not None:
        return hit
    older = _get(slot.latest)
    if older is not None:
        _in_background(slot, compute, handoff)
        state().stats["stale"] += 1
        return older
    return _computed_once(slot, compute, stale_ok=True)


def current_value(kind: str, scope_code: str, region_code: str | None, now: dt.datetime, seconds: int,
                  compute: Callable[[], object]):
    """This bucket's live value, never an older one: computed now if missing (once for every
    screen; the others wait). A screen under the 数据延迟 mark asks this, so that it leaves the
    mark only with data of now and stays under it while the database is away."""
    if not active():
        return compute()
    return _computed_once(_Slot(kind, scope_code, region_code, now, seconds, True), compute, stale_ok=False)


def refresh(kind: str, scope_code: str, region_code: str | None, now: dt.datetime, seconds: int,
            compute: Callable[[], object], handoff: bool = True) -> None:
    """Make sure this bucket gets computed, in a thread (or by the refresher), reading no value."""
    if not active():
        return
    slot = _Slot(kind, scope_code, region_code, now, seconds, True)
    try:
        there = bool(cache.has(slot.key))
    except Exception:
        there = False
    if not there:
        _in_background(slot, compute, handoff)


def _computed_once(slot: _Slot, compute, stale_ok: bool):
    hit = _get(slot.key)
    if hit is not None:
        return hit
    if _shared():
        return _shared_once(slot, compute, stale_ok)
    return _local_once(slot, compute)


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
    st = state()
    with st.guard:
        held = st.locks.setdefault(_local(lock), threading.Lock())
    return held.acquire(blocking=False)


def _release(lock: str) -> None:
    if _shared():
        try:
            cache.delete(lock)
        except Exception:
            pass
        return
    st = state()
    with st.guard:
        held = st.locks.pop(_local(lock), None)
    if held is not None and held.locked():
        held.release()


def _redis():
    backend = getattr(cache, "cache", None)
    return getattr(backend, "_write_client", None)


def refresher_alive() -> bool:
    """Is a refresher process beating (checked at most once a second per process)?"""
    st, now = state(), time.monotonic()
    if now - st.alive_checked > 1.0:
        st.alive_checked = now
        try:
            client = _redis()
            st.alive = bool(client is not None and client.exists(ALIVE_KEY))
        except Exception:
            st.alive = False
    return st.alive


def _hand_off(job: tuple) -> bool:
    """Note a watched (kind, scope, region, seconds) for the refresher; False when none runs."""
    if not _shared() or not refresher_alive():
        return False
    try:
        _redis().hset(ACTIVE_KEY, "|".join(str(p) for p in job), time.time())
    except Exception:
        return False
    state().stats["handed_off"] += 1
    return True


def watch(kind: str, scope_code: str, region_code: str | None, seconds: int) -> None:
    """A screen is watching: keep this (kind, scope, region) on the refresher's list (one write
    per process every few seconds at most, not one per tick)."""
    if not _shared() or not refresher_alive():
        return
    name = f"{kind}|{scope_code}|{region_code or ''}|{seconds}"
    st, now = state(), time.monotonic()
    if now - st.marked.get(name, -1e9) < WATCH_SECONDS / 6:
        return
    st.marked[name] = now
    try:
        _redis().hset(ACTIVE_KEY, name, time.time())
    except Exception:
        pass


def _in_background(slot: _Slot, compute, handoff: bool) -> None:
    if handoff and _hand_off(slot.job):
        return
    lock = f"{slot.key}:lock"
    if not _take(lock):
        return  # someone is on it
    app = current_app._get_current_object()

    def run():
        with app.app_context():  # the release too: the lock is found through the app
            try:
                if _get(slot.key) is None:
                    slot.store(compute)
                    state().stats["background"] += 1
            except Exception:  # noqa: BLE001 - the next tick tries again; the screen keeps its numbers
                app.logger.exception("background refresh of %s failed", slot.key)
            finally:
                _release(lock)
    threading.Thread(target=run, name="snapshot-refresh", daemon=True).start()


def _shared_once(slot: _Slot, compute, stale_ok: bool):
    lock = f"{slot.key}:lock"
    if _take(lock):
        try:
            return slot.store(compute)
        finally:
            _release(lock)
    if stale_ok and slot.latest is not None:
        older = _get(slot.latest)
        if older is not None:
            state().stats["stale"] += 1
            return older
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        hit = _get(slot.key)
        if hit is not None:
            state().stats["waited"] += 1
            return hit
        try:
            if cache.get(lock) is None:  # the holder failed or died: do it ourselves
                break
        except Exception:
            break
    return slot.store(compute)


def _local_once(slot: _Slot, compute):
    st = state()
    lock = _local(f"{slot.key}:lock")
    with st.guard:
        held = st.locks.setdefault(lock, threading.Lock())
    try:
        with held:  # a background refresh of the same bucket holds it too: wait for it
            hit = _get(slot.key)
            if hit is not None:
                st.stats["waited"] += 1
                return hit
            return slot.store(compute)
    finally:
        with st.guard:
            if st.locks.get(lock) is held:
                del st.locks[lock]


def run_refresher(app, jobs: dict[str, Callable], stop: threading.Event | None = None) -> None:
    """The refresher process's loop: beat, and compute every watched (kind, scope, region) once
    per bucket under the same lock as the web workers. `jobs`: kind -> job(scope_code,
    region_code, now) -> value. Computations beyond a bucket's length simply make the screens'
    numbers one bucket older; nothing queues up."""
    stop = stop or threading.Event()
    with app.app_context():
        client = _redis()
        if client is None:
            raise SystemExit("the refresher needs CACHE_REDIS_URL (Redis shared with the web workers)")
        try:
            _refresh_loop(client, jobs, stop, app.logger)
        finally:
            client.delete(ALIVE_KEY)  # the web workers compute again at once


def _refresh_loop(client, jobs, stop, log) -> None:
    while not stop.is_set():
        client.set(ALIVE_KEY, os.getpid(), ex=15)
        started = time.time()
        watched = {(n.decode() if isinstance(n, bytes) else n): float(seen)
                   for n, seen in client.hgetall(ACTIVE_KEY).items()}
        for name, seen in watched.items():
            if started - seen > WATCH_SECONDS:
                client.hdel(ACTIVE_KEY, name)
                continue
            kind, scope_code, region_code, seconds = name.split("|")
            if kind not in jobs:
                continue
            at = clock_now()
            slot = _Slot(kind, scope_code, region_code or None, at, int(seconds), True)
            lock = f"{slot.key}:lock"
            if cache.has(slot.key) or not _take(lock):
                continue
            try:
                slot.store(lambda: jobs[kind](scope_code, region_code or None, at))
                state().stats["background"] += 1
            except Exception:  # noqa: BLE001 - one region's failure must not stop the others
                log.exception("refresher: %s failed", name)
            finally:
                _release(lock)
        # Wake just after the next bucket edge of the shortest period watched.
        period = min((int(n.rsplit("|", 1)[1]) for n in watched), default=5)
        stop.wait(max(0.2, period - (time.time() % period) + 0.05))
