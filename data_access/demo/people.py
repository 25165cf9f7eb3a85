"""People: cadres in every post the speech names, households, assignments, the inspector pool.

Indices are 0-based throughout (database id = index + 1); -1 means "none".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from config.settings import Settings
from data_access.demo.arrays import concatenated_ranges, optional_ids, pick
from data_access.demo.conduct import Conduct
from data_access.demo.ids import id_numbers, mobile_numbers
from data_access.demo.names import person_names
from data_access.demo.places import Places
from data_access.demo.plan import DAY, Timeline, random_days, stream
from data_access.models import CadreRole, HouseholdType, MonitorCategory, RiskClearedBy, RiskStatus

# Households per 帮扶干部 (at most) and per 网格员 grid (about).
HELPER_LOAD = 20
GRID_SIZE = 90
MONITORED_SHARE = 0.14
# Weak townships have somewhat more households under monitoring.
WEAK_MONITORED_EXTRA = 0.03
CATEGORY_SHARES = {
    MonitorCategory.UNSTABLE: 0.50,
    MonitorCategory.EDGE: 0.35,
    MonitorCategory.HARDSHIP: 0.15,
}
MEMBER_SHARES = (0.09, 0.18, 0.23, 0.24, 0.14, 0.08, 0.04)  # 1..7 members, mean ≈ 3.55
# Chance a household has no labour capacity, by size: mostly elderly people living alone or
# in pairs.
NO_LABOUR_BY_MEMBERS = {1: 0.30, 2: 0.12}
NO_LABOUR_OTHERWISE = 0.035
LIFTED_YEARS = {2014: 0.10, 2015: 0.14, 2016: 0.18, 2017: 0.20, 2018: 0.18, 2019: 0.12, 2020: 0.08}
MONITORING_BEGAN = date(2021, 6, 1)
# Risk is cleared only after income has been stable for about half a year.
MIN_MONITORED_DAYS_BEFORE_CLEARING = 183
CLEARED_SHARE_OF_ELIGIBLE = 0.72
# Of the households without labour capacity that could have been, this share (at least one)
# was marked eliminated by mistake (planted for the 退出不准 check).
MISCLEARED_WITHOUT_LABOUR_SHARE = 0.02
CLEARED_BY_ASSISTANCE_SHARE = 0.75
PUBLIC_JOB_SHARE = {"lifted": 0.04, "monitored": 0.12}
# Most current 帮扶 pairings were made when the cadres were redeployed in 2021–2023.
ASSIGNMENTS_MADE = (date(2021, 5, 1), date(2023, 6, 30))
REASSIGNED_SHARE = 0.05
# Villages with a second 工作队员 besides the 第一书记's first one.
SECOND_TEAM_MEMBER_SHARE = 0.4
# A township deputy (包村领导) is in charge of this many neighbouring villages.
VILLAGES_PER_DEPUTY = 2


@dataclass(frozen=True)
class Cadres:
    name: np.ndarray
    role: np.ndarray
    phone: np.ndarray
    unit: np.ndarray
    township: np.ndarray
    village: np.ndarray
    grid_no: np.ndarray
    home_township: np.ndarray
    # Who holds which post: cadre indices per unit, township or village (the 包村领导 of a
    # village may be registered at the neighbouring village they are also in charge of).
    unit_leader: np.ndarray
    unit_deputy: np.ndarray
    township_secretary: np.ndarray
    township_head: np.ndarray
    data_officer: np.ndarray
    village_leader: np.ndarray
    first_secretary: np.ndarray
    village_secretary: np.ndarray
    # A village's 帮扶干部 and 网格员 are consecutive cadres starting at these indices.
    first_helper: np.ndarray
    first_grid_worker: np.ndarray
    # Share of their duties a cadre actually does (1.0 for most).
    diligence: np.ndarray

    def __len__(self) -> int:
        return len(self.role)


@dataclass(frozen=True)
class Households:
    village: np.ndarray
    township: np.ndarray
    grid_no: np.ndarray
    code: list[str]
    head_name: np.ndarray
    head_id_number: np.ndarray
    phone: np.ndarray
    monitored: np.ndarray
    category: np.ndarray
    lifted_year: np.ndarray
    monitored_since: np.ndarray
    risk_cleared_on: np.ndarray
    risk_cleared_by: np.ndarray
    has_labour: np.ndarray
    members: np.ndarray
    # 一户一策一卡一人: plan, handbook, benefits card, trained member.
    paperwork: dict[str, np.ndarray]
    public_job: np.ndarray
    # The current 帮扶干部 and since when; an earlier one (or -1) and the day that pairing ended.
    helper: np.ndarray
    helper_since: np.ndarray
    previous_helper: np.ndarray
    previous_since: np.ndarray
    previous_until: np.ndarray
    grid_worker: np.ndarray

    def __len__(self) -> int:
        return len(self.village)

    def helper_on(self, days: np.ndarray, households: np.ndarray) -> np.ndarray:
        """The 帮扶干部 of each of ``households`` on the matching day, or -1 when it had none."""
        current = np.where(days >= self.helper_since[households], self.helper[households], -1)
        earlier = (
            (self.previous_helper[households] >= 0)
            & (days >= self.previous_since[households])
            & (days <= self.previous_until[households])
        )
        return np.where(earlier, self.previous_helper[households], current)


class _CadreList:
    """Collects cadres post by post; ``add`` returns the new cadres' indices."""

    def __init__(self) -> None:
        self.columns: dict[str, list[np.ndarray]] = {
            key: [] for key in ("role", "unit", "township", "village", "grid_no", "male_share")
        }

    def add(self, role: CadreRole, count: int, *, male_share: float, **where) -> np.ndarray:
        start = sum(len(part) for part in self.columns["role"])
        self.columns["role"].append(np.full(count, role.value, dtype=object))
        self.columns["male_share"].append(np.full(count, male_share))
        for key in ("unit", "township", "village"):
            self.columns[key].append(np.broadcast_to(where.get(key, -1), count))
        self.columns["grid_no"].append(np.broadcast_to(where.get("grid_no", 0), count))
        return np.arange(start, start + count)

    def column(self, key: str) -> np.ndarray:
        return np.concatenate(self.columns[key])


