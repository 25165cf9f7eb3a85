"""The wall re-reads the data version every refresh_seconds without a page reload, and says when
what it shows is stale."""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from config.settings import MeetingSettings
from dashboard.context import ViewContext
from dashboard.data import engine_for
from data_access.status import data_status


@dataclass(frozen=True)
class DataRead:
    """The data version and stamp the wall last read, and when (monotonic seconds)."""

    version: int
    as_of: str | None
    at: float


def refresh_due(last: DataRead | None, *, now: float, refresh_seconds: int) -> bool:
    """Whether the wall should read the data version again."""
    return last is None or now - last.at >= refresh_seconds


def is_stale(
    last: DataRead | None, *, failing_since: float, now: float, stale_after_minutes: int
) -> bool:
    """Whether the wall shows data older than allowed: the last good read (or, with none, the
    first failed one) lies more than ``stale_after_minutes`` back."""
    since = last.at if last is not None else failing_since
    return now - since > stale_after_minutes * 60


_DATA_READ_KEY = "wall_data_read"


_FAILING_SINCE_KEY = "wall_failing_since"


def fresh_view(
    view: ViewContext, *, now: float, settings: MeetingSettings
) -> tuple[ViewContext, bool]:
    """The view with the data version of the last read, read again every refresh_seconds (the
    wall refreshes without a page reload), and whether that data is stale."""
    last: DataRead | None = st.session_state.get(_DATA_READ_KEY)
    if refresh_due(last, now=now, refresh_seconds=settings.refresh_seconds):
        try:
            with engine_for(view.database_url).connect() as conn:
                status = data_status(conn=conn)
        except SQLAlchemyError:
            failing_since = st.session_state.setdefault(_FAILING_SINCE_KEY, now)
            stale = is_stale(
                last,
                failing_since=failing_since,
                now=now,
                stale_after_minutes=settings.stale_after_minutes,
            )
            return (view if last is None else _with_data(view, last)), stale
        last = DataRead(status.version, status.as_of, now)
        st.session_state[_DATA_READ_KEY] = last
        st.session_state.pop(_FAILING_SINCE_KEY, None)
    return _with_data(view, last), False


def _with_data(view: ViewContext, read: DataRead) -> ViewContext:
    return replace(view, data_version=read.version, data_as_of=read.as_of)
