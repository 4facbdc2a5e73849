"""管理 callbacks: admins only; their own jurisdiction only."""
from __future__ import annotations

import datetime as dt

from dash import Input, Output
from dash.exceptions import PreventUpdate

from data_access import DatabaseError, quality, users
from data_access.cache import remember
from data_access.scope import lookup
from data_access.timeutil import wall_clock
from dashboard import access, runtime
from layouts import admin as view

from .views import View

AUDIT_DAYS = 7
ACTIONS = ("login", "logout", "session_timeout", "kiosk_login", "export", "unmask", "user_add", "user_disable",
           "user_enable", "user_scope", "user_password", "kiosk_add", "kiosk_revoke", "warning_acknowledge",
           "warning_assign", "warning_resolve", "warning_dismiss", "warning_reopen", "warning_act",
           "wall_assign")


def _whole_instance(scope) -> bool:
    """Rows that belong to no jurisdiction (an unknown username's failed sign-in) are for an
    admin of the whole instance only."""
    return scope.code == runtime.setting("SCOPE_REGION")


def _in_scope(conn, scope, code) -> bool:
    try:
        return scope.contains(lookup(conn, code))
    except Exception:  # noqa: BLE001 - an account on a region that no longer exists
        return False


def page(_code=None):
    """Admins only: the registry's permission (VIEW below) is checked by the router."""
    scope, now = runtime.scope(), runtime.now()
    since = wall_clock() - dt.timedelta(days=AUDIT_DAYS)
    with runtime.engine().connect() as conn:
        accounts = [u for u in users.all_users(conn) if _in_scope(conn, scope, u.scope_code)]
        audit = users.audit_rows(conn, scope, _whole_instance(scope), since, 300)

        def bad():
            counts = quality.scoped_counts(conn, scope, now)
            return {"counts": counts,
                    "samples": {(t, k): quality.samples(conn, scope, now, t, k)
                                for t, kinds in counts.items() for k, n in kinds.items() if n}}
        found = remember("quality", scope.code, None, now, 300, bad)
    return view.admin_page(accounts, audit, list(ACTIONS), found["counts"], found["samples"])


def audit_filter(action):
    if not runtime.can("admin"):
        raise PreventUpdate
    if action is not None and action not in ACTIONS:
        raise PreventUpdate
    try:
        with runtime.engine().connect() as conn:
            scope = runtime.scope()
            rows = users.audit_rows(conn, scope, _whole_instance(scope),
                                    wall_clock() - dt.timedelta(days=AUDIT_DAYS), 300, action)
    except DatabaseError:
        raise PreventUpdate
    return view.audit_table(rows)


def register(app) -> None:
    access.callback(app, "admin", Output("admin-audit", "children"), Input("admin-audit-action", "value"),
                 prevent_initial_call=True)(audit_filter)


VIEW = View("/admin", "管理", page, register, permission="admin")
