"""Indicator counts per township or unit and month, kept in the database per data version.

Computing a month's indicators means aggregating a year of registers and visits; a 12-month rank
trend would do that twelve times on every cold start of every app process. The counts are
therefore stored in ``indicator_snapshots`` the first time they are needed (or by ``warm``, run
after a seed or an import) and read from there until the data version changes.

Snapshots are always computed for the whole county: rankings are published, and a narrower
reader filters the rows afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from config.settings import Settings
from data_access.db import read_meta
from data_access.indicators import COUNT_COLUMNS, Level, all_indicator_counts
from data_access.models import IndicatorSnapshot, MetaKey
from data_access.periods import previous_month
from data_access.scope import county_scope

SNAPSHOT_LEVELS = (Level.TOWNSHIP, Level.UNIT)


def _data_version(conn: Connection) -> int:
    return int(read_meta(conn, MetaKey.DATA_VERSION) or 0)


def _stored(conn: Connection, version: int, month: date, level: Level) -> pd.DataFrame | None:
    rows = conn.execute(
        select(IndicatorSnapshot.entity_id, IndicatorSnapshot.counts).where(
            IndicatorSnapshot.data_version == version,
            IndicatorSnapshot.month == month,
            IndicatorSnapshot.level == level.value,
        )
    ).all()
    if not rows:
        return None
    frame = pd.DataFrame([{level.key: entity_id, **counts} for entity_id, counts in rows])
    return frame[[level.key, *COUNT_COLUMNS]]


def _store(engine: Engine, version: int, month: date, level: Level, table: pd.DataFrame) -> None:
    """Write in a transaction of its own; a concurrent writer of the same rows wins harmlessly."""
    rows = [
        {
            "data_version": version,
            "month": month,
            "level": level.value,
            "entity_id": int(record[level.key]),
            "counts": {key: int(value) for key, value in record.items() if key != level.key},
        }
        for record in table.to_dict("records")
    ]
    if not rows:
        return
    try:
        with engine.begin() as writer:
            writer.execute(
                delete(IndicatorSnapshot).where(IndicatorSnapshot.data_version < version)
            )
            writer.execute(insert(IndicatorSnapshot), rows)
    except IntegrityError:
        pass  # another process stored the same snapshot first


def indicator_counts(
    *, conn: Connection, month: date, settings: Settings, level: Level
) -> pd.DataFrame:
    """Raw indicator counts of every township or unit of the county for ``month``: from the
    snapshot of the current data version, computed and stored when there is none.

    Columns: <level>_id and indicators.COUNT_COLUMNS.
    """
    if level not in SNAPSHOT_LEVELS:
        raise ValueError(f"no snapshots are kept for {level}")
    version = _data_version(conn)
    stored = _stored(conn, version, month, level)
    if stored is not None:
        return stored
    table = all_indicator_counts(
        conn=conn, scope=county_scope(conn=conn), month=month, settings=settings, level=level
    )
    _store(conn.engine, version, month, level, table)
    return table


def warm(
    engine: Engine,
    *,
    settings: Settings,
    last_month: date,
    months: int = 13,
    levels: Iterable[Level] = SNAPSHOT_LEVELS,
) -> int:
    """Compute the snapshots of the ``months`` months up to ``last_month``; returns how many
    (month, level) snapshots were computed rather than found."""
    computed = 0
    with engine.connect() as conn:
        version = _data_version(conn)
        for level in levels:
            month = last_month
            for _ in range(months):
                if _stored(conn, version, month, level) is None:
                    indicator_counts(conn=conn, month=month, settings=settings, level=level)
                    computed += 1
                month = previous_month(month)
    return computed