def build_people(
    seed: int, places: Places, conduct: Conduct, timeline: Timeline, settings: Settings
) -> tuple[Cadres, Households]:
    households_per_village = places.households
    grids_per_village = np.maximum(1, np.round(households_per_village / GRID_SIZE)).astype(int)
    helpers_per_village = np.ceil(households_per_village / HELPER_LOAD).astype(int)
    cadres = _build_cadres(
        stream(seed, "cadres"), places, conduct, grids_per_village, helpers_per_village
    )
    households = _build_households(
        stream(seed, "households"),
        places,
        conduct,
        cadres,
        timeline,
        settings.county.division_code,
        grids_per_village,
        helpers_per_village,
    )
    # Drawn for everyone at once, so no two people share a number.
    phones = mobile_numbers(stream(seed, "phones"), len(cadres) + len(households))
    return (
        replace(cadres, phone=phones[: len(cadres)]),
        replace(households, phone=phones[len(cadres) :]),
    )


def _build_cadres(
    rng: np.random.Generator,
    places: Places,
    conduct: Conduct,
    grids_per_village: np.ndarray,
    helpers_per_village: np.ndarray,
) -> Cadres:
    units = np.arange(places.unit_count)
    townships = np.arange(places.township_count)
    villages = np.arange(places.village_count)
    village_township = places.village_township
    village_unit = places.village_unit
    team_villages = np.repeat(villages, 1 + (rng.random(villages.size) < SECOND_TEAM_MEMBER_SHARE))
    # Deputies take the township's villages in pairs; a deputy's village is the first of them.
    first_village = np.searchsorted(village_township, village_township)
    in_pair = (villages - first_village) % VILLAGES_PER_DEPUTY
    deputy_villages = villages[in_pair == 0]
    grid_villages = np.repeat(villages, grids_per_village)
    helper_villages = np.repeat(villages, helpers_per_village)

    roster = _CadreList()
    posts = {
        "unit_leader": roster.add(CadreRole.UNIT_LEADER, units.size, male_share=0.8, unit=units),
        "unit_deputy": roster.add(CadreRole.UNIT_DEPUTY, units.size, male_share=0.7, unit=units),
        "township_secretary": roster.add(
            CadreRole.TOWNSHIP_SECRETARY, townships.size, male_share=0.85, township=townships
        ),
        "township_head": roster.add(
            CadreRole.TOWNSHIP_HEAD, townships.size, male_share=0.8, township=townships
        ),
        "data_officer": roster.add(
            CadreRole.DATA_OFFICER, townships.size, male_share=0.4, township=townships
        ),
        "village_leader": roster.add(
            CadreRole.VILLAGE_LEADER,
            deputy_villages.size,
            male_share=0.7,
            township=village_township[deputy_villages],
            village=deputy_villages,
        )[np.searchsorted(deputy_villages, villages - in_pair)],
        "first_secretary": roster.add(
            CadreRole.FIRST_SECRETARY,
            villages.size,
            male_share=0.75,
            unit=village_unit,
            township=village_township,
            village=villages,
        ),
        "village_secretary": roster.add(
            CadreRole.VILLAGE_SECRETARY,
            villages.size,
            male_share=0.85,
            township=village_township,
            village=villages,
        ),
    }
    team = roster.add(
        CadreRole.TEAM_MEMBER,
        team_villages.size,
        male_share=0.65,
        unit=village_unit[team_villages],
        township=village_township[team_villages],
        village=team_villages,
    )
    grid_numbers = concatenated_ranges(np.ones_like(grids_per_village), grids_per_village)
    grid_workers = roster.add(
        CadreRole.GRID_WORKER,
        grid_villages.size,
        male_share=0.5,
        township=village_township[grid_villages],
        village=grid_villages,
        grid_no=grid_numbers,
    )
    helpers = roster.add(
        CadreRole.HELPER,
        helper_villages.size,
        male_share=0.6,
        unit=village_unit[helper_villages],
        township=village_township[helper_villages],
        village=helper_villages,
    )
    unit = roster.column("unit")
    township = roster.column("township")
    count = unit.size
    # Unit cadres live anywhere in the county; township and village cadres live where they work.
    home_township = np.where(
        unit >= 0, rng.integers(0, places.township_count, size=count), township
    )
    diligence = np.where(unit >= 0, conduct.unit_factor[unit], 1.0)
    # A few team members are "守楼干部" who hardly leave the village office.
    idle = rng.random(team.size) < np.where(conduct.weak_townships[township[team]], 0.25, 0.06)
    diligence[team[idle]] *= rng.uniform(0.3, 0.6, size=idle.sum())
    male = rng.random(count) < roster.column("male_share")
    return Cadres(
        name=person_names(rng, male),
        role=roster.column("role"),
        phone=np.empty(0, dtype=object),
        unit=unit,
        township=township,
        village=roster.column("village"),
        grid_no=roster.column("grid_no"),
        home_township=home_township,
        first_helper=helpers[0] + np.cumsum(helpers_per_village) - helpers_per_village,
        first_grid_worker=grid_workers[0] + np.cumsum(grids_per_village) - grids_per_village,
        diligence=diligence,
        **posts,
    )


