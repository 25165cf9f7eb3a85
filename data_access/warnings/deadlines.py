"""When a warning must be verified, and whether it was: the deadline arithmetic every reader of
warnings shares (the page's overdue counts, escalation to 整改, the 红黑榜's 预警按期核实率, the
暗访 risk). Days are compared by the database's own date arithmetic (``day_number``)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, case, literal, not_

from config.settings import WarningSettings
from data_access.models import HouseholdWarning, WarningStatus
from data_access.warnings.rules import day_number


def allowed_days(settings: WarningSettings) -> ColumnElement[int]:
    """Days a warning has to be verified, by its rule's severity (a rule since switched off
    keeps the longest allowance)."""
    longest = max(settings.verify_within_days.values())
    return case(
        {rule.id: settings.verify_within_days[rule.severity] for rule in settings.rules},
        value=HouseholdWarning.rule_id,
        else_=longest,
    )


def deadline_number(settings: WarningSettings) -> ColumnElement[int]:
    """The last day to verify a warning, as a day_number."""
    return day_number(HouseholdWarning.first_raised_on) + allowed_days(settings)


def due_on(first_raised_on: date, severity: str, settings: WarningSettings) -> date:
    """The last day to verify a warning raised on ``first_raised_on``."""
    return first_raised_on + timedelta(days=settings.verify_within_days[severity])


def is_pending() -> ColumnElement[bool]:
    """Raised, not verified, and its condition still held at the last check."""
    return and_(
        HouseholdWarning.status == WarningStatus.PENDING.value,
        HouseholdWarning.gone_on.is_(None),
    )


def is_overdue(settings: WarningSettings, today: date) -> ColumnElement[bool]:
    """Pending past its deadline: today later than the last day to verify it."""
    return and_(is_pending(), day_number(literal(today)) > deadline_number(settings))


def is_escalation_due(settings: WarningSettings, today: date) -> ColumnElement[bool]:
    """Pending, not yet an item, and unverified ``escalate_after_days`` past its deadline."""
    return and_(
        is_pending(),
        HouseholdWarning.rectification_item_id.is_(None),
        day_number(literal(today)) > deadline_number(settings) + settings.escalate_after_days,
    )


def fell_due(settings: WarningSettings, first: date, last: date) -> ColumnElement[bool]:
    """Its deadline fell between ``first`` and ``last`` (inclusive) and it still had to be
    verified then: a warning whose condition was seen gone, unverified, before its deadline
    needed no visit."""
    deadline = deadline_number(settings)
    lapsed_in_time = and_(
        HouseholdWarning.verified_on.is_(None),
        HouseholdWarning.gone_on.is_not(None),
        day_number(HouseholdWarning.gone_on) <= deadline,
    )
    return and_(
        deadline.between(day_number(literal(first)), day_number(literal(last))),
        not_(lapsed_in_time),
    )


def verified_in_time(settings: WarningSettings) -> ColumnElement[bool]:
    """Verified on or before its last day."""
    return and_(
        HouseholdWarning.verified_on.is_not(None),
        day_number(HouseholdWarning.verified_on) <= deadline_number(settings),
    )
