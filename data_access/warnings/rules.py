"""The 预警 rules: each one SQL definition over the households and their records, named and
parametrised in config [warnings] (WARNING_RULES lists the ids and their parameters).

A rule's query returns the households its condition holds for at a month, the household id
first and then the values that raised it, under the Chinese labels the page shows. The
household counts only if it is on the county's books by the month's end, as in every figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    cast,
    exists,
    extract,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from config.settings import Settings, WarningRule
from data_access.income.projection import household_rows
from data_access.income.store import net_income
from data_access.models import (
    Assignment,
    Household,
    HouseholdType,
    HouseholdWarning,
    IncomeRegister,
    RiskStatus,
    Visit,
)
from data_access.periods import month_end, month_start, year_start
from data_access.scope import Scope


@dataclass(frozen=True)
class RuleContext:
    conn: Connection
    scope: Scope
    # The month whose figures the rules read (the reporting month), and the day of the check.
    month: date
    today: date
    settings: Settings
    rule: WarningRule


@dataclass(frozen=True)
class RuleQuery:
    # household_id, then one column per label.
    query: Select
    labels: tuple[str, ...]
    # The values as the warning records them (label → value); by default each under its label.
    shape: Callable[[tuple], dict[str, object]] | None = None

    def observed(self, values: tuple) -> dict[str, object]:
        if self.shape is not None:
            return self.shape(values)
        return dict(zip(self.labels, values, strict=True))


def _on_books(ctx: RuleContext) -> ColumnElement[bool]:
    return and_(
        ctx.scope.covers(Household.township_id), Household.on_record_by(month_end(ctx.month))
    )


def _not_monitored() -> ColumnElement[bool]:
    return Household.household_type != HouseholdType.MONITORED.value


def _cleared() -> ColumnElement[bool]:
    return and_(
        Household.household_type == HouseholdType.MONITORED.value,
        Household.risk_status == RiskStatus.CLEARED.value,
    )


def _incomes(ctx: RuleContext):
    return household_rows(
        conn=ctx.conn, scope=ctx.scope, month=ctx.month, settings=ctx.settings.income
    )


def _line(ctx: RuleContext) -> float:
    return ctx.settings.income.line_for(ctx.month.year)


def _rounded(column) -> ColumnElement[int]:
    return cast(func.round(column), Integer)


# What the 应纳未纳 income rules record (the demo's history of warnings writes the same).
BELOW_LINE_LABELS = ("推算人均纯收入（元）", "监测线加预警幅度（元）")
INCOME_DROP_LABELS = ("推算人均纯收入（元）", "上年人均纯收入（元）")


def below_line_margin(ctx: RuleContext) -> RuleQuery:
    incomes = _incomes(ctx)
    limit = _line(ctx) + ctx.rule.param("margin")
    query = (
        select(Household.id, _rounded(incomes.c.projected_per_capita), literal(round(limit)))
        .join(incomes, incomes.c.household_id == Household.id)
        .where(_on_books(ctx), _not_monitored(), incomes.c.projected_per_capita < limit)
    )
    return RuleQuery(query, BELOW_LINE_LABELS)


def income_drop(ctx: RuleContext) -> RuleQuery:
    incomes = _incomes(ctx)
    kept = 1 - ctx.rule.param("share")
    query = (
        select(
            Household.id,
            _rounded(incomes.c.projected_per_capita),
            _rounded(incomes.c.last_year_per_capita),
        )
        .join(incomes, incomes.c.household_id == Household.id)
        .where(
            _on_books(ctx),
            _not_monitored(),
            incomes.c.last_year_per_capita > 0,
            incomes.c.projected_per_capita < incomes.c.last_year_per_capita * kept,
        )
    )
    return RuleQuery(query, INCOME_DROP_LABELS)


def large_expense(ctx: RuleContext) -> RuleQuery:
    sums = (
        select(
            IncomeRegister.household_id,
            func.sum(IncomeRegister.expenditure).label("spent"),
            func.sum(net_income(IncomeRegister)).label("net"),
        )
        .where(IncomeRegister.month.between(year_start(ctx.month), ctx.month))
        .group_by(IncomeRegister.household_id)
        .subquery("year_sums")
    )
    share = ctx.rule.param("share")
    query = (
        select(Household.id, _rounded(sums.c.spent), _rounded(sums.c.net))
        .join(sums, sums.c.household_id == Household.id)
        .where(
            _on_books(ctx),
            _not_monitored(),
            sums.c.spent > 0,
            or_(sums.c.net <= 0, sums.c.spent > sums.c.net * share),
        )
    )
    return RuleQuery(query, ("本年登记支出（元）", "本年登记纯收入（元）"))


def cleared_below_line(ctx: RuleContext) -> RuleQuery:
    incomes = _incomes(ctx)
    line = _line(ctx)
    query = (
        select(Household.id, _rounded(incomes.c.projected_per_capita), literal(round(line)))
        .join(incomes, incomes.c.household_id == Household.id)
        .where(_on_books(ctx), _cleared(), incomes.c.projected_per_capita < line)
    )
    return RuleQuery(query, ("推算人均纯收入（元）", "监测线（元）"))


def _months_between(start, end) -> ColumnElement[int]:
    """Whole months from ``start`` to ``end`` (dates), as a calendar counts them."""
    months = (extract("year", end) - extract("year", start)) * 12 + (
        extract("month", end) - extract("month", start)
    )
    short = extract("day", end) < extract("day", start)
    return months - func.coalesce(cast(short, Integer), 0)


def cleared_too_soon(ctx: RuleContext) -> RuleQuery:
    held = _months_between(Household.monitored_since, Household.risk_cleared_on)
    query = select(Household.id, Household.monitored_since, Household.risk_cleared_on).where(
        _on_books(ctx),
        _cleared(),
        Household.monitored_since.is_not(None),
        Household.risk_cleared_on.is_not(None),
        held < ctx.rule.param("months"),
    )
    return RuleQuery(query, ("纳入监测日期", "风险消除日期"))


def cleared_without_labour(ctx: RuleContext) -> RuleQuery:
    query = select(Household.id, Household.risk_cleared_on).where(
        _on_books(ctx), _cleared(), Household.has_labour.is_(False)
    )
    return RuleQuery(query, ("风险消除日期",))


# Rules whose warning says the household should be monitored: the start of 纳入不及时.
SHOULD_MONITOR = ("below_line_margin", "income_drop", "large_expense")


def first_should_monitor():
    """Each household's first 应纳未纳 warning: household_id, first_raised_on."""
    return (
        select(
            HouseholdWarning.household_id,
            func.min(HouseholdWarning.first_raised_on).label("first_raised_on"),
        )
        .where(HouseholdWarning.rule_id.in_(SHOULD_MONITOR))
        .group_by(HouseholdWarning.household_id)
        .subquery("first_should_monitor")
    )


