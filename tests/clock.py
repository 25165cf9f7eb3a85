"""The test suite's frozen clock: both readings are fixed in every test, so a run on any day gives
the same result.

The reporting date is the demo's as-of date; the wall clock is that day's evening, after the
demo's extraction at 18:00. ``A_YEAR_LATER`` moves the wall clock a year on with the reporting
date left where it is: an office that reports as of a past day still sees what happens today.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from config import Clock, Settings, load_settings
from config.settings import DEFAULT_CONFIG_PATH, with_fixed_clock

AS_OF = date(2026, 11, 29)
WALL_CLOCK = datetime(2026, 11, 29, 20, 0)
A_YEAR_LATER = datetime(2027, 11, 29, 9, 30)


def frozen_settings(wall_clock: datetime = WALL_CLOCK) -> Settings:
    """The settings in force with the reporting date at AS_OF and the wall clock at
    ``wall_clock``."""
    settings = load_settings()
    clock = Clock(settings.clock.time_zone, fixed_reporting_date=AS_OF, fixed_now=wall_clock)
    return replace(settings, clock=clock)


def write_test_config(path: Path, *, wall_clock: datetime = WALL_CLOCK) -> Path:
    """The shipped settings file with the reporting date at AS_OF and the wall clock at
    ``wall_clock``, written to ``path``."""
    shipped = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    path.write_text(
        with_fixed_clock(shipped, reporting_date=AS_OF, wall_clock=wall_clock), encoding="utf-8"
    )
    return path


def as_production(text: str) -> str:
    """A test settings file in production mode. Production refuses a fixed wall clock, so it
    runs on the system clock; the reporting date stays fixed, and with it every figure."""
    assert text.count('deployment = "demo"') == 1
    text = text.replace('deployment = "demo"', 'deployment = "production"')
    fixed = [line for line in text.splitlines() if line.startswith("wall_clock = ")]
    assert len(fixed) == 1
    return text.replace(fixed[0], 'wall_clock = ""')
