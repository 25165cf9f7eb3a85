"""income years keep the 合规自付支出 of the 摸排; income caches recomputed under the new rule

The 年度收入 import writes income_years with the 摸排's 合规自付支出 (kept, not deducted). The
income figures now fall back to the annual figure where a household has no registers this year,
and to twelve months of registers where it has no annual figure for last year: the cached results
derived from the projections (indicator_snapshots, income_projections, frame_snapshots) were
computed under the old rule for the current data version, so they are emptied and recomputed on
the next view or warming. income_snapshots (the register sums) do not change and are kept.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DERIVED_CACHES = ("indicator_snapshots", "income_projections", "frame_snapshots")


def _empty_derived_caches() -> None:
    for table in DERIVED_CACHES:
        op.execute(sa.text(f"DELETE FROM {table}"))


def upgrade() -> None:
    op.add_column("income_years", sa.Column("self_paid", sa.Float(), nullable=True))
    _empty_derived_caches()


def downgrade() -> None:
    with op.batch_alter_table("income_years") as batch:
        batch.drop_column("self_paid")
    _empty_derived_caches()
