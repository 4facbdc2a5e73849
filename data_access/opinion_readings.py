"""Readings of appeal text kept in the database, so a barometer snapshot does not read a city's
week of text again in every new process (issue #6: the cold city snapshot took 15-30 s in jieba).

`appeal_reading` holds, per appeal of the last KEEP_DAYS with text, what the text pipeline
read from it (topic, sentiment, keywords) and which reader did: the model's version and the
place names it knew (`reader_id`). The barometer (`data_access/opinion.py`) joins it and
reads in-process only the appeals that have no reading by the current reader yet (those
that arrived since the last fill, or all of them after a model upgrade), so it is right
whether or not the fill has run.

`fill` is maintenance, never a request: the scheduler thread runs it under the
'readings' lease after the warning rules, and `python -m dashboard opinion readings`
runs it once. It deletes readings older than KEEP_DAYS or by another reader, then reads
the appeals that have none, in keyset batches by id, one transaction per batch.
Assumption (as for the rollups): a source system does not rewrite an appeal's text.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Callable

from sqlalchemy import and_, bindparam, delete, insert, or_, select
from sqlalchemy.engine import Connection, Engine

from . import lease
from .engine import keyset_batches
from .schema import appeal, appeal_reading, region

KEEP_DAYS = 37  # the barometer reads 35 x 24 h of unlabelled appeals and 7 of hot words; 2 days' margin
BATCH = 5000

# The text model (dashboard/opinion_text) sits above this package, so it is handed in, never
# imported: the `dashboard` package registers a loader when it is imported.
_load_text_model: Callable | None = None


def use_text_model(load: Callable) -> None:
    """Register `load()`, which returns the text model: an object with `for_places(names)` (a
    pipeline with `.read(text)` and `.version`) and `model_version()`. Called once per process;
    loading is left to the first text to read (the model's import takes a while)."""
    global _load_text_model
    _load_text_model = load


def text_model():
    if _load_text_model is None:
        raise RuntimeError("no text model registered: import dashboard (it calls "
                           "data_access.opinion_readings.use_text_model) before reading appeal text")
    return _load_text_model()


def place_names(conn: Connection) -> list[str]:
    """Every region name above the grids: the segmenter's place dictionary."""
    return [name for (name,) in conn.execute(select(region.c.name).where(region.c.level != "grid"))]


def reader_id(model_version: str, places: list[str]) -> str:
    """Who read a text: the model and the place names it knew (keywords leave places out)."""
    digest = hashlib.sha1("\n".join(sorted(set(places))).encode()).hexdigest()[:12]
    return f"{model_version}:{digest}"


SEP = "\t"  # between keywords (a keyword is a word: no whitespace); a split is 10x a JSON parse


def encode(keywords) -> str:
    return SEP.join(w for w in keywords if w and SEP not in w)


def decode(keywords) -> tuple[str, ...]:
    return tuple(w for w in keywords.split(SEP) if w) if isinstance(keywords, str) else ()


def fill(engine: Engine, read: Callable, reader: str, now: dt.datetime, batch: int = BATCH) -> dict:
    """Read every appeal of the last KEEP_DAYS (up to now) with text and no reading by `reader`."""
    cutoff = now - dt.timedelta(days=KEEP_DAYS)
    with engine.begin() as conn:
        dropped = conn.execute(delete(appeal_reading).where(
            or_(appeal_reading.c.received_at < cutoff, appeal_reading.c.reader != reader))).rowcount
    joined = appeal.outerjoin(appeal_reading, appeal_reading.c.appeal_id == appeal.c.id)
    stmt = (select(appeal.c.id, appeal.c.received_at, appeal.c.content).select_from(joined)
            .where(appeal.c.received_at >= cutoff, appeal.c.received_at <= now, appeal.c.content.isnot(None),
                   appeal_reading.c.appeal_id.is_(None), appeal.c.id > bindparam("after"))
            .order_by(appeal.c.id).limit(batch))
    done = {"dropped": dropped, "read": 0, "batches": 0}
    for conn, rows in keyset_batches(engine, stmt):
        values = []
        for row in rows:
            if not row.content.strip():
                continue  # nothing to read: the view leaves it unread too
            r = read(row.content)
            values.append({"appeal_id": row.id, "received_at": row.received_at, "reader": reader,
                           "topic": r.topic, "sentiment": r.sentiment, "keywords": encode(r.keywords)})
        if values:
            conn.execute(insert(appeal_reading), values)
        done["read"] += len(rows)
        done["batches"] += 1
    return done


def joined_with(joined, reader: str):
    """`joined` (appeal …) with each appeal's reading by `reader`, when there is one."""
    return joined.outerjoin(appeal_reading, and_(appeal_reading.c.appeal_id == appeal.c.id,
                                                 appeal_reading.c.reader == reader))


COLUMNS = (appeal_reading.c.appeal_id.label("r_id"), appeal_reading.c.topic.label("r_topic"),
           appeal_reading.c.sentiment.label("r_sentiment"), appeal_reading.c.keywords.label("r_keywords"))


def fill_engine(engine: Engine, now: dt.datetime, holder: str, seconds: float) -> dict | None:
    """One fill under the 'readings' lease (None when another process holds it)."""
    with engine.begin() as conn:
        if not lease.try_take(conn, "readings", holder, now, seconds):
            return None
        places = place_names(conn)
    pipe = text_model().for_places(places)
    return fill(engine, pipe.read, reader_id(pipe.version, places), now)
