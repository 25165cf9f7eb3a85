"""The viewer's scope: which townships a query may read, and whether personal data shows.

Every query function takes a Scope. Until login lands it is the whole county; afterwards it is
computed on the server from the user. A scope can only be narrowed, never widened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, false, or_, select

from data_access.models import Township


@dataclass(frozen=True)
class Scope:
    township_ids: frozenset[int]
    # May the viewer see full names, 身份证号 and phone numbers?
    personal_data: bool = False
    # Every township of the county (county_scope): no row needs filtering, and a query reads the
    # whole table rather than probing an index once per township of a long IN list.
    whole_county: bool = False

    def narrowed(self, township_ids: Iterable[int] | None) -> Scope:
        """The same scope limited to ``township_ids`` (None keeps it); never adds a township."""
        if township_ids is None:
            return self
        kept = self.township_ids & frozenset(township_ids)
        return Scope(kept, self.personal_data, self.whole_county and kept == self.township_ids)

    def covers(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose township column lies in the scope."""
        if self.whole_county:
            # Every township a row can name is the county's (foreign keys): only NULL is out,
            # as it is from the IN list. The column stays in the clause, and so in the FROM.
            return column.is_not(None)
        if not self.township_ids:
            return false()
        return column.in_(sorted(self.township_ids))

    def covers_with_county(self, column: ColumnElement[int]) -> ColumnElement[bool]:
        """As ``covers``, and for a viewer of the whole county also the rows of no township
        (the county's own, such as a county department's rectification items)."""
        if self.whole_county:
            return or_(column.is_(None), column.is_not(None))
        return self.covers(column)


def county_scope(conn: Connection, *, personal_data: bool = False) -> Scope:
    """Every township of the county."""
    ids = conn.execute(select(Township.id)).scalars().all()
    return Scope(frozenset(ids), personal_data, whole_county=True)
