"""Engines for SQLite (embedded default) and PostgreSQL (production)."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.schema import CreateTable

from . import schema

DEFAULT_URL = "sqlite:///var/redgrid.db"


def database_url(url: str | None = None) -> str:
    """The URL to use: explicit, else DATABASE_URL, else the SQLite file under var/."""
    return url or os.environ.get("DATABASE_URL") or DEFAULT_URL


def make_engine(url: str | None = None, statement_timeout_ms: int = 15000) -> Engine:
    url = make_url(database_url(url))
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    # A slow query must not hang a worker; times are UTC on the wire.
    options = f"-c timezone=UTC -c statement_timeout={int(statement_timeout_ms)}"
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args={"options": options, "connect_timeout": 5})


def _sqlite_pragmas(dbapi_conn, _record):
    # WAL lets the app read while the simulator writes; busy_timeout rides out short locks.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    # Reading the file through mmap and a 64 MB page cache roughly halves city-level query time.
    cur.execute("PRAGMA mmap_size=1073741824")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def migrate(engine: Engine) -> str:
    """Bring the dashboard's own tables (schema.OWN_TABLES) to the newest Alembic revision
    (data_access/migrations): creates them, upgrades an older database in place, and is safe
    when several processes start at once. Returns "current", "upgraded" or "newer"."""
    from . import migrations
    return migrations.upgrade(engine)


def create_schema(engine: Engine, with_indexes: bool = True) -> None:
    """Own tables by migration; missing other tables created (indexes can wait for a bulk load)."""
    migrate(engine)
    existing = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        for table in schema.metadata.sorted_tables:
            if table.name in existing or table in schema.OWN_TABLES:
                continue
            conn.execute(CreateTable(table))
            if with_indexes:
                for index in table.indexes:
                    index.create(conn)


def create_own_tables(engine: Engine) -> None:
    """Only the dashboard's own tables (the shared ones belong to the source systems)."""
    migrate(engine)


def create_indexes(engine: Engine) -> None:
    insp = inspect(engine)
    with engine.begin() as conn:
        for table in schema.metadata.sorted_tables:
            have = {ix["name"] for ix in insp.get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in have:
                    index.create(conn)
        conn.exec_driver_sql("ANALYZE")  # fresh planner statistics after a bulk load


def drop_schema(engine: Engine) -> None:
    from .migrations import drop_version_table
    schema.metadata.drop_all(engine)
    with engine.begin() as conn:  # an empty database again: the next migrate starts from nothing
        drop_version_table(conn)


def has_data(engine: Engine) -> bool:
    from sqlalchemy import func, select
    if "region" not in inspect(engine).get_table_names():
        return False
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(schema.region)).scalar())


def keyset_batches(engine: Engine, stmt):
    """Run `stmt` (rows ordered by `id`, filtered on `id > :after`, limited) batch after batch,
    each in its own transaction: yields (conn, rows) with the transaction open, so the caller's
    writes for a batch commit with it. A run that stops half-way keeps the batches it finished."""
    after = -1
    while True:
        with engine.begin() as conn:
            rows = conn.execute(stmt, {"after": after}).all()
            if not rows:
                return
            yield conn, rows
        after = rows[-1].id
