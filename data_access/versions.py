"""Data versions: one per data source, one per source and month, and the overall one.

A write raises the version of every source it changed, and the overall version, in its own
transaction with ``UPDATE … SET version = version + 1`` (never a read and a write back: two
concurrent writes each raise it). A write of rows that belong to months (收支登记, 走访, 会议)
raises the versions of those months instead, so the summaries of the other months stay valid.

A cache is keyed by ``sources_version`` of the sources it is computed from and, when it reads
only some months of them, of those months (its ``window``): a 销号 leaves the income figures
stored, an import of registers leaves the rectification ones, and a late register for November
leaves October's ranking. The overall version keys what depends on everything: the
Streamlit-side cache of a page's calls, and the meeting wall's "the data changed".

Writes go through data_access.commands, which calls ``raise_versions``; nothing else does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import Connection, Integer, String, cast, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from data_access.db import write_meta
from data_access.models import DataSource, Meta, MetaKey, SourceMonthVersion, SourceVersion
from data_access.periods import month_start, same_month_last_year, year_start

EVERY_SOURCE = frozenset(DataSource)
# The first and the last month a summary reads of the sources whose rows belong to months.
Window = tuple[date, date]


def raise_versions(
    conn: Connection,
    sources: Iterable[DataSource],
    *,
    at: datetime,
    months: Mapping[DataSource, Iterable[date]] | None = None,
) -> int:
    """Raise the versions of ``sources`` and of the ``months`` of other sources, and the overall
    version, in the caller's transaction, and set 数据截至 to ``at``. Returns the new overall
    version.

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
    pairs = sorted(
        {
            (source.value, month_start(month))
            for source, in_months in (months or {}).items()
            for month in in_months
        }
    )
    for source, month in pairs:
        _raise_month(conn, source, month)
    meta = Meta.__table__
    key = meta.c.key == MetaKey.DATA_VERSION.value
    raised = conn.execute(
        update(meta).where(key).values(value=cast(cast(meta.c.value, Integer) + 1, String))
    )
    if raised.rowcount == 0:
        conn.execute(insert(meta).values(key=MetaKey.DATA_VERSION.value, value="1"))
    write_meta(conn, MetaKey.DATA_AS_OF, at.isoformat(timespec="minutes"))
    return int(conn.execute(select(meta.c.value).where(key)).scalar_one())


def _raise_month(conn: Connection, source: str, month: date) -> None:
    """version + 1 for (source, month), the row created at 1 when there is none: one atomic
    INSERT … ON CONFLICT DO UPDATE, so two writers of a new month both count."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SourceMonthVersion).values(source=source, month=month, version=1)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[SourceMonthVersion.source, SourceMonthVersion.month],
            set_={"version": SourceMonthVersion.version + 1},
        )
    )


def source_versions(conn: Connection) -> dict[DataSource, int]:
    """Every source's current version (0 for one never written), months not included."""
    stored = dict(conn.execute(select(SourceVersion.source, SourceVersion.version)).all())
    return {source: int(stored.get(source.value, 0)) for source in DataSource}


def month_versions(conn: Connection, source: DataSource) -> dict[date, int]:
    """The versions of the months of ``source`` ever written month by month."""
    rows = conn.execute(
        select(SourceMonthVersion.month, SourceMonthVersion.version).where(
            SourceMonthVersion.source == source.value
        )
    ).all()
    return {month: int(version) for month, version in rows}


def sources_version(
    conn: Connection, sources: Iterable[DataSource], window: Window | None = None
) -> int:
    """One number for the current state of ``sources``: the sum of their versions and of the
    versions of their months (those in ``window`` only, when given). Each version only rises,
    so the sum rises with every write to what it covers and with nothing else."""
    names = sorted(source.value for source in sources)
    whole = select(func.coalesce(func.sum(SourceVersion.version), 0)).where(
        SourceVersion.source.in_(names)
    )
    in_months = select(func.coalesce(func.sum(SourceMonthVersion.version), 0)).where(
        SourceMonthVersion.source.in_(names)
    )
    if window is not None:
        in_months = in_months.where(SourceMonthVersion.month.between(*window))
    total = conn.execute(select(whole.scalar_subquery() + in_months.scalar_subquery())).scalar_one()
    return int(total)


def month_window(month: date) -> Window:
    """The month alone (a month's registers, its 帮扶干部 visits, its meetings)."""
    return month, month


def year_window(month: date) -> Window:
    """January to the month (遍访 this year)."""
    return year_start(month), month


def through_window(month: date) -> Window:
    """Every month up to the month: a count at the month's end of what happened any time before
    it (rectification items found, closed or due), which a write dated in an earlier month
    changes and one dated later does not."""
    return date.min, month


def income_window(month: date) -> Window:
    """Last January to the month: an income projection reads this year's registers and last
    year's (the same months, or all twelve where last year has no annual figure)."""
    return year_start(same_month_last_year(month)), month


# What every count per household reads besides its own rows: the households, the villages and
# townships they lie in, and the cadres and units they are paired with.
HOUSEHOLD_SOURCES = frozenset({DataSource.PLACES, DataSource.PEOPLE, DataSource.HOUSEHOLDS})
# What an income projection reads.
INCOME_SOURCES = HOUSEHOLD_SOURCES | {DataSource.REGISTERS, DataSource.INCOMES}
