"""The one door for writes: a transaction that carries who, when, the audit row and the data
versions of what it changed.

Every write of the app, the CLI and the seed runs inside ``change``::

    with change(engine, by=username, at=moment) as write:
        closed = change_status(write, ...)      # writes rows, calls write.touch(...)
        write.audit(AuditAction.STATUS_CHANGE, target=closed.code)

The domain functions (rectification, inspection, boundaries, imports, accounts) take the
``Change`` and never open a transaction, read the clock or raise a version themselves. When the
block ends without an exception, the versions of every source touched are raised atomically
(data_access.versions) and the transaction commits; on an exception nothing is written, the
audit row included. Pages and components never open a write transaction (a convention test).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from data_access.audit import AuditAction, record
from data_access.income.store import refresh_basis
from data_access.models import DataSource
from data_access.versions import raise_versions


@dataclass
class Change:
    """One write in progress: its connection (inside the transaction), its author and moment.

    ``by`` is the account (the audit trail's user); ``author`` the name stored on the rows the
    write makes (a history row's 变更人, a draw's 抽签人): the display name, or the account."""

    conn: Connection
    by: str
    at: datetime
    author: str = ""
    touched: set[DataSource] = field(default_factory=set)
    # Sources written for some months only, and those months.
    touched_months: dict[DataSource, set[date]] = field(default_factory=dict)
    # For those, the households whose rows were written, when the write knows them all (None:
    # not known, every household counts as touched).
    touched_households: dict[DataSource, set[int] | None] = field(default_factory=dict)
    # The overall data version after the commit; None while open or when no source changed.
    version: int | None = None

    def touch(
        self,
        *sources: DataSource,
        months: Iterable[date] | None = None,
        households: Iterable[int] | None = None,
    ) -> None:
        """Say that this write changed rows of ``sources``: their caches go stale at commit.
        With ``months``, only rows of those months (registers, visits, meetings of a month):
        the summaries of other months stay valid. With ``households`` too, only the rows of
        those households: a stored per-household summary is brought up to date for them alone
        (data_access.income.store.refresh_basis) instead of recounted."""
        if months is None:
            self.touched.update(sources)
            return
        chosen = set(months)
        for source in sources:
            self.touched_months.setdefault(source, set()).update(chosen)
            if households is None:
                self.touched_households[source] = None
            elif self.touched_households.get(source, set()) is not None:
                self.touched_households.setdefault(source, set()).update(households)

    def __post_init__(self) -> None:
        self.author = self.author or self.by

    def audit(
        self,
        action: AuditAction | str,
        *,
        target: str = "",
        rows: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append the audit row of this write (in its transaction: none without the write)."""
        record(
            conn=self.conn,
            username=self.by,
            action=action,
            target=target,
            rows=rows,
            detail=detail,
            at=self.at,
        )


@contextmanager
def change(engine: Engine, *, by: str, at: datetime, author: str = "") -> Iterator[Change]:
    """A write by account ``by`` (named ``author`` on its rows) at ``at``, the clock's now:
    commit, audit rows and versions together."""
    with engine.begin() as conn:
        write = Change(conn=conn, by=by, at=at, author=author)
        yield write
        months = {
            source: chosen
            for source, chosen in write.touched_months.items()
            if source not in write.touched and chosen
        }
        if write.touched or months:
            write.version = raise_versions(conn, write.touched, at=at, months=months)
            _bring_up_to_date(write, months)


def _bring_up_to_date(write: Change, months: dict[DataSource, set[date]]) -> None:
    """After the versions rose: the stored per-household summaries the write can update for
    the households it touched, in its transaction (the rest are recounted when next read)."""
    registers = DataSource.REGISTERS
    households = write.touched_households.get(registers)
    if registers in months and households:
        refresh_basis(write.conn, months=months[registers], households=households)
