"""Income arithmetic and projection on hand-made households."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from dashboard.charts.income import SOURCE_LABELS, income_structure_figure
from dashboard.components.income import headline_sentence
from data_access.income.bands import band_counts, band_labels, income_bands, income_histogram
from data_access.income.growth import two_higher_checks
from data_access.income.households import HouseholdFilter, household_list, household_list_size
from data_access.income.projection import (
    FROM_ANNUAL,
    FROM_REGISTERS,
    NO_DATA_BAND,
    NO_SOURCE,
    household_income_query,
)
from data_access.income.registers import missing_registers_by_cadre
from data_access.income.structure import income_structure, structure_shares, structure_table
from data_access.income.summary import (
    IncomeGrowth,
    IncomeSources,
    YearSources,
    income_alerts_by_township,
    income_growth,
    income_headline,
    income_sources,
)
from data_access.models import BenchmarkIndicator
from data_access.overview import townships_in_scope
from data_access.scope import Scope, county_scope
from tests.builders import (
    add_cadre,
    add_household,
    add_income_year,
    add_register,
    add_township,
    add_village,
    assign,
)
from tests.income_reference import reference_incomes
from tests.independent import ON_RECORD

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


# --- Registers where they exist, the imported annual figure where they do not ------------


def test_a_household_without_registers_this_year_stands_on_its_annual_figure(place, settings):
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=3)
        add_income_year(conn, 1, 2026, net=16_000, members=2)  # a 摸排 done in the autumn
    row = incomes(place, settings.income)[1]
    assert row["months"] == 0
    assert row["projected_net"] == pytest.approx(16_000)
    assert row["projected_per_capita"] == pytest.approx(8_000)  # that year's two members
    assert row["projection_source"] == FROM_ANNUAL


def test_a_household_with_registers_keeps_its_projection_over_an_annual_figure(place, settings):
    linear = linear_settings(settings)
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=1)
        add_register(conn, 1, MARCH, wage=600)
        add_income_year(conn, 1, 2026, net=99_000, members=1)
    row = incomes(place, linear)[1]
    assert row["projected_per_capita"] == pytest.approx(7_200)
    assert row["projection_source"] == FROM_REGISTERS


def test_too_few_registered_months_fall_back_to_the_annual_figure(place, settings):
    strict = replace(settings.income, projection_min_months=3)
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=1)
        add_register(conn, 1, MARCH, wage=5_000)
        add_income_year(conn, 1, 2026, net=9_000, members=1)
    row = incomes(place, strict)[1]
    assert row["projected_per_capita"] == pytest.approx(9_000)
    assert row["projection_source"] == FROM_ANNUAL


def test_twelve_registered_months_stand_for_a_missing_annual_figure_of_last_year(place, settings):
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=2)
        add_household(conn, 2, village_id=101, township_id=1, members=2)
        for month in range(1, 13):
            add_register(conn, 1, date(2025, month, 1), wage=1_000, production_cost=100)
            if month != 7:  # one month short: last year unknown
                add_register(conn, 2, date(2025, month, 1), wage=1_000)
    rows = incomes(place, settings.income)
    assert rows[1]["last_year_per_capita"] == pytest.approx(12 * 900 / 2)
    assert rows[1]["last_year_source"] == FROM_REGISTERS
    assert rows[2]["last_year_per_capita"] is None
    assert rows[2]["last_year_source"] == NO_SOURCE


def test_last_years_annual_figure_wins_over_its_registers(place, settings):
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=2)
        for month in range(1, 13):
            add_register(conn, 1, date(2025, month, 1), wage=1_000)
        add_income_year(conn, 1, 2025, net=15_000, members=3)
    row = incomes(place, settings.income)[1]
    assert row["last_year_per_capita"] == pytest.approx(5_000)  # the reported figure
    assert row["last_year_source"] == FROM_ANNUAL


def test_a_finished_years_december_stands_on_its_statistics(place, settings):
    """Once a year is over and has its 统计 row, that is the year's figure: the 2025-12 view shows
    what the 2026 views call 上年, and says so; before December the registers project it."""
    linear = linear_settings(settings)
    december, november = date(2025, 12, 1), date(2025, 11, 1)
    with place.begin() as conn:
        add_household(conn, 1, village_id=101, township_id=1, members=2)
        for month in range(1, 13):
            add_register(conn, 1, date(2025, month, 1), wage=1_000)  # 12,000 registered
        add_income_year(conn, 1, 2025, net=9_000, members=3)  # the statistic: 3,000 a person
        add_household(conn, 2, village_id=101, township_id=1, members=1)
        for month in range(1, 13):
            add_register(conn, 2, date(2025, month, 1), wage=700)  # no statistic: registers
    closed = incomes(place, linear, month=december)
    assert closed[1]["projected_per_capita"] == pytest.approx(3_000)
    assert closed[1]["projection_source"] == FROM_ANNUAL
    assert closed[2]["projected_per_capita"] == pytest.approx(8_400)
    assert closed[2]["projection_source"] == FROM_REGISTERS
    running = incomes(place, linear, month=november)[1]
    assert running["projected_per_capita"] == pytest.approx(6_000)  # 11,000 × 12 / 11 / 2
    assert running["projection_source"] == FROM_REGISTERS
    next_year = incomes(place, linear, month=date(2026, 1, 1))[1]
    assert next_year["last_year_per_capita"] == closed[1]["projected_per_capita"]
    with place.connect() as conn:
        sources = income_sources(conn=conn, scope=SCOPE, month=december, settings=linear)
    assert sources.this_year == YearSources(registers=1, annual=1, none=0)


def test_where_the_figures_stand_is_counted_per_year_in_the_scope(place, settings):
    with place.begin() as conn:
        add_township(conn, 2)
        add_village(conn, 201, township_id=2)
        one_member_household(conn, 1, yearly=9_000)  # registers this year, nothing last year
        add_household(conn, 2, village_id=101, township_id=1, members=1)
        add_income_year(conn, 2, 2026, net=8_000, members=1)  # annual this year
        add_income_year(conn, 2, 2025, net=7_000, members=1)  # annual last year
        add_household(conn, 3, village_id=101, township_id=1, members=1)  # nothing at all
        for month in range(1, 13):
            add_register(conn, 3, date(2025, month, 1), wage=500)  # …but last year registered
        add_household(conn, 4, village_id=201, township_id=2, members=1)  # outside the scope
        add_register(conn, 4, date(2026, 1, 1), wage=750)
    with place.connect() as conn:
        sources = income_sources(
            conn=conn, scope=SCOPE, month=date(2026, 1, 1), settings=settings.income
        )
    assert sources == IncomeSources(
        this_year=YearSources(registers=1, annual=1, none=1),
        last_year=YearSources(registers=1, annual=1, none=1),
    )


# --- 收入监测: bands, headline, list, growth, structure, completeness -----------------------


def linear_settings(settings):
    return replace(settings.income, projection_method="linear")


def one_member_household(conn, household_id: int, *, yearly: float, township_id: int = 1) -> None:
    """A one-member household registering ``yearly / 12`` in January (linear: pc = yearly)."""
    add_household(conn, household_id, village_id=101, township_id=township_id, members=1)
    add_register(conn, household_id, date(2026, 1, 1), wage=yearly / 12)


def test_the_bands_insert_the_years_line_between_the_configured_edges(settings):
    bands = income_bands(settings=settings.income, year=2026)
    line = settings.income.line_for(2026)
    assert [(band.lower, band.upper) for band in bands] == [
        (None, 4500),
        (4500, line),
        (line, 7500),
        (7500, 10000),
        (10000, None),
    ]
    assert [band.starts_at_line for band in bands] == [False, False, True, False, False]
    assert bands[0].label == "低于4,500元"
    assert bands[-1].label == "10,000元及以上"
    assert band_labels(settings=settings.income, year=2026)[NO_DATA_BAND] == "无数据"


def test_income_exactly_on_a_band_edge_belongs_to_the_band_above(place, settings):
    line = settings.income.line_for(2026)
    yearly = {1: 4500 - 12, 2: 4500, 3: line, 4: 7500, 5: 10000, 6: 9999.96}
    with place.begin() as conn:
        for household_id, amount in yearly.items():
            one_member_household(conn, household_id, yearly=amount)
        add_household(conn, 7, village_id=101, township_id=1)
    with place.connect() as conn:
        frame = household_list(
            conn=conn,
            scope=SCOPE,
            month=date(2026, 1, 1),
            settings=linear_settings(settings),
            filters=HouseholdFilter(),
            limit=100,
        )
    bands = dict(zip(frame["household_id"], frame["band"], strict=True))
    assert bands == {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 3, 7: NO_DATA_BAND}


def test_the_headline_counts_fell_and_below_each_threshold(place, settings):
    linear = linear_settings(settings)
    with place.begin() as conn:
        one_member_household(conn, 1, yearly=4000)  # below 4500, 7500 and the line
        add_income_year(conn, 1, 2025, net=5000, members=1)  # fell by 1000
        one_member_household(conn, 2, yearly=7450)  # above the line, below 7500
        add_income_year(conn, 2, 2025, net=7000, members=1)
        one_member_household(conn, 3, yearly=12000)
        add_income_year(conn, 3, 2025, net=15000, members=1)  # fell by 3000
        add_household(conn, 4, village_id=101, township_id=1)  # no registers: no data
    with place.connect() as conn:
        headline = income_headline(conn=conn, scope=SCOPE, month=date(2026, 1, 1), settings=linear)
    assert headline.households == 4
    assert headline.with_data == 3
    assert headline.no_data == 1
    assert headline.below == {4500: 1, 7500: 2}
    assert headline.below_line == 1
    assert headline.fell == 2
    assert headline.fell_mean_drop == pytest.approx(2000)
    assert headline_sentence(headline) == "收入不增反降 2 户，低于 7500 元 2 户，低于 4500 元 1 户"


def test_the_household_list_filters_in_sql_and_pages(place, settings):
    linear = linear_settings(settings)
    with place.begin() as conn:
        add_village(conn, 102, township_id=1)
        for household_id in range(1, 8):
            one_member_household(conn, household_id, yearly=3000 + 1000 * household_id)
        add_household(conn, 8, village_id=102, township_id=1, household_type="监测户")
        add_register(conn, 8, date(2026, 1, 1), wage=100)
        add_income_year(conn, 8, 2025, net=9000)

    def listed(filters: HouseholdFilter, limit: int = 100, offset: int = 0) -> list[int]:
        with place.connect() as conn:
            frame = household_list(
                conn=conn,
                scope=SCOPE,
                month=date(2026, 1, 1),
                settings=linear,
                filters=filters,
                limit=limit,
                offset=offset,
            )
            size = household_list_size(
                conn=conn, scope=SCOPE, month=date(2026, 1, 1), settings=linear, filters=filters
            )
        if offset == 0 and len(frame) < limit:
            assert size == len(frame), filters
        else:
            assert size >= offset + len(frame)
        return list(frame["household_id"])

    # Lowest projected per-capita income first: household 8 has 1,200 × 12 / 3 = 400 per person.
    assert listed(HouseholdFilter()) == [8, 1, 2, 3, 4, 5, 6, 7]
    assert listed(HouseholdFilter(), limit=3, offset=3) == [3, 4, 5]
    assert listed(HouseholdFilter(village_id=102)) == [8]
    assert listed(HouseholdFilter(household_type="监测户")) == [8]
    assert listed(HouseholdFilter(fell_only=True)) == [8]
    assert listed(HouseholdFilter(below_line_only=True)) == [8, 1, 2, 3, 4]
    assert listed(HouseholdFilter(band=0)) == [8, 1]
    assert listed(HouseholdFilter(band=0, village_id=101)) == [1]
    assert listed(HouseholdFilter(band=0, fell_only=True)) == [8]
    assert listed(HouseholdFilter(township_id=2)) == []


def test_the_household_list_masks_names_and_ids_unless_the_scope_may_see_them(place, settings):
    with place.begin() as conn:
        one_member_household(conn, 1, yearly=9000)

    def first_row(scope: Scope) -> dict:
        with place.connect() as conn:
            frame = household_list(
                conn=conn,
                scope=scope,
                month=MARCH,
                settings=settings.income,
                filters=HouseholdFilter(),
                limit=10,
            )
        return frame.iloc[0].to_dict()

    masked = first_row(SCOPE)
    assert (masked["head_name"], masked["head_id_number"]) == ("张*明", "4527**********1234")
    full = first_row(Scope(frozenset({1}), personal_data=True))
    assert (full["head_name"], full["head_id_number"]) == ("张三明", "452731197001011234")


def test_the_household_list_names_the_current_helper_and_a_missing_year_stays_unknown(
    place, settings
):
    with place.begin() as conn:
        add_cadre(conn, 5)
        one_member_household(conn, 1, yearly=9000)
        assign(conn, 5, 1, date(2025, 1, 1))
    with place.connect() as conn:
        row = household_list(
            conn=conn,
            scope=SCOPE,
            month=MARCH,
            settings=settings.income,
            filters=HouseholdFilter(),
            limit=10,
        ).iloc[0]
    assert row["cadre"] == "干部5"
    assert row["months"] == 1
    assert row["ytd_per_capita"] == pytest.approx(750)
    assert math.isnan(row["last_year_per_capita"])
    assert math.isnan(row["change_per_capita"])


def test_missing_registers_are_counted_per_helper(place, settings):
    october = date(2026, 10, 1)
    with place.begin() as conn:
        add_cadre(conn, 5)
        add_cadre(conn, 6)
        for household_id in (1, 2, 3):
            add_household(conn, household_id, village_id=101, township_id=1)
        assign(conn, 5, 1, date(2025, 1, 1))
        assign(conn, 5, 2, date(2025, 1, 1))
        assign(conn, 6, 3, date(2025, 1, 1))
        add_register(conn, 1, october)  # in time
        add_register(conn, 2, october, entered_at=datetime(2026, 11, 3))  # late
        add_register(conn, 3, october)
    with place.connect() as conn:
        frame = missing_registers_by_cadre(conn=conn, scope=SCOPE, month=october, grace_days=0)
        lenient = missing_registers_by_cadre(conn=conn, scope=SCOPE, month=october, grace_days=5)
    assert frame[["cadre_id", "households", "missing"]].values.tolist() == [[5, 2, 1]]
    assert lenient.empty


def test_production_costs_larger_than_business_income_give_a_negative_business_share():
    structure = pd.DataFrame(
        {
            "township_id": [1],
            "wage": [8000.0],
            "business": [1000.0],
            "property": [0.0],
            "transfer": [2000.0],
            "production_cost": [1500.0],
        }
    )
    shares = structure_shares(structure).iloc[0]
    assert shares["business"] == pytest.approx(-500 / 9500)
    assert shares[["wage", "business", "property", "transfer"]].sum() == pytest.approx(1.0)


def test_a_missing_benchmark_makes_its_comparison_unknown_not_failed():
    growth = IncomeGrowth(households=10, this_year=11000.0, last_year=10000.0)
    checks = two_higher_checks(growth, {BenchmarkIndicator.COUNTY_RURAL_INCOME_GROWTH: 7.5})
    assert growth.growth_percent == pytest.approx(10.0)
    assert [check.passed for check in checks] == [True, None, None]
    assert checks[1].missing == ["省农村居民人均可支配收入增速"]
    assert all(check.passed is None for check in two_higher_checks(growth, {}))


def test_growth_needs_both_years(place, settings):
    with place.begin() as conn:
        one_member_household(conn, 1, yearly=9000)
    with place.connect() as conn:
        growth = income_growth(
            conn=conn, scope=SCOPE, month=date(2026, 1, 1), settings=linear_settings(settings)
        )
    assert growth == IncomeGrowth(households=0, this_year=None, last_year=None)
    assert growth.growth_percent is None


# --- The SQL aggregates against an independent computation on the demo county -------------

OCTOBER = date(2026, 10, 1)


@pytest.fixture
def demo_scope(demo_engine) -> Scope:
    with demo_engine.connect() as conn:
        return county_scope(conn=conn)


@pytest.fixture
def reference(demo_engine, settings) -> pd.DataFrame:
    return reference_incomes(demo_engine, month=OCTOBER, settings=settings.income)


def test_the_headline_matches_an_independent_computation(
    demo_engine, demo_scope, reference, settings
):
    with demo_engine.connect() as conn:
        headline = income_headline(
            conn=conn, scope=demo_scope, month=OCTOBER, settings=settings.income
        )
    per_capita = reference["projected_per_capita"]
    assert headline.households == len(reference)
    assert headline.with_data == per_capita.notna().sum()
    assert headline.below_line == reference["below_line"].sum() > 0
    assert headline.fell == reference["fell"].sum() > 0
    assert headline.below == {t: (per_capita < t).sum() for t in settings.income.alert_thresholds}
    fell = reference[reference["fell"]]
    expected_drop = (fell["last_year_per_capita"] - fell["projected_per_capita"]).mean()
    assert headline.fell_mean_drop == pytest.approx(expected_drop)


def test_band_counts_match_an_independent_computation(demo_engine, demo_scope, reference, settings):
    with demo_engine.connect() as conn:
        frame = band_counts(conn=conn, scope=demo_scope, month=OCTOBER, settings=settings.income)
        villages = band_counts(
            conn=conn,
            scope=demo_scope.narrowed([1]),
            month=OCTOBER,
            settings=settings.income,
            grouping="village",
        )
    expected = reference.groupby(["township_id", "household_type", "band"]).size()
    got = frame.set_index(["township_id", "household_type", "band"])["households"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    in_one = reference[reference["township_id"] == 1]
    assert villages["households"].sum() == len(in_one)
    assert set(villages["village_id"]) == set(in_one["village_id"])


def test_the_histogram_matches_an_independent_binning(demo_engine, demo_scope, reference, settings):
    with demo_engine.connect() as conn:
        frame = income_histogram(
            conn=conn, scope=demo_scope, month=OCTOBER, settings=settings.income, bin_width=500
        )
    known = reference.dropna(subset=["projected_per_capita"])
    buckets = (known["projected_per_capita"] // 500 * 500).rename("bucket")
    expected = known.groupby([buckets, known["household_type"]]).size()
    got = frame.set_index(["bucket", "household_type"])["households"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()


def test_growth_matches_an_independent_computation(demo_engine, demo_scope, reference, settings):
    with demo_engine.connect() as conn:
        growth = income_growth(conn=conn, scope=demo_scope, month=OCTOBER, settings=settings.income)
    both = reference.dropna(subset=["projected_per_capita", "last_year_per_capita"])
    weights = both["members"]
    this_year = (both["projected_per_capita"] * weights).sum() / weights.sum()
    last_year = (both["last_year_per_capita"] * weights).sum() / weights.sum()
    assert growth.households == len(both)
    assert growth.this_year == pytest.approx(this_year)
    assert growth.last_year == pytest.approx(last_year)


def test_the_structure_and_the_helper_gaps_match_independent_sums(demo_engine, demo_scope):
    with demo_engine.connect() as conn:
        structure = income_structure(conn=conn, scope=demo_scope, month=OCTOBER)
        cadres = missing_registers_by_cadre(
            conn=conn, scope=demo_scope, month=OCTOBER, grace_days=0
        )
        wage = dict(
            conn.execute(
                text(
                    "SELECT h.township_id, SUM(r.wage) FROM income_registers r "
                    "JOIN households h ON h.id = r.household_id "
                    f"WHERE r.month BETWEEN :start AND :last AND {ON_RECORD} "
                    "GROUP BY h.township_id"
                ),
                {"start": date(2026, 1, 1), "last": OCTOBER, "end": date(2026, 10, 31)},
            ).all()
        )
        missing_assigned = conn.execute(
            text(
                "SELECT COUNT(DISTINCT a.household_id) FROM assignments a "
                "JOIN households h ON h.id = a.household_id "
                "WHERE a.start_date <= :end AND (a.end_date IS NULL OR a.end_date >= :end) "
                f"AND {ON_RECORD} AND NOT EXISTS (SELECT 1 FROM income_registers r "
                "WHERE r.household_id = a.household_id AND r.month = :month "
                "AND r.entered_at < :deadline)"
            ),
            {
                "end": date(2026, 10, 31),
                "month": OCTOBER,
                "deadline": datetime(2026, 11, 1),
            },
        ).scalar_one()
    got = dict(zip(structure["township_id"], structure["wage"], strict=True))
    assert got == pytest.approx({int(k): float(v) for k, v in wage.items()})
    assert cadres["missing"].sum() == missing_assigned > 0
    assert (cadres["missing"].diff().dropna() <= 0).all()


def test_the_list_size_matches_the_independent_below_line_count(
    demo_engine, demo_scope, reference, settings
):
    with demo_engine.connect() as conn:
        size = household_list_size(
            conn=conn,
            scope=demo_scope,
            month=OCTOBER,
            settings=settings.income,
            filters=HouseholdFilter(below_line_only=True, household_type="监测户"),
        )
    monitored = reference[reference["household_type"] == "监测户"]
    assert size == monitored["below_line"].sum()


def test_the_structure_chart_labels_each_share_as_the_table_beside_it(demo_engine, demo_scope):
    with demo_engine.connect() as conn:
        structure = income_structure(conn=conn, scope=demo_scope, month=OCTOBER)
        names = townships_in_scope(conn=conn, scope=demo_scope)
    shares = structure_table(structure, names=names)
    figure = income_structure_figure(shares)
    wages = next(trace for trace in figure.data if trace.name == SOURCE_LABELS["wage"][0])
    # Rows are drawn bottom-up; the labels are whole percents of the shares (0–1).
    expected = [f"{share:.0%}" if share >= 0.05 else "" for share in shares["wage"].iloc[::-1]]
    assert list(wages.text) == expected
    assert all(label.endswith("%") and int(label[:-1]) > 40 for label in wages.text if label)
    assert list(wages.x) == pytest.approx(list(shares["wage"].iloc[::-1] * 100))
