"""Work indicators aggregated in SQL, per township, village or assisting unit.

Every function returns one row per group that has rows in scope, with a ``<level>_id`` column
(township_id, village_id or unit_id) and raw counts (numerators and denominators), never shares:
callers add them up for the county and divide once.

How households map to a unit: the unit of the household's current 帮扶干部 (the households the unit
is responsible for). Villages map to units through 定点帮扶 (unit_villages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)

from config.settings import IncomeSettings, Settings, WarningSettings
from data_access.income.projection import household_income_query
from data_access.income.store import income_basis
from data_access.models import (
    Assignment,
    Cadre,
    CadreRole,
    Circular,
    CircularColor,
    DataSource,
    Household,
    HouseholdType,
    HouseholdWarning,
    IncomeRegister,
    Meeting,
    MeetingLevel,
    RectificationItem,
    RiskStatus,
    UnitVillage,
    Village,
    Visit,
)
from data_access.periods import month_end, next_month, year_start
from data_access.scope import Scope
from data_access.versions import (
    HOUSEHOLD_SOURCES,
    INCOME_SOURCES,
    Window,
    income_window,
    month_window,
    through_window,
    year_window,
)
from data_access.warnings.deadlines import fell_due, verified_in_time
from data_access.warnings.rules import entered_late, first_should_monitor

# The data each family of indicators is counted from (data_access.versions): a write to any
# other source leaves its stored counts valid.
REGISTER_SOURCES = HOUSEHOLD_SOURCES | {DataSource.REGISTERS}
VISIT_SOURCES = HOUSEHOLD_SOURCES | {DataSource.VISITS}
RECTIFICATION_SOURCES = frozenset({DataSource.RECTIFICATION})
MEETING_SOURCES = frozenset({DataSource.PLACES, DataSource.PEOPLE, DataSource.MEETINGS})
CIRCULAR_SOURCES = frozenset({DataSource.CIRCULARS})
# Warnings keep their township and village; their unit comes from the household's 帮扶干部.
WARNING_SOURCES = HOUSEHOLD_SOURCES | {DataSource.WARNINGS}


class Level(StrEnum):
    TOWNSHIP = "township"
    VILLAGE = "village"
    UNIT = "unit"

    @property
    def key(self) -> str:
        return f"{self.value}_id"


def count_when(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def read_frame(conn: Connection, query: Select, columns: list[str]) -> pd.DataFrame:
    """Rows of ``query`` as integer columns (the first is the group id)."""
    frame = pd.DataFrame(conn.execute(query).all(), columns=columns)
    return frame.fillna(0).astype("int64")


def _current_assignment(household_id: ColumnElement[int], day: date) -> ColumnElement[bool]:
    return and_(Assignment.household_id == household_id, Assignment.held_on(day))


def household_groups(level: Level, month: date) -> tuple[FromClause, ColumnElement[int]]:
    """Households joined to their group at the month's end, and the group column."""
    if level is Level.TOWNSHIP:
        return Household.__table__, Household.township_id
    if level is Level.VILLAGE:
        return Household.__table__, Household.village_id
    joined = Household.__table__.join(
        Assignment, _current_assignment(Household.id, month_end(month))
    ).join(Cadre, Cadre.id == Assignment.cadre_id)
    return joined, Cadre.unit_id


def village_groups(level: Level) -> tuple[FromClause, ColumnElement[int]]:
    """Villages joined to their group, and the group column."""
    if level is Level.TOWNSHIP:
        return Village.__table__, Village.township_id
    if level is Level.VILLAGE:
        return Village.__table__, Village.id
    return Village.__table__.join(UnitVillage, UnitVillage.village_id == Village.id), (
        UnitVillage.unit_id
    )


def _per_household(
    level: Level, scope: Scope, month: date, *measures: ColumnElement[int]
) -> Select:
    source, group = household_groups(level, month)
    return (
        select(group, *measures)
        .select_from(source)
        .where(
            scope.covers(Household.township_id),
            Household.on_record_by(month_end(month)),
            group.is_not(None),
        )
        .group_by(group)
    )


