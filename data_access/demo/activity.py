"""What people did month by month: 收支登记, visits, meetings and duties.

Registers and visits are the bulk of the database (~2 million rows at scale 1), so they are made
month by month (tours year by year) and handed to the writer as blocks, never all at once.
Nothing is dated after the data's as-of day; a register entered after the office's extraction
time does not exist yet.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from data_access.demo.arrays import concatenated_ranges, optional_ids, pick
from data_access.demo.county import County
from data_access.demo.income import IncomeModel, monthly_amounts
from data_access.demo.places import Places
from data_access.demo.plan import DAY, Timeline, month_end, random_days, stream, year_start
from data_access.models import DutyKind, MeetingLevel

# A register not entered by month-end is entered late this share of the time, else never.
LATE_SHARE = 0.7
# On-time entries land in the month's last days, late ones up to this many days into the next.
ON_TIME_DAYS = 5
LATE_DAYS = 25
ENTRY_HOURS = (8, 22)
SECOND_VISIT_SHARE = 0.08
VISIT_KIND = "入户走访"
NOTED_VISIT_SHARE = 0.1
VISIT_NOTES = [
    "了解务工和收入情况",
    "宣传防返贫监测政策",
    "核对收支登记",
    "了解家庭成员健康状况",
    "落实产业奖补政策",
    "指导填写《帮扶手册》",
    "了解子女上学情况",
    "查看住房和饮水安全",
]

# How often each duty is done per period: counts drawn from (low, high) for normal and for weak
# owners (units; townships for data cleaning).
DUTY_COUNTS = {
    DutyKind.MAIN_LEADER_VISIT: ("year", (2, 4), (0, 2)),
    DutyKind.LEADER_QUARTERLY_VISIT: ("quarter", (1, 1), (0, 1)),
    DutyKind.SPECIAL_REPORT: ("quarter", (1, 1), (0, 1)),
    DutyKind.STUDY_MEETING: ("year", (2, 3), (0, 1)),
    DutyKind.DATA_CLEANING: ("month", (2, 4), (1, 2)),
}
# Even a normal unit skips a quarterly duty now and then.
QUARTERLY_SKIP_CHANCE = 0.05
DUTY_NOTES = {
    DutyKind.MAIN_LEADER_VISIT: "主要领导到{village}调研指导帮扶工作",
    DutyKind.LEADER_QUARTERLY_VISIT: "班子成员到{village}督促帮扶措施落实",
    DutyKind.SPECIAL_REPORT: "听取{unit}定点帮扶工作专题汇报",
    DutyKind.STUDY_MEETING: "{unit}党组（党委）会议研究定点帮扶工作",
    DutyKind.DATA_CLEANING: "{township}防返贫监测数据清洗比对",
}


def register_blocks(county: County, income: IncomeModel) -> Iterator[dict]:
    """income_registers, one block per month: each household's month, entered on time (in the
    month's last days), late (weeks into the next month) or not at all."""
    rng = stream(county.seed, "registers")
    households = county.households
    count = len(households)
    on_time_chance = county.conduct.register_on_time[households.township]
    amounts: dict[str, np.ndarray] = {}
    amounts_year = None
    for month in county.timeline.months:
        year, month_index = _year_and_month_index(month)
        if year != amounts_year:
            amounts, amounts_year = monthly_amounts(county.seed, income, year), year
        draw = rng.random(count)
        on_time = draw < on_time_chance
        late = ~on_time & (draw < on_time_chance + (1 - on_time_chance) * LATE_SHARE)
        last_day = month_end(month)
        day = np.where(
            on_time,
            last_day - rng.integers(0, ON_TIME_DAYS, count) * DAY,
            last_day + rng.integers(1, LATE_DAYS + 1, count) * DAY,
        )
        seconds = rng.integers(ENTRY_HOURS[0] * 3600, ENTRY_HOURS[1] * 3600, count)
        entered_at = day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
        rows = np.flatnonzero((on_time | late) & (entered_at <= county.timeline.cutoff))
        yield {
            "household_id": rows + 1,
            "month": np.full(rows.size, month),
            **{name: values[rows, month_index] for name, values in amounts.items()},
            "entered_at": entered_at[rows],
        }


def _year_and_month_index(month: np.datetime64) -> tuple[int, int]:
    first = month.astype(object)
    return first.year, first.month - 1


def visit_blocks(county: County) -> Iterator[dict]:
    """visits: each month the 帮扶干部 and 网格员 rounds, then each year's tours (遍访)."""
    rng = stream(county.seed, "visits")
    for month in county.timeline.months:
        yield _helper_visits(rng, county, month)
        yield _grid_visits(rng, county, month)
    village_roles = set(county.settings.visits.village_tour_roles)
    township_roles = set(county.settings.visits.township_tour_roles)
    for year in county.timeline.years:
        yield _tours(rng, county, year, village_roles, by_village=True)
        yield _tours(rng, county, year, township_roles, by_village=False)


