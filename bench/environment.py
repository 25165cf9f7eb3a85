"""The settings file the benchmark runs with: the project's own, with the clock fixed."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from config.settings import with_fixed_clock

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_ROOT / "config" / "settings.toml"
# The wall clock of a benchmark run: the evening of the data's as-of day, after its extraction.
WALL_CLOCK_TIME = time(20, 0)


def write_settings(path: Path, *, today: date) -> Path:
    """Copy config/settings.toml to ``path`` with the reporting date set to ``today`` and the
    wall clock to that day's evening, so countdowns, the default month and every record time
    match the data instead of the day the benchmark runs. Returns ``path``.

    Raises SettingsError when the template has no unset ``[clock]`` readings to fix.
    """
    text = with_fixed_clock(
        SETTINGS_FILE.read_text(encoding="utf-8"),
        reporting_date=today,
        wall_clock=datetime.combine(today, WALL_CLOCK_TIME),
    )
    path.write_text(text, encoding="utf-8")
    return path
