"""Alerts off-screen: the channels red/orange warnings are pushed to, and their deliveries.

A channel (企业微信 / 钉钉 robot webhook, or e-mail) belongs to a region and receives the
unacknowledged warnings raised inside that region's subtree at or above its minimum level
(red, or red and orange: yellow and blue are never pushed). Sending is dashboard/notify.py's;
this module holds the SQL.

Exactly once per (channel, warning, raising), across restarts and several processes:
`plan` inserts one `alert_delivery` row per pair, ignoring the duplicate key another process
may have inserted first; `claim` takes one attempt with a conditional UPDATE (the attempt
count must still be the one read), so of two processes only one sends it. A process that dies
between its send and `record` leaves the row 'sending' until the claim expires; it is then
tried again (at least once, not at most once, in that one case).
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from .schema import (ALERT_CHANNEL_KINDS, alert_channel, alert_delivery, alert_delivery_log, region,
                     warning)
from .scope import RegionError, lookup
from .warning_counts import subtree
from .warning_silences import silenced

KINDS = ALERT_CHANNEL_KINDS
WEBHOOK_KINDS = ("wecom", "dingtalk")
# A channel's minimum level -> the levels it receives (the alarm levels only).
LEVELS_FROM = {"red": ("red",), "orange": ("red", "orange")}
PUSHED_STATUSES = ("new",)  # what the wall sounds for: nobody has acknowledged it yet
MAX_ADDRESSES = 20
_NAME = re.compile(r"[\w.\-\u4e00-\u9fff]{1,64}")
_ADDRESS = re.compile(r"[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+")


class ChannelError(ValueError):
    """A channel that cannot be saved as given: the sentence says why."""


# --- channels ----------------------------------------------------------------

def check_target(kind: str, target: str) -> str:
    """A webhook must be an http(s) URL with a host; e-mail, up to MAX_ADDRESSES addresses."""
    target = (target or "").strip()
    if kind in WEBHOOK_KINDS:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in target) \
                or len(target) > 2000:
            raise ChannelError("Webhook 地址须为 http(s):// 开头的完整网址")
        return target
    addresses = [a.strip() for a in re.split(r"[,;]", target) if a.strip()]
    if not addresses or len(addresses) > MAX_ADDRESSES or not all(_ADDRESS.fullmatch(a) for a in addresses):
        raise ChannelError(f"收件地址须为 1–{MAX_ADDRESSES} 个电子邮箱，以逗号分隔")
    return ",".join(addresses)


def add(conn: Connection, name: str, kind: str, region_code: str, min_level: str, target: str,
        secret: str | None, actor: str | None, now: dt.datetime) -> int:
    """A new active channel; its id. The region must exist (RegionError otherwise)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ChannelError("通道名称须为 1–64 个字母、数字、汉字、点、横线或下划线")
    if kind not in KINDS:
        raise ChannelError(f"通道类型须为 {' / '.join(KINDS)}")
    if min_level not in LEVELS_FROM:
        raise ChannelError("最低推送级别须为 red（仅红色）或 orange（红色和橙色）；黄色、蓝色不推送")
    if secret and kind != "dingtalk":
        raise ChannelError("只有钉钉机器人使用加签密钥")
    target = check_target(kind, target)
    lookup(conn, region_code)
    if get(conn, name) is not None:
        raise ChannelError(f"通道 {name} 已存在")
    return conn.execute(insert(alert_channel).values(
        name=name, kind=kind, region_code=region_code, min_level=min_level, target=target,
        secret=secret or None, active=True, created_at=now, created_by=(actor or "")[:64] or None)
    ).inserted_primary_key[0]


def channels(conn: Connection) -> list:
    return conn.execute(select(alert_channel).order_by(alert_channel.c.name)).all()


def get(conn: Connection, name: str):
    return conn.execute(select(alert_channel).where(alert_channel.c.name == name)).first()


def remove(conn: Connection, name: str):
    """Delete a channel and its pending deliveries (the attempts' log stays); the row removed, or None."""
    row = get(conn, name)
    if row is None:
        return None
    conn.execute(delete(alert_delivery).where(alert_delivery.c.channel_id == row.id))
    conn.execute(delete(alert_channel).where(alert_channel.c.id == row.id))
    return row


# --- deliveries --------------------------------------------------------------

def _insert_ignoring_duplicates(conn: Connection):
    # One statement that skips a key another process inserted first (both dialects say ON CONFLICT).
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(alert_delivery)


