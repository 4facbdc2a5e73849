"""Accounts, kiosk tokens and the audit log (the dashboard's own tables).

Passwords arrive here already hashed (dashboard/auth.py hashes them); tokens
are stored as their SHA-256. The audit log is append-only for the app: this
module has no UPDATE or DELETE for it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection

from .schema import ROLES, app_user, audit_log, kiosk_token, region
from .scope import Scope, level_column, lookup

USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,32}$")
AUDIT_KEEP_DAYS = 180


class UserError(ValueError):
    """A refused account change, with a reason a person can read."""


def _check(username: str, role: str | None = None) -> None:
    if not isinstance(username, str) or not USERNAME.match(username):
        raise UserError("用户名应为 2–32 位字母、数字、汉字或 _ . -")
    if role is not None and role not in ROLES:
        raise UserError(f"角色应为 {', '.join(ROLES)} 之一")


def add(conn: Connection, username: str, password_hash: str, role: str, scope_code: str,
        now: dt.datetime) -> int:
    _check(username, role)
    lookup(conn, scope_code)  # the jurisdiction must be a real region
    if get(conn, username) is not None:
        raise UserError(f"用户 {username} 已存在")
    return conn.execute(insert(app_user).values(
        username=username, password_hash=password_hash, role=role, scope_code=scope_code, active=True,
        created_at=now, updated_at=now)).inserted_primary_key[0]


def get(conn: Connection, username: str):
    if not isinstance(username, str) or len(username) > 64:
        return None
    return conn.execute(select(app_user).where(app_user.c.username == username)).first()


def get_by_id(conn: Connection, user_id: int):
    return conn.execute(select(app_user).where(app_user.c.id == user_id)).first()


def all_users(conn: Connection) -> list:
    return conn.execute(select(app_user.c.id, app_user.c.username, app_user.c.role, app_user.c.scope_code,
                               app_user.c.active, app_user.c.created_at, app_user.c.updated_at)
                        .order_by(app_user.c.username)).all()


def _set(conn: Connection, username: str, now: dt.datetime, **values) -> None:
    _check(username)
    done = conn.execute(update(app_user).where(app_user.c.username == username)
                        .values(**values, updated_at=now)).rowcount
    if not done:
        raise UserError(f"用户 {username} 不存在")


def disable(conn: Connection, username: str, now: dt.datetime) -> None:
    _set(conn, username, now, active=False)


def enable(conn: Connection, username: str, now: dt.datetime) -> None:
    _set(conn, username, now, active=True)


def set_scope(conn: Connection, username: str, scope_code: str, now: dt.datetime) -> None:
    lookup(conn, scope_code)
    _set(conn, username, now, scope_code=scope_code)


def set_password(conn: Connection, username: str, password_hash: str, now: dt.datetime) -> None:
    _set(conn, username, now, password_hash=password_hash)


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(app_user)).scalar() or 0


# --- kiosk tokens -----------------------------------------------------------------

def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_kiosk(conn: Connection, name: str, token: str, scope_code: str, now: dt.datetime) -> int:
    _check(name)
    lookup(conn, scope_code)
    return conn.execute(insert(kiosk_token).values(name=name, token_hash=token_digest(token),
                                                   scope_code=scope_code, active=True, created_at=now)
                        ).inserted_primary_key[0]


def kiosk(conn: Connection, token: str):
    """The active kiosk a token belongs to, or None."""
    if not isinstance(token, str) or not 20 <= len(token) <= 128:
        return None
    return conn.execute(select(kiosk_token).where(kiosk_token.c.token_hash == token_digest(token),
                                                  kiosk_token.c.active.is_(True))).first()


def kiosk_by_id(conn: Connection, kiosk_id: int):
    return conn.execute(select(kiosk_token).where(kiosk_token.c.id == kiosk_id,
                                                  kiosk_token.c.active.is_(True))).first()


def kiosks_named(conn: Connection, name: str) -> list:
    return conn.execute(select(kiosk_token).where(kiosk_token.c.name == name)).all()


def revoke_kiosk(conn: Connection, name: str) -> int:
    return conn.execute(update(kiosk_token).where(kiosk_token.c.name == name).values(active=False)).rowcount


# --- audit ----------------------------------------------------------------------

def audit(conn: Connection, now: dt.datetime, actor: str | None, action: str, target: str | None = None,
          detail=None, ip: str | None = None, ok: bool = True, scope_code: str | None = None) -> None:
    """One audit row. `scope_code` is the jurisdiction it belongs to (who may read it on /admin)."""
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False, default=str)
    conn.execute(insert(audit_log).values(at=now, actor=(actor or "")[:64] or None, action=action[:32],
                                          target=(target or "")[:500] or None,
                                          detail=(detail or "")[:4000] or None,
                                          ip=(ip or "")[:64] or None, ok=ok,
                                          scope_code=(scope_code or "")[:15] or None))


def scope_code_of(conn: Connection, username: str) -> str | None:
    """The jurisdiction of an account (None for a name no account has)."""
    row = get(conn, username)
    return row.scope_code if row else None


def audit_rows(conn: Connection, scope: Scope, whole_instance: bool, since: dt.datetime, limit: int = 500,
               action: str | None = None) -> list:
    """The audit rows an admin of `scope` may read: those of its jurisdiction; rows that belong to
    none (unknown usernames, older rows) only for an admin of the whole instance."""
    r = region.alias("r")
    inside = audit_log.c.scope_code.in_(select(r.c.code).where(level_column(r, scope.level) == scope.code))
    q = select(audit_log).where(audit_log.c.at >= since,
                                or_(inside, audit_log.c.scope_code.is_(None)) if whole_instance else inside)
    if action:
        q = q.where(audit_log.c.action == action)
    return conn.execute(q.order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)).all()
