"""The demo county's 预警 history.

- Through the year, most households taken into monitoring were first raised by an 应纳未纳
  warning, verified at the household and then taken in: within days in the strong townships,
  later (some past the 纳入不及时 limit) in the weak ones. So the 红黑榜's 预警按期核实率 and
  纳入及时率 have a year behind them, and the 纳入不及时 rule finds its cases.
- The rules were checked a month before the as-of day, the village teams verified most of
  those warnings (the weak townships fewer and later), and the check of the as-of day raised
  the new ones and let the gone ones lapse. So the page shows overdue warnings in the weak
  places, fresh ones everywhere, and verified ones with notes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Engine, select

from config.settings import Settings
from data_access.commands import change
from data_access.models import Household, HouseholdType, HouseholdWarning, Township, WarningStatus
from data_access.periods import year_start
from data_access.scope import county_scope
from data_access.warnings.rules import BELOW_LINE_LABELS, INCOME_DROP_LABELS
from data_access.warnings.store import check, end_warnings, raise_warnings, verify

# Days before the as-of day of the earlier check.
EARLIER_CHECK_DAYS = 30
# Share of the earlier check's warnings the village teams have verified, strong and weak places.
VERIFIED_SHARE = {False: 0.85, True: 0.45}
NOTES = {
    WarningStatus.NO_RISK: "入户核实：收支情况与登记一致，家庭无返贫致贫风险。",
    WarningStatus.MONITORED: "入户核实：确有返贫风险，已按程序纳入监测并落实帮扶措施。",
    WarningStatus.DATA_FIXED: "入户核实：系统信息填写有误，已在系统中更正。",
}
AUTHOR = "demo-village-team"
# Of the households taken into monitoring this year, the share an 应纳未纳 warning raised first
# (the others the village teams found on their own visits); of those, the income-drop share.
CAUGHT_SHARE = 0.7
INCOME_DROP_SHARE = 0.2
# Days from the warning to its verification, and from the verification to 纳入 (numpy integer
# ranges, high end excluded), in strong and weak places.
VERIFY_AFTER = {False: (1, 9), True: (2, 21)}
ENTER_AFTER = {False: (0, 22), True: (0, 40)}
# How the verifications of each group of rules come out (monitored, no risk, data corrected).
OUTCOMES = (WarningStatus.MONITORED, WarningStatus.NO_RISK, WarningStatus.DATA_FIXED)
OUTCOME_SHARES = {
    "应纳未纳": (0.5, 0.45, 0.05),
    "退出不准": (0.4, 0.3, 0.3),
    "纳入不及时": (0.0, 0.3, 0.7),
    "信息疑点": (0.0, 0.2, 0.8),
}


def seed_warnings(
    engine: Engine,
    *,
    settings: Settings,
    as_of: date,
    extracted_at: datetime,
    seed: int,
    weak_codes: tuple[str, ...],
) -> int:
    """Run the earlier check, verify some of its warnings, run the as-of day's check (at the
    data's 数据截至 moment, ``extracted_at``, which the last write sets); returns how many
    warnings the county has."""
    rng = np.random.default_rng(seed + 20)
    earlier = as_of - timedelta(days=EARLIER_CHECK_DAYS)
    with engine.connect() as conn:
        weak = set(conn.execute(select(Township.id).where(Township.code.in_(weak_codes))).scalars())
    _entry_history(engine, settings, np.random.default_rng(seed + 21), weak, earlier)
    _check(engine, settings, earlier, datetime.combine(earlier, time(6)))
    with engine.connect() as conn:
        raised = conn.execute(
            select(HouseholdWarning.id, HouseholdWarning.township_id, HouseholdWarning.rule_id)
            .where(HouseholdWarning.first_raised_on == earlier)
            .order_by(HouseholdWarning.id)
        ).all()
    groups = {rule.id: rule.group for rule in settings.warnings.rules}
    chosen: dict[tuple[WarningStatus, date], list[int]] = {}
    for warning_id, township_id, rule_id in raised:
        if rng.random() >= VERIFIED_SHARE[township_id in weak]:
            continue
        outcome = OUTCOMES[int(rng.choice(3, p=OUTCOME_SHARES[groups[rule_id]]))]
        # Strong places verify within a week, weak ones within a month.
        day = earlier + timedelta(days=int(rng.integers(1, 25 if township_id in weak else 8)))
        chosen.setdefault((outcome, day), []).append(warning_id)
    for (outcome, day), ids in sorted(chosen.items()):
        with change(
            engine, by=AUTHOR, at=datetime.combine(day, time(16)), author="驻村工作队"
        ) as w:
            verify(
                w,
                scope=county_scope(conn=w.conn),
                may_verify=True,
                warning_ids=ids,
                to_status=outcome,
                note=NOTES[outcome],
                today=day,
            )
    _check(engine, settings, as_of, extracted_at)
    with engine.connect() as conn:
        return len(conn.execute(select(HouseholdWarning.id)).all())


def _entry_history(
    engine: Engine, settings: Settings, rng: np.random.Generator, weak: set[int], before: date
) -> None:
    """The 应纳未纳 warnings that preceded this year's 纳入 (up to ``before``), each verified
    as a risk and gone at 纳入. Written a week at a time, as village teams enter them."""
    with engine.connect() as conn:
        entered = conn.execute(
            select(Household.id, Household.township_id, Household.monitored_since)
            .where(
                Household.household_type == HouseholdType.MONITORED.value,
                Household.monitored_since.between(year_start(before), before - timedelta(days=1)),
            )
            .order_by(Household.id)
        ).all()
    line = settings.income.line_for(before.year)
    margin = settings.warnings.rule("below_line_margin")
    limit = line + (margin.param("margin") if margin else 0)
    # Week (Monday) → the raisings, verifications and 纳入 that fall in it.
    weeks: dict[date, dict[str, list]] = {}

    def week_of(day: date) -> dict[str, list]:
        monday = day - timedelta(days=day.weekday())
        return weeks.setdefault(monday, {"raise": [], "verify": [], "end": []})

    for household, township, since in entered:
        if rng.random() >= CAUGHT_SHARE:
            continue
        is_weak = township in weak
        verified = int(rng.integers(*VERIFY_AFTER[is_weak]))
        taken_in = verified + int(rng.integers(*ENTER_AFTER[is_weak]))
        raised = since - timedelta(days=taken_in)
        if raised < year_start(before):
            continue
        if rng.random() < INCOME_DROP_SHARE:
            last_year = round(float(rng.uniform(1.1, 1.8)) * line)
            values = (round(last_year * float(rng.uniform(0.45, 0.68))), last_year)
            rule_id, labels = "income_drop", INCOME_DROP_LABELS
        else:
            values = (round(limit - float(rng.uniform(150, 2500))), round(limit))
            rule_id, labels = "below_line_margin", BELOW_LINE_LABELS
        observed = dict(zip(labels, values, strict=True))
        week_of(raised)["raise"].append((raised, rule_id, household, observed))
        week_of(raised + timedelta(days=verified))["verify"].append(
            (raised + timedelta(days=verified), household, rule_id)
        )
        week_of(since)["end"].append((since, household, rule_id))
    ids: dict[tuple[int, str], int] = {}
    for monday, work in sorted(weeks.items()):
        at = datetime.combine(monday + timedelta(days=4), time(17))
        with change(engine, by=AUTHOR, at=at, author="驻村工作队") as write:
            by_day: dict[tuple[date, str], dict[int, dict]] = {}
            for day, rule_id, household, observed in work["raise"]:
                by_day.setdefault((day, rule_id), {})[household] = observed
            for (day, rule_id), hits in sorted(by_day.items()):
                raise_warnings(write, rule_id=rule_id, hits=hits, day=day)
            if work["raise"]:
                new = write.conn.execute(
                    select(
                        HouseholdWarning.household_id,
                        HouseholdWarning.rule_id,
                        HouseholdWarning.id,
                    ).where(HouseholdWarning.household_id.in_([r[2] for r in work["raise"]]))
                ).all()
                ids.update({(row[0], row[1]): row[2] for row in new})
            verified_on: dict[date, list[int]] = {}
            for day, household, rule_id in work["verify"]:
                verified_on.setdefault(day, []).append(ids[household, rule_id])
            for day, warning_ids in sorted(verified_on.items()):
                verify(
                    write,
                    scope=county_scope(conn=write.conn),
                    may_verify=True,
                    warning_ids=warning_ids,
                    to_status=WarningStatus.MONITORED,
                    note=NOTES[WarningStatus.MONITORED],
                    today=day,
                )
            gone_on: dict[date, list[int]] = {}
            for day, household, rule_id in work["end"]:
                gone_on.setdefault(day, []).append(ids[household, rule_id])
            for day, warning_ids in sorted(gone_on.items()):
                end_warnings(write, warning_ids, day=day)


def _check(engine: Engine, settings: Settings, day: date, at: datetime) -> None:
    with change(engine, by="demo", at=at) as write:
        check(write, settings=settings, today=day)
