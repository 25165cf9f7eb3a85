"""The household list of 收入监测: filtered and paged in SQL over the stored projections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Subquery,
    func,
    select,
)

from config.settings import IncomeSettings
from data_access.income.bands import stored_village_bands
from data_access.income.projection import (
    NO_DATA_BAND,
    household_rows,
)
from data_access.masking import id_number_column, name_column
from data_access.models import (
    Assignment,
    AssistingUnit,
    Cadre,
    Household,
    Township,
    Village,
)
from data_access.periods import month_end
from data_access.scope import Scope


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
    rows = household_rows(conn=conn, scope=scope, month=month, settings=settings)
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
        counts = stored_village_bands(conn=conn, scope=scope, month=month, settings=settings)
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
