"""Data versions: one per data source, and the overall one.

A write raises the version of every source it changed, and the overall version, in its own
transaction with ``UPDATE … SET version = version + 1`` (never a read and a write back: two
concurrent writes each raise it). A cache is keyed by ``sources_version`` of the sources it is
computed from, so a 销号 leaves the income figures cached and an import of registers leaves the
rectification ones. The overall version keys what depends on everything: the Streamlit-side
cache of a page's calls, and the meeting wall's "the data changed".

Writes go through data_access.commands, which calls ``raise_versions``; nothing else does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, Integer, String, cast, func, insert, select, update

from data_access.db import write_meta
from data_access.models import DataSource, Meta, MetaKey, SourceVersion

EVERY_SOURCE = frozenset(DataSource)


def raise_versions(conn: Connection, sources: Iterable[DataSource], *, at: datetime) -> int:
    """Raise the versions of ``sources`` and the overall version, in the caller's transaction,
    and set 数据截至 to ``at``. Returns the new overall version.

    Rows are updated in a fixed order, so that two writers never wait for each other's rows
    the other way round (a deadlock on PostgreSQL).
    """
    for source in sorted(set(sources)):
        raised = conn.execute(
            update(SourceVersion)
            .where(SourceVersion.source == source.value)
            .values(version=SourceVersion.version + 1, changed_at=at)
        )
        if raised.rowcount == 0:  # a source added after the database was made
            conn.execute(
                insert(SourceVersion).values(source=source.value, version=1, changed_at=at)
            )
    meta = Meta.__table__
    key = meta.c.key == MetaKey.DATA_VERSION.value
    raised = conn.execute(
        update(meta).where(key).values(value=cast(cast(meta.c.value, Integer) + 1, String))
    )
    if raised.rowcount == 0:
        conn.execute(insert(meta).values(key=MetaKey.DATA_VERSION.value, value="1"))
    write_meta(conn, MetaKey.DATA_AS_OF, at.isoformat(timespec="minutes"))
    return int(conn.execute(select(meta.c.value).where(key)).scalar_one())


def source_versions(conn: Connection) -> dict[DataSource, int]:
    """Every source's current version (0 for one never written)."""
    stored = dict(conn.execute(select(SourceVersion.source, SourceVersion.version)).all())
    return {source: int(stored.get(source.value, 0)) for source in DataSource}


def sources_version(conn: Connection, sources: Iterable[DataSource]) -> int:
    """One number for the current state of ``sources``: the sum of their versions. Each version
    only rises, so the sum rises with every write to any of them and with nothing else."""
    names = sorted(source.value for source in sources)
    total = conn.execute(
        select(func.coalesce(func.sum(SourceVersion.version), 0)).where(
            SourceVersion.source.in_(names)
        )
    ).scalar_one()
    return int(total)


# What every count per household reads besides its own rows: the households, the villages and
# townships they lie in, and the cadres and units they are paired with.
HOUSEHOLD_SOURCES = frozenset({DataSource.PLACES, DataSource.PEOPLE, DataSource.HOUSEHOLDS})
# What an income projection reads.
INCOME_SOURCES = HOUSEHOLD_SOURCES | {DataSource.REGISTERS, DataSource.INCOMES}
