"""Signed-in sessions (the dashboard's own table `app_session`), keyed by the SHA-256 of the
browser's session id: a database reader cannot take a session over."""
from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from .schema import app_session


def digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def load(conn: Connection, key: str, now: dt.datetime) -> dict | None:
    row = conn.execute(select(app_session.c.data).where(app_session.c.session_key == key,
                                                        app_session.c.expires_at > now)).first()
    return json.loads(row.data) if row else None


def save(conn: Connection, key: str, user_key: str, data: dict, now: dt.datetime, expires: dt.datetime) -> None:
    text = json.dumps(data, ensure_ascii=False, default=str)
    done = conn.execute(update(app_session).where(app_session.c.session_key == key)
                        .values(user_key=user_key, data=text, expires_at=expires)).rowcount
    if not done:
        conn.execute(insert(app_session).values(session_key=key, user_key=user_key, data=text, created_at=now,
                                                expires_at=expires))


def remove(conn: Connection, key: str) -> None:
    conn.execute(delete(app_session).where(app_session.c.session_key == key))


def revoke_user(conn: Connection, user_key: str) -> list[str]:
    """End every session of one account or kiosk; the keys, for the caller to drop from caches."""
    keys = conn.execute(select(app_session.c.session_key).where(app_session.c.user_key == user_key)).scalars().all()
    conn.execute(delete(app_session).where(app_session.c.user_key == user_key))
    return list(keys)


def purge_expired(conn: Connection, now: dt.datetime) -> int:
    return conn.execute(delete(app_session).where(app_session.c.expires_at <= now)).rowcount

