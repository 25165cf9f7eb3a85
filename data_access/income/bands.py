"""Income bands: the configured edges with the monitoring line, households per band (stored per
village), the band table and shares, and the histogram of projected per-capita income."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd
from sqlalchemy import (
    Connection,
    func,
    select,
)

from config.settings import IncomeSettings
from data_access.income.projection import (
    NO_DATA_BAND,
    county_frame,
    household_rows,
)
from data_access.scope import Scope

Grouping = Literal["township", "village"]


@dataclass(frozen=True)
class IncomeBand:
    """One income band: per-capita income from ``lower`` (inclusive) to ``upper`` (exclusive)."""

    number: int
    lower: float | None
    upper: float | None
    # True for the band that starts at the monitoring line.
    starts_at_line: bool = False

    @property
    def label(self) -> str:
        if self.lower is None:
            return f"低于{self.upper:,.0f}元"
        if self.upper is None:
            return f"{self.lower:,.0f}元及以上"
        return f"{self.lower:,.0f}–{self.upper:,.0f}元"


def income_bands(*, settings: IncomeSettings, year: int) -> tuple[IncomeBand, ...]:
    """The year's bands, lowest first: the configured edges with the monitoring line inserted.

    A value exactly on an edge belongs to the band above it. Raises SettingsError when the year
    has no monitoring line.
    """
    edges = settings.band_edges_for(year)
    line = settings.line_for(year)
    bounds = [None, *edges, None]
    return tuple(
        IncomeBand(number, lower, upper, starts_at_line=lower == line)
        for number, (lower, upper) in enumerate(itertools.pairwise(bounds))
    )


def band_labels(*, settings: IncomeSettings, year: int) -> dict[int, str]:
    """Band number → label, "no data" included."""
    labels = {band.number: band.label for band in income_bands(settings=settings, year=year)}
    return {**labels, NO_DATA_BAND: "无数据"}


def band_counts(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    settings: IncomeSettings,
    grouping: Grouping = "township",
) -> pd.DataFrame:
    """Households per group, household type and band (NO_DATA_BAND = no projection).

    Columns: <grouping>_id, household_type, band, households.
    """
    key = f"{grouping}_id"
    counts = (
        stored_village_bands(conn=conn, scope=scope, month=month, settings=settings)
        .groupby([key, "household_type", "band"], as_index=False, sort=True)["households"]
        .sum()
    )
    return counts.astype({key: "int64", "band": "int64", "households": "int64"})


def stored_village_bands(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    """_village_bands of the county (cached in the database), the villages of ``scope`` kept."""
    return county_frame(
        conn=conn,
        name="income_village_bands",
        month=month,
        settings=settings,
        compute=lambda county: _village_bands(
            conn=conn, scope=county, month=month, settings=settings
        ),
        scope=scope,
    )


def _village_bands(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    """Columns: township_id, village_id, household_type, band, households."""
    rows = household_rows(conn=conn, scope=scope, month=month, settings=settings)
    groups = [rows.c.township_id, rows.c.village_id, rows.c.household_type, rows.c.band]
    columns = ["township_id", "village_id", "household_type", "band", "households"]
    frame = pd.DataFrame(
        conn.execute(select(*groups, func.count()).group_by(*groups)).all(), columns=columns
    )
    return frame.astype(
        {"township_id": "int64", "village_id": "int64", "band": "int64", "households": "int64"}
    )


def band_table(
    counts: pd.DataFrame,
    *,
    names: pd.DataFrame,
    bands: dict[int, str],
    household_type: str | None = None,
) -> pd.DataFrame:
    """Counts (wide) per group with a 合计 row: one column per band label, then 户数.

    ``counts`` is band_counts' frame, ``names`` maps its id column to ``name``; a
    ``household_type`` keeps only that type. Groups without households are kept with zeros.
    Columns: <id>, name, one per band label (in band order, "no data" last), households.
    """
    key = counts.columns[0]
    chosen = (
        counts if household_type is None else counts[counts["household_type"] == household_type]
    )
    order = sorted(bands, key=lambda number: (number == NO_DATA_BAND, number))
    wide = (
        chosen.pivot_table(index=key, columns="band", values="households", aggfunc="sum")
        .reindex(columns=order)
        .reindex(names[key])
        .fillna(0)
        .astype("int64")
    )
    wide.columns = [bands[number] for number in order]
    wide["households"] = wide.sum(axis=1)
    table = names[[key, "name"]].merge(wide, left_on=key, right_index=True)
    total = table.drop(columns=[key, "name"]).sum()
    total_row = pd.DataFrame([{key: 0, "name": "合计", **total.to_dict()}])
    return pd.concat([table, total_row], ignore_index=True)


def band_shares(table: pd.DataFrame) -> pd.DataFrame:
    """band_table's counts as shares (0–1) of each row's households (NaN for an empty row)."""
    shares = table.copy()
    value_columns = [c for c in table.columns[2:] if c != "households"]
    denominator = table["households"].where(table["households"] > 0)
    for column in value_columns:
        shares[column] = table[column] / denominator
    return shares


def income_histogram(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    settings: IncomeSettings,
    bin_width: float = 500.0,
) -> pd.DataFrame:
    """Households by projected per-capita income in ``bin_width`` buckets, per household type.

    Binned in SQL (floor(pc / width) * width, so a value on a bucket edge is in the bucket above).
    Households without a projection are left out. Columns: bucket (lower edge, yuan),
    household_type, households.
    """
    townships = county_frame(
        conn=conn,
        name=f"income_histogram_{bin_width:g}",
        month=month,
        settings=settings,
        compute=lambda county: _township_histogram(
            conn=conn, scope=county, month=month, settings=settings, bin_width=bin_width
        ),
        scope=scope,
    )
    frame = townships.groupby(["bucket", "household_type"], as_index=False)["households"].sum()
    return frame.sort_values("bucket", kind="stable").reset_index(drop=True)


def _township_histogram(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings, bin_width: float
) -> pd.DataFrame:
    """Columns: township_id, bucket, household_type, households."""
    rows = household_rows(conn=conn, scope=scope, month=month, settings=settings)
    bucket = (func.floor(rows.c.projected_per_capita / bin_width) * bin_width).label("bucket")
    groups = [rows.c.township_id, bucket, rows.c.household_type]
    query = (
        select(*groups, func.count())
        .where(rows.c.projected_per_capita.is_not(None))
        .group_by(*groups)
    )
    columns = ["township_id", "bucket", "household_type", "households"]
    frame = pd.DataFrame(conn.execute(query).all(), columns=columns)
    return frame.astype({"township_id": "int64", "bucket": "float64", "households": "int64"})
