"""Month arithmetic shared by queries and pages (pure functions)."""

from __future__ import annotations

from datetime import date, timedelta


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    """First day of the month after ``month``."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    """First day of the month before ``month``."""
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_end(month: date) -> date:
    """Last day of ``month``."""
    return next_month(month) - timedelta(days=1)


def year_start(month: date) -> date:
    return date(month.year, 1, 1)


def same_month_last_year(month: date) -> date:
    return date(month.year - 1, month.month, 1)


def default_period(months: list[date], today: date, lag_days: int = 0) -> date | None:
    """The latest month of ``months`` that has ended (plus ``lag_days``) by ``today``.

    Falls back to the earliest month when none has ended, and None when there are none.
    """
    if not months:
        return None
    ended = [m for m in months if month_end(m) + timedelta(days=lag_days) < today]
    return max(ended) if ended else min(months)


def month_label(month: date) -> str:
    return f"{month.year}年{month.month}月"


def day_label(day: date) -> str:
    return f"{day.month}月{day.day}日"
