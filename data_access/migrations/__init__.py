"""Alembic migrations of the dashboard-owned tables (`schema.OWN_TABLES`) and nothing else.

The shared tables belong to the source systems: they are never reflected, compared or altered
here (`include_name` / `include_object`). Alembic's version row lives in `dashboard_alembic_version`
so it cannot collide with a source system's own `alembic_version`.

`upgrade(engine)` (called by `data_access.engine.migrate`) brings the own tables to head:

* a fresh database: every revision runs;
* a database made by the code before Alembic (own tables, no version table): the first two
  revisions create only what is missing and add only the columns that are missing, so such a
  database is upgraded in place, rows kept, whichever older version built it;
* a database at head: one read, no lock, nothing written;
* a database stamped by newer code (a revision this code does not know): left alone, logged.

Two processes starting at once: the work runs in one transaction that first takes a lock —
`pg_advisory_xact_lock` on PostgreSQL, `BEGIN IMMEDIATE` (the write lock) on SQLite — and looks at
the version again under it, so the second process waits and then finds nothing to do. A wait
longer than the statement timeout (PostgreSQL) or busy_timeout (SQLite) is tried again, for
up to LOCK_WAIT_SECONDS in all (a loaded machine made single waits run out); after that it
fails with a DatabaseError, which the app's start logs; the first process still finishes.

Making a change: docs/deployment.md ("Schema changes of the dashboard's own tables").
"""
from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

from sqlalchemy import MetaData, create_engine, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from .. import schema

HERE = Path(__file__).resolve().parent
VERSION_TABLE = "dashboard_alembic_version"
OWN_NAMES = frozenset(t.name for t in schema.OWN_TABLES)
# Any constant: the key of the PostgreSQL advisory lock that serialises migrations.
LOCK_KEY = 0x52656447726964  # "RedGrid"

log = logging.getLogger(__name__)


def own_metadata() -> MetaData:
    """The target of autogenerate: the own tables only (copies, so schema.metadata is untouched)."""
    md = MetaData()
    for table in schema.OWN_TABLES:
        table.to_metadata(md)
    return md


def include_name(name, type_, parent_names) -> bool:
    # Reflect only our tables: the shared ones are large, not ours, and never to be touched.
    return name in OWN_NAMES if type_ == "table" else True


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table":
        return name in OWN_NAMES
    table = getattr(obj, "table", None)  # columns, indexes, constraints: their table decides
    return table is None or table.name in OWN_NAMES


def render_item(type_, obj, autogen_context):
    # New revisions say what the column is in the database, not which Python class reads it,
    # so an old revision never changes when schema.py does.
    if type_ == "type" and isinstance(obj, schema.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(context, connection: Connection) -> None:
    """The one `context.configure` of env.py, for the app and for the alembic command line."""
    context.configure(
        connection=connection,
        target_metadata=own_metadata(),
        version_table=VERSION_TABLE,
        include_name=include_name,
        include_object=include_object,
        render_item=render_item,
        render_as_batch=True,  # SQLite alters a column by copying its table; batch mode does that
        compare_type=True,
    )


def lock(conn: Connection) -> None:
    """Serialise migrations between processes; held until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
    elif conn.dialect.name == "sqlite":
        # pysqlite opens no transaction for DDL; this takes the write lock now and keeps the
        # whole upgrade, version row included, in one transaction.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def config(connection: Connection | None = None):
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


@functools.lru_cache(maxsize=1)
def _script():
    """The revision files, read once per process."""
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(config())


def head() -> str:
    return _script().get_current_head()


def current(conn: Connection) -> str | None:
    """The revision the database is at; None without a version table (fresh, or made before Alembic)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    # A plain read (MigrationContext would log its set-up at every start of every process).
    return conn.exec_driver_sql(f'SELECT version_num FROM "{VERSION_TABLE}"').scalar()


def _state(conn: Connection) -> tuple[str | None, set[str]]:
    tables = set(inspect(conn).get_table_names())
    return (current(conn) if VERSION_TABLE in tables else None), tables


LOCK_WAIT_SECONDS = 180  # a start waits this long in all for another process's migration


def _lock_timed_out(exc: OperationalError) -> bool:
    """A wait for the migration lock that ran past busy_timeout / statement_timeout."""
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return "database is locked" in str(orig) or code in ("57014", "55P03")  # query canceled, lock not available


def upgrade(engine: Engine) -> str:
    """Bring the own tables to head. Returns "current", "upgraded" or "newer" (left alone).
    Waiting for another process's migration is retried (it failed starts in CI under load)."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return _upgrade(engine)
        except OperationalError as exc:
            if not _lock_timed_out(exc) or time.monotonic() > deadline:
                raise
            log.info("waiting for another process's migration of the dashboard tables")


def _upgrade(engine: Engine) -> str:
    from alembic import command
    target = head()
    known = {s.revision for s in _script().walk_revisions()}
    with engine.connect() as conn:  # the usual case: at head, read only (a role without DDL rights starts)
        rev, tables = _state(conn)
    if rev == target and OWN_NAMES <= tables:
        return "current"
    if rev is not None and rev not in known:
        log.warning("dashboard schema is at %s, which this code does not know (head %s): left as it is",
                    rev, target)
        return "newer"
    with engine.connect() as conn:
        # SQLite: BEGIN IMMEDIATE must be the transaction's first statement, before SQLAlchemy's
        # own (lazy) begin has run anything.
        with conn.begin():
            lock(conn)
            rev, tables = _state(conn)  # again, under the lock: another process may have done it
            if rev is not None and rev not in known:
                return "newer"
            if rev is None and tables & OWN_NAMES:
                log.info("dashboard tables without %s: adopting them (revisions add only what is missing)",
                         VERSION_TABLE)
            if rev != target:
                command.upgrade(config(conn), "head")
            missing = _recreate_dropped(conn)
    if rev == target and not missing:
        return "current"  # another process was first (or only a table without a revision is missing)
    log.info("dashboard tables migrated from %s to %s%s", rev or "no version", target,
             f", re-created {[t.name for t in missing]}" if missing else "")
    return "upgraded"


def _recreate_dropped(conn: Connection) -> list:
    """At head, an own table may still be missing: dropped by hand behind Alembic's back. It is
    made again from schema.py, but only if the revisions make that table with those columns:
    a table new in schema.py without a revision stays missing (and autogenerate reports it)."""
    there = set(inspect(conn).get_table_names())
    missing = [t for t in schema.OWN_TABLES if t.name not in there]
    if not missing:
        return []
    head_columns = _head_columns()
    made = []
    for table in missing:
        if head_columns.get(table.name) == [c.name for c in table.columns]:
            table.create(conn)
            made.append(table)
        else:
            log.warning("own table %s is in schema.py but no revision makes it so: write a migration "
                        "(docs/deployment.md)", table.name)
    return made


@functools.lru_cache(maxsize=1)
def _head_columns() -> dict[str, list[str]]:
    """The own tables and their columns as the revisions leave them: run once on an in-memory SQLite."""
    from alembic import command
    scratch = create_engine("sqlite://")
    try:
        with scratch.connect() as conn, conn.begin():
            command.upgrade(config(conn), "head")
            insp = inspect(conn)
            return {t: [c["name"] for c in insp.get_columns(t)] for t in insp.get_table_names() if t in OWN_NAMES}
    finally:
        scratch.dispose()


def drop_version_table(conn: Connection) -> None:
    conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{VERSION_TABLE}"')
