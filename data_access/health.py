"""Is the database answering, and how fresh is its newest data?"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from .schema import appeal, incident, patrol


def check(engine: Engine, now: dt.datetime) -> dict:
    try:
        with engine.connect() as conn:
            newest = [conn.execute(select(func.max(col)).where(col <= now)).scalar()
                      for col in (incident.c.reported_at, patrol.c.started_at, appeal.c.received_at)]
    except SQLAlchemyError as exc:
        return {"database": "down", "error": type(getattr(exc, "orig", None) or exc).__name__}
    newest = [t for t in newest if t is not None]
    latest = max(newest) if newest else None
    return {"database": "ok", "newest_data_at": latest.isoformat() if latest else None,
            "data_age_seconds": None if latest is None else int((now - latest).total_seconds())}
