"""Alerts off-screen (issue #16 item 3), on SQLite and PostgreSQL: red/orange warnings pushed to a
企业微信 / 钉钉 robot (a local HTTP receiver started here) and over SMTP (a local aiosmtpd server),
per jurisdiction, masked like the wall, retried with exponential back-off, once per channel
however many workers run, every attempt in the delivery log. The clock is a value the tests
move: back-off is checked on the scheduled times, never by sleeping."""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import io
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, insert, select, update

from data_access import alert_channels, warnings
from data_access.engine import make_engine
from data_access.privacy import mask_name, mask_phone
from data_access.schema import (alert_channel, alert_delivery, alert_delivery_log, audit_log, grid_worker,
                                key_person, region, warning, warning_action)
from dashboard import notify, scheduler

from .conftest import copy_sqlite, now, private_pg

T0 = now()
SECRET = "SEC0123456789abcdef-test-signing-secret"
ROBOT_KEY = "a1b2c3d4-0000-4444-8888-abcdefabcdef"


# --- the private database (written by every test: the fixture's copy or a database of its own) --

@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, tmp_path_factory):
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = copy_sqlite(request.getfixturevalue("sqlite_url"), tmp_path_factory.mktemp("alr") / "alr.db")
        else:
            url = stack.enter_context(private_pg("redgrid_alr", rollups=False))  # the alerts read no rollups
        eng = make_engine(url)
        with eng.connect() as conn:
            towns = conn.execute(select(region.c.code).where(region.c.level == "township")
                                 .order_by(region.c.code).limit(2)).scalars().all()
            grids = [conn.execute(select(region.c.code).where(region.c.level == "grid", region.c.township_code == t)
                                  .order_by(region.c.code).limit(1)).scalar() for t in towns]
        yield {"url": url, "engine": eng, "towns": towns, "grids": grids}
        eng.dispose()


@pytest.fixture()
def eng(db):
    """The module's engine with no channels, deliveries or warnings left by an earlier test."""
    e = db["engine"]
    with e.begin() as conn:
        for table in (alert_delivery_log, alert_delivery, alert_channel, warning_action, warning):
            conn.execute(delete(table))
    return e


class Clock:
    def __init__(self, at=T0):
        self.at = at

    def __call__(self):
        return self.at

    def advance(self, seconds):
        self.at += dt.timedelta(seconds=seconds)


def _warn(e, level, region_code, reason, at=T0, status="new") -> int:
    with e.begin() as conn:
        return conn.execute(insert(warning).values(
            dedup_key=f"test:{uuid.uuid4().hex}", rule="major", level=level, region_code=region_code,
            subject_type="incident", subject_id="1", reason=reason, evidence="{}", status=status, version=1,
            created_at=at, updated_at=at, escalated=False)).inserted_primary_key[0]


def _channel(e, name, kind, region_code, target, min_level="orange", secret=None, at=T0) -> int:
    with e.begin() as conn:
        return alert_channels.add(conn, name, kind, region_code, min_level, target, secret, "test", at)


def _log(e, **where):
    with e.connect() as conn:
        return alert_channels.log_rows(conn, **where)


def _config(**kw):
    base = dict(timeout=2.0, retry_seconds=60, retry_max_seconds=3600, max_attempts=4)
    base.update(kw)
    return notify.Config(**base)


# --- a robot webhook receiver -------------------------------------------------------------------

