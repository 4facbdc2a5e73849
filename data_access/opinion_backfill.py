"""Fill an appeal's NULL topic and sentiment from its text (`python -m dashboard opinion backfill`).

Only NULL fields are written (a source system's own label is never overwritten),
in keyset batches by id, one transaction per batch: a run that stops half-way
keeps what it did, and a second run finds nothing left to fill. Rows without
text stay NULL: there is nothing to read.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.engine import Connection, Engine

from .opinion import place_names  # noqa: F401 - the CLI's pipeline knows the view's places
from . import rollups
from .engine import keyset_batches
from .schema import appeal, region
from .scope import Scope, in_region, resolve, scope_of
from .timeutil import local_day, now


def root_scope(conn: Connection) -> Scope:
    """The whole tree: the operator's CLI runs over every region."""
    root = conn.execute(select(region.c.code).where(region.c.parent_code.is_(None))
                        .order_by(region.c.code).limit(1)).scalar()
    if root is None:
        raise LookupError("the region table is empty")
    return scope_of(conn, root)


def pending(conn: Connection, scope: Scope, code: str | None = None) -> int:
    """Located appeals with text and a NULL topic or sentiment in the region's subtree."""
    r = resolve(conn, scope, code)
    joined, located = in_region(appeal, r)
    return conn.execute(select(func.count()).select_from(joined).where(
        located, appeal.c.content.isnot(None),
        or_(appeal.c.topic.is_(None), appeal.c.sentiment.is_(None)))).scalar()


def backfill(engine: Engine, read: Callable, scope: Scope | None = None, code: str | None = None,
             batch: int = 2000, progress: Callable[[dict], None] | None = None) -> dict:
    """read(text) -> an object with .topic and .sentiment. Returns the counts of what was done."""
    batch = max(1, int(batch))
    with engine.connect() as conn:
        r = resolve(conn, scope or root_scope(conn), code)
    joined, located = in_region(appeal, r)
    stmt = (select(appeal.c.id, appeal.c.content, appeal.c.topic, appeal.c.sentiment, appeal.c.received_at)
            .select_from(joined)
            .where(located, appeal.c.content.isnot(None), appeal.c.id > bindparam("after"),
                   or_(appeal.c.topic.is_(None), appeal.c.sentiment.is_(None)))
            .order_by(appeal.c.id).limit(batch))
    # COALESCE in the UPDATE itself: a label written by the source between our read and our
    # write is kept.
    fill = (update(appeal).where(appeal.c.id == bindparam("b_id"))
            .values(topic=func.coalesce(appeal.c.topic, bindparam("b_topic")),
                    sentiment=func.coalesce(appeal.c.sentiment, bindparam("b_sentiment"))))
    done = {"scanned": 0, "topics": 0, "sentiments": 0, "batches": 0}
    touched: set = set()  # local days whose appeals changed: their rollup cells are recomputed
    for conn, rows in keyset_batches(engine, stmt):
        params = []
        for row in rows:
            if not row.content.strip():
                continue
            reading = read(row.content)
            params.append({"b_id": row.id, "b_topic": reading.topic, "b_sentiment": reading.sentiment})
            if row.received_at is not None:
                touched.add(local_day(row.received_at))
            done["topics"] += row.topic is None
            done["sentiments"] += row.sentiment is None
        if params:
            conn.execute(fill, params)
        done["scanned"] += len(rows)
        done["batches"] += 1
        if progress:
            progress(done)
    if touched:
        with engine.begin() as conn:
            rollups.redo_days(conn, touched, now())
    return done