def household_counts(
    *, conn: Connection, scope: Scope, month: date, level: Level = Level.TOWNSHIP
) -> pd.DataFrame:
    """脱贫户 and 监测户 as they stood at the month's end: 监测户 monitored by then, those whose
    risk was not cleared by then, and those who entered monitoring in the month.

    Columns: <level>_id, lifted, monitored, at_risk, newly_monitored.
    """
    end = month_end(month)
    monitored = and_(
        Household.household_type == HouseholdType.MONITORED,
        or_(Household.monitored_since.is_(None), Household.monitored_since <= end),
    )
    at_risk = and_(
        monitored,
        or_(Household.risk_status == RiskStatus.AT_RISK, Household.risk_cleared_on > end),
    )
    # A 脱贫户 that entered monitoring after the month was still a 脱贫户 at its end.
    lifted = or_(
        Household.household_type == HouseholdType.LIFTED,
        and_(
            Household.household_type == HouseholdType.MONITORED,
            Household.monitored_since > end,
            Household.lifted_year.is_not(None),
        ),
    )
    query = _per_household(
        level,
        scope,
        month,
        count_when(lifted),
        count_when(monitored),
        count_when(at_risk),
        count_when(and_(monitored, Household.monitored_since.between(month, end))),
    )
    return read_frame(conn, query, [level.key, "lifted", "monitored", "at_risk", "newly_monitored"])


def register_completeness(
    *, conn: Connection, scope: Scope, month: date, grace_days: int, level: Level = Level.TOWNSHIP
) -> pd.DataFrame:
    """Households, and those whose register for ``month`` was entered in time (before the month's
    end plus ``grace_days``).

    Columns: <level>_id, households, registered.
    """
    deadline = datetime.combine(next_month(month) + timedelta(days=grace_days), time.min)
    in_time = exists().where(
        IncomeRegister.household_id == Household.id,
        IncomeRegister.month == month,
        IncomeRegister.entered_at < deadline,
    )
    query = _per_household(level, scope, month, func.count(), count_when(in_time))
    return read_frame(conn, query, [level.key, "households", "registered"])


def helper_visited(month: date, visits_per_month: int) -> ColumnElement[bool]:
    """The 帮扶干部 duty for a household in ``month``: visited at least ``visits_per_month``
    times in the month, in the 帮扶干部 role, by a cadre assigned to it during the month. The
    one definition every view counts (总览, 红黑榜, 走访覆盖, the wall, the 暗访 risk)."""
    end = month_end(month)
    assigned = (
        select(Assignment.cadre_id)
        .where(Assignment.household_id == Household.id, Assignment.held_during(month, end))
        .correlate(Household)
    )
    by_helper = (
        Visit.household_id == Household.id,
        Visit.role == CadreRole.HELPER,
        Visit.visit_date.between(month, end),
        Visit.cadre_id.in_(assigned),
    )
    if visits_per_month <= 1:
        return exists().where(*by_helper)
    visits = select(func.count()).where(*by_helper).correlate(Household).scalar_subquery()
    return visits >= visits_per_month


def helper_assigned(month: date) -> ColumnElement[bool]:
    """A 帮扶干部 was assigned to the household during ``month``: the duty covers it."""
    # Correlated on the household only: the unit level has assignments in its own FROM.
    return exists(
        select(Assignment.id)
        .where(
            Assignment.household_id == Household.id,
            Assignment.held_during(month, month_end(month)),
        )
        .correlate(Household)
    )


def visit_coverage(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    visits_per_month: int,
    level: Level = Level.TOWNSHIP,
) -> pd.DataFrame:
    """Households with a 帮扶干部 assigned during ``month``, and those the duty counts as
    visited (``helper_visited``).

    Columns: <level>_id, assigned, visited.
    """
    query = _per_household(
        level,
        scope,
        month,
        count_when(helper_assigned(month)),
        count_when(helper_visited(month, visits_per_month)),
    )
    return read_frame(conn, query, [level.key, "assigned", "visited"])


