"""The income figures per township that the headline, the alerts, the sources and the growth add
up (stored per month, data_access.caching)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import (
    Connection,
    and_,
    case,
    func,
    select,
)

from config.settings import IncomeSettings
from data_access.income.projection import (
    FROM_ANNUAL,
    FROM_REGISTERS,
    county_frame,
    household_rows,
    last_year_source,
    projection_source,
    year_closed,
)
from data_access.indicators import count_when
from data_access.models import (
    IncomeYear,
)
from data_access.scope import Scope


def income_alerts_by_township(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    """Per township: households, with projection, below the line, below each alert threshold, and
    with projected income lower than last year's (收入不增反降).

    Columns: township_id, households, with_data, below_line, below_<threshold> for each configured
    alert threshold (e.g. below_4500), fell.
    """
    summary = township_summary(conn=conn, scope=scope, month=month, settings=settings)
    columns = ["township_id", "households", "with_data", "below_line"]
    columns += [*_threshold_columns(settings), "fell"]
    return summary[columns].astype("int64")


def _threshold_columns(settings: IncomeSettings) -> list[str]:
    return [f"below_{threshold:g}" for threshold in settings.alert_thresholds]


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
    totals = township_summary(conn=conn, scope=scope, month=month, settings=settings).sum()
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
    totals = township_summary(conn=conn, scope=scope, month=month, settings=settings).sum()
    households = int(totals.get("households", 0))

    def year(prefix: str) -> YearSources:
        registers = int(totals.get(f"{prefix}_registers", 0))
        annual = int(totals.get(f"{prefix}_annual", 0))
        return YearSources(registers, annual, households - registers - annual)

    return IncomeSources(this_year=year("this"), last_year=year("last"))


def township_summary(
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
    return county_frame(
        conn=conn,
        name="income_township_summary",
        month=month,
        settings=settings,
        compute=lambda county: _compute_township_summary(
            conn=conn, scope=county, month=month, settings=settings
        ),
        scope=scope,
    )


def _compute_township_summary(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    rows = household_rows(conn=conn, scope=scope, month=month, settings=settings)
    per_capita, last_year = rows.c.projected_per_capita, rows.c.last_year_per_capita
    fell = rows.c.fell == 1
    # The stored projections do not say where last year's figure came from: an annual row of
    # last year does (household_income_query's rule).
    annual = IncomeYear.__table__.alias("last_year_annual")
    this_annual = IncomeYear.__table__.alias("this_year_annual")
    this_source = projection_source(
        rows.c.months,
        per_capita,
        settings,
        annual=this_annual.c.household_id.is_not(None),
        closed=year_closed(month),
    )
    last_source = last_year_source(last_year, annual.c.household_id.is_not(None))
    both = and_(per_capita.is_not(None), last_year.is_not(None))
    thresholds = [
        count_when(per_capita < threshold).label(column)
        for threshold, column in zip(
            settings.alert_thresholds, _threshold_columns(settings), strict=True
        )
    ]
    query = select(
        rows.c.township_id,
        func.count().label("households"),
        count_when(per_capita.is_not(None)).label("with_data"),
        func.sum(rows.c.below_line).label("below_line"),
        *thresholds,
        count_when(fell).label("fell"),
        func.sum(case((fell, -rows.c.change_per_capita), else_=0.0)).label("fell_drop"),
        count_when(both).label("comparable"),
        func.sum(case((both, per_capita * rows.c.members), else_=0.0)).label("this_year_total"),
        func.sum(case((both, last_year * rows.c.members), else_=0.0)).label("last_year_total"),
        func.sum(case((both, rows.c.members), else_=0)).label("comparable_members"),
        count_when(this_source == FROM_REGISTERS).label("this_registers"),
        count_when(this_source == FROM_ANNUAL).label("this_annual"),
        count_when(last_source == FROM_REGISTERS).label("last_registers"),
        count_when(last_source == FROM_ANNUAL).label("last_annual"),
    )
    query = (
        query.select_from(rows)
        .outerjoin(
            annual,
            and_(annual.c.household_id == rows.c.household_id, annual.c.year == month.year - 1),
        )
        .outerjoin(
            this_annual,
            and_(
                this_annual.c.household_id == rows.c.household_id,
                this_annual.c.year == month.year,
            ),
        )
    )
    query = query.group_by(rows.c.township_id)
    result = conn.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    floats = ["fell_drop", "this_year_total", "last_year_total"]
    counts = [column for column in frame.columns if column not in floats]
    return frame.astype({**dict.fromkeys(counts, "int64"), **dict.fromkeys(floats, "float64")})


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
    totals = township_summary(conn=conn, scope=scope, month=month, settings=settings).sum()
    members = int(totals.get("comparable_members", 0))
    if not members:
        return IncomeGrowth(households=0, this_year=None, last_year=None)
    return IncomeGrowth(
        households=int(totals["comparable"]),
        this_year=float(totals["this_year_total"]) / members,
        last_year=float(totals["last_year_total"]) / members,
    )
