"""Warnings as the county keeps them: raised by the rules (``refresh``), verified at the
household (``verify``), overdue past their deadline, and read per township, village and rule.

A (household, rule) has at most one live warning: one whose condition has not been seen gone.
``refresh`` raises a warning where a rule holds and no live warning exists, and marks live
warnings whose condition no longer holds as gone (an unverified one lapses). So a warning is
raised again only after it cleared and the condition returned.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from config.settings import WARNING_GROUPS, WARNING_RULES, Settings, WarningRule, WarningSettings
from data_access.audit import AuditAction
from data_access.commands import Change
from data_access.indicators import count_when
from data_access.masking import name_column
from data_access.models import (
    Assignment,
    Cadre,
    DataSource,
    Household,
    HouseholdWarning,
    ProblemSource,
    RectificationItem,
    Township,
    Village,
    WarningChange,
    WarningStatus,
)
from data_access.periods import month_start
from data_access.rectification import add_item
from data_access.scope import Scope, county_scope
from data_access.warnings.deadlines import (
    allowed_days,
    is_escalation_due,
    is_overdue,
    is_pending,
)
from data_access.warnings.rules import (
    RULE_CATEGORIES,
    RULES,
    SHOULD_MONITOR,
    RuleContext,
)


class WarningError(ValueError):
    """A verification was refused; the message says why, in Chinese."""


@dataclass(frozen=True)
class RefreshReport:
    raised: int
    gone: int
    # Codes of the rectification items overdue warnings became.
    escalated: tuple[str, ...] = ()

    def sentence(self) -> str:
        text = f"新增预警 {self.raised:,} 条，条件已消失 {self.gone:,} 条"
        if self.escalated:
            text += f"，逾期未核实转为整改问题 {len(self.escalated):,} 项"
        return text


def _jsonable(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def rule_hits(
    conn: Connection,
    *,
    scope: Scope,
    month: date,
    today: date,
    settings: Settings,
    rule: WarningRule,
) -> dict[int, dict[str, object]]:
    """The households ``rule`` holds for: household id → the values that raised it."""
    found = RULES[rule.id](RuleContext(conn, scope, month, today, settings, rule))
    return {
        int(row[0]): {
            label: _jsonable(value) for label, value in found.observed(tuple(row[1:])).items()
        }
        for row in conn.execute(found.query).all()
    }


def refresh(write: Change, *, settings: Settings, month: date, today: date) -> RefreshReport:
    """Check every enabled rule for the county at ``month`` (the figures) and ``today`` (the
    day of the check), in the write's transaction: raise the new warnings, mark the gone."""
    conn = write.conn
    # 纳入不及时 reads the 应纳未纳 warnings: it is checked after they are raised.
    ordered = sorted(settings.warnings.rules, key=lambda rule: rule.id not in SHOULD_MONITOR)
    raised = gone = 0
    county = county_scope(conn=conn)
    for rule in ordered:
        hits = rule_hits(conn, scope=county, month=month, today=today, settings=settings, rule=rule)
        live = dict(
            conn.execute(
                select(HouseholdWarning.household_id, HouseholdWarning.id).where(
                    HouseholdWarning.rule_id == rule.id, HouseholdWarning.gone_on.is_(None)
                )
            ).all()
        )
        ended = [warning_id for household, warning_id in live.items() if household not in hits]
        end_warnings(write, ended, day=today)
        new = {household: hits[household] for household in hits if household not in live}
        raise_warnings(write, rule_id=rule.id, hits=new, day=today)
        raised += len(new)
        gone += len(ended)
    escalated = escalate(write, settings=settings, today=today)
    write.touch(DataSource.WARNINGS)
    write.audit(
        AuditAction.WARNINGS_CHECKED,
        target=f"{month:%Y-%m}",
        rows=raised,
        detail={"新增": raised, "条件已消失": gone, "转为整改": len(escalated)},
    )
    return RefreshReport(raised, gone, tuple(escalated))


