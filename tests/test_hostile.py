"""Hostile and broken input (issue #7): property-based tests (hypothesis) throw malformed,
oversized and hostile values at every server callback in `app.callback_map`, at every
query-string parameter of every route, at the login form and at Dash's own endpoint.

Each case runs on a private copy of the tiny city (SQLite) and on a private PostgreSQL
database, signed in as a city duty officer (who may act on warnings) and as a township
leader (who may read one township only); hostile values are drawn per example: random and
huge text, unicode (full-width and Arabic digits, RTL marks, lone surrogates, NUL), SQL
fragments, path traversal, template and markup injection, numbers and lists where strings
go, None, deep and wide dicts, mixed with well-formed values (real codes, real warning ids)
so that the hostile part reaches the code behind the first check.

Every answer must be a clear 4xx or a message in the UI: never a 5xx, never a stack trace,
never a rendered "（500）" page, and no exception (nor an app warning such as "audit log
unavailable") may be logged while it is made. No SQL statement the app sends may contain the
marker planted in every hostile string: a `before_cursor_execute` listener on the app's engine
reads every statement and records any that carries it (values travel as bind parameters, which
is fine); the check after each request fails on any record — raising inside the listener would
be caught by the app and shown as a message.

Inputs tried in a full run: 4,522 requests (2 databases × 2,261: 21 server callbacks × 60
bodies, 150 malformed bodies, 120 API queries, 120 page URLs each fetched and rendered through
the router callback, 82 login posts and 40 login pages, 60 kiosk tokens each also sent as a bearer
header, 80 briefing downloads, 80 signed-out requests each also sent as a callback, and the
replays below), every one checked as above; about 1,970 SQL statements per database passed
the listener, none with the marker. The totals are printed at the end of the module with -s
and each test asserts its own floor. Bugs found in files owned by others are replayed exactly
in test_hos011 (xfail, strict) and drawn around in the property tests; the tracebacks that
the known background-refresh bug of callbacks/live.py logs are counted apart (printed too).
"""
from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from .conftest import KIOSK_TOKEN, TEST_PASSWORD, copy_sqlite, now, private_pg, sign_in

MARK = "hOsTiLe7q"  # planted in every hostile string; must never reach SQL text
SETTINGS = dict(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much, HealthCheck.large_base_example])
TRIED: Counter = Counter()
STATEMENTS: Counter = Counter()
NOISE: Counter = Counter()  # exceptions logged by the known background-refresh bug (see test_hos011)
OK_STATUSES = {200, 204, 302, 400, 401, 403, 404, 405, 409, 413, 422, 429}

# --- hostile values ------------------------------------------------------------------------

SQL = ["' OR 1=1 --", "' OR '1'='1", '" OR ""="', "'; DROP TABLE incident; --", "1; SELECT pg_sleep(10)--",
       "' UNION SELECT username, password_hash FROM app_user --", "%' --", "450800' OR region.code LIKE '%",
       "') OR ('a'='a", "\\'; --", "1 OR 1=1", "*/ OR /*", "'||(SELECT version())||'", "450802001' --",
       "450800; DELETE FROM warning", "$$ OR 1=1 $$", "E'\\x27' OR 1=1"]
TRAVERSAL = ["../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
             "/grid/../../etc/passwd", "....//....//etc/passwd", "/etc/passwd%00.png", "file:///etc/passwd",
             "//evil.example/x", "https://evil.example/", "/\\evil.example", "../var/secret_key"]
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{7*7}}", "${7*7}", "{% debug %}",
          "javascript:alert(1)", '"><svg onload=alert(1)>', "[x](javascript:alert(1))", "%s%s%s%n",
          "{0.__class__}", "<!--", "]]>", "\\u0000"]
ODD = ["", " ", "\x00", "450800\x00", "450800\n", "\n450800", "４５０８００", "٤٥٠٨٠٠", "450800\u200b",
       "\u202e008054", "😀" * 40, "NaN", "null", "undefined", "[object Object]", "-1", "0", "1e309",
       "450800" * 3, "4508000", "45080", "450802001001001001", "%ff%fe", "%", "\r\nSet-Cookie: x=1",
       "2026-W99", "2026-W00", "9999-W01", "0001-W01", "2026-W46\x00", "docx\x00", "open\n", "all ",
       "\ufeff450800", "\ud800", "\udfff450800", "a" * 65, "\t"]


NUL_TEXT = ["联系处置事件\x00核实" + MARK, "\x00" * 8 + MARK, MARK + "\x00' OR 1=1 --"]


