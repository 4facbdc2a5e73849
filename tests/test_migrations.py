"""Alembic migrations of the dashboard's own tables (data_access/migrations), on SQLite and PostgreSQL.

Each test gets an empty database of its own: a fresh one reaches head with exactly the tables of
`schema.OWN_TABLES`; a database in an older shape made by the code before Alembic (no version
table, rows in it) is upgraded in place; a second run changes nothing; and at head autogenerate
finds no difference from OWN_TABLES — the guard that a schema change comes with its migration.
"""
from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from data_access import migrations, schema
from data_access.engine import create_schema, drop_schema, make_engine, migrate

from .conftest import private_pg

T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.timezone.utc)

# The nullable columns the code before Alembic added with ALTER TABLE (git log -p data_access/schema.py).
LATER = {"warning": {"escalated_to", "assignee", "acknowledged_at", "acknowledged_by", "cleared_at"},
         "audit_log": {"scope_code"}}

# Shapes the code before Alembic left behind: which tables, and whether they had the later columns.
SHAPES = {
    # the duty desk's first version (7b251d8): warnings without their desk columns
    "before_desk": {"dashboard_meta": False, "warning": False, "warning_action": False},
    # accounts and text readings, audit log not yet by jurisdiction, no server-side sessions (39dbfcf)
    "before_sessions": {"dashboard_meta": True, "warning": True, "warning_action": True, "app_user": True,
                        "kiosk_token": True, "audit_log": False, "appeal_reading": True},
    # every table, none of the later columns: revision 0001's shape
    "baseline": {t.name: False for t in schema.OWN_TABLES},
    # the last code before Alembic (fdd864d): today's tables, only the version table is missing
    "last_before_alembic": {t.name: True for t in schema.OWN_TABLES},
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """An empty database for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mig.db'}"
        return
    with private_pg("redgrid_mig", seed=False) as url:
        yield url


@pytest.fixture()
def engine(empty_url):
    eng = make_engine(empty_url)
    yield eng
    eng.dispose()


def _diff(engine) -> list:
    """What autogenerate would write into a new revision (own tables only)."""
    with engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={
            "version_table": migrations.VERSION_TABLE, "include_name": migrations.include_name,
            "include_object": migrations.include_object, "compare_type": True})
        return compare_metadata(mc, migrations.own_metadata())


def _revision(engine) -> str | None:
    with engine.connect() as conn:
        return migrations.current(conn)


def _assert_own_tables_match(engine) -> None:
    insp = inspect(engine)
    for table in schema.OWN_TABLES:
        cols = {c["name"]: c for c in insp.get_columns(table.name)}
        assert list(cols) == [c.name for c in table.columns], table.name
        for c in table.columns:
            assert cols[c.name]["nullable"] == c.nullable, (table.name, c.name)
        assert {ix["name"] for ix in insp.get_indexes(table.name)} >= {ix.name for ix in table.indexes}


def _old_shape(engine, shape: str) -> None:
    """Build the own tables as the code before Alembic did: no version table, maybe no later columns."""
    md = sa.MetaData()
    for table in schema.OWN_TABLES:
        if table.name not in SHAPES[shape]:
            continue
        full = SHAPES[shape][table.name]
        cols = [sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, unique=c.unique)
                for c in table.columns if full or c.name not in LATER.get(table.name, ())]
        old = sa.Table(table.name, md, *cols)
        for ix in table.indexes:
            sa.Index(ix.name, *[old.c[c.name] for c in ix.columns])
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(md.tables["warning"]).values(
            id=7, dedup_key="major:incident:1", rule="major", level="red", region_code="450802001",
            reason="旧库里的预警", status="acknowledged", version=3, created_at=T0, updated_at=T0,
            escalated=False))
        if "audit_log" in md.tables:
            conn.execute(sa.insert(md.tables["audit_log"]).values(
                id=11, at=T0, actor="old_admin", action="login", target="old_admin", ok=True))


def test_mig001_fresh_database_reaches_head(engine):
    assert _revision(engine) is None
    assert migrate(engine) == "upgraded"
    assert _revision(engine) == migrations.head()
    tables = set(inspect(engine).get_table_names())
    assert tables == set(migrations.OWN_NAMES) | {migrations.VERSION_TABLE}  # no shared table made
    _assert_own_tables_match(engine)
    assert _diff(engine) == []


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_mig002_older_database_upgraded_in_place(engine, shape):
    _old_shape(engine, shape)
    assert migrations.VERSION_TABLE not in inspect(engine).get_table_names()
    assert migrate(engine) == "upgraded"
    assert _revision(engine) == migrations.head()
    _assert_own_tables_match(engine)
    assert _diff(engine) == []
    with engine.connect() as conn:
        w = conn.execute(sa.select(schema.warning)).one()
        assert (w.id, w.reason, w.status, w.version, w.created_at) == (7, "旧库里的预警", "acknowledged", 3, T0)
        assert all(getattr(w, c) is None for c in LATER["warning"])
        audit = conn.execute(sa.select(schema.audit_log)).all()
        if "audit_log" in SHAPES[shape]:
            assert [(a.id, a.actor, a.action, a.scope_code) for a in audit] == [(11, "old_admin", "login", None)]
        else:
            assert audit == []
    # the upgraded tables are written as usual
    with engine.begin() as conn:
        conn.execute(sa.update(schema.warning).where(schema.warning.c.id == 7).values(
            assignee="综治中心", acknowledged_at=T0, acknowledged_by="duty"))
        conn.execute(sa.insert(schema.app_session).values(
            session_key="k" * 64, user_key="u:1", data="{}", created_at=T0, expires_at=T0))
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.warning.c.assignee)).scalar() == "综治中心"


def test_mig003_second_run_changes_nothing(engine):
    assert migrate(engine) == "upgraded"
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        assert migrate(engine) == "current"
        assert migrate(engine) == "current"
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    writes = [s for s in statements
              if s.lstrip().split(None, 1)[0].upper() in ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE",
                                                         "BEGIN")]
    assert statements and writes == []  # it only looked (and took no lock)
    assert _revision(engine) == migrations.head()


def test_mig004_autogenerate_finds_no_difference_at_head(engine):
    # With the shared (and rollup) tables present too: they are neither reported nor touched.
    create_schema(engine)
    assert {"region", "incident", "rollup_incident_day"} <= set(inspect(engine).get_table_names())
    assert _diff(engine) == []
    # The guard works: a column in schema.py without a migration is a difference.
    md = migrations.own_metadata()
    md.tables["warning"].append_column(sa.Column("muted_until", schema.UTCDateTime))
    with engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={
            "version_table": migrations.VERSION_TABLE, "include_name": migrations.include_name,
            "include_object": migrations.include_object, "compare_type": True})
        diff = compare_metadata(mc, md)
    assert [(d[0], d[2], d[3].name) for d in diff] == [("add_column", "warning", "muted_until")]


def test_mig005_processes_starting_at_once(empty_url):
    """Several starts at once: one migrates, the others wait for its lock and find nothing to do."""
    engines = [make_engine(empty_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    results: list = []

    def start(eng):
        barrier.wait()
        try:
            results.append(migrate(eng))
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert sorted(map(str, results)) == ["current"] * 3 + ["upgraded"]
        assert _revision(engines[0]) == migrations.head() and _diff(engines[0]) == []
    finally:
        for e in engines:
            e.dispose()


def test_mig005b_a_start_waits_past_one_lock_timeout(tmp_path):
    """A migration lock held longer than one busy_timeout: the start waits and then migrates
    (it failed with "database is locked" in CI on a loaded machine)."""
    import sqlite3
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of its migration
    impatient = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})
    released = threading.Timer(1.5, lambda: (holder.execute("COMMIT"), holder.close()))
    released.start()
    try:
        assert migrate(impatient) == "upgraded"
        assert _revision(impatient) == migrations.head()
    finally:
        released.join()
        impatient.dispose()


def test_mig006_dropped_table_recreated_and_reseed(engine):
    """A table dropped behind Alembic's back comes back; drop_schema forgets the version too."""
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE warning_action"))
        conn.execute(text("DROP TABLE warning"))
    assert migrate(engine) == "upgraded"
    _assert_own_tables_match(engine)
    drop_schema(engine)
    assert inspect(engine).get_table_names() == []
    create_schema(engine, with_indexes=False)
    assert _revision(engine) == migrations.head()
    _assert_own_tables_match(engine)  # own tables always come with their indexes


def test_mig007_newer_database_left_alone(engine):
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {migrations.VERSION_TABLE} SET version_num = '9999'"))
    assert migrate(engine) == "newer"
    assert _revision(engine) == "9999"


def test_mig008_cli(empty_url, capsys):
    from dashboard.__main__ import main
    assert main(["migrate", "--db", empty_url]) == 0
    assert main(["migrate", "--db", empty_url]) == 0
    out = capsys.readouterr().out.splitlines()
    head = migrations.head()
    assert out == [f"dashboard tables: upgraded, at revision {head} (this code's head: {head})",
                   f"dashboard tables: current, at revision {head} (this code's head: {head})"]


def test_mig009_new_table_needs_a_revision(engine, monkeypatch):
    """A table added to OWN_TABLES without a revision is not slipped in by the start: it stays
    missing and autogenerate reports it (so the tests above fail until its migration exists)."""
    extra = sa.Table("warning_note", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("text", sa.Text))
    monkeypatch.setattr(schema, "OWN_TABLES", schema.OWN_TABLES + (extra,))
    monkeypatch.setattr(migrations, "OWN_NAMES", migrations.OWN_NAMES | {"warning_note"})
    assert migrate(engine) == "upgraded"
    assert migrate(engine) == "current"
    assert "warning_note" not in inspect(engine).get_table_names()
    assert [(d[0], d[1].name) for d in _diff(engine)] == [("add_table", "warning_note")]
