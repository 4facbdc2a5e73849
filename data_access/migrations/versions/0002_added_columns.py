"""The nullable columns the code before Alembic added with ALTER TABLE.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07

warning: escalated_to, assignee, acknowledged_at, acknowledged_by, cleared_at (the duty desk,
commit 27c6d59); audit_log.scope_code (reading the audit log by jurisdiction, commit fdd864d).
A database adopted from before Alembic may have some of them already: only missing ones are added.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _columns():
    return [
        ("warning", sa.Column("escalated_to", sa.String(15))),
        ("warning", sa.Column("assignee", sa.Text())),
        ("warning", sa.Column("acknowledged_at", TS)),
        ("warning", sa.Column("acknowledged_by", sa.Text())),
        ("warning", sa.Column("cleared_at", TS)),
        ("audit_log", sa.Column("scope_code", sa.String(15))),
    ]


def upgrade() -> None:
    insp = sa.inspect(op.get_bind())
    have = {name: {c["name"] for c in insp.get_columns(name)} for name in ("warning", "audit_log")}
    for table, column in _columns():
        if column.name not in have[table]:
            op.add_column(table, column)


def downgrade() -> None:
    for table in ("audit_log", "warning"):
        with op.batch_alter_table(table) as batch:
            for name, column in reversed(_columns()):
                if name == table:
                    batch.drop_column(column.name)
