"""household members from the national 防返贫监测信息系统 export (人编号, masked name and ID)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("name_masked", sa.String(length=20), nullable=False),
        sa.Column("id_masked", sa.String(length=20), nullable=True),
        sa.Column("ethnicity", sa.String(length=20), nullable=True),
        sa.Column("school", sa.String(length=40), nullable=True),
        sa.Column("health", sa.String(length=40), nullable=True),
        sa.Column("labour", sa.String(length=40), nullable=True),
        sa.Column("months_worked", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_members_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_members")),
        sa.UniqueConstraint("code", name=op.f("uq_household_members_code")),
    )
    op.create_index(
        "ix_household_members_household", "household_members", ["household_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_household_members_household", table_name="household_members")
    op.drop_table("household_members")
