"""Personal data is masked on the way out of the database unless a permitted role asks."""
from __future__ import annotations


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "*" * len(phone)


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:6] + "*" * max(0, len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)
