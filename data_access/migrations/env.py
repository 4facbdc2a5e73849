"""Alembic environment of the dashboard-owned tables (see __init__.py).

Run by `data_access.engine.migrate` with a connection already open and locked, or by the
alembic command line: `alembic -c data_access/migrations/alembic.ini -x db=URL …` (URL defaults
to DATABASE_URL, then var/redgrid.db).
"""
from __future__ import annotations

from alembic import context

from data_access import migrations

config = context.config

if context.is_offline_mode():
    # The first revisions look at the database (they adopt pre-Alembic ones): no SQL scripts.
    raise SystemExit("offline (--sql) mode is not supported; run: python -m dashboard migrate --db URL")

connection = config.attributes.get("connection")
if connection is not None:  # from migrations.upgrade: its transaction, its lock
    migrations.configure(context, connection)
    context.run_migrations()
else:
    if config.config_file_name:
        from logging.config import fileConfig
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    from data_access.engine import make_engine
    engine = make_engine(context.get_x_argument(as_dictionary=True).get("db"), statement_timeout_ms=0)
    try:
        with engine.connect() as conn, conn.begin():
            migrations.lock(conn)
            migrations.configure(context, conn)
            context.run_migrations()
    finally:
        engine.dispose()
