"""总览 figures: each SQL aggregate against an independent count on the seeded demo county
(SQLite, and PostgreSQL when configured), plus hand-made cases for the edge rules."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, text

from data_access.income.summary import income_alerts_by_township
from data_access.indicators import (
    household_counts,
    rectification_progress,
    register_completeness,
    visit_coverage,
)
from data_access.overview import briefing, upcoming_milestones
from data_access.scope import Scope, county_scope
from tests.builders import (
    add_cadre,
    add_household,
    add_register,
    add_township,
    add_village,
    add_visit,
    assign,
)
from tests.clock import AS_OF
from tests.independent import ON_RECORD, counts_by_group

MONTH = date(2026, 10, 1)
NEXT = date(2026, 11, 1)


def by_township(frame, column: str) -> dict[int, int]:
    return {int(k): int(v) for k, v in zip(frame["township_id"], frame[column], strict=True)}


@pytest.fixture
def scope(demo_engine) -> Scope:
    with demo_engine.connect() as conn:
        return county_scope(conn=conn)


def test_household_counts_match_an_independent_count(demo_engine, scope):
    with demo_engine.connect() as conn:
        frame = household_counts(conn=conn, scope=scope, month=MONTH)
    lifted = counts_by_group(
        demo_engine,
        "SELECT township_id, COUNT(*) FROM households WHERE household_type = '脱贫户' "
        "OR (monitored_since > :end AND lifted_year IS NOT NULL) GROUP BY township_id",
        end=date(2026, 10, 31),
    )
    at_risk = counts_by_group(
        demo_engine,
        "SELECT township_id, COUNT(*) FROM households WHERE household_type = '监测户' "
        "AND (monitored_since IS NULL OR monitored_since <= :end) "
        "AND (risk_status = '风险未消除' OR risk_cleared_on > :end) GROUP BY township_id",
        end=date(2026, 10, 31),
    )
    assert by_township(frame, "lifted") == lifted
    assert {k: v for k, v in by_township(frame, "at_risk").items() if v} == at_risk
    assert sum(at_risk.values()) > 0


def test_register_completeness_counts_only_registers_entered_by_month_end(demo_engine, scope):
    with demo_engine.connect() as conn:
        frame = register_completeness(conn=conn, scope=scope, month=MONTH, grace_days=0)
    expected = counts_by_group(
        demo_engine,
        "SELECT h.township_id, COUNT(*) FROM income_registers r "
        "JOIN households h ON h.id = r.household_id "
        f"WHERE r.month = :month AND r.entered_at < :deadline AND {ON_RECORD} "
        "GROUP BY h.township_id",
        month=MONTH,
        deadline=datetime(2026, 11, 1),
        end=date(2026, 10, 31),
    )
    households = counts_by_group(
        demo_engine,
        f"SELECT township_id, COUNT(*) FROM households h WHERE {ON_RECORD} GROUP BY township_id",
        end=date(2026, 10, 31),
    )
    assert {k: v for k, v in by_township(frame, "registered").items() if v} == expected
    assert by_township(frame, "households") == households
    assert 0 < sum(expected.values()) < sum(households.values())


def test_visit_coverage_counts_visits_by_the_assigned_cadre_in_the_month(demo_engine, scope):
    with demo_engine.connect() as conn:
        frame = visit_coverage(conn=conn, scope=scope, month=MONTH, visits_per_month=1)
    visited = counts_by_group(
        demo_engine,
        "SELECT h.township_id, COUNT(DISTINCT h.id) FROM households h "
        "JOIN assignments a ON a.household_id = h.id "
        "AND a.start_date <= :end AND (a.end_date IS NULL OR a.end_date >= :start) "
        "JOIN visits v ON v.household_id = h.id AND v.cadre_id = a.cadre_id "
        "AND v.role = '帮扶干部' AND v.visit_date BETWEEN :start AND :end "
        "GROUP BY h.township_id",
        start=MONTH,
        end=date(2026, 10, 31),
    )
    assert {k: v for k, v in by_township(frame, "visited").items() if v} == visited
    assert 0 < sum(visited.values()) < frame["assigned"].sum()


def test_rectification_status_is_taken_at_the_end_of_the_day(demo_engine, scope):
    on = date(2026, 10, 31)
    with demo_engine.connect() as conn:
        frame = rectification_progress(conn=conn, scope=scope, on=on)
    overdue = counts_by_group(
        demo_engine,
        "SELECT township_id, COUNT(*) FROM rectification_items WHERE found_on <= :on "
        "AND (closed_on IS NULL OR closed_on > :on) AND deadline < :on GROUP BY township_id",
        on=on,
    )
    opened = counts_by_group(
        demo_engine,
        "SELECT township_id, COUNT(*) FROM rectification_items WHERE found_on <= :on "
        "AND (closed_on IS NULL OR closed_on > :on) GROUP BY township_id",
        on=on,
    )
    assert {k: v for k, v in by_township(frame, "overdue").items() if v} == overdue
    assert {k: v for k, v in by_township(frame, "open").items() if v} == opened
    assert sum(overdue.values()) > 0


def test_income_alerts_match_a_household_by_household_computation(demo_engine, scope, settings):
    """Recomputes every household's projection in Python from the raw rows."""
    with demo_engine.connect() as conn:
        frame = income_alerts_by_township(
            conn=conn, scope=scope, month=MONTH, settings=settings.income
        )
        members = dict(conn.execute(text("SELECT id, members FROM households")).all())
        township = dict(conn.execute(text("SELECT id, township_id FROM households")).all())
        registers = conn.execute(
            text(
                "SELECT household_id, month, wage + business + property + transfer "
                "- production_cost FROM income_registers WHERE month BETWEEN :a AND :b"
            ),
            {"a": date(2025, 1, 1), "b": MONTH},
        ).all()
        last_year = {
            hid: (net / m, net)
            for hid, net, m in conn.execute(
                text(
                    "SELECT household_id, wage + business + property + transfer "
                    "- production_cost, members FROM income_years WHERE year = 2025"
                )
            ).all()
        }
    this_year: dict[int, list[float]] = defaultdict(list)
    same_months: dict[int, float] = defaultdict(float)
    for hid, month, net in registers:
        month = date.fromisoformat(str(month)[:10])
        if month.year == 2026:
            this_year[hid].append(net)
        elif month.month <= MONTH.month:
            same_months[hid] += net
    line = settings.income.line_for(2026)
    below_line: dict[int, int] = defaultdict(int)
    fell: dict[int, int] = defaultdict(int)
    for hid, nets in this_year.items():
        linear = sum(nets) * 12 / len(nets)
        scaled = sum(nets) * MONTH.month / len(nets)
        last_total = last_year.get(hid, (None, 0))[1]
        if same_months.get(hid, 0) > 0 and last_total > 0:
            projected = scaled * last_total / same_months[hid]
        else:
            projected = linear
        per_capita = projected / members[hid]
        below_line[township[hid]] += per_capita < line
        if hid in last_year:
            fell[township[hid]] += per_capita < last_year[hid][0]
    assert by_township(frame, "below_line") == {t: below_line.get(t, 0) for t in scope.township_ids}
    assert by_township(frame, "fell") == {t: fell.get(t, 0) for t in scope.township_ids}
    assert sum(fell.values()) > 0


