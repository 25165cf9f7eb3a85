"""What every page needs to know about the view: user, settings, scope, period, data version.

``dashboard/app.py`` builds the ViewContext once per run from the signed-in user's record and the
sidebar, and pages read it with ``current_view()``; pages never build a scope themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from config import Clock, Settings
from dashboard.data import engine_for, fetch
from data_access.auth import Access
from data_access.commands import Change, change
from data_access.scope import Scope

T = TypeVar("T")
_SESSION_KEY = "_view_context"


@dataclass(frozen=True)
class ViewContext:
    # The signed-in user, as read from the database on this run.
    access: Access
    settings: Settings
    database_url: str
    # What the user may read (computed from their roles), narrowed by the sidebar's township filter.
    scope: Scope
    # All townships without personal data: for figures the county publishes (rankings, meeting).
    published_scope: Scope
    month: date
    # The one clock, and its reporting date read once for the whole run (countdowns, 逾期). What
    # happens on this run (audit, status changes, draws, imports) is stamped with clock.now().
    clock: Clock
    reporting_date: date
    data_version: int
    data_as_of: str | None

    def fetch(self, query: Callable[..., T], **kwargs: Any) -> T:
        """Run a data_access query for this view, cached until the data changes."""
        return fetch(
            query, database_url=self.database_url, data_version=self.data_version, **kwargs
        )

    def write(self, *, author: str = "") -> AbstractContextManager[Change]:
        """A write by the signed-in user, now (``writing``)."""
        return writing(self, author=author)


def writing(view: ViewContext, *, author: str = "") -> AbstractContextManager[Change]:
    """A write by the view's signed-in user at the clock's now (data_access.commands): the only
    way a page or component changes the database. ``author`` is the name its rows carry (the
    display name); the audit trail names the account."""
    return change(
        engine_for(view.database_url),
        by=view.access.username,
        at=view.clock.now(),
        author=author,
    )


def set_current_view(view: ViewContext) -> None:
    st.session_state[_SESSION_KEY] = view


def current_view() -> ViewContext:
    """The context the entry script computed for this run."""
    return st.session_state[_SESSION_KEY]
