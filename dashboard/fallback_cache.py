"""Redis as the shared cache, with a per-process fallback while Redis is away (issue #7).

flask-caching's RedisCache raises when Redis does not answer. This backend
answers from a process-local SimpleCache instead, notes since when Redis has
been away (for /healthz), and goes back to Redis on its own: after a failure it
tries Redis again at most every RETRY_SECONDS, so a dead Redis does not cost a
connection timeout on every request.
"""
from __future__ import annotations

import threading
import time

from cachelib import SimpleCache
from flask_caching.backends.rediscache import RedisCache
from redis.exceptions import RedisError

RETRY_SECONDS = 5.0


class RedisWithFallback(RedisCache):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.local = SimpleCache(threshold=2000)
        self.down_since: float | None = None
        self._next_try = 0.0
        self._lock = threading.Lock()

    @classmethod
    def factory(cls, app, config, args, kwargs):
        kwargs.setdefault("socket_timeout", 0.5)  # a dead Redis answers "no" fast
        kwargs.setdefault("socket_connect_timeout", 0.5)
        return super().factory(app, config, args, kwargs)

    def _call(self, name, *args, **kwargs):
        if self.down_since is not None and time.monotonic() < self._next_try:
            return getattr(self.local, name)(*args, **kwargs)
        try:
            value = getattr(super(), name)(*args, **kwargs)
        except (RedisError, OSError):
            with self._lock:
                if self.down_since is None:
                    self.down_since = time.time()
                self._next_try = time.monotonic() + RETRY_SECONDS
            return getattr(self.local, name)(*args, **kwargs)
        if self.down_since is not None:
            with self._lock:
                self.down_since = None
                self.local.clear()  # back to the shared copy
        return value

    def get(self, key):
        return self._call("get", key)

    def set(self, key, value, timeout=None):
        return self._call("set", key, value, timeout)

    def add(self, key, value, timeout=None):
        return self._call("add", key, value, timeout)

    def delete(self, key):
        return self._call("delete", key)

    def has(self, key):
        return self._call("has", key)

    def get_many(self, *keys):
        return self._call("get_many", *keys)

    def set_many(self, mapping, timeout=None):
        return self._call("set_many", mapping, timeout)

    def status(self) -> dict:
        if self.down_since is None:
            return {"cache": "redis"}
        return {"cache": "per-process (redis unavailable)",
                "cache_down_since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.down_since))}


def redis_with_fallback(app, config, args, kwargs):
    return RedisWithFallback.factory(app, config, args, kwargs)


def status(cache) -> dict:
    backend = getattr(cache, "cache", None)
    if isinstance(backend, RedisWithFallback):
        backend.get("rg:ping")  # a health check is worth one round trip (or one retry)
        return backend.status()
    return {"cache": "per-process"}
