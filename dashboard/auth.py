"""Who is asking (issue #7): login, sessions, roles and kiosk screens.

Every request but the login page, static files and /healthz needs a signed-in
user or a kiosk token; the user's jurisdiction (one region code) becomes the
scope every data_access query runs in (dashboard.runtime.scope). Sessions end
after SESSION_IDLE_MINUTES without a person acting (a screen's own refresh
ticks do not count as acting) and after SESSION_MAX_HOURS in any case; kiosk
screens never time out and see no personal data.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
from urllib.parse import urlparse

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template_string, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from data_access import DatabaseError, users
from data_access.cache import cache
from data_access.timeutil import wall_clock as clock_now

from . import runtime

# What each role may do beyond reading its own subtree (kiosks only read, masked).
PERMISSIONS = {
    "act_warnings": {"duty_officer"},
    "export": {"analyst"},
    "unmask": {"duty_officer", "leader"},
    "admin": {"admin"},
}
ROLE_NAMES = {"leader": "领导", "duty_officer": "值班员", "analyst": "分析员", "admin": "管理员", "kiosk": "大屏"}
# Routes that are acts, not reads: the permission they need, and an audit row each time.
GATED = (("/briefing/download", "export"),)
PUBLIC_PATHS = {"/login", "/logout", "/healthz", "/kiosk", "/_favicon.ico"}
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
USER_CACHE_SECONDS = 30  # a disabled account or revoked kiosk token is locked out within this
_DUMMY_HASH = generate_password_hash("timing equaliser")  # unknown users cost as much as known ones

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class User(UserMixin):
    """A signed-in person ("u:<id>") or a kiosk screen ("k:<id>")."""

    def __init__(self, kind: str, uid: int, name: str, role: str, scope_code: str):
        self.kind, self.uid, self.name, self.role, self.scope_code = kind, uid, name, role, scope_code

    def get_id(self) -> str:
        return f"{self.kind}:{self.uid}"

    @property
    def is_kiosk(self) -> bool:
        return self.kind == "k"

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, ())


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt, salted


def password_problem(password: str) -> str | None:
    if not isinstance(password, str) or len(password) < 10:
        return "密码至少 10 位"
    if len(password) > 256:
        return "密码过长"
    return None


@login_manager.user_loader
def _load(user_id: str):
    kind, _, raw = (user_id or "").partition(":")
    if kind not in ("u", "k") or not raw.isdigit():
        return None
    key = f"rg:user:{user_id}"
    try:
        hit = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache that went away means a database read
        hit = None
    if hit is None:
        try:
            with runtime.engine().connect() as conn:
                row = users.get_by_id(conn, int(raw)) if kind == "u" else users.kiosk_by_id(conn, int(raw))
        except DatabaseError:
            # The database is away: the identity signed into this session keeps the screens going
            # (scope and role as at sign-in); the account is checked again when it returns.
            who = session.get("who")
            return User(kind, int(raw), *who) if isinstance(who, list) and len(who) == 3 else None
        if row is None or (kind == "u" and not row.active):
            return None
        hit = (row.username, row.role, row.scope_code) if kind == "u" else (row.name, "kiosk", row.scope_code)
        try:
            cache.set(key, hit, timeout=USER_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            pass
    return User(kind, int(raw), *hit)


def current():
    """The signed-in user or kiosk, or None."""
    return current_user if current_user and current_user.is_authenticated else None


def can(permission: str) -> bool:
    user = current()
    return bool(user) and user.can(permission)


def client_ip() -> str:
    return (request.remote_addr or "")[:64]


def _text(value):
    """Client text as a database can keep it: PostgreSQL refuses NUL in text, and an audit row
    (or a lookup) must not fail on it — that would let a NUL in a reason skip the audit."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def _audit(action: str, actor: str | None, target: str | None = None, detail=None, ok: bool = True) -> None:
    if isinstance(detail, dict):
        detail = {k: _text(v) for k, v in detail.items()}
    try:
        with runtime.engine().begin() as conn:
            users.audit(conn, clock_now(), _text(actor), action, _text(target), _text(detail), client_ip(), ok)
    except DatabaseError:
        current_app.logger.warning("audit log unavailable: %s %s", action, actor)


