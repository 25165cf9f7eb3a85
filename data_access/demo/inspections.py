"""Past 暗访 (unannounced inspections): the draws, what the teams found, where they went.

One draw a month over the last months ("每月不少于2个村，每村不少于20户"), risk-weighted toward weak
townships, never the same village twice within the exclusion window, inspectors never sent to
their home township. One draw is discarded and replaced, as the log must show. Some findings
become 整改台账 items (source 督查暗访); the rest were put right on the spot.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from data_access.demo.arrays import optional_ids
from data_access.demo.county import County
from data_access.demo.plan import DAY, office_times, stream
from data_access.demo.rectification import CATEGORY_INDEX, Problems
from data_access.models import ProblemSource

DRAW_MONTHS = 6
VILLAGES_PER_DRAW = 2
HOUSEHOLDS_PER_VILLAGE = 20
INSPECTORS_PER_DRAW = 4
EXCLUDE_DAYS = 90
WEAK_TOWNSHIP_RISK_WEIGHT = 2.0
DRAWN_BY = "县委督查室"
RECORDED_BY = "县委督查室暗访组"
# The draw of this month (counted back from the latest) was discarded and drawn again.
DISCARDED_DRAW = 3
FINDING_CHANCE = {"strong": 0.12, "weak": 0.30}
VILLAGE_FINDING_CHANCE = 0.5
BECOMES_ITEM_CHANCE = 0.7
# What a team finds at a household or in the village, and the ledger category it belongs to.
HOUSEHOLD_FINDINGS = (
    ("户主反映帮扶干部近两个月未入户走访", "防返贫监测帮扶不到位"),
    ("户主不清楚帮扶干部姓名和帮扶措施", "防返贫监测帮扶不到位"),
    ("《帮扶手册》收支记录与APP登记不一致", "帮扶手册填写不规范"),
    ("《政策受益明白卡》未上墙", "帮扶手册填写不规范"),
    ("上月收支未登记", "收入登记不全面"),
    ("家庭成员患慢性病未办理慢性病卡", "慢性病卡办理"),
)
VILLAGE_FINDINGS = (
    ("村级防返贫动态监测专题研究会记录不全", "整改台账不规范"),
    ("驻村工作队员不在岗，村委无人值守", "驻村工作队员不熟悉情况、脱岗"),
    ("整改台账未及时更新，问题清单未认领", "整改台账不规范"),
)


class Finding(NamedTuple):
    draw_id: int
    village: int
    # -1 for a finding about the village itself.
    household: int
    day: np.datetime64
    text: str
    category: str


@dataclass(frozen=True)
class Draw:
    drawn_at: np.datetime64
    planned_on: np.datetime64
    seed: str
    parameters: dict
    input_hash: str
    villages: np.ndarray
    households: np.ndarray
    inspectors: list[int]
    # Index of the discarded draw this one replaces.
    replaces: int | None


@dataclass(frozen=True)
class Inspections:
    draws: list[Draw]
    findings: list[Finding]
    # The problem each finding raised in the ledger, or -1: finding rows are written once the
    # ledger has given those problems item ids.
    finding_problem: np.ndarray
    problems: Problems
    last_inspected_on: np.ndarray


def build_inspections(county: County) -> Inspections:
    rng = stream(county.seed, "inspections")
    places, timeline = county.places, county.timeline
    weak_village = county.conduct.weak_townships[places.village_township]
    last_inspected = np.full(places.village_count, np.datetime64("NaT", "D"))
    draws: list[Draw] = []
    findings: list[Finding] = []
    latest = np.datetime64(timeline.as_of, "M")
    for back in range(DRAW_MONTHS, 0, -1):
        month = (latest - back).astype("datetime64[D]")
        drawn_on = month + 2 * DAY
        recently = drawn_on - last_inspected < EXCLUDE_DAYS * DAY
        candidates = np.flatnonzero(~recently)
        drawn_at = office_times(rng, np.array([drawn_on]))[0]
        draw = _draw(rng, county, drawn_at, candidates, weak_village, replaces=None)
        if back == DISCARDED_DRAW:
            draws.append(draw)
            drawn_again_at = drawn_at + np.timedelta64(int(rng.integers(20, 90)), "m")
            draw = _draw(
                rng, county, drawn_again_at, candidates, weak_village, replaces=len(draws) - 1
            )
        draws.append(draw)
        last_inspected[draw.villages] = draw.planned_on
        findings.extend(_findings(rng, county, len(draws), draw))
    problems, finding_problem = _problems(rng, county, findings)
    return Inspections(
        draws=draws,
        findings=findings,
        finding_problem=finding_problem,
        problems=problems,
        last_inspected_on=last_inspected,
    )


def _draw(
    rng: np.random.Generator,
    county: County,
    drawn_at: np.datetime64,
    candidates: np.ndarray,
    weak_village: np.ndarray,
    *,
    replaces: int | None,
) -> Draw:
    """One draw: villages by risk weight, households in each, inspectors from elsewhere."""
    places = county.places
    weights = np.where(weak_village[candidates], WEAK_TOWNSHIP_RISK_WEIGHT, 1.0)
    count = min(VILLAGES_PER_DRAW, candidates.size)
    villages = np.sort(rng.choice(candidates, size=count, replace=False, p=weights / weights.sum()))
    households = np.concatenate(
        [
            places.first_household[v]
            + np.sort(
                rng.choice(
                    places.households[v],
                    size=min(HOUSEHOLDS_PER_VILLAGE, places.households[v]),
                    replace=False,
                )
            )
            for v in villages
        ]
    )
    parameters = {
        "month": str(np.datetime64(drawn_at, "M")),
        "villages": VILLAGES_PER_DRAW,
        "households_per_village": HOUSEHOLDS_PER_VILLAGE,
        "exclude_days": EXCLUDE_DAYS,
        "risk_weighted": True,
    }
    inputs = json.dumps({"parameters": parameters, "candidates": (candidates + 1).tolist()})
    return Draw(
        drawn_at=drawn_at,
        planned_on=np.datetime64(drawn_at, "D") + int(rng.integers(2, 7)) * DAY,
        seed=f"{int(rng.integers(0, 2**63)):016x}",
        parameters=parameters,
        input_hash=hashlib.sha256(inputs.encode()).hexdigest(),
        villages=villages,
        households=households,
        inspectors=_inspectors(rng, county, villages),
        replaces=replaces,
    )


def _inspectors(rng: np.random.Generator, county: County, villages: np.ndarray) -> list[int]:
    """Ids of active inspectors whose home is none of the drawn villages' townships (回避)."""
    pool = county.inspectors
    allowed = np.flatnonzero(
        pool.active & ~np.isin(pool.home_township, county.places.village_township[villages])
    )
    size = min(INSPECTORS_PER_DRAW, allowed.size)
    return sorted((rng.choice(allowed, size=size, replace=False) + 1).tolist())


