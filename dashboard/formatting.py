"""How numbers read on screen (pure functions)."""

from __future__ import annotations

import math


def count(value: float | None) -> str:
    """A whole number with thousands separators; '—' when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{round(value):,}"


def percent(share: float | None, digits: int = 1) -> str:
    """A share (0–1) as a percentage; '—' when unknown."""
    if share is None or math.isnan(share):
        return "—"
    return f"{share * 100:.{digits}f}%"


def signed_count(change: float | None, unit: str = "") -> str | None:
    """A change in a count with its sign (st.metric reads the arrow from it); None when unknown."""
    if change is None or math.isnan(change):
        return None
    if round(change) == 0:
        return "0"  # st.metric shows the string "0" grey and without an arrow
    return f"{round(change):+,}{unit}"


def signed_points(change: float | None) -> str | None:
    """A change in a share as percentage points with its sign; None when unknown."""
    if change is None or math.isnan(change):
        return None
    if round(change * 100, 1) == 0:
        return "0"
    return f"{change * 100:+.1f} 个百分点"


def yuan(value: float) -> str:
    return f"{value:,.0f} 元"


def rank_change(change: float | None) -> str:
    """↑2 (moved up two places), ↓1, — (unchanged) or 新 (not ranked last month)."""
    if change is None or math.isnan(change):
        return "新"
    if change == 0:
        return "—"
    return f"↑{int(change)}" if change > 0 else f"↓{int(-change)}"