def test_milestones_count_down_from_today(demo_engine, scope):
    with demo_engine.connect() as conn:
        frame = upcoming_milestones(conn=conn, scope=scope, today=AS_OF)
    assert not frame.empty
    assert (frame["due_on"] >= AS_OF).all()
    assert frame["days_left"].tolist() == [(d - AS_OF).days for d in frame["due_on"]]
    first = frame.iloc[0]
    expected = counts_by_group(
        demo_engine,
        "SELECT 0, COUNT(*) FROM rectification_items WHERE deadline <= :due "
        "AND found_on <= :today AND (closed_on IS NULL OR closed_on > :today)",
        due=first["due_on"],
        today=AS_OF,
    )[0]
    assert first["open_items"] == expected > 0


def test_briefing_totals_are_the_sums_of_the_township_rows(demo_engine, scope, settings):
    with demo_engine.connect() as conn:
        brief = briefing(conn=conn, scope=scope, month=MONTH, today=AS_OF, settings=settings)
        prior = visit_coverage(conn=conn, scope=scope, month=date(2026, 9, 1), visits_per_month=1)
    table = brief.by_township
    assert brief.households.value == table["lifted"].sum() + table["monitored"].sum()
    assert brief.overdue_items.value == table["overdue"].sum()
    assert brief.visit_rate.value == pytest.approx(table["visited"].sum() / table["assigned"].sum())
    assert brief.visit_rate.previous == pytest.approx(
        prior["visited"].sum() / prior["assigned"].sum()
    )
    assert brief.as_of == date(2026, 10, 31)
    assert set(brief.below_thresholds) == set(settings.income.alert_thresholds)


