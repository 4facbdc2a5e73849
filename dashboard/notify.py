"""Alerts off-screen (issue #16): red/orange warnings pushed to 企业微信 / 钉钉 robots and e-mail.

`deliver_once(engine, clock, config)` is one pass of the delivery worker (the scheduler runs it
every ALERTS_DELIVER_SECONDS): plan the deliveries of new warnings, then send each due one —
one attempt per claim, a failure retried after an exponential back-off (ALERTS_RETRY_SECONDS,
doubling up to ALERTS_RETRY_MAX_SECONDS) until ALERTS_MAX_ATTEMPTS, every attempt one row of
the delivery log. The SQL and the exactly-once rules are in data_access/alert_channels.py.

The message is the wall's: the warning's level, rule, region and reason — the reason as the
rules wrote it (names already masked), passed through `privacy.mask_text` once more so a phone
or ID number that reached it is masked here too. Never a person's record, a worker's name or phone.

Every network call has a timeout (ALERTS_TIMEOUT_SECONDS); only http(s) URLs are posted to and
redirects are not followed; a channel whose attempt fails is left alone for the rest of the pass,
so a dead receiver costs one timeout per pass and never holds up the other channels.

`python -m dashboard channels add|list|remove|test` is the admin's command (`add_parser`, `run`).
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import email.policy
import getpass
import hashlib
import hmac
import http.client
import json
import logging
import os
import smtplib
import ssl
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import Engine

from data_access import RegionError, alert_channels, users
from data_access import engine as db
from data_access.privacy import mask_text
from data_access.timeutil import SHANGHAI, wall_clock
from data_access.vocabulary import WARNING_LEVEL_NAMES, WARNING_RULE_NAMES

from . import settings

log = logging.getLogger(__name__)
MAX_REASON = 300  # characters of the reason in a message (WeCom's markdown takes 4096 bytes)
MAX_REPLY = 2048  # bytes of a receiver's answer that are read


@dataclass(frozen=True)
class Config:
    timeout: float = 10.0
    retry_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    max_attempts: int = 8
    link_base: str = ""
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_starttls: bool = False

    @classmethod
    def from_settings(cls, values: dict) -> "Config":
        return cls(timeout=float(values["ALERTS_TIMEOUT_SECONDS"]),
                   retry_seconds=float(values["ALERTS_RETRY_SECONDS"]),
                   retry_max_seconds=float(values["ALERTS_RETRY_MAX_SECONDS"]),
                   max_attempts=int(values["ALERTS_MAX_ATTEMPTS"]),
                   link_base=str(values["ALERTS_LINK_BASE"]), smtp_host=str(values["SMTP_HOST"]),
                   smtp_port=int(values["SMTP_PORT"]), smtp_user=str(values["SMTP_USER"]),
                   smtp_password=str(values["SMTP_PASSWORD"]), smtp_from=str(values["SMTP_FROM"]),
                   smtp_starttls=bool(int(values["SMTP_STARTTLS"])))

    @property
    def hold_seconds(self) -> float:
        """How long a claimed attempt is ours: longer than any send (an SMTP session is several calls)."""
        return self.timeout * 6 + 60


def backoff(config: Config, attempt: int) -> dt.timedelta:
    """The wait after failed attempt `attempt` (1, 2, …): retry_seconds, doubled each time, capped."""
    return dt.timedelta(seconds=min(config.retry_seconds * 2 ** (attempt - 1), config.retry_max_seconds))


@dataclass(frozen=True)
class Result:
    ok: bool
    code: int | None = None  # HTTP status or SMTP reply code
    reply: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Message:
    subject: str
    lines: tuple  # (label, value) pairs, value plain text
    link: str | None

    def text(self) -> str:
        body = [self.subject, ""] + [f"{k}：{v}" for k, v in self.lines]
        if self.link:
            body += ["", f"前往值班台处置：{self.link}"]
        return "\n".join(body) + "\n"

    def markdown(self, kind: str) -> str:
        # DingTalk breaks a line only at a blank line; WeCom at each newline.
        sep = "\n\n" if kind == "dingtalk" else "\n"
        rows = [f"### {_md(self.subject)}"] + [f"**{k}**：{_md(v)}" for k, v in self.lines]
        if self.link:
            rows.append(f"[前往值班台处置]({self.link})")
        return sep.join(rows)


# Citizens' text in a reason must not become a link, a heading or bold markup in a robot's markdown
# (full-width look-alikes read the same); masked digits "*" become "＊". Every line starts
# with its bold label, so a "#" inside a value is no heading.
_MD = str.maketrans({"[": "［", "]": "］", "(": "（", ")": "）", "<": "＜", ">": "＞", "*": "＊",
                     "`": "｀", "_": "＿", "~": "～", "|": "｜", "\n": " ", "\r": " "})


def _md(text: str) -> str:
    return str(text).translate(_MD)


def _region_path(row) -> str:
    names = [row.county_name, row.township_name, row.region_name]
    out: list[str] = []
    for name in names:
        if name and name not in out:
            out.append(name)
    return "".join(out) or row.region_code


def message(row, link_base: str = "") -> Message:
    """The masked message of one warning (a row of `alert_channels.due`)."""
    level = WARNING_LEVEL_NAMES.get(row.level, row.level)
    rule = WARNING_RULE_NAMES.get(row.rule, row.rule)
    reason = mask_text(" ".join(str(row.reason or "").split()))
    if len(reason) > MAX_REASON:
        reason = reason[:MAX_REASON - 1] + "…"
    where = _region_path(row)
    raised = row.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    link = None
    if link_base:
        link = f"{link_base.rstrip('/')}/warnings?region={quote_plus(row.region_code)}"
    return Message(subject=f"【{level}色预警】{rule} · {where}",
                   lines=(("级别", f"{level}色"), ("类型", rule), ("区域", where), ("时间", raised),
                          ("事由", reason), ("编号", f"#{row.warning_id}"), ("状态", "待确认，请尽快处置")),
                   link=link)


def probe_message() -> Message:
    at = wall_clock().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return Message(subject="【测试】红格指挥舱预警推送通道测试",
                   lines=(("时间", at), ("说明", "本通道配置正确，红色、橙色预警将推送至此。")), link=None)


# --- sending -----------------------------------------------------------------

def sign_dingtalk(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret, base64, as
    `timestamp` and `sign` query parameters."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("timestamp", "sign")]
    query += [("timestamp", str(timestamp_ms)), ("sign", base64.b64encode(digest).decode("ascii"))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def robot_payload(kind: str, msg: Message) -> dict:
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": msg.markdown(kind)}}
    return {"msgtype": "markdown", "markdown": {"title": msg.subject, "text": msg.markdown(kind)}}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a robot webhook does not redirect: the 3xx is the answer (a failure)


def post_webhook(url: str, payload: dict, timeout: float) -> Result:
    """POST the JSON; success is a 2xx whose body, when JSON, has errcode 0 (both robots answer
    200 with an errcode for a bad key, a bad signature or a rate limit)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return Result(False, error="只投递到 http(s) 地址")
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                     method="POST", headers={"Content-Type": "application/json; charset=utf-8"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as resp:
            code, body = resp.status, resp.read(MAX_REPLY).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:  # 3xx, 4xx, 5xx
        body = exc.read(MAX_REPLY).decode("utf-8", "replace") if exc.fp else ""
        return Result(False, exc.code, body[:300] or None, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)  # never the URL: its key is a secret
        return Result(False, error=f"{type(exc).__name__}: {reason}"[:300])
    try:
        answer = json.loads(body) if body.strip() else {}
    except ValueError:
        answer = {}
    errcode = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if errcode not in (0, "0", None):
        return Result(False, code, body[:300], f"errcode {errcode}: {str(answer.get('errmsg', ''))[:200]}")
    return Result(True, code, body[:300] or None)


def send_email(config: Config, addresses: list[str], msg: Message) -> Result:
    """One message to the addresses over SMTP (STARTTLS when configured); the code is the DATA reply."""
    if not config.smtp_host or not config.smtp_from:
        return Result(False, error="未配置 SMTP_HOST / SMTP_FROM")
    mail = EmailMessage()
    mail["Subject"] = msg.subject
    mail["From"] = config.smtp_from
    mail["To"] = ", ".join(addresses)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=config.smtp_from.rsplit("@", 1)[-1] or None)
    mail.set_content(msg.text(), charset="utf-8", cte="base64")  # safe through relays without 8BITMIME
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout) as smtp:
            smtp.ehlo()
            if config.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if config.smtp_user:
                smtp.login(config.smtp_user, config.smtp_password)
            code, reply = smtp.mail(config.smtp_from)
            if code != 250:
                return Result(False, code, _text(reply), "发件人被拒绝")
            accepted = [a for a in addresses if smtp.rcpt(a)[0] in (250, 251)]
            if not accepted:
                return Result(False, None, None, "全部收件人被拒绝")
            # CRLF line ends: data() sends bytes as they are, and a server reads lines by CRLF
            code, reply = smtp.data(mail.as_bytes(policy=email.policy.SMTP))
            if code != 250:
                return Result(False, code, _text(reply), "邮件未被接收")
            refused = len(addresses) - len(accepted)
            return Result(True, code, _text(reply), f"{refused} 个收件人被拒绝" if refused else None)
    except smtplib.SMTPResponseException as exc:
        return Result(False, exc.smtp_code, _text(exc.smtp_error), type(exc).__name__)
    except (smtplib.SMTPException, OSError, ssl.SSLError, ValueError) as exc:
        return Result(False, error=f"{type(exc).__name__}: {exc}"[:300])


