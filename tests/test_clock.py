"""config/clock.py: the one clock's two readings, fixed or read from the system in the county's
time zone whatever the server's."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from config import Clock


def test_fixed_readings_are_returned_as_they_are():
    clock = Clock("Asia/Shanghai", date(2026, 11, 29), datetime(2027, 3, 1, 7, 5))
    assert clock.reporting_date() == date(2026, 11, 29)
    assert clock.now() == datetime(2027, 3, 1, 7, 5)
    assert clock.wall_date() == date(2027, 3, 1)
    assert clock.fixed


def test_without_a_reporting_date_the_figures_are_reckoned_to_the_wall_clocks_date():
    clock = Clock("Asia/Shanghai", fixed_now=datetime(2026, 12, 31, 23, 59, 59))
    assert clock.reporting_date() == date(2026, 12, 31)


@pytest.fixture
def server_in_utc(monkeypatch):
    """The process's own time zone set to UTC, as on a typical server."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(("zone", "offset"), [("Asia/Shanghai", 8), ("Asia/Urumqi", 6)])
def test_the_system_clock_is_read_in_the_county_time_zone_not_the_servers(
    server_in_utc, zone, offset
):
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    now = Clock(zone).now()
    after = datetime.now(UTC).replace(tzinfo=None)
    assert before + timedelta(hours=offset) <= now <= after + timedelta(hours=offset)
    assert now.tzinfo is None
    assert now.microsecond == 0
