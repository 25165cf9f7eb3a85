"""Weighted random sampling for 暗访 draws (pure: no database, no clock, no global state).

Method: Efraimidis and Spirakis, "Weighted random sampling with a reservoir" (Information
Processing Letters 97, 2006), algorithm A-ES. Each candidate i with weight w_i > 0 gets the key
u_i^(1/w_i), u_i uniform on (0, 1); the k largest keys are the sample. This draws without
replacement with the same probabilities as picking one candidate at a time with probability
w_i / (sum of the weights still in the pool). Keys are compared as log(u_i) / w_i, the same order
without underflow for small weights.

Candidates of weight 0 are drawn only once every candidate of positive weight has been taken, in
uniformly random order: a village without risk is never drawn while a riskier one is eligible.

Randomness comes from a numpy Generator (PCG64) seeded with the SHA-256 of the draw's seed string
and a stage name, so the same seed always gives the same draw and each stage (villages,
households, inspectors) has its own independent stream. Candidates are sorted by id before
drawing, so the order in which the database returned them does not matter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

METHOD = "A-ES (Efraimidis–Spirakis) · SHA-256 种子 · numpy PCG64"


class SamplingError(ValueError):
    """The draw cannot be made with the given candidates and sizes."""


class NotEnoughInspectorsError(SamplingError):
    """Too few inspectors free of conflicts of interest to staff every drawn village."""


def generator_for(seed: str, stage: str) -> np.random.Generator:
    """A Generator determined by ``seed`` and ``stage`` alone (SHA-256 of "seed|stage")."""
    digest = hashlib.sha256(f"{seed}|{stage}".encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest, "big")))


def sampling_keys(weights: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """A-ES keys log(u) / w (larger is drawn first); weight 0 gives −inf. Broadcasts, so a
    matrix of uniforms (one row per trial) gives the keys of many draws at once."""
    weights = np.asarray(weights, dtype=float)
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise SamplingError("权重必须为有限的非负数")
    with np.errstate(divide="ignore"):
        return np.where(
            weights > 0, np.log(uniforms) / np.where(weights > 0, weights, 1.0), -np.inf
        )


def weighted_sample(
    ids: Sequence[int], weights: Sequence[float], size: int, rng: np.random.Generator
) -> list[int]:
    """``size`` distinct ids (all of them when fewer), in the order drawn.

    Positive weights are drawn with probability proportional to weight, without replacement;
    zero weights only after every positive one, uniformly. Raises SamplingError on a negative
    weight or duplicate ids.
    """
    if len(ids) != len(weights):
        raise SamplingError("候选对象与权重的数量不一致")
    if len(set(ids)) != len(ids):
        raise SamplingError("候选对象有重复")
    if size <= 0 or not ids:
        return []
    order = np.argsort(np.asarray(ids, dtype=np.int64), kind="stable")
    sorted_ids = np.asarray(ids, dtype=np.int64)[order]
    sorted_weights = np.asarray(weights, dtype=float)[order]
    # Open interval (0, 1): log(0) would tie every zero draw at −inf.
    uniforms = 1.0 - rng.random(sorted_ids.size)
    keys = sampling_keys(sorted_weights, uniforms)
    # Zero weights: ranked among themselves by a second uniform, after every positive key.
    tiebreak = rng.random(sorted_ids.size)
    ranking = np.lexsort((-tiebreak, -keys))
    return sorted_ids[ranking[:size]].tolist()


@dataclass(frozen=True)
class VillageTies:
    """What a drawn village is tied to: its township and the units paired with it (定点帮扶)."""

    village_id: int
    township_id: int
    unit_ids: frozenset[int]


@dataclass(frozen=True)
class InspectorTies:
    """An inspector's possible conflicts of interest: their unit and home township."""

    inspector_id: int
    unit_id: int | None
    home_township_id: int | None


def is_recused(inspector: InspectorTies, village: VillageTies) -> bool:
    """True when the inspector must not inspect the village (回避): it lies in their home
    township, or their unit is paired with it."""
    return inspector.home_township_id == village.township_id or (
        inspector.unit_id is not None and inspector.unit_id in village.unit_ids
    )


def assign_teams(
    villages: Sequence[VillageTies],
    inspectors: Sequence[InspectorTies],
    team_size: int,
    rng: np.random.Generator,
) -> dict[int, list[int]]:
    """A team of ``team_size`` inspectors per village, drawn uniformly from those not recused;
    nobody serves two villages (the teams go out the same day).

    Villages with the fewest eligible inspectors are staffed first, so a scarce inspector is not
    used up elsewhere. Returns village id → sorted inspector ids, in the villages' order. Raises
    NotEnoughInspectorsError naming the village that cannot be staffed.
    """
    pool = sorted(inspectors, key=lambda i: i.inspector_id)
    eligible = {
        v.village_id: [i.inspector_id for i in pool if not is_recused(i, v)] for v in villages
    }
    taken: set[int] = set()
    teams: dict[int, list[int]] = {}
    for village in sorted(villages, key=lambda v: (len(eligible[v.village_id]), v.village_id)):
        free = [i for i in eligible[village.village_id] if i not in taken]
        if len(free) < team_size:
            raise NotEnoughInspectorsError(
                f"村 {village.village_id} 需要 {team_size} 名无回避关系的检查人员，"
                f"人员库中仅剩 {len(free)} 名；请扩大人员库或减少抽取村数、每组人数"
            )
        team = weighted_sample(free, [1.0] * len(free), team_size, rng)
        taken.update(team)
        teams[village.village_id] = sorted(team)
    return {v.village_id: teams[v.village_id] for v in villages}


def draw_villages(
    *,
    weights: Mapping[int, float],
    township_of: Mapping[int, int],
    count: int,
    min_per_township: int,
    rng: np.random.Generator,
) -> list[int]:
    """``count`` villages by weight; with ``min_per_township`` > 0, first that many from every
    township with candidates (by weight within the township, townships in id order), then the
    rest county-wide. Returns the ids in the order drawn. Raises SamplingError when the minimum
    needs more villages than ``count``."""
    townships = sorted({township_of[v] for v in weights})
    if min_per_township * len(townships) > count:
        raise SamplingError(
            f"每个乡镇至少 {min_per_township} 个村，{len(townships)} 个乡镇共需 "
            f"{min_per_township * len(townships)} 个村，超过抽取村数 {count}"
        )
    drawn: list[int] = []
    if min_per_township > 0:
        for township in townships:
            members = sorted(v for v in weights if township_of[v] == township)
            drawn += weighted_sample(members, [weights[v] for v in members], min_per_township, rng)
    rest = sorted(v for v in weights if v not in set(drawn))
    drawn += weighted_sample(rest, [weights[v] for v in rest], count - len(drawn), rng)
    return drawn
