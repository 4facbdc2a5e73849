"""Simulated wall screens: each opens a view for a region and polls it like the browser.

Every screen fetches the page, `/_dash-layout` and `/_dash-dependencies`, fires the
callbacks Dash fires on load, then sends each Interval's real
`/_dash-update-component` request on its own period (the view's 5 s tick, the
alarm check, the patrol view's worker ranking…), keeping the state stores the
answers carry. Optionally it drills to another region every few seconds (a
region change: the router callback with a new `url.search`).

    python benchmarks/loadgen.py --base http://127.0.0.1:8050 --screens 300 --duration 120 \
        --mix overview@450800,incidents@450802 --out /tmp/load.jsonl

Auth (issue #7): `--kiosk TOKEN` (each screen opens /kiosk?token=… once and keeps the session
cookie, as a wall screen does), `--cookie NAME=VALUE`, `--header 'Authorization: Bearer …'`, or
REDGRID_BENCH_AUTH holding any of the three forms ('kiosk:TOKEN', 'NAME=VALUE', 'Name: value').
Cookies the server sets are kept per screen.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.dashclient import Screen, short_name  # noqa: E402

VIEW_PATHS = {"overview": "/", "incidents": "/incidents", "patrols": "/patrols", "opinion": "/opinion"}


@dataclass
class Auth:
    cookies: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    kiosk: str | None = None

    def add(self, text: str) -> None:
        """'kiosk:TOKEN' a kiosk token, 'Name: value' a header, 'NAME=VALUE' a cookie."""
        if text.startswith("kiosk:"):
            self.kiosk = text[len("kiosk:"):].strip()
        elif ":" in text.split("=", 1)[0]:
            name, value = text.split(":", 1)
            self.headers[name.strip()] = value.strip()
        elif "=" in text:
            name, value = text.split("=", 1)
            self.cookies[name.strip()] = value.strip()


def auth_from(cookies: list[str], headers: list[str], kiosk: str | None = None) -> Auth:
    auth = Auth()
    env = os.environ.get("REDGRID_BENCH_AUTH")
    for item in ([env] if env else []) + list(cookies or []) + list(headers or []):
        auth.add(item)
    if kiosk:
        auth.kiosk = kiosk
    return auth


def parse_mix(text: str) -> list[tuple[str, str]]:
    """'overview@450800,incidents@450802' -> [(view, region)]."""
    out = []
    for item in text.split(","):
        view, _, region = item.strip().partition("@")
        if view not in VIEW_PATHS:
            raise SystemExit(f"unknown view {view!r} (one of {', '.join(VIEW_PATHS)})")
        out.append((view, region))
    return out


def url_of(view: str, region: str) -> str:
    return f"{VIEW_PATHS[view]}?region={region}" if region else VIEW_PATHS[view]


class Recorder:
    def __init__(self, t0: float):
        self.t0 = t0
        self.rows: list[dict] = []

    def add(self, kind, name, status, seconds, size, screen):
        self.rows.append({"t": round(time.perf_counter() - self.t0, 3), "kind": kind, "name": name,
                          "status": status, "ms": round(seconds * 1000, 2), "bytes": size, "screen": screen})


async def _post(http, base, body, rec, kind, name, screen_no):
    t = time.perf_counter()
    try:
        async with http.post(base + "/_dash-update-component", json=body) as r:
            data = await r.read()
            status = r.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        rec.add(kind, name, f"error:{type(exc).__name__}", time.perf_counter() - t, 0, screen_no)
        return None
    rec.add(kind, name, status, time.perf_counter() - t, len(data), screen_no)
    if status == 200:
        try:
            return json.loads(data)
        except ValueError:
            return None
    return None


async def _get(http, base, path, rec, kind, screen_no, as_json=False):
    t = time.perf_counter()
    try:
        async with http.get(base + path) as r:
            data = await r.read()
            status = r.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        rec.add(kind, path.split("?")[0], f"error:{type(exc).__name__}", time.perf_counter() - t, 0, screen_no)
        return None
    rec.add(kind, path.split("?")[0], status, time.perf_counter() - t, len(data), screen_no)
    if status != 200:
        return None
    return json.loads(data) if as_json else data


async def _fire(http, base, screen, callbacks, changed_for, rec, kind, screen_no):
    """Send callbacks concurrently (as the renderer does); returns the ids their answers added."""
    async def one(cb):
        body = screen.body(cb, changed_for(cb))
        name = short_name(cb)
        return await _post(http, base, body, rec, kind(name) if callable(kind) else kind, name, screen_no)
    answers = await asyncio.gather(*(one(cb) for cb in callbacks))
    added: set[str] = set()
    for answer in answers:
        added |= screen.apply(answer)
    return added


async def _settle(http, base, screen, added, rec, kind, screen_no):
    """Fire what newly mounted components trigger, until nothing new appears."""
    for _ in range(5):
        mounted = screen.on_mount(added)
        if not mounted:
            return
        added = await _fire(http, base, screen, mounted,
                            lambda cb: [f"{i['id']}.{i['property']}" for i in cb["inputs"] if i["id"] in added],
                            rec, kind, screen_no)


async def screen_loop(screen_no, http, base, view, region, t_end, rec, drill_every=0.0,
                      drill_regions=(), start_delay=0.0, kiosk=None):
    await asyncio.sleep(start_delay)
    url = url_of(view, region)
    if kiosk and await _get(http, base, f"/kiosk?token={kiosk}", rec, "open", screen_no) is None:
        return
    if await _get(http, base, url, rec, "open", screen_no) is None:
        return
    layout = await _get(http, base, "/_dash-layout", rec, "open", screen_no, as_json=True)
    deps = await _get(http, base, "/_dash-dependencies", rec, "open", screen_no, as_json=True)
    if layout is None or deps is None:
        return
    screen = Screen(deps, layout, url)
    # First load: every ready callback that is not prevent_initial_call, with all its inputs "changed".
    first = screen.on_mount(screen.ids)
    added = await _fire(http, base, screen, first,
                        lambda cb: [f"{i['id']}.{i['property']}" for i in cb["inputs"]], rec, "open", screen_no)
    await _settle(http, base, screen, added, rec, "open", screen_no)

    now = time.perf_counter()
    due = {iid: now + ms / 1000 for iid, ms in screen.intervals().items()}
    next_drill = now + drill_every if drill_every else None
    drills = list(drill_regions)
    home = True
    while True:
        upcoming = min(list(due.values()) + ([next_drill] if next_drill else []), default=t_end)
        if upcoming >= t_end:
            return
        await asyncio.sleep(max(0.0, upcoming - time.perf_counter()))
        now = time.perf_counter()
        if next_drill and now >= next_drill:
            target = drills[(screen_no + int(now)) % len(drills)] if (home and drills) else region
            home = not home
            screen.props[("url", "search")] = f"?region={target}" if target else ""
            added = await _fire(http, base, screen, screen.for_input("url.search"),
                                lambda cb: ["url.search"], rec,
                                lambda name: "region" if name == "page.children" else "open", screen_no)
            await _settle(http, base, screen, added, rec, "open", screen_no)
            next_drill = time.perf_counter() + drill_every
            # Intervals on the new page start counting from its mount.
            t = time.perf_counter()
            due = {iid: due.get(iid, t + ms / 1000) for iid, ms in screen.intervals().items()}
            continue
        for iid in [i for i, t in due.items() if t <= now]:
            ms = screen.intervals().get(iid)
            if ms is None:
                due.pop(iid)
                continue
            due[iid] += ms / 1000
            prop_id, callbacks = screen.tick(iid)
            kind = "alarm" if iid == "alarm-tick" else "tick"
            await _fire(http, base, screen, callbacks, lambda cb: [prop_id], rec, kind, screen_no)


async def run(base: str, screens: int, mix: list[tuple[str, str]], duration: float, auth: Auth | None = None,
              ramp: float = 5.0, drill_every: float = 0.0, drill_regions=(), timeout: float = 30.0,
              recorder: Recorder | None = None) -> Recorder:
    """Run `screens` screens over `mix` (round robin) for `duration` seconds after a ramp."""
    auth = auth or Auth()
    rec = recorder or Recorder(time.perf_counter())
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    t_end = time.perf_counter() + ramp + duration
    sessions = []
    try:
        tasks = []
        rng = random.Random(6)
        for i in range(screens):
            view, region = mix[i % len(mix)]
            http = aiohttp.ClientSession(
                connector=connector, connector_owner=False, cookie_jar=aiohttp.CookieJar(unsafe=True),
                cookies=auth.cookies, headers=auth.headers, timeout=aiohttp.ClientTimeout(total=timeout))
            sessions.append(http)
            tasks.append(screen_loop(i, http, base, view, region, t_end, rec, drill_every, drill_regions,
                                     start_delay=rng.uniform(0, ramp), kiosk=auth.kiosk))
        await asyncio.gather(*tasks)
    finally:
        for s in sessions:
            await s.close()
        await connector.close()
    return rec


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    pos = (len(values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def summarise(rows: list[dict], since: float = 0.0) -> dict:
    """Per request kind: count, errors, latency median/p95/p99/max (ms), bytes of 200 and 204 answers."""
    out = {}
    for kind in sorted({r["kind"] for r in rows}):
        rs = [r for r in rows if r["kind"] == kind and r["t"] >= since]
        if not rs:
            continue
        ms = [r["ms"] for r in rs]
        errors = [r for r in rs if not (isinstance(r["status"], int) and r["status"] < 400)]
        changed = [r["bytes"] for r in rs if r["status"] == 200]
        unchanged = [r["bytes"] for r in rs if r["status"] == 204]
        out[kind] = {
            "requests": len(rs), "errors": len(errors),
            "error_kinds": sorted({str(r["status"]) for r in errors}),
            "ms_p50": round(statistics.median(ms), 1), "ms_p95": round(pct(ms, 0.95), 1),
            "ms_p99": round(pct(ms, 0.99), 1), "ms_max": round(max(ms), 1),
            "n200": len(changed), "n204": len(unchanged),
            "bytes200_p50": statistics.median(changed) if changed else None,
            "bytes200_p95": round(pct(changed, 0.95)) if changed else None,
            "bytes200_max": max(changed) if changed else None,
            "bytes204_max": max(unchanged) if unchanged else None,
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="http://127.0.0.1:8050")
    ap.add_argument("--screens", type=int, default=10)
    ap.add_argument("--duration", type=float, default=60, help="seconds after the ramp")
    ap.add_argument("--ramp", type=float, default=5, help="screens open spread over this many seconds")
    ap.add_argument("--mix", default="overview@450800", help="view@region,… assigned round robin")
    ap.add_argument("--drill-every", type=float, default=0.0, help="seconds between region changes (0 = none)")
    ap.add_argument("--drill-regions", default="", help="regions a drill goes to (then back home)")
    ap.add_argument("--kiosk", help="kiosk token: each screen signs in once at /kiosk")
    ap.add_argument("--cookie", action="append", default=[], help="NAME=VALUE sent by every screen")
    ap.add_argument("--header", action="append", default=[], help="'Name: value' sent by every screen")
    ap.add_argument("--out", help="write every request as a JSON line here")
    args = ap.parse_args()
    rec = asyncio.run(run(args.base.rstrip("/"), args.screens, parse_mix(args.mix), args.duration,
                          auth_from(args.cookie, args.header, args.kiosk), args.ramp, args.drill_every,
                          [r for r in args.drill_regions.split(",") if r]))
    if args.out:
        with open(args.out, "w") as f:
            for row in rec.rows:
                f.write(json.dumps(row) + "\n")
    print(json.dumps(summarise(rec.rows, since=args.ramp), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
