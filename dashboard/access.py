"""Who may do what: one permission declared for every Flask route and every server callback.

Each route and callback names what it needs where it is registered (`route`, `callback`),
Dash's and Flask's own endpoints are declared in `BUILTIN_ROUTES`, and the gate
(`dashboard.auth.gate`, `dashboard.security.guard_callbacks`) asks `allowed` before any
view or callback runs. Anything without a declaration is refused: a new route or callback
that forgets to say what it needs fails closed, and `tests/test_access.py` fails too.

Permissions:
- `public`: no sign-in (the login page, static files, /healthz);
- `read`: a signed-in person or a kiosk screen, each in its own jurisdiction;
- `act_warnings`, `export`, `unmask`, `admin`, `send_to_wall`, `handover`, `cases`: the roles in `ROLE_PERMISSIONS`.
"""
from __future__ import annotations

from dataclasses import dataclass

PUBLIC, READ = "public", "read"
ROLE_PERMISSIONS = {
    "act_warnings": {"duty_officer"},
    "export": {"analyst"},
    "unmask": {"duty_officer", "leader"},
    "admin": {"admin"},
    "send_to_wall": {"leader", "duty_officer"},  # 投屏: send a view to a named wall screen
    "handover": {"duty_officer", "leader"},  # 交接班: the shift's handover sheet, its sign-offs and files
    "cases": {"duty_officer"},  # 一事一码: split a wrongly linked report off its case, join two cases
}
PERMISSIONS = (PUBLIC, READ, *ROLE_PERMISSIONS)
# What a refused caller is told, by permission.
REFUSALS = {
    "act_warnings": "当前账号无权处置预警（需值班员账号）",
    "export": "当前账号无权导出（需分析员账号）",
    "unmask": "当前账号无权查看完整个人信息",
    "admin": "仅管理员可使用系统管理",
    "send_to_wall": "当前账号无权投屏（需领导或值班员账号）",
    "handover": "当前账号无权交接班（需值班员或领导账号）",
    "cases": "当前账号无权拆分或合并案件（需值班员账号）",
}

# Endpoints that Flask and Dash register themselves.
BUILTIN_ROUTES = {
    "static": PUBLIC,
    "_dash_assets.static": PUBLIC,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": PUBLIC,
    "/_favicon.ico": PUBLIC,
    "/_dash-layout": READ,
    "/_dash-dependencies": READ,
    "/_dash-update-component": READ,  # and then the callback's own permission
    "/_reload-hash": READ,
    "/": READ,
    "/<path:path>": READ,
}
EXTENSION_KEY = "redgrid.access"


@dataclass(frozen=True)
class Rule:
    permission: str
    audit: str | None = None  # refused attempts are written to the audit log under this action


def _rule(permission: str, audit: str | None) -> Rule:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return Rule(permission, audit)


def route(permission: str, audit: str | None = None):
    """Decorate a Flask view with what it needs."""
    rule = _rule(permission, audit)

    def mark(view):
        view.access_rule = rule
        return view
    return mark


def callback(app, permission: str, *dependencies, audit: str | None = None, **kwargs):
    """`app.callback(*dependencies, **kwargs)` with what the callback needs; returns the decorator."""
    rule = _rule(permission, audit)
    before = set(app.callback_map)
    register = app.callback(*dependencies, **kwargs)  # Dash files the callback here
    for key in set(app.callback_map) - before:
        callbacks_of(app.server)[key] = rule
    return register


def callbacks_of(server) -> dict:
    return server.extensions.setdefault(EXTENSION_KEY, {})


def route_rule(server, endpoint: str | None) -> Rule | None:
    if endpoint is None:
        return None
    if endpoint in BUILTIN_ROUTES:
        return Rule(BUILTIN_ROUTES[endpoint])
    view = server.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def callback_rule(server, key: str) -> Rule | None:
    return callbacks_of(server).get(key)


def allowed(user, permission: str) -> bool:
    """May this user (None: nobody signed in) do what `permission` names?"""
    if permission == PUBLIC:
        return True
    if user is None:
        return False
    if permission == READ:
        return True
    return user.role in ROLE_PERMISSIONS.get(permission, ())
