from datetime import date

import pytest

from data_access.periods import (
    default_period,
    month_end,
    month_label,
    next_month,
    previous_month,
    same_month_last_year,
)


@pytest.mark.parametrize(
    ("month", "after", "before", "end"),
    [
        (date(2026, 1, 1), date(2026, 2, 1), date(2025, 12, 1), date(2026, 1, 31)),
        (date(2026, 12, 1), date(2027, 1, 1), date(2026, 11, 1), date(2026, 12, 31)),
        (date(2024, 2, 1), date(2024, 3, 1), date(2024, 1, 1), date(2024, 2, 29)),
    ],
)
def test_month_arithmetic_crosses_year_ends_and_leap_years(month, after, before, end):
    assert next_month(month) == after
    assert previous_month(month) == before
    assert month_end(month) == end


def test_same_month_last_year_keeps_the_month():
    assert same_month_last_year(date(2026, 3, 1)) == date(2025, 3, 1)


def test_the_default_period_is_the_last_month_that_has_ended():
    months = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    assert default_period(months, date(2026, 11, 29)) == date(2026, 10, 1)
    assert default_period(months, date(2026, 12, 1)) == date(2026, 11, 1)


def test_a_lag_keeps_a_just_ended_month_out_of_the_default():
    months = [date(2026, 9, 1), date(2026, 10, 1)]
    assert default_period(months, date(2026, 11, 3), lag_days=5) == date(2026, 9, 1)


def test_without_an_ended_month_the_earliest_is_the_default_and_without_months_none():
    assert default_period([date(2026, 11, 1)], date(2026, 11, 2)) == date(2026, 11, 1)
    assert default_period([], date(2026, 11, 2)) is None


def test_month_label_reads_in_chinese():
    assert month_label(date(2026, 10, 1)) == "2026年10月"