def plan(conn: Connection, now: dt.datetime) -> int:
    """One pending delivery for every active channel and every warning it should receive that
    has none yet; returns how many were added (0 when another process planned them)."""
    added = 0
    for ch in conn.execute(select(alert_channel).where(alert_channel.c.active.is_(True))).all():
        try:
            r = lookup(conn, ch.region_code)
        except RegionError:  # its region was removed from the shared table: nothing lies inside it
            continue
        joined, inside, g = subtree(r)
        wanted = (select(literal(ch.id), warning.c.id, warning.c.created_at, literal("pending"), literal(0),
                         literal(now, alert_delivery.c.next_at.type), literal(now, alert_delivery.c.created_at.type))
                  .select_from(joined)
                  .where(inside, warning.c.status.in_(PUSHED_STATUSES), warning.c.level.in_(LEVELS_FROM[ch.min_level]),
                         warning.c.created_at <= now, ~silenced(g, now)))
        stmt = _insert_ignoring_duplicates(conn).from_select(
            ["channel_id", "warning_id", "raised_at", "status", "attempts", "next_at", "created_at"], wanted
        ).on_conflict_do_nothing()
        # SQLAlchemy keeps an INSERT's rowcount only when asked (PostgreSQL answered -1 otherwise).
        added += max(conn.execute(stmt, execution_options={"preserve_rowcount": True}).rowcount or 0, 0)
    return added


def due(conn: Connection, now: dt.datetime, limit: int = 200) -> list:
    """Deliveries whose next attempt is due (or whose claim expired), with what a message needs:
    the channel, the warning, its region's name and those of its township and county."""
    g, town, county = region.alias("g"), region.alias("t"), region.alias("co")
    d, c = alert_delivery, alert_channel
    return conn.execute(
        select(d.c.channel_id, d.c.warning_id, d.c.raised_at, d.c.attempts, d.c.status,
               c.c.name.label("channel_name"), c.c.kind, c.c.target, c.c.secret,
               warning.c.level, warning.c.rule, warning.c.region_code, warning.c.reason, warning.c.created_at,
               g.c.name.label("region_name"), g.c.level.label("region_level"),
               town.c.name.label("township_name"), county.c.name.label("county_name"))
        .select_from(d.join(c, c.c.id == d.c.channel_id).join(warning, warning.c.id == d.c.warning_id)
                     .outerjoin(g, g.c.code == warning.c.region_code)
                     .outerjoin(town, town.c.code == g.c.township_code)
                     .outerjoin(county, county.c.code == g.c.county_code))
        .where(d.c.status.in_(("pending", "sending")), d.c.next_at <= now, c.c.active.is_(True))
        .order_by(d.c.next_at, d.c.warning_id, d.c.channel_id).limit(limit)).all()


def _key(row):
    return and_(alert_delivery.c.channel_id == row.channel_id, alert_delivery.c.warning_id == row.warning_id,
                alert_delivery.c.raised_at == row.raised_at)


def claim(conn: Connection, row, now: dt.datetime, hold_seconds: float) -> bool:
    """Take the next attempt of a due delivery for `hold_seconds`; False when another process took it."""
    return conn.execute(
        update(alert_delivery)
        .where(_key(row), alert_delivery.c.attempts == row.attempts,
               alert_delivery.c.status.in_(("pending", "sending")), alert_delivery.c.next_at <= now)
        .values(status="sending", attempts=row.attempts + 1, next_at=now + dt.timedelta(seconds=hold_seconds))
    ).rowcount == 1


def record(conn: Connection, row, attempt: int, now: dt.datetime, ok: bool, code: int | None,
           reply: str | None, error: str | None, retry_at: dt.datetime | None) -> None:
    """The outcome of attempt `attempt`: sent, retry at `retry_at`, or given up (failed); one log row."""
    if ok:
        values = {"status": "sent", "sent_at": now, "next_at": None}
    elif retry_at is not None:
        values = {"status": "pending", "next_at": retry_at}
    else:
        values = {"status": "failed", "next_at": None}
    conn.execute(update(alert_delivery)
                 .where(_key(row), alert_delivery.c.attempts == attempt, alert_delivery.c.status == "sending")
                 .values(**values))
    log(conn, row.warning_id, row.channel_id, row.channel_name, attempt, ok, code, reply, error, now,
        None if ok else retry_at)


def log(conn: Connection, warning_id: int | None, channel_id: int, channel_name: str, attempt: int, ok: bool,
        code: int | None, reply: str | None, error: str | None, now: dt.datetime,
        retry_at: dt.datetime | None = None) -> None:
    conn.execute(insert(alert_delivery_log).values(
        warning_id=warning_id, channel_id=channel_id, channel_name=channel_name[:64], attempt=attempt,
        status="sent" if ok else "error", code=code, reply=(reply or "")[:300] or None,
        error=(error or "")[:500] or None, at=now, next_at=retry_at))


def log_rows(conn: Connection, warning_id: int | None = None, channel_id: int | None = None,
             limit: int = 200) -> list:
    q = select(alert_delivery_log)
    if warning_id is not None:
        q = q.where(alert_delivery_log.c.warning_id == warning_id)
    if channel_id is not None:
        q = q.where(alert_delivery_log.c.channel_id == channel_id)
    return conn.execute(q.order_by(alert_delivery_log.c.id).limit(limit)).all()


def deliveries(conn: Connection, channel_id: int | None = None) -> list:
    q = select(alert_delivery)
    if channel_id is not None:
        q = q.where(alert_delivery.c.channel_id == channel_id)
    return conn.execute(q.order_by(alert_delivery.c.channel_id, alert_delivery.c.warning_id)).all()
