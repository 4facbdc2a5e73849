"""Shift handover (issue #16 item 5): one sheet per (region, shift) with its frozen figures, and its sign-offs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Each table is created only when missing, like 0001, 0003 and 0004, so that a database whose own
tables were made straight from schema.py is adopted in place.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _tables():
    """(name, columns and constraints) in the order they are created; the keys are the only indexes."""
    return [
        ("handover", [
            sa.Column("region_code", sa.String(15), primary_key=True),
            sa.Column("shift_start", TS, primary_key=True),
            sa.Column("shift_end", TS, nullable=False),
            sa.Column("as_of", TS, nullable=False),
            sa.Column("figures", sa.Text(), nullable=False),
            sa.Column("figures_sha256", sa.String(64), nullable=False),
            sa.Column("created_at", TS, nullable=False),
        ]),
        ("handover_signoff", [
            sa.Column("region_code", sa.String(15), primary_key=True),
            sa.Column("shift_start", TS, primary_key=True),
            sa.Column("role", sa.String(8), primary_key=True),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("signed_at", TS, nullable=False),
            sa.Column("figures_sha256", sa.String(64), nullable=False),
        ]),
    ]


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns in _tables():
        if name not in have:
            op.create_table(name, *columns)


def downgrade() -> None:
    for name, _columns in reversed(_tables()):
        op.drop_table(name)
