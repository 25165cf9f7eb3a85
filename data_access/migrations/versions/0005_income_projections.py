"""income projections; rectification items' township index covers the dates

income_projections is a cache like income_snapshots: the household list of 收入监测 reads a page
of it through an index instead of projecting every household of the county. The rectification
items' (township, deadline) index gains found_on and closed_on, so that county-wide progress
counts scan the index rather than the table with its long texts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ["data_version", "settings_key", "month"]
ORDER = ["unprojected", "projected_per_capita", "household_id"]


def upgrade() -> None:
    op.create_table(
        "income_projections",
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("settings_key", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("household_type", sa.String(length=6), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("ytd_net", sa.Float(), nullable=True),
        sa.Column("projected_net", sa.Float(), nullable=True),
        sa.Column("projected_per_capita", sa.Float(), nullable=True),
        sa.Column("last_year_per_capita", sa.Float(), nullable=True),
        sa.Column("change_per_capita", sa.Float(), nullable=True),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("fell", sa.Integer(), nullable=False),
        sa.Column("below_line", sa.Integer(), nullable=False),
        sa.Column("unprojected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, "household_id", name=op.f("pk_income_projections")),
    )
    op.create_index("ix_income_projections_order", "income_projections", [*KEY, *ORDER])
    op.create_index(
        "ix_income_projections_township_order",
        "income_projections",
        [*KEY, "township_id", *ORDER],
    )

    op.drop_index("ix_rectification_items_township_deadline", table_name="rectification_items")
    op.create_index(
        "ix_rectification_items_township_deadline_dates",
        "rectification_items",
        ["township_id", "deadline", "found_on", "closed_on"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_rectification_items_township_deadline_dates", table_name="rectification_items"
    )
    op.create_index(
        "ix_rectification_items_township_deadline",
        "rectification_items",
        ["township_id", "deadline"],
    )
    op.drop_table("income_projections")
