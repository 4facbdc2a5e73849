"""deploy/postgres-roles.sql, run for real on a fresh PostgreSQL database: the app's role may do
what the app does to every table it uses and nothing more (shared tables read-only, the audit
log append-only), and the read-only role reads everything. A table added to the schema without
its grant fails here, not in production."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

from sqlalchemy import create_engine, inspect

from data_access import schema
from data_access.engine import create_schema, make_engine

from .conftest import private_pg

ROLES = Path(__file__).resolve().parent.parent / "deploy" / "postgres-roles.sql"
WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")


def _can(conn, role: str, table: str, privilege: str) -> bool:
    return conn.exec_driver_sql(f"SELECT has_table_privilege('{role}', '{table}', '{privilege}')").scalar()


def test_roles001_every_table_has_the_grant_the_app_needs():
    with private_pg("rg_grants", seed=False) as url:
        create_schema(make_engine(url))  # every table: shared, own (by migration) and rollups
        name = url.rsplit("/", 1)[1]
        suffix = uuid.uuid4().hex[:8]
        app, ro = f"redgrid_app_{suffix}", f"redgrid_ro_{suffix}"  # roles are per cluster: our own names
        script = ROLES.read_text(encoding="utf-8").replace(":app_password", "'test-only'")
        script = script.replace("DATABASE governance", f'DATABASE "{name}"')
        script = re.sub(r"\bredgrid_ro\b", ro, re.sub(r"\bredgrid_app\b", app, script))
        eng = create_engine(url)
        with eng.connect() as conn:
            tx = conn.begin()  # roles and grants are transactional: nothing stays on the cluster
            try:
                conn.exec_driver_sql(script)
                tables = set(inspect(conn).get_table_names())
                shared = {t.name for t in schema.SHARED_TABLES}
                assert shared <= tables and "dashboard_alembic_version" in tables
                for table in sorted(tables):
                    assert _can(conn, ro, table, "SELECT"), (ro, table)
                    if table in shared:
                        assert _can(conn, app, table, "SELECT") and not _can(conn, app, table, "INSERT"), table
                    elif table == "audit_log":  # append-only
                        assert _can(conn, app, table, "INSERT") and not _can(conn, app, table, "UPDATE") \
                            and not _can(conn, app, table, "DELETE")
                    elif table == "dashboard_alembic_version":  # migrated by its owner, read by the app
                        assert _can(conn, app, table, "SELECT") and not _can(conn, app, table, "INSERT")
                    else:
                        assert all(_can(conn, app, table, p) for p in WRITE), (table, [
                            p for p in WRITE if not _can(conn, app, table, p)])
                    assert not _can(conn, ro, table, "INSERT"), table
            finally:
                tx.rollback()
        eng.dispose()
