"""年度收入: each household's income for a whole year, as the 摸排 收支情况 sheet gives it.

A county office holds annual income per household long before it has a year of monthly
registers: the 摸排 (one row per 户 and 年度: the four sources, 生产经营性支出, 家庭纯收入,
家庭人均纯收入, 合规自付支出). A county in its first year has last year's income only in this
form; this kind writes it to ``income_years``, which the income views read as last year's figure
and, for a household without registers this year, as this year's (data_access.income).

家庭纯收入 and 家庭人均纯收入 are cross-checks only: the stored figure is always the sources less
production costs (the speech's 人均纯收入), and a row whose own totals disagree with its sources by
more than a yuan is refused with both values, since either the totals or a source is wrong and
the sheet cannot say which. The 年度 column is required: the year is never taken from the title
("2026年…摸排表" is as often the year of the survey as the year of the income).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, select

from data_access.importing import fields as f
from data_access.importing import refs
from data_access.importing.base import (
    CHUNK,
    Action,
    Field,
    ImportContext,
    Kind,
    Outcome,
    Plan,
    Record,
    RowRejectedError,
    fetch_existing,
    keyed_plan,
)
from data_access.importing.cells import CellError, integer, normalise
from data_access.importing.kinds.activity import AMOUNT_ALIASES, HOUSEHOLD_CODE
from data_access.models import DataSource, Household, IncomeYear

SOURCES = {
    "wage": "工资性收入",
    "business": "生产经营性收入",
    "property": "财产性收入",
    "transfer": "转移性收入",
}
COST = {"production_cost": "生产经营性支出"}
AMOUNTS = {**SOURCES, **COST}
# Totals the sheet states, checked against its sources (yuan); rounding to the yuan is allowed.
TOLERANCE = 1.0
MAX_MEMBERS = 50
LABELS = {
    **AMOUNTS,
    "members": "家庭人口",
    "self_paid": "合规自付支出",
}
_YEAR_TEXT = re.compile(r"(\d{4})年?度?")


def _year(value: Any) -> int:
    """2025, "2025", "2025年" or "2025年度"."""
    if isinstance(value, str) and (match := _YEAR_TEXT.fullmatch(normalise(value))):
        value = match.group(1)
    try:
        return integer(value, minimum=1000, maximum=9999)
    except CellError:
        raise CellError("应为四位年份，如 2025") from None


def _yuan(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


class IncomeYears(Kind):
    key = "income_years"
    sources = frozenset({DataSource.INCOMES})
    label = "年度收入"
    natural_key = "户编号 + 年度"
    summary = (
        "每户一个年度的全年收入（收支情况摸排），写入年度收入表："
        "作为上年收入，并在本年没有收支登记的户作为本年收入"
    )
    # A sheet without any amount would write years of zeros.
    required_any = tuple(AMOUNTS)
    fields = (
        HOUSEHOLD_CODE,
        f.name(
            "head_name",
            "户主姓名",
            note="选填；填写时须与户编号对应的户主一致（防止错行）",
            aliases=("户主",),
            width=10,
        ),
        Field(
            "year",
            "年度",
            _year,
            required=True,
            note="必填；收入所属年度，如 2025（不按标题中的年份推断），不能晚于今年、早于 2013 年",
            aliases=("年份", "收入年度", "统计年度"),
            width=8,
        ),
        f.integer(
            "members",
            "家庭人口",
            minimum=1,
            maximum=MAX_MEMBERS,
            note="选填；该年度的家庭人口。空白：已有该年度记录的保持原值，新增的按户信息中的家庭人口",
            aliases=("家庭人口数", "家庭人数", "人口数"),
            width=9,
        ),
        # Sub-items (务工收入, 公益岗收入, 种植业收入, 低保金 …) are deliberately not aliases: each
        # is only a part of its source, and taking one for the whole would understate it.
        *(
            f.amount(
                key,
                f"{title}（元）",
                note="元，全年合计，不能为负数，空白按 0 计",
                aliases=(title, *AMOUNT_ALIASES[key]),
            )
            for key, title in AMOUNTS.items()
        ),
        f.amount(
            "net_income",
            "家庭纯收入（元）",
            cost=True,
            note="选填，只用于核对：须等于四项收入之和减生产经营性支出（相差不超过 1 元）",
            aliases=("家庭年纯收入", "纯收入", "年纯收入"),
        ),
        f.amount(
            "per_capita",
            "家庭人均纯收入（元）",
            cost=True,
            note="选填，只用于核对：须等于家庭纯收入 ÷ 家庭人口（相差不超过 1 元）",
            aliases=("人均纯收入", "家庭年人均纯收入", "年人均纯收入"),
        ),
        f.amount(
            "self_paid",
            "合规自付支出（元）",
            note="选填；全年合规自付支出，单独保存，不从纯收入中扣除",
            aliases=("合规自付费用",),
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        found = refs.households(conn, (r.values["household_code"] for r in records))
        stored = fetch_existing(
            conn,
            IncomeYear.__table__,
            ("household_id", "year"),
            {
                (found[r.values["household_code"]].id, r.values["year"])
                for r in records
                if r.values["household_code"] in found
            },
            ["members", *AMOUNTS],
        )
        current_members = _current_members(conn, [ref.id for ref in found.values()])
        # Rows whose 家庭人口 was blank and taken from 户信息, for the preview.
        members_taken: dict[int, int] = {}

        def to_row(record: Record) -> tuple[dict[str, Any], int | None]:
            household = refs.household(found, record.values["household_code"], "household_code")
            head = record.get("head_name")
            if head and head != household.head_name:
                raise RowRejectedError("与户编号对应的户主不一致（请检查是否错行）", "head_name")
            year = record.values["year"]
            if year > ctx.today.year:
                raise RowRejectedError(f"年度 {year} 晚于今年（{ctx.today.year}）", "year")
            if year < f.EARLIEST_YEAR:
                raise RowRejectedError(f"年度 {year} 早于 {f.EARLIEST_YEAR} 年", "year")
            old = stored.get((household.id, year), {})
            row: dict[str, Any] = {"household_id": household.id, "year": year}
            for column in AMOUNTS:
                if record.has(column):
                    row[column] = record.get(column, 0.0)
            members = record.get("members") or old.get("members")
            if members is None:
                members = current_members[household.id]
                members_taken[record.row] = members
            row["members"] = members
            if record.get("self_paid") is not None:
                row["self_paid"] = record.values["self_paid"]
            amounts = {column: row.get(column, old.get(column, 0.0)) for column in AMOUNTS}
            _check_totals(record, amounts, members, taken=record.row in members_taken)
            return row, household.township_id

        plan = keyed_plan(
            conn=conn,
            records=records,
            ctx=ctx,
            table=IncomeYear.__table__,
            key_columns=("household_id", "year"),
            labels=LABELS,
            to_row=to_row,
            key_text=lambda r: f"{r.values['household_code']} · {r.values['year']}年",
            duplicate_label="同一户同一年度的收入",
            insert_defaults=lambda: dict.fromkeys(AMOUNTS, 0.0),
            identity=("household_id", "year"),
        )
        plan.outcomes = [_noted(outcome, members_taken) for outcome in plan.outcomes]
        return plan


def _current_members(conn: Connection, household_ids: list[int]) -> dict[int, int]:
    """Each household's 家庭人口 as 户信息 has it now."""
    members: dict[int, int] = {}
    for start in range(0, len(household_ids), CHUNK):
        chunk = household_ids[start : start + CHUNK]
        query = select(Household.id, Household.members).where(Household.id.in_(chunk))
        members.update(dict(conn.execute(query).all()))
    return members


