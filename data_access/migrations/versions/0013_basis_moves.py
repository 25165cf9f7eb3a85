"""the income basis moves a write made, so the projections can follow for its households only

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "basis_moves",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("others_version", sa.Integer(), nullable=False),
        sa.Column("households", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("month", "to_version", name=op.f("pk_basis_moves")),
    )


def downgrade() -> None:
    op.drop_table("basis_moves")
