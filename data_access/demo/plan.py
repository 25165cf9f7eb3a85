"""What the demo generates: sizes for a scale, the period covered, and the random streams."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np

DAY = np.timedelta64(1, "D")
MONTHS_COVERED = 24
# The office extracts the data at this hour of the as-of day (as the speech has it: "提取至…").
EXTRACTION_TIME = time(18, 0)


def stream(seed: int, purpose: str) -> np.random.Generator:
    """The random generator for one part of the county.

    Each part draws from its own stream, derived from the seed and the part's name, so adding a
    draw to one part never changes another part's data.
    """
    return np.random.default_rng([seed, *purpose.encode()])


@dataclass(frozen=True)
class Sizes:
    """How many of each thing a county of a given scale has (scale 1 ≈ 24,000 households)."""

    townships: int
    villages: int
    households: int
    units: int
    inspectors: int
    rectification_items: int
    circular_targets_per_issue: float
    data_suspects: int


def sizes_for(scale: float) -> Sizes:
    """Counts that grow linearly with ``scale``, with floors that keep a tiny county sensible.

    Raises ValueError for a scale that is not positive.
    """
    if not scale > 0:
        raise ValueError(f"规模必须大于 0，实为 {scale}")
    townships = max(4, round(18 * scale))
    villages = max(2 * townships, round(200 * scale))
    # Every unit pairs with 2–5 villages, which bounds the number of units both ways.
    units = min(max(round(60 * scale), math.ceil(villages / 5)), villages // 2)
    return Sizes(
        townships=townships,
        villages=villages,
        households=max(40 * villages, round(24_000 * scale)),
        units=units,
        inspectors=max(8, round(40 * scale)),
        rectification_items=max(60, round(3_000 * scale)),
        circular_targets_per_issue=max(1.5, 5.5 * scale),
        data_suspects=max(1, round(5 * scale)),
    )


@dataclass(frozen=True)
class Timeline:
    """The months the demo covers: ``MONTHS_COVERED`` months ending with the month of ``as_of``,
    and the moment the office took the data out of the system."""

    as_of: date
    extracted_at: datetime

    @property
    def months(self) -> np.ndarray:
        """First days of the covered months (datetime64[D]), oldest first."""
        last = np.datetime64(self.as_of, "M")
        return np.arange(last - (MONTHS_COVERED - 1), last + 1).astype("datetime64[D]")

    @property
    def first_day(self) -> np.datetime64:
        return self.months[0]

    @property
    def last_day(self) -> np.datetime64:
        return np.datetime64(self.as_of, "D")

    @property
    def cutoff(self) -> np.datetime64:
        """``extracted_at`` as datetime64[s]: nothing is entered after it."""
        return np.datetime64(self.extracted_at, "s")

    @property
    def year(self) -> int:
        return self.as_of.year

    @property
    def years(self) -> range:
        """Calendar years touched by the covered months."""
        return range(self.first_day.astype(object).year, self.year + 1)


class FutureAsOfError(ValueError):
    """The demo's as-of date lies after today."""


def timeline_for(as_of: date, *, now: datetime) -> Timeline:
    """The demo's timeline: data extracted on the as-of day's evening, or at ``now`` when that
    evening has not come yet (数据截至 never lies in the future).

    Raises FutureAsOfError when ``as_of`` lies after ``now``'s date.
    """
    if as_of > now.date():
        raise FutureAsOfError(f"数据截至日期 {as_of:%Y-%m-%d} 晚于今天（{now:%Y-%m-%d}）")
    return Timeline(as_of, min(datetime.combine(as_of, EXTRACTION_TIME), now))


def month_end(month: np.datetime64) -> np.datetime64:
    """Last day of the month starting on ``month`` (datetime64[D])."""
    return (np.datetime64(month, "M") + 1).astype("datetime64[D]") - DAY


def year_start(year: int) -> np.datetime64:
    return np.datetime64(f"{year}-01-01", "D")


def random_days(
    rng: np.random.Generator, start: np.datetime64, end: np.datetime64, size: int
) -> np.ndarray:
    """``size`` days drawn uniformly from ``start`` to ``end`` inclusive (datetime64[D])."""
    span = int((end - start) / DAY) + 1
    return start + rng.integers(0, span, size=size) * DAY


def office_times(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Moments within office hours (08:30–18:00) of ``days``, to the second (datetime64[s])."""
    seconds = rng.integers(8 * 3600 + 1800, 18 * 3600, size=len(days))
    return days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
