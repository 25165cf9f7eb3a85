"""Ranking arithmetic for the 红黑榜 (pure functions on DataFrames, no database).

Each indicator arrives as a numerator and a denominator per entity (township, village or unit).
An indicator scores ``min(share / target, 1) × 100``; the composite is the weighted mean of the
indicators that have data, plus points for 红榜 circulars and minus points for 黑榜 circulars.
An indicator without data (denominator 0) is left out of the mean, its weight shared among the
others, and the entity is marked incomplete — it is never counted as 0.

Ties are broken by the rule in ``TIE_BREAK_RULE``, which the page prints verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

TIE_BREAK_RULE = (
    "综合得分相同时，依次比较：逾期未整改问题少者在前；收支登记完整率高者在前；走访覆盖率高者在前；"
    "仍相同按单位编码排序。"
)


@dataclass(frozen=True)
class ScoringRules:
    weights: Mapping[str, float]
    targets: Mapping[str, float]
    red_circular_points: float
    black_circular_points: float


def indicator_scores(
    raw: pd.DataFrame, indicators: Sequence[str], rules: ScoringRules
) -> pd.DataFrame:
    """Adds ``<indicator>_rate`` (share, NaN without data) and ``<indicator>_score`` (0–100).

    ``raw`` holds ``<indicator>_num`` and ``<indicator>_den`` for every indicator.
    """
    added = {}
    for name in indicators:
        denominator = raw[f"{name}_den"].astype("float64")
        rate = raw[f"{name}_num"].astype("float64") / denominator.where(denominator > 0)
        added[f"{name}_rate"] = rate
        added[f"{name}_score"] = (rate / rules.targets[name]).clip(upper=1.0) * 100.0
    return with_columns(raw, added)


def with_columns(frame: pd.DataFrame, added: Mapping[str, object]) -> pd.DataFrame:
    """``frame`` with ``added`` columns (replacing any of the same name), joined in one step:
    inserting columns one at a time copies the frame's blocks each time."""
    kept = frame.drop(columns=[name for name in added if name in frame.columns])
    return pd.concat([kept, pd.DataFrame(added, index=frame.index)], axis=1)


def composite_scores(
    scored: pd.DataFrame, indicators: Sequence[str], rules: ScoringRules
) -> pd.DataFrame:
    """Adds each indicator's contribution (points of the composite), ``circular_points``,
    ``composite`` and ``incomplete`` (the weighed indicators without data, as a list: one of
    weight 0 counts for nothing, with data or without)."""
    weights = np.array([rules.weights[name] for name in indicators], dtype="float64")
    scores = scored[[f"{name}_score" for name in indicators]].to_numpy(dtype="float64")
    present = ~np.isnan(scores)
    effective = np.where(present, weights, 0.0)
    totals = effective.sum(axis=1, keepdims=True)
    shares = np.divide(effective, totals, out=np.zeros_like(effective), where=totals > 0)
    contributions = np.nan_to_num(scores) * shares
    added: dict[str, object] = {
        f"{name}_points": contributions[:, column] for column, name in enumerate(indicators)
    }
    circular_points = (
        scored["red_circulars"].to_numpy() * rules.red_circular_points
        - scored["black_circulars"].to_numpy() * rules.black_circular_points
    )
    added["circular_points"] = circular_points
    added["composite"] = (
        np.where(totals[:, 0] > 0, contributions.sum(axis=1), np.nan) + circular_points
    )
    added["incomplete"] = [
        [
            name
            for name, has, weight in zip(indicators, row, weights, strict=True)
            if not has and weight > 0
        ]
        for row in present
    ]
    return with_columns(scored, added)


def rank_entities(scored: pd.DataFrame) -> pd.DataFrame:
    """Sorted by the composite and the written tie-break rule, with ``rank`` 1..n (ties share no
    rank: the rule decides). Needs columns composite, overdue, registers_rate, visits_rate, code."""
    ordered = scored.assign(
        _composite=scored["composite"].fillna(-np.inf),
        _registers=scored["registers_rate"].fillna(-1.0),
        _visits=scored["visits_rate"].fillna(-1.0),
    ).sort_values(
        ["_composite", "overdue", "_registers", "_visits", "code"],
        ascending=[False, True, False, False, True],
        kind="mergesort",
    )
    ordered = ordered.drop(columns=["_composite", "_registers", "_visits"])
    ordered["rank"] = np.arange(1, len(ordered) + 1)
    return ordered.reset_index(drop=True)


def red_black_lists(ranked: pd.DataFrame, list_size: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The top and bottom ``list_size`` of a ranked table; they never overlap."""
    size = min(list_size, len(ranked) // 2)
    return ranked.head(size), ranked.tail(size).iloc[::-1]


def traffic_light(composite: float, *, green_at: float, yellow_at: float) -> str:
    """'green', 'yellow' or 'red' by the configured thresholds."""
    if composite >= green_at:
        return "green"
    if composite >= yellow_at:
        return "yellow"
    return "red"
