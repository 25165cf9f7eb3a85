"""整改进度: the rectification ledger against the county's countdown deadlines.

Queries aggregate in SQL and take the viewer's scope; the pure functions below them turn counts into
the running number of open items, the target line to the milestones and the projected completion
date at the current closing pace. ``change_status`` holds the rules of editing an item.

Day conventions, shared with ``indicators.rectification_progress``: an item is open at the end of
day ``d`` when it was found by ``d`` and not closed by ``d``; it is overdue when it is open and its
deadline lies before ``d`` (an item due today is not overdue yet).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from data_access.audit import AuditAction
from data_access.commands import Change
from data_access.indicators import count_when
from data_access.models import (
    AssistingUnit,
    Cadre,
    CadreRole,
    DataSource,
    ProblemSource,
    RectificationItem,
    RectificationKind,
    RectificationStatus,
    RectificationStatusChange,
    Township,
    Village,
)
from data_access.periods import day_label, month_start
from data_access.scope import Scope

item = RectificationItem
# Where a county-level item (no township) shows in the township column and breakdown.
COUNTY_LEVEL = "县级（不分乡镇）"

# The standard 台账 columns, in the order of the printed ledger; keys are the frame's columns.
LEDGER_COLUMNS: dict[str, str] = {
    "seq": "序号",
    "source": "问题来源",
    "category": "问题类别",
    "description": "问题描述",
    "township": "责任乡镇",
    "village": "责任村",
    "unit": "责任单位",
    "responsible_person": "责任人",
    "measure": "整改措施",
    "deadline": "整改时限",
    "status": "整改状态",
    "closed_on": "销号日期",
}


def _open_at(day: date | ColumnElement[date]) -> ColumnElement[bool]:
    """Found by the end of ``day`` and not closed by then."""
    return and_(item.found_on <= day, or_(item.closed_on.is_(None), item.closed_on > day))


def _overdue_at(day: date) -> ColumnElement[bool]:
    return and_(_open_at(day), item.deadline < day)


def county_level_items(*, conn: Connection, scope: Scope, on: date) -> tuple[int, int]:
    """(open, overdue) at the end of ``on`` among the county-level items (no township), for a
    viewer of the whole county; (0, 0) for anyone else. The townships' figures leave them out."""
    if not scope.whole_county:
        return 0, 0
    open_count, overdue = conn.execute(
        select(count_when(_open_at(on)), count_when(_overdue_at(on))).where(
            item.township_id.is_(None)
        )
    ).one()
    return int(open_count or 0), int(overdue or 0)


def is_overdue(*, deadline: date, closed_on: date | None, today: date) -> bool:
    """Open at the end of ``today`` and past its deadline (due today is not overdue)."""
    return (closed_on is None or closed_on > today) and deadline < today


# ----------------------------------------------------------------------------------------------
# Progress by group


class Breakdown(StrEnum):
    """What the progress chart groups items by; the value is the label users see."""

    SOURCE = "问题来源"
    CATEGORY = "问题类别"
    TOWNSHIP = "责任乡镇"
    UNIT = "责任单位"


def _in_year_workload(year_start: date) -> ColumnElement[bool]:
    """This year's workload: items found since ``year_start``, plus those carried over open."""
    return or_(item.found_on >= year_start, item.closed_on.is_(None), item.closed_on >= year_start)