def tour_completion(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    village_roles: tuple[str, ...],
    township_roles: tuple[str, ...],
    level: Level = Level.TOWNSHIP,
) -> pd.DataFrame:
    """遍访 this year to the month's end, as the speech sets it ("分别遍访"): each duty holder
    visits every household of their place, so what is counted is (household, duty holder)
    pairs — each active village-team cadre of the household's village (``village_roles``), each
    active leader of its township (``township_roles``) — and the pairs where that cadre has
    visited that household. The one definition of 遍访: 红黑榜 scores the sum, 走访覆盖 shows
    the two duties apart.

    Columns: <level>_id, village_tour_required, village_tour_done, township_tour_required,
    township_tour_done, tour_required, tour_done.
    """
    village = _tour_pairs(
        conn=conn, scope=scope, month=month, roles=village_roles, place=Level.VILLAGE, level=level
    )
    township = _tour_pairs(
        conn=conn, scope=scope, month=month, roles=township_roles, place=Level.TOWNSHIP, level=level
    )
    both = (
        village.add_prefix("village_")
        .rename(columns={f"village_{level.key}": level.key})
        .merge(
            township.add_prefix("township_").rename(columns={f"township_{level.key}": level.key}),
            on=level.key,
            how="outer",
        )
        .fillna(0)
        .astype("int64")
    )
    both["tour_required"] = both["village_tour_required"] + both["township_tour_required"]
    both["tour_done"] = both["village_tour_done"] + both["township_tour_done"]
    return both[[level.key, *TOUR_COLUMNS]]


TOUR_COLUMNS = (
    "village_tour_required",
    "village_tour_done",
    "township_tour_required",
    "township_tour_done",
    "tour_required",
    "tour_done",
)


def _tour_pairs(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    roles: tuple[str, ...],
    place: Level,
    level: Level,
) -> pd.DataFrame:
    """(household, holder) pairs of one 遍访 duty: holders in ``roles`` of the household's
    ``place`` (its village or its township), grouped by ``level``.

    Columns: <level>_id, tour_required, tour_done.
    """
    start, end = year_start(month), month_end(month)
    source, group = household_groups(level, month)
    cadre_place, household_place = (
        (Cadre.village_id, Household.village_id)
        if place is Level.VILLAGE
        else (Cadre.township_id, Household.township_id)
    )
    holders = (
        select(cadre_place.label("place_id"), func.count().label("holders"))
        .where(Cadre.role.in_(roles), Cadre.active.is_(True))
        .group_by(cadre_place)
        .subquery("holders")
    )
    # Distinct (household, cadre) pairs visited this year by a holder of the household's duty.
    done_pairs = (
        select(Visit.household_id, Visit.cadre_id)
        .join(Cadre, Cadre.id == Visit.cadre_id)
        .join(Household, Household.id == Visit.household_id)
        .where(
            Visit.visit_date.between(start, end),
            Visit.role.in_(roles),
            Cadre.role.in_(roles),
            Cadre.active.is_(True),
            cadre_place == household_place,
            scope.covers(Household.township_id),
        )
        .distinct()
        .subquery("done_pairs")
    )
    done = (
        select(done_pairs.c.household_id, func.count().label("done"))
        .group_by(done_pairs.c.household_id)
        .subquery("done")
    )
    query = (
        select(
            group,
            func.sum(func.coalesce(holders.c.holders, 0)),
            func.sum(func.coalesce(done.c.done, 0)),
        )
        .select_from(
            source.outerjoin(holders, holders.c.place_id == household_place).outerjoin(
                done, done.c.household_id == Household.id
            )
        )
        .where(
            scope.covers(Household.township_id),
            Household.on_record_by(end),
            group.is_not(None),
        )
        .group_by(group)
    )
    return read_frame(conn, query, [level.key, "tour_required", "tour_done"])