class Receiver:
    """POSTs to /<path>: `answers[path]` is a list of HTTP codes to give in turn (the last repeats);
    /ding checks DingTalk's signature; /hang never answers in time."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, list[int]] = {}
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                receiver.requests.append({"path": parts.path, "query": query, "body": json.loads(body),
                                          "content_type": self.headers.get("Content-Type")})
                if parts.path == "/hang":
                    receiver.release.wait(10)
                    return
                if parts.path == "/ding":
                    signed = f"{query.get('timestamp')}\n{SECRET}".encode()
                    expected = base64.b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()).decode()
                    fresh = abs(time.time() * 1000 - int(query.get("timestamp", 0))) < 3_600_000  # DingTalk's window
                    ok = query.get("sign") == expected and query.get("access_token") == ROBOT_KEY and fresh
                    return self._answer(200, {"errcode": 0, "errmsg": "ok"} if ok else
                                        {"errcode": 310000, "errmsg": "sign not match"})
                seen = sum(1 for r in receiver.requests if r["path"] == parts.path)
                plan = receiver.answers.get(parts.path, [200])
                code = plan[min(seen, len(plan)) - 1]
                self._answer(code, {"errcode": 0, "errmsg": "ok"} if code == 200 else {"error": "boom"})

            def do_GET(self):  # only a followed redirect would come here
                receiver.requests.append({"path": urlsplit(self.path).path, "method": "GET"})
                self._answer(200, {"errcode": 0})

            def _answer(self, code, payload):
                data = json.dumps(payload).encode()
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path, key=ROBOT_KEY):
        return f"{self.base}{path}?key={key}" if path != "/ding" else f"{self.base}/ding?access_token={key}"

    def bodies(self, path):
        return [r["body"] for r in self.requests if r["path"] == path]

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.close()


# --- tests ----------------------------------------------------------------------------------------

def test_alr001_retried_with_backoff_then_delivered_once(eng, db, receiver):
    receiver.answers["/flaky"] = [500, 500, 200]
    _channel(eng, "街道群", "wecom", db["towns"][0], receiver.url("/flaky"))
    wid = _warn(eng, "red", db["grids"][0], "有人露天焚烧垃圾，联系电话 13912345678")
    clock, cfg = Clock(), _config()

    assert notify.deliver_once(eng, clock, cfg)["failed"] == 1
    clock.advance(59)  # the back-off is not over: no attempt
    assert notify.deliver_once(eng, clock, cfg) == {"planned": 0, "sent": 0, "failed": 0, "skipped": 0}
    assert len(receiver.requests) == 1
    clock.advance(1)  # T0 + 60: the second attempt, which fails again: next in 120 s
    assert notify.deliver_once(eng, clock, cfg)["failed"] == 1
    clock.advance(119)
    assert notify.deliver_once(eng, clock, cfg)["sent"] == 0
    clock.advance(1)  # T0 + 180
    assert notify.deliver_once(eng, clock, cfg)["sent"] == 1
    clock.advance(3600)
    assert notify.deliver_once(eng, clock, cfg)["sent"] == 0  # delivered: never again

    assert len(receiver.requests) == 3
    rows = _log(eng, warning_id=wid)
    s = dt.timedelta(seconds=1)
    assert [(r.attempt, r.status, r.code, r.at, r.next_at) for r in rows] == [
        (1, "error", 500, T0, T0 + 60 * s), (2, "error", 500, T0 + 60 * s, T0 + 180 * s),
        (3, "sent", 200, T0 + 180 * s, None)]
    assert rows[0].error == "HTTP 500" and rows[0].channel_name == "街道群"
    with eng.connect() as conn:
        (d,) = alert_channels.deliveries(conn)
    assert (d.status, d.attempts, d.sent_at) == ("sent", 3, T0 + 180 * s)
    body = receiver.requests[-1]["body"]
    assert body["msgtype"] == "markdown" and receiver.requests[-1]["content_type"].startswith("application/json")
    content = body["markdown"]["content"]
    assert content.startswith("### 【红色预警】重大/群体性事件 · ") and f"#{wid}" in content
    assert "13912345678" not in content and "139＊＊＊＊5678" in content  # masked, and not markdown bold


def test_alr002_dingtalk_signed_and_checked_by_the_receiver(eng, db, receiver):
    good = _channel(eng, "钉钉加签", "dingtalk", db["towns"][0], receiver.url("/ding"), secret=SECRET)
    bad = _channel(eng, "钉钉错签", "dingtalk", db["towns"][0], receiver.url("/ding"), secret="SECwrong")
    wid = _warn(eng, "orange", db["grids"][0], "近24小时「环境卫生」事件 29 起")
    counts = notify.deliver_once(eng, Clock(), _config())
    assert (counts["sent"], counts["failed"]) == (1, 1)
    (ok,) = _log(eng, channel_id=good)
    (refused,) = _log(eng, channel_id=bad)
    assert (ok.status, ok.code, ok.warning_id) == ("sent", 200, wid)
    # The robot answers 200 with an errcode: that is a failure, retried.
    assert (refused.status, refused.code, refused.error) == ("error", 200, "errcode 310000: sign not match")
    assert refused.next_at == T0 + dt.timedelta(seconds=60)
    for req in receiver.requests:
        assert set(req["query"]) == {"access_token", "timestamp", "sign"}
        md = req["body"]["markdown"]
        assert req["body"]["msgtype"] == "markdown" and md["title"].startswith("【橙色预警】")
        assert "\n\n" in md["text"]  # DingTalk's line breaks


class _Mailbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp_server():
    box = _Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def test_alr003_email_in_utf8_with_the_chinese_subject(eng, db, smtp_server):
    box, port = smtp_server
    with eng.connect() as conn:
        kp = conn.execute(select(key_person).where(key_person.c.phone.isnot(None), key_person.c.name.isnot(None),
                                                  key_person.c.id_number.isnot(None))
                          .limit(1)).one()
    _channel(eng, "值班邮箱", "email", db["towns"][0], "duty@example.org, leader@example.org", min_level="red")
    reason = f"重点人员{mask_name(kp.name)}（肇事肇祸）扬言报复，联系电话 {kp.phone}，身份证 {kp.id_number}"
    wid = _warn(eng, "red", db["grids"][0], reason)
    cfg = _config(smtp_host="127.0.0.1", smtp_port=port, smtp_from="redgrid@example.org",
                  link_base="https://redgrid.example.org/")
    counts = notify.deliver_once(eng, Clock(), cfg)
    assert counts["sent"] == 1, (counts, _log(eng))
    (env,) = box.envelopes
    assert env.mail_from == "redgrid@example.org"
    assert sorted(env.rcpt_tos) == ["duty@example.org", "leader@example.org"]
    msg = email.message_from_bytes(env.original_content, policy=email.policy.default)
    assert msg["Subject"].startswith("【红色预警】重大/群体性事件 · ")
    assert msg.get_content_charset() == "utf-8"
    body = msg.get_content()
    assert f"编号：#{wid}" in body and "事由：重点人员" in body
    assert f"前往值班台处置：https://redgrid.example.org/warnings?region={db['grids'][0]}" in body
    raw = env.original_content.decode("ascii", "replace") + body
    assert kp.name not in raw and kp.phone not in raw and kp.id_number not in raw
    assert mask_phone(kp.phone) in body  # as the wall shows it
    (row,) = _log(eng, warning_id=wid)
    assert (row.status, row.code) == ("sent", 250) and "accepted" in row.reply


def test_alr004_real_warnings_carry_no_personal_data(eng, db, receiver):
    """The rules' own warnings on the seeded city, pushed: no name, phone or ID number of a key
    person, a grid worker or a citizen's text reaches the receiver."""
    with eng.begin() as conn:
        raised = warnings.evaluate(conn, T0)
    pushed = [w for w in raised if w["level"] in ("red", "orange")]
    assert pushed and any(w["level"] not in ("red", "orange") for w in raised)
    with eng.connect() as conn:
        city = conn.execute(select(region.c.city_code).where(region.c.code == db["towns"][0])).scalar()
        people = conn.execute(select(key_person.c.name, key_person.c.phone, key_person.c.id_number)).all()
        workers = conn.execute(select(grid_worker.c.name, grid_worker.c.phone)).all()
    _channel(eng, "全市", "wecom", city, receiver.url("/city"))
    assert notify.deliver_once(eng, Clock(), _config())["sent"] == len(pushed)
    sent = json.dumps(receiver.bodies("/city"), ensure_ascii=False)
    assert sorted(int(b["markdown"]["content"].split("**编号**：#")[1].split()[0]) for b in receiver.bodies("/city")) \
        == sorted(w["id"] for w in pushed)
    secrets = {v for p in people for v in p if v and len(v) >= 2} | {v for w in workers for v in w if v and len(v) >= 2}
    assert secrets and [s for s in secrets if s in sent] == []