def entered_late(first_raised_on: ColumnElement, days: int) -> ColumnElement[bool]:
    """纳入 more than ``days`` days after the first 应纳未纳 warning (the 纳入不及时 rule and the
    红黑榜's 纳入及时率 both read this). Without a warning before it, 纳入 was not late."""
    return and_(
        first_raised_on.is_not(None),
        Household.monitored_since.is_not(None),
        _later_than(Household.monitored_since, first_raised_on, days),
    )


def late_entry(ctx: RuleContext) -> RuleQuery:
    first = first_should_monitor()
    query = (
        select(Household.id, first.c.first_raised_on, Household.monitored_since)
        .join(first, first.c.household_id == Household.id)
        .where(
            _on_books(ctx),
            Household.household_type == HouseholdType.MONITORED.value,
            entered_late(first.c.first_raised_on, int(ctx.rule.param("days"))),
        )
    )
    return RuleQuery(query, ("首次预警日期", "纳入监测日期"))


def _later_than(day, start, days: int) -> ColumnElement[bool]:
    """``day`` more than ``days`` days after ``start``, by the database's own date arithmetic."""
    return day_number(day) - day_number(start) > days


class day_number(FunctionElement):  # noqa: N801 - a SQL function, named as one
    """Days since a fixed epoch of a date: julianday() on SQLite, date − date on PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw) -> str:
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_number_postgresql(element, compiler, **kw) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '2000-01-01')"


def public_job_no_wage(ctx: RuleContext) -> RuleQuery:
    wages = (
        select(func.coalesce(func.sum(IncomeRegister.wage), 0))
        .where(
            IncomeRegister.household_id == Household.id,
            IncomeRegister.month.between(year_start(ctx.month), ctx.month),
        )
        .correlate(Household)
        .scalar_subquery()
    )
    query = select(Household.id, _rounded(wages)).where(
        _on_books(ctx), Household.public_job.is_(True), wages <= 0
    )
    return RuleQuery(query, ("本年登记工资性收入（元）",))


def monitored_no_helper(ctx: RuleContext) -> RuleQuery:
    helped = exists().where(Assignment.household_id == Household.id, Assignment.held_on(ctx.today))
    query = select(Household.id, Household.monitored_since).where(
        _on_books(ctx),
        Household.household_type == HouseholdType.MONITORED.value,
        Household.risk_status == RiskStatus.AT_RISK.value,
        not_(helped),
    )
    return RuleQuery(query, ("纳入监测日期",))


def no_registers(ctx: RuleContext) -> RuleQuery:
    months = int(ctx.rule.param("months"))
    first = ctx.month
    for _ in range(months - 1):
        first = month_start(first - timedelta(days=1))
    latest = (
        select(func.max(IncomeRegister.month))
        .where(IncomeRegister.household_id == Household.id)
        .correlate(Household)
        .scalar_subquery()
    )
    registered = exists().where(
        IncomeRegister.household_id == Household.id,
        IncomeRegister.month.between(first, ctx.month),
    )
    query = select(Household.id, latest).where(_on_books(ctx), not_(registered))
    return RuleQuery(query, ("最近一次登记月份",))


def no_visit(ctx: RuleContext) -> RuleQuery:
    since = ctx.today - timedelta(days=int(ctx.rule.param("days")))
    latest = (
        select(func.max(Visit.visit_date))
        .where(Visit.household_id == Household.id, Visit.visit_date <= ctx.today)
        .correlate(Household)
        .scalar_subquery()
    )
    visited = exists().where(
        Visit.household_id == Household.id, Visit.visit_date.between(since, ctx.today)
    )
    query = select(Household.id, latest).where(_on_books(ctx), not_(visited))
    return RuleQuery(query, ("最近一次走访日期",))


_DOCUMENTS = (
    (Household.has_plan, "一户一策"),
    (Household.has_handbook, "帮扶手册"),
    (Household.has_benefit_card, "明白卡"),
    (Household.has_trained_member, "明白人"),
)


def missing_documents(ctx: RuleContext) -> RuleQuery:
    query = select(Household.id, *(column for column, _ in _DOCUMENTS)).where(
        _on_books(ctx), or_(*(column.is_(False) for column, _ in _DOCUMENTS))
    )
    names = tuple(name for _, name in _DOCUMENTS)

    def missing(values: tuple) -> dict[str, object]:
        return {
            "缺少": "、".join(name for name, held in zip(names, values, strict=True) if not held)
        }

    return RuleQuery(query, names, missing)


# The 整改台账 category (the speech's wording, as the ledgers use it) of an item an overdue
# warning of each rule becomes.
RULE_CATEGORIES = {
    "below_line_margin": "监测对象纳入退出不及时不准确",
    "income_drop": "监测对象纳入退出不及时不准确",
    "large_expense": "监测对象纳入退出不及时不准确",
    "cleared_below_line": "监测对象纳入退出不及时不准确",
    "cleared_too_soon": "监测对象纳入退出不及时不准确",
    "cleared_without_labour": "监测对象纳入退出不及时不准确",
    "late_entry": "监测对象纳入退出不及时不准确",
    "public_job_no_wage": "收入登记不全面",
    "monitored_no_helper": "防返贫监测帮扶不到位",
    "no_registers": "收入登记不全面",
    "no_visit": "防返贫监测帮扶不到位",
    "missing_documents": "帮扶手册填写不规范",
}

RULES: dict[str, Callable[[RuleContext], RuleQuery]] = {
    "below_line_margin": below_line_margin,
    "income_drop": income_drop,
    "large_expense": large_expense,
    "cleared_below_line": cleared_below_line,
    "cleared_too_soon": cleared_too_soon,
    "cleared_without_labour": cleared_without_labour,
    "late_entry": late_entry,
    "public_job_no_wage": public_job_no_wage,
    "monitored_no_helper": monitored_no_helper,
    "no_registers": no_registers,
    "no_visit": no_visit,
    "missing_documents": missing_documents,
}