def _findings(rng: np.random.Generator, county: County, draw_id: int, draw: Draw) -> list[Finding]:
    """What the team found on the planned day, at drawn households and in the villages."""
    households = county.households
    day = draw.planned_on
    weak = county.conduct.weak_townships[households.township[draw.households]]
    chance = np.where(weak, FINDING_CHANCE["weak"], FINDING_CHANCE["strong"])
    found = draw.households[rng.random(chance.size) < chance]
    at_households = [
        Finding(draw_id, int(households.village[h]), int(h), day, *_pick(rng, HOUSEHOLD_FINDINGS))
        for h in found
    ]
    in_villages = [
        Finding(draw_id, int(v), -1, day, *_pick(rng, VILLAGE_FINDINGS))
        for v in draw.villages
        if rng.random() < VILLAGE_FINDING_CHANCE
    ]
    return at_households + in_villages


def _pick(rng: np.random.Generator, options: tuple) -> tuple[str, str]:
    return options[int(rng.integers(0, len(options)))]


def _problems(
    rng: np.random.Generator, county: County, findings: list[Finding]
) -> tuple[Problems, np.ndarray]:
    """The findings that go into the 整改台账, and for each finding its problem index (or -1)."""
    places = county.places
    becomes_item = rng.random(len(findings)) < BECOMES_ITEM_CHANCE
    chosen = [f for f, keep in zip(findings, becomes_item, strict=True) if keep]
    village = np.array([f.village for f in chosen], dtype=np.int64)
    problems = Problems(
        source=np.full(len(chosen), ProblemSource.UNANNOUNCED.value, dtype=object),
        township=places.village_township[village],
        village=village,
        found_on=np.array([f.day for f in chosen], dtype="datetime64[D]"),
        category=np.array([CATEGORY_INDEX[f.category] for f in chosen], dtype=np.int64),
        description=[
            places.township_name[places.village_township[f.village]]
            + places.village_name[f.village]
            + ("暗访抽查农户发现：" if f.household >= 0 else "暗访发现：")
            + f.text
            for f in chosen
        ],
    )
    finding_problem = np.where(becomes_item, np.cumsum(becomes_item) - 1, -1)
    return problems, finding_problem


def draw_columns(inspections: Inspections) -> dict:
    draws = inspections.draws
    return {
        "id": np.arange(1, len(draws) + 1),
        "drawn_at": np.array([d.drawn_at for d in draws], dtype="datetime64[s]"),
        "drawn_by": [DRAWN_BY] * len(draws),
        "planned_on": np.array([d.planned_on for d in draws], dtype="datetime64[D]"),
        "seed": [d.seed for d in draws],
        "parameters": [d.parameters for d in draws],
        "input_hash": [d.input_hash for d in draws],
        "result": [
            {
                "village_ids": (d.villages + 1).tolist(),
                "household_ids": (d.households + 1).tolist(),
                "inspector_ids": d.inspectors,
            }
            for d in draws
        ],
        "replaces_draw_id": optional_ids(
            np.array([-1 if d.replaces is None else d.replaces for d in draws])
        ),
    }


def finding_columns(inspections: Inspections, given_items: np.ndarray) -> dict:
    """inspection_findings, linked to the ledger items their problems became."""
    findings = inspections.findings
    problem = inspections.finding_problem
    item = np.where(problem >= 0, given_items[np.maximum(problem, 0)], -1)
    household = np.array([f.household for f in findings], dtype=np.int64)
    return {
        "id": np.arange(1, len(findings) + 1),
        "draw_id": np.array([f.draw_id for f in findings], dtype=np.int64),
        "village_id": np.array([f.village for f in findings], dtype=np.int64) + 1,
        "household_id": optional_ids(household),
        "inspected_on": np.array([f.day for f in findings], dtype="datetime64[D]"),
        "description": [f.text for f in findings],
        "rectification_item_id": optional_ids(item),
        "recorded_by": [RECORDED_BY] * len(findings),
    }
