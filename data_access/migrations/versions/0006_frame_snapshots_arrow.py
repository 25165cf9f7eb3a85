"""frame snapshots stored as Arrow IPC streams instead of JSON

frame_snapshots is a cache: it is recreated empty with the new column type rather than converted;
the next page view (or the warming after an import) fills it again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(frame_type: sa.types.TypeEngine) -> None:
    op.create_table(
        "frame_snapshots",
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("settings_key", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("frame", frame_type, nullable=False),
        sa.PrimaryKeyConstraint(
            "data_version", "settings_key", "month", "name", name=op.f("pk_frame_snapshots")
        ),
    )


def upgrade() -> None:
    op.drop_table("frame_snapshots")
    _create(sa.LargeBinary())


def downgrade() -> None:
    op.drop_table("frame_snapshots")
    _create(sa.JSON())
