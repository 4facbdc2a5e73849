"""Who is asking (issue #7): login, sessions, roles and kiosk screens.

Every request but the login page, static files and /healthz needs a signed-in
user or a kiosk token; the user's jurisdiction (one region code) becomes the
scope every data_access query runs in (dashboard.runtime.scope). Sessions end
after SESSION_IDLE_MINUTES without a person acting (a screen's own refresh
ticks do not count as acting) and after SESSION_MAX_HOURS in any case; kiosk
screens never time out and see no personal data.
"""
from __future__ import annotations

import re
import secrets
import time
from urllib.parse import quote, urlparse

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template_string, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import ValidationError

from data_access import DatabaseError, users
from data_access.cache import cache
from data_access.timeutil import wall_clock as clock_now
from data_access.vocabulary import ACCOUNT_ROLE_NAMES

from . import access, runtime, sessions

ROLE_NAMES = ACCOUNT_ROLE_NAMES
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
        return access.allowed(self, permission)


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
    if kind not in ("u", "k") or not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
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


def client_ip() -> str:
    return (request.remote_addr or "")[:64]


def _text(value):
    """Client text as a database can keep it: PostgreSQL refuses NUL in text, and an audit row
    (or a lookup) must not fail on it — that would let a NUL in a reason skip the audit."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


class AuditUnavailable(Exception):
    """The audit row could not be written, so the act it records does not happen."""

    message = "审计日志暂时无法写入，本次操作未执行，请稍后重试。"


def _write(conn, action, actor, target, detail, ok, scope_code) -> None:
    if isinstance(detail, dict):
        detail = {k: _text(v) for k, v in detail.items()}
    users.audit(conn, clock_now(), _text(actor), action, _text(target), _text(detail), client_ip(), ok,
                scope_code)


def _audit(action: str, actor: str | None, target: str | None = None, detail=None, ok: bool = True,
           scope_code: str | None = None) -> bool:
    """A row of its own transaction, for what is recorded but not held back by the record
    (logins, refusals): True when written."""
    try:
        with runtime.engine().begin() as conn:
            _write(conn, action, actor, target, detail, ok, scope_code)
        return True
    except DatabaseError:
        current_app.logger.warning("audit log unavailable: %s %s", action, actor)
        return False


def audit(action: str, target: str | None = None, detail=None, ok: bool = True) -> bool:
    """Record what the current user did or was refused (its own transaction)."""
    user = current()
    return _audit(action, user.name if user else None, target, detail, ok, user.scope_code if user else None)


def audit_in(conn, action: str, target: str | None = None, detail=None) -> None:
    """The audit row of an act, in the act's own transaction (the caller's `conn`): the act
    commits only with its record. Exports, unmasking and desk actions go through here."""
    user = current()
    _write(conn, action, user.name if user else None, target, detail, True, user.scope_code if user else None)


def audited(action: str, target: str | None = None, detail=None) -> None:
    """An act already done in memory (a file built) is released only once its row is written;
    raises AuditUnavailable otherwise."""
    try:
        with runtime.engine().begin() as conn:
            audit_in(conn, action, target, detail)
    except DatabaseError:
        current_app.logger.warning("audit log unavailable: %s refused", action)
        raise AuditUnavailable() from None


# --- the gate -------------------------------------------------------------------

def _is_background_tick() -> bool:
    """What a screen does by itself is not a person acting: an Interval's tick, the first render
    of a page's components (no changed input), and the wall carousel moving to its next view
    (a URL change on a rotating big screen). A client can only make its own session end sooner."""
    if request.path != "/_dash-update-component":
        return False
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        return False
    changed = body.get("changedPropIds")
    if changed == []:
        return True
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return False
    return all(c.endswith(".n_intervals") or (c in ("url.pathname", "url.search") and _rotating(body))
               for c in changed)


def _rotating(body: dict) -> bool:
    for entry in body.get("inputs") or []:
        if isinstance(entry, dict) and entry.get("id") == "url" and entry.get("property") == "search":
            search = entry.get("value")
            return isinstance(search, str) and "screen=1" in search and "rotate=" in search
    return False


def _refuse(message: str, status: int = 401):
    if request.path.startswith(("/_dash", "/api/")) or request.method != "GET":
        return jsonify({"error": message}), status
    return redirect(f"/login?next={quote(_safe_next(request.full_path))}&msg={status}")


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
        throttle = current_app.extensions["redgrid.throttle"]
        if throttle.token_blocked(client_ip()):
            return None
        with runtime.engine().connect() as conn:
            row = users.kiosk(conn, token)
        if row is None:
            throttle.token_failed(client_ip())
            return None  # unknown tokens are not cached: nothing for a guesser to fill the cache with
        hit = (row.id, row.name, row.scope_code)
        try:
            cache.set(key, hit, timeout=USER_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            pass
    kiosk_id, name, scope_code = hit
    return User("k", kiosk_id, name, "kiosk", scope_code)


def gate():
    """before_request, for every route: cross-origin POSTs, sign-in (session or kiosk bearer),
    timeouts, then the permission the route declares (dashboard.access). A route without a
    declaration is refused."""
    if request.method == "POST" and not _same_origin():
        return jsonify({"error": "跨站请求被拒绝"}), 403
    if request.endpoint is None:
        return None  # no such route: Flask answers 404/405
    rule = access.route_rule(current_app, request.endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no permission: refused", request.endpoint)
        return jsonify({"error": "未授权的访问"}), 403
    if rule.permission == access.PUBLIC:
        return None
    user = current_user if current_user.is_authenticated else _bearer_kiosk()
    if user is None:
        return _refuse("请先登录")
    if not current_user.is_authenticated:
        g._login_user = user  # this request only: a bearer token opens no session
    elif not user.is_kiosk:
        t = time.time()
        idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
        most = current_app.config["SESSION_MAX_HOURS"] * 3600
        if t - session.get("login_at", 0) > most or t - session.get("seen_at", 0) > idle:
            _audit("session_timeout", user.name, scope_code=user.scope_code)
            logout_user()
            session.clear()
            return _refuse("会话已超时，请重新登录")
        if not _is_background_tick():
            session["seen_at"] = t
    if not access.allowed(user, rule.permission):
        return refuse_act(rule, target=request.full_path[:500])
    return None


def refuse_act(rule, target: str):
    """A refusal for want of a role: audited when the act is one that is audited."""
    if rule.audit:
        audit(rule.audit, target=target, detail="role", ok=False)
    return jsonify({"error": access.REFUSALS.get(rule.permission, "当前账号无此权限")}), 403


def _same_origin() -> bool:
    """A browser POST from another site says so (Sec-Fetch-Site) and carries its Origin (or
    Referer): scheme and host must be ours. Which hosts are ours: TRUSTED_HOSTS (Flask)."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # not a browser (API client, test client): cookies are SameSite anyway
    parts = urlparse(origin)
    return parts.netloc == request.host and parts.scheme == request.scheme