def _build_households(
    rng: np.random.Generator,
    places: Places,
    conduct: Conduct,
    cadres: Cadres,
    timeline: Timeline,
    division_code: str,
    grids_per_village: np.ndarray,
    helpers_per_village: np.ndarray,
) -> Households:
    village = np.repeat(np.arange(places.village_count), places.households)
    count = village.size
    township = places.village_township[village]
    weak = conduct.weak_townships[township]
    position = np.arange(count) - places.first_household[village]
    size_of_village = places.households[village]
    grid_no = 1 + position * grids_per_village[village] // size_of_village

    # Each helper takes a run of neighbouring households (at most HELPER_LOAD).
    local_helper = position * helpers_per_village[village] // size_of_village
    helper = cadres.first_helper[village] + local_helper

    monitored = rng.random(count) < MONITORED_SHARE + WEAK_MONITORED_EXTRA * weak
    category = np.where(
        monitored,
        pick(rng, list(CATEGORY_SHARES), count, p=list(CATEGORY_SHARES.values())),
        None,
    )
    members = rng.choice(np.arange(1, 8), size=count, p=MEMBER_SHARES)
    no_labour_chance = np.select(
        [members == size for size in NO_LABOUR_BY_MEMBERS],
        list(NO_LABOUR_BY_MEMBERS.values()),
        NO_LABOUR_OTHERWISE,
    ) * np.where(monitored, 1.5, 1.0)
    has_labour = rng.random(count) >= no_labour_chance

    was_poor = ~monitored | (category == MonitorCategory.UNSTABLE.value)
    lifted_year = np.where(
        was_poor,
        rng.choice(list(LIFTED_YEARS), size=count, p=list(LIFTED_YEARS.values())),
        -1,
    )
    monitored_since = np.where(
        monitored,
        random_days(rng, np.datetime64(MONITORING_BEGAN), timeline.last_day, count),
        np.datetime64("NaT"),
    ).astype("datetime64[D]")
    risk_cleared_on, risk_cleared_by = _risk_clearing(
        rng, monitored_since, has_labour, timeline.last_day
    )

    male = rng.random(count) < np.where(has_labour, 0.85, 0.55)
    # Heads without labour capacity are mostly elderly.
    birth_days = np.where(
        has_labour,
        random_days(rng, np.datetime64("1955-01-01"), np.datetime64("1995-12-31"), count),
        random_days(rng, np.datetime64("1940-01-01"), np.datetime64("1962-12-31"), count),
    )
    paperwork_rate = conduct.paperwork[township]
    paperwork = {
        name: rng.random(count) < paperwork_rate - shortfall
        for name, shortfall in (
            ("has_plan", 0.0),
            ("has_handbook", 0.002),
            ("has_benefit_card", 0.0),
            ("has_trained_member", 0.004),
        )
    }
    public_job = has_labour & (
        rng.random(count)
        < np.where(monitored, PUBLIC_JOB_SHARE["monitored"], PUBLIC_JOB_SHARE["lifted"])
    )
    helper_since, previous = _assignment_history(
        rng, helper, helpers_per_village[village], local_helper, monitored_since, timeline
    )
    risk_cleared_on, risk_cleared_by = _cleared_without_labour(
        rng, monitored_since, has_labour, risk_cleared_on, risk_cleared_by, timeline.last_day
    )
    return Households(
        village=village,
        township=township,
        grid_no=grid_no,
        code=[
            f"{places.village_code[v]}{p + 1:04d}"
            for v, p in zip(village.tolist(), position.tolist(), strict=True)
        ],
        head_name=person_names(rng, male),
        head_id_number=id_numbers(
            rng, division_code=division_code, birth_days=birth_days, male=male
        ),
        phone=np.empty(0, dtype=object),
        monitored=monitored,
        category=category,
        lifted_year=lifted_year,
        monitored_since=monitored_since,
        risk_cleared_on=risk_cleared_on,
        risk_cleared_by=risk_cleared_by,
        has_labour=has_labour,
        members=members,
        paperwork=paperwork,
        public_job=public_job,
        helper=helper,
        helper_since=helper_since,
        grid_worker=cadres.first_grid_worker[village] + grid_no - 1,
        **previous,
    )