def _text(reply) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply or ""))[:300]


def send(kind: str, target: str, secret: str | None, msg: Message, config: Config,
         timestamp_ms: Callable[[], int] | None = None) -> Result:
    """Deliver one message over one channel; never raises for a receiver's fault."""
    if kind == "email":
        return send_email(config, target.split(","), msg)
    url = target
    if kind == "dingtalk" and secret:
        url = sign_dingtalk(url, secret, (timestamp_ms or (lambda: int(time.time() * 1000)))())
    return post_webhook(url, robot_payload(kind, msg), config.timeout)


# --- the worker ----------------------------------------------------------------

def deliver_once(engine: Engine, clock: Callable[[], dt.datetime], config: Config, limit: int = 200) -> dict:
    """One pass: plan, then one attempt for each due delivery this process claims. Counts by outcome."""
    counts = {"planned": 0, "sent": 0, "failed": 0, "skipped": 0}
    with engine.begin() as conn:
        counts["planned"] = alert_channels.plan(conn, clock())
    with engine.connect() as conn:
        rows = alert_channels.due(conn, clock(), limit)
    failing: set[int] = set()
    for row in rows:
        if row.channel_id in failing:  # it just failed: its other deliveries wait for the next pass
            counts["skipped"] += 1
            continue
        with engine.begin() as conn:
            if not alert_channels.claim(conn, row, clock(), config.hold_seconds):
                continue  # another process has it
        attempt = row.attempts + 1
        try:
            result = send(row.kind, row.target, row.secret, message(row, config.link_base), config)
        except Exception as exc:  # noqa: BLE001 - a bug in formatting one warning must not stop the pass
            log.exception("alerts: sending warning %s over channel %s failed", row.warning_id, row.channel_name)
            result = Result(False, error=f"{type(exc).__name__}"[:300])
        at = clock()
        retry_at = None if result.ok or attempt >= config.max_attempts else at + backoff(config, attempt)
        with engine.begin() as conn:
            alert_channels.record(conn, row, attempt, at, result.ok, result.code, result.reply, result.error,
                                  retry_at)
        if result.ok:
            counts["sent"] += 1
        else:
            counts["failed"] += 1
            failing.add(row.channel_id)
            if retry_at is None:
                log.warning("alerts: gave up warning %s on channel %s after %d attempts (%s)",
                            row.warning_id, row.channel_name, attempt, result.error)
    return counts


