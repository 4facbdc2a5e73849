"""Speed and scale (issue #6): one computation per bucket (stampede guard, SimpleCache and Redis),
ticks that send only what changed, and the load generator's screen speaking real Dash."""
from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest

from benchmarks.dashclient import Screen, short_name

from .conftest import now, sign_in
from .dashcall import find


def _hammer(app, kind, at, compute, n=8):
    from data_access import cache
    out, start = [], threading.Barrier(n)

    def ask():
        with app.server.app_context():
            start.wait()
            out.append(cache.remember(kind, "450800", "450800", at, 5, compute))
    threads = [threading.Thread(target=ask) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_scale001_one_computation_per_bucket_in_one_process(app):
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return {"n": len(calls)}
    got = _hammer(app, f"t-{uuid.uuid4().hex}", now(), compute)
    assert len(calls) == 1 and got == [{"n": 1}] * 8


def _redis_apps(db_url):
    import redis
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001
        pytest.skip("no Redis on 127.0.0.1:6379")
    from dashboard import create_app
    return [create_app({"DATABASE_URL": db_url, "CACHE_REDIS_URL": "redis://127.0.0.1:6379/15"})
            for _ in range(2)]


def test_scale002_redis_lock_shares_the_computation_between_processes(db_url):
    """Two apps stand for two workers: at a bucket edge one computes; the other answers with
    the latest value at once (stale_ok), or waits for the new one."""
    from data_access import cache
    a, b = _redis_apps(db_url)
    kind, at = f"t-{uuid.uuid4().hex}", now()
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.6)
        return {"bucket": "new"}
    with b.server.app_context():  # the previous bucket's value, as a live screen would have seen it
        cache.remember_latest(kind, "450800", "450800", at - dt.timedelta(seconds=5), 5, lambda: {"bucket": "old"})
        calls.clear()
    results = {}

    def worker_a():
        with a.server.app_context():
            results["a"] = cache.remember_latest(kind, "450800", "450800", at, 5, slow)
    t = threading.Thread(target=worker_a)
    t.start()
    time.sleep(0.15)  # a holds the lock now
    with b.server.app_context():
        t0 = time.perf_counter()
        results["b_tick"] = cache.remember_latest(kind, "450800", "450800", at, 5, slow)
        results["b_tick_seconds"] = time.perf_counter() - t0
        results["b_page"] = cache.remember(kind, "450800", "450800", at, 5, slow)
    t.join()
    assert len(calls) == 1
    assert results["a"] == {"bucket": "new"} and results["b_page"] == {"bucket": "new"}
    assert results["b_tick"] == {"bucket": "old"}  # did not wait, did not compute
    assert results["b_tick_seconds"] < 0.5


@pytest.mark.parametrize("shared", [False, True])
def test_scale003b_live_ticks_never_wait_for_a_computation(app, db_url, shared):
    """live_value: the latest value comes back at once, the new bucket is computed in a
    thread (once), and the next ask gets it."""
    from data_access import cache
    target = _redis_apps(db_url)[0] if shared else app
    kind, at = f"t-{uuid.uuid4().hex}", now()
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.5)
        return {"bucket": "new"}
    with target.server.app_context():
        cache.remember_latest(kind, "450800", "450800", at - dt.timedelta(seconds=5), 5, lambda: {"bucket": "old"})
        t0 = time.perf_counter()
        got = [cache.live_value(kind, "450800", "450800", at, 5, slow) for _ in range(5)]
        quick = time.perf_counter() - t0
        assert got == [{"bucket": "old"}] * 5 and quick < 0.4
        deadline = time.time() + 10
        while cache.peek(kind, "450800", "450800", at, 5) is None and time.time() < deadline:
            time.sleep(0.05)
        assert cache.live_value(kind, "450800", "450800", at, 5, slow) == {"bucket": "new"}
        key = cache.key_of(kind, "450800", "450800", cache.bucket(at, 5))
        deadline = time.time() + 5  # the thread's lock goes as soon as it is done, not at its expiry
        while cache.cache.get(f"{key}:lock") is not None and time.time() < deadline:
            time.sleep(0.05)
        assert cache.cache.get(f"{key}:lock") is None
        assert cache._take(f"{key}:lock")  # free for the next computation
        cache._release(f"{key}:lock")
    assert len(calls) == 1


def test_scale003_a_dead_lock_holder_does_not_block_for_ever(db_url):
    from data_access import cache
    a, _ = _redis_apps(db_url)
    kind, at = f"t-{uuid.uuid4().hex}", now()
    with a.server.app_context():
        key = cache.key_of(kind, "450800", "450800", cache.bucket(at, 5))
        cache.cache.set(f"{key}:lock", "someone-who-died", timeout=1)  # expires: the holder is gone
        got = cache.remember(kind, "450800", "450800", at, 5, lambda: {"computed": True})
    assert got == {"computed": True}


def _overview_tick(app):
    return find(app, "ov-state.data")


