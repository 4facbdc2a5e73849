"""The linker: new reports joined to the case of an earlier (or later) report of the same happening.

Incremental: it reads the incidents with an id above its watermark (dashboard_meta
`cases.watermark`), in id chunks, each with its context — the valid incidents of the same
villages within WINDOW of them. A report is compared with the reports of its village within
WINDOW already read (older ids, or earlier in this pass) and joins the case of the most similar
one when the similarity reaches THRESHOLD; it never merges two existing cases (an officer's
join), so an officer's split is not undone by the next pass. Gates and threshold: docs/cases.md.
"""
from __future__ import annotations

import bisect
import datetime as dt
import time

from sqlalchemy.engine import Engine

from data_access import cases, lease, rollups

from . import text

# Chosen on the tuning half of tests/data/case_pairs.csv (docs/cases.md).
THRESHOLD = 0.95  # title-token overlap: every content word of the shorter title in the other
WINDOW = cases.WINDOW
CHUNK_IDS = 20_000  # incidents read per transaction (a few demo days)


def score(model: text.CaseText, a: dict, b: dict) -> float:
    """How alike two reports are: 0 when they name different spots or persons, else the chosen
    measure (text.CaseText.similarity)."""
    if not text.near(a["title"], b["title"]):
        return 0.0
    if text.conflict((a["title"] or "") + (a["description"] or ""), (b["title"] or "") + (b["description"] or "")):
        return 0.0
    return model.similarity(a["title"], a["description"], b["title"], b["description"])


def candidates(x: dict, by_village: dict, window: dt.timedelta = WINDOW):
    """The reports of x's village within `window` of it (not x itself)."""
    rows, times = by_village.get(x["village_code"], ([], []))
    lo = bisect.bisect_left(times, x["reported_at"] - window)
    hi = bisect.bisect_right(times, x["reported_at"] + window)
    return [y for y in rows[lo:hi] if y["id"] != x["id"]]


def best_match(model, x: dict, pool, threshold: float = THRESHOLD):
    """(report, score) of the most similar report in `pool` reaching `threshold`, else None; among
    equal scores the one whose whole text is closer, then the nearest in time, then the lowest id."""
    best, key = None, None
    for y in pool:
        s = score(model, x, y)
        if s < threshold:
            continue
        k = (s, model.whole_text(x["title"], x["description"], y["title"], y["description"]),
             -abs((x["reported_at"] - y["reported_at"]).total_seconds()), -y["id"])
        if key is None or k > key:
            best, key = (y, s), k
    return best


def _index(rows: list[dict]) -> dict:
    by: dict = {}
    for r in sorted(rows, key=lambda r: (r["reported_at"], r["id"])):
        slot = by.setdefault(r["village_code"], ([], []))
        slot[0].append(r)
        slot[1].append(r["reported_at"])
    return by


def link_chunk(conn, model, seen: int, upto: int, now: dt.datetime, threshold: float = THRESHOLD) -> dict:
    """Link the valid reports with seen < id <= upto; returns counts. The caller commits."""
    new = cases.pending(conn, seen, upto, now)
    out = {"read": len(new), "linked": 0, "cells": 0}
    if not new:
        return out
    villages = sorted({r["village_code"] for r in new})
    lo = min(r["reported_at"] for r in new) - WINDOW
    hi = max(r["reported_at"] for r in new) + WINDOW
    by_village = _index(cases.neighbours(conn, villages, lo, hi, upto, now))
    done: set[int] = set()
    links = []
    for x in new:
        pool = [y for y in candidates(x, by_village) if y["id"] <= seen or y["id"] in done]
        found = best_match(model, x, pool, threshold)
        if found is not None:
            links.append((x["id"], found[0]["id"], found[1]))
            out["linked"] += 1
        done.add(x["id"])
    # Written together: the chunk's links in one pass over the cases they touch.
    changed = cases.attach_many(conn, links, now)
    out["cells"] = rollups.redo_incidents(conn, changed, now)
    return out


def link(engine: Engine, now: dt.datetime, model: text.CaseText | None = None, threshold: float = THRESHOLD,
         chunk: int = CHUNK_IDS, log=None) -> dict:
    """Read every incident above the watermark, chunk by chunk (one transaction each, the
    watermark moved with it): safe to stop and run again."""
    model = model or text.default()
    t0 = time.perf_counter()
    with engine.connect() as conn:
        seen, top = cases.watermark(conn), cases.max_incident_id(conn)
    total = {"read": 0, "linked": 0, "cells": 0}
    while seen < top:
        upto = min(seen + chunk, top)
        with engine.begin() as conn:
            got = link_chunk(conn, model, seen, upto, now, threshold)
            cases.set_watermark(conn, upto, now)
        for k in total:
            total[k] += got[k]
        seen = upto
        if log is not None:
            log(f"cases: read up to id {upto}: {total}")
    total["seconds"] = round(time.perf_counter() - t0, 2)
    return total


def link_engine(engine: Engine, now: dt.datetime, holder: str, seconds: float) -> dict | None:
    """One linker pass under the 'cases' lease (None when another process holds it)."""
    with engine.begin() as conn:
        if not lease.try_take(conn, "cases", holder, now, seconds):
            return None
    return link(engine, now)
