"""`python -m dashboard simulate`: keep the demo city alive.

Writes new incidents, patrols, visits and appeals at realistic rates (× speed)
with timestamps of the real clock, and moves open incidents through their
statuses, as the grid app, 12345 and 110 would.
"""
from __future__ import annotations

import datetime as dt
import random
import time

from sqlalchemy.exc import OperationalError

from data_access import engine as db
from data_access import load, rollups
from data_access.timeutil import local_day

from .generate import DEPARTMENT_RESPONSE, SCALES, City

ARRIVAL_MINUTES = {department: pace[0] for department, pace in DEPARTMENT_RESPONSE.items()}

UTC = dt.timezone.utc


def _real_clock() -> dt.datetime:
    return dt.datetime.now(UTC)


def simulate(url: str | None, speed: float = 1.0, tick: float = 2.0, ticks: int | None = None,
             seed: int | None = None, log=print, clock=_real_clock) -> dict:
    """`clock` gives the timestamps; the rates follow its local hour (no patrols 22:00-06:00)."""
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = load.city_rows(conn)
        ids = load.max_ids(conn)
    city = City(SCALES["demo"], seed or int(time.time()), regions=rows["region"],
                workers=rows["grid_worker"], key_persons=rows["key_person"], stream=int(time.time()))
    city.rate_multiplier = speed
    city.next_id = {k: v + 1 for k, v in ids.items()}
    moves = random.Random(city.seed)
    written: dict[str, int] = {}
    last = clock().replace(microsecond=0)
    log(f"simulating {len(city.grid_code)} grids at ×{speed} (Ctrl-C stops)")
    n = 0
    settled_on = None  # rows written here are today's: the rollups need a catch-up only at midnight
    while ticks is None or n < ticks:
        time.sleep(tick)
        now = clock().replace(microsecond=0)
        if now <= last:
            continue
        try:
            with engine.begin() as conn:
                for table, make in (("incident", city.incidents), ("patrol", city.patrols),
                                    ("appeal", city.appeals), ("visit", city.visits)):
                    cols = make(last, now, now)
                    if table != "visit":
                        cols = city.corrupt(table, cols, now)
                    written[table] = written.get(table, 0) + load.write_columns(conn, table, cols)
                # Arrivals (吹哨→报到) at each department's own pace, the seed's rule.
                written["moved"] = written.get("moved", 0) + load.advance_incidents(
                    conn, now, (now - last).total_seconds() / 60 * speed, moves, ARRIVAL_MINUTES)
                if local_day(now) != settled_on:  # first tick, and after midnight: settle the days
                    rollups.catch_up(conn, now, build_missing=False)
                    settled_on = local_day(now)
        except OperationalError as exc:  # database busy or away: try again next tick
            log(f"simulator: database unavailable ({type(exc.orig).__name__}); retrying")
            continue
        last = now
        n += 1
        if n % 30 == 0:
            log(f"simulator {now:%H:%M:%S}: {written}")
    return written
