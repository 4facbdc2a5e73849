"""Silences of the duty desk (issue #16 item 1): a rule or a region stops sounding for a stated time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Created only when missing, like 0001 and 0003-0006, so a database whose own tables were made
straight from schema.py is adopted in place.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    if "warning_silence" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "warning_silence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rule", sa.String(20)),
        sa.Column("region_code", sa.String(15), nullable=False),
        sa.Column("region_level", sa.String(8), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("cancelled_at", TS),
        sa.Column("cancelled_by", sa.String(64)),
    )
    op.create_index("ix_warning_silence_ends", "warning_silence", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_warning_silence_ends", table_name="warning_silence")
    op.drop_table("warning_silence")
