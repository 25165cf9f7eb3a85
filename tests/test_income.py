"""Income arithmetic and projection on hand-made households."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine

from data_access.income import household_income_query, income_alerts_by_township
from data_access.scope import Scope
from tests.builders import (
    add_household,
    add_income_year,
    add_register,
    add_township,
    add_village,
)

MARCH = date(2026, 3, 1)
SCOPE = Scope(frozenset({1}))


@pytest.fixture
def place(fresh_engine: Engine) -> Engine:
    with fresh_engine.begin() as conn:
        add_township(conn, 1)
        add_village(conn, 101, township_id=1)
    return fresh_engine


def incomes(engine: Engine, settings, month=MARCH, scope=SCOPE) -> dict[int, dict]:
    query = household_income_query(scope=scope, month=month, settings=settings)
    with engine.connect() as conn:
        return {row["household_id"]: dict(row) for row in conn.execute(query).mappings()}


def test_production_costs_larger_than_business_income_lower_the_net(place, settings):
    linear = replace(settings.income, projection_method="linear")
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=2)
        for month in (date(2026, 1, 1), date(2026, 2, 1), MARCH):
            add_register(conn, 1, month, wage=1000, business=200, production_cost=500)
    row = incomes(place, linear)[1]
    assert row["months"] == 3
    assert row["ytd_net"] == pytest.approx(3 * 700)
    assert row["projected_per_capita"] == pytest.approx(700 * 12 / 2)


def test_a_one_member_household_divides_by_one(place, settings):
    linear = replace(settings.income, projection_method="linear")
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=1)
        add_register(conn, 1, MARCH, wage=600)
    assert incomes(place, linear)[1]["projected_per_capita"] == pytest.approx(7200)


def test_zero_months_registered_is_no_data_not_zero_income(place, settings):
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1)
        add_income_year(conn, 1, 2025, net=30000)
    row = incomes(place, settings.income)[1]
    assert row["months"] == 0
    assert row["projected_per_capita"] is None
    with place.connect() as conn:
        alerts = income_alerts_by_township(
            conn=conn, scope=SCOPE, month=MARCH, settings=settings.income
        )
    assert alerts.loc[0, ["households", "with_data", "below_line", "fell"]].tolist() == [1, 0, 0, 0]


def test_same_months_last_year_scales_last_years_total_by_this_years_growth(place, settings):
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=3)
        add_income_year(conn, 1, 2025, net=36000, members=3)
        for month in (date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)):
            add_register(conn, 1, month, wage=2000)
        for month in (date(2026, 1, 1), date(2026, 2, 1), MARCH):
            add_register(conn, 1, month, wage=2400)
    row = incomes(place, settings.income)[1]
    # This year's first quarter is 20 % above last year's: so is the projected year.
    assert row["projected_net"] == pytest.approx(36000 * 1.2)
    assert row["last_year_per_capita"] == pytest.approx(12000)


def test_a_missing_month_is_scaled_not_counted_as_zero(place, settings):
    linear = replace(settings.income, projection_method="linear")
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=1)
        add_register(conn, 1, date(2026, 1, 1), wage=500)
        add_register(conn, 1, MARCH, wage=700)
    assert incomes(place, linear)[1]["projected_net"] == pytest.approx(1200 * 12 / 2)
    same = incomes(place, settings.income)[1]
    assert same["projected_net"] == pytest.approx(1200 * 12 / 2)  # no last year: linear


def test_fewer_months_than_the_minimum_is_no_data(place, settings):
    strict = replace(settings.income, projection_min_months=3)
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1)
        add_register(conn, 1, MARCH, wage=5000)
    assert incomes(place, strict)[1]["projected_per_capita"] is None


def test_income_exactly_on_the_line_is_not_below_it(place, settings):
    linear = replace(settings.income, projection_method="linear")
    line = settings.income.line_for(2026)
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=1)
        add_household(conn, 2, village_id=101, township_id=1, members=1)
        add_register(conn, 1, date(2026, 1, 1), wage=line / 12)
        add_register(conn, 2, date(2026, 1, 1), wage=line / 12 - 1)
        add_income_year(conn, 1, 2025, net=line, members=1)
        add_income_year(conn, 2, 2025, net=line, members=1)
    with place.connect() as conn:
        alerts = income_alerts_by_township(
            conn=conn, scope=SCOPE, month=date(2026, 1, 1), settings=linear
        )
    assert alerts.loc[0, "below_line"] == 1
    assert alerts.loc[0, "fell"] == 1


def test_households_outside_the_scope_are_not_read(place, settings):
    with place.begin() as conn:
        add_township(conn, 2)
        add_village(conn, 201, township_id=2)
        add_household(conn, 1, village_id=101, township_id=1)
        add_household(conn, 2, village_id=201, township_id=2)
    assert set(incomes(place, settings.income)) == {1}
    assert incomes(place, settings.income, scope=Scope(frozenset())) == {}
