"""One event, one code (issue #16 item 2): reports linked into cases, and the officers' splits and joins.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Each table is created only when missing, like 0001 and 0003-0005, so that a database whose own
tables were made straight from schema.py is adopted in place.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _tables():
    """(name, columns and constraints, indexes) in the order they are created."""
    return [
        ("incident_case", [
            sa.Column("incident_id", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("case_code", sa.String(24), nullable=False),
            sa.Column("primary_id", sa.Integer(), nullable=False),
            sa.Column("linked_by", sa.String(64), nullable=False),
            sa.Column("score", sa.Float()),
            sa.Column("linked_at", TS, nullable=False),
        ], [("ix_incident_case_primary", ["primary_id"]), ("ix_incident_case_code", ["case_code"])]),
        ("case_action", [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("action", sa.String(8), nullable=False),
            sa.Column("incident_id", sa.Integer(), nullable=False),
            sa.Column("case_code", sa.String(24), nullable=False),
            sa.Column("actor", sa.String(64), nullable=False),
            sa.Column("at", TS, nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("before", sa.Text(), nullable=False),
            sa.Column("after", sa.Text(), nullable=False),
        ], [("ix_case_action_at", ["at"]), ("ix_case_action_incident", ["incident_id"])]),
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