def _marked(s: str):
    return st.sampled_from([s + MARK, MARK + s, f"{s[:len(s) // 2]}{MARK}{s[len(s) // 2:]}"])


def _nested(depth: int, kind: str) -> str:
    """Raw JSON nested `depth` deep (built as text: json.dumps itself would give up)."""
    return ('{"a":' * depth + "1" + "}" * depth) if kind == "dict" else ("[" * depth + "1" + "]" * depth)


hostile_text = st.one_of(
    st.sampled_from(SQL + TRAVERSAL + MARKUP).flatmap(_marked),
    st.sampled_from(ODD),
    st.text(max_size=30).map(lambda s: s + MARK),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=12)
    .map(lambda s: MARK + s),
    st.integers(2_000, 200_000).map(lambda n: ((MARK + "'") * (n // 10 + 1))[:n]),  # oversized
)
small_text = st.one_of(st.sampled_from(SQL + ODD).flatmap(lambda s: st.just(s + MARK)), st.text(max_size=8))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.integers(2**64, 2**100),
                    st.floats(allow_nan=True, allow_infinity=True), hostile_text)
KEYS = ["id", "version", "status", "region", "code", "sig", "ok_at", "stale_since", "parts", "points",
        "customdata", "index", "hold", "ids", "rowId", "value", "type", "topic", "__proto__", "constructor"]
hostile_values = st.recursive(
    scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=6),
                           st.dictionaries(st.one_of(st.sampled_from(KEYS), small_text), kids, max_size=6)),
    max_leaves=25)
DEEP = "__deep_json__"  # replaced in the request body by raw JSON nested thousands deep
deep_marker = st.tuples(st.sampled_from(["dict", "list"]), st.sampled_from([200, 2_000, 20_000])) \
    .map(lambda t: f"{DEEP}{t[0]}:{t[1]}")


def _encodable(s: str) -> str:
    return s.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot go in a URL


query_text = st.one_of(hostile_text.map(_encodable), st.integers().map(str),
                       st.lists(st.text(max_size=5), max_size=3).map(json.dumps))


def _json_body(body) -> str:
    """The request body; deep-nesting markers become raw deep JSON."""
    raw = json.dumps(body)

    def expand(m):
        kind, depth = m.group(1), int(m.group(2))
        return _nested(depth, kind)
    return re.sub(rf'"{DEEP}(dict|list):(\d+)"', expand, raw)


# --- the app under attack ----------------------------------------------------------------

APP_LOGGERS = ("dashboard", "callbacks", "data_access", "layouts", "flask", "werkzeug")


