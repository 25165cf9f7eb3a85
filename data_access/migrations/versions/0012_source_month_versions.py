"""a version per data source and month, for the rows that belong to a month

A one-row 收支登记 import raised the registers version and made every month's summaries stale:
the 12-month rank trend was recounted in full. Registers, visits and meetings written for some
months now raise the versions of those months only (``source_month_versions``); a summary reads
the versions of the months it counts. The caches start empty.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CACHES = ("indicator_snapshots", "income_snapshots", "income_projections", "frame_snapshots")


def upgrade() -> None:
    op.create_table(
        "source_month_versions",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", "month", name=op.f("pk_source_month_versions")),
    )
    for name in CACHES:
        op.execute(sa.text(f"DELETE FROM {name}"))


def downgrade() -> None:
    op.drop_table("source_month_versions")