def raise_warnings(
    write: Change, *, rule_id: str, hits: dict[int, dict[str, object]], day: date
) -> None:
    """New 待核实 warnings of ``rule_id`` raised on ``day``, one per household of ``hits``
    (household id → the values that raised it), sent to its township, village and current
    帮扶干部. Inserted in household order: the same data gives the same warning ids on every
    database."""
    if not hits:
        return
    new = sorted(hits)
    places = _places(write.conn, new, day)
    write.conn.execute(
        insert(HouseholdWarning),
        [
            {
                "household_id": household,
                "rule_id": rule_id,
                "township_id": places[household][0],
                "village_id": places[household][1],
                "helper_id": places[household][2],
                "first_raised_on": day,
                "observed": hits[household],
                "status": WarningStatus.PENDING.value,
                "version": 1,
            }
            for household in new
        ],
    )
    write.touch(DataSource.WARNINGS)


def end_warnings(write: Change, warning_ids: list[int], *, day: date) -> None:
    """Mark live warnings whose condition no longer holds as gone on ``day`` (an unverified
    one lapses)."""
    if not warning_ids:
        return
    write.conn.execute(
        update(HouseholdWarning)
        .where(HouseholdWarning.id.in_(warning_ids))
        .values(gone_on=day, version=HouseholdWarning.version + 1)
    )
    write.touch(DataSource.WARNINGS)


def escalate(write: Change, *, settings: Settings, today: date) -> list[str]:
    """Turn every warning left unverified ``escalate_after_days`` past its deadline into a
    整改台账 item (source 数据比对, 限期整改, deadline as for a 暗访 finding), linked both ways:
    the warning names its item, the item's description and first history row name the
    warning. A warning becomes an item once. Returns the new items' codes."""
    conn = write.conn
    names = {rule.id: rule.name for rule in settings.warnings.rules}
    due = conn.execute(
        select(
            HouseholdWarning.id,
            HouseholdWarning.rule_id,
            HouseholdWarning.township_id,
            HouseholdWarning.village_id,
            HouseholdWarning.first_raised_on,
            HouseholdWarning.observed,
            Household.code,
            Township.name,
            Village.name,
        )
        .join(Household, Household.id == HouseholdWarning.household_id)
        .join(Township, Township.id == HouseholdWarning.township_id)
        .join(Village, Village.id == HouseholdWarning.village_id)
        .where(is_escalation_due(settings.warnings, today))
        .order_by(HouseholdWarning.id)
    ).all()
    codes = []
    deadline = today + timedelta(days=settings.inspection.rectification_deadline_days)
    for row in due:
        rule = names.get(row.rule_id, row.rule_id)
        item_id, code = add_item(
            write,
            source=ProblemSource.DATA_CHECK,
            category=RULE_CATEGORIES[row.rule_id],
            description=(
                f"{row[7]}{row[8]}户编号 {row.code}：预警“{rule}”"
                f"（{row.first_raised_on:%Y-%m-%d} 预警，{_observed_text(row.observed)}）"
                f"逾期未入户核实（预警 #{row.id}）"
            ),
            township_id=row.township_id,
            village_id=row.village_id,
            found_on=today,
            deadline=deadline,
            measure="入户核实预警情况，按核实结果纳入监测、更正数据或说明无风险，并在看板登记核实",
            note=f"{ProblemSource.DATA_CHECK.value}：预警 #{row.id} 逾期未核实，转为整改问题",
        )
        linked = conn.execute(
            update(HouseholdWarning)
            .where(HouseholdWarning.id == row.id, HouseholdWarning.rectification_item_id.is_(None))
            .values(rectification_item_id=item_id, version=HouseholdWarning.version + 1)
        )
        if linked.rowcount != 1:  # another check linked it meanwhile: the unique key would fail
            raise WarningError(f"预警 #{row.id} 已转为整改问题")
        codes.append(code)
    return codes


def _places(conn: Connection, households: list[int], today: date) -> dict[int, tuple]:
    """Township, village and current 帮扶干部 (the lowest id when several) of each household."""
    helper = (
        select(func.min(Assignment.cadre_id))
        .where(Assignment.household_id == Household.id, Assignment.held_on(today))
        .correlate(Household)
        .scalar_subquery()
    )
    places: dict[int, tuple] = {}
    for start in range(0, len(households), 500):
        chunk = households[start : start + 500]
        rows = conn.execute(
            select(Household.id, Household.township_id, Household.village_id, helper).where(
                Household.id.in_(chunk)
            )
        ).all()
        places.update({row[0]: (row[1], row[2], row[3]) for row in rows})
    return places


VERIFIED = (WarningStatus.MONITORED, WarningStatus.NO_RISK, WarningStatus.DATA_FIXED)
# How the list names a warning left unverified whose condition has gone since (not a stored
# status: the row stays 待核实 with its gone_on day).
LAPSED = "条件已消失（未核实）"
LIST_STATUSES = (WarningStatus.PENDING.value, LAPSED, *(status.value for status in VERIFIED))


