"""A lease row in dashboard_meta: one holder at a time across processes and hosts.

Portable (SQLite and PostgreSQL alike): taking the lease is one conditional
UPDATE, so two workers that try at once cannot both succeed. The very first
take INSERTs the row; a racing second INSERT fails on the primary key and that
caller simply tries again at its next interval.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection

from .schema import app_meta


def try_take(conn: Connection, name: str, holder: str, now: dt.datetime, seconds: float) -> bool:
    """Take (or renew) lease `name` for `seconds` when it is free, expired, or already ours."""
    key = f"lease.{name}"
    taken = conn.execute(
        update(app_meta)
        .where(app_meta.c.key == key,
               or_(app_meta.c.value == holder, app_meta.c.updated_at < now - dt.timedelta(seconds=seconds)))
        .values(value=holder, updated_at=now))
    if taken.rowcount == 1:
        return True
    if conn.execute(select(app_meta.c.key).where(app_meta.c.key == key)).first() is not None:
        return False  # someone else holds it
    conn.execute(insert(app_meta).values(key=key, value=holder, updated_at=now))
    return True


def holder(conn: Connection, name: str) -> str | None:
    return conn.execute(select(app_meta.c.value).where(app_meta.c.key == f"lease.{name}")).scalar()
