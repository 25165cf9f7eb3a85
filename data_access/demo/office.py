"""What the county office issues and enters: 通报 (circulars), milestones, yearly benchmarks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import numpy as np

from data_access.demo.county import County
from data_access.demo.plan import DAY, Timeline, month_end, random_days, stream, year_start
from data_access.models import BenchmarkIndicator, CircularColor, CircularTarget

ISSUE_CHANCE_PER_MONTH = 0.7
TOWNSHIP_TARGET_SHARE = 0.55
# Chance weights of naming a strong or a weak target on each list.
TARGET_WEIGHTS = {CircularColor.RED: (1.0, 0.08), CircularColor.BLACK: (0.05, 1.0)}
# Share of units that are weak enough to be named on the 黑榜 this often in the current year,
# reaching the 约谈 threshold.
SUMMONED_UNIT_SHARE = 2 / 60
SUMMONED_CIRCULARS = (3, 4)
REASONS = {
    (CircularTarget.TOWNSHIP, CircularColor.RED): (
        "{month}收支登记完成率位居全县前列",
        "帮扶干部入户走访到位，群众认可度高",
        "问题整改按期销号，整改成效明显",
        "防返贫动态监测专题研究会按月召开、记录规范",
    ),
    (CircularTarget.TOWNSHIP, CircularColor.BLACK): (
        "{month}收支登记完成率全县排名靠后",
        "帮扶干部入户走访率低于80%",
        "整改任务逾期未销号",
        "未按月召开防返贫动态监测专题研究会",
    ),
    (CircularTarget.UNIT, CircularColor.RED): (
        "帮扶干部按月入户走访，{month}收支登记应登尽登",
        "主要领导按要求到帮扶村调研指导，帮扶措施落实有力",
        "整改任务全部按期销号",
    ),
    (CircularTarget.UNIT, CircularColor.BLACK): (
        "帮扶干部未按要求入户走访",
        "驻村工作队员脱岗，群众反映不认识驻村干部",
        "《帮扶手册》填写不规范、走访记录空白",
        "整改任务逾期未销号",
    ),
}


class _Target(NamedTuple):
    """A township or unit named in one issue of the circular (once per issue)."""

    issue: int
    kind: CircularTarget
    index: int


def circular_columns(county: County) -> dict:
    """通报 over the covered months: an issue in most months naming townships and units on the
    红榜 or 黑榜, red mostly to strong places and black to weak ones, and a few weak units named
    on the 黑榜 often enough this year to be summoned (约谈)."""
    rng = stream(county.seed, "circulars")
    issued = _issue_days(rng, county.timeline)
    named: dict[_Target, CircularColor] = {}
    for issue in range(len(issued)):
        named |= _named(rng, county, issue, rng.poisson(county.sizes.circular_targets_per_issue))
    this_year = [i for i, day in enumerate(issued) if day >= year_start(county.timeline.year)]
    for unit in _summoned_units(rng, county):
        times = int(rng.integers(SUMMONED_CIRCULARS[0], SUMMONED_CIRCULARS[1] + 1))
        for issue in rng.choice(this_year, size=min(times, len(this_year)), replace=False):
            named[_Target(int(issue), CircularTarget.UNIT, int(unit))] = CircularColor.BLACK
    targets = sorted(named)
    numbers = _document_numbers(county.settings.county.name, issued)
    is_township = np.array([t.kind == CircularTarget.TOWNSHIP for t in targets])
    index = np.array([t.index for t in targets], dtype=np.int64)
    return {
        "id": np.arange(1, len(targets) + 1),
        "doc_no": [numbers[t.issue] for t in targets],
        "issued_on": np.array([issued[t.issue] for t in targets], dtype="datetime64[D]"),
        "color": [named[t].value for t in targets],
        "target_kind": [t.kind.value for t in targets],
        "township_id": np.ma.masked_array(index + 1, mask=~is_township),
        "unit_id": np.ma.masked_array(index + 1, mask=is_township),
        "reason": [_reason(rng, t.kind, named[t], issued[t.issue]) for t in targets],
    }


def _issue_days(rng: np.random.Generator, timeline: Timeline) -> list[np.datetime64]:
    """Days the circular came out, in order: in most months, and at least SUMMONED_CIRCULARS[1]
    times this year so units can be named often enough to be summoned."""
    issued = [
        random_days(rng, month + 4 * DAY, min(month_end(month), timeline.last_day), 1)[0]
        for month in timeline.months
        if rng.random() < ISSUE_CHANCE_PER_MONTH and month + 4 * DAY <= timeline.last_day
    ]
    missing = SUMMONED_CIRCULARS[1] - sum(day >= year_start(timeline.year) for day in issued)
    if missing > 0:
        issued += list(random_days(rng, year_start(timeline.year), timeline.last_day, missing))
    return sorted(issued)


def _summoned_units(rng: np.random.Generator, county: County) -> np.ndarray:
    weak = np.flatnonzero(county.conduct.weak_units)
    count = min(weak.size, max(1, round(SUMMONED_UNIT_SHARE * county.sizes.units)))
    return rng.choice(weak, size=count, replace=False)


def _named(
    rng: np.random.Generator, county: County, issue: int, size: int
) -> dict[_Target, CircularColor]:
    """Up to ``size`` (at least one) targets named in one issue, each on the 红榜 or 黑榜."""
    conduct = county.conduct
    named = {}
    for _ in range(max(1, size)):
        color = CircularColor.RED if rng.random() < 0.5 else CircularColor.BLACK
        if rng.random() < TOWNSHIP_TARGET_SHARE:
            kind, weak = CircularTarget.TOWNSHIP, conduct.weak_townships
        else:
            kind, weak = CircularTarget.UNIT, conduct.weak_units
        strong_weight, weak_weight = TARGET_WEIGHTS[color]
        weights = np.where(weak, weak_weight, strong_weight)
        named[_Target(issue, kind, int(rng.choice(weak.size, p=weights / weights.sum())))] = color
    return named


def _document_numbers(county_name: str, issued: list[np.datetime64]) -> list[str]:
    """云衔督通〔2026〕12号: numbered within each year in order of issue."""
    numbers, counts = [], {}
    for day in issued:
        year = day.astype(object).year
        counts[year] = counts.get(year, 0) + 1
        numbers.append(f"{county_name[0]}衔督通〔{year}〕{counts[year]}号")
    return numbers


def _reason(
    rng: np.random.Generator, kind: CircularTarget, color: CircularColor, day: np.datetime64
) -> str:
    options = REASONS[(kind, color)]
    month = (np.datetime64(day, "M") - 1).astype(object).month
    return options[int(rng.integers(0, len(options)))].format(month=f"{month}月")


def milestone_columns(as_of: date) -> dict:
    """Deadlines placed around the as-of day so every countdown is live, and a few past ones."""
    milestones = [
        (
            "省级交叉检查",
            as_of + timedelta(days=12),
            "省级交叉检查组进驻，重点核查监测帮扶、收支登记和问题整改",
        ),
        ("整改清零", as_of + timedelta(days=20), "交叉检查和暗访发现的问题全部整改销号"),
        (
            "国家考核评估（年底）",
            as_of + timedelta(days=40),
            "国家和省级巩固脱贫成果后评估，迎检资料备齐、问题清零",
        ),
        ("9月底收入统计", _next(as_of, 9, 30), "统计当年度脱贫人口（含监测对象）人均纯收入"),
        ("11月考核评估", _next(as_of, 11, 15), "对照省、市考核细则开展考核评估"),
        ("上年度考核反馈问题整改完成", _last(as_of, 7, 10), "国家考核评估反馈问题全部完成整改"),
        ("上半年收支核对", _last(as_of, 6, 30), "核对上半年收支情况，漏登错登在APP上校正"),
        ("县级交叉检查", as_of - timedelta(days=60), "县级组织对各乡镇开展交叉检查"),
    ]
    milestones.sort(key=lambda m: m[1])
    return {
        "id": np.arange(1, len(milestones) + 1),
        "name": [m[0] for m in milestones],
        "due_on": np.array([m[1] for m in milestones], dtype="datetime64[D]"),
        "description": [m[2] for m in milestones],
    }


def _next(after: date, month: int, day: int) -> date:
    """The first ``month``/``day`` strictly after ``after``."""
    candidate = date(after.year, month, day)
    return candidate if candidate > after else date(after.year + 1, month, day)


def _last(before: date, month: int, day: int) -> date:
    """The latest ``month``/``day`` strictly before ``before``."""
    candidate = date(before.year, month, day)
    return candidate if candidate < before else date(before.year - 1, month, day)


# The county's rural disposable income in 2022 (the speech's reference) and yearly growth
# ranges in percent: county ahead of the province, as "两个高于" needs.
COUNTY_RURAL_INCOME_2022 = 15_111.0
GROWTH_RANGES = {
    BenchmarkIndicator.COUNTY_RURAL_INCOME_GROWTH: (6.5, 7.4),
    BenchmarkIndicator.PROVINCE_RURAL_INCOME_GROWTH: (5.8, 6.4),
    BenchmarkIndicator.COUNTY_GDP_GROWTH: (5.6, 7.0),
    BenchmarkIndicator.REGION_GDP_GROWTH: (5.0, 5.5),
}
BENCHMARK_SOURCE = "县统计局（演示）"


def benchmark_columns(county: County) -> dict:
    """Benchmarks of the last two years and this one; the county's income compounds its growth
    from the 2022 figure."""
    rng = stream(county.seed, "benchmarks")
    this_year = county.timeline.year
    years = range(min(this_year - 2, 2022), this_year + 1)
    growth = {
        year: {name: round(float(rng.uniform(*r)), 1) for name, r in GROWTH_RANGES.items()}
        for year in years
    }
    level = {years[0]: 1.0}
    for year in years[1:]:
        rate = growth[year][BenchmarkIndicator.COUNTY_RURAL_INCOME_GROWTH]
        level[year] = level[year - 1] * (1 + rate / 100)
    rows = [
        (year, name, value)
        for year in years[-3:]
        for name, value in {
            BenchmarkIndicator.COUNTY_RURAL_INCOME: round(
                COUNTY_RURAL_INCOME_2022 * level[year] / level[2022]
            ),
            **growth[year],
        }.items()
    ]
    return {
        "year": np.array([r[0] for r in rows]),
        "indicator": [r[1].value for r in rows],
        "value": np.array([float(r[2]) for r in rows]),
        "source": [BENCHMARK_SOURCE] * len(rows),
    }