def test_a_narrowed_scope_only_sees_its_own_townships(demo_engine, scope, settings):
    one = scope.narrowed([min(scope.township_ids)])
    with demo_engine.connect() as conn:
        brief = briefing(conn=conn, scope=one, month=MONTH, today=AS_OF, settings=settings)
        whole = briefing(conn=conn, scope=scope, month=MONTH, today=AS_OF, settings=settings)
    assert brief.by_township["township_id"].tolist() == [min(scope.township_ids)]
    assert brief.households.value < whole.households.value


def test_narrowing_never_widens_a_scope():
    scope = Scope(frozenset({1, 2}))
    assert scope.narrowed([2, 3]).township_ids == {2}
    assert scope.narrowed(None) == scope


# Hand-made cases for the visit rules.


@pytest.fixture
def one_village(fresh_engine: Engine) -> Engine:
    with fresh_engine.begin() as conn:
        add_township(conn, 1)
        add_village(conn, 101, township_id=1)
        for household in (1, 2, 3, 4):
            add_household(conn, household, village_id=101, township_id=1)
        add_cadre(conn, 11)
        add_cadre(conn, 12)
        add_cadre(conn, 13, role="村支书")
        for household in (1, 2, 3):
            assign(conn, 11, household, date(2025, 1, 1))
    return fresh_engine


def test_only_the_assigned_cadres_visits_in_the_month_count(one_village):
    with one_village.begin() as conn:
        add_visit(conn, 11, 1, date(2026, 10, 15))  # counts
        add_visit(conn, 12, 2, date(2026, 10, 15))  # not this household's cadre
        add_visit(conn, 11, 3, date(2026, 11, 1))  # next month
        add_visit(conn, 13, 3, date(2026, 10, 2), role="村支书")  # another duty
    with one_village.connect() as conn:
        frame = visit_coverage(
            conn=conn, scope=Scope(frozenset({1})), month=MONTH, visits_per_month=1
        )
    # Household 4 has no cadre: it is not in the denominator (the visits view reports it).
    assert frame.loc[0, ["assigned", "visited"]].tolist() == [3, 1]


def test_a_register_entered_after_month_end_is_late_unless_within_the_grace_days(one_village):
    with one_village.begin() as conn:
        add_register(conn, 1, MONTH, wage=1, entered_at=datetime(2026, 10, 31, 23, 59))
        add_register(conn, 2, MONTH, wage=1, entered_at=datetime(2026, 11, 2, 9, 0))
    with one_village.connect() as conn:
        strict = register_completeness(
            conn=conn, scope=Scope(frozenset({1})), month=MONTH, grace_days=0
        )
        lenient = register_completeness(
            conn=conn, scope=Scope(frozenset({1})), month=MONTH, grace_days=3
        )
    assert strict.loc[0, ["households", "registered"]].tolist() == [4, 1]
    assert lenient.loc[0, "registered"] == 2


def test_every_view_counts_the_same_households_in_a_month(demo_engine, scope, settings):
    """总览's 户数, the register and visit tables, 收入监测's list and the visit map count the
    households on record by the month's end, and a household taken into monitoring later is in
    none of them."""
    from data_access.income.households import HouseholdFilter, household_list_size
    from data_access.visits import village_coverage

    with demo_engine.connect() as conn:
        brief = briefing(conn=conn, scope=scope, month=MONTH, today=AS_OF, settings=settings)
        registers = register_completeness(conn=conn, scope=scope, month=MONTH, grace_days=0)
        listed = household_list_size(
            conn=conn, scope=scope, month=MONTH, settings=settings.income, filters=HouseholdFilter()
        )
        mapped = village_coverage(conn=conn, scope=scope, month=MONTH, settings=settings.visits)
        later = conn.execute(
            text(
                "SELECT count(*) FROM households WHERE household_type = '监测户' "
                "AND lifted_year IS NULL AND monitored_since > :end"
            ),
            {"end": date(2026, 10, 31)},
        ).scalar_one()
        everyone = conn.execute(text("SELECT count(*) FROM households")).scalar_one()
    counted = {
        "总览": brief.households.value,
        "收支登记": int(registers["households"].sum()),
        "收入监测": listed,
        "走访覆盖": int(mapped["households"].sum()),
    }
    assert set(counted.values()) == {everyone - later}, counted
    assert later > 0, "the demo county takes some households into monitoring after October"
