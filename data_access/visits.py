"""走访覆盖: who visited whom, per duty the speech sets, aggregated in SQL per village.

Each duty covers a set of households and is done for a household when someone in the duty's role
visited it in the duty's period:

- 帮扶干部 (monthly): households with a 帮扶干部 assigned during the month, visited at least
  ``cadre_visits_per_month`` times in the month by one of their assigned 帮扶干部: counted by
  ``indicators.visit_coverage``, the one definition 总览, 红黑榜 and the wall count too.
- 驻村工作队与村支书 遍访 (year to date): each holder of one of ``village_tour_roles`` visits
  every household of their village this year; counted in (household, holder) pairs by
  ``indicators.tour_completion``, the one definition 红黑榜 scores too.
- 乡镇领导 遍访 (year to date): each holder of one of ``township_tour_roles`` visits every
  household of their township this year; pairs, as above.
- 网格员 (monthly): every household of the village, visited at least ``grid_visits_per_month``
  times in the month by a 网格员 of that village.

Visits count in the role the visitor held on the day (``Visit.role``), so a visit by the wrong
role never counts for a duty. Functions return raw counts; ``with_coverage`` divides, and a place
whose duty covers no household has no share (NaN, "no data"), never 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Subquery,
    and_,
    exists,
    func,
    or_,
    select,
)

from config.settings import VisitSettings
from data_access.caching import cached_frame, in_scope, settings_key, snapshot
from data_access.indicators import (
    VISIT_SOURCES,
    Level,
    count_when,
    tour_completion,
    visit_coverage,
)
from data_access.masking import name_column
from data_access.models import (
    Assignment,
    AssistingUnit,
    Cadre,
    CadreRole,
    Household,
    Meeting,
    MeetingLevel,
    Township,
    Village,
    Visit,
)
from data_access.periods import month_end, year_start
from data_access.scope import Scope, county_scope
from data_access.versions import month_window, year_window


@dataclass(frozen=True)
class Duty:
    key: str
    label: str
    # For headline cards, where seven share a screen.
    short_label: str
    # Count columns of ``village_coverage``: what the duty requires, and what is done.
    covered: str
    visited: str
    year_to_date: bool
    # In words; {helper_times} and {grid_times} stand for the visits a month the settings ask.
    rule: str
    # What the counts count: households, or (cadre, household) pairs for a 遍访 that every
    # holder owes every household.
    unit: str = "户"

    def rule_for(self, settings: VisitSettings) -> str:
        """The rule in words with the settings in force ("…至少 2 次…")."""
        return self.rule.format(
            helper_times=settings.cadre_visits_per_month,
            grid_times=settings.grid_visits_per_month,
        )

    @property
    def period_label(self) -> str:
        return "本年累计" if self.year_to_date else "本月"

    @property
    def card_label(self) -> str:
        return f"{self.short_label}·{'本年' if self.year_to_date else '本月'}"


DUTIES: tuple[Duty, ...] = (
    Duty(
        "helper",
        "帮扶干部走访",
        "帮扶干部",
        "helper_assigned",
        "helper_visited",
        False,
        "有帮扶干部的户中，本月被其帮扶干部入户走访至少 {helper_times} 次的比例",
    ),
    Duty(
        "village_tour",
        "驻村工作队与村支书遍访",
        "驻村遍访",
        "village_tour_required",
        "village_tour_done",
        True,
        "本村第一书记、工作队员、村支书每人都要遍访本村每一户脱贫户、监测户：本年已走访的人户"
        "（一名责任人走访一户计 1 人户）占应走访人户的比例",
        unit="人户",
    ),
    Duty(
        "township_tour",
        "乡镇领导遍访",
        "领导遍访",
        "township_tour_required",
        "township_tour_done",
        True,
        "乡镇党委书记、乡镇长每人都要遍访本乡镇每一户脱贫户、监测户：本年已走访的人户"
        "（一名责任人走访一户计 1 人户）占应走访人户的比例",
        unit="人户",
    ),
    Duty(
        "grid",
        "网格员走访",
        "网格员",
        "households",
        "grid_visited",
        False,
        "本村各户中，本月被本村网格员走访至少 {grid_times} 次的比例",
    ),
)
DUTY_BY_KEY = {duty.key: duty for duty in DUTIES}

COUNT_COLUMNS = (
    "households",
    "helper_assigned",
    "helper_visited",
    "village_tour_required",
    "village_tour_done",
    "township_tour_required",
    "township_tour_done",
    "grid_visited",
    "never_visited",
)


# The snapshot kind of the visit map's counts per village.
VILLAGE_VISITS_KIND = "village_visits"


def _visits_by(
    *,
    roles: tuple[str, ...],
    holder_of: ColumnElement[bool],
    start: date,
    end: date,
) -> ColumnElement[int]:
    """Visits of the (correlated) household between ``start`` and ``end`` by a cadre visiting in
    one of ``roles`` who is a duty holder of the household (``holder_of``)."""
    return (
        select(func.count())
        .select_from(Visit)
        .join(Cadre, Cadre.id == Visit.cadre_id)
        .where(
            Visit.household_id == Household.id,
            Visit.role.in_(roles),
            Visit.visit_date.between(start, end),
            holder_of,
        )
        .correlate(Household)
        .scalar_subquery()
    )


def _household_visit_counts(*, scope: Scope, month: date, settings: VisitSettings) -> Subquery:
    """One row per household in scope visited this year to the month's end, with its 网格员
    visits of the month. One pass over the year's visits (a correlated count per household took
    seconds at the scale of a county).

    Columns: household_id, village_id, grid.
    """
    start, end, year = month, month_end(month), year_start(month)
    in_month = Visit.visit_date >= start
    return (
        select(
            Visit.household_id.label("household_id"),
            Household.village_id.label("village_id"),
            # A grid worker of the household's village, not only of its grid: workers stand in
            # for each other, and the village is what the map shows.
            count_when(
                and_(
                    in_month,
                    Visit.role == CadreRole.GRID_WORKER,
                    Cadre.village_id == Household.village_id,
                )
            ).label("grid"),
        )
        .select_from(Visit)
        .join(Cadre, Cadre.id == Visit.cadre_id)
        .join(Household, Household.id == Visit.household_id)
        .where(
            Visit.visit_date.between(year, end),
            scope.covers(Household.township_id),
            Household.on_record_by(end),
        )
        .group_by(Visit.household_id, Household.village_id)
        .subquery("household_visits")
    )


def _village_counts(
    *, conn: Connection, scope: Scope, month: date, settings: VisitSettings
) -> pd.DataFrame:
    """Per village with households in scope: households, and per duty those covered and those
    reached; plus households not visited by anyone this year.

    Columns: village_id and COUNT_COLUMNS.
    """
    households = pd.DataFrame(
        conn.execute(
            select(Household.village_id, func.count())
            .where(scope.covers(Household.township_id), Household.on_record_by(month_end(month)))
            .group_by(Household.village_id)
        ).all(),
        columns=["village_id", "households"],
    )
    helpers = visit_coverage(
        conn=conn,
        scope=scope,
        month=month,
        visits_per_month=settings.cadre_visits_per_month,
        level=Level.VILLAGE,
    ).rename(columns={"assigned": "helper_assigned", "visited": "helper_visited"})
    # Aggregated on its own rather than outer-joined to every household: SQLite would rescan
    # the per-household subquery for each household.
    visits = _household_visit_counts(scope=scope, month=month, settings=settings)
    reached = pd.DataFrame(
        conn.execute(
            select(
                visits.c.village_id,
                count_when(visits.c.grid >= settings.grid_visits_per_month),
                func.count(),
            ).group_by(visits.c.village_id)
        ).all(),
        columns=["village_id", "grid_visited", "visited_this_year"],
    )
    tours = tour_completion(
        conn=conn,
        scope=scope,
        month=month,
        village_roles=settings.village_tour_roles,
        township_roles=settings.township_tour_roles,
        level=Level.VILLAGE,
    )
    counted = (
        households.merge(helpers, on="village_id", how="left")
        .merge(tours, on="village_id", how="left")
        .merge(reached, on="village_id", how="left")
        .fillna(0)
    )
    counted["never_visited"] = counted["households"] - counted["visited_this_year"]
    return counted[["village_id", *COUNT_COLUMNS]].astype("int64")


def village_coverage(
    *, conn: Connection, scope: Scope, month: date, settings: VisitSettings
) -> pd.DataFrame:
    """Every village in scope (those without households too) with its households and, per duty,
    those covered and those reached; plus households not visited by anyone this year.

    The counts come from the county's snapshot of the month (data_access.snapshots), computed
    once per data version; the villages in scope keep theirs.

    Columns: village_id, village, township_id, township, lon, lat, and COUNT_COLUMNS.
    """
    counted = snapshot(
        conn=conn,
        kind=VILLAGE_VISITS_KIND,
        month=month,
        key="village_id",
        fingerprint=settings_key(COUNT_COLUMNS, settings),
        sources=VISIT_SOURCES,
        window=year_window(month),
        compute=lambda: _village_counts(
            conn=conn, scope=county_scope(conn=conn), month=month, settings=settings
        ),
    )
    places = pd.DataFrame(
        conn.execute(
            select(
                Village.id,
                Village.name,
                Village.township_id,
                Township.name,
                Village.lon,
                Village.lat,
            )
            .join(Township, Township.id == Village.township_id)
            .where(scope.covers(Village.township_id))
            .order_by(Township.code, Village.code)
        ).all(),
        columns=["village_id", "village", "township_id", "township", "lon", "lat"],
    )
    frame = places.merge(counted[["village_id", *COUNT_COLUMNS]], on="village_id", how="left")
    frame[list(COUNT_COLUMNS)] = frame[list(COUNT_COLUMNS)].fillna(0).astype("int64")
    return frame


def township_totals(villages: pd.DataFrame) -> pd.DataFrame:
    """``village_coverage`` added up per township (counts add; shares are divided afterwards).

    Columns: township_id, township, villages, and COUNT_COLUMNS.
    """
    grouped = villages.groupby(["township_id", "township"], sort=False)
    totals = grouped[list(COUNT_COLUMNS)].sum()
    totals.insert(0, "villages", grouped.size())
    return totals.reset_index()


def with_coverage(frame: pd.DataFrame, duty: Duty) -> pd.DataFrame:
    """``frame`` with the duty's covered, visited and unvisited counts (in ``unit``: households,
    or cadre × household pairs) and its coverage share (NaN where the duty covers nothing: no
    data, not 0 %)."""
    covered = frame[duty.covered].astype("int64")
    visited = frame[duty.visited].astype("int64")
    return frame.assign(
        unit=duty.unit,
        covered=covered,
        visited=visited,
        unvisited=covered - visited,
        coverage=(visited / covered.where(covered > 0)).astype(float),
    )


def with_duty_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (village or township counts) with every duty's share as ``<key>_rate``."""
    return frame.assign(
        **{f"{duty.key}_rate": with_coverage(frame, duty)["coverage"] for duty in DUTIES}
    )


