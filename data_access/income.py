"""Household income for a year, as registered so far and projected to the full year (SQL).

人均纯收入 = (wage + business + property + transfer − production costs) / members. The year runs
January to December; the registers of the months up to the selected one are summed in SQL, and the
full year is projected by the configured method:

- ``linear``: the months registered, scaled to twelve;
- ``same_months_last_year``: the year-to-date net income, scaled for missing months, times last
  year's full-year total over last year's net income for the same calendar months. Where last year
  is unknown or not positive, the household falls back to ``linear``.

A household with fewer registered months than ``projection_min_months`` has no projection
("no data"); it is never counted as zero income.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, Float, Integer, Select, and_, case, cast, func, literal, select

from config.settings import IncomeSettings
from data_access.models import Household, IncomeRegister, IncomeYear
from data_access.periods import same_month_last_year, year_start
from data_access.scope import Scope


def _net(table) -> object:
    return table.wage + table.business + table.property + table.transfer - table.production_cost


def household_income_query(*, scope: Scope, month: date, settings: IncomeSettings) -> Select:
    """One row per household in scope: registered months, year-to-date net, projection, last year.

    Columns: household_id, township_id, village_id, household_type, members, months, ytd_net,
    projected_net, projected_per_capita (NULL = no data), last_year_per_capita (NULL = unknown).
    """
    elapsed = month.month
    this_year = (
        select(
            IncomeRegister.household_id,
            func.count().label("months"),
            func.sum(_net(IncomeRegister)).label("ytd_net"),
        )
        .where(IncomeRegister.month.between(year_start(month), month))
        .group_by(IncomeRegister.household_id)
        .subquery("this_year")
    )
    last_year_same = (
        select(
            IncomeRegister.household_id,
            func.sum(_net(IncomeRegister)).label("same_months_net"),
        )
        .where(
            IncomeRegister.month.between(
                year_start(same_month_last_year(month)), same_month_last_year(month)
            )
        )
        .group_by(IncomeRegister.household_id)
        .subquery("last_year_same")
    )
    last_year = IncomeYear.__table__.alias("last_year")
    last_year_total = _net(last_year.c)

    months = func.coalesce(this_year.c.months, 0)
    linear = this_year.c.ytd_net * 12.0 / cast(months, Float)
    to_date_scaled = this_year.c.ytd_net * float(elapsed) / cast(months, Float)
    if settings.projection_method == "linear":
        projected = linear
    else:
        projected = case(
            (
                and_(last_year_same.c.same_months_net > 0, last_year_total > 0),
                to_date_scaled * last_year_total / last_year_same.c.same_months_net,
            ),
            else_=linear,
        )
    projected = case((months >= settings.projection_min_months, projected), else_=None)
    return (
        select(
            Household.id.label("household_id"),
            Household.township_id,
            Household.village_id,
            Household.household_type,
            Household.members,
            cast(months, Integer).label("months"),
            this_year.c.ytd_net,
            projected.label("projected_net"),
            (projected / Household.members).label("projected_per_capita"),
            (last_year_total / last_year.c.members).label("last_year_per_capita"),
        )
        .select_from(Household)
        .outerjoin(this_year, this_year.c.household_id == Household.id)
        .outerjoin(last_year_same, last_year_same.c.household_id == Household.id)
        .outerjoin(
            last_year,
            and_(last_year.c.household_id == Household.id, last_year.c.year == month.year - 1),
        )
        .where(scope.covers(Household.township_id))
    )


def income_alerts_by_township(
    *, conn: Connection, scope: Scope, month: date, settings: IncomeSettings
) -> pd.DataFrame:
    """Per township: households, with projection, below the line, below each alert threshold, and
    with projected income lower than last year's (收入不增反降).

    Columns: township_id, households, with_data, below_line, below_<threshold> for each configured
    alert threshold (e.g. below_4500), fell.
    """
    incomes = household_income_query(scope=scope, month=month, settings=settings).subquery()
    per_capita = incomes.c.projected_per_capita

    def count_when(condition) -> object:
        return func.sum(case((condition, 1), else_=0))

    thresholds = {
        f"below_{threshold:g}": count_when(per_capita < threshold)
        for threshold in settings.alert_thresholds
    }
    query = select(
        incomes.c.township_id,
        func.count().label("households"),
        count_when(per_capita.is_not(None)).label("with_data"),
        count_when(per_capita < literal(settings.line_for(month.year))).label("below_line"),
        *(expression.label(name) for name, expression in thresholds.items()),
        count_when(per_capita < incomes.c.last_year_per_capita).label("fell"),
    ).group_by(incomes.c.township_id)
    frame = pd.DataFrame(conn.execute(query).mappings().all())
    columns = ["township_id", "households", "with_data", "below_line", *thresholds, "fell"]
    if frame.empty:
        return pd.DataFrame(columns=columns, dtype="int64")
    return frame[columns].fillna(0).astype("int64")