def _status_is(status: str) -> ColumnElement[bool]:
    if status == WarningStatus.PENDING.value:
        return is_pending()
    if status == LAPSED:
        return and_(
            HouseholdWarning.status == WarningStatus.PENDING.value,
            HouseholdWarning.gone_on.is_not(None),
        )
    return HouseholdWarning.status == status


def verify(
    write: Change,
    *,
    scope: Scope,
    may_verify: bool,
    warning_ids: Iterable[int],
    to_status: WarningStatus,
    note: str,
    today: date,
) -> int:
    """Record the verification of pending warnings (one or a selection) as ``write.by``: each
    gets the status, verifier, date and note, and a history row. Only pending warnings of the
    townships in ``scope`` can be verified, by a viewer who ``may_verify`` (township users and
    the county office). Returns how many were verified; raises WarningError and writes nothing
    when any of them cannot be."""
    chosen = sorted({int(i) for i in warning_ids})
    note = note.strip()
    if not may_verify:
        raise WarningError("您的角色不能核实预警（由乡镇用户或县乡村振兴局核实）。")
    if not chosen:
        raise WarningError("请先选择要核实的预警。")
    if to_status not in VERIFIED:
        raise WarningError("核实结果应为：核实为风险·已纳入监测、核实无风险或已纠正数据。")
    if not note:
        raise WarningError("请填写核实说明（入户核实了什么、依据是什么）。")
    conn = write.conn
    rows = conn.execute(
        select(HouseholdWarning.id, HouseholdWarning.status, HouseholdWarning.township_id)
        .where(HouseholdWarning.id.in_(chosen))
        .with_for_update()
    ).all()
    found = {
        row.id: row for row in rows if scope.whole_county or row.township_id in scope.township_ids
    }
    missing = [i for i in chosen if i not in found]
    if missing:
        raise WarningError(
            f"预警 {'、'.join(f'#{i}' for i in missing[:10])} 不存在或不在您的乡镇范围内。"
        )
    done = [i for i, row in found.items() if row.status != WarningStatus.PENDING.value]
    if done:
        raise WarningError(f"预警 {'、'.join(f'#{i}' for i in done[:10])} 已核实，不能重复核实。")
    conn.execute(
        update(HouseholdWarning)
        .where(HouseholdWarning.id.in_(chosen))
        .values(
            status=to_status.value,
            verified_by=write.author or write.by,
            verified_on=today,
            note=note,
            version=HouseholdWarning.version + 1,
        )
    )
    conn.execute(
        insert(WarningChange),
        [
            {
                "warning_id": i,
                "changed_at": write.at,
                "changed_by": write.by,
                "from_status": WarningStatus.PENDING.value,
                "to_status": to_status.value,
                "note": note,
            }
            for i in chosen
        ],
    )
    write.touch(DataSource.WARNINGS)
    write.audit(
        AuditAction.WARNING_VERIFIED,
        target=f"{len(chosen)} 条 → {to_status.value}",
        rows=len(chosen),
        detail={"预警": chosen[:50], "说明": note[:200]},
    )
    return len(chosen)


@dataclass(frozen=True)
class Headline:
    pending: int
    overdue: int
    # Households with a pending 应纳未纳 warning.
    should_monitor: int


