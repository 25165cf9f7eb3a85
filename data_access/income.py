"""Household income for a year, as registered so far and projected to the full year (SQL).

人均纯收入 = (wage + business + property + transfer − production costs) / members. The year runs
January to December; the registers of the months up to the selected one are summed in SQL, and the
full year is projected by the configured method:

- ``linear``: the months registered, scaled to twelve;
- ``same_months_last_year``: the year-to-date net income, scaled for missing months, times last
  year's full-year total over last year's net income for the same calendar months. Where last year
  is unknown or not positive, the household falls back to ``linear``.

A household with fewer registered months than ``projection_min_months`` has no projection
from its registers; it stands on the year's imported annual figure (income_years) when there is
one, and otherwise has no data: it is never counted as zero income. Last year's figure is the
annual one, or twelve months of registers where there is none (household_income_query).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    Subquery,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
)

from config.settings import IncomeSettings
from data_access.caching import cached_frame, in_scope, settings_key
from data_access.income_snapshots import (
    income_basis,
    income_projections,
    live_basis,
    net_income,
    registered_year,
)
from data_access.masking import id_number_column, name_column
from data_access.models import (
    Assignment,
    AssistingUnit,
    Benchmark,
    BenchmarkIndicator,
    Cadre,
    Household,
    IncomeRegister,
    IncomeYear,
    Township,
    Village,
)
from data_access.periods import month_end, next_month, year_start
from data_access.scope import Scope, county_scope
from data_access.versions import INCOME_SOURCES, income_window, month_window, year_window

# Where a household's figure for a year stands (the source columns of household_income_query).
NO_SOURCE, FROM_REGISTERS, FROM_ANNUAL = 0, 1, 2


def household_income_query(
    *,
    scope: Scope,
    month: date,
    settings: IncomeSettings,
    basis: Subquery | None = None,
    households: Iterable[int] | None = None,
) -> Select:
    """One row per household in scope: registered months, year-to-date net, projection, last year.

    ``basis`` holds the per-household sums (data_access.income_snapshots): pass
    ``income_basis(conn, month)`` to read the stored snapshot; without it they are computed from
    the registers in the same statement.

    Registered months where they exist, the imported annual figure (income_years, the 年度收入
    import) where they do not:

    - this year: the projection from the registers; a household whose registers give none (no
      month, or fewer than ``projection_min_months``) but that has an annual figure for the year
      (a 摸排 done in the autumn) stands on that figure, divided by that year's members;
    - last year: the annual figure when there is one, else the sum of last year's registers when
      all twelve months are registered (per person by today's members, as this year's
      projection is), else unknown. The annual figure comes first because it is the closed
      statistic the county reports and is assessed on (checked household by household in the
      摸排, with that year's members), while registers are a running record; where a county has
      both they should agree (the demo's annual rows are the exact sums of its registers), and
      where they do not, 收入不增反降 is judged against what was reported.

    Columns: household_id, township_id, village_id, household_type, members, months, ytd_net,
    projected_net, projected_per_capita (NULL = no data), last_year_per_capita (NULL = unknown),
    projection_source and last_year_source (NO_SOURCE, FROM_REGISTERS or FROM_ANNUAL).
    """
    basis = live_basis(month) if basis is None else basis
    elapsed = month.month
    this_year = IncomeYear.__table__.alias("this_year")
    last_year = IncomeYear.__table__.alias("last_year")
    registered_last_year = registered_year(month.year - 1)
    has_annual = last_year.c.household_id.is_not(None)
    last_year_total = case((has_annual, net_income(last_year.c)), else_=registered_last_year.c.net)
    last_year_members = case((has_annual, last_year.c.members), else_=Household.members)
    this_year_total = net_income(this_year.c)

    months = func.coalesce(basis.c.months, 0)
    linear = basis.c.ytd_net * 12.0 / cast(months, Float)
    to_date_scaled = basis.c.ytd_net * float(elapsed) / cast(months, Float)
    if settings.projection_method == "linear":
        projected = linear
    else:
        projected = case(
            (
                and_(basis.c.same_months_net > 0, last_year_total > 0),
                to_date_scaled * last_year_total / basis.c.same_months_net,
            ),
            else_=linear,
        )
    registered = months >= settings.projection_min_months
    annual = this_year.c.household_id.is_not(None)
    projected_net = case((registered, projected), (annual, this_year_total), else_=None)
    projected_per_capita = case(
        (registered, projected / Household.members),
        (annual, this_year_total / this_year.c.members),
        else_=None,
    )
    last_year_per_capita = last_year_total / last_year_members
    query = (
        select(
            Household.id.label("household_id"),
            Household.township_id,
            Household.village_id,
            Household.household_type,
            Household.members,
            cast(months, Integer).label("months"),
            basis.c.ytd_net,
            projected_net.label("projected_net"),
            projected_per_capita.label("projected_per_capita"),
            last_year_per_capita.label("last_year_per_capita"),
            _projection_source(months, projected_per_capita, settings).label("projection_source"),
            _last_year_source(last_year_per_capita, has_annual).label("last_year_source"),
        )
        .select_from(Household)
        .outerjoin(basis, basis.c.household_id == Household.id)
        .outerjoin(
            this_year,
            and_(this_year.c.household_id == Household.id, this_year.c.year == month.year),
        )
        .outerjoin(
            last_year,
            and_(last_year.c.household_id == Household.id, last_year.c.year == month.year - 1),
        )
        .outerjoin(registered_last_year, registered_last_year.c.household_id == Household.id)
        .where(scope.covers(Household.township_id), Household.on_record_by(month_end(month)))
    )
    if households is not None:
        query = query.where(Household.id.in_(list(households)))
    return query


def _projection_source(
    months: ColumnElement[int], per_capita: ColumnElement[float], settings: IncomeSettings
) -> ColumnElement[int]:
    """Where this year's figure stands: enough registered months project it; without them a
    figure can only be the annual one (household_income_query)."""
    return case(
        (months >= settings.projection_min_months, FROM_REGISTERS),
        (per_capita.is_not(None), FROM_ANNUAL),
        else_=NO_SOURCE,
    )


def _last_year_source(
    per_capita: ColumnElement[float], annual: ColumnElement[bool]
) -> ColumnElement[int]:
    """Where last year's figure stands: the annual row when there is one, else (when known at
    all) twelve months of registers."""
    return case((per_capita.is_(None), NO_SOURCE), (annual, FROM_ANNUAL), else_=FROM_REGISTERS)


def income_alerts_by_township(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    """Per township: households, with projection, below the line, below each alert threshold, and
    with projected income lower than last year's (收入不增反降).

    Columns: township_id, households, with_data, below_line, below_<threshold> for each configured
    alert threshold (e.g. below_4500), fell.
    """
    summary = _township_summary(conn=conn, scope=scope, month=month, settings=settings)
    columns = ["township_id", "households", "with_data", "below_line"]
    columns += [*_threshold_columns(settings), "fell"]
    return summary[columns].astype("int64")


def _threshold_columns(settings: IncomeSettings) -> list[str]:
    return [f"below_{threshold:g}" for threshold in settings.alert_thresholds]


# ---------------------------------------------------------------------------------------------
# 收入监测: bands, headline, histogram, growth, structure, completeness and the household list.
# ---------------------------------------------------------------------------------------------

# The band number of a household without a projection ("no data": too few months registered).
NO_DATA_BAND = -1

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


def _band_number(per_capita: ColumnElement[float], edges: tuple[float, ...]) -> ColumnElement[int]:
    whens = [(per_capita.is_(None), literal(NO_DATA_BAND))]
    whens += [(per_capita < edge, literal(number)) for number, edge in enumerate(edges)]
    return case(*whens, else_=literal(len(edges)))


def _count_when(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _current_helper(day: date) -> Subquery:
    """Each household's 帮扶干部 on ``day`` (the lowest cadre id when several hold it)."""
    return (
        select(Assignment.household_id, func.min(Assignment.cadre_id).label("cadre_id"))
        .where(Assignment.held_on(day))
        .group_by(Assignment.household_id)
        .subquery("current_helper")
    )


def _household_rows(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> Subquery:
    """The stored projection of every household in scope (income_snapshots.income_projections,
    computed for the county by _projection_query when missing).

    Columns: those of household_income_query plus band (NO_DATA_BAND without projection),
    change_per_capita (NULL when either year is unknown), fell (1/0), below_line (1/0) and
    unprojected (1/0).
    """
    stored = income_projections(
        conn,
        month=month,
        fingerprint=settings_key(settings),
        rows=lambda households=None: _projection_query(
            conn=conn, month=month, settings=settings, households=households
        ),
    )
    return select(stored).where(scope.covers(stored.c.township_id)).subquery("household_rows")


def warm_projections(*, conn: Connection, month: date, settings: IncomeSettings) -> None:
    """Store the county's projections of ``month`` unless they are stored already."""
    _household_rows(conn=conn, scope=county_scope(conn=conn), month=month, settings=settings)


def _projection_query(
    *,
    conn: Connection,
    month: date,
    settings: IncomeSettings,
    households: Iterable[int] | None = None,
) -> Select:
    """household_income_query for the county (or ``households`` of it) with the band, the change
    and the flags."""
    incomes = household_income_query(
        scope=county_scope(conn=conn),
        month=month,
        settings=settings,
        basis=income_basis(conn, month),
        households=households,
    ).subquery()
    per_capita, last_year = incomes.c.projected_per_capita, incomes.c.last_year_per_capita
    line = literal(settings.line_for(month.year))
    return select(
        incomes,
        _band_number(per_capita, settings.band_edges_for(month.year)).label("band"),
        (per_capita - last_year).label("change_per_capita"),
        case((per_capita < last_year, 1), else_=0).label("fell"),
        case((per_capita < line, 1), else_=0).label("below_line"),
        case((per_capita.is_(None), 1), else_=0).label("unprojected"),
    )


@dataclass(frozen=True)
class IncomeHeadline:
    """The county (or scope) totals the speech quotes, for the year of the selected month."""

    households: int
    with_data: int
    below_line: int
    # Alert threshold (yuan) → households projected below it, in the configured order.
    below: dict[float, int]
    fell: int
    # Mean fall in per-capita income of the households that fell (yuan; None when none fell).
    fell_mean_drop: float | None

    @property
    def no_data(self) -> int:
        return self.households - self.with_data


def income_headline(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> IncomeHeadline:
    """Households in scope, with a projection, projected below the line and below each alert
    threshold, and whose projection is lower than last year (with the mean drop)."""
    totals = _township_summary(conn=conn, scope=scope, month=month, settings=settings).sum()
    fell = int(totals.get("fell", 0))
    return IncomeHeadline(
        households=int(totals.get("households", 0)),
        with_data=int(totals.get("with_data", 0)),
        below_line=int(totals.get("below_line", 0)),
        below={
            threshold: int(totals.get(column, 0))
            for threshold, column in zip(
                settings.alert_thresholds, _threshold_columns(settings), strict=True
            )
        },
        fell=fell,
        fell_mean_drop=float(totals["fell_drop"]) / fell if fell else None,
    )


@dataclass(frozen=True)
class YearSources:
    """How many households' income for one year stands on registers, on an imported annual
    figure (年度收入), or on nothing."""

    registers: int
    annual: int
    none: int


@dataclass(frozen=True)
class IncomeSources:
    """Where the figures of the selected month's year and of the year before stand."""

    this_year: YearSources
    last_year: YearSources


def income_sources(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> IncomeSources:
    """Households in scope whose projection for the year of ``month`` stands on registers, on
    the year's annual figure or on nothing, and the same for last year's figure (see
    household_income_query for the rule)."""
    totals = _township_summary(conn=conn, scope=scope, month=month, settings=settings).sum()
    households = int(totals.get("households", 0))

    def year(prefix: str) -> YearSources:
        registers = int(totals.get(f"{prefix}_registers", 0))
        annual = int(totals.get(f"{prefix}_annual", 0))
        return YearSources(registers, annual, households - registers - annual)

    return IncomeSources(this_year=year("this"), last_year=year("last"))


def _township_summary(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    """The county's income figures per township (cached in the database per data version and
    settings, data_access.caching), the townships of ``scope`` kept: everything the headline,
    the alerts and the growth add up.

    Columns: township_id, households, with_data, below_line, below_<threshold>…, fell,
    fell_drop (sum of the fallen households' per-capita drops), comparable (households known in
    both years), this_year_total and last_year_total (per-capita income times members, over the
    comparable households), comparable_members, and where the figures stand: this_registers,
    this_annual, last_registers, last_annual (households; the rest have none).
    """
    county = cached_frame(
        conn=conn,
        name="income_township_summary",
        month=month,
        fingerprint=settings_key(settings),
        sources=INCOME_SOURCES,
        window=income_window(month),
        compute=lambda: _compute_township_summary(
            conn=conn, scope=county_scope(conn=conn), month=month, settings=settings
        ),
    )
    return in_scope(county, scope)


def _compute_township_summary(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    rows = _household_rows(conn=conn, scope=scope, month=month, settings=settings)
    per_capita, last_year = rows.c.projected_per_capita, rows.c.last_year_per_capita
    fell = rows.c.fell == 1
    # The stored projections do not say where last year's figure came from: an annual row of
    # last year does (household_income_query's rule).
    annual = IncomeYear.__table__.alias("last_year_annual")
    this_source = _projection_source(rows.c.months, per_capita, settings)
    last_source = _last_year_source(last_year, annual.c.household_id.is_not(None))
    both = and_(per_capita.is_not(None), last_year.is_not(None))
    thresholds = [
        _count_when(per_capita < threshold).label(column)
        for threshold, column in zip(
            settings.alert_thresholds, _threshold_columns(settings), strict=True
        )
    ]
    query = select(
        rows.c.township_id,
        func.count().label("households"),
        _count_when(per_capita.is_not(None)).label("with_data"),
        func.sum(rows.c.below_line).label("below_line"),
        *thresholds,
        _count_when(fell).label("fell"),
        func.sum(case((fell, -rows.c.change_per_capita), else_=0.0)).label("fell_drop"),
        _count_when(both).label("comparable"),
        func.sum(case((both, per_capita * rows.c.members), else_=0.0)).label("this_year_total"),
        func.sum(case((both, last_year * rows.c.members), else_=0.0)).label("last_year_total"),
        func.sum(case((both, rows.c.members), else_=0)).label("comparable_members"),
        _count_when(this_source == FROM_REGISTERS).label("this_registers"),
        _count_when(this_source == FROM_ANNUAL).label("this_annual"),
        _count_when(last_source == FROM_REGISTERS).label("last_registers"),
        _count_when(last_source == FROM_ANNUAL).label("last_annual"),
    )
    query = query.select_from(rows).outerjoin(
        annual, and_(annual.c.household_id == rows.c.household_id, annual.c.year == month.year - 1)
    )
    query = query.group_by(rows.c.township_id)
    result = conn.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    floats = ["fell_drop", "this_year_total", "last_year_total"]
    counts = [column for column in frame.columns if column not in floats]
    return frame.astype({**dict.fromkeys(counts, "int64"), **dict.fromkeys(floats, "float64")})


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
        _stored_village_bands(conn=conn, scope=scope, month=month, settings=settings)
        .groupby([key, "household_type", "band"], as_index=False, sort=True)["households"]
        .sum()
    )
    return counts.astype({key: "int64", "band": "int64", "households": "int64"})


def _stored_village_bands(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    """_village_bands of the county (cached in the database), the villages of ``scope`` kept."""
    villages = cached_frame(
        conn=conn,
        name="income_village_bands",
        month=month,
        fingerprint=settings_key(settings),
        sources=INCOME_SOURCES,
        window=income_window(month),
        compute=lambda: _village_bands(
            conn=conn, scope=county_scope(conn=conn), month=month, settings=settings
        ),
    )
    return in_scope(villages, scope)


def _village_bands(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    """Columns: township_id, village_id, household_type, band, households."""
    rows = _household_rows(conn=conn, scope=scope, month=month, settings=settings)
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
    county = cached_frame(
        conn=conn,
        name=f"income_histogram_{bin_width:g}",
        month=month,
        fingerprint=settings_key(settings),
        sources=INCOME_SOURCES,
        window=income_window(month),
        compute=lambda: _township_histogram(
            conn=conn,
            scope=county_scope(conn=conn),
            month=month,
            settings=settings,
            bin_width=bin_width,
        ),
    )
    frame = (
        in_scope(county, scope)
        .groupby(["bucket", "household_type"], as_index=False)["households"]
        .sum()
    )
    return frame.sort_values("bucket", kind="stable").reset_index(drop=True)


def _township_histogram(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings, bin_width: float
) -> pd.DataFrame:
    """Columns: township_id, bucket, household_type, households."""
    rows = _household_rows(conn=conn, scope=scope, month=month, settings=settings)
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


@dataclass(frozen=True)
class IncomeGrowth:
    """Per-capita income of the households known in both years, this year projected vs last."""

    households: int
    this_year: float | None
    last_year: float | None

    @property
    def growth_percent(self) -> float | None:
        if not self.this_year or not self.last_year:
            return None
        return (self.this_year / self.last_year - 1) * 100


def income_growth(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> IncomeGrowth:
    """Growth of 脱贫户(含监测户) per-capita net income: this year's projection against last
    year's, over the households known in both years, weighted by this year's members (人均, as
    the statistics count people)."""
    totals = _township_summary(conn=conn, scope=scope, month=month, settings=settings).sum()
    members = int(totals.get("comparable_members", 0))
    if not members:
        return IncomeGrowth(households=0, this_year=None, last_year=None)
    return IncomeGrowth(
        households=int(totals["comparable"]),
        this_year=float(totals["this_year_total"]) / members,
        last_year=float(totals["last_year_total"]) / members,
    )


def benchmarks_for_year(*, conn: Connection, year: int) -> dict[str, float]:
    """The office's benchmarks of ``year``: indicator (BenchmarkIndicator value) → value."""
    query = select(Benchmark.indicator, Benchmark.value).where(Benchmark.year == year)
    return {indicator: float(value) for indicator, value in conn.execute(query).all()}


@dataclass(frozen=True)
class GrowthCheck:
    """One "高于" comparison: ``left`` must be higher than ``right`` (growth rates in percent)."""

    name: str
    left_label: str
    left: float | None
    right_label: str
    right: float | None

    @property
    def passed(self) -> bool | None:
        """True/False, or None when either figure is missing."""
        if self.left is None or self.right is None:
            return None
        return self.left > self.right

    @property
    def missing(self) -> list[str]:
        return [
            label
            for label, value in ((self.left_label, self.left), (self.right_label, self.right))
            if value is None
        ]


def two_higher_checks(growth: IncomeGrowth, benchmarks: dict[str, float]) -> list[GrowthCheck]:
    """The "两个高于" comparisons, and county GDP against the region's (pure)."""
    county = benchmarks.get(BenchmarkIndicator.COUNTY_RURAL_INCOME_GROWTH)
    return [
        GrowthCheck(
            "脱贫户收入增速高于全县农村居民",
            "脱贫户(含监测户)人均纯收入增速",
            growth.growth_percent,
            "县农村居民人均可支配收入增速",
            county,
        ),
        GrowthCheck(
            "全县农村居民收入增速高于全省",
            "县农村居民人均可支配收入增速",
            county,
            "省农村居民人均可支配收入增速",
            benchmarks.get(BenchmarkIndicator.PROVINCE_RURAL_INCOME_GROWTH),
        ),
        GrowthCheck(
            "县GDP增速高于全区",
            "县GDP增速",
            benchmarks.get(BenchmarkIndicator.COUNTY_GDP_GROWTH),
            "区GDP增速",
            benchmarks.get(BenchmarkIndicator.REGION_GDP_GROWTH),
        ),
    ]


STRUCTURE_SOURCES = ("wage", "business", "property", "transfer")


def income_structure(
    *, conn: Connection, scope: Scope, month: date, grouping: Grouping = "township"
) -> pd.DataFrame:
    """Registered income this year to ``month`` by source, summed per group (yuan).

    Summed per village for the whole county once per data version (data_access.caching); the
    townships of ``scope`` keep theirs.

    Columns: <grouping>_id, wage, business, property, transfer, production_cost.
    """
    villages = cached_frame(
        conn=conn,
        name="income_village_structure",
        month=month,
        fingerprint=settings_key(),
        sources=INCOME_SOURCES,
        window=year_window(month),
        compute=lambda: _village_structure(conn=conn, scope=county_scope(conn=conn), month=month),
    )
    key = f"{grouping}_id"
    sums = [*STRUCTURE_SOURCES, "production_cost"]
    frame = in_scope(villages, scope).groupby(key, as_index=False, sort=True)[sums].sum()
    return frame.astype({key: "int64"} | dict.fromkeys(sums, "float64"))


def _village_structure(*, conn: Connection, scope: Scope, month: date) -> pd.DataFrame:
    """Columns: township_id, village_id, wage, business, property, transfer, production_cost."""
    groups = [Household.township_id, Household.village_id]
    register = IncomeRegister
    query = (
        select(
            *groups,
            func.sum(register.wage),
            func.sum(register.business),
            func.sum(register.property),
            func.sum(register.transfer),
            func.sum(register.production_cost),
        )
        .join(Household, Household.id == register.household_id)
        .where(
            register.month.between(year_start(month), month),
            scope.covers(Household.township_id),
            Household.on_record_by(month_end(month)),
        )
        .group_by(*groups)
    )
    columns = ["township_id", "village_id", *STRUCTURE_SOURCES, "production_cost"]
    frame = pd.DataFrame(conn.execute(query).all(), columns=columns)
    return frame.astype(
        {"township_id": "int64", "village_id": "int64"} | dict.fromkeys(columns[2:], "float64")
    )


def structure_shares(structure: pd.DataFrame) -> pd.DataFrame:
    """Shares (0–1) of wage, net business (经营净收入: business − production costs), property and
    transfer income in each row's net income (pure). A negative net business share is kept: it
    is what the registers say.

    Columns: the input's id column and wage, business, property, transfer as shares.
    """
    key = structure.columns[0]
    net = structure[list(STRUCTURE_SOURCES)].assign(
        business=structure["business"] - structure["production_cost"]
    )
    total = net.sum(axis=1).where(lambda s: s > 0)
    shares = net.div(total, axis=0)
    shares.insert(0, key, structure[key].to_numpy())
    return shares


def missing_registers_by_cadre(
    *, conn: Connection, scope: Scope, month: date, grace_days: int
) -> pd.DataFrame:
    """Per 帮扶干部 (at the month's end): their households in scope and those whose register for
    ``month`` was not entered in time (before the month's end plus ``grace_days``). Cadres with
    nothing missing are left out; most missing first.

    Counted per cadre and household township for the whole county once per data version
    (data_access.caching); the townships of ``scope`` keep theirs.

    Columns: cadre_id, cadre, unit, township_id, households, missing.
    """
    county = cached_frame(
        conn=conn,
        name="income_missing_registers",
        month=month,
        fingerprint=settings_key(grace_days),
        sources=INCOME_SOURCES,
        window=month_window(month),
        compute=lambda: _missing_registers(
            conn=conn, scope=county_scope(conn=conn), month=month, grace_days=grace_days
        ),
    )
    keys = ["cadre_id", "cadre", "unit", "township_id"]
    frame = (
        in_scope(county, scope, column="household_township_id")
        .groupby(keys, as_index=False, sort=False, dropna=False)[["households", "missing"]]
        .sum()
    )
    frame = frame[frame["missing"] > 0].sort_values(
        ["missing", "cadre_id"], ascending=[False, True], kind="stable"
    )
    return frame.reset_index(drop=True).astype(
        {"cadre_id": "int64", "households": "int64", "missing": "int64"}
    )


def _missing_registers(
    *, conn: Connection, scope: Scope, month: date, grace_days: int
) -> pd.DataFrame:
    """Columns: cadre_id, cadre, unit, township_id (the cadre's), household_township_id,
    households, missing."""
    deadline = datetime.combine(next_month(month) + timedelta(days=grace_days), time.min)
    in_time = exists().where(
        IncomeRegister.household_id == Household.id,
        IncomeRegister.month == month,
        IncomeRegister.entered_at < deadline,
    )
    helper = _current_helper(month_end(month))
    groups = [
        Cadre.id,
        Cadre.name,
        func.coalesce(AssistingUnit.name, ""),
        Cadre.township_id,
        Household.township_id,
    ]
    query = (
        select(*groups, func.count(), _count_when(~in_time))
        .select_from(Household)
        .join(helper, helper.c.household_id == Household.id)
        .join(Cadre, Cadre.id == helper.c.cadre_id)
        .outerjoin(AssistingUnit, AssistingUnit.id == Cadre.unit_id)
        .where(scope.covers(Household.township_id), Household.on_record_by(month_end(month)))
        .group_by(*groups)
    )
    columns = [
        "cadre_id",
        "cadre",
        "unit",
        "township_id",
        "household_township_id",
        "households",
        "missing",
    ]
    frame = pd.DataFrame(conn.execute(query).all(), columns=columns)
    return frame.astype(
        {
            "cadre_id": "int64",
            "household_township_id": "int64",
            "households": "int64",
            "missing": "int64",
        }
    )


@dataclass(frozen=True)
class HouseholdFilter:
    """Which households the list shows; None / False means no restriction."""

    township_id: int | None = None
    village_id: int | None = None
    band: int | None = None
    household_type: str | None = None
    fell_only: bool = False
    below_line_only: bool = False


HOUSEHOLD_LIST_COLUMNS = [
    "household_id",
    "township",
    "village",
    "head_name",
    "head_id_number",
    "household_type",
    "members",
    "months",
    "ytd_per_capita",
    "projected_per_capita",
    "last_year_per_capita",
    "change_per_capita",
    "band",
    "cadre",
    "unit",
]


def _filtered_rows(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    settings: IncomeSettings,
    filters: HouseholdFilter,
) -> tuple[Subquery, list[ColumnElement[bool]]]:
    rows = _household_rows(conn=conn, scope=scope, month=month, settings=settings)
    conditions: list[ColumnElement[bool]] = []
    if filters.township_id is not None:
        conditions.append(rows.c.township_id == filters.township_id)
    if filters.village_id is not None:
        conditions.append(rows.c.village_id == filters.village_id)
    # A band and "below the line" as ranges of the projection, which the list's index orders by.
    per_capita, projected = rows.c.projected_per_capita, rows.c.unprojected == 0
    if filters.band == NO_DATA_BAND:
        conditions.append(rows.c.unprojected == 1)
    elif filters.band is not None:
        edges = settings.band_edges_for(month.year)
        conditions.append(projected)
        if filters.band > 0:
            conditions.append(per_capita >= edges[filters.band - 1])
        if filters.band < len(edges):
            conditions.append(per_capita < edges[filters.band])
    if filters.household_type is not None:
        conditions.append(rows.c.household_type == filters.household_type)
    if filters.fell_only:
        conditions.append(rows.c.fell == 1)
    if filters.below_line_only:
        conditions.extend([projected, per_capita < settings.line_for(month.year)])
    return rows, conditions


def household_list_size(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    settings: IncomeSettings,
    filters: HouseholdFilter,
) -> int:
    """How many households household_list would return without a limit.

    Township, village, type and band are columns of the stored band counts, which answer
    without counting every household again; the fell and below-line flags are counted in SQL.
    """
    if not (filters.fell_only or filters.below_line_only):
        counts = _stored_village_bands(conn=conn, scope=scope, month=month, settings=settings)
        for column, chosen in (
            ("township_id", filters.township_id),
            ("village_id", filters.village_id),
            ("household_type", filters.household_type),
            ("band", filters.band),
        ):
            if chosen is not None:
                counts = counts[counts[column] == chosen]
        return int(counts["households"].sum())
    rows, conditions = _filtered_rows(
        conn=conn, scope=scope, month=month, settings=settings, filters=filters
    )
    return int(conn.execute(select(func.count()).select_from(rows).where(*conditions)).scalar_one())


def household_list(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    settings: IncomeSettings,
    filters: HouseholdFilter,
    limit: int,
    offset: int = 0,
) -> pd.DataFrame:
    """One page of households matching ``filters``, lowest projected per-capita income first
    (households without a projection last). Names and 身份证号 are masked in SQL unless the
    scope may see personal data. Per-capita figures are yuan per person; NaN = no data.

    Columns: HOUSEHOLD_LIST_COLUMNS (band is a number, see band_labels).
    """
    rows, conditions = _filtered_rows(
        conn=conn, scope=scope, month=month, settings=settings, filters=filters
    )
    # The page first (an ordered index range of income_projections), then its names and helpers.
    order = [rows.c.unprojected, rows.c.projected_per_capita, rows.c.household_id]
    page = (
        select(rows)
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    day = month_end(month)
    helper = (
        select(func.min(Assignment.cadre_id))
        .where(
            Assignment.household_id == page.c.household_id,
            Assignment.held_on(day),
        )
        .scalar_subquery()
    )
    query = (
        select(
            page.c.household_id,
            Township.name,
            Village.name,
            name_column(Household.head_name, personal_data=scope.personal_data),
            id_number_column(Household.head_id_number, personal_data=scope.personal_data),
            page.c.household_type,
            page.c.members,
            page.c.months,
            (page.c.ytd_net / page.c.members),
            page.c.projected_per_capita,
            page.c.last_year_per_capita,
            page.c.change_per_capita,
            page.c.band,
            Cadre.name,
            AssistingUnit.name,
        )
        .select_from(page)
        .join(Household, Household.id == page.c.household_id)
        .join(Village, Village.id == page.c.village_id)
        .join(Township, Township.id == page.c.township_id)
        .outerjoin(Cadre, Cadre.id == helper)
        .outerjoin(AssistingUnit, AssistingUnit.id == Cadre.unit_id)
        .order_by(page.c.unprojected, page.c.projected_per_capita, page.c.household_id)
    )
    frame = pd.DataFrame(conn.execute(query).all(), columns=HOUSEHOLD_LIST_COLUMNS)
    floats = ["ytd_per_capita", "projected_per_capita", "last_year_per_capita", "change_per_capita"]
    return frame.astype(dict.fromkeys(floats, "float64"))


def villages_in_scope(*, conn: Connection, scope: Scope, township_id: int) -> pd.DataFrame:
    """The villages of one township (empty when the township is outside the scope).

    Columns: village_id, name — ordered by code.
    """
    query = (
        select(Village.id, Village.name)
        .where(Village.township_id == township_id, scope.covers(Village.township_id))
        .order_by(Village.code)
    )
    return pd.DataFrame(conn.execute(query).all(), columns=["village_id", "name"])


# How the page states the configured projection method (config income.projection_method).
PROJECTION_DESCRIPTIONS = {
    "same_months_last_year": "按上年同期比例推算：今年已登记月份的纯收入（缺登月份按月均补足）"
    "× 上年全年纯收入 ÷ 上年同期纯收入；无上年数据的户按月均 × 12 推算",
    "linear": "按已登记月份的月均纯收入 × 12 推算全年",
}


# Where the figures come from (household_income_query's rule), as the page states it.
BASIS_DESCRIPTION = (
    "本年有收支登记的户按登记推算，没有登记（或登记月数不足）的户按导入的本年度收入（收支情况摸排）计；"
    "上年收入取导入的年度收入，没有的取上年 12 个月收支登记之和，登记不满 12 个月的为未知"
)


def structure_table(structure: pd.DataFrame, *, names: pd.DataFrame) -> pd.DataFrame:
    """structure_shares per township with a first row, 合计, for all of them together (pure).

    ``names`` has township_id and name. Columns: name, wage, business, property, transfer.
    """
    total = structure.drop(columns="township_id").sum().to_frame().T.assign(township_id=0)
    everything = pd.concat([total[structure.columns], structure], ignore_index=True)
    shares = structure_shares(everything)
    lookup = dict(zip(names["township_id"], names["name"], strict=True))
    lookup[0] = "合计"
    shares.insert(0, "name", shares["township_id"].map(lookup))
    return shares.drop(columns="township_id")


def register_gaps(completeness: pd.DataFrame, *, names: pd.DataFrame) -> pd.DataFrame:
    """register_completeness per township as missing counts and rates, most missing first (pure).

    Columns: township_id, name, households, missing, rate (0–1, NaN without households).
    """
    frame = names[["township_id", "name"]].merge(completeness, on="township_id", how="inner")
    frame["missing"] = frame["households"] - frame["registered"]
    frame["rate"] = frame["registered"] / frame["households"].where(frame["households"] > 0)
    frame = frame.sort_values(["missing", "township_id"], ascending=[False, True])
    return frame[["township_id", "name", "households", "missing", "rate"]].reset_index(drop=True)
