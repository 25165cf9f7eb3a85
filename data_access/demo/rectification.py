"""The 整改台账: problems found over the last ~18 months, their deadlines and status histories.

Problem categories and wording follow the speech. Each item's life is drawn first (acknowledged
after a few days, closed on time, late, or not yet), then cut at the as-of day: whatever had not
happened by then is not in the ledger, so the status, version and history always agree.
Weak townships and units acknowledge later, miss more deadlines and carry the overdue items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from data_access.demo.arrays import optional_ids, pick
from data_access.demo.county import County
from data_access.demo.people import Cadres
from data_access.demo.places import Places
from data_access.demo.plan import DAY, office_times, random_days, stream
from data_access.models import ProblemSource, RectificationKind, RectificationStatus


@dataclass(frozen=True)
class Category:
    name: str
    weight: float
    # Chances of 立行立改, 限期整改 and 长期坚持.
    kinds: tuple[float, float, float]
    # The village's assisting unit answers for it (its cadres do the work).
    unit_related: bool
    # Post of the person responsible: a Cadres attribute indexed by village.
    responsible: str
    # The national system's data checks (数据比对) can find it.
    found_by_data: bool
    problems: tuple[str, ...]
    measure: str


CATEGORIES = (
    Category(
        "防返贫监测帮扶不到位", 14, (0.6, 0.35, 0.05), True, "first_secretary", True,
        ("{village}{n}户监测户帮扶措施与风险类型不匹配，未落实针对性帮扶",
         "{village}{n}户风险未消除的监测户近两个月无新增帮扶措施"),
        "组织帮扶干部逐户入户核实风险，制定针对性帮扶措施并录入系统",
    ),
    Category(
        "监测对象纳入退出不及时不准确", 12, (0.6, 0.4, 0.0), False, "village_secretary", True,
        ("{village}{n}户突发严重困难户未及时纳入监测",
         "{village}{n}户监测户收入未持续稳定即标注风险消除"),
        "按程序开展入户核查和民主评议，及时纳入或回退监测对象",
    ),
    Category(
        "收入登记不全面", 14, (0.8, 0.2, 0.0), True, "first_secretary", True,
        ("{village}{n}户脱贫户{month}收支未按时登记，存在漏登少登",
         "{village}{n}户收支登记与《帮扶手册》记录不一致"),
        "帮扶干部逐户核对收支，补登漏登月份并同步更新手册",
    ),
    Category(
        "人均纯收入低于监测标准", 8, (0.3, 0.6, 0.1), True, "first_secretary", True,
        ("{village}{n}户脱贫户预计人均纯收入低于监测收入标准",
         "{village}{n}户脱贫户收入较上年下降，未分析原因、未落实增收措施"),
        "逐户分析收入构成，落实就业、产业、公益性岗位等增收措施",
    ),
    Category(
        "驻村工作队员不熟悉情况、脱岗", 7, (0.7, 0.3, 0.0), True, "first_secretary", False,
        ("{village}驻村工作队员对村情户情不熟悉，访谈中有群众表示不认识",
         "{village}驻村工作队员存在脱岗现象，考勤记录不实"),
        "派出单位约谈驻村队员，落实驻村考勤和遍访制度",
    ),
    Category(
        "交通补贴、产业奖补发放不及时", 7, (0.5, 0.5, 0.0), False, "village_leader", True,
        ("{village}{n}户外出务工交通补贴未按时发放",
         "{village}{n}户产业奖补资金未发放到位"),
        "核实名单和资金拨付进度，限期足额发放到户",
    ),
    Category(
        "家庭医生签约服务", 6, (0.4, 0.5, 0.1), False, "village_leader", True,
        ("{village}{n}名脱贫人口家庭医生签约后未履约服务",),
        "协调乡镇卫生院落实签约医生入户随访",
    ),
    Category(
        "慢性病卡办理", 5, (0.3, 0.6, 0.1), False, "village_leader", True,
        ("{village}{n}名慢性病患者符合条件但未办理慢性病卡",),
        "组织符合条件人员集中申报办理慢性病卡",
    ),
    Category(
        "衔接资金项目进度滞后", 5, (0.0, 0.6, 0.4), False, "township_head", True,
        ("{village}衔接资金项目开工滞后，资金支出进度低于序时进度",),
        "倒排工期，按周调度项目进度和资金支出",
    ),
    Category(
        "医疗保险参保", 5, (0.5, 0.5, 0.0), False, "village_leader", True,
        ("{village}{n}名脱贫人口未参加城乡居民基本医疗保险",),
        "逐人核实参保情况，落实资助参保政策",
    ),
    Category(
        "帮扶手册填写不规范", 9, (0.8, 0.2, 0.0), True, "first_secretary", False,
        ("{village}{n}户《帮扶手册》帮扶计划和走访记录空白",
         "{village}{n}户《政策受益明白卡》未上墙"),
        "帮扶干部入户完善手册和明白卡，帮扶单位逐本检查",
    ),
    Category(
        "整改台账不规范", 5, (0.8, 0.2, 0.0), False, "village_secretary", False,
        ("{village}整改台账不完整，未认领问题清单",
         "{village}未按月召开防返贫动态监测专题研究会，无会议记录"),
        "对照问题清单逐项认领，规范整改台账和会议记录",
    ),
)  # fmt: skip
CATEGORY_INDEX = {category.name: i for i, category in enumerate(CATEGORIES)}

SOURCE_SHARES = {
    ProblemSource.CROSS_INSPECTION: 0.28,
    ProblemSource.DATA_CHECK: 0.25,
    ProblemSource.UNANNOUNCED: 0.17,
    ProblemSource.PROVINCIAL_ASSESSMENT: 0.12,
    ProblemSource.NATIONAL_ASSESSMENT: 0.10,
    ProblemSource.PATROL: 0.08,
}
# Sources that report in batches: (month, day) of each year's batch.
SOURCE_BATCHES = {
    ProblemSource.NATIONAL_ASSESSMENT: ((3, 10),),
    ProblemSource.PROVINCIAL_ASSESSMENT: ((1, 20),),
    ProblemSource.CROSS_INSPECTION: ((6, 25), (10, 20)),
    ProblemSource.PATROL: ((5, 15),),
}
BATCH_SPREAD_DAYS = 10
# Who enters a problem into the ledger.
RECORDED_BY = {
    ProblemSource.NATIONAL_ASSESSMENT: "县乡村振兴局",
    ProblemSource.PROVINCIAL_ASSESSMENT: "县乡村振兴局",
    ProblemSource.CROSS_INSPECTION: "县交叉检查组",
    ProblemSource.UNANNOUNCED: "县委督查室",
    ProblemSource.DATA_CHECK: "县乡村振兴局",
    ProblemSource.PATROL: "县委巡察办",
}
VERIFIED_BY = "县乡村振兴局"
LEDGER_DAYS = 540
DEADLINE_DAYS = {
    RectificationKind.IMMEDIATE: (7, 15),
    RectificationKind.DEADLINE: (30, 90),
    RectificationKind.ONGOING: (120, 365),
}
TOWNSHIP_LEVEL_SHARE = 0.08
UNIT_NAMED_SHARE = 0.3
WEAK_TOWNSHIP_PROBLEM_WEIGHT = 1.7
NEVER_CLOSED = {"strong": 0.02, "weak": 0.08}
LATE_MEAN_DAYS = 25
ACKNOWLEDGE_MEAN_DAYS = {"strong": 2.0, "weak": 6.0}
NOT_YET = np.datetime64("NaT", "s")
EVIDENCE = (
    "入户核实记录、整改前后对比照片",
    "整改情况说明及佐证材料",
    "系统截图、帮扶手册复印件",
    "会议记录、签字名单",
)


@dataclass(frozen=True)
class Problems:
    """Problems to put in the ledger, one entry per problem in each field."""

    source: np.ndarray
    township: np.ndarray
    village: np.ndarray
    found_on: np.ndarray
    category: np.ndarray
    description: list[str]

    def __len__(self) -> int:
        return len(self.source)


@dataclass(frozen=True)
class Ledger:
    items: dict
    changes: dict
    # Item index of each given problem, in order.
    given_items: np.ndarray


class _Life(NamedTuple):
    """When an item was acknowledged and closed (closing may lie beyond the as-of day)."""

    acknowledged: np.ndarray
    closed: np.ndarray
    never_closed: np.ndarray


def build_ledger(county: County, given: Problems) -> Ledger:
    """``county.sizes.rectification_items`` items: the ``given`` problems plus drawn ones, in
    the order they were found."""
    rng = stream(county.seed, "rectification")
    problems = _joined(
        given, _drawn_problems(rng, county, county.sizes.rectification_items - len(given))
    )
    order = np.lexsort((np.arange(len(problems)), problems.found_on))
    problems = _reordered(problems, order)

    places, timeline = county.places, county.timeline
    category = [CATEGORIES[c] for c in problems.category]
    paired_unit = np.where(
        problems.village >= 0, places.village_unit[np.maximum(problems.village, 0)], -1
    )
    named = np.array([c.unit_related for c in category]) | (
        rng.random(len(problems)) < UNIT_NAMED_SHARE
    )
    unit = np.where(named & (paired_unit >= 0), paired_unit, -1)
    kind, span = _kinds_and_spans(rng, category)
    deadline = problems.found_on + span * DAY
    life = _life(rng, county, problems, unit, span, deadline)
    # Whatever had not happened by the extraction is not in the ledger; an item found on the
    # as-of day after it was logged at the extraction.
    created = np.minimum(office_times(rng, problems.found_on), timeline.cutoff)
    acknowledged_at = office_times(rng, life.acknowledged)
    closed_at = office_times(rng, life.closed)
    acknowledged = acknowledged_at <= timeline.cutoff
    closed = ~life.never_closed & (closed_at <= timeline.cutoff)
    moments = {
        "created": created,
        "acknowledged": np.where(acknowledged, acknowledged_at, NOT_YET),
        "closed": np.where(closed, closed_at, NOT_YET),
    }
    items = {
        "id": np.arange(1, len(problems) + 1),
        "code": _item_codes(problems.found_on),
        "source": problems.source,
        "category": np.array([c.name for c in category], dtype=object),
        "description": problems.description,
        "township_id": problems.township + 1,
        "village_id": optional_ids(problems.village),
        "unit_id": optional_ids(unit),
        "responsible_person": [
            _responsible_name(county.cadres, c, t, v)
            for c, t, v in zip(
                category, problems.township.tolist(), problems.village.tolist(), strict=True
            )
        ],
        "measure": np.array([c.measure for c in category], dtype=object),
        "kind": np.array([k.value for k in RectificationKind], dtype=object)[kind],
        "found_on": problems.found_on,
        "deadline": deadline,
        "status": np.select(
            [closed, acknowledged],
            [RectificationStatus.CLOSED.value, RectificationStatus.IN_PROGRESS.value],
            RectificationStatus.OPEN.value,
        ).astype(object),
        "closed_on": np.where(closed, life.closed, np.datetime64("NaT", "D")),
        "evidence": np.where(closed, pick(rng, list(EVIDENCE), len(problems)), None),
        "version": 1 + acknowledged.astype(int) + closed.astype(int),
        "status_changed_at": np.select(
            [closed, acknowledged], [moments["closed"], moments["acknowledged"]], moments["created"]
        ),
    }
    changes = _history(
        places=places,
        township=problems.township,
        unit=unit,
        source=problems.source,
        measure=items["measure"],
        created_at=moments["created"],
        acknowledged_at=moments["acknowledged"],
        closed_at=moments["closed"],
    )
    return Ledger(items=items, changes=changes, given_items=np.argsort(order)[: len(given)])


def _drawn_problems(rng: np.random.Generator, county: County, count: int) -> Problems:
    """Problems found over the last LEDGER_DAYS, more in weak townships; assessments and
    inspections report in batches, data checks and 暗访 all the time."""
    households, timeline = county.households, county.timeline
    weights = np.where(
        county.conduct.weak_townships[households.township], WEAK_TOWNSHIP_PROBLEM_WEIGHT, 1.0
    )
    at = rng.choice(len(households), size=count, p=weights / weights.sum())
    village = np.where(rng.random(count) < TOWNSHIP_LEVEL_SHARE, -1, households.village[at])
    source = pick(rng, [s.value for s in SOURCE_SHARES], count, p=list(SOURCE_SHARES.values()))
    first = timeline.last_day - LEDGER_DAYS * DAY
    found_on = random_days(rng, first, timeline.last_day, count)
    for batched, dates in SOURCE_BATCHES.items():
        every_year = [
            np.datetime64(f"{year}-{month:02d}-{day:02d}")
            for year in range(first.astype(object).year, timeline.year + 1)
            for month, day in dates
        ]
        batch_days = [day for day in every_year if first <= day <= timeline.last_day]
        members = np.flatnonzero(source == batched.value)
        if batch_days and members.size:
            start = np.array(batch_days)[rng.integers(0, len(batch_days), members.size)]
            found_on[members] = np.minimum(
                start + rng.integers(0, BATCH_SPREAD_DAYS, members.size) * DAY, timeline.last_day
            )
    category = _categories(rng, source)
    township = households.township[at]
    return Problems(
        source=source,
        township=township,
        village=village,
        found_on=found_on,
        category=category,
        description=[
            _describe(rng, county, CATEGORIES[c], t, v, day)
            for c, t, v, day in zip(category, township, village, found_on, strict=True)
        ],
    )


def _categories(rng: np.random.Generator, source: np.ndarray) -> np.ndarray:
    """A category per problem by weight, among those its source can find."""
    weights = np.array([c.weight for c in CATEGORIES])
    by_data = np.array([c.found_by_data for c in CATEGORIES])
    category = rng.choice(len(CATEGORIES), size=source.size, p=_normalised(weights))
    data_checks = np.flatnonzero(source == ProblemSource.DATA_CHECK.value)
    category[data_checks] = rng.choice(
        len(CATEGORIES), size=data_checks.size, p=_normalised(weights * by_data)
    )
    return category


def _describe(
    rng: np.random.Generator,
    county: County,
    category: Category,
    township: int,
    village: int,
    found_on: np.datetime64,
) -> str:
    places = county.places
    where = places.township_name[township] + (
        places.village_name[village] if village >= 0 else "部分村"
    )
    month = (np.datetime64(found_on, "M") - 1).astype(object)
    template = category.problems[rng.integers(0, len(category.problems))]
    return template.format(village=where, n=int(rng.integers(1, 7)), month=f"{month.month}月")


def _kinds_and_spans(
    rng: np.random.Generator, category: list[Category]
) -> tuple[np.ndarray, np.ndarray]:
    """Each item's kind (index into RectificationKind) and days from finding to deadline."""
    chances = np.cumsum([c.kinds for c in category], axis=1)
    kind = np.minimum((rng.random(len(category))[:, None] > chances).sum(axis=1), 2)
    low, high = np.array([DEADLINE_DAYS[k] for k in RectificationKind]).T
    return kind, rng.integers(low[kind], high[kind] + 1)


