"""warnings raised on households by the rules, and their verification history

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = "'待核实', '核实为风险·已纳入监测', '核实无风险', '已纠正数据'"


def upgrade() -> None:
    op.create_table(
        "household_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("first_raised_on", sa.Date(), nullable=False),
        sa.Column("observed", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verified_by", sa.String(length=40), nullable=True),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("gone_on", sa.Date(), nullable=True),
        sa.Column("rectification_item_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            f"status IN ({_STATUSES})", name=op.f("ck_household_warnings_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_warnings_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id"],
            ["townships.id"],
            name=op.f("fk_household_warnings_township_id_townships"),
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["villages.id"],
            name=op.f("fk_household_warnings_village_id_villages"),
        ),
        sa.ForeignKeyConstraint(
            ["helper_id"], ["cadres.id"], name=op.f("fk_household_warnings_helper_id_cadres")
        ),
        sa.ForeignKeyConstraint(
            ["rectification_item_id"],
            ["rectification_items.id"],
            name=op.f("fk_household_warnings_rectification_item_id_rectification_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_warnings")),
        sa.UniqueConstraint(
            "rectification_item_id", name=op.f("uq_household_warnings_rectification_item_id")
        ),
    )
    op.create_index(
        "ix_household_warnings_household_rule", "household_warnings", ["household_id", "rule_id"]
    )
    op.create_index(
        "ix_household_warnings_township_status", "household_warnings", ["township_id", "status"]
    )
    op.create_table(
        "household_warning_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["household_warnings.id"],
            name=op.f("fk_household_warning_changes_warning_id_household_warnings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_warning_changes")),
    )
    op.create_index(
        "ix_household_warning_changes_warning",
        "household_warning_changes",
        ["warning_id", "changed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_household_warning_changes_warning", table_name="household_warning_changes")
    op.drop_table("household_warning_changes")
    op.drop_index("ix_household_warnings_township_status", table_name="household_warnings")
    op.drop_index("ix_household_warnings_household_rule", table_name="household_warnings")
    op.drop_table("household_warnings")
