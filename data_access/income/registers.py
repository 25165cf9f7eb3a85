"""收支登记 completeness: households whose register was not entered in time, per 帮扶干部."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import (
    Connection,
    Subquery,
    exists,
    func,
    select,
)

from data_access.caching import cached_frame, in_scope, settings_key
from data_access.indicators import count_when
from data_access.models import (
    Assignment,
    AssistingUnit,
    Cadre,
    Household,
    IncomeRegister,
)
from data_access.periods import month_end, next_month
from data_access.scope import Scope, county_scope
from data_access.versions import INCOME_SOURCES, month_window


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
        select(*groups, func.count(), count_when(~in_time))
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


def _current_helper(day: date) -> Subquery:
    """Each household's 帮扶干部 on ``day`` (the lowest cadre id when several hold it)."""
    return (
        select(Assignment.household_id, func.min(Assignment.cadre_id).label("cadre_id"))
        .where(Assignment.held_on(day))
        .group_by(Assignment.household_id)
        .subquery("current_helper")
    )


def register_gaps(completeness: pd.DataFrame, *, names: pd.DataFrame) -> pd.DataFrame:
    """register_completeness per township as missing counts and rates, most missing first (pure).

    Columns: township_id, name, households, missing, rate (0–1, NaN without households).
    """
    frame = names[["township_id", "name"]].merge(completeness, on="township_id", how="inner")
    frame["missing"] = frame["households"] - frame["registered"]
    frame["rate"] = frame["registered"] / frame["households"].where(frame["households"] > 0)
    frame = frame.sort_values(["missing", "township_id"], ascending=[False, True])
    return frame[["township_id", "name", "households", "missing", "rate"]].reset_index(drop=True)
