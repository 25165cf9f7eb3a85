"""How diligently each township and unit works: the demo's strong and weak places.

A few townships are weak in everything (registers, visits, tours, meetings, paperwork,
rectification, somewhat lower incomes), so every ranking and list of the dashboard shows the same
laggards, as a real county would. Which ones is drawn from the seed; the database never stores it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Share of townships (and of units) that are weak.
WEAK_TOWNSHIP_SHARE = 4 / 18
WEAK_UNIT_SHARE = 0.1

# Range of each township rate: (strong low, strong high), (weak low, weak high).
TOWNSHIP_RATE_RANGES = {
    "register_on_time": ((0.97, 0.99), (0.72, 0.85)),
    "helper_visits": ((0.96, 0.995), (0.62, 0.80)),
    "tour_completion": ((0.95, 1.00), (0.70, 0.85)),
    "grid_visits": ((0.88, 0.95), (0.62, 0.75)),
    "meetings_held": ((0.92, 0.98), (0.60, 0.72)),
    "meetings_recorded": ((0.92, 0.99), (0.70, 0.85)),
    "paperwork": ((0.9995, 0.9999), (0.993, 0.998)),
    "rectification_on_time": ((0.88, 0.96), (0.55, 0.70)),
    "income_level": ((0.98, 1.03), (0.90, 0.95)),
}
# A weak unit's cadres do this share of the visits and duties of a normal one.
WEAK_UNIT_FACTOR = (0.85, 0.93)


@dataclass(frozen=True)
class Conduct:
    """Per-township rates (one value per township, each in [0, 1] except ``income_level``) and
    per-unit factors."""

    weak_townships: np.ndarray
    weak_units: np.ndarray
    unit_factor: np.ndarray
    register_on_time: np.ndarray
    helper_visits: np.ndarray
    tour_completion: np.ndarray
    grid_visits: np.ndarray
    meetings_held: np.ndarray
    meetings_recorded: np.ndarray
    paperwork: np.ndarray
    rectification_on_time: np.ndarray
    # Multiplier of household incomes.
    income_level: np.ndarray


def draw_conduct(rng: np.random.Generator, *, townships: int, units: int) -> Conduct:
    weak_townships = _weak_members(rng, townships, WEAK_TOWNSHIP_SHARE)
    weak_units = _weak_members(rng, units, WEAK_UNIT_SHARE)
    rates = {
        name: _draw_rates(rng, weak_townships, *ranges)
        for name, ranges in TOWNSHIP_RATE_RANGES.items()
    }
    unit_factor = np.where(weak_units, rng.uniform(*WEAK_UNIT_FACTOR, size=units), 1.0)
    return Conduct(
        weak_townships=weak_townships, weak_units=weak_units, unit_factor=unit_factor, **rates
    )


def _weak_members(rng: np.random.Generator, count: int, share: float) -> np.ndarray:
    weak = np.zeros(count, dtype=bool)
    weak[rng.choice(count, size=max(1, round(count * share)), replace=False)] = True
    return weak


def _draw_rates(
    rng: np.random.Generator,
    weak: np.ndarray,
    strong_range: tuple[float, float],
    weak_range: tuple[float, float],
) -> np.ndarray:
    return np.where(
        weak, rng.uniform(*weak_range, size=len(weak)), rng.uniform(*strong_range, size=len(weak))
    )