def _helper_visits(rng: np.random.Generator, county: County, month: np.datetime64) -> dict:
    """Each household's 帮扶干部 of the day visits it in the month, occasionally twice."""
    households = county.households
    count = len(households)
    chance = county.conduct.helper_visits[households.township]
    visits = []
    for share in (1.0, SECOND_VISIT_SHARE):
        day = random_days(rng, month, month_end(month), count)
        cadre = households.helper_on(day, np.arange(count))
        known = cadre >= 0
        diligence = np.where(known, county.cadres.diligence[cadre], 0.0)
        visited = known & (rng.random(count) < chance * diligence * share)
        visits.append((np.flatnonzero(visited), cadre[visited], day[visited]))
    household, cadre, day = (np.concatenate(parts) for parts in zip(*visits, strict=True))
    noted = rng.random(household.size) < NOTED_VISIT_SHARE
    notes = np.where(noted, pick(rng, VISIT_NOTES, household.size), None)
    return _visit_columns(county, household, cadre, day, notes)


def _grid_visits(rng: np.random.Generator, county: County, month: np.datetime64) -> dict:
    households = county.households
    count = len(households)
    visited = rng.random(count) < county.conduct.grid_visits[households.township]
    day = random_days(rng, month, month_end(month), count)
    household = np.flatnonzero(visited)
    return _visit_columns(county, household, households.grid_worker[household], day[household])


def _tours(
    rng: np.random.Generator, county: County, year: int, roles: set[str], *, by_village: bool
) -> dict:
    """遍访: every cadre holding one of ``roles`` visits every household of their village (or
    township) once in ``year``, on a day spread over the year; the share done by year-end is the
    township's tour completion times the cadre's diligence."""
    cadres, households, places = county.cadres, county.households, county.places
    touring = np.flatnonzero(np.isin(cadres.role, list(roles)))
    if by_village:
        touring = touring[cadres.village[touring] >= 0]
        first = places.first_household[cadres.village[touring]]
        sizes = places.households[cadres.village[touring]]
    else:
        touring = touring[(cadres.village[touring] < 0) & (cadres.township[touring] >= 0)]
        township_sizes = np.bincount(households.township, minlength=places.township_count)
        first = (np.cumsum(township_sizes) - township_sizes)[cadres.township[touring]]
        sizes = township_sizes[cadres.township[touring]]
    cadre = np.repeat(touring, sizes)
    household = concatenated_ranges(first, sizes)
    completion = county.conduct.tour_completion[households.township[household]]
    done = rng.random(cadre.size) < completion * cadres.diligence[cadre]
    day = random_days(rng, year_start(year), year_start(year + 1) - DAY, cadre.size)
    kept = done & (day >= county.timeline.first_day)
    return _visit_columns(county, household[kept], cadre[kept], day[kept])


def _visit_columns(
    county: County,
    household: np.ndarray,
    cadre: np.ndarray,
    day: np.ndarray,
    notes: np.ndarray | None = None,
) -> dict:
    """Visit rows in the visitor's role, dropping any dated after the as-of day (its month may
    still be running)."""
    kept = day <= county.timeline.last_day
    count = int(kept.sum())
    return {
        "household_id": household[kept] + 1,
        "cadre_id": cadre[kept] + 1,
        "role": county.cadres.role[cadre[kept]],
        "visit_date": day[kept],
        "kind": np.full(count, VISIT_KIND, dtype=object),
        "note": notes[kept] if notes is not None else np.full(count, None, dtype=object),
    }


def meeting_columns(county: County) -> dict:
    """防返贫动态监测专题研究会: each village and township, monthly, if held by the as-of day."""
    rng = stream(county.seed, "meetings")
    places, conduct = county.places, county.conduct
    # Places: villages first, then townships (village -1).
    township = np.concatenate([places.village_township, np.arange(places.township_count)])
    village = np.concatenate([np.arange(places.village_count), np.full(places.township_count, -1)])
    parts = []
    for month in county.timeline.months:
        held_on = random_days(rng, month + 4 * DAY, month_end(month) - 2 * DAY, township.size)
        held = (rng.random(township.size) < conduct.meetings_held[township]) & (
            held_on <= county.timeline.last_day
        )
        recorded = rng.random(township.size) < conduct.meetings_recorded[township]
        place = np.flatnonzero(held)
        parts.append((place, np.full(place.size, month), held_on[place], recorded[place]))
    place, month, held_on, recorded = (np.concatenate(p) for p in zip(*parts, strict=True))
    is_village = village[place] >= 0
    return {
        "id": np.arange(1, place.size + 1),
        "level": np.where(
            is_village, MeetingLevel.VILLAGE.value, MeetingLevel.TOWNSHIP.value
        ).astype(object),
        "township_id": township[place] + 1,
        "village_id": optional_ids(village[place]),
        "month": month,
        "held_on": held_on,
        "has_record": recorded,
    }