def _risk_clearing(
    rng: np.random.Generator,
    monitored_since: np.ndarray,
    has_labour: np.ndarray,
    last_day: np.datetime64,
) -> tuple[np.ndarray, np.ndarray]:
    """When and how each monitored household's risk was cleared (NaT / None when it was not).

    A household without labour capacity is never cleared, and none before half a year of
    monitoring.
    """
    count = monitored_since.size
    earliest = monitored_since + MIN_MONITORED_DAYS_BEFORE_CLEARING * DAY
    eligible = ~np.isnat(monitored_since) & has_labour & (earliest <= last_day)
    cleared = eligible & (rng.random(count) < CLEARED_SHARE_OF_ELIGIBLE)
    span = np.where(cleared, (last_day - earliest) / DAY, 0).astype(np.int64) + 1
    cleared_on = np.where(
        cleared, earliest + (rng.random(count) * span).astype(np.int64) * DAY, np.datetime64("NaT")
    ).astype("datetime64[D]")
    by = np.where(
        rng.random(count) < CLEARED_BY_ASSISTANCE_SHARE,
        RiskClearedBy.ASSISTANCE.value,
        RiskClearedBy.NATURAL.value,
    ).astype(object)
    return cleared_on, np.where(cleared, by, None)


def _cleared_without_labour(
    rng: np.random.Generator,
    monitored_since: np.ndarray,
    has_labour: np.ndarray,
    cleared_on: np.ndarray,
    cleared_by: np.ndarray,
    last_day: np.datetime64,
) -> tuple[np.ndarray, np.ndarray]:
    """A few households without labour capacity marked eliminated all the same (DOMAIN.md:
    never): the error the 退出不准 check exists to catch."""
    earliest = monitored_since + MIN_MONITORED_DAYS_BEFORE_CLEARING * DAY
    candidates = np.flatnonzero(
        ~np.isnat(monitored_since) & ~has_labour & np.isnat(cleared_on) & (earliest <= last_day)
    )
    count = min(candidates.size, max(1, round(MISCLEARED_WITHOUT_LABOUR_SHARE * candidates.size)))
    chosen = rng.choice(candidates, size=count, replace=False)
    wrong = np.zeros(monitored_since.size, dtype=bool)
    wrong[chosen] = True
    span = np.where(wrong, (last_day - earliest) / DAY, 0).astype(np.int64) + 1
    offset = (rng.random(monitored_since.size) * span).astype(np.int64) * DAY
    cleared_on = np.where(wrong, earliest + offset, cleared_on).astype("datetime64[D]")
    return cleared_on, np.where(wrong, RiskClearedBy.NATURAL.value, cleared_by)


