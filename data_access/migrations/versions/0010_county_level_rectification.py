"""rectification items of the county itself: township optional, 牵头单位 and 责任单位 as written

Published rectification lists name a county department (or 各乡镇) as the unit responsible: such
an item belongs to no township. Existing items keep their township.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot alter a column in place: batch mode copies the table.
    with op.batch_alter_table("rectification_items") as batch:
        batch.alter_column("township_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column("lead_unit", sa.String(length=100), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("responsible_unit", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("rectification_items") as batch:
        batch.drop_column("responsible_unit")
        batch.drop_column("lead_unit")
        batch.alter_column("township_id", existing_type=sa.Integer(), nullable=False)