def lowest_first(frame: pd.DataFrame) -> pd.DataFrame:
    """``with_coverage`` rows that have a share, lowest first (more unvisited households first
    among equals); places without data are left out, not ranked as 0 %."""
    return frame.dropna(subset=["coverage"]).sort_values(
        ["coverage", "unvisited"], ascending=[True, False]
    )


def overall_coverage(frame: pd.DataFrame, duty: Duty) -> tuple[int, int, float | None]:
    """(visited, covered, share) of the duty over all rows of ``frame``; share None when the
    duty covers no household."""
    visited, covered = int(frame[duty.visited].sum()), int(frame[duty.covered].sum())
    return visited, covered, (visited / covered if covered else None)


def cadres_with_unvisited_households(
    *, conn: Connection, scope: Scope, month: date, visits_per_month: int
) -> pd.DataFrame:
    """帮扶干部 with households (联系户 at the month's end) they did not visit at least
    ``visits_per_month`` times in the month, by unit; a cadre whose households lie in two
    townships appears once per township, so each township sees its part.

    Reassignments during the month count for the cadre holding the household at its end: that
    is who the township asks.

    Computed for the whole county once per data version (data_access.caching); the townships
    of ``scope`` keep their rows.

    Columns: unit, cadre_id, cadre, township_id, township, assigned, unvisited.
    """
    county = cached_frame(
        conn=conn,
        name="visits_unvisited_cadres",
        month=month,
        fingerprint=settings_key(visits_per_month),
        sources=VISIT_SOURCES,
        window=month_window(month),
        compute=lambda: _cadres_with_unvisited_households(
            conn=conn, scope=county_scope(conn=conn), month=month, visits_per_month=visits_per_month
        ),
    )
    return in_scope(county, scope)


