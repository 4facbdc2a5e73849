"""Alerts off-screen (issue #16): channels, one delivery per (channel, warning), the attempts' log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Each table is created only when missing, like 0001 and 0003, so that a database whose own
tables were made straight from schema.py is adopted in place.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _tables():
    """(name, columns and constraints, indexes) in the order they are created."""
    return [
        ("alert_channel", [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("name", sa.String(64), nullable=False),
            sa.Column("kind", sa.String(12), nullable=False),
            sa.Column("region_code", sa.String(15), nullable=False),
            sa.Column("min_level", sa.String(8), nullable=False),
            sa.Column("target", sa.Text(), nullable=False),
            sa.Column("secret", sa.Text()),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", TS, nullable=False),
            sa.Column("created_by", sa.String(64)),
            sa.UniqueConstraint("name"),
        ], []),
        ("alert_delivery", [
            sa.Column("channel_id", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("warning_id", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("raised_at", TS, primary_key=True),
            sa.Column("status", sa.String(8), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_at", TS),
            sa.Column("created_at", TS, nullable=False),
            sa.Column("sent_at", TS),
        ], [("ix_alert_delivery_due", ["status", "next_at"])]),
        ("alert_delivery_log", [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("warning_id", sa.Integer()),
            sa.Column("channel_id", sa.Integer(), nullable=False),
            sa.Column("channel_name", sa.String(64), nullable=False),
            sa.Column("attempt", sa.Integer(), nullable=False),
            sa.Column("status", sa.String(8), nullable=False),
            sa.Column("code", sa.Integer()),
            sa.Column("reply", sa.Text()),
            sa.Column("error", sa.Text()),
            sa.Column("at", TS, nullable=False),
            sa.Column("next_at", TS),
        ], [("ix_alert_delivery_log_warning", ["warning_id", "at"]),
            ("ix_alert_delivery_log_at", ["at"])]),
    ]


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns, indexes in _tables():
        if name in have:
            continue
        op.create_table(name, *columns)
        for index, cols in indexes:
            op.create_index(index, name, cols)


def downgrade() -> None:
    for name, _columns, _indexes in reversed(_tables()):
        op.drop_table(name)
