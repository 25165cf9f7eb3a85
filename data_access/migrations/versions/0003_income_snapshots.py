"""income and frame snapshots; indicator snapshots keyed by settings and kind

indicator_snapshots is a cache: it is recreated empty with the new key rather than converted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "income_snapshots",
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("ytd_net", sa.Float(), nullable=True),
        sa.Column("same_months_net", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "data_version", "month", "household_id", name=op.f("pk_income_snapshots")
        ),
    )
    op.create_table(
        "frame_snapshots",
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("settings_key", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("frame", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "data_version", "settings_key", "month", "name", name=op.f("pk_frame_snapshots")
        ),
    )
    op.drop_table("indicator_snapshots")
    op.create_table(
        "indicator_snapshots",
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("settings_key", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "data_version",
            "settings_key",
            "month",
            "kind",
            "entity_id",
            name=op.f("pk_indicator_snapshots"),
        ),
    )


def downgrade() -> None:
    op.drop_table("income_snapshots")
    op.drop_table("frame_snapshots")
    op.drop_table("indicator_snapshots")
    op.create_table(
        "indicator_snapshots",
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "data_version", "month", "level", "entity_id", name=op.f("pk_indicator_snapshots")
        ),
    )