def _life(
    rng: np.random.Generator,
    county: County,
    problems: Problems,
    unit: np.ndarray,
    span: np.ndarray,
    deadline: np.ndarray,
) -> _Life:
    """Acknowledged within days (later in weak townships); closed before the deadline or some
    weeks after it, the chance of being on time set by the township and the unit; a few never."""
    conduct = county.conduct
    count = len(problems)
    weak = conduct.weak_townships[problems.township]
    acknowledge_days = 1 + rng.exponential(
        np.where(weak, ACKNOWLEDGE_MEAN_DAYS["weak"], ACKNOWLEDGE_MEAN_DAYS["strong"])
    )
    acknowledged = problems.found_on + acknowledge_days.astype(np.int64) * DAY
    on_time_chance = conduct.rectification_on_time[problems.township] * np.where(
        unit >= 0, conduct.unit_factor[np.maximum(unit, 0)], 1.0
    )
    on_time_days = np.maximum(1, (span * rng.uniform(0.2, 1.0, count)).astype(np.int64))
    late_days = (1 + rng.exponential(LATE_MEAN_DAYS, count)).astype(np.int64)
    closed = np.where(
        rng.random(count) < on_time_chance,
        problems.found_on + on_time_days * DAY,
        deadline + late_days * DAY,
    )
    return _Life(
        acknowledged=acknowledged,
        closed=np.maximum(closed, acknowledged + DAY),
        never_closed=rng.random(count)
        < np.where(weak, NEVER_CLOSED["weak"], NEVER_CLOSED["strong"]),
    )