_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _safe_next(target: str | None) -> str:
    """Only a path on this site. Browsers drop tabs and newlines from a URL ("/\t/evil" is
    "//evil"), so the target is judged as they will read it, and refused whole if it carries
    any control character or a backslash."""
    if not isinstance(target, str) or not target:
        return "/"
    target = target[:512]
    if _CONTROL.search(target.rstrip("?")) or "\\" in target:
        return "/"
    parts = urlparse(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return "/"
    return target.rstrip("?")


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

MESSAGES = {"401": ("请先登录。", "secondary"), "timeout": ("会话已超时，请重新登录。", "warning"),
            "out": ("已退出登录。", "secondary")}

KIOSK_CONFIRM = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>绑定大屏 · 红格指挥舱</title>
<link rel="stylesheet" href="/assets/00_bootstrap-5.3.9.min.css">
<link rel="stylesheet" href="/assets/app.css"></head>
<body class="login-page"><main class="login-box">
<h1 class="h4 mb-3">将此浏览器绑定为大屏？</h1>
<p id="kiosk-confirm-text">此浏览器已登录（{{ who }}）。绑定为大屏“{{ name }}”将退出当前账号，
此后本浏览器只显示大屏画面。如非本人操作，请关闭此页。</p>
<form method="post" action="/kiosk">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="token" value="{{ token }}">
<button class="btn btn-danger w-100" id="kiosk-confirm" type="submit">确认绑定为大屏</button>
</form>
<a class="btn btn-outline-secondary w-100 mt-2" href="/">取消</a>
</main></body></html>"""


def _page(message=None, color="danger", status=200, next_path="/"):
    if not current_user.is_authenticated:
        session.permanent = False  # a login form's token lives as long as the browser, not a year
    return render_template_string(LOGIN_PAGE, message=message, color=color, csrf=generate_csrf(),
                                  next=_safe_next(next_path)), status


def _csrf_ok(sent) -> bool:
    try:
        validate_csrf(sent)
        return True
    except ValidationError:
        return False


@bp.get("/login")
@access.route(access.PUBLIC)
def login_form():
    message, color = MESSAGES.get(request.args.get("msg", ""), (None, "danger"))
    return _page(message, color, next_path=request.args.get("next"))


@bp.post("/login")
@access.route(access.PUBLIC)
def login():
    form = request.form
    username, password = _text(form.get("username", "")[:64]), form.get("password", "")[:256]
    next_path = form.get("next")
    if not _csrf_ok(form.get("csrf_token", "")):
        return _page("页面已过期，请重新登录。", next_path=next_path, status=400)
    cfg = current_app.config
    held = current_app.extensions["redgrid.throttle"].attempt(username, client_ip())
    if held:
        try:
            with runtime.engine().connect() as conn:
                scope_code = users.scope_code_of(conn, username)
        except DatabaseError:
            scope_code = None
        _audit("login", username, detail="locked" if held == "username" else "address limited", ok=False,
               scope_code=scope_code)
        what = "该账户" if held == "username" else "本机地址"
        return _page(f"登录尝试过多，{what}已锁定 {cfg['LOGIN_LOCK_MINUTES']:g} 分钟，请稍后再试。",
                     status=429, next_path=next_path)
    try:
        with runtime.engine().connect() as conn:
            row = users.get(conn, username)
    except DatabaseError:
        return _page("数据库暂时不可用，请稍后再试。", status=503, next_path=next_path)
    good = check_password_hash(row.password_hash if row else _DUMMY_HASH, password)
    if not (row and good and row.active):
        _audit("login", username, detail="disabled" if row and good else "bad password", ok=False,
               scope_code=row.scope_code if row else None)
        return _page("用户名或密码错误。", status=401, next_path=next_path)
    current_app.extensions["redgrid.throttle"].succeeded(username)
    sessions.purge_expired(runtime.engine())
    _fresh_session()
    try:
        cache.delete(f"rg:user:u:{row.id}")  # a fresh login sees a changed role or scope at once
    except Exception:  # noqa: BLE001
        pass
    login_user(User("u", row.id, row.username, row.role, row.scope_code))
    session.permanent = False  # a person's cookie ends with the browser; the server ends it anyway
    session["login_at"] = session["seen_at"] = time.time()
    session["who"] = [row.username, row.role, row.scope_code]
    _audit("login", row.username, scope_code=row.scope_code)
    return redirect(_safe_next(next_path))


def _fresh_session() -> None:
    """A new session id at every sign-in (no fixation); the old one is removed from the store."""
    session["_rotating"] = True  # regenerate() renews only a non-empty session
    current_app.session_interface.regenerate(session)
    session.clear()


@bp.post("/logout")
@access.route(access.PUBLIC)
def logout():
    """By POST only (a cross-site link cannot sign anyone out); the server-side session is
    removed, so a copied cookie opens nothing afterwards."""
    user = current()
    if user:
        _audit("logout", user.name, scope_code=user.scope_code)
    logout_user()
    session.clear()
    return redirect("/login?msg=out")


def _kiosk_row(token):
    """The kiosk of a token; wrong tokens from one address are limited like sign-in attempts."""
    throttle = current_app.extensions["redgrid.throttle"]
    if throttle.token_blocked(client_ip()):
        _audit("kiosk_login", None, detail="address limited", ok=False)
        abort(429)
    try:
        with runtime.engine().connect() as conn:
            return users.kiosk(conn, token)
    except DatabaseError:
        abort(503)


def _bad_token():
    """A wrong token: counted against the address (like a sign-in attempt) and audited."""
    current_app.extensions["redgrid.throttle"].token_failed(client_ip())
    _audit("kiosk_login", None, detail="bad token", ok=False)
    return _page("大屏令牌无效或已停用。", status=401)


@bp.get("/kiosk")
@access.route(access.PUBLIC)
def kiosk():
    """A wall screen signs in once with its token and stays (read only, no personal data). A
    browser that is already signed in (a person, or another wall) is asked first: a link from
    elsewhere must not swap a leader's session for someone's wall."""
    token = request.args.get("token", "")
    row = _kiosk_row(token)
    if row is None:
        return _bad_token()
    user = current()
    if user is not None:
        return render_template_string(KIOSK_CONFIRM, who=f"{user.name} · {ROLE_NAMES.get(user.role, user.role)}",
                                      name=row.name, token=token, csrf=generate_csrf())
    return _bind_kiosk(row)


@bp.post("/kiosk")
@access.route(access.PUBLIC)
def kiosk_confirm():
    if not _csrf_ok(request.form.get("csrf_token", "")):
        return _page("页面已过期，请重新打开大屏链接。", status=400)
    row = _kiosk_row(request.form.get("token", ""))
    if row is None:
        return _bad_token()
    user = current()
    if user is not None:
        _audit("logout", user.name, detail="kiosk bound", scope_code=user.scope_code)
    logout_user()
    return _bind_kiosk(row)


def _bind_kiosk(row):
    _fresh_session()
    login_user(User("k", row.id, row.name, "kiosk", row.scope_code), remember=False)
    session["who"] = [row.name, "kiosk", row.scope_code]
    _audit("kiosk_login", row.name, target=row.scope_code, scope_code=row.scope_code)
    return redirect(f"/?screen=1&rotate=30&region={row.scope_code}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def init_app(server) -> None:
    login_manager.init_app(server)
    server.register_blueprint(bp)
    server.before_request(gate)