def test_alr005_jurisdiction_and_levels(eng, db, receiver):
    (town_a, town_b), (grid_a, grid_b) = db["towns"], db["grids"]
    ids = {name: _warn(eng, level, code, f"{name} 的预警")
           for name, level, code in [("red_a", "red", grid_a), ("orange_a", "orange", town_a),
                                     ("yellow_a", "yellow", grid_a), ("blue_a", "blue", grid_a),
                                     ("red_b", "red", grid_b), ("orange_b", "orange", town_b),
                                     ("acked_a", "red", grid_a)]}
    with eng.begin() as conn:  # acknowledged already: the desk has it, nothing to push
        conn.execute(update(warning).where(warning.c.id == ids["acked_a"]).values(status="acknowledged"))
    county = town_a[:6]  # both townships lie in it
    _channel(eng, "甲街道", "wecom", town_a, receiver.url("/a"), min_level="orange")
    _channel(eng, "全区仅红", "wecom", county, receiver.url("/red"), min_level="red")
    notify.deliver_once(eng, Clock(), _config())

    def got(path):
        return sorted(int(b["markdown"]["content"].split("**编号**：#")[1].split()[0]) for b in receiver.bodies(path))
    assert got("/a") == sorted([ids["red_a"], ids["orange_a"]])  # not the other township's, not yellow/blue
    assert got("/red") == sorted([ids["red_a"], ids["red_b"]])
    with eng.begin() as conn:
        with pytest.raises(alert_channels.ChannelError):
            alert_channels.add(conn, "黄色", "wecom", town_a, "yellow", receiver.url("/y"), None, "t", T0)