def _item_codes(found_on: np.ndarray) -> list[str]:
    """ZG{year}-{seq:05d}, numbered within each year in ledger order."""
    codes, seen = [], {}
    for y in (found_on.astype("datetime64[Y]").astype(int) + 1970).tolist():
        seen[y] = seen.get(y, 0) + 1
        codes.append(f"ZG{y}-{seen[y]:05d}")
    return codes


def _history(
    *,
    places: Places,
    township: np.ndarray,
    unit: np.ndarray,
    source: np.ndarray,
    measure: np.ndarray,
    created_at: np.ndarray,
    acknowledged_at: np.ndarray,
    closed_at: np.ndarray,
) -> dict:
    """rectification_status_changes: 创建 → 整改中 → 已销号, as far as each item got. The
    township (or the unit, when one is named) acknowledges; the county office verifies."""
    everyone = np.arange(source.size)
    acknowledged = np.flatnonzero(~np.isnat(acknowledged_at))
    closed = np.flatnonzero(~np.isnat(closed_at))
    steps = [
        _step(
            everyone,
            created_at,
            changed_by=[RECORDED_BY[s] for s in source],
            from_status=None,
            to_status=RectificationStatus.OPEN,
            notes=[f"{s}发现问题，录入整改台账" for s in source],
        ),
        _step(
            acknowledged,
            acknowledged_at[acknowledged],
            changed_by=[
                places.unit_name[unit[i]] if unit[i] >= 0 else places.township_name[township[i]]
                for i in acknowledged
            ],
            from_status=RectificationStatus.OPEN,
            to_status=RectificationStatus.IN_PROGRESS,
            notes=[f"已认领问题，整改措施：{measure[i]}" for i in acknowledged],
        ),
        _step(
            closed,
            closed_at[closed],
            changed_by=[VERIFIED_BY] * closed.size,
            from_status=RectificationStatus.IN_PROGRESS,
            to_status=RectificationStatus.CLOSED,
            notes=["整改完成，经核查同意销号"] * closed.size,
            completed_on=closed_at[closed].astype("datetime64[D]"),
        ),
    ]
    columns = {name: np.concatenate([step[name] for step in steps]) for name in steps[0]}
    order = np.lexsort((columns["changed_at"], columns["item_id"]))
    return {"id": np.arange(1, order.size + 1), **{k: v[order] for k, v in columns.items()}}


