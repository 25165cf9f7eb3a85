"""imports: batch outcome columns, cadres' natural key

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:00:00

An import batch records whether its rows were written (已导入) or the whole file was turned down
(未导入: all-or-nothing with rejected rows), the sheet read and the number of data rows. Cadres
are matched on (name, phone) by the 帮扶单位与干部 import, so that pair becomes unique.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (with a default) and CREATE INDEX: SQLite needs no table rebuild for them.
    op.add_column(
        "import_batches",
        sa.Column("status", sa.String(length=6), nullable=False, server_default="已导入"),
    )
    op.add_column(
        "import_batches",
        sa.Column("sheet", sa.String(length=100), nullable=False, server_default=""),
    )
    op.add_column(
        "import_batches",
        sa.Column("total_rows", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "import_batches",
        sa.Column("all_or_nothing", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_import_batches_imported_at", "import_batches", ["imported_at"])
    # A unique index rather than a constraint: SQLite would have to rebuild the table (which
    # other tables reference) to add a constraint.
    op.create_index("uq_cadres_name_phone", "cadres", ["name", "phone"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_cadres_name_phone", table_name="cadres")
    op.drop_index("ix_import_batches_imported_at", table_name="import_batches")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_column("all_or_nothing")
        batch_op.drop_column("total_rows")
        batch_op.drop_column("sheet")
        batch_op.drop_column("status")
