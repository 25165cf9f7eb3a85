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
from data_access.income.store import income_basis
from data_access.models import (
    Household,
)
from data_access.periods import month_end
from data_access.scope import Scope, county_scope
from data_access.versions import INCOME_SOURCES, year_window

STRUCTURE_SOURCES = ("wage", "business", "property", "transfer")


def income_structure(
    *, conn: Connection, scope: Scope, month: date, grouping: Grouping = "township"
) -> pd.DataFrame:
    """Registered income this year to ``month`` by source, summed per group (yuan).

    Summed per village for the whole county from the stored basis once per version of the
    registers and households (data_access.caching); the townships of ``scope`` keep theirs.

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
    """Summed from the stored basis (this year's registers by source, per household), over the
    households on record by the month's end that registered a month this year.

    Columns: township_id, village_id, wage, business, property, transfer, production_cost.
    """
    basis = income_basis(conn, month)
    groups = [Household.township_id, Household.village_id]
    sources = [*STRUCTURE_SOURCES, "production_cost"]
    query = (
        select(*groups, *(func.sum(basis.c[name]) for name in sources))
        .join(Household, Household.id == basis.c.household_id)
        .where(
            basis.c.months > 0,
            scope.covers(Household.township_id),
            Household.on_record_by(month_end(month)),
        )
        .group_by(*groups)
    )
    columns = ["township_id", "village_id", *sources]
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
