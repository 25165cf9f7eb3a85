"""Ranking arithmetic on hand-built frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from data_access.scoring import (
    TIE_BREAK_RULE,
    ScoringRules,
    composite_scores,
    indicator_scores,
    rank_entities,
    red_black_lists,
    traffic_light,
)

INDICATORS = ("registers", "visits")
RULES = ScoringRules(
    weights={"registers": 0.5, "visits": 0.5},
    targets={"registers": 1.0, "visits": 0.9},
    red_circular_points=2.0,
    black_circular_points=3.0,
)


def entities(*rows: dict) -> pd.DataFrame:
    base = {"red_circulars": 0, "black_circulars": 0, "overdue": 0}
    return pd.DataFrame([base | {"code": f"T{i}"} | row for i, row in enumerate(rows)])


def scored(frame: pd.DataFrame, rules: ScoringRules = RULES) -> pd.DataFrame:
    return composite_scores(indicator_scores(frame, INDICATORS, rules), INDICATORS, rules)


def counts(registers: tuple[int, int], visits: tuple[int, int]) -> dict:
    return {
        "registers_num": registers[0],
        "registers_den": registers[1],
        "visits_num": visits[0],
        "visits_den": visits[1],
    }


def test_an_entity_meeting_every_target_scores_100_on_each_component():
    result = scored(entities(counts((100, 100), (95, 100))))
    assert result.loc[0, "registers_score"] == 100
    assert result.loc[0, "visits_score"] == 100  # 95 % against a 90 % target
    assert result.loc[0, "composite"] == pytest.approx(100)


def test_contributions_add_up_to_the_composite():
    result = scored(entities(counts((80, 100), (45, 100)) | {"red_circulars": 1}))
    points = result.loc[0, "registers_points"] + result.loc[0, "visits_points"]
    assert points == pytest.approx(0.5 * 80 + 0.5 * 50)
    assert result.loc[0, "composite"] == pytest.approx(points + 2.0)


def test_black_circulars_subtract_points():
    result = scored(entities(counts((100, 100), (90, 100)) | {"black_circulars": 2}))
    assert result.loc[0, "composite"] == pytest.approx(94)


def test_weights_change_the_ranks_as_expected():
    frame = entities(counts((100, 100), (45, 100)), counts((60, 100), (90, 100)))
    by_registers = ScoringRules({"registers": 0.9, "visits": 0.1}, RULES.targets, 2.0, 3.0)
    by_visits = ScoringRules({"registers": 0.1, "visits": 0.9}, RULES.targets, 2.0, 3.0)
    assert rank_entities(scored(frame, by_registers))["code"].tolist() == ["T0", "T1"]
    assert rank_entities(scored(frame, by_visits))["code"].tolist() == ["T1", "T0"]


def test_ties_follow_the_written_rule():
    tied = entities(
        counts((90, 100), (90, 100)) | {"overdue": 3},
        counts((90, 100), (90, 100)) | {"overdue": 1},
        counts((90, 100), (90, 100)) | {"overdue": 1},
    )
    ranked = rank_entities(scored(tied))
    # Same composite: fewer overdue items first, then (all else equal) the code.
    assert ranked["code"].tolist() == ["T1", "T2", "T0"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert "逾期未整改问题少者在前" in TIE_BREAK_RULE


def test_a_missing_indicator_marks_incompleteness_instead_of_counting_as_zero():
    result = scored(entities(counts((80, 100), (0, 0))))
    assert math.isnan(result.loc[0, "visits_rate"])
    assert result.loc[0, "incomplete"] == ["visits"]
    assert result.loc[0, "composite"] == pytest.approx(80)  # the mean of what has data


def test_an_entity_without_any_data_ranks_last():
    frame = entities(counts((0, 0), (0, 0)), counts((10, 100), (10, 100)))
    ranked = rank_entities(scored(frame))
    assert ranked["code"].tolist() == ["T1", "T0"]


def test_red_and_black_lists_never_overlap():
    ranked = rank_entities(scored(entities(*[counts((i, 10), (i, 10)) for i in range(5)])))
    red, black = red_black_lists(ranked, 3)
    assert len(red) == len(black) == 2
    assert set(red["code"]).isdisjoint(black["code"])
    assert black.iloc[0]["rank"] == 5  # the worst first


@pytest.mark.parametrize(
    ("score", "light"),
    [(95, "green"), (90, "green"), (89.9, "yellow"), (75, "yellow"), (10, "red")],
)
def test_traffic_lights_follow_the_thresholds(score, light):
    assert traffic_light(score, green_at=90, yellow_at=75) == light