def _cadres_with_unvisited_households(
    *, conn: Connection, scope: Scope, month: date, visits_per_month: int
) -> pd.DataFrame:
    start, end = month, month_end(month)
    own_visits = (
        select(func.count())
        .where(
            Visit.household_id == Assignment.household_id,
            Visit.cadre_id == Assignment.cadre_id,
            Visit.role == CadreRole.HELPER,
            Visit.visit_date.between(start, end),
        )
        .correlate(Assignment)
        .scalar_subquery()
    )
    unvisited = count_when(own_visits < visits_per_month)
    unit = func.coalesce(AssistingUnit.name, "（未填单位）")
    query = (
        select(
            unit,
            Cadre.id,
            Cadre.name,
            Township.id,
            Township.name,
            func.count(),
            unvisited,
        )
        .select_from(Assignment)
        .join(Cadre, Cadre.id == Assignment.cadre_id)
        .join(Household, Household.id == Assignment.household_id)
        .join(Township, Township.id == Household.township_id)
        .outerjoin(AssistingUnit, AssistingUnit.id == Cadre.unit_id)
        .where(
            scope.covers(Household.township_id),
            Household.on_record_by(end),
            Assignment.held_on(end),
        )
        .group_by(unit, Cadre.id, Cadre.name, Township.id, Township.name)
        .having(unvisited > 0)
        .order_by(unit, unvisited.desc(), Cadre.id)
    )
    columns = ["unit", "cadre_id", "cadre", "township_id", "township", "assigned", "unvisited"]
    frame = pd.DataFrame(conn.execute(query).all(), columns=columns)
    return frame.astype(
        {"cadre_id": "int64", "township_id": "int64", "assigned": "int64", "unvisited": "int64"}
    )