# --- python -m dashboard channels … ---------------------------------------------

def add_parser(sub) -> None:
    p = sub.add_parser("channels", help="where red/orange warnings are pushed (企业微信, 钉钉, e-mail)")
    cs = p.add_subparsers(dest="channels_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database URL (default: DATABASE_URL or var/redgrid.db)")
    add = cs.add_parser("add", help="add a channel", parents=[common])
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=alert_channels.KINDS)
    add.add_argument("--region", required=True, help="region code: warnings inside its subtree")
    add.add_argument("--min-level", default="red", choices=tuple(alert_channels.LEVELS_FROM),
                     help="red: red only; orange: red and orange (yellow and blue are never pushed)")
    add.add_argument("--target", required=True, help="webhook URL, or comma-separated e-mail addresses")
    add.add_argument("--sign", action="store_true",
                     help="钉钉 加签: read the signing secret from stdin (prompted on a terminal)")
    cs.add_parser("list", help="list channels (secrets shortened)", parents=[common])
    rm = cs.add_parser("remove", help="remove a channel (its delivery log stays)", parents=[common])
    rm.add_argument("name")
    t = cs.add_parser("test", help="send a test message over a channel now", parents=[common])
    t.add_argument("name")


def shorten_target(kind: str, target: str) -> str:
    """A webhook URL with its query values (the robot's key / access token) cut to 4 characters."""
    if kind not in alert_channels.WEBHOOK_KINDS:
        return target
    parts = urlsplit(target)
    query = "&".join(f"{k}={v[:4]}…" if len(v) > 4 else f"{k}=…" for k, v in
                     parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _secret() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("钉钉加签密钥 (SEC…): ").strip()
    return sys.stdin.readline().strip()


def run(args) -> int:
    engine = db.make_engine(args.db)
    db.create_own_tables(engine)
    actor = f"cli:{getpass.getuser()}@{os.uname().nodename}"
    at = wall_clock()
    cmd = args.channels_command
    try:
        if cmd == "list":
            with engine.connect() as conn:
                for c in alert_channels.channels(conn):
                    print(f"{c.name:<20} {c.kind:<9} {c.region_code:<15} ≥{c.min_level:<7} "
                          f"{'active' if c.active else 'disabled':<8} {shorten_target(c.kind, c.target)}"
                          f"{'  (加签)' if c.secret else ''}")
            return 0
        if cmd == "test":
            with engine.connect() as conn:
                c = alert_channels.get(conn, args.name)
            if c is None:
                raise alert_channels.ChannelError(f"通道 {args.name} 不存在")
            result = send(c.kind, c.target, c.secret, probe_message(), Config.from_settings(settings.load()))
            with engine.begin() as conn:
                alert_channels.log(conn, None, c.id, c.name, 1, result.ok, result.code, result.reply, result.error,
                                   wall_clock())
            print(("ok" if result.ok else "error") + (f": {result.code}" if result.code else "")
                  + (f" {result.error}" if result.error else ""))
            return 0 if result.ok else 1
        with engine.begin() as conn:  # the change and its audit row: one transaction
            if cmd == "add":
                secret = _secret() if args.sign else None
                if args.sign and not secret:
                    raise alert_channels.ChannelError("加签密钥为空")
                alert_channels.add(conn, args.name, args.kind, args.region, args.min_level, args.target, secret,
                                   actor, at)
                users.audit(conn, at, actor, "alert_channel_add", args.name,
                            {"kind": args.kind, "region": args.region, "min_level": args.min_level,
                             "target": shorten_target(args.kind, args.target), "signed": bool(secret)},
                            scope_code=args.region)
            elif cmd == "remove":
                row = alert_channels.remove(conn, args.name)
                if row is None:
                    raise alert_channels.ChannelError(f"通道 {args.name} 不存在")
                users.audit(conn, at, actor, "alert_channel_remove", args.name, {"kind": row.kind},
                            scope_code=row.region_code)
    except (alert_channels.ChannelError, RegionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print("ok")
    return 0
