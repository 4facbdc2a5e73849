"""wall_assignment: what each named wall screen shows, sent from the desk (投屏, issue #13).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

One row per kiosk screen (kiosk_token.id). Created only when missing, like 0001, so that a
database whose own tables were made straight from schema.py is adopted in place.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("wall_assignment"):
        return
    op.create_table(
        "wall_assignment",
        sa.Column("kiosk_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("path", sa.String(64), nullable=False),
        sa.Column("region_code", sa.String(15), nullable=False),
        sa.Column("rotate", sa.Integer()),
        sa.Column("playlist", sa.Text()),
        sa.Column("assigned_by", sa.String(64), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("wall_assignment")
