"""Weighted sampling without replacement (A-ES) and recusal-aware team assignment (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from data_access.sampling import (
    InspectorTies,
    NotEnoughInspectorsError,
    SamplingError,
    VillageTies,
    assign_teams,
    draw_villages,
    generator_for,
    is_recused,
    sampling_keys,
    weighted_sample,
)

WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0])


def test_single_draw_frequencies_approach_the_weights():
    trials = 20_000
    uniforms = 1.0 - generator_for("frequencies", "test").random((trials, WEIGHTS.size))
    first = sampling_keys(WEIGHTS, uniforms).argmax(axis=1)
    frequencies = np.bincount(first, minlength=WEIGHTS.size) / trials
    assert np.abs(frequencies - WEIGHTS / WEIGHTS.sum()).max() < 0.01


def test_frequencies_over_many_seeds_approach_the_weights_through_the_full_path():
    seeds = 4_000
    firsts = [
        weighted_sample([1, 2, 3, 4], WEIGHTS.tolist(), 1, generator_for(f"seed-{n}", "v"))[0]
        for n in range(seeds)
    ]
    frequencies = np.bincount(firsts, minlength=5)[1:] / seeds
    assert np.abs(frequencies - WEIGHTS / WEIGHTS.sum()).max() < 0.025


def test_a_second_pick_follows_the_weights_left_in_the_pool():
    # Without replacement: after 4 (weight 4) is taken, 3 is next with chance 3 / 6.
    trials = 20_000
    uniforms = 1.0 - generator_for("second", "test").random((trials, WEIGHTS.size))
    order = np.argsort(-sampling_keys(WEIGHTS, uniforms), axis=1)
    after_four = order[order[:, 0] == 3]
    share_three = np.mean(after_four[:, 1] == 2)
    assert abs(share_three - 3 / 6) < 0.02


def test_zero_weight_is_never_drawn_while_positive_weights_remain():
    ids, weights = [1, 2, 3, 4, 5, 6], [0.0, 1.0, 0.0, 0.2, 3.0, 0.0]
    for n in range(300):
        assert set(weighted_sample(ids, weights, 3, generator_for(str(n), "v"))) == {2, 4, 5}


def test_zero_weights_fill_up_only_after_every_positive_one():
    ids, weights = [1, 2, 3, 4], [0.0, 1.0, 0.0, 2.0]
    drawn = weighted_sample(ids, weights, 3, generator_for("fill", "v"))
    assert set(drawn[:2]) == {2, 4}
    assert drawn[2] in {1, 3}


def test_identical_inputs_give_identical_draws_and_input_order_does_not_matter():
    ids, weights = list(range(1, 51)), [float(i % 7) for i in range(1, 51)]
    first = weighted_sample(ids, weights, 10, generator_for("agreed", "villages"))
    again = weighted_sample(ids, weights, 10, generator_for("agreed", "villages"))
    shuffled = weighted_sample(ids[::-1], weights[::-1], 10, generator_for("agreed", "villages"))
    assert first == again == shuffled


def test_different_seeds_give_different_draws():
    ids, weights = list(range(1, 201)), [1.0] * 200
    draws = {
        tuple(weighted_sample(ids, weights, 2, generator_for(f"s{n}", "villages")))
        for n in range(50)
    }
    assert len(draws) >= 45


def test_stages_of_one_seed_draw_from_independent_streams():
    assert generator_for("x", "villages").random() != generator_for("x", "households").random()


def test_a_sample_has_no_repeats_and_never_more_than_the_candidates():
    drawn = weighted_sample([5, 6, 7], [1.0, 1.0, 1.0], 10, generator_for("x", "v"))
    assert sorted(drawn) == [5, 6, 7]


@pytest.mark.parametrize(
    ("ids", "weights"),
    [([1, 2], [1.0, -1.0]), ([1, 1], [1.0, 1.0]), ([1, 2], [1.0]), ([1], [float("nan")])],
)
def test_invalid_candidates_are_refused(ids, weights):
    with pytest.raises(SamplingError):
        weighted_sample(ids, weights, 1, generator_for("x", "v"))


def _random_ties(rng: np.random.Generator) -> tuple[list[VillageTies], list[InspectorTies]]:
    villages = [
        VillageTies(v, int(rng.integers(1, 6)), frozenset({int(rng.integers(1, 10))}))
        for v in range(1, 5)
    ]
    inspectors = [
        InspectorTies(i, int(rng.integers(1, 10)), int(rng.integers(1, 6))) for i in range(1, 21)
    ]
    return villages, inspectors


def test_no_inspector_is_sent_where_recusal_applies_nor_to_two_villages():
    for n in range(200):
        villages, inspectors = _random_ties(generator_for(str(n), "ties"))
        teams = assign_teams(villages, inspectors, 2, generator_for(str(n), "teams"))
        by_id = {i.inspector_id: i for i in inspectors}
        assigned = [i for team in teams.values() for i in team]
        assert len(assigned) == len(set(assigned)) == 8
        for village in villages:
            assert not any(is_recused(by_id[i], village) for i in teams[village.village_id])


@pytest.mark.parametrize(
    ("inspector", "recused"),
    [
        (InspectorTies(1, unit_id=9, home_township_id=3), True),
        (InspectorTies(1, unit_id=7, home_township_id=1), True),
        (InspectorTies(1, unit_id=9, home_township_id=1), False),
        (InspectorTies(1, unit_id=None, home_township_id=None), False),
    ],
)
def test_recusal_covers_the_home_township_and_the_paired_unit(inspector, recused):
    village = VillageTies(10, township_id=3, unit_ids=frozenset({7}))
    assert is_recused(inspector, village) is recused


def test_a_village_nobody_may_inspect_is_named_in_the_error():
    village = VillageTies(42, township_id=3, unit_ids=frozenset())
    everyone_local = [InspectorTies(i, None, 3) for i in range(1, 6)]
    with pytest.raises(NotEnoughInspectorsError, match="42"):
        assign_teams([village], everyone_local, 2, generator_for("x", "teams"))


def test_a_minimum_per_township_draws_from_every_township_first():
    weights = {v: 1.0 + (v % 3) for v in range(1, 31)}
    township_of = {v: 1 + (v - 1) // 10 for v in weights}
    for n in range(50):
        drawn = draw_villages(
            weights=weights,
            township_of=township_of,
            count=4,
            min_per_township=1,
            rng=generator_for(str(n), "villages"),
        )
        assert len(set(drawn)) == 4
        assert {township_of[v] for v in drawn} == {1, 2, 3}


def test_a_minimum_needing_more_villages_than_drawn_is_refused():
    weights = {1: 1.0, 2: 1.0, 3: 1.0}
    with pytest.raises(SamplingError, match="超过抽取村数"):
        draw_villages(
            weights=weights,
            township_of={1: 1, 2: 2, 3: 3},
            count=2,
            min_per_township=1,
            rng=generator_for("x", "villages"),
        )