def test_scale004_changed_tick_sends_only_the_outputs_that_changed(app, client):
    from callbacks import live
    from services.overview import SNAPSHOT
    from layouts import overview as view
    from .dashcall import call
    assert sign_in(client).status_code == 302
    key = _overview_tick(app)
    measure = view.measure_of(None)
    # The page's own state: same signature -> 204; an older signature with the same parts ->
    # only the badge and the state travel; one part different -> that part too.
    page = call(client, app, find(app, "page.children"), ["/", "?region=450800"], [])
    assert page.status_code == 200
    screen_state = _find_prop(page.get_json(), "ov-state", "data")
    assert screen_state["parts"] and screen_state["sig"]
    same = call(client, app, key, [1], ["450800", screen_state, measure])
    assert same.status_code == 204
    old = {**screen_state, "sig": "older"}
    r = call(client, app, key, [1], ["450800", old, measure])
    assert r.status_code == 200
    assert set(r.get_json()["response"]) == {"ov-updated", "ov-state"}
    parts = list(screen_state["parts"])
    i = len(parts) - 2  # the ticker (the barometer's absolute parts come last)
    parts[i] = "different"
    r = call(client, app, key, [1], ["450800", {**old, "parts": parts}, measure])
    assert set(r.get_json()["response"]) == {"ov-updated", "ov-state", "ov-ticker"}
    with app.server.app_context():
        assert live.signature(live.snapshot(SNAPSHOT, "450800")) == screen_state["sig"]


def _find_prop(answer: dict, cid: str, prop: str):
    from benchmarks.dashclient import walk
    for comp in walk(answer["response"]["page"]["children"]):
        if comp["props"].get("id") == cid:
            return comp["props"][prop]
    raise AssertionError(f"{cid} not in the page")


@pytest.mark.parametrize("path", ["/", "/incidents", "/patrols"])
def test_scale005_the_load_generators_screen_speaks_real_dash(app, client, path):
    """The emulated screen opens a view, ticks every Interval and drills down; every answer
    is a 200 or a 204, and its tick body is the one tests/dashcall.py builds from callback_map."""
    assert sign_in(client).status_code == 302
    deps = client.get("/_dash-dependencies").get_json()
    layout = client.get("/_dash-layout").get_json()
    screen = Screen(deps, layout, f"{path}?region=450800")

    def send(callbacks, changed):
        statuses = []
        for cb in callbacks:
            r = client.post("/_dash-update-component", json=screen.body(cb, changed(cb)))
            statuses.append((short_name(cb), r.status_code))
            if r.status_code == 200:
                added = screen.apply(r.get_json())
                if added:
                    statuses += send(screen.on_mount(added), lambda cb: [
                        f"{i['id']}.{i['property']}" for i in cb["inputs"] if i["id"] in added])
        return statuses
    seen = send(screen.on_mount(screen.ids), lambda cb: [f"{i['id']}.{i['property']}" for i in cb["inputs"]])
    assert ("page.children", 200) in seen
    intervals = screen.intervals()
    view_tick = next(i for i in intervals if i.endswith("-tick") and i not in ("alarm-tick",))
    for _ in range(2):
        for iid in intervals:
            prop_id, callbacks = screen.tick(iid)
            seen += send(callbacks, lambda cb: [prop_id])
    # The view tick's body equals what tests/dashcall.py sends for the same values.
    prop_id, callbacks = screen.tick(view_tick)
    body = screen.body(callbacks[0], [prop_id])
    spec = app.callback_map[body["output"]]
    assert [i["id"] for i in body["inputs"]] == [i["id"] for i in spec["inputs"]]
    assert [s["id"] for s in body["state"]] == [s["id"] for s in spec.get("state", [])]
    screen.props[("url", "search")] = "?region=450802"
    seen += send(screen.for_input("url.search"), lambda cb: ["url.search"])
    assert ("page.children", 200) in seen[-5:] or any(n == "page.children" for n, _ in seen[-5:])
    assert all(status in (200, 204) for _, status in seen), seen
    assert screen.props[("url", "search")] == "?region=450802"


def test_scale006_a_refresher_process_takes_the_computations_off_the_web_workers(db_url):
    """With a refresher beating, a web worker only notes what screens watch and answers from
    the latest snapshot; the refresher computes the new bucket (once) and the worker reads it."""
    from data_access import cache
    web, refresher_app = _redis_apps(db_url)
    kind = f"t-{uuid.uuid4().hex}"
    calls = []

    def job(scope_code, region_code, at):
        calls.append(region_code)
        return {"bucket": cache.bucket(at, 5), "by": "refresher"}
    stop = threading.Event()
    t = threading.Thread(target=cache.run_refresher, args=(refresher_app.server, {kind: job}, stop), daemon=True)
    try:
        t.start()
        at = dt.datetime.now(dt.timezone.utc)
        with web.server.app_context():
            deadline = time.time() + 5
            while not cache.refresher_alive() and time.time() < deadline:
                time.sleep(0.1)
            cache.remember_latest(kind, "450800", "450800", at - dt.timedelta(seconds=5), 5, lambda: {"bucket": "old"})
            got = cache.live_value(kind, "450800", "450800", at, 5, lambda: calls.append("web") or {"by": "web"})
            assert got == {"bucket": "old"}
            deadline = time.time() + 12
            while cache.peek_latest(kind, "450800", "450800").get("by") != "refresher" and time.time() < deadline:
                time.sleep(0.1)
            assert cache.peek_latest(kind, "450800", "450800")["by"] == "refresher"
        assert "web" not in calls and calls.count("450800") >= 1
    finally:
        stop.set()
        t.join(timeout=10)