def _noted(outcome: Outcome, members_taken: dict[int, int]) -> Outcome:
    """An insert whose 家庭人口 came from 户信息 says so in the preview."""
    members = members_taken.get(outcome.row)
    if members is None or outcome.action is not Action.INSERT:
        return outcome
    note = f"家庭人口未填，按户信息的 {members} 人计"
    return Outcome(outcome.row, outcome.action, outcome.key, (*outcome.changes, note))


def _check_totals(record: Record, amounts: dict[str, float], members: int, *, taken: bool) -> None:
    """The sheet's 家庭纯收入 and 家庭人均纯收入, where given, against its sources."""
    net = sum(amounts[column] for column in SOURCES) - amounts["production_cost"]
    stated = record.get("net_income")
    if stated is not None and abs(stated - net) > TOLERANCE:
        reason = (
            f"家庭纯收入 {_yuan(stated)} 元与四项收入之和减生产经营性支出（{_yuan(net)} 元）"
            "不一致，无法确定哪一项填错"
        )
        self_paid = record.get("self_paid")
        if self_paid and abs(net - self_paid - stated) <= TOLERANCE:
            reason += "（差额恰为合规自付支出：本表的家庭纯收入不扣除合规自付支出）"
        raise RowRejectedError(reason, "net_income")
    per_capita = record.get("per_capita")
    expected = net / members
    if per_capita is not None and abs(per_capita - expected) > TOLERANCE:
        whose = f"户信息中的家庭人口 {members} 人" if taken else f"家庭人口 {members} 人"
        raise RowRejectedError(
            f"家庭人均纯收入 {_yuan(per_capita)} 元与家庭纯收入 {_yuan(net)} 元 ÷ {whose}"
            f"（{_yuan(expected)} 元）不一致",
            "per_capita",
        )
