"""a version per data source, raised atomically by the write that changes it

Every cache used to hang on one data version, read and written back by each write (two
concurrent writes on PostgreSQL could both write v+1), so any write made every stored summary
stale. Now each source has a row raised with ``UPDATE … SET version = version + 1`` in the
writing transaction, and the overall data version is raised the same way; the cache tables are
keyed by the version of the sources they are computed from (``sources_version``). Existing
databases start every source at their current data version; the caches start empty.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCES = (
    "places",
    "boundaries",
    "people",
    "households",
    "registers",
    "incomes",
    "visits",
    "meetings",
    "rectification",
    "circulars",
    "inspections",
    "benchmarks",
)


CACHES = ("indicator_snapshots", "income_snapshots", "income_projections", "frame_snapshots")


def _rename_version(old: str, new: str) -> None:
    for name in CACHES:
        op.execute(sa.text(f"DELETE FROM {name}"))
        with op.batch_alter_table(name) as batch:
            batch.alter_column(old, new_column_name=new, existing_type=sa.Integer())


def upgrade() -> None:
    _rename_version("data_version", "sources_version")
    table = op.create_table(
        "source_versions",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_source_versions")),
    )
    connection = op.get_bind()
    current = connection.execute(
        sa.text("SELECT value FROM meta WHERE key = 'data_version'")
    ).scalar()
    if current is None:
        connection.execute(sa.text("INSERT INTO meta (key, value) VALUES ('data_version', '0')"))
    version = int(current or 0)
    op.bulk_insert(table, [{"source": s, "version": version, "changed_at": None} for s in SOURCES])


def downgrade() -> None:
    op.drop_table("source_versions")
    _rename_version("sources_version", "data_version")
