"""Writing rows into the shared tables, as the source systems do (seed and simulator).

Bulk batches arrive as columns (numpy arrays or lists). SQLite takes them
through the driver's executemany; PostgreSQL through COPY. Timestamps go in
as UTC text in each backend's own format, so nothing is converted twice.
"""
from __future__ import annotations

import datetime as dt
import math
import random

import numpy as np
from sqlalchemy import Integer, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection

from . import schema

UTC = dt.timezone.utc


def _column_values(values, dialect: str) -> list:
    """A column as a list of plain Python values the driver accepts."""
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.dtype.kind == "M":
        strings = np.datetime_as_string(arr.astype("datetime64[s]"), unit="s")
        suffix = "+00" if dialect == "postgresql" else ""
        return [None if s == "NaT" else s.replace("T", " ") + suffix for s in strings.tolist()]
    if arr.dtype.kind == "f":
        return [None if v != v else v for v in arr.tolist()]
    if arr.dtype.kind == "O":
        return [None if (isinstance(v, float) and v != v) else v for v in arr.tolist()]
    return arr.tolist()


def _int_columns(table) -> set[str]:
    return {c.name for c in table.columns if isinstance(c.type, Integer)}


def write_columns(conn: Connection, table_name: str, cols: dict) -> int:
    """Append one batch of rows given as {column: values}; returns the row count."""
    table = schema.metadata.tables[table_name]
    names = list(cols)
    if not names:
        return 0
    dialect = conn.dialect.name
    ints = _int_columns(table)
    lists = []
    for name in names:
        vals = _column_values(cols[name], dialect)
        if name in ints:  # floats that stand for integers (NaN meant NULL)
            vals = [None if v is None else int(v) for v in vals]
        lists.append(vals)
    rows = list(zip(*lists))
    if not rows:
        return 0
    if dialect == "postgresql":
        from psycopg import sql  # only the PostgreSQL path needs the driver's own SQL builder
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names)))
        with conn.connection.driver_connection.cursor().copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        stmt = insert(table).values({n: bindparam(n) for n in names})
        conn.connection.driver_connection.executemany(str(stmt.compile(dialect=conn.dialect)), rows)
    return len(rows)


def write_rows(conn: Connection, table_name: str, rows: list[dict]) -> int:
    """Append small batches of dict rows (static tables) through SQLAlchemy."""
    if rows:
        conn.execute(insert(schema.metadata.tables[table_name]), rows)
    return len(rows)


def reset_sequences(conn: Connection) -> None:
    """After COPY with explicit ids, PostgreSQL's sequences must catch up."""
    if conn.dialect.name != "postgresql":
        return
    for table in schema.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].name == "id":
            top = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar()
            conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v, false)"),
                         {"t": table.name, "v": top + 1})


def max_ids(conn: Connection) -> dict[str, int]:
    out = {}
    for name in ("incident", "patrol", "appeal", "visit"):
        t = schema.metadata.tables[name]
        out[name] = conn.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar()
    return out


def advance_incidents(conn: Connection, now: dt.datetime, minutes: float, rng: random.Random,
                      arrival_minutes: dict[str, float] | None = None) -> int:
    """Move open incidents on by `minutes` of simulated time, as handlers would.
    `arrival_minutes` ({department: median minutes}): a dispatched incident's department
    arrives (吹哨→报到) at its own pace, a constant hazard with that median (unknown: 90)."""
    inc = schema.incident
    rows = conn.execute(
        select(inc.c.id, inc.c.status, inc.c.reported_at, inc.c.sla_due_at, inc.c.handling_level,
               inc.c.department)
        .where(inc.c.closed_at.is_(None), inc.c.reported_at <= now,
               inc.c.reported_at >= now - dt.timedelta(days=30))).all()
    moved = 0
    for row in rows:
        if arrival_minutes is not None and row.status == "dispatched":
            # One step per tick with a constant hazard: an exponential wait of that median.
            chance = 1 - math.exp(-minutes * math.log(2) / arrival_minutes.get(row.department, 90))
        else:
            sla_h = max(1.0, (row.sla_due_at - row.reported_at).total_seconds() / 3600) if row.sla_due_at else 48.0
            # Mean time per step scales with the SLA; a few stall and run late.
            chance = min(1.0, minutes / (sla_h * 60 * (0.08 if row.handling_level == "grid" else 0.05)))
        if rng.random() > chance:
            continue
        values = {}
        if row.status == "reported" and row.handling_level != "grid":
            values = {"status": "dispatched", "dispatched_at": now}
        elif row.status == "dispatched":
            values = {"status": "in_progress", "arrived_at": now}
        elif row.status in ("reported", "in_progress"):
            values = {"status": "resolved"}
        elif row.status == "resolved":
            values = {"status": "closed", "closed_at": now}
        if values:
            conn.execute(update(inc).where(inc.c.id == row.id, inc.c.status == row.status).values(**values))
            moved += 1
    return moved


def set_meta(conn: Connection, values: dict[str, str], now: dt.datetime) -> None:
    meta = schema.app_meta
    for key, value in values.items():
        conn.execute(meta.delete().where(meta.c.key == key))
        conn.execute(insert(meta).values(key=key, value=value, updated_at=now))


def city_rows(conn: Connection) -> dict[str, list[dict]]:
    """The static rows the simulator needs to keep writing in the same city."""
    r = schema.region
    regions = [dict(row._mapping) for row in conn.execute(
        select(r.c.code, r.c.name, r.c.level, r.c.village_code, r.c.township_code, r.c.county_code,
               r.c.is_urban, r.c.households, r.c.lon, r.c.lat, r.c.geometry)  # new points stay inside their grid
        .order_by(r.c.code))]
    workers = [dict(row._mapping) for row in conn.execute(
        select(schema.grid_worker.c.id, schema.grid_worker.c.grid_code).order_by(schema.grid_worker.c.id))]
    kp = schema.key_person
    people = [dict(row._mapping) for row in conn.execute(
        select(kp.c.id, kp.c.grid_code, kp.c.visit_interval_days).order_by(kp.c.id))]
    return {"region": regions, "grid_worker": workers, "key_person": people}
