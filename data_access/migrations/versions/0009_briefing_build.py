"""周报 builds (issue #19 item 7): briefing files made by the scheduler's worker, not by a web request.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Created only when missing, like 0001 and 0003-0008, so a database whose own tables were made
straight from schema.py is adopted in place. No row is written: the first builds are the next
Monday's pre-build or the first request (dashboard/briefing/jobs.py, docs/briefing.md).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _tables():
    """(name, columns and constraints, indexes) in the order they are created."""
    return [
        ("briefing_build", [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("region_code", sa.String(15), nullable=False),
            sa.Column("week", sa.String(8), nullable=False),
            sa.Column("format", sa.String(8), nullable=False),
            sa.Column("as_of", TS, nullable=False),
            sa.Column("status", sa.String(8), nullable=False),
            sa.Column("progress", sa.SmallInteger(), nullable=False),
            sa.Column("active_key", sa.String(40), unique=True),
            sa.Column("requested_by", sa.String(64)),
            sa.Column("requested_at", TS, nullable=False),
            sa.Column("worker", sa.String(64)),
            sa.Column("attempts", sa.SmallInteger(), nullable=False),
            sa.Column("started_at", TS),
            sa.Column("heartbeat_at", TS),
            sa.Column("finished_at", TS),
            sa.Column("filename", sa.String(64)),
            sa.Column("body", sa.LargeBinary()),
            sa.Column("size", sa.Integer()),
            sa.Column("sha256", sa.String(64)),
            sa.Column("preview", sa.Text()),
            sa.Column("error", sa.Text()),
        ], [
            ("ix_briefing_build_lookup", ["region_code", "week", "format", "status"]),
            ("ix_briefing_build_status", ["status", "requested_at"]),
        ]),
    ]


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns, indexes in _tables():
        if name not in have:
            op.create_table(name, *columns)
            for index, on in indexes:
                op.create_index(index, name, on)


def downgrade() -> None:
    for name, _columns, _indexes in reversed(_tables()):
        op.drop_table(name)