def villages_without_meeting_record(*, conn: Connection, scope: Scope, month: date) -> pd.DataFrame:
    """Villages whose 防返贫动态监测专题研究会 of ``month`` has no written record: not held, or
    held without a record (the complement of ``indicators.meeting_compliance``).

    Columns: village_id, village, township_id, township, held_on, status.
    """
    meeting = and_(
        Meeting.village_id == Village.id,
        Meeting.level == MeetingLevel.VILLAGE,
        Meeting.month == month,
    )
    query = (
        select(
            Village.id,
            Village.name,
            Township.id,
            Township.name,
            Meeting.held_on,
            Meeting.id.is_(None),
        )
        .select_from(Village)
        .join(Township, Township.id == Village.township_id)
        .outerjoin(Meeting, meeting)
        .where(
            scope.covers(Village.township_id),
            or_(Meeting.id.is_(None), Meeting.has_record.is_not(True)),
        )
        .order_by(Township.code, Village.code)
    )
    rows = conn.execute(query).all()
    frame = pd.DataFrame(
        [row[:5] for row in rows],
        columns=["village_id", "village", "township_id", "township", "held_on"],
    )
    frame["status"] = ["未召开" if not_held else "已召开，无会议记录" for *_, not_held in rows]
    return frame


def year_elapsed(month: date) -> float:
    """Share of the year that has passed at the end of ``month`` (by days)."""
    start = year_start(month)
    days_in_year = (date(month.year + 1, 1, 1) - start).days
    return ((month_end(month) - start).days + 1) / days_in_year


