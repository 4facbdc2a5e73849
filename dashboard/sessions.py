"""Server-side sessions (issue #14): Flask-Session keeps only a random id in the cookie; the
session itself lives here, so logging out, a changed password, a disabled account or a
changed jurisdiction ends it at once on every worker and instance.

Where a session lives:
- signed in: the database (`app_session`, durable across restarts of the app and of Redis),
  with a copy in the shared cache when there is one (Redis: a tick costs no query; the CLI
  drops the copies when it revokes). With the per-process cache every request reads the
  database, because another process (the CLI) cannot reach this one's memory.
- a login form's CSRF token (nobody signed in yet): the cache only, for an hour, so anonymous
  visitors cannot fill the database.
- while the database is away: the copy this process read last, so the screens keep going
  (as they did with signed cookies); revocations wait for the database like every other act.
"""
from __future__ import annotations

import datetime as dt
import logging

from cachelib import BaseCache, SimpleCache
from flask_session import Session

from data_access import DatabaseError
from data_access import sessions as stored
from data_access.timeutil import wall_clock

from . import runtime

ANONYMOUS_SECONDS = 3600
KIOSK_DAYS = 365
_REVOKED = {"_revoked": True}  # a tombstone in the cache: the database may still hold the row
log = logging.getLogger(__name__)


class SessionStore(BaseCache):
    """The cachelib face Flask-Session asks for: get / set / delete by session id."""

    def __init__(self, engine, cache, shared: bool, max_hours: float):
        super().__init__()
        self.engine, self.cache, self.shared, self.max_hours = engine, cache, shared, max_hours
        self.last = SimpleCache(threshold=20000, default_timeout=KIOSK_DAYS * 86400)

    def _cached(self, key):
        try:
            return self.cache.get(f"rg:sess:{key}")
        except Exception:  # noqa: BLE001 - a cache that went away means a database read
            return None

    def _keep(self, key, value, seconds: int) -> None:
        try:
            self.cache.set(f"rg:sess:{key}", value, timeout=max(1, int(seconds)))
        except Exception:  # noqa: BLE001
            pass

    def get(self, key):  # `key` is the cookie's session id (Flask-Session's names)
        key = stored.digest(key)
        hit = self._cached(key)
        if hit == _REVOKED:
            return None
        if hit is not None:
            return hit
        try:
            with self.engine.connect() as conn:
                data = stored.load(conn, key, wall_clock())
        except DatabaseError:
            return self.last.get(key)
        if data is None:
            return None
        self.last.set(key, data)
        if self.shared:
            self._keep(key, data, self._seconds_left(data))
        return data

    def set(self, key, value, timeout=None):
        key, user_key = stored.digest(key), value.get("_user_id")
        if not user_key:
            self._keep(key, value, ANONYMOUS_SECONDS)
            return True
        now = wall_clock()
        expires = now + dt.timedelta(seconds=self._seconds_left(value))
        try:
            with self.engine.begin() as conn:
                stored.save(conn, key, user_key, value, now, expires)
        except DatabaseError:
            log.warning("session not stored: the database is away")
        self.last.set(key, value)
        if self.shared:
            self._keep(key, value, self._seconds_left(value))
        return True

    def delete(self, key):
        key = stored.digest(key)
        self._keep(key, _REVOKED, KIOSK_DAYS * 86400)
        self.last.delete(key)
        try:
            with self.engine.begin() as conn:
                stored.remove(conn, key)
        except DatabaseError:
            log.warning("session row not removed (the database is away); the cache holds its revocation")
        return True

    def _seconds_left(self, data: dict) -> float:
        """A person's session ends SESSION_MAX_HOURS after sign-in; a kiosk's lasts."""
        login_at = data.get("login_at")
        if isinstance(login_at, (int, float)):
            return max(1.0, login_at + self.max_hours * 3600 - wall_clock().timestamp())
        return KIOSK_DAYS * 86400


def revoke(conn, user_key: str, cache=None) -> int:
    """End every session of an account ("u:ID") or kiosk ("k:ID"); with a shared cache at hand,
    drop its copies too. Returns how many sessions ended."""
    keys = stored.revoke_user(conn, user_key)
    if cache is not None:
        for key in keys:
            try:
                cache.set(f"rg:sess:{key}", _REVOKED, timeout=KIOSK_DAYS * 86400)
            except Exception:  # noqa: BLE001 - Redis away: the database row is gone already
                pass
    return len(keys)


def purge_expired(engine) -> None:
    """Drop sessions past their end (called at each sign-in: cheap, on an index)."""
    try:
        with engine.begin() as conn:
            stored.purge_expired(conn, wall_clock())
    except DatabaseError:
        pass  # the next sign-in tries again


def init_app(server, cache) -> None:
    shared = bool(server.config.get("CACHE_REDIS_URL"))
    store = SessionStore(server.extensions[runtime.ENGINE_KEY], cache, shared,
                         server.config["SESSION_MAX_HOURS"])
    server.config.update(
        SESSION_TYPE="cachelib", SESSION_CACHELIB=store, SESSION_KEY_PREFIX="",
        SESSION_PERMANENT=True, SESSION_REFRESH_EACH_REQUEST=False,  # a tick writes nothing
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=KIOSK_DAYS),
    )
    Session(server)
    server.extensions["redgrid.sessions"] = store