def _assignment_history(
    rng: np.random.Generator,
    helper: np.ndarray,
    village_helpers: np.ndarray,
    local_helper: np.ndarray,
    monitored_since: np.ndarray,
    timeline: Timeline,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Since when each household has its current 帮扶干部, and the earlier pairing of the ~5 %
    whose cadre changed within the covered months (another helper of the same village)."""
    count = helper.size
    made = random_days(
        rng, np.datetime64(ASSIGNMENTS_MADE[0]), np.datetime64(ASSIGNMENTS_MADE[1]), count
    )
    # A household entering monitoring later got its helper then.
    first_start = np.where(np.isnat(monitored_since), made, np.maximum(made, monitored_since))
    reassigned = (
        (rng.random(count) < REASSIGNED_SHARE)
        & (village_helpers > 1)
        & (first_start < timeline.first_day)
    )
    changed_on = random_days(
        rng, timeline.first_day + 15 * DAY, timeline.last_day - 20 * DAY, count
    )
    shift = 1 + (rng.random(count) * (village_helpers - 1)).astype(np.int64)
    other = helper - local_helper + (local_helper + shift) % np.maximum(village_helpers, 1)
    nat = np.datetime64("NaT", "D")
    return (
        np.where(reassigned, changed_on + DAY, first_start),
        {
            "previous_helper": np.where(reassigned, other, -1),
            "previous_since": np.where(reassigned, first_start, nat),
            "previous_until": np.where(reassigned, changed_on, nat),
        },
    )


def cadre_columns(cadres: Cadres) -> dict:
    return {
        "id": np.arange(1, len(cadres) + 1),
        "name": cadres.name,
        "role": cadres.role,
        "phone": cadres.phone,
        "unit_id": optional_ids(cadres.unit),
        "township_id": optional_ids(cadres.township),
        "village_id": optional_ids(cadres.village),
        "grid_no": np.ma.masked_array(cadres.grid_no, mask=cadres.grid_no == 0),
        "home_township_id": cadres.home_township + 1,
        "active": np.ones(len(cadres), dtype=bool),
    }


def household_columns(households: Households) -> dict:
    monitored = households.monitored
    risk_status = np.where(
        np.isnat(households.risk_cleared_on), RiskStatus.AT_RISK.value, RiskStatus.CLEARED.value
    ).astype(object)
    return {
        "id": np.arange(1, len(households) + 1),
        "code": households.code,
        "village_id": households.village + 1,
        "township_id": households.township + 1,
        "grid_no": households.grid_no,
        "head_name": households.head_name,
        "head_id_number": households.head_id_number,
        "phone": households.phone,
        "household_type": np.where(
            monitored, HouseholdType.MONITORED.value, HouseholdType.LIFTED.value
        ).astype(object),
        "lifted_year": np.ma.masked_array(households.lifted_year, mask=households.lifted_year < 0),
        "monitor_category": households.category,
        "risk_status": np.where(monitored, risk_status, None),
        "monitored_since": households.monitored_since,
        "risk_cleared_on": households.risk_cleared_on,
        "risk_cleared_by": households.risk_cleared_by,
        "has_labour": households.has_labour,
        "members": households.members,
        **households.paperwork,
        "public_job": households.public_job,
    }


def assignment_columns(households: Households) -> dict:
    """Current pairings of every household, and the ended ones, household by household."""
    earlier = np.flatnonzero(households.previous_helper >= 0)
    household = np.concatenate([earlier, np.arange(len(households))])
    cadre = np.concatenate([households.previous_helper[earlier], households.helper])
    start = np.concatenate([households.previous_since[earlier], households.helper_since])
    end = np.concatenate(
        [households.previous_until[earlier], np.full(len(households), np.datetime64("NaT", "D"))]
    )
    order = np.lexsort((start, household))
    return {
        "id": np.arange(1, order.size + 1),
        "cadre_id": cadre[order] + 1,
        "household_id": household[order] + 1,
        "start_date": start[order],
        "end_date": end[order],
    }


@dataclass(frozen=True)
class Inspectors:
    """The 暗访 inspector pool: cadres of county units, each with a home township (回避)."""

    name: np.ndarray
    unit: np.ndarray
    home_township: np.ndarray
    active: np.ndarray


def build_inspectors(seed: int, places: Places, count: int) -> Inspectors:
    rng = stream(seed, "inspectors")
    male = rng.random(count) < 0.65
    return Inspectors(
        name=person_names(rng, male),
        unit=rng.integers(0, places.unit_count, size=count),
        home_township=rng.integers(0, places.township_count, size=count),
        active=rng.random(count) < 0.95,
    )


def inspector_columns(inspectors: Inspectors) -> dict:
    return {
        "id": np.arange(1, inspectors.name.size + 1),
        "name": inspectors.name,
        "unit_id": inspectors.unit + 1,
        "home_township_id": inspectors.home_township + 1,
        "active": inspectors.active,
    }
