"""Each household's income for a year, as registered so far and projected to the full year (SQL).

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

The county's projections are stored per month (data_access.income.store); household_rows reads
them, and every figure of 收入监测 is a GROUP BY over it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

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
    func,
    literal,
    select,
)

from config.settings import IncomeSettings
from data_access.caching import cached_frame, in_scope, settings_key
from data_access.income.store import (
    MONTHS_IN_A_YEAR,
    income_basis,
    income_projections,
    live_basis,
    net_income,
    registered_year,
)
from data_access.models import (
    Household,
    IncomeYear,
)
from data_access.periods import month_end
from data_access.scope import Scope, county_scope
from data_access.versions import INCOME_SOURCES, income_window

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

    ``basis`` holds the per-household sums (data_access.income.store): pass
    ``income_basis(conn, month)`` to read the stored snapshot; without it they are computed from
    the registers in the same statement.

    Registered months where they exist, the imported annual figure (income_years, the 年度收入
    import) where they do not:

    - this year: the projection from the registers; a household whose registers give none (no
      month, or fewer than ``projection_min_months``) but that has an annual figure for the year
      (a 摸排 done in the autumn) stands on that figure, divided by that year's members. For
      December, when the year is over (``year_closed``), the annual figure is the year's closed
      statistic and comes first, the registers' sum only where there is none: the 2025-12 view
      then shows what the 2026 views call 上年;
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
    # (condition, household total) and (condition, per person), in the order they apply.
    by_registers = ((registered, projected), (registered, projected / Household.members))
    by_annual = ((annual, this_year_total), (annual, this_year_total / this_year.c.members))
    first, second = (by_annual, by_registers) if year_closed(month) else (by_registers, by_annual)
    projected_net = case(first[0], second[0], else_=None)
    projected_per_capita = case(first[1], second[1], else_=None)
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
            projection_source(
                months, projected_per_capita, settings, annual=annual, closed=year_closed(month)
            ).label("projection_source"),
            last_year_source(last_year_per_capita, has_annual).label("last_year_source"),
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


def year_closed(month: date) -> bool:
    """Whether the view of ``month`` is the whole year (December): then a household's annual
    figure (the year's closed statistic) is its figure for the year."""
    return month.month == MONTHS_IN_A_YEAR


def projection_source(
    months: ColumnElement[int],
    per_capita: ColumnElement[float],
    settings: IncomeSettings,
    *,
    annual: ColumnElement[bool] | None = None,
    closed: bool = False,
) -> ColumnElement[int]:
    """Where this year's figure stands: enough registered months project it; without them a
    figure can only be the annual one. For a closed year the annual figure comes first
    (``annual``: the household has one; household_income_query)."""
    if closed and annual is not None:
        return case(
            (annual, FROM_ANNUAL),
            (months >= settings.projection_min_months, FROM_REGISTERS),
            else_=NO_SOURCE,
        )
    return case(
        (months >= settings.projection_min_months, FROM_REGISTERS),
        (per_capita.is_not(None), FROM_ANNUAL),
        else_=NO_SOURCE,
    )


def last_year_source(
    per_capita: ColumnElement[float], annual: ColumnElement[bool]
) -> ColumnElement[int]:
    """Where last year's figure stands: the annual row when there is one, else (when known at
    all) twelve months of registers."""
    return case((per_capita.is_(None), NO_SOURCE), (annual, FROM_ANNUAL), else_=FROM_REGISTERS)


# The band number of a household without a projection ("no data": too few months registered).
NO_DATA_BAND = -1


def _band_number(per_capita: ColumnElement[float], edges: tuple[float, ...]) -> ColumnElement[int]:
    whens = [(per_capita.is_(None), literal(NO_DATA_BAND))]
    whens += [(per_capita < edge, literal(number)) for number, edge in enumerate(edges)]
    return case(*whens, else_=literal(len(edges)))


def household_rows(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> Subquery:
    """The stored projection of every household in scope (store.income_projections, computed for
    the county by projection_query when missing).

    Columns: those of household_income_query plus band (NO_DATA_BAND without projection),
    change_per_capita (NULL when either year is unknown), fell (1/0), below_line (1/0) and
    unprojected (1/0).
    """
    stored = income_projections(
        conn,
        month=month,
        fingerprint=settings_key(settings),
        rows=lambda households=None: projection_query(
            conn=conn, month=month, settings=settings, households=households
        ),
    )
    return select(stored).where(scope.covers(stored.c.township_id)).subquery("household_rows")


def county_frame(
    *,
    conn: Connection,
    name: str,
    month: date,
    settings: IncomeSettings,
    compute: Callable[[Scope], pd.DataFrame],
    scope: Scope,
) -> pd.DataFrame:
    """A result over the households' projections, ``compute``d for the county (it must keep a
    township_id column) and stored per version of the income sources and the income settings
    (data_access.caching); the townships of ``scope`` kept."""
    county = cached_frame(
        conn=conn,
        name=name,
        month=month,
        fingerprint=settings_key(settings),
        sources=INCOME_SOURCES,
        window=income_window(month),
        compute=lambda: compute(county_scope(conn=conn)),
    )
    return in_scope(county, scope)


def warm_projections(*, conn: Connection, month: date, settings: IncomeSettings) -> None:
    """Store the county's projections of ``month`` unless they are stored already."""
    household_rows(conn=conn, scope=county_scope(conn=conn), month=month, settings=settings)


def projection_query(
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


# How the page states the configured projection method (config income.projection_method).
PROJECTION_DESCRIPTIONS = {
    "same_months_last_year": "按上年同期比例推算：今年已登记月份的纯收入（缺登月份按月均补足）"
    "× 上年全年纯收入 ÷ 上年同期纯收入；无上年数据的户按月均 × 12 推算",
    "linear": "按已登记月份的月均纯收入 × 12 推算全年",
}


# Where the figures come from (household_income_query's rule), as the page states it.
BASIS_DESCRIPTION = (
    "本年有收支登记的户按登记推算，没有登记（或登记月数不足）的户按导入的本年度收入（收支情况摸排）计；"
    "选 12 月时全年已结束，有导入的年度收入（统计数）的户以统计数为准；"
    "上年收入取导入的年度收入，没有的取上年 12 个月收支登记之和，登记不满 12 个月的为未知"
)
