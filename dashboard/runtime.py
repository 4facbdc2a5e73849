"""What a request needs from the running app: engine, scope, clock, settings."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy.engine import Engine

from data_access import Scope
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
    """The caller's jurisdiction. Until login lands it is the instance's SCOPE_REGION."""
    code = current_app.config["SCOPE_REGION"]
    cached = current_app.extensions.setdefault("redgrid.scopes", {})
    if code not in cached:
        with engine().connect() as conn:
            cached[code] = scope_of(conn, code)
    return cached[code]