def test_alr006_two_workers_and_two_runs_deliver_once(eng, db, receiver):
    _channel(eng, "甲", "wecom", db["towns"][0], receiver.url("/one"))
    _channel(eng, "乙", "dingtalk", db["towns"][0], receiver.url("/ding"), secret=SECRET)
    wids = [_warn(eng, "red", db["grids"][0], f"第{i}条") for i in range(3)]
    engines = [make_engine(db["url"]) for _ in range(2)]
    barrier, results = threading.Barrier(2), []

    def work(e):
        barrier.wait()
        try:
            results.append(notify.deliver_once(e, Clock(), _config()))
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert all(isinstance(r, dict) for r in results), results
        assert sum(r["sent"] for r in results) == 6 and sum(r["planned"] for r in results) == 6
        # a later run, a restarted process: nothing again
        assert notify.deliver_once(engines[0], Clock(T0 + dt.timedelta(hours=1)), _config())["sent"] == 0
    finally:
        for e in engines:
            e.dispose()
    assert len(receiver.bodies("/one")) == 3 and len(receiver.bodies("/ding")) == 3
    assert len(_log(eng)) == 6
    # The same warning raised again (its condition went away and came back) is news once more.
    later = T0 + dt.timedelta(hours=2)
    with eng.begin() as conn:
        conn.execute(update(warning).where(warning.c.id == wids[0]).values(created_at=later, status="new"))
    assert notify.deliver_once(eng, Clock(later), _config())["sent"] == 2
    assert len(receiver.bodies("/one")) == 4


def test_alr007_a_failing_channel_does_not_hold_up_the_others(eng, db, receiver):
    receiver.answers["/down"] = [503]
    down = _channel(eng, "坏通道", "wecom", db["towns"][0], receiver.url("/down"))
    hang = _channel(eng, "卡住", "wecom", db["towns"][0], receiver.url("/hang"))
    _channel(eng, "好通道", "wecom", db["towns"][0], receiver.url("/ok"))
    for i in range(3):
        _warn(eng, "red", db["grids"][0], f"第{i}条")
    clock, cfg = Clock(), _config(timeout=0.5, max_attempts=3)
    counts = notify.deliver_once(eng, clock, cfg)
    assert counts == {"planned": 9, "sent": 3, "failed": 2, "skipped": 4}
    assert len(receiver.bodies("/ok")) == 3
    assert [r.error for r in _log(eng, channel_id=down)] == ["HTTP 503"]
    (timed_out,) = _log(eng, channel_id=hang)
    assert timed_out.status == "error" and "timed out" in timed_out.error and timed_out.code is None
    # Through the back-off to the last attempt: the dead channel's deliveries are given up.
    for _ in range(12):
        clock.advance(3600)
        notify.deliver_once(eng, clock, cfg)
    with eng.connect() as conn:
        rows = alert_channels.deliveries(conn, channel_id=down)
    assert [(d.status, d.attempts, d.next_at) for d in rows] == [("failed", 3, None)] * 3
    assert [r.next_at is None for r in _log(eng, channel_id=down)].count(True) == 3  # one final row each