def income_standing(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    settings: IncomeSettings,
    level: Level = Level.TOWNSHIP,
) -> pd.DataFrame:
    """Households with a projection for the year, those at or above the monitoring line, those
    with last year's income known, and those not lower than last year.

    Columns: <level>_id, income_known, above_line, growth_known, not_lower.
    """
    # The stored basis (data_access.income.store) the income views read too: one pass over two
    # years of registers per month and registers version, shared.
    incomes = household_income_query(
        scope=scope, month=month, settings=settings, basis=income_basis(conn, month)
    ).subquery()
    per_capita, last_year = incomes.c.projected_per_capita, incomes.c.last_year_per_capita
    comparable = and_(per_capita.is_not(None), last_year.is_not(None))
    if level is Level.UNIT:
        source = incomes.join(
            Assignment, _current_assignment(incomes.c.household_id, month_end(month))
        )
        source = source.join(Cadre, Cadre.id == Assignment.cadre_id)
        group = Cadre.unit_id
    else:
        source, group = incomes, incomes.c[level.key]
    query = (
        select(
            group,
            count_when(per_capita.is_not(None)),
            count_when(per_capita >= literal(settings.line_for(month.year))),
            count_when(comparable),
            count_when(and_(comparable, per_capita >= last_year)),
        )
        .select_from(source)
        .where(group.is_not(None))
        .group_by(group)
    )
    return read_frame(
        conn, query, [level.key, "income_known", "above_line", "growth_known", "not_lower"]
    )


def meeting_compliance(
    *, conn: Connection, scope: Scope, month: date, level: Level = Level.TOWNSHIP
) -> pd.DataFrame:
    """Villages, and those that held the month's 专题研究会 with a written record.

    Columns: <level>_id, villages, meetings_recorded.
    """
    source, group = village_groups(level)
    recorded = exists().where(
        Meeting.village_id == Village.id,
        Meeting.level == MeetingLevel.VILLAGE,
        Meeting.month == month,
        Meeting.has_record.is_(True),
    )
    query = (
        select(group, func.count(), count_when(recorded))
        .select_from(source)
        .where(scope.covers(Village.township_id))
        .group_by(group)
    )
    return read_frame(conn, query, [level.key, "villages", "meetings_recorded"])


def rectification_progress(
    *, conn: Connection, scope: Scope, on: date, level: Level = Level.TOWNSHIP
) -> pd.DataFrame:
    """At the end of day ``on``: items found, open, overdue (open past the deadline), and of the
    items due this year by ``on``, those closed by the deadline.

    Columns: <level>_id, found, open, overdue, due, closed_on_time.
    """
    item = RectificationItem
    group = {
        Level.TOWNSHIP: item.township_id,
        Level.VILLAGE: item.village_id,
        Level.UNIT: item.unit_id,
    }[level]
    is_open = or_(item.closed_on.is_(None), item.closed_on > on)
    due = item.deadline.between(year_start(on), on)
    query = (
        select(
            group,
            func.count(),
            count_when(is_open),
            count_when(and_(is_open, item.deadline < on)),
            count_when(due),
            count_when(and_(due, item.closed_on <= item.deadline)),
        )
        .where(scope.covers(item.township_id), item.found_on <= on, group.is_not(None))
        .group_by(group)
    )
    return read_frame(conn, query, [level.key, "found", "open", "overdue", "due", "closed_on_time"])


