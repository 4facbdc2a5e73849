"""Shared snapshots: one computation per (query, scope, region, time bucket).

The flask-caching backend is SimpleCache per process, or Redis when
CACHE_REDIS_URL is set so every worker and host shares one copy. Outside a
Flask app (CLI, tests of the data layer) values are computed directly.
Values are plain dicts and lists, never DataFrames, so any backend can hold them.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

from flask import current_app, has_app_context
from flask_caching import Cache

cache = Cache()


def bucket(now: dt.datetime, seconds: int) -> int:
    return int(now.timestamp()) // max(1, int(seconds))


def remember(kind: str, scope_code: str, region_code: str | None, now: dt.datetime,
             seconds: int, compute: Callable[[], object]):
    if not has_app_context() or "cache" not in current_app.extensions:
        return compute()
    key = f"rg:{kind}:{scope_code}:{region_code or '-'}:{bucket(now, seconds)}"
    try:
        hit = cache.get(key)
    except Exception:  # a cache that went away must not take the screen with it
        hit = None
    if hit is not None:
        return hit
    value = compute()
    try:
        cache.set(key, value, timeout=max(2 * seconds, 10))
    except Exception:
        pass
    return value
