"""Figures of the 总览 briefing, aggregated in SQL per township and combined into a Briefing.

Each query returns one row per township in scope, so the same numbers feed the county headline
(sums) and the "who is behind" chart. "Change since last month" is the same query run for the
previous month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, func, or_, select

from config.settings import Settings
from data_access.caching import settings_key, snapshot
from data_access.income.summary import income_alerts_by_township
from data_access.indicators import (
    FAMILY_BY_NAME,
    Level,
    household_counts,
    rectification_progress,
)
from data_access.models import Milestone, RectificationItem, Township
from data_access.periods import month_end, previous_month
from data_access.rectification import county_level_items
from data_access.scope import Scope, county_scope
from data_access.snapshots import indicator_counts
from data_access.versions import HOUSEHOLD_SOURCES


def townships_in_scope(*, conn: Connection, scope: Scope) -> pd.DataFrame:
    """Columns: township_id, name — ordered by code."""
    query = (
        select(Township.id, Township.name).where(scope.covers(Township.id)).order_by(Township.code)
    )
    return pd.DataFrame(conn.execute(query).all(), columns=["township_id", "name"])


def upcoming_milestones(*, conn: Connection, scope: Scope, today: date) -> pd.DataFrame:
    """Milestones from ``today`` on, each with the items in scope that are due by it and still
    open today (overdue ones included): what must be closed before the date.

    Columns: name, due_on, days_left, description, open_items.
    """
    item = RectificationItem
    # One pass over the items (open ones per deadline), then a running sum per milestone.
    open_by_deadline = (
        select(item.deadline, func.count().label("open_count"))
        .where(
            scope.covers_with_county(item.township_id),
            item.found_on <= today,
            or_(item.closed_on.is_(None), item.closed_on > today),
        )
        .group_by(item.deadline)
        .subquery("open_by_deadline")
    )
    query = (
        select(
            Milestone.name,
            Milestone.due_on,
            Milestone.description,
            func.coalesce(func.sum(open_by_deadline.c.open_count), 0),
        )
        .outerjoin(open_by_deadline, open_by_deadline.c.deadline <= Milestone.due_on)
        .where(Milestone.due_on >= today)
        .group_by(Milestone.id, Milestone.name, Milestone.due_on, Milestone.description)
        .order_by(Milestone.due_on, Milestone.id)
    )
    rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["name", "due_on", "description", "open_items"])
    frame.insert(2, "days_left", [(row.due_on - today).days for row in rows])
    return frame


@dataclass(frozen=True)
class Figure:
    """A headline number with last month's value for the change arrow (None when not comparable)."""

    value: float
    previous: float | None = None

    @property
    def change(self) -> float | None:
        return None if self.previous is None else self.value - self.previous


@dataclass(frozen=True)
class Briefing:
    """Everything 总览 shows for one month, county totals and the per-township table."""

    month: date
    as_of: date
    households: Figure
    lifted: Figure
    monitored: Figure
    at_risk: Figure
    income_with_data: Figure
    below_line: Figure
    below_thresholds: dict[float, Figure]
    fell: Figure
    register_rate: Figure
    visit_rate: Figure
    open_items: Figure
    overdue_items: Figure
    milestones: pd.DataFrame
    by_township: pd.DataFrame


def _rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _month_frame(
    *, conn: Connection, scope: Scope, month: date, as_of: date, settings: Settings
) -> pd.DataFrame:
    """All per-township figures of one month, one row per township in scope."""
    frame = townships_in_scope(conn=conn, scope=scope)
    parts = [
        # County-wide counts kept per data version; the merge keeps the townships in scope.
        snapshot(
            conn=conn,
            kind="households",
            month=month,
            key="township_id",
            fingerprint=settings_key(),
            sources=HOUSEHOLD_SOURCES,
            compute=lambda: household_counts(conn=conn, scope=county_scope(conn=conn), month=month),
        ),
        income_alerts_by_township(
            conn=conn, scope=scope, month=month, settings=settings.income
        ).drop(columns="households"),
        # The rankings' snapshot of the month holds the same register and visit counts.
        indicator_counts(
            conn=conn,
            month=month,
            settings=settings,
            level=Level.TOWNSHIP,
            families=[FAMILY_BY_NAME["reg"], FAMILY_BY_NAME["helper"]],
        ),
        rectification_progress(conn=conn, scope=scope, on=as_of)[
            ["township_id", "found", "open", "overdue"]
        ],
    ]
    for part in parts:
        frame = frame.merge(part, on="township_id", how="left")
    numeric = frame.columns.drop(["township_id", "name"])
    frame[numeric] = frame[numeric].fillna(0).astype("int64")
    frame["all_households"] = frame["lifted"] + frame["monitored"]
    frame["register_rate"] = frame["registered"] / frame["households"].where(
        frame["households"] > 0
    )
    frame["visit_rate"] = frame["visited"] / frame["assigned"].where(frame["assigned"] > 0)
    return frame


def briefing(
    *, conn: Connection, scope: Scope, month: date, today: date, settings: Settings
) -> Briefing:
    """The 总览 figures for ``month`` and their change since the month before.

    State figures (open and overdue items) are taken at the month's end, or ``today`` if the month
    is still running; countdowns are always from ``today``.
    """
    as_of = min(month_end(month), today)
    before = previous_month(month)
    current = _month_frame(conn=conn, scope=scope, month=month, as_of=as_of, settings=settings)
    prior = _month_frame(
        conn=conn, scope=scope, month=before, as_of=month_end(before), settings=settings
    )
    # Income is a running figure of the calendar year: January has no comparable month before.
    income_comparable = month.month > 1

    def figure(column: str, *, comparable: bool = True) -> Figure:
        previous = float(prior[column].sum()) if comparable else None
        return Figure(float(current[column].sum()), previous)

    # Items of the county itself (a county department's) count for the county, not a township.
    county_now = county_level_items(conn=conn, scope=scope, on=as_of)
    county_before = county_level_items(conn=conn, scope=scope, on=month_end(before))

    def with_county(column: str, position: int) -> Figure:
        return Figure(
            float(current[column].sum()) + county_now[position],
            float(prior[column].sum()) + county_before[position],
        )

    def rate(numerator: str, denominator: str) -> Figure:
        value = _rate(current[numerator].sum(), current[denominator].sum())
        previous = _rate(prior[numerator].sum(), prior[denominator].sum())
        return Figure(value if value is not None else float("nan"), previous)

    return Briefing(
        month=month,
        as_of=as_of,
        households=figure("all_households"),
        lifted=figure("lifted", comparable=False),
        monitored=figure("monitored"),
        at_risk=figure("at_risk"),
        income_with_data=figure("with_data", comparable=income_comparable),
        below_line=figure("below_line", comparable=income_comparable),
        below_thresholds={
            threshold: figure(f"below_{threshold:g}", comparable=income_comparable)
            for threshold in settings.income.alert_thresholds
        },
        fell=figure("fell", comparable=income_comparable),
        register_rate=rate("registered", "households"),
        visit_rate=rate("visited", "assigned"),
        open_items=with_county("open", 0),
        overdue_items=with_county("overdue", 1),
        milestones=upcoming_milestones(conn=conn, scope=scope, today=today),
        by_township=current,
    )
