"""What the app needs to know about the data before any view: its version, as-of time, months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from data_access.db import read_meta
from data_access.models import IncomeRegister, MetaKey
from data_access.periods import next_month


@dataclass(frozen=True)
class DataStatus:
    version: int
    as_of: str | None
    months: tuple[date, ...]


def data_status(*, conn: Connection) -> DataStatus:
    """Data version (bumped on every write), the as-of stamp and the months with registers."""
    # Two scalar subqueries, not min() and max() in one SELECT: SQLite answers a lone min or max
    # from the index, both together by scanning every register.
    first, last = conn.execute(
        select(
            select(func.min(IncomeRegister.month)).scalar_subquery(),
            select(func.max(IncomeRegister.month)).scalar_subquery(),
        )
    ).one()
    months: list[date] = []
    while first is not None and first <= last:
        months.append(first)
        first = next_month(first)
    return DataStatus(
        version=int(read_meta(conn, MetaKey.DATA_VERSION) or 0),
        as_of=read_meta(conn, MetaKey.DATA_AS_OF),
        months=tuple(months),
    )
