"""Indicator counts per township or unit and month, kept in the database (data_access.caching).

Computing a month's indicators means aggregating a year of registers and visits; a 12-month rank
trend would do that twelve times on every cold start of every app process. The counts are
therefore stored the first time they are needed (or by ``warm``, run after a seed or an import)
and read from there until a source they are counted from or their settings change. Each family
of indicators (indicators.FAMILIES) is stored on its own, keyed by the versions of its own
sources: a 销号 recounts the rectification family only, a visits import the visit families.

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
from data_access.indicators import FAMILIES, FAMILY_BY_NAME, Family, Level, merge_counts
from data_access.periods import previous_month
from data_access.scope import Scope, county_scope
from data_access.versions import Window

SNAPSHOT_LEVELS = (Level.TOWNSHIP, Level.UNIT)


def _kind(family: Family, level: Level) -> str:
    return f"{level.value}:{family.name}"


def _window(family: Family, month: date) -> Window | None:
    return family.window(month) if family.window else None


def family_counts(
    *, conn: Connection, month: date, settings: Settings, level: Level, family: Family
) -> pd.DataFrame:
    """One family's counts of every township or unit of the county for ``month``, from its
    snapshot or counted and stored. Columns: <level>_id and the family's columns."""
    if level not in SNAPSHOT_LEVELS:
        raise ValueError(f"no snapshots are kept for {level}")
    table = snapshot(
        conn=conn,
        kind=_kind(family, level),
        month=month,
        key=level.key,
        fingerprint=_fingerprint(family, settings),
        sources=family.sources,
        window=_window(family, month),
        compute=lambda: family.count(conn, county_scope(conn=conn), month, settings, level),
    )
    return table[[level.key, *family.columns]]


def _fingerprint(family: Family, settings: Settings) -> str:
    """What a family's stored counts are computed with: the settings it reads, and its columns
    (a release that counts a family differently finds no stored counts to misread)."""
    return settings_key(family.columns, *family.reads(settings))


def indicator_counts(
    *,
    conn: Connection,
    month: date,
    settings: Settings,
    level: Level,
    families: Iterable[Family] = FAMILIES,
) -> pd.DataFrame:
    """Raw indicator counts of every township or unit of the county for ``month``, each family
    from its snapshot (computed and stored when there is none).

    Columns: <level>_id and indicators.COUNT_COLUMNS (0 where a group has no rows of a family);
    with ``families``, only theirs.
    """
    parts = [
        family_counts(conn=conn, month=month, settings=settings, level=level, family=family)
        for family in families
    ]
    return merge_counts(parts, level)


def township_register_completeness(
    *, conn: Connection, scope: Scope, month: date, settings: Settings
) -> pd.DataFrame:
    """indicators.register_completeness per township in ``scope``, read from the month's township
    snapshot (the counts the 红黑榜 ranks on) instead of a pass over every household.

    Columns: township_id, households, registered (townships with households only).
    """
    counts = family_counts(
        conn=conn,
        month=month,
        settings=settings,
        level=Level.TOWNSHIP,
        family=FAMILY_BY_NAME["reg"],
    )
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
    """Compute the missing snapshots of the ``months`` months up to ``last_month``; returns how
    many (month, level, family) snapshots were computed rather than found."""
    computed = 0
    with engine.connect() as conn:
        for level in levels:
            month = last_month
            for _ in range(months):
                for each in FAMILIES:
                    if not has_snapshot(
                        conn,
                        kind=_kind(each, level),
                        month=month,
                        fingerprint=_fingerprint(each, settings),
                        sources=each.sources,
                        window=_window(each, month),
                    ):
                        family_counts(
                            conn=conn, month=month, settings=settings, level=level, family=each
                        )
                        computed += 1
                month = previous_month(month)
    return computed
