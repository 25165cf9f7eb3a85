"""Indicator counts per township or unit and month, kept in the database (data_access.caching).

Computing a month's indicators means aggregating a year of registers and visits; a 12-month rank
trend would do that twelve times on every cold start of every app process. The counts are
therefore stored the first time they are needed (or by ``warm``, run after a seed or an import)
and read from there until the data version or the settings change.

Snapshots are always computed for the whole county: rankings are published, and a narrower
reader filters the rows afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine

from config.settings import Settings
from data_access.caching import has_snapshot, in_scope, settings_key, snapshot
from data_access.indicators import COUNT_COLUMNS, Level, all_indicator_counts
from data_access.periods import previous_month
from data_access.scope import Scope, county_scope

SNAPSHOT_LEVELS = (Level.TOWNSHIP, Level.UNIT)


def _indicator_key(settings: Settings) -> str:
    """The sections all_indicator_counts reads."""
    return settings_key(settings.registers, settings.visits, settings.income)


def indicator_counts(
    *, conn: Connection, month: date, settings: Settings, level: Level
) -> pd.DataFrame:
    """Raw indicator counts of every township or unit of the county for ``month``: from the
    snapshot of the current data version, computed and stored when there is none.

    Columns: <level>_id and indicators.COUNT_COLUMNS.
    """
    if level not in SNAPSHOT_LEVELS:
        raise ValueError(f"no snapshots are kept for {level}")
    table = snapshot(
        conn=conn,
        kind=level.value,
        month=month,
        key=level.key,
        fingerprint=_indicator_key(settings),
        compute=lambda: all_indicator_counts(
            conn=conn, scope=county_scope(conn=conn), month=month, settings=settings, level=level
        ),
    )
    return table[[level.key, *COUNT_COLUMNS]]


def township_register_completeness(
    *, conn: Connection, scope: Scope, month: date, settings: Settings
) -> pd.DataFrame:
    """indicators.register_completeness per township in ``scope``, read from the month's township
    snapshot (the counts the 红黑榜 ranks on) instead of a pass over every household.

    Columns: township_id, households, registered (townships with households only).
    """
    counts = indicator_counts(conn=conn, month=month, settings=settings, level=Level.TOWNSHIP)
    counts = in_scope(counts[["township_id", "households", "registered"]], scope)
    return counts[counts["households"] > 0].reset_index(drop=True)


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
        for level in levels:
            month = last_month
            for _ in range(months):
                if not has_snapshot(
                    conn, kind=level.value, month=month, fingerprint=_indicator_key(settings)
                ):
                    indicator_counts(conn=conn, month=month, settings=settings, level=level)
                    computed += 1
                month = previous_month(month)
    return computed
