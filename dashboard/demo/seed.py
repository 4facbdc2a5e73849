"""`python -m dashboard seed`: build the demo city into a database, streamed day by day."""
from __future__ import annotations

import datetime as dt
import time

from data_access import engine as db
from data_access import load, rollups

from dashboard.cases import link as cases_link

from . import warning_history
from .generate import SCALES, City, batches

REGISTER = ("household", "person", "enterprise", "place", "organization", "inspection")
REGISTER_CHUNK = 200_000


def seed(url: str | None, scale: str = "demo", seed_value: int = 1,
         end: dt.datetime | None = None, log=print, warning_weeks: int | None = None) -> dict:
    """Replace the database's contents with a generated city; returns row counts and seconds.
    `warning_weeks`: the whole weeks before the running one over which the warning rules are
    replayed (default warning_history.WEEKS; 0: no warnings)."""
    spec = SCALES[scale]
    end = (end or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    start = end - dt.timedelta(days=spec.days)
    t0 = time.perf_counter()
    engine = db.make_engine(url, statement_timeout_ms=0)  # bulk loads and index builds run long
    db.drop_schema(engine)
    db.create_schema(engine, with_indexes=False)
    city = City(spec, seed_value)
    city.plan_episodes(start, end)
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for table, rows in city.static_rows(start, end).items():
            counts[table] = load.write_rows(conn, table, rows)
    log(f"regions and people: {counts} ({time.perf_counter() - t0:.1f}s)")
    # The register (一户一档 · 一人一档 · 一企一档, places, organisations): bulk columns.
    t_reg = time.perf_counter()
    conn = engine.connect()
    try:
        for table, cols in city.register_columns(end).items():
            n = len(cols["id"])
            for at in range(0, n, REGISTER_CHUNK):  # bounded driver batches (a city has millions)
                chunk = {k: v[at:at + REGISTER_CHUNK] for k, v in cols.items()}
                counts[table] = counts.get(table, 0) + load.write_columns(conn, table, chunk)
            counts.setdefault(table, 0)
        conn.connection.commit()
    finally:
        conn.close()
    log(f"register: {{{', '.join(f'{t}: {counts[t]}' for t in REGISTER)}}} ({time.perf_counter() - t_reg:.1f}s)")
    day = 0
    conn = engine.connect()
    try:
        for table, cols in batches(city, start, end):
            counts[table] = counts.get(table, 0) + load.write_columns(conn, table, cols)
            if table == "visit":  # the last table of each day: commit the day
                conn.connection.commit()
                day += 1
                if day % 10 == 0 or day == spec.days:
                    log(f"day {day}/{spec.days}: {counts} ({time.perf_counter() - t0:.1f}s)")
        conn.connection.commit()
    finally:
        conn.close()
    t_load = time.perf_counter() - t0
    db.create_indexes(engine)
    t_indexed = time.perf_counter() - t0
    # 一事一码: the reports of one event linked into cases before the rollups count events. The
    # tiny test city has no repeated reports and stays unlinked (tests/test_cases.py links copies).
    if spec.extra_reports:
        linked = cases_link.link(engine, end)
        counts["incident_case"] = linked["linked"]
        log(f"cases: {linked}")
    with engine.begin() as conn:
        load.reset_sequences(conn)
        # The settled days summed once (data_access/rollups.py); the app keeps them up to date.
        rollups.rebuild(conn, end)
        load.set_meta(conn, {"seed.scale": scale, "seed.seed": str(seed_value),
                             "seed.end": end.isoformat()}, end)
    # The barometer's text readings of the recent appeals, as the scheduler keeps them: without
    # them the first opinion view after a seed reads every appeal's text itself (20 s cold at
    # city scale, issue #19). The tiny test city leaves them to its tests.
    if spec.extra_reports:
        t_read = time.perf_counter()
        done = _fill_readings(engine, end)
        log(f"text readings: {done['read']} appeals ({time.perf_counter() - t_read:.1f}s)")
    t_rolled = time.perf_counter() - t0
    # Warnings with a history: the rules replayed hour by hour, handled by the duty officers.
    weeks = warning_history.WEEKS if warning_weeks is None else warning_weeks
    replayed = warning_history.replay(engine, start, end, weeks, seed_value, log) if weeks > 0 else {}
    counts["warning"] = replayed.get("raised", 0)
    total = time.perf_counter() - t0
    log(f"seeded {scale} in {total:.1f}s (rows {t_load:.1f}s, indexes {t_indexed - t_load:.1f}s, "
        f"rollups and readings {t_rolled - t_indexed:.1f}s, warnings {total - t_rolled:.1f}s)")
    engine.dispose()
    return {"counts": counts, "seconds": round(total, 1), "load_seconds": round(t_load, 1),
            "warning_seconds": round(total - t_rolled, 1)}


def _fill_readings(engine, end: dt.datetime) -> dict:
    from data_access import opinion_readings

    from dashboard.opinion_text import for_places
    with engine.connect() as conn:
        places = opinion_readings.place_names(conn)
    pipe = for_places(places)
    return opinion_readings.fill(engine, pipe.read, opinion_readings.reader_id(pipe.version, places), end)
