"""stored income rows without a version in every row: one stamp per month says what they are for

The income basis and projections carried the version of their sources in every row, so a write
of one household's register moved all of the month's rows (240,000 at scale 10) to the new
version. Now the rows are keyed by month and household (and settings for the projections) and
``income_stamps`` holds the version they are current for; a write updates its households' rows
and the stamp. The basis also keeps this year's income by source, which 收入结构 sums per
village instead of a year of registers. Both tables are caches: they start empty and fill on
the next read.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER = ["unprojected", "projected_per_capita", "household_id"]


def _basis(*key: sa.Column, sources: bool = True) -> None:
    by_source = ("wage", "business", "property", "transfer", "production_cost") if sources else ()
    op.create_table(
        "income_snapshots",
        *key,
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("ytd_net", sa.Float(), nullable=True),
        sa.Column("same_months_net", sa.Float(), nullable=True),
        *(sa.Column(name, sa.Float(), nullable=True) for name in by_source),
        sa.PrimaryKeyConstraint(
            *(column.name for column in key),
            "month",
            "household_id",
            name=op.f("pk_income_snapshots"),
        ),
    )


def _projections(*key: sa.Column) -> None:
    names = [column.name for column in key]
    op.create_table(
        "income_projections",
        *key,
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
        sa.PrimaryKeyConstraint(
            *names, "settings_key", "month", "household_id", name=op.f("pk_income_projections")
        ),
    )
    key_columns = [*names, "settings_key", "month"]
    op.create_index("ix_income_projections_order", "income_projections", [*key_columns, *ORDER])
    op.create_index(
        "ix_income_projections_township_order",
        "income_projections",
        [*key_columns, "township_id", *ORDER],
    )


def upgrade() -> None:
    op.drop_table("income_projections")
    op.drop_table("income_snapshots")
    _basis()
    _projections()
    op.create_table(
        "income_stamps",
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("settings_key", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sources_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "settings_key", "month", name=op.f("pk_income_stamps")),
    )
    op.execute(sa.text("DELETE FROM basis_moves"))


def downgrade() -> None:
    op.drop_table("income_stamps")
    op.drop_table("income_projections")
    op.drop_table("income_snapshots")
    _basis(sa.Column("sources_version", sa.Integer(), nullable=False), sources=False)
    _projections(sa.Column("sources_version", sa.Integer(), nullable=False))