def _step(
    items: np.ndarray,
    changed_at: np.ndarray,
    *,
    changed_by: list[str],
    from_status: RectificationStatus | None,
    to_status: RectificationStatus,
    notes: list[str],
    completed_on: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One status change for each of ``items`` (0-based)."""
    count = items.size
    return {
        "item_id": items + 1,
        "changed_at": changed_at,
        "changed_by": np.array(changed_by, dtype=object),
        "from_status": np.full(count, from_status and from_status.value, dtype=object),
        "to_status": np.full(count, to_status.value, dtype=object),
        "note": np.array(notes, dtype=object),
        "completed_on": (
            completed_on if completed_on is not None else np.full(count, np.datetime64("NaT", "D"))
        ),
    }


def _responsible_name(cadres: Cadres, category: Category, township: int, village: int) -> str:
    """The cadre answering for the item: by post, in the village or else the 乡镇长."""
    if village < 0 or category.responsible == "township_head":
        return cadres.name[cadres.township_head[township]]
    return cadres.name[getattr(cadres, category.responsible)[village]]


def _normalised(weights: list[float]) -> np.ndarray:
    array = np.asarray(weights, dtype=float)
    return array / array.sum()


def _joined(first: Problems, second: Problems) -> Problems:
    return Problems(
        source=np.concatenate([first.source, second.source]),
        township=np.concatenate([first.township, second.township]),
        village=np.concatenate([first.village, second.village]),
        found_on=np.concatenate([first.found_on, second.found_on]),
        category=np.concatenate([first.category, second.category]),
        description=[*first.description, *second.description],
    )


def _reordered(problems: Problems, order: np.ndarray) -> Problems:
    return Problems(
        source=problems.source[order],
        township=problems.township[order],
        village=problems.village[order],
        found_on=problems.found_on[order],
        category=problems.category[order],
        description=[problems.description[i] for i in order],
    )
