"""Sign-in attempts limited per username and per client address (issue #14), with `limits`
(the engine of Flask-Limiter): each attempt is one atomic hit on a moving window, taken
before the password is checked, so concurrent attempts cannot all slip through; a refused
attempt adds nothing (a lock ends on time and cannot be kept up by trickling requests); a
successful sign-in clears its username's window. Redis holds the windows when the app has
one (shared by every worker); while it is away, and without Redis, a per-process memory.
"""
from __future__ import annotations

import logging

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


class LoginThrottle:
    def __init__(self, per_user: int, per_address: int, window_minutes: float, redis_url: str = ""):
        seconds = max(1, int(round(window_minutes * 60)))
        self.user_limit = RateLimitItemPerSecond(per_user, seconds)
        self.address_limit = RateLimitItemPerSecond(per_address, seconds)
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.shared = MovingWindowRateLimiter(storage_from_string(redis_url)) if redis_url else None

    def _run(self, method: str, *args) -> bool | None:
        if self.shared is not None:
            try:
                return getattr(self.shared, method)(*args)
            except Exception:  # noqa: BLE001 - Redis away: count in this process meanwhile
                log.warning("login throttle: Redis unavailable, counting per process")
        return getattr(self.local, method)(*args)

    def attempt(self, username: str, address: str) -> str | None:
        """Count one attempt; what holds it back ("address" or "username"), or None."""
        if not self._run("hit", self.address_limit, "login-address", address or "-"):
            return "address"
        if not self._run("hit", self.user_limit, "login-user", username.casefold()):
            return "username"
        return None

    def token_blocked(self, address: str) -> bool:
        """Too many wrong kiosk tokens from this address within the window (same allowance as
        sign-in attempts; a wall that polls with its right token is never counted)."""
        return not self._run("test", self.address_limit, "token-address", address or "-")

    def token_failed(self, address: str) -> None:
        self._run("hit", self.address_limit, "token-address", address or "-")

    def succeeded(self, username: str) -> None:
        self._run("clear", self.user_limit, "login-user", username.casefold())


def init_app(server) -> None:
    cfg = server.config
    server.extensions["redgrid.throttle"] = LoginThrottle(
        cfg["LOGIN_LOCK_FAILURES"], cfg["LOGIN_ADDRESS_ATTEMPTS"], cfg["LOGIN_LOCK_MINUTES"],
        cfg.get("CACHE_REDIS_URL") or "")
