"""Baseline: the dashboard's own tables as the code before Alembic first created them.

Revision ID: 0001
Revises:
Create Date: 2026-12-07

The columns that code later added with ALTER TABLE (warning's duty-desk columns, audit_log.scope_code)
come in 0002. A database made before Alembic has some or all of these tables and no version table:
this revision then creates only the missing tables and indexes, so it adopts such a database in
place. Later revisions need not be so careful (they only ever run after this one).
Timestamps are `DateTime(timezone=True)`: the DDL that schema.UTCDateTime emits on both databases.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _tables():
    """(name, columns and constraints, indexes) in the order they are created."""
    return [
        ("dashboard_meta", [
            sa.Column("key", sa.String(64), primary_key=True),
            sa.Column("value", sa.Text()),
            sa.Column("updated_at", TS),
        ], []),
        ("warning", [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("dedup_key", sa.String(200), nullable=False),
            sa.Column("rule", sa.String(32), nullable=False),
            sa.Column("level", sa.String(8), nullable=False),
            sa.Column("region_code", sa.String(15), nullable=False),
            sa.Column("subject_type", sa.String(20)),
            sa.Column("subject_id", sa.String(80)),
            sa.Column("reason", sa.Text()),
            sa.Column("evidence", sa.Text()),
            sa.Column("status", sa.String(14), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("created_at", TS, nullable=False),
            sa.Column("updated_at", TS, nullable=False),
            sa.Column("escalated", sa.Boolean(), nullable=False),
        ], [
            ("ix_warning_dedup_status", ["dedup_key", "status"]),
            ("ix_warning_status_region", ["status", "region_code"]),
            ("ix_warning_created", ["created_at"]),
        ]),
        ("warning_action", [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("warning_id", sa.Integer(), nullable=False),
            sa.Column("action", sa.String(20), nullable=False),
            sa.Column("actor", sa.Text()),
            sa.Column("at", TS, nullable=False),
            sa.Column("comment", sa.Text()),
            sa.Column("before", sa.Text()),
            sa.Column("after", sa.Text()),
        ], [
            ("ix_warning_action_warning", ["warning_id", "at"]),
        ]),
        ("app_user", [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("password_hash", sa.Text(), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("scope_code", sa.String(15), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", TS, nullable=False),
            sa.Column("updated_at", TS, nullable=False),
            sa.UniqueConstraint("username"),
        ], []),
        ("kiosk_token", [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("name", sa.String(64), nullable=False),
            sa.Column("token_hash", sa.String(64), nullable=False),
            sa.Column("scope_code", sa.String(15), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", TS, nullable=False),
            sa.UniqueConstraint("token_hash"),
        ], []),
        ("app_session", [
            sa.Column("session_key", sa.String(64), primary_key=True),
            sa.Column("user_key", sa.String(24), nullable=False),
            sa.Column("data", sa.Text(), nullable=False),
            sa.Column("created_at", TS, nullable=False),
            sa.Column("expires_at", TS, nullable=False),
        ], [
            ("ix_app_session_user", ["user_key"]),
            ("ix_app_session_expires", ["expires_at"]),
        ]),
        ("audit_log", [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("at", TS, nullable=False),
            sa.Column("actor", sa.String(64)),
            sa.Column("action", sa.String(32), nullable=False),
            sa.Column("target", sa.Text()),
            sa.Column("detail", sa.Text()),
            sa.Column("ip", sa.String(64)),
            sa.Column("ok", sa.Boolean(), nullable=False),
        ], [
            ("ix_audit_log_at", ["at"]),
            ("ix_audit_log_actor_action", ["actor", "action", "at"]),
        ]),
        ("appeal_reading", [
            sa.Column("appeal_id", sa.Integer(), primary_key=True),
            sa.Column("received_at", TS, nullable=False),
            sa.Column("reader", sa.String(40), nullable=False),
            sa.Column("topic", sa.String(20)),
            sa.Column("sentiment", sa.Float()),
            sa.Column("keywords", sa.Text(), nullable=False),
        ], [
            ("ix_appeal_reading_received", ["received_at"]),
        ]),
    ]


def upgrade() -> None:
    insp = sa.inspect(op.get_bind())
    for name, items, indexes in _tables():
        have = set()
        if insp.has_table(name):
            have = {ix["name"] for ix in insp.get_indexes(name)}
        else:
            op.create_table(name, *items)
        for ix_name, columns in indexes:
            if ix_name not in have:  # a database seeded without indexes, never indexed after
                op.create_index(ix_name, name, columns)


def downgrade() -> None:
    for name, _items, _indexes in reversed(_tables()):
        op.drop_table(name)