def township_leader_tours(
    *, conn: Connection, scope: Scope, month: date, township_roles: tuple[str, ...]
) -> pd.DataFrame:
    """Each active township leader's 遍访 this year to the month's end: households of their
    township, those they have visited in their role, and whether that share is behind the
    share of the year elapsed (a steady pace finishes on 31 December).

    Columns: cadre_id, cadre, role, township_id, township, households, visited, share,
    expected, behind.
    """
    county = cached_frame(
        conn=conn,
        name="visits_township_leader_tours",
        month=month,
        fingerprint=settings_key(list(township_roles)),
        sources=VISIT_SOURCES,
        window=year_window(month),
        compute=lambda: _township_leader_tours(
            conn=conn, scope=county_scope(conn=conn), month=month, township_roles=township_roles
        ),
    )
    frame = in_scope(county, scope)
    expected = year_elapsed(month)
    share = frame["visited"] / frame["households"].where(frame["households"] > 0)
    return frame.assign(
        share=share.astype(float), expected=expected, behind=share.fillna(1.0) < expected
    )


def _township_leader_tours(
    *, conn: Connection, scope: Scope, month: date, township_roles: tuple[str, ...]
) -> pd.DataFrame:
    """Columns: cadre_id, cadre, role, township_id, township, households, visited."""
    start, end = year_start(month), month_end(month)
    households = (
        select(Household.township_id, func.count().label("households"))
        .where(Household.on_record_by(end))
        .group_by(Household.township_id)
        .subquery("township_households")
    )
    visited = (
        select(func.count(func.distinct(Visit.household_id)))
        .join(Household, Household.id == Visit.household_id)
        .where(
            Visit.cadre_id == Cadre.id,
            Visit.role.in_(township_roles),
            Visit.visit_date.between(start, end),
            Household.township_id == Cadre.township_id,
            Household.on_record_by(end),
        )
        .correlate(Cadre)
        .scalar_subquery()
    )
    query = (
        select(
            Cadre.id,
            Cadre.name,
            Cadre.role,
            Township.id,
            Township.name,
            func.coalesce(households.c.households, 0),
            visited,
        )
        .join(Township, Township.id == Cadre.township_id)
        .outerjoin(households, households.c.township_id == Cadre.township_id)
        .where(
            Cadre.role.in_(township_roles),
            Cadre.active.is_(True),
            scope.covers(Cadre.township_id),
        )
        .order_by(Township.code, Cadre.role, Cadre.id)
    )
    columns = ["cadre_id", "cadre", "role", "township_id", "township", "households", "visited"]
    frame = pd.DataFrame(conn.execute(query).all(), columns=columns)
    return frame.astype(
        {"cadre_id": "int64", "township_id": "int64", "households": "int64", "visited": "int64"}
    )


def township_outlines(*, conn: Connection, scope: Scope) -> pd.DataFrame:
    """Townships in scope with their boundary (GeoJSON geometry or None) and label point.

    Columns: township_id, township, boundary, center_lon, center_lat.
    """
    query = (
        select(
            Township.id, Township.name, Township.boundary, Township.center_lon, Township.center_lat
        )
        .where(scope.covers(Township.id))
        .order_by(Township.code)
    )
    columns = ["township_id", "township", "boundary", "center_lon", "center_lat"]
    return pd.DataFrame(conn.execute(query).all(), columns=columns)


def _in_village(scope: Scope, village_id: int) -> ColumnElement[bool]:
    return and_(Household.village_id == village_id, scope.covers(Household.township_id))