def audit(action: str, target: str | None = None, detail=None, ok: bool = True) -> None:
    """Record what the current user did (exports, unmasking, warning actions…)."""
    user = current()
    _audit(action, user.name if user else None, target, detail, ok)


# --- the gate -------------------------------------------------------------------

def _is_background_tick() -> bool:
    """A screen's own refresh (every changed input an Interval's tick) is not a person acting."""
    if request.path != "/_dash-update-component":
        return False
    body = request.get_json(silent=True) or {}
    changed = body.get("changedPropIds") if isinstance(body, dict) else None
    return bool(changed) and isinstance(changed, list) and all(
        isinstance(c, str) and c.endswith(".n_intervals") for c in changed)


def _refuse(message: str, status: int = 401):
    if request.path.startswith(("/_dash", "/api/")) or request.method != "GET":
        return jsonify({"error": message}), status
    return redirect(f"/login?next={_safe_next(request.full_path)}&msg={status}")


def _bearer_kiosk():
    """A wall screen polling with `Authorization: Bearer <token>`: the kiosk is cached like a
    session's user (by the token's digest, never the token), so a tick costs no query."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header[7:].strip()
    key = f"rg:bearer:{users.token_digest(token)}" if 20 <= len(token) <= 128 else None
    if key is None:
        return None
    try:
        hit = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache that went away means a database read
        hit = None
    if hit is None:
        with runtime.engine().connect() as conn:
            row = users.kiosk(conn, token)
        if row is None:
            return None  # unknown tokens are not cached: nothing for a guesser to fill the cache with
        hit = (row.id, row.name, row.scope_code)
        try:
            cache.set(key, hit, timeout=USER_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            pass
    kiosk_id, name, scope_code = hit
    return User("k", kiosk_id, name, "kiosk", scope_code)


def gate():
    """before_request: sign-in, timeouts, cross-origin POSTs."""
    if request.method == "POST" and not _same_origin():
        return jsonify({"error": "跨站请求被拒绝"}), 403
    path = request.path
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return None
    if not current_user.is_authenticated:
        kiosk = _bearer_kiosk()
        if kiosk is None:
            return _refuse("请先登录")
        g._login_user = kiosk  # this request only: a bearer token opens no session
        return None
    for prefix, permission in GATED:
        if path.startswith(prefix):
            if not current_user.can(permission):
                audit(permission, target=request.full_path[:500], ok=False)
                return jsonify({"error": "当前账号无此权限"}), 403
            audit(permission, target=request.full_path[:500])
    if current_user.is_kiosk:
        return None
    t = time.time()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    most = current_app.config["SESSION_MAX_HOURS"] * 3600
    if t - session.get("login_at", 0) > most or t - session.get("seen_at", 0) > idle:
        _audit("session_timeout", current_user.name)
        logout_user()
        session.clear()
        return _refuse("会话已超时，请重新登录")
    if not _is_background_tick():
        session["seen_at"] = t
    return None


def _same_origin() -> bool:
    """A browser POST from another site carries its Origin (or Referer); ours must match."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # not a browser (API client, test client): cookies are SameSite anyway
    return urlparse(origin).netloc == request.host


