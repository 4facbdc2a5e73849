"""What a request needs from the running app: engine, scope, clock, settings."""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context
from sqlalchemy.engine import Engine

from data_access import OutOfScope, Scope
from data_access.scope import scope_of
from data_access.timeutil import now as clock_now
from data_access.timeutil import parse_instant

ENGINE_KEY = "redgrid.engine"


def engine() -> Engine:
    return current_app.extensions[ENGINE_KEY]


def setting(name: str):
    return current_app.config[name]


def now() -> dt.datetime:
    fixed = current_app.config.get("DASHBOARD_NOW")
    return parse_instant(fixed) if fixed else clock_now()


def scope() -> Scope:
    """The caller's jurisdiction: the signed-in user's (or kiosk's) region subtree. Outside a
    request (the evaluator thread, the CLI) it is the instance's SCOPE_REGION."""
    code = current_app.config["SCOPE_REGION"]
    if has_request_context():
        u = user()
        if u is None:  # the gate lets no such request through; refuse rather than widen
            raise OutOfScope("未登录")
        code = u.scope_code
    cached = current_app.extensions.setdefault("redgrid.scopes", {})
    if code not in cached:
        with engine().connect() as conn:
            cached[code] = scope_of(conn, code)
    return cached[code]


def user():
    """The signed-in user or kiosk of this request (dashboard.auth.User), or None."""
    from flask_login import current_user
    return current_user if current_user and current_user.is_authenticated else None


def can(permission: str) -> bool:
    u = user()
    return bool(u) and u.can(permission)
