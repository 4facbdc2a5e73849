"""Numbers and times the Chinese way."""
from __future__ import annotations

import datetime as dt

from data_access.timeutil import SHANGHAI


def count(value) -> str:
    if value is None:
        return "—"
    value = int(value)
    if abs(value) >= 100_000:
        return f"{value / 10_000:.1f}万"
    return f"{value:,}"


def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def decimal(value, digits=1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def clock(instant: dt.datetime | None) -> str:
    return "—" if instant is None else instant.astimezone(SHANGHAI).strftime("%H:%M:%S")


def stamp(instant: dt.datetime | None) -> str:
    return "—" if instant is None else instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def short_stamp(instant: dt.datetime | None) -> str:
    """Month, day and time: for lists of recent days, where the year is noise."""
    return "—" if instant is None else instant.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
