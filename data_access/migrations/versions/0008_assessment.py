"""考核评价 (issue #18 item 4): the assessment's weights and grade thresholds, versioned.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Created only when missing, like 0001 and 0003-0007, so a database whose own tables were made
straight from schema.py is adopted in place. No row is written: until an admin saves a version,
months are scored with the built-in version 0 (data_access/assessment.py, docs/assessment.md).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _tables():
    """(name, columns and constraints) in the order they are created; the key is the only index."""
    return [
        ("assessment_weights", [
            sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("effective_from", sa.String(7), nullable=False),
            sa.Column("weights", sa.Text(), nullable=False),
            sa.Column("thresholds", sa.Text(), nullable=False),
            sa.Column("created_by", sa.String(64), nullable=False),
            sa.Column("created_at", TS, nullable=False),
            sa.Column("comment", sa.Text(), nullable=False),
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
