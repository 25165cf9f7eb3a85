"""Registered income by source (wage, business, property, transfer) and its shares."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import (
    Connection,
    func,
    select,
)

from data_access.caching import cached_frame, in_scope, settings_key
from data_access.income.bands import Grouping
from data_access.models import (
    Household,
    IncomeRegister,
)
from data_access.periods import month_end, year_start
from data_access.scope import Scope, county_scope
from data_access.versions import INCOME_SOURCES, year_window

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