def circular_counts(
    *, conn: Connection, scope: Scope, on: date, level: Level = Level.TOWNSHIP
) -> pd.DataFrame:
    """红榜 and 黑榜 circulars of the year up to ``on``.

    Units are named by circulars county-wide; a township scope still sees the unit counts,
    since circulars are published. Villages are never named: the frame is empty.

    Columns: <level>_id, red_circulars, black_circulars.
    """
    columns = [level.key, "red_circulars", "black_circulars"]
    if level is Level.VILLAGE:
        return pd.DataFrame(columns=columns, dtype="int64")
    group = Circular.township_id if level is Level.TOWNSHIP else Circular.unit_id
    query = (
        select(
            group,
            count_when(Circular.color == CircularColor.RED),
            count_when(Circular.color == CircularColor.BLACK),
        )
        .where(Circular.issued_on.between(year_start(on), on), group.is_not(None))
        .group_by(group)
    )
    if level is Level.TOWNSHIP:
        query = query.where(scope.covers(Circular.township_id))
    return read_frame(conn, query, columns)


def warning_timeliness(
    *, conn: Connection, scope: Scope, month: date, settings: WarningSettings, level: Level
) -> pd.DataFrame:
    """预警按期核实: of the warnings whose last day to verify fell this year by the month's end
    (and that still needed the visit then), those verified by that day. A warning belongs to the
    township and village it was raised to; to a unit, as every household figure does, through
    the household's 帮扶干部 at the month's end.

    Columns: <level>_id, warnings_due, verified_on_time.
    """
    warning = HouseholdWarning
    if level is Level.UNIT:
        households, group = household_groups(level, month)
        source = households.join(warning, warning.household_id == Household.id)
    else:
        source = warning.__table__
        group = warning.township_id if level is Level.TOWNSHIP else warning.village_id
    query = (
        select(group, func.count(), count_when(verified_in_time(settings)))
        .select_from(source)
        .where(
            scope.covers(warning.township_id),
            fell_due(settings, year_start(month), month_end(month)),
            group.is_not(None),
        )
        .group_by(group)
    )
    return read_frame(conn, query, [level.key, "warnings_due", "verified_on_time"])


def entry_timeliness(
    *, conn: Connection, scope: Scope, month: date, within_days: int, level: Level
) -> pd.DataFrame:
    """纳入及时: households taken into monitoring (纳入监测日期) this year by the month's end,
    and those taken in no later than ``within_days`` after their first 应纳未纳 warning (the
    纳入不及时 rule's condition, negated).

    Columns: <level>_id, entered, entered_on_time.
    """
    first = first_should_monitor()
    source, group = household_groups(level, month)
    query = (
        select(
            group,
            func.count(),
            count_when(not_(entered_late(first.c.first_raised_on, within_days))),
        )
        .select_from(source.outerjoin(first, first.c.household_id == Household.id))
        .where(
            scope.covers(Household.township_id),
            Household.household_type == HouseholdType.MONITORED.value,
            Household.monitored_since.between(year_start(month), month_end(month)),
            group.is_not(None),
        )
        .group_by(group)
    )
    return read_frame(conn, query, [level.key, "entered", "entered_on_time"])


@dataclass(frozen=True)
class Family:
    """Indicators counted by one query from the same sources and settings: each is stored on its
    own (data_access.snapshots), so a write to one source recounts only the families that read
    it."""

    name: str
    columns: tuple[str, ...]
    sources: frozenset[DataSource]
    # The settings the count reads: part of its cache key.
    reads: Callable[[Settings], tuple]
    count: Callable[[Connection, Scope, date, Settings, Level], pd.DataFrame]
    # The months of registers, visits and meetings the count of a month reads (None: all).
    window: Callable[[date], Window] | None = None


def _severities(settings: Settings) -> tuple[tuple[str, str], ...]:
    """The rules in force and their severities: what a warning's deadline is counted from."""
    return tuple((rule.id, rule.severity) for rule in settings.warnings.rules)