def duty_columns(county: County) -> dict:
    """duty_records: unit leaders at their villages, reports heard, study meetings, and the
    信息员's data cleanings; weak units and townships do fewer."""
    rng = stream(county.seed, "duties")
    places, cadres, conduct = county.places, county.cadres, county.conduct
    parts = []
    for kind, (period, normal, weak) in DUTY_COUNTS.items():
        by_township = kind == DutyKind.DATA_CLEANING
        weak_owners = conduct.weak_townships if by_township else conduct.weak_units
        periods = _periods(county.timeline, period)
        shape = (weak_owners.size, len(periods))
        counts = np.where(
            weak_owners[:, None],
            rng.integers(weak[0], weak[1] + 1, size=shape),
            rng.integers(normal[0], normal[1] + 1, size=shape),
        )
        if period == "quarter":
            counts[rng.random(shape) < QUARTERLY_SKIP_CHANCE] = 0
        owner, day = _spread_over_periods(rng, county.timeline, periods, counts)
        at_village = kind in (DutyKind.MAIN_LEADER_VISIT, DutyKind.LEADER_QUARTERLY_VISIT)
        village = _unit_village(rng, places, owner) if at_village else np.full(owner.size, -1)
        if by_township:
            cadre, unit = cadres.data_officer[owner], np.full(owner.size, -1)
        elif kind == DutyKind.LEADER_QUARTERLY_VISIT:
            cadre, unit = cadres.unit_deputy[owner], owner
        else:
            cadre, unit = cadres.unit_leader[owner], owner
        notes = [
            DUTY_NOTES[kind].format(
                village=places.village_name[v] if v >= 0 else "",
                unit=places.unit_name[u] if u >= 0 else "",
                township=places.township_name[o] if by_township else "",
            )
            for o, u, v in zip(owner.tolist(), unit.tolist(), village.tolist(), strict=True)
        ]
        kinds = np.full(owner.size, kind.value, dtype=object)
        parts.append((kinds, cadre, unit, village, day, np.array(notes, dtype=object)))
    kind, cadre, unit, village, day, notes = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.argsort(day, kind="stable")
    return {
        "id": np.arange(1, order.size + 1),
        "kind": kind[order],
        "cadre_id": cadre[order] + 1,
        "unit_id": optional_ids(unit[order]),
        "village_id": optional_ids(village[order]),
        "done_on": day[order],
        "note": notes[order],
    }


def _periods(timeline: Timeline, period: str) -> list[tuple[np.datetime64, np.datetime64]]:
    """(first day, last day) of each year, quarter or month of the covered months."""
    if period == "year":
        return [(year_start(y), year_start(y + 1) - DAY) for y in timeline.years]
    length = 1 if period == "month" else 3
    starts = [m for m in timeline.months if (m.astype(object).month - 1) % length == 0]
    return [
        (start, (np.datetime64(start, "M") + length).astype("datetime64[D]") - DAY)
        for start in starts
    ]


def _spread_over_periods(
    rng: np.random.Generator,
    timeline: Timeline,
    periods: list[tuple[np.datetime64, np.datetime64]],
    counts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``counts[owner, period]`` events per owner and period, on days spread over the part of
    the period inside the covered months. A part-covered period gets its share of the events,
    rounded up: a unit that visits twice a year has done so by late November."""
    owners, days = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype="datetime64[D]")]
    for index, (start, end) in enumerate(periods):
        first, last = max(start, timeline.first_day), min(end, timeline.last_day)
        if first > last:
            continue
        covered = ((last - first) / DAY + 1) / ((end - start) / DAY + 1)
        repeats = np.ceil(counts[:, index] * covered).astype(np.int64)
        owner = np.repeat(np.arange(counts.shape[0]), repeats)
        owners.append(owner)
        days.append(random_days(rng, first, last, owner.size))
    return np.concatenate(owners), np.concatenate(days)


def _unit_village(rng: np.random.Generator, places: Places, units: np.ndarray) -> np.ndarray:
    """One of each unit's paired villages, at random."""
    per_unit = np.bincount(places.village_unit, minlength=places.unit_count)
    first = np.cumsum(per_unit) - per_unit
    return first[units] + (rng.random(units.size) * per_unit[units]).astype(np.int64)