def test_alr008_cli_add_list_test_remove(eng, db, receiver, capsys, monkeypatch):
    from dashboard.__main__ import main
    url = db["url"]
    town = db["towns"][0]
    assert main(["channels", "add", "镇群", "--kind", "wecom", "--region", town, "--min-level", "orange",
                 "--target", receiver.url("/cli"), "--db", url]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert main(["channels", "add", "镇钉钉", "--kind", "dingtalk", "--region", town, "--sign",
                 "--target", receiver.url("/ding"), "--db", url]) == 0
    for bad in (["--kind", "wecom", "--target", "ftp://127.0.0.1/x"], ["--kind", "wecom", "--target", "file:///etc/x"],
                ["--kind", "email", "--target", "not-an-address"]):
        assert main(["channels", "add", "坏", "--region", town, *bad, "--db", url]) == 2
    assert main(["channels", "add", "无区", "--kind", "wecom", "--region", "999999", "--target",
                 receiver.url("/x"), "--db", url]) == 2
    capsys.readouterr()
    assert main(["channels", "list", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "镇群" in out and "镇钉钉" in out and "(加签)" in out and "key=a1b2…" in out
    assert ROBOT_KEY not in out and SECRET not in out and "坏" not in out
    assert main(["channels", "test", "镇钉钉", "--db", url]) == 0
    assert capsys.readouterr().out.strip() == "ok: 200"
    assert receiver.bodies("/ding")[0]["markdown"]["title"] == "【测试】红格指挥舱预警推送通道测试"
    (row,) = _log(eng)
    assert (row.warning_id, row.channel_name, row.status) == (None, "镇钉钉", "sent")
    assert main(["channels", "remove", "镇群", "--db", url]) == 0
    assert main(["channels", "remove", "镇群", "--db", url]) == 2
    with eng.connect() as conn:
        assert [c.name for c in alert_channels.channels(conn)] == ["镇钉钉"]
        audit = conn.execute(select(audit_log.c.action, audit_log.c.target, audit_log.c.detail)
                             .where(audit_log.c.action.like("alert_channel_%")).order_by(audit_log.c.id)).all()
    assert [(a.action, a.target) for a in audit][-3:] == [("alert_channel_add", "镇群"), ("alert_channel_add", "镇钉钉"),
                                                           ("alert_channel_remove", "镇群")]
    assert all(ROBOT_KEY not in (a.detail or "") and SECRET not in (a.detail or "") for a in audit)


def test_alr009_the_scheduler_thread_delivers(eng, db, receiver):
    _channel(eng, "定时", "wecom", db["towns"][0], receiver.url("/tick"))
    wid = _warn(eng, "red", db["grids"][0], "定时推送")
    stop = threading.Event()
    deferred = threading.Event()

    def defer():  # the first pass defers (a refresher beats), the next ones do the work
        if not deferred.is_set():
            deferred.set()
            return True
        return False
    worker = threading.Thread(target=scheduler._alerts_loop, args=(eng, 0.2, _config(), defer, stop), daemon=True)
    worker.start()
    try:
        for _ in range(300):
            if _log(eng, warning_id=wid):
                break
            stop.wait(0.1)
    finally:
        stop.set()
        worker.join(10)
    assert deferred.is_set() and len(receiver.bodies("/tick")) == 1
    assert [r.status for r in _log(eng, warning_id=wid)] == ["sent"]
    assert scheduler.deliver_alerts(eng, _config()) == {"planned": 0, "sent": 0, "failed": 0, "skipped": 0}
    # The scheduler's start runs this loop beside the evaluator, with the same stop event.
    stop = scheduler.start(eng, 3600, defer=lambda: True, alerts_seconds=0.2)
    try:
        assert "alerts-delivery" in [t.name for t in threading.enumerate()]
    finally:
        stop.set()
    assert scheduler.start(eng, 0, alerts_seconds=1) is None  # the scheduler off: no deliveries either


def test_alr010_starttls_required_is_never_sent_in_clear(eng, db, smtp_server):
    box, port = smtp_server  # a server that offers no STARTTLS
    _channel(eng, "加密邮箱", "email", db["towns"][0], "duty@example.org")
    wid = _warn(eng, "red", db["grids"][0], "不得明文发送")
    cfg = _config(smtp_host="127.0.0.1", smtp_port=port, smtp_from="redgrid@example.org", smtp_starttls=True)
    assert notify.deliver_once(eng, Clock(), cfg)["failed"] == 1
    assert box.envelopes == []
    (row,) = _log(eng, warning_id=wid)
    assert row.status == "error" and "STARTTLS" in row.error
    # No SMTP server configured: a logged failure, not a crash.
    assert notify.send_email(_config(), ["duty@example.org"], notify.probe_message()).error == "未配置 SMTP_HOST / SMTP_FROM"


def test_alr011_only_http_urls_and_no_redirects(receiver):
    receiver.answers["/moved"] = [302]
    payload = notify.robot_payload("wecom", notify.probe_message())
    moved = notify.post_webhook(receiver.url("/moved"), payload, 2)
    assert (moved.ok, moved.code) == (False, 302)
    assert [r["path"] for r in receiver.requests] == ["/moved"]  # not followed
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"):
        assert notify.post_webhook(url, payload, 2) == notify.Result(False, error="只投递到 http(s) 地址")
    refused = notify.post_webhook("http://127.0.0.1:9/", payload, 2)  # nothing listens on the discard port
    assert not refused.ok and refused.error.startswith("URLError") and ROBOT_KEY not in refused.error
