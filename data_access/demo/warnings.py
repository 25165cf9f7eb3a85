"""The demo county's 预警 history: the rules were checked a month before the as-of day, the
village teams verified most of those warnings (the weak townships fewer and later), and the
check of the as-of day raised the new ones and let the gone ones lapse. So the page shows
overdue warnings in the weak places, fresh ones everywhere, and verified ones with notes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Engine, select

from config.settings import Settings
from data_access.commands import change
from data_access.models import HouseholdWarning, Township, WarningStatus
from data_access.scope import county_scope
from data_access.warnings.store import check, verify

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
    _check(engine, settings, earlier, datetime.combine(earlier, time(6)))
    with engine.connect() as conn:
        weak = set(conn.execute(select(Township.id).where(Township.code.in_(weak_codes))).scalars())
        raised = conn.execute(
            select(
                HouseholdWarning.id, HouseholdWarning.township_id, HouseholdWarning.rule_id
            ).order_by(HouseholdWarning.id)
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


def _check(engine: Engine, settings: Settings, day: date, at: datetime) -> None:
    with change(engine, by="demo", at=at) as write:
        check(write, settings=settings, today=day)