FAMILIES = (
    Family(
        "reg",
        ("households", "registered"),
        REGISTER_SOURCES,
        lambda settings: (settings.registers.grace_days,),
        lambda conn, scope, month, settings, level: register_completeness(
            conn=conn,
            scope=scope,
            month=month,
            grace_days=settings.registers.grace_days,
            level=level,
        ),
        window=month_window,
    ),
    Family(
        "helper",
        ("assigned", "visited"),
        VISIT_SOURCES,
        lambda settings: (settings.visits.cadre_visits_per_month,),
        lambda conn, scope, month, settings, level: visit_coverage(
            conn=conn,
            scope=scope,
            month=month,
            visits_per_month=settings.visits.cadre_visits_per_month,
            level=level,
        ),
        window=month_window,
    ),
    Family(
        "tour",
        TOUR_COLUMNS,
        VISIT_SOURCES,
        lambda settings: (settings.visits.village_tour_roles, settings.visits.township_tour_roles),
        lambda conn, scope, month, settings, level: tour_completion(
            conn=conn,
            scope=scope,
            month=month,
            village_roles=settings.visits.village_tour_roles,
            township_roles=settings.visits.township_tour_roles,
            level=level,
        ),
        window=year_window,
    ),
    Family(
        "rect",
        ("found", "open", "overdue", "due", "closed_on_time"),
        RECTIFICATION_SOURCES,
        lambda settings: (),
        lambda conn, scope, month, settings, level: rectification_progress(
            conn=conn, scope=scope, on=month_end(month), level=level
        ),
        window=through_window,
    ),
    Family(
        "income",
        ("income_known", "above_line", "growth_known", "not_lower"),
        INCOME_SOURCES,
        lambda settings: (settings.income,),
        lambda conn, scope, month, settings, level: income_standing(
            conn=conn, scope=scope, month=month, settings=settings.income, level=level
        ),
        window=income_window,
    ),
    Family(
        "meeting",
        ("villages", "meetings_recorded"),
        MEETING_SOURCES,
        lambda settings: (),
        lambda conn, scope, month, settings, level: meeting_compliance(
            conn=conn, scope=scope, month=month, level=level
        ),
        window=month_window,
    ),
    Family(
        "warning",
        ("warnings_due", "verified_on_time"),
        WARNING_SOURCES,
        lambda settings: (settings.warnings.verify_within_days, _severities(settings)),
        lambda conn, scope, month, settings, level: warning_timeliness(
            conn=conn, scope=scope, month=month, settings=settings.warnings, level=level
        ),
    ),
    Family(
        "entry",
        ("entered", "entered_on_time"),
        WARNING_SOURCES,
        lambda settings: (settings.warnings.entry_within_days,),
        lambda conn, scope, month, settings, level: entry_timeliness(
            conn=conn,
            scope=scope,
            month=month,
            within_days=settings.warnings.entry_within_days,
            level=level,
        ),
    ),
    Family(
        "circular",
        ("red_circulars", "black_circulars"),
        CIRCULAR_SOURCES,
        lambda settings: (),
        lambda conn, scope, month, settings, level: circular_counts(
            conn=conn, scope=scope, on=month_end(month), level=level
        ),
    ),
)
COUNT_COLUMNS = tuple(column for family in FAMILIES for column in family.columns)
# Every source some indicator reads: what a score over all of them depends on.
INDICATOR_SOURCES = frozenset().union(*(family.sources for family in FAMILIES))


FAMILY_BY_NAME = {family.name: family for family in FAMILIES}


def merge_counts(parts: list[pd.DataFrame], level: Level) -> pd.DataFrame:
    """Families' counts side by side, in the families' order, one row per group with any (0
    where it has none)."""
    table = parts[0]
    for part in parts[1:]:
        table = table.merge(part, on=level.key, how="outer")
    columns = [level.key, *(c for part in parts for c in part.columns if c != level.key)]
    return table.fillna(0).astype("int64")[columns]


def all_indicator_counts(
    *, conn: Connection, scope: Scope, month: date, settings: Settings, level: Level
) -> pd.DataFrame:
    """Every indicator's raw counts for ``month``, one row per group with any data, counted now.

    Columns: <level>_id and COUNT_COLUMNS (0 where a group has no rows of that kind).
    """
    return merge_counts(
        [family.count(conn, scope, month, settings, level) for family in FAMILIES], level
    )