def _safe_next(target: str | None) -> str:
    """Only a path on this site; never //host or a scheme."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:512].rstrip("?")


# --- pages ------------------------------------------------------------------------

LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 红格指挥舱</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/00_bootstrap-5.3.9.min.css">
<link rel="stylesheet" href="/assets/app.css"></head>
<body class="login-page"><main class="login-box">
<h1 class="h3 mb-3">红格指挥舱</h1>
{% if message %}<div class="alert alert-{{ color }}" id="login-message">{{ message }}</div>{% endif %}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="next" value="{{ next }}">
<div class="mb-3"><label class="form-label" for="username">用户名</label>
<input class="form-control" id="username" name="username" autocomplete="username" maxlength="64" required autofocus></div>
<div class="mb-3"><label class="form-label" for="password">密码</label>
<input class="form-control" id="password" name="password" type="password" autocomplete="current-password" maxlength="256" required></div>
<button class="btn btn-danger w-100" id="login-submit" type="submit">登录</button>
</form></main></body></html>"""

MESSAGES = {"401": ("请先登录。", "secondary"), "timeout": ("会话已超时，请重新登录。", "warning")}


def _page(message=None, color="danger", status=200, next_path="/"):
    token = session.get("csrf") or secrets.token_urlsafe(32)
    session["csrf"] = token
    return render_template_string(LOGIN_PAGE, message=message, color=color, csrf=token,
                                  next=_safe_next(next_path)), status


@bp.get("/login")
def login_form():
    message, color = MESSAGES.get(request.args.get("msg", ""), (None, "danger"))
    return _page(message, color, next_path=request.args.get("next"))


@bp.post("/login")
def login():
    form = request.form
    username, password = _text(form.get("username", "")[:64]), form.get("password", "")[:256]
    next_path = form.get("next")
    sent = form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        return _page("页面已过期，请重新登录。", next_path=next_path, status=400)
    at = clock_now()
    cfg = current_app.config
    try:
        with runtime.engine().connect() as conn:
            failures = users.failures_since(conn, username, at - dt.timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]))
            row = users.get(conn, username)
    except DatabaseError:
        return _page("数据库暂时不可用，请稍后再试。", status=503, next_path=next_path)
    if failures >= cfg["LOGIN_LOCK_FAILURES"]:
        _audit("login", username, detail="locked", ok=False)
        return _page(f"连续失败 {cfg['LOGIN_LOCK_FAILURES']} 次，账户已锁定 {cfg['LOGIN_LOCK_MINUTES']} 分钟。",
                     status=429, next_path=next_path)
    good = check_password_hash(row.password_hash if row else _DUMMY_HASH, password)
    if not (row and good and row.active):
        _audit("login", username, detail="disabled" if row and good else "bad password", ok=False)
        return _page("用户名或密码错误。", status=401, next_path=next_path)
    session.clear()  # a fresh session for a fresh login (no fixation)
    try:
        cache.delete(f"rg:user:u:{row.id}")  # a fresh login sees a changed role or scope at once
    except Exception:  # noqa: BLE001
        pass
    login_user(User("u", row.id, row.username, row.role, row.scope_code))
    session["login_at"] = session["seen_at"] = time.time()
    session["who"] = [row.username, row.role, row.scope_code]
    _audit("login", row.username)
    return redirect(_safe_next(next_path))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    user = current()
    if user:
        _audit("logout", user.name)
    logout_user()
    session.clear()
    return redirect("/login")


@bp.get("/kiosk")
def kiosk():
    """A wall screen signs in once with its token and stays (read only, no personal data)."""
    token = request.args.get("token", "")
    try:
        with runtime.engine().connect() as conn:
            row = users.kiosk(conn, token)
    except DatabaseError:
        abort(503)
    if row is None:
        _audit("kiosk_login", None, detail="bad token", ok=False)
        return _page("大屏令牌无效或已停用。", status=401)
    session.clear()
    login_user(User("k", row.id, row.name, "kiosk", row.scope_code), remember=False)
    session.permanent = True
    session["who"] = [row.name, "kiosk", row.scope_code]
    _audit("kiosk_login", row.name, target=row.scope_code)
    return redirect(f"/?screen=1&rotate=30&region={row.scope_code}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def init_app(server) -> None:
    login_manager.init_app(server)
    server.register_blueprint(bp)
    server.before_request(gate)