def headline(conn: Connection, *, scope: Scope, today: date, settings: WarningSettings) -> Headline:
    """待核实 warnings, those overdue, and households suspected 应纳未纳 (pending)."""
    row = conn.execute(
        select(
            count_when(is_pending()),
            count_when(is_overdue(settings, today)),
            func.count(
                func.distinct(
                    case(
                        (
                            and_(is_pending(), HouseholdWarning.rule_id.in_(SHOULD_MONITOR)),
                            HouseholdWarning.household_id,
                        )
                    )
                )
            ),
        ).where(scope.covers(HouseholdWarning.township_id))
    ).one()
    return Headline(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


def by_rule_and_township(
    conn: Connection, *, scope: Scope, today: date, settings: Settings
) -> pd.DataFrame:
    """Pending and overdue warnings per rule and township, with the township's households on
    the books (for the rate per 1,000 households).

    Columns: rule_id, township_id, township, pending, overdue, households.
    """
    warnings = settings.warnings
    counts = _frame(
        conn,
        select(
            HouseholdWarning.rule_id,
            HouseholdWarning.township_id,
            count_when(is_pending()),
            count_when(is_overdue(warnings, today)),
        )
        .where(scope.covers(HouseholdWarning.township_id))
        .group_by(HouseholdWarning.rule_id, HouseholdWarning.township_id),
        ["rule_id", "township_id", "pending", "overdue"],
        ("township_id", "pending", "overdue"),
    )
    households = _frame(
        conn,
        select(Township.id, Township.name, func.count(Household.id))
        .join(Household, Household.township_id == Township.id)
        .where(scope.covers(Township.id), Household.on_record_by(today))
        .group_by(Township.id, Township.name, Township.code)
        .order_by(Township.code),
        ["township_id", "township", "households"],
        ("township_id", "households"),
    )
    merged = counts.merge(households, on="township_id", how="right").fillna(
        {"rule_id": "", "pending": 0, "overdue": 0}
    )
    merged = merged.astype({"pending": "int64", "overdue": "int64"})
    return merged[["rule_id", "township_id", "township", "pending", "overdue", "households"]]


def township_table(counts: pd.DataFrame) -> pd.DataFrame:
    """``by_rule_and_township`` per township: households, pending and overdue warnings, pending
    per 1,000 households (NaN without households) and pending per group of rules (pure).

    Columns: township_id, township, households, pending, overdue, per_thousand, and one column
    per WARNING_GROUPS.
    """
    groups = {rule_id: group for rule_id, (group, _) in WARNING_RULES.items()}
    townships = counts[["township_id", "township", "households"]].drop_duplicates("township_id")
    by_group = (
        counts.assign(group=counts["rule_id"].map(groups))
        .pivot_table(
            index="township_id", columns="group", values="pending", aggfunc="sum", fill_value=0
        )
        .reindex(columns=list(WARNING_GROUPS), fill_value=0)
    )
    # Townships without any warning keep their row, with zeros.
    table = townships.merge(by_group, left_on="township_id", right_index=True, how="left")
    table[list(WARNING_GROUPS)] = table[list(WARNING_GROUPS)].fillna(0).astype("int64")
    table.columns.name = None
    overdue = counts.groupby("township_id")["overdue"].sum()
    table["pending"] = table[list(WARNING_GROUPS)].sum(axis=1).astype("int64")
    table["overdue"] = table["township_id"].map(overdue).fillna(0).astype("int64")
    table["per_thousand"] = (
        table["pending"] * 1000 / table["households"].where(table["households"] > 0)
    )
    columns = ["township_id", "township", "households", "pending", "overdue", "per_thousand"]
    return table[[*columns, *WARNING_GROUPS]]


def rule_table(counts: pd.DataFrame) -> pd.DataFrame:
    """``by_rule_and_township`` per rule, every rule a warning may carry (pure).

    Columns: rule_id, pending, overdue.
    """
    return (
        counts.groupby("rule_id")[["pending", "overdue"]]
        .sum()
        .reindex(list(WARNING_RULES), fill_value=0)
        .astype("int64")
        .rename_axis("rule_id")
        .reset_index()
    )


def check(write: Change, *, settings: Settings, today: date) -> RefreshReport:
    """The check of ``today`` (the figures of its month): what the daily timer and the office's
    button run."""
    return refresh(write, settings=settings, month=month_start(today), today=today)


def worst_villages(
    conn: Connection, *, scope: Scope, today: date, settings: WarningSettings, limit: int = 10
) -> pd.DataFrame:
    """Villages with the most pending warnings (overdue first among equals).

    Columns: village_id, village, township, pending, overdue.
    """
    pending = count_when(is_pending())
    overdue = count_when(is_overdue(settings, today))
    query = (
        select(Village.id, Village.name, Township.name, pending, overdue)
        .select_from(HouseholdWarning)
        .join(Village, Village.id == HouseholdWarning.village_id)
        .join(Township, Township.id == HouseholdWarning.township_id)
        .where(scope.covers(HouseholdWarning.township_id))
        .group_by(Village.id, Village.name, Township.name)
        .having(pending > 0)
        .order_by(pending.desc(), overdue.desc(), Village.id)
        .limit(limit)
    )
    return _frame(
        conn,
        query,
        ["village_id", "village", "township", "pending", "overdue"],
        ("village_id", "pending", "overdue"),
    )


@dataclass(frozen=True)
class WarningFilter:
    rule_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    township_ids: tuple[int, ...] = ()
    village_ids: tuple[int, ...] = ()
    overdue_only: bool = False


LIST_COLUMNS = [
    "id",
    "rule_id",
    "township",
    "village",
    "code",
    "head",
    "helper",
    "helper_phone",
    "first_raised_on",
    "due_on",
    "overdue",
    "status",
    "verified_by",
    "verified_on",
    "note",
    "observed",
    "item_code",
]


def warning_list(
    conn: Connection,
    *,
    scope: Scope,
    today: date,
    settings: WarningSettings,
    filters: WarningFilter,
    page: int = 0,
    page_size: int = 50,
) -> tuple[pd.DataFrame, int]:
    """One page of the warnings matching ``filters`` (overdue first, then oldest first), and how
    many match in all. Household heads are masked unless the scope has personal data.

    Columns: LIST_COLUMNS (observed as text, due_on the last day to verify).
    """
    condition = [scope.covers(HouseholdWarning.township_id)]
    if filters.rule_ids:
        condition.append(HouseholdWarning.rule_id.in_(filters.rule_ids))
    if filters.statuses:
        condition.append(or_(*(_status_is(status) for status in filters.statuses)))
    if filters.township_ids:
        condition.append(HouseholdWarning.township_id.in_(filters.township_ids))
    if filters.village_ids:
        condition.append(HouseholdWarning.village_id.in_(filters.village_ids))
    overdue = is_overdue(settings, today)
    if filters.overdue_only:
        condition.append(overdue)
    total = conn.execute(
        select(func.count()).select_from(HouseholdWarning).where(*condition)
    ).scalar_one()
    overdue_flag = case((overdue, 1), else_=0)
    query = (
        select(
            HouseholdWarning.id,
            HouseholdWarning.rule_id,
            Township.name,
            Village.name,
            Household.code,
            name_column(Household.head_name, personal_data=scope.personal_data),
            Cadre.name,
            Cadre.phone,
            HouseholdWarning.first_raised_on,
            allowed_days(settings),
            overdue_flag,
            case(
                (_status_is(LAPSED), literal(LAPSED)),
                else_=HouseholdWarning.status,
            ),
            HouseholdWarning.verified_by,
            HouseholdWarning.verified_on,
            HouseholdWarning.note,
            HouseholdWarning.observed,
            RectificationItem.code,
        )
        .select_from(HouseholdWarning)
        .join(Household, Household.id == HouseholdWarning.household_id)
        .join(Township, Township.id == HouseholdWarning.township_id)
        .join(Village, Village.id == HouseholdWarning.village_id)
        .outerjoin(Cadre, Cadre.id == HouseholdWarning.helper_id)
        .outerjoin(
            RectificationItem, RectificationItem.id == HouseholdWarning.rectification_item_id
        )
        .where(*condition)
        .order_by(overdue_flag.desc(), HouseholdWarning.first_raised_on, HouseholdWarning.id)
        .offset(page * page_size)
        .limit(page_size)
    )
    rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=LIST_COLUMNS)
    if not frame.empty:
        frame["due_on"] = [
            raised + timedelta(days=int(days))
            for raised, days in zip(frame["first_raised_on"], frame["due_on"], strict=True)
        ]
        frame["overdue"] = frame["overdue"].astype(bool)
        frame["observed"] = [_observed_text(value) for value in frame["observed"]]
    return frame, int(total)


def _frame(
    conn: Connection, query, columns: list[str], counts: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Rows of ``query``; the ``counts`` columns as integers (0 where missing)."""
    frame = pd.DataFrame(conn.execute(query).all(), columns=columns)
    for column in counts:
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame


def _observed_text(value: object) -> str:
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        return ""
    return "；".join(f"{label}：{shown}" for label, shown in value.items())


def villages_with_warnings(conn: Connection, *, scope: Scope) -> pd.DataFrame:
    """Villages in scope that have any warning, for the list's filter.

    Columns: village_id, village, township_id.
    """
    query = (
        select(Village.id, Village.name, Village.township_id)
        .where(
            scope.covers(Village.township_id),
            Village.id.in_(select(HouseholdWarning.village_id).distinct()),
        )
        .order_by(Village.code)
    )
    return _frame(
        conn, query, ["village_id", "village", "township_id"], ("village_id", "township_id")
    )