def village_households(
    *, conn: Connection, scope: Scope, village_id: int, month: date, settings: VisitSettings
) -> pd.DataFrame:
    """The village's households with who should visit them and who did: their 帮扶干部 at the
    month's end and that cadre's visits in the month, 网格员 visits in the month, 遍访 visits
    this year and the last visit by anyone. The head's name is masked unless the scope may see
    personal data (masked in SQL, so the full name never leaves the database).

    Columns: household_id, code, head, household_type, helper, helper_visits, grid_visits,
    tour_visits, last_visit.
    """
    start, end, year = month, month_end(month), year_start(month)
    current = and_(
        Assignment.household_id == Household.id,
        Assignment.held_on(end),
    )
    helper = (
        select(func.min(Cadre.name))
        .join(Assignment, Assignment.cadre_id == Cadre.id)
        .where(current)
        .correlate(Household)
        .scalar_subquery()
    )
    helper_visits = _visits_by(
        roles=(CadreRole.HELPER.value,),
        holder_of=Visit.cadre_id.in_(select(Assignment.cadre_id).where(current)),
        start=start,
        end=end,
    )
    grid_visits = _visits_by(
        roles=(CadreRole.GRID_WORKER.value,),
        holder_of=Cadre.village_id == Household.village_id,
        start=start,
        end=end,
    )
    tour_visits = _visits_by(
        roles=settings.village_tour_roles + settings.township_tour_roles,
        holder_of=or_(
            Cadre.village_id == Household.village_id, Cadre.township_id == Household.township_id
        ),
        start=year,
        end=end,
    )
    last_visit = (
        select(func.max(Visit.visit_date))
        .where(Visit.household_id == Household.id, Visit.visit_date <= end)
        .correlate(Household)
        .scalar_subquery()
    )
    query = (
        select(
            Household.id,
            Household.code,
            name_column(Household.head_name, personal_data=scope.personal_data),
            Household.household_type,
            helper,
            helper_visits,
            grid_visits,
            tour_visits,
            last_visit,
        )
        .where(_in_village(scope, village_id), Household.on_record_by(end))
        .order_by(Household.code)
    )
    columns = [
        "household_id",
        "code",
        "head",
        "household_type",
        "helper",
        "helper_visits",
        "grid_visits",
        "tour_visits",
        "last_visit",
    ]
    return pd.DataFrame(conn.execute(query).all(), columns=columns)


def village_cadres(
    *, conn: Connection, scope: Scope, village_id: int, month: date, settings: VisitSettings
) -> pd.DataFrame:
    """Everyone with a visiting duty in the village: its own cadres (帮扶干部, village team,
    village secretary, 网格员 …), 帮扶干部 of its households from elsewhere, and the leaders of
    its township; with households of the village they visited this month and this year.

    Columns: cadre_id, cadre, role, unit, assigned, visited_month, visited_year.
    """
    start, end, year = month, month_end(month), year_start(month)
    village = conn.execute(
        select(Village.township_id).where(
            Village.id == village_id, scope.covers(Village.township_id)
        )
    ).scalar_one_or_none()
    columns = ["cadre_id", "cadre", "role", "unit", "assigned", "visited_month", "visited_year"]
    if village is None:
        return pd.DataFrame(columns=columns)
    in_village = Household.village_id == village_id
    current = and_(
        Assignment.cadre_id == Cadre.id,
        Assignment.held_on(end),
    )
    assigned = (
        select(func.count())
        .select_from(Assignment)
        .join(Household, Household.id == Assignment.household_id)
        .where(current, in_village)
        .correlate(Cadre)
        .scalar_subquery()
    )

    def visited(since: date) -> ColumnElement[int]:
        return (
            select(func.count(func.distinct(Visit.household_id)))
            .join(Household, Household.id == Visit.household_id)
            .where(Visit.cadre_id == Cadre.id, in_village, Visit.visit_date.between(since, end))
            .correlate(Cadre)
            .scalar_subquery()
        )

    query = (
        select(
            Cadre.id,
            Cadre.name,
            Cadre.role,
            AssistingUnit.name,
            assigned,
            visited(start),
            visited(year),
        )
        .outerjoin(AssistingUnit, AssistingUnit.id == Cadre.unit_id)
        .where(
            Cadre.active.is_(True),
            or_(
                Cadre.village_id == village_id,
                and_(Cadre.role.in_(settings.township_tour_roles), Cadre.township_id == village),
                exists(
                    select(Assignment.id)
                    .join(Household, Household.id == Assignment.household_id)
                    .where(current, in_village)
                    .correlate(Cadre)
                ),
            ),
        )
        .order_by(Cadre.role, Cadre.id)
    )
    return pd.DataFrame(conn.execute(query).all(), columns=columns)