class _Errors(logging.Handler):
    """Every exception logged while the app answers (a caught bug still counts), and every
    warning of the app's own (e.g. "audit log unavailable": an act that left no trace)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.exc_info or record.levelno >= logging.ERROR or record.name.startswith(APP_LOGGERS):
            self.records.append(record)


class Target:
    def __init__(self, app, engine, pool, db):
        self.app, self.engine, self.pool, self.db = app, engine, pool, db
        self.sql_leaks: list[str] = []
        self.errors = _Errors()
        event.listen(engine, "before_cursor_execute", self._check_sql)
        self.clients = {}
        for who, name in (("duty", "city_duty"), ("town", "town_leader"), ("analyst", "city_analyst")):
            c = app.server.test_client()
            assert sign_in(c, name).status_code == 302
            self.clients[who] = c

    def _check_sql(self, conn, cursor, statement, parameters, context, executemany):
        STATEMENTS[self.db] += 1
        if MARK.lower() in statement.lower():
            self.sql_leaks.append(statement[:300])

    def check(self, r, what, allowed=OK_STATUSES, known_noise=True):
        """The answer is a clear 4xx or a message in the UI, and nothing went wrong behind it."""
        from data_access import RegionError
        TRIED[self.db] += 1
        records = list(self.errors.records)
        self.errors.records.clear()
        if known_noise:  # a known bug of callbacks/live.py, replayed by test_hos011 (xfail)
            noise = [x for x in records if x.getMessage().startswith("background refresh of")
                     and x.exc_info and isinstance(x.exc_info[1], RegionError)]
            NOISE[self.db] += len(noise)
            records = [x for x in records if x not in noise]
        logged = [f"{x.name}: {x.getMessage()[:200]} {x.exc_info[1]!r}"[:400] if x.exc_info else x.getMessage()[:200]
                  for x in records]
        body = r.data
        assert r.status_code in allowed, (what, r.status_code, body[:300])
        assert b"Traceback" not in body and b'File "/' not in body, (what, body[:300])
        page = body.decode("utf-8", "replace")
        assert "（500）" not in page and "服务器内部错误" not in page and "页面出错" not in page, (what, page[:300])
        assert not self.sql_leaks, (what, self.sql_leaks[:2])
        assert not logged, (what, logged[:2])


def _private_sqlite(sqlite_url, tmp_path_factory) -> str:
    src = Path(sqlite_url.removeprefix("sqlite:///"))
    copy = tmp_path_factory.mktemp("hostile") / "hostile.db"
    copy_sqlite(f"sqlite:///{src}", copy)
    return f"sqlite:///{copy}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request, tmp_path_factory):
    """The app on a database of its own (hostile acts write warnings and audit rows)."""
    from dashboard import create_app
    from dashboard.runtime import ENGINE_KEY
    from data_access import warnings
    from data_access.engine import make_engine
    from data_access.schema import region, warning
    if request.param == "sqlite":
        url = _private_sqlite(request.getfixturevalue("sqlite_url"), tmp_path_factory)
    else:
        stack = contextlib.ExitStack()
        request.addfinalizer(stack.close)  # after this fixture's own teardown: the database goes last
        url = stack.enter_context(private_pg("redgrid_hostile"))
    eng = make_engine(url)
    with eng.begin() as conn:
        warnings.evaluate(conn, now())  # real warnings, so that acts with real ids reach the desk
    with eng.connect() as conn:
        towns = conn.execute(select(region.c.code).where(region.c.level == "township")
                             .order_by(region.c.code).limit(2)).scalars().all()
        grids = [conn.execute(select(region.c.code).where(region.c.level == "grid", region.c.township_code == t)
                              .order_by(region.c.code).limit(1)).scalar() for t in towns]
        counties = conn.execute(select(region.c.code).where(region.c.level == "county")).scalars().all()
        ws = conn.execute(select(warning.c.id, warning.c.version).order_by(warning.c.id).limit(6)).all()
    eng.dispose()
    # Thousands of hostile requests from one test address: the sign-in limit per address would
    # answer 429 long before the malformed values are tried (the limit has its own tests).
    app = create_app({"DATABASE_URL": url, "REFRESH_SECONDS": 2, "LOGIN_ADDRESS_ATTEMPTS": 100000,
                      "LOGIN_LOCK_FAILURES": 100000})
    pool = {"codes": ["450800", *counties[:1], *towns, *grids], "grids": grids, "towns": towns,
            "warnings": [tuple(w) for w in ws]}
    t = Target(app, app.server.extensions[ENGINE_KEY], pool, request.param)
    logging.getLogger().addHandler(t.errors)
    yield t
    logging.getLogger().removeHandler(t.errors)
    print(f"\n[hostile {request.param}] inputs tried: {TRIED[request.param]}, "
          f"SQL statements checked: {STATEMENTS[request.param]}, marker in SQL: {len(t.sql_leaks)}, "
          f"background-refresh exceptions logged (known bug): {NOISE[request.param]}")
    app.server.extensions[ENGINE_KEY].dispose()


# --- every server callback ---------------------------------------------------------------

def _server_callbacks() -> dict[str, str]:
    """label -> callback_map key, from an app on an empty in-memory database (collection time)."""
    from dashboard import create_app
    app = create_app({"DATABASE_URL": "sqlite://"})
    out = {}
    for key, spec in app.callback_map.items():
        if "callback" not in spec:
            continue  # browser-only (clientside) callbacks run no server code
        first_out = key.strip(".").split("...")[0].split("@")[0]
        first_in = f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"
        out[f"{first_out}<-{first_in}"] = key
    return out


CALLBACKS = _server_callbacks()
# Inputs that hit a known bug in a file owned by another engineer: the property tests draw
# strings only there (so they keep testing the rest of the callback), and test_hos011 replays
# the failing input exactly, xfail(strict) — when it passes, drop its line here and its case.
STRINGS_ONLY = {("ov-measure", "value")}
# switch_measure answers 500 to any region it cannot use (test_hos011): there it gets the city
# duty officer's own codes only.
DUTY_ONLY = {"ov-map.figure<-ov-measure.value"}
CODES_ONLY = {("ov-map.figure<-ov-measure.value", "ov-region")}


def _outputs(key):
    from .dashcall import _split
    outs = _split(key)
    if key.startswith(".."):
        return [{"id": i, "property": p} for i, p in outs]
    return {"id": outs[0][0], "property": outs[0][1]}


def _plausible(pool, item) -> st.SearchStrategy:
    """Well-formed values for one input, so that the hostile parts reach past the first check."""
    prop, cid = item["property"], str(item["id"])
    codes = st.sampled_from(pool["codes"])
    if prop == "search":
        return st.one_of(codes.map(lambda c: f"?region={c}"), codes.map(lambda c: f"?region={c}&screen=1"),
                         hostile_text.map(lambda s: "?region=" + _encodable(s)))
    if prop == "pathname":
        return st.sampled_from(["/", "/incidents", "/patrols", "/opinion", "/warnings", "/briefing",
                                *[f"/grid/{g}" for g in pool["grids"]]])
    if prop in ("n_intervals", "n_clicks"):
        return st.integers(0, 5)
    if cid in ("warn-selected", "warn-current"):
        return st.sampled_from(pool["warnings"]).flatmap(lambda w: st.fixed_dictionaries(
            {"id": st.just(w[0]), "version": st.one_of(st.just(w[1]), hostile_values)},
            optional={"status": hostile_values}))
    if cid in ("warn-comment", "warn-assignee", "unmask-reason"):
        return st.one_of(hostile_text, st.sampled_from(NUL_TEXT))
    if cid == "warn-levels":
        return st.lists(st.sampled_from(["red", "orange", "yellow", "blue"]), max_size=4)
    if cid == "warn-status":
        return st.sampled_from(["open", "all", "new", "resolved"])
    if cid == "brf-week":
        return st.sampled_from(["2026-W46", "2026-W45", "2026-W47"])
    if prop == "clickData":
        return st.one_of(codes, hostile_values).map(lambda c: {"points": [{"customdata": c}]})
    if prop == "cellClicked":
        return st.one_of(codes, hostile_values).map(lambda c: {"rowId": c, "value": c})
    if prop == "data" and ("region" in cid or "code" in cid):
        return codes
    if prop == "data" and "state" in cid:
        return st.fixed_dictionaries({}, optional={"sig": hostile_values, "ok_at": hostile_values,
                                                   "stale_since": hostile_values, "parts": hostile_values})
    return hostile_values


def _value(pool, item):
    if (item["id"], item["property"]) in STRINGS_ONLY:
        return st.one_of(st.none(), hostile_text)
    return st.one_of(_plausible(pool, item), hostile_values, deep_marker)


def _entry(draw, pool, item, label=None):
    """One inputs/state entry; a pattern-matching id gets well-formed id dicts with hostile values."""
    if str(item["id"]).startswith("{"):
        pattern = json.loads(item["id"])
        n = draw(st.integers(0, 3))
        return [{"id": {k: (draw(st.one_of(st.integers(1, 50), st.sampled_from(["居住环境", "治安"]), hostile_values))
                            if isinstance(v, list) else v) for k, v in pattern.items()},
                 "property": item["property"], "value": draw(st.one_of(st.integers(0, 3), hostile_values))}
                for _ in range(n)]
    value = st.sampled_from(pool["codes"]) if (label, item["id"]) in CODES_ONLY else _value(pool, item)
    return {"id": item["id"], "property": item["property"], "value": draw(value)}


def _prop_ids(entries) -> list[str]:
    out = []
    for e in entries:
        for x in (e if isinstance(e, list) else [e]):
            ident = x["id"] if isinstance(x["id"], str) else json.dumps(x["id"], sort_keys=True,
                                                                        separators=(",", ":"))
            out.append(f"{ident}.{x['property']}")
    return out


@pytest.mark.parametrize("label", list(CALLBACKS))
def test_hos001_every_callback_survives_hostile_values(target, label):
    key = CALLBACKS[label]
    assert key in target.app.callback_map
    spec = target.app.callback_map[key]
    before = TRIED[target.db]

    @settings(max_examples=60, **SETTINGS)
    @given(data=st.data())
    def run(data):
        who = data.draw(st.sampled_from(["duty"] if label in DUTY_ONLY else ["duty", "town"]), label="who")
        inputs = [_entry(data.draw, target.pool, it, label) for it in spec["inputs"]]
        state = [_entry(data.draw, target.pool, it, label) for it in spec.get("state", [])]
        real = _prop_ids(inputs) or [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]
        changed = data.draw(st.one_of(st.sampled_from(real).map(lambda x: [x]), st.just(real),
                                      st.lists(small_text, max_size=3), st.just([])), label="changed")
        body = {"output": key, "outputs": _outputs(key), "inputs": inputs, "state": state,
                "changedPropIds": changed}
        r = target.clients[who].post("/_dash-update-component", data=_json_body(body),
                                     content_type="application/json")
        target.check(r, (label, who))
    run()
    assert TRIED[target.db] - before >= 40


def test_hos002_every_server_callback_is_covered(target):
    """A new server callback joins the list above by itself; none is skipped but browser-only ones."""
    server = {k for k, s in target.app.callback_map.items() if "callback" in s}
    assert server == set(CALLBACKS.values())
    assert len(CALLBACKS) >= 15


# --- Dash's own endpoint: malformed bodies --------------------------------------------------

def test_hos003_malformed_callback_bodies(target):
    keys = list(target.app.callback_map)
    spec = target.app.callback_map
    body_values = st.one_of(
        hostile_values, deep_marker,
        st.fixed_dictionaries({"output": st.one_of(st.sampled_from(keys), hostile_values)},
                              optional={"outputs": hostile_values, "inputs": hostile_values,
                                        "state": hostile_values, "changedPropIds": hostile_values}),
        st.sampled_from(keys).map(lambda k: {"output": k, "outputs": _outputs(k), "changedPropIds": [],
                                             "inputs": [{"id": "x", "property": "y", "value": 1}]}),
        st.sampled_from(keys).flatmap(lambda k: st.fixed_dictionaries({
            "output": st.just(k), "outputs": st.just(_outputs(k)),
            "inputs": st.lists(st.one_of(hostile_values, st.just({})), min_size=len(spec[k]["inputs"]),
                               max_size=len(spec[k]["inputs"])),
            "state": st.lists(hostile_values, min_size=len(spec[k].get("state", [])),
                              max_size=len(spec[k].get("state", []))),
            "changedPropIds": st.lists(small_text, max_size=2)})),
    )
    raw = st.one_of(body_values.map(_json_body), st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
                    st.sampled_from(["", "{", "[]", "null", "{\"output\":", "\xff\xfe", "{'a': 1}"]))
    before = TRIED[target.db]

    @settings(max_examples=150, **SETTINGS)
    @given(payload=raw, who=st.sampled_from(["duty", "town"]),
           ctype=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
    def run(payload, who, ctype):
        r = target.clients[who].post("/_dash-update-component", data=payload.encode("utf-8", "surrogatepass"),
                                     content_type=ctype)
        target.check(r, ("body", payload[:80]))
        assert r.status_code in (200, 204, 400, 403, 404, 413, 415, 422), r.status_code
    run()
    assert TRIED[target.db] - before >= 100


# --- query strings of every route ---------------------------------------------------------

def test_hos004_api_query_strings(target):
    before = TRIED[target.db]

    @settings(max_examples=120, **SETTINGS)
    @given(who=st.sampled_from(["duty", "town"]), path=st.sampled_from(["/api/v1/summary", "/api/v1/warnings"]),
           region=st.one_of(st.none(), st.sampled_from(target.pool["codes"]), query_text),
           status=st.one_of(st.none(), st.sampled_from(["open", "all", "new"]), query_text),
           repeat=st.booleans(), raw=st.one_of(st.none(), st.sampled_from(
               ["region=%ff%fe", "region=%00", "region[]=450800", "region=450800&region=%27", "%%%", "=&=&",
                "region=" + "9" * 5000, "status=open&status=" + quote(MARK + "' OR 1=1 --")])))
    def run(who, path, region, status, repeat, raw):
        if raw is not None:
            qs = raw
        else:
            params = [(k, v) for k, v in (("region", region), ("status", status)) if v is not None]
            if repeat:
                params += [("region", MARK + "'--"), ("status", "all")]
            qs = urlencode(params)
        r = target.clients[who].get(f"{path}?{qs}")
        target.check(r, (path, qs[:80]), {200, 400, 403, 404})
        assert r.is_json, r.data[:200]
    run()
    assert TRIED[target.db] - before >= 100


PAGES = ["/", "/incidents", "/patrols", "/opinion", "/warnings", "/briefing"]


def test_hos005_page_routes_and_their_rendering(target):
    """GET /?region=…, /grid/<code> … answer the app's page (or a 404); the router callback that
    renders the same URL answers a page or a message, never a 500."""
    from .dashcall import call, find
    router = find(target.app, "page.children")
    before = TRIED[target.db]

    @settings(max_examples=120, **SETTINGS)
    @given(who=st.sampled_from(["duty", "town"]),
           path=st.one_of(st.sampled_from(PAGES), query_text.map(lambda s: "/grid/" + s),
                          st.sampled_from(target.pool["grids"]).map(lambda g: "/grid/" + g),
                          st.sampled_from(TRAVERSAL + MARKUP).map(lambda s: "/" + s + MARK)),
           region=st.one_of(st.none(), st.sampled_from(target.pool["codes"]), query_text),
           extra=st.dictionaries(st.sampled_from(["screen", "rotate", "region", MARK]), query_text, max_size=2))
    def run(who, path, region, extra):
        c = target.clients[who]
        params = ([("region", region)] if region is not None else []) + list(extra.items())
        search = "?" + urlencode(params) if params else ""
        r = c.get(quote(path, safe="/%") + search)
        target.check(r, ("GET", path[:60], search[:60]), {200, 302, 308, 400, 404, 405})
        if r.status_code in (302, 308):  # werkzeug merges slashes: never off to another host
            assert "evil" not in r.headers["Location"], r.headers["Location"]
        r = call(c, target.app, router, [path, search])
        target.check(r, ("router", path[:60], search[:60]), {200, 204})
    run()
    assert TRIED[target.db] - before >= 200


def _csrf(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_hos006_login_form(target):
    """Hostile username, password, CSRF token and next: 400, 401 or 429, never in, never 5xx."""
    before = TRIED[target.db]
    login_text = st.one_of(hostile_text.map(_encodable),
                           st.sampled_from(["", "admin", "' OR 1=1 --" + MARK, *NUL_TEXT]))

    @settings(max_examples=80, **SETTINGS)
    @example(username="city_duty\x00", password=TEST_PASSWORD, csrf="good", next_path=None, extra={})
    @example(username="ab\x00c" + MARK, password="x\x00", csrf="good", next_path="/\x00", extra={})
    @given(username=login_text, password=st.one_of(login_text, st.just(TEST_PASSWORD)),
           csrf=st.sampled_from(["good", "missing", "forged"]), next_path=st.one_of(st.none(), query_text),
           extra=st.dictionaries(small_text.map(_encodable), small_text.map(_encodable), max_size=2))
    def run(username, password, csrf, next_path, extra):
        c = target.app.server.test_client()
        form = {**extra, "username": username, "password": password}
        if csrf != "missing":
            form["csrf_token"] = _csrf(c) if csrf == "good" else MARK + "' OR 1=1 --"
        if next_path is not None:
            form["next"] = next_path
        r = c.post("/login", data=form)
        target.check(r, ("login", username[:40]), {400, 401, 413, 429})
        assert c.get("/api/v1/summary").status_code == 401  # nobody got in
    run()

    @settings(max_examples=40, **SETTINGS)
    @given(next_path=query_text, msg=query_text)
    def page(next_path, msg):
        r = target.app.server.test_client().get("/login?" + urlencode({"next": next_path, "msg": msg}))
        target.check(r, ("login page", next_path[:40]), {200})
        for m in re.finditer(r'name="next" value="([^"]*)"', r.get_data(as_text=True)):
            assert m.group(1).startswith("/") and not m.group(1).startswith("//")
        assert "<script>" not in r.get_data(as_text=True).split("</form>")[0].lower()
    page()
    assert TRIED[target.db] - before >= 100


def test_hos007_kiosk_tokens(target):
    before = TRIED[target.db]

    @settings(max_examples=60, **SETTINGS)
    @given(token=st.one_of(query_text, st.just(KIOSK_TOKEN + MARK), st.just(KIOSK_TOKEN[:-1]),
                           st.just(KIOSK_TOKEN.upper())), twice=st.booleans())
    def run(token, twice):
        c = target.app.server.test_client()
        qs = urlencode([("token", token)] + ([("token", KIOSK_TOKEN)] if twice else []))
        r = c.get(f"/kiosk?{qs}")
        target.check(r, ("kiosk", token[:40]), {401, 400})
        header = f"Bearer {token}".replace("\n", " ").replace("\r", " ")  # a client cannot send a newline
        r = c.get("/api/v1/summary", headers={"Authorization": header})
        target.check(r, ("bearer", token[:40]), {401})
    run()
    assert TRIED[target.db] - before >= 100


def test_hos008_briefing_download(target):
    """As the analyst (the only role that may export) hostile region, week and format are refused;
    as the duty officer and the township leader the route is closed before it reads them."""
    before = TRIED[target.db]

    @settings(max_examples=80, **SETTINGS)
    @given(who=st.sampled_from(["analyst", "analyst", "duty", "town"]),
           region=st.one_of(st.none(), st.sampled_from(target.pool["codes"][1:]), query_text),
           week=st.one_of(st.none(), st.sampled_from(["2026-W46", "2026-W99", "2030-W01"]), query_text),
           fmt=st.one_of(st.sampled_from(["docx", "xlsx", "pdf"]), query_text))
    def run(who, region, week, fmt):
        if who == "analyst" and region is None and week in (None, "2026-W46") and fmt in ("docx", "pdf"):
            fmt = "xlsx"  # a real document of the whole city is the briefing tests' business (slow)
        params = [(k, v) for k, v in (("region", region), ("week", week), ("format", fmt)) if v is not None]
        r = target.clients[who].get("/briefing/download?" + urlencode(params))
        # 202: a file not built yet is queued for the scheduler's worker (issue #19 item 7)
        allowed = {200, 202, 400, 403, 404} if who == "analyst" else {403}
        target.check(r, ("briefing", who, params), allowed)
    run()
    assert TRIED[target.db] - before >= 60


def test_hos009_nothing_without_a_session(target):
    """Signed out, every route with hostile parameters and bearer headers: 401 or the login page."""
    before = TRIED[target.db]
    routes = ["/api/v1/summary", "/api/v1/warnings", "/briefing/download", "/", "/grid/450802001001001",
              "/incidents", "/_dash-layout", "/_dash-dependencies"]

    @settings(max_examples=80, **SETTINGS)
    @given(path=st.sampled_from(routes), value=query_text,
           auth=st.one_of(st.none(), query_text.map(lambda s: "Bearer " + s), query_text))
    def run(path, value, auth):
        c = target.app.server.test_client()
        headers = {"Authorization": auth.replace("\n", " ").replace("\r", " ")} if auth else {}
        r = c.get(f"{path}?{urlencode({'region': value, 'week': value, 'format': value})}", headers=headers)
        target.check(r, ("signed out", path, value[:40]), {302, 401})
        assert b"450802" not in r.data or r.status_code == 302
        r = c.post("/_dash-update-component", data=_json_body({"output": "page.children", "inputs": value}),
                   content_type="application/json", headers=headers)
        target.check(r, ("signed out callback", value[:40]), {400, 401})
    run()
    assert TRIED[target.db] - before >= 100


def test_hos010_the_listener_sees_every_statement(target):
    """The SQL check is live: real traffic reaches the listener (and never carried the marker)."""
    seen = STATEMENTS[target.db]
    r = target.clients["town"].get(f"/api/v1/summary?region={target.pool['towns'][0]}")
    assert r.status_code == 200
    assert STATEMENTS[target.db] > seen
    assert not target.sql_leaks


# --- bugs found in files owned by others (fixed since): replayed exactly as regression tests -----

def _bug(name, label, who, inputs, state, changed, reason):
    """A bug once found here (`reason`), fixed since: its exact input stays as a regression test."""
    return pytest.param(label, who, inputs, state, changed, id=name)


@pytest.mark.parametrize("label,who,inputs,state,changed", [
    _bug("tick-measure-dict", "kpi-incidents_today.children<-ov-tick.n_intervals", "duty", [1],
         ["450800", {}, {"a": 1}], "ov-tick.n_intervals",
         "layouts/overview.py: measure_of() does `value in MEASURES` on any value; a dict or list "
         "from ov-measure.value raises TypeError (unhashable) in callbacks/overview.py tick -> 500"),
    _bug("switch-measure-list", "ov-map.figure<-ov-measure.value", "duty", [["incidents_today"]], ["450800"],
         "ov-measure.value",
         "layouts/overview.py: measure_of() raises TypeError (unhashable type: 'list') for a list "
         "from ov-measure.value in callbacks/overview.py switch_measure -> 500"),
    _bug("switch-measure-forged-region", "ov-map.figure<-ov-measure.value", "town", ["incidents_today"],
         ["450800"], "ov-measure.value",
         "callbacks/overview.py: switch_measure() does not catch RegionError; a township leader who "
         "sends the city's code as State ov-region.data gets OutOfScope -> 500 instead of nothing"),
    _bug("forged-tick-starts-background-refresh", "kpi-incidents_today.children<-ov-tick.n_intervals", "town",
         [1], ["450800", {"sig": "x"}, "incidents_today"], "ov-tick.n_intervals",
         "callbacks/live.py: tick() -> _from_signature() starts cache.refresh() in a thread before the "
         "region is checked against the scope; a forged or malformed code (here a township leader's "
         "tick for 450800) spawns a computation per request that raises OutOfScope and logs a traceback "
         "('background refresh of rg:overview:... failed'); same in the incident, patrol, worker, "
         "opinion and grid ticks"),
    _bug("grid-tick-not-a-grid-starts-background-refresh", "grid-body.children<-grid-tick.n_intervals", "duty",
         [1], ["450800", {"sig": "x"}, "desk"], "grid-tick.n_intervals",
         "callbacks/live.py: the same background refresh runs for a grid tick whose code is no grid "
         "('450800'): RegionNotFound logged with a traceback per request"),
    _bug("switch-measure-bad-region", "ov-map.figure<-ov-measure.value", "duty", ["incidents_today"],
         [True], "ov-measure.value",
         "callbacks/overview.py: switch_measure() does not catch RegionError; State ov-region.data "
         "that is not a code (True, '../x', {}) raises BadRegionCode -> 500"),
])
def test_hos011_known_bugs_in_others_files(target, label, who, inputs, state, changed):
    from .dashcall import call
    r = call(target.clients[who], target.app, CALLBACKS[label], inputs, state, changed=changed)
    time.sleep(0.5)  # a background computation the tick started has had time to fail
    target.check(r, label, known_noise=False)


def test_hos012_nul_in_text_is_answered_and_audited(target):
    """PostgreSQL refuses NUL in text. A NUL in a login name or in a desk comment is answered like
    any other text (401 / done) and still leaves its audit row: not a 503 and not an act whose
    audit insert failed unseen."""
    from data_access.schema import OPEN_WARNING_STATUSES, audit_log, warning, warning_action
    from .dashcall import call, find
    c = target.app.server.test_client()
    r = c.post("/login", data={"username": "nobody\x00" + MARK, "password": "y\x00", "csrf_token": _csrf(c)})
    target.check(r, "login NUL", {401})
    with target.engine.connect() as conn:
        last = conn.execute(select(audit_log.c.actor, audit_log.c.ok).where(audit_log.c.action == "login")
                            .order_by(audit_log.c.id.desc()).limit(1)).one()
        wid, version = conn.execute(select(warning.c.id, warning.c.version).where(
            warning.c.status.in_(OPEN_WARNING_STATUSES)).order_by(warning.c.id).limit(1)).one()
    assert last.actor == "nobody\ufffd" + MARK and last.ok is False
    act = find(target.app, "warn-feedback.children")
    r = call(target.clients["duty"], target.app, act, [0, 1, 0, 0, 0],
             [{"id": wid, "version": version}, "已电话\x00核实", "城管\x00中队", 0], changed="warn-assign.n_clicks")
    target.check(r, "act NUL", {200})
    assert "已指派" in r.get_data(as_text=True), r.get_data(as_text=True)[:300]
    with target.engine.connect() as conn:
        done = conn.execute(select(warning_action.c.comment, warning_action.c.actor).where(
            warning_action.c.warning_id == wid).order_by(warning_action.c.id.desc()).limit(1)).one()
        audited = conn.execute(select(audit_log.c.detail).where(
            audit_log.c.action == "warning_assign", audit_log.c.target == f"warning:{wid}")).scalars().all()
    assert tuple(done) == ("已电话 核实", "city_duty")
    assert audited and "城管" in audited[-1]


def test_hos013_a_well_formed_pattern_matching_click_is_served(target):
    """The guard refuses malformed bodies, not the renderer's own: a click on a desk queue item
    (an ALL pattern: a list of id dicts) selects that warning."""
    key = CALLBACKS['warn-selected.data<-{"index":["ALL"],"type":"warn-item"}.n_clicks']
    wid = target.pool["warnings"][0][0]
    items = [{"id": {"index": w[0], "type": "warn-item"}, "property": "n_clicks", "value": 1 if w[0] == wid else 0}
             for w in target.pool["warnings"]]
    body = {"output": key, "outputs": _outputs(key), "inputs": [items], "state": [],
            "changedPropIds": [json.dumps({"index": wid, "type": "warn-item"}, separators=(",", ":")) + ".n_clicks"]}
    r = target.clients["duty"].post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    target.check(r, "warn-item click", {200})
    assert r.get_json()["response"]["warn-selected"]["data"] == {"id": wid}
