"""Time: stored in UTC, counted in Asia/Shanghai days, with an injectable now."""
from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc


def parse_instant(text: str) -> dt.datetime:
    """An ISO timestamp; one without an offset is read as Asia/Shanghai wall time."""
    value = dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(UTC)


def now() -> dt.datetime:
    """The current instant, or DASHBOARD_NOW when set (replay, reproducible tests)."""
    fixed = os.environ.get("DASHBOARD_NOW")
    if fixed:
        return parse_instant(fixed)
    return dt.datetime.now(UTC).replace(microsecond=0)


def wall_clock() -> dt.datetime:
    """Real time, never replayed: audit records, sign-in and lockout windows."""
    return dt.datetime.now(UTC)


def day_start(instant: dt.datetime, days_back: int = 0) -> dt.datetime:
    """Start (in UTC) of the Asia/Shanghai day holding `instant`, `days_back` days earlier."""
    local = instant.astimezone(SHANGHAI).date() - dt.timedelta(days=days_back)
    return dt.datetime.combine(local, dt.time(), SHANGHAI).astimezone(UTC)


def local_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(SHANGHAI).date()


class local_date(FunctionElement):
    """SQL: the Asia/Shanghai calendar day of a UTC timestamp, as 'YYYY-MM-DD' text."""

    type = String()
    inherit_cache = True
    name = "local_date"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    # China has had no daylight saving since 1991: a fixed +8 h is exact.
    return "date(%s, '+8 hours')" % compiler.process(element.clauses, **kw)


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    return "to_char((%s) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')" % compiler.process(
        element.clauses, **kw)