def progress_by(
    *, conn: Connection, scope: Scope, today: date, breakdown: Breakdown
) -> pd.DataFrame:
    """This year's items (found this year or still open at its start) per group, as of the end of
    ``today``: total, closed, open and overdue. Items without an assisting unit are left out of
    the unit breakdown.

    Columns: name, total, closed, open, overdue — ordered by share closed, lowest first.
    """
    year_start = date(today.year, 1, 1)
    measures = (
        func.count(),
        count_when(item.closed_on <= today),
        count_when(_open_at(today)),
        count_when(_overdue_at(today)),
    )
    where = (
        scope.covers_with_county(item.township_id),
        item.found_on <= today,
        _in_year_workload(year_start),
    )
    if breakdown is Breakdown.TOWNSHIP:
        query: Select = (
            select(func.coalesce(Township.name, COUNTY_LEVEL), *measures)
            .select_from(item)
            .outerjoin(Township, Township.id == item.township_id)
            .group_by(Township.id, Township.name)
        )
    elif breakdown is Breakdown.UNIT:
        query = (
            select(AssistingUnit.name, *measures)
            .join(AssistingUnit, AssistingUnit.id == item.unit_id)
            .group_by(AssistingUnit.id, AssistingUnit.name)
        )
    else:
        column = item.source if breakdown is Breakdown.SOURCE else item.category
        query = select(column, *measures).select_from(item).group_by(column)
    frame = pd.DataFrame(
        conn.execute(query.where(*where)).all(),
        columns=["name", "total", "closed", "open", "overdue"],
    )
    counts = ["total", "closed", "open", "overdue"]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["closed_share"] = frame["closed"] / frame["total"].where(frame["total"] > 0)
    return frame.sort_values(["closed_share", "name"]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Burn-down and projection


def open_items_history(*, conn: Connection, scope: Scope, since: date, until: date) -> pd.DataFrame:
    """Open items at the end of every day from ``since`` to ``until``.

    SQL counts the items open the day before ``since`` and the items found and closed on each
    day; the running total is ``running_open``.

    Columns: day, open.
    """
    covered = scope.covers_with_county(item.township_id)
    baseline = conn.execute(
        select(func.count()).where(covered, _open_at(since - timedelta(days=1)))
    ).scalar_one()
    found = conn.execute(
        select(item.found_on, func.count())
        .where(covered, item.found_on.between(since, until))
        .group_by(item.found_on)
    ).all()
    closed = conn.execute(
        select(item.closed_on, func.count())
        .where(covered, item.closed_on.between(since, until), item.closed_on >= item.found_on)
        .group_by(item.closed_on)
    ).all()
    return running_open(
        baseline=int(baseline),
        found={_as_date(d): int(n) for d, n in found},
        closed={_as_date(d): int(n) for d, n in closed},
        since=since,
        until=until,
    )


def _as_date(value: date | datetime | str) -> date:
    """A DATE column's value (some drivers return datetimes or ISO strings for aggregates)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def running_open(
    *, baseline: int, found: dict[date, int], closed: dict[date, int], since: date, until: date
) -> pd.DataFrame:
    """The open count at the end of each day: the day before's, plus found, minus closed.

    Columns: day, open.
    """
    days = pd.date_range(since, until, freq="D").date
    open_count, counts = baseline, []
    for day in days:
        open_count += found.get(day, 0) - closed.get(day, 0)
        counts.append(open_count)
    return pd.DataFrame({"day": list(days), "open": counts})


def target_line(*, today: date, open_now: int, milestones: pd.DataFrame) -> pd.DataFrame:
    """倒排工期: the straight line from today's open items to each milestone, where everything
    due by that milestone must be closed (what may remain open is what is due after it).

    ``milestones`` has the columns of ``overview.upcoming_milestones`` (name, due_on, open_items).
    Columns: day, open, name (the milestone, empty for today).
    """
    rows = [{"day": today, "open": open_now, "name": ""}]
    for milestone in milestones.itertuples():
        remaining = max(open_now - int(milestone.open_items), 0)
        rows.append({"day": milestone.due_on, "open": remaining, "name": milestone.name})
    return pd.DataFrame(rows, columns=["day", "open", "name"])


@dataclass(frozen=True)
class Projection:
    """When the open items will be closed at the current pace, against a deadline."""

    open_items: int
    pace: float  # items closed per day
    deadline: date
    finish_on: date | None  # None when nothing is being closed
    days_late: int | None  # negative = early; None when there is no finish date

    @property
    def late(self) -> bool:
        """Will not make the deadline: finishes after it, or never at this pace."""
        return self.open_items > 0 and (self.days_late is None or self.days_late > 0)


def project_completion(*, open_items: int, pace: float, today: date, deadline: date) -> Projection:
    """Projected completion at ``pace`` items a day, counting whole days from ``today``.

    40 open items at 2 a day take 20 days: with 15 days to the deadline that is 5 days late.
    Nothing open finishes today; nothing closing (pace 0) never finishes.
    """
    if open_items <= 0:
        return Projection(0, pace, deadline, today, (today - deadline).days)
    if pace <= 0:
        return Projection(open_items, pace, deadline, None, None)
    finish_on = today + timedelta(days=math.ceil(open_items / pace))
    return Projection(open_items, pace, deadline, finish_on, (finish_on - deadline).days)


def projection_sentence(name: str, projection: Projection) -> str:
    """'按目前进度，马庄镇将于12月3日完成，比期限晚18天' and its variants."""
    if projection.open_items == 0:
        return f"{name}节点前到期的整改问题已全部销号"
    if projection.finish_on is None or projection.days_late is None:
        return f"按目前进度，{name}近期没有销号，{projection.open_items}项无法按期完成"
    when = f"按目前进度，{name}将于{_dated(projection.finish_on, projection.deadline)}完成"
    if projection.days_late > 0:
        return f"{when}，比期限晚{projection.days_late}天"
    if projection.days_late < 0:
        return f"{when}，比期限早{-projection.days_late}天"
    return f"{when}，恰好赶上期限"


def _finish_text(projection: Projection) -> str:
    if projection.open_items == 0:
        return "已清零"
    if projection.finish_on is None:
        return "无法完成"
    return _dated(projection.finish_on, projection.deadline)


def _late_text(projection: Projection) -> str:
    if projection.open_items == 0:
        return ""
    if projection.days_late is None:
        return "无法按期"
    if projection.days_late > 0:
        return f"晚 {projection.days_late} 天"
    return "按期" if projection.days_late == 0 else f"早 {-projection.days_late} 天"


def _dated(day: date, deadline: date) -> str:
    """'12月3日', with the year when it differs from the deadline's."""
    return day_label(day) if day.year == deadline.year else f"{day.year}年{day_label(day)}"


def closing_pace_by_township(
    *, conn: Connection, scope: Scope, today: date, due_by: date, window_days: int
) -> pd.DataFrame:
    """Per township in scope: items open at the end of ``today`` that are due by ``due_by``
    (overdue ones included: all must be closed by then), and items closed in the last
    ``window_days`` days up to ``today``.

    Columns: township_id, name, open_due, closed_recent.
    """
    window_start = today - timedelta(days=window_days - 1)
    counts = (
        select(
            item.township_id.label("township_id"),
            count_when(and_(_open_at(today), item.deadline <= due_by)).label("open_due"),
            count_when(item.closed_on.between(window_start, today)).label("closed_recent"),
        )
        .where(scope.covers_with_county(item.township_id), item.found_on <= today)
        .group_by(item.township_id)
        .subquery()
    )
    query = (
        select(
            Township.id,
            Township.name,
            func.coalesce(counts.c.open_due, 0),
            func.coalesce(counts.c.closed_recent, 0),
        )
        .outerjoin(counts, counts.c.township_id == Township.id)
        .where(scope.covers(Township.id))
        .order_by(Township.code)
    )
    frame = pd.DataFrame(
        conn.execute(query).all(), columns=["township_id", "name", "open_due", "closed_recent"]
    )
    frame[["open_due", "closed_recent"]] = frame[["open_due", "closed_recent"]].astype("int64")
    return frame


def township_projections(
    pace: pd.DataFrame, *, today: date, deadline: date, window_days: int, county_name: str
) -> pd.DataFrame:
    """One projection per township and one for the whole scope (first), latest finish first.

    ``pace`` is ``closing_pace_by_township``. Columns: name, open_due, pace, finish_on, days_late,
    late, finish_text, late_text (both for a table), sentence.
    """
    groups = [(county_name, int(pace["open_due"].sum()), int(pace["closed_recent"].sum()))]
    groups += list(zip(pace["name"], pace["open_due"], pace["closed_recent"], strict=True))
    rows = []
    for name, open_due, closed_recent in groups:
        projection = project_completion(
            open_items=int(open_due),
            pace=int(closed_recent) / window_days,
            today=today,
            deadline=deadline,
        )
        rows.append(
            {
                "name": name,
                "open_due": projection.open_items,
                "pace": projection.pace,
                "finish_on": projection.finish_on,
                "days_late": projection.days_late,
                "late": projection.late,
                "finish_text": _finish_text(projection),
                "late_text": _late_text(projection),
                "sentence": projection_sentence(name, projection),
            }
        )
    frame = pd.DataFrame(rows)
    townships = frame.iloc[1:].copy()
    # Never-finishing first, then the latest; within equal lateness, more open items first.
    townships["order"] = townships["days_late"].astype("Float64").fillna(math.inf)
    townships = townships.sort_values(["order", "open_due"], ascending=False)
    return pd.concat([frame.iloc[:1], townships.drop(columns="order")], ignore_index=True)


# ----------------------------------------------------------------------------------------------
# Overdue and due-soon lists, the ledger


def _item_rows() -> Select:
    """Every ledger field of an item with its township, village and unit names."""
    return (
        select(
            item.id,
            item.code,
            item.source,
            item.category,
            item.description,
            func.coalesce(Township.name, COUNTY_LEVEL).label("township"),
            func.coalesce(Village.name, "").label("village"),
            func.coalesce(AssistingUnit.name, item.responsible_unit, "").label("unit"),
            item.responsible_person,
            item.measure,
            item.kind,
            item.found_on,
            item.deadline,
            item.status,
            item.closed_on,
            item.status_changed_at,
            item.version,
        )
        .outerjoin(Township, Township.id == item.township_id)
        .outerjoin(Village, Village.id == item.village_id)
        .outerjoin(AssistingUnit, AssistingUnit.id == item.unit_id)
    )


ITEM_FIELDS = [
    "id",
    "code",
    "source",
    "category",
    "description",
    "township",
    "village",
    "unit",
    "responsible_person",
    "measure",
    "kind",
    "found_on",
    "deadline",
    "status",
    "closed_on",
    "status_changed_at",
    "version",
]


def _read_items(conn: Connection, query: Select) -> pd.DataFrame:
    frame = pd.DataFrame(conn.execute(query).all(), columns=ITEM_FIELDS)
    for column in ("found_on", "deadline", "closed_on"):
        frame[column] = [None if pd.isna(v) else _as_date(v) for v in frame[column]]
    frame["status_changed_at"] = pd.to_datetime(frame["status_changed_at"])
    return frame


def with_days(frame: pd.DataFrame, *, today: date) -> pd.DataFrame:
    """Adds days_overdue (positive when past the deadline, negative = days left) and
    days_since_change (whole days since the last status change, by calendar date)."""
    frame = frame.copy()
    frame["days_overdue"] = [(today - d).days for d in frame["deadline"]]
    frame["days_since_change"] = [
        (today - changed.date()).days for changed in frame["status_changed_at"]
    ]
    return frame


def overdue_items(*, conn: Connection, scope: Scope, today: date) -> pd.DataFrame:
    """Items open at the end of ``today`` past their deadline, the longest overdue first.

    Columns: ITEM_FIELDS, days_overdue, days_since_change.
    """
    query = (
        _item_rows()
        .where(scope.covers_with_county(item.township_id), _overdue_at(today))
        .order_by(item.deadline, item.code)
    )
    return with_days(_read_items(conn, query), today=today)


def due_soon_items(*, conn: Connection, scope: Scope, today: date, days: int) -> pd.DataFrame:
    """Open items due from today to ``days`` days ahead, the nearest deadline first.

    Columns: ITEM_FIELDS, days_overdue (0 or negative: minus the days left), days_since_change.
    """
    query = (
        _item_rows()
        .where(
            scope.covers_with_county(item.township_id),
            _open_at(today),
            item.deadline.between(today, today + timedelta(days=days)),
        )
        .order_by(item.deadline, item.code)
    )
    return with_days(_read_items(conn, query), today=today)


@dataclass(frozen=True)
class LedgerFilter:
    """What the ledger is narrowed to; an empty tuple means no restriction."""

    sources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    township_ids: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    overdue_only: bool = False


def _ledger_conditions(
    scope: Scope, today: date, filters: LedgerFilter | None
) -> list[ColumnElement[bool]]:
    filters = filters or LedgerFilter()
    scope = scope.narrowed(filters.township_ids or None)
    conditions: list[ColumnElement[bool]] = [scope.covers_with_county(item.township_id)]
    for column, chosen in (
        (item.source, filters.sources),
        (item.category, filters.categories),
        (item.status, filters.statuses),
        (item.unit_id, filters.unit_ids),
        (item.kind, filters.kinds),
    ):
        if chosen:
            conditions.append(column.in_(sorted(chosen)))
    if filters.overdue_only:
        conditions.append(_overdue_at(today))
    return conditions


def ledger_size(
    *, conn: Connection, scope: Scope, today: date, filters: LedgerFilter | None = None
) -> int:
    """How many items ledger_items would return without a limit."""
    query = select(func.count()).select_from(item).where(*_ledger_conditions(scope, today, filters))
    return int(conn.execute(query).scalar_one())


def ledger_items(
    *,
    conn: Connection,
    scope: Scope,
    today: date,
    filters: LedgerFilter | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The 整改台账 as the filters narrow it, in the order of the problem codes, numbered; the
    first ``limit`` items (None: all).

    Township choices can only narrow the scope. Columns: seq, ITEM_FIELDS, overdue.
    """
    query = _item_rows().where(*_ledger_conditions(scope, today, filters)).order_by(item.code)
    frame = _read_items(conn, query if limit is None else query.limit(limit))
    frame.insert(0, "seq", range(1, len(frame) + 1))
    frame["overdue"] = [
        is_overdue(deadline=d, closed_on=c, today=today)
        for d, c in zip(frame["deadline"], frame["closed_on"], strict=True)
    ]
    return frame


@dataclass(frozen=True)
class LedgerOptions:
    """The values the ledger's filters offer, from the items in scope."""

    sources: tuple[str, ...]
    categories: tuple[str, ...]
    townships: dict[int, str]
    units: dict[int, str]


def ledger_options(*, conn: Connection, scope: Scope) -> LedgerOptions:
    """Sources, categories, townships and units that occur among the items in scope."""
    covered = scope.covers_with_county(item.township_id)
    sources = conn.execute(select(item.source).where(covered).distinct().order_by(item.source))
    categories = conn.execute(
        select(item.category).where(covered).distinct().order_by(item.category)
    )
    townships = conn.execute(
        select(Township.id, Township.name).where(scope.covers(Township.id)).order_by(Township.code)
    )
    units = conn.execute(
        select(AssistingUnit.id, AssistingUnit.name)
        .where(AssistingUnit.id.in_(select(item.unit_id).where(covered)))
        .order_by(AssistingUnit.name)
    )
    return LedgerOptions(
        sources=tuple(sources.scalars()),
        categories=tuple(categories.scalars()),
        townships={int(i): name for i, name in townships},
        units={int(i): name for i, name in units},
    )


def status_history(*, conn: Connection, scope: Scope, item_id: int) -> pd.DataFrame:
    """An item's status changes, oldest first; empty when the item is outside the scope.

    Columns: changed_at, changed_by, from_status, to_status, note, completed_on.
    """
    change = RectificationStatusChange
    query = (
        select(
            change.changed_at,
            change.changed_by,
            func.coalesce(change.from_status, literal("")),
            change.to_status,
            change.note,
            change.completed_on,
        )
        .join(item, item.id == change.item_id)
        .where(change.item_id == item_id, scope.covers_with_county(item.township_id))
        .order_by(change.changed_at, change.id)
    )
    columns = ["changed_at", "changed_by", "from_status", "to_status", "note", "completed_on"]
    frame = pd.DataFrame(conn.execute(query).all(), columns=columns)
    frame["changed_at"] = pd.to_datetime(frame["changed_at"])
    frame["completed_on"] = [None if pd.isna(v) else _as_date(v) for v in frame["completed_on"]]
    return frame


# ----------------------------------------------------------------------------------------------
# Editing


class StatusChangeError(Exception):
    """A status change was refused; the message is shown to the user as it is."""


class ItemNotFoundError(StatusChangeError):
    """The item does not exist or lies outside the viewer's scope."""


class StaleItemError(StatusChangeError):
    """Someone else changed the item since it was shown: the edit was not applied."""


class AlreadyClosedError(StatusChangeError):
    """The item is already closed (已销号) and cannot be closed again."""


class UnchangedStatusError(StatusChangeError):
    """The item already has the status asked for."""


class MissingNoteError(StatusChangeError):
    """Every status change needs a note saying what was done."""


class FutureCompletionDateError(StatusChangeError):
    """A completion date cannot lie after today."""


class CompletionBeforeFoundError(StatusChangeError):
    """A completion date cannot lie before the day the problem was found."""


@dataclass(frozen=True)
class StatusChanged:
    """The outcome of a successful change."""

    item_id: int
    code: str
    from_status: str
    to_status: str
    version: int


def change_status(
    write: Change,
    *,
    scope: Scope,
    item_id: int,
    expected_version: int,
    to_status: RectificationStatus,
    note: str,
    completed_on: date | None,
) -> StatusChanged:
    """Move an item to ``to_status`` as ``write.by`` at ``write.at``, adding a history row and an
    audit row and raising the item's version and the rectification data version.
    ``completed_on`` (the 销号 date, required when closing and ignored otherwise) must lie
    between the day found and the write's date. Reopening a closed item clears its 销号 date;
    the history keeps it.

    Runs in the write's transaction (data_access.commands); on an error nothing is written.
    Raises ItemNotFoundError, StaleItemError, AlreadyClosedError, UnchangedStatusError,
    MissingNoteError, FutureCompletionDateError, CompletionBeforeFoundError.
    """
    conn, now = write.conn, write.at
    note = note.strip()
    current = conn.execute(
        select(item.code, item.status, item.found_on, item.closed_on, item.version).where(
            item.id == item_id, scope.covers_with_county(item.township_id)
        )
    ).one_or_none()
    if current is None:
        raise ItemNotFoundError("找不到该整改问题，或不在您的查看范围内。")
    if current.version != expected_version:
        raise _stale(current.status)
    closing = to_status is RectificationStatus.CLOSED
    if closing and current.status == RectificationStatus.CLOSED:
        raise AlreadyClosedError(f"{current.code} 已销号，不能重复销号。")
    if to_status == current.status:
        raise UnchangedStatusError(f"{current.code} 的状态已是“{to_status}”，无需变更。")
    if not note:
        raise MissingNoteError("请填写变更说明（整改做了什么、依据是什么）。")
    if closing:
        if completed_on is None:
            completed_on = now.date()
        if completed_on > now.date():
            raise FutureCompletionDateError(
                f"完成日期 {completed_on:%Y-%m-%d} 晚于今天，不能预填未来的日期。"
            )
        found_on = _as_date(current.found_on)
        if completed_on < found_on:
            raise CompletionBeforeFoundError(
                f"完成日期 {completed_on:%Y-%m-%d} 早于问题发现日期 {found_on:%Y-%m-%d}。"
            )
    else:
        completed_on = None
    # The version in the WHERE clause makes the check and the write one atomic step: a change
    # committed by someone else after our read leaves zero rows here.
    updated = conn.execute(
        update(item)
        .where(item.id == item_id, item.version == expected_version)
        .values(
            status=to_status.value,
            closed_on=completed_on,
            version=item.version + 1,
            status_changed_at=now,
        )
    )
    if updated.rowcount != 1:
        status = conn.execute(select(item.status).where(item.id == item_id)).scalar_one()
        raise _stale(status)
    conn.execute(
        insert(RectificationStatusChange).values(
            item_id=item_id,
            changed_at=now,
            changed_by=write.author,
            from_status=current.status,
            to_status=to_status.value,
            note=note,
            completed_on=completed_on,
        )
    )
    # What the change moves: the current lists (today's month) and every month-end count from the
    # month of the old or the new 销号 date on (indicators.rectification_progress reads closed_on
    # against each month's end); earlier months stand.
    moved = {now.date(), completed_on, _as_date(current.closed_on) if current.closed_on else None}
    write.touch(DataSource.RECTIFICATION, months={month_start(day) for day in moved if day})
    write.audit(
        AuditAction.STATUS_CHANGE,
        target=f"{current.code}：{current.status} → {to_status.value}",
        rows=1,
        detail={"完成日期": completed_on.isoformat() if completed_on else None, "说明": note[:200]},
    )
    return StatusChanged(
        item_id, current.code, current.status, to_status.value, expected_version + 1
    )


def _stale(status_now: str) -> StaleItemError:
    return StaleItemError(
        f"该问题刚被其他人修改（现在的状态：{status_now}），您的变更没有保存。"
        "您填写的内容仍在表单中，请核对最新记录后再提交。"
    )


def pace_line(*, today: date, open_now: int, pace: float, until: date) -> pd.DataFrame:
    """Open items if closing continues at ``pace`` a day and nothing new is found: a straight
    line from today down to zero, or to ``until`` when it ends first.

    Columns: day, open.
    """
    if pace <= 0 or open_now <= 0:
        return pd.DataFrame({"day": [today, until], "open": [open_now, open_now]})
    zero_on = today + timedelta(days=math.ceil(open_now / pace))
    end = min(zero_on, until)
    return pd.DataFrame(
        {"day": [today, end], "open": [open_now, max(open_now - pace * (end - today).days, 0)]}
    )


def next_item_code(conn: Connection, year: int) -> str:
    """ZG{year}-{seq:05d}, one past the highest number of the year (the ledger's scheme)."""
    prefix = f"ZG{year}-"
    codes = conn.execute(
        select(RectificationItem.code).where(RectificationItem.code.like(f"{prefix}%"))
    ).scalars()
    numbers = [int(m.group(1)) for c in codes if (m := re.fullmatch(rf"{prefix}(\d+)", c))]
    return f"{prefix}{max(numbers, default=0) + 1:05d}"


def responsible_person(conn: Connection, village_id: int, township_id: int) -> str:
    """The village's 第一书记, else its 村支书, else the 乡镇长 — who answers for the item."""
    ranked = case(
        (Cadre.role == CadreRole.FIRST_SECRETARY, 1),
        (Cadre.role == CadreRole.VILLAGE_SECRETARY, 2),
        else_=3,
    )
    name = conn.execute(
        select(Cadre.name)
        .where(
            Cadre.active.is_(True),
            (
                and_(
                    Cadre.village_id == village_id,
                    Cadre.role.in_([CadreRole.FIRST_SECRETARY, CadreRole.VILLAGE_SECRETARY]),
                )
            )
            | and_(Cadre.township_id == township_id, Cadre.role == CadreRole.TOWNSHIP_HEAD),
        )
        .order_by(ranked, Cadre.id)
        .limit(1)
    ).scalar_one_or_none()
    return name or "待认领"


def add_item(
    write: Change,
    *,
    source: ProblemSource,
    category: str,
    description: str,
    township_id: int,
    village_id: int,
    found_on: date,
    deadline: date,
    measure: str,
    note: str,
) -> tuple[int, str]:
    """A new 限期整改 item of the ledger (status 未整改, the village's responsible person, the
    next code of its year) with its first history row saying where it came from (``note``), by
    ``write.author``. Returns its id and code."""
    conn = write.conn
    code = next_item_code(conn, found_on.year)
    item_id = conn.execute(
        insert(RectificationItem)
        .values(
            code=code,
            source=source.value,
            category=category,
            description=description,
            township_id=township_id,
            village_id=village_id,
            unit_id=None,
            responsible_person=responsible_person(conn, village_id, township_id),
            measure=measure,
            kind=RectificationKind.DEADLINE.value,
            found_on=found_on,
            deadline=deadline,
            status=RectificationStatus.OPEN.value,
            closed_on=None,
            version=1,
            status_changed_at=write.at,
        )
        .returning(RectificationItem.id)
    ).scalar_one()
    conn.execute(
        insert(RectificationStatusChange).values(
            item_id=item_id,
            changed_at=write.at,
            changed_by=write.author or write.by,
            from_status=None,
            to_status=RectificationStatus.OPEN.value,
            note=note,
            completed_on=None,
        )
    )
    write.touch(DataSource.RECTIFICATION)
    return item_id, code
