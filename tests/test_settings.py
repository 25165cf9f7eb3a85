"""The settings loader: the shipped file is valid and documented; bad values name their key."""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

from config.settings import (
    DEFAULT_CONFIG_PATH,
    PROJECT_ROOT,
    SettingsError,
    parse_settings,
    with_fixed_clock,
)


def shipped() -> dict:
    with DEFAULT_CONFIG_PATH.open("rb") as handle:
        return tomllib.load(handle)


def test_shipped_settings_are_valid():
    settings = parse_settings(shipped(), DEFAULT_CONFIG_PATH)
    assert settings.income.line_for(2022) == 6800
    assert settings.rankings.summon_limit == 3
    assert settings.auth.deployment == "demo"
    assert not settings.auth.production


def test_every_key_in_the_settings_file_has_a_comment():
    lines = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").splitlines()
    undocumented = [
        line.split("=")[0].strip()
        for number, line in enumerate(lines)
        if re.match(r"^\s*[A-Za-z_][\w.]*\s*=", line)
        and "#" not in line
        and not (number > 0 and lines[number - 1].lstrip().startswith("#"))
    ]
    assert undocumented == []


def test_the_monitoring_line_is_placed_among_the_band_edges():
    settings = parse_settings(shipped(), DEFAULT_CONFIG_PATH)
    assert settings.income.band_edges_for(2022) == (4500, 6800, 7500, 10000)


def test_a_year_without_a_monitoring_line_is_reported_by_key():
    settings = parse_settings(shipped(), DEFAULT_CONFIG_PATH)
    with pytest.raises(SettingsError, match=r"income\.monitoring_line.*1999"):
        settings.income.line_for(1999)


def _with(section: str, key: str, value) -> dict:
    data = shipped()
    target = data
    for part in section.split("."):
        target = target[part]
    if value is _MISSING:
        del target[key]
    else:
        target[key] = value
    return data


_MISSING = object()


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("income", "band_edges", [7500, 4500], "income.band_edges"),
        ("income", "band_edges", [4500, 6800], "income.band_edges"),
        ("income", "projection_method", "guess", "income.projection_method"),
        ("income", "projection_min_months", 0, "income.projection_min_months"),
        ("income", "monitoring_line", {"2022": -1}, "income.monitoring_line.2022"),
        ("rankings", "list_size", 0, "rankings.list_size"),
        ("rankings", "yellow_at", 95.0, "rankings.yellow_at"),
        ("rankings", "mode", "podium", "rankings.mode"),
        ("rankings.weights", "visits", "high", "rankings.weights.visits"),
        ("rankings.targets", "income_line", 1.5, "rankings.targets.income_line"),
        ("rectification", "warning_days", 3, "rectification.warning_days"),
        ("county", "division_code", "45273", "county.division_code"),
        ("clock", "reporting_date", "2026-13-01", "clock.reporting_date"),
        ("clock", "reporting_date", _MISSING, "clock.reporting_date"),
        ("clock", "wall_clock", "2026-11-29 25:00", "clock.wall_clock"),
        ("clock", "wall_clock", "2026-11-29T20:00+08:00", "clock.wall_clock"),
        ("clock", "time_zone", "Asia/Beijing", "clock.time_zone"),
        ("clock", "time_zone", "", "clock.time_zone"),
        ("visits", "village_tour_roles", [], "visits.village_tour_roles"),
        ("visits", "village_tour_roles", ["第一书纪"], "visits.village_tour_roles"),
        ("visits", "township_tour_roles", ["乡镇长", "镇长"], "visits.township_tour_roles"),
        ("registers", "grace_days", _MISSING, "registers.grace_days"),
        ("inspection", "team_size", 0, "inspection.team_size"),
        ("inspection", "households_per_village", "20", "inspection.households_per_village"),
        ("inspection", "exclusion_days", -1, "inspection.exclusion_days"),
        ("inspection", "lifted_income_band", 0, "inspection.lifted_income_band"),
        (
            "inspection",
            "rectification_deadline_days",
            _MISSING,
            "inspection.rectification_deadline_days",
        ),
        ("inspection.weights", "not_inspected", -0.1, "inspection.weights.not_inspected"),
        ("inspection.weights", "suspects", _MISSING, "inspection.weights.suspects"),
        ("meeting", "panels", ["overview", "weather"], "meeting.panels"),
        ("meeting", "seconds_per_panel", 2, "meeting.seconds_per_panel"),
        ("meeting", "refresh_seconds", 600, "meeting.refresh_seconds"),
        ("meeting", "refresh_seconds", _MISSING, "meeting.refresh_seconds"),
        ("meeting", "chart_rows", 2, "meeting.chart_rows"),
        ("auth", "deployment", "staging", "auth.deployment"),
        ("auth", "idle_timeout_minutes", 0, "auth.idle_timeout_minutes"),
        ("auth", "max_failed_logins", "5", "auth.max_failed_logins"),
        ("auth", "lockout_minutes", _MISSING, "auth.lockout_minutes"),
        ("auth", "session_days", 0, "auth.session_days"),
        # The wall's idle limit may not outlast the session (7 days = 10,080 minutes).
        ("auth", "display_idle_minutes", 10_081, "auth.display_idle_minutes"),
        ("auth", "display_idle_minutes", _MISSING, "auth.display_idle_minutes"),
    ],
)
def test_an_invalid_value_stops_with_a_message_naming_the_key(section, key, value, expected):
    with pytest.raises(SettingsError, match=re.escape(expected)):
        parse_settings(_with(section, key, value), DEFAULT_CONFIG_PATH)


@pytest.mark.parametrize(
    ("section", "key", "expected"),
    [
        ("registers", "grace_dayz", "registers.grace_dayz（是否应为 registers.grace_days？）"),
        ("", "colour", "colour"),
        ("rankings.weights", "visit", "rankings.weights.visit"),
    ],
)
def test_an_unknown_key_stops_start_up_naming_it(section, key, expected):
    data = shipped()
    target = data
    for part in filter(None, section.split(".")):
        target = target[part]
    target[key] = 1
    with pytest.raises(SettingsError, match=re.escape(f"未知的配置项 {expected}")):
        parse_settings(data, DEFAULT_CONFIG_PATH)


def test_database_url_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB_URL", "postgresql+psycopg://u@db:5432/county")
    settings = parse_settings(shipped(), DEFAULT_CONFIG_PATH)
    assert settings.database_url == "postgresql+psycopg://u@db:5432/county"


def test_a_relative_sqlite_path_is_anchored_at_the_project_root(monkeypatch):
    monkeypatch.delenv("DASHBOARD_DB_URL", raising=False)
    settings = parse_settings(shipped(), DEFAULT_CONFIG_PATH)
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'data' / 'dashboard.db'}"


def test_the_shipped_clock_reads_the_system_clock_in_the_county_time_zone():
    clock = parse_settings(shipped(), DEFAULT_CONFIG_PATH).clock
    assert (clock.time_zone, clock.fixed_reporting_date, clock.fixed) == (
        "Asia/Shanghai",
        None,
        False,
    )


def test_a_configured_reporting_date_fixes_the_reporting_date_only():
    clock = parse_settings(
        _with("clock", "reporting_date", "2026-11-29"), DEFAULT_CONFIG_PATH
    ).clock
    assert clock.reporting_date() == date(2026, 11, 29)
    assert not clock.fixed


def test_a_configured_wall_clock_fixes_now_and_with_it_the_reporting_date():
    data = _with("clock", "wall_clock", "2027-01-05 08:15:00")
    clock = parse_settings(data, DEFAULT_CONFIG_PATH).clock
    assert clock.now() == datetime(2027, 1, 5, 8, 15)
    assert clock.reporting_date() == date(2027, 1, 5)


def test_production_refuses_a_fixed_wall_clock():
    data = _with("clock", "wall_clock", "2026-11-29 20:00:00")
    data["auth"]["deployment"] = "production"
    with pytest.raises(SettingsError, match=r"clock\.wall_clock.*生产模式"):
        parse_settings(data, DEFAULT_CONFIG_PATH)


def test_the_clock_can_be_fixed_in_a_settings_text_for_tests_and_rehearsals():
    text = with_fixed_clock(
        DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"),
        reporting_date=date(2026, 11, 29),
        wall_clock=datetime(2027, 11, 29, 9, 30),
    )
    clock = parse_settings(tomllib.loads(text), DEFAULT_CONFIG_PATH).clock
    assert (clock.reporting_date(), clock.now()) == (
        date(2026, 11, 29),
        datetime(2027, 11, 29, 9, 30),
    )
    with pytest.raises(SettingsError, match="reporting_date"):
        with_fixed_clock(text, reporting_date=date(2026, 11, 29))


def test_a_broken_file_is_reported_with_its_path(tmp_path: Path):
    from config.settings import read_settings

    broken = tmp_path / "settings.toml"
    broken.write_text("[county\nname = 1", encoding="utf-8")
    with pytest.raises(SettingsError, match="格式错误"):
        read_settings(broken)


def test_inspection_weights_that_add_up_to_nothing_are_refused():
    data = shipped()
    data["inspection"]["weights"] = dict.fromkeys(data["inspection"]["weights"], 0)
    with pytest.raises(SettingsError, match=r"inspection\.weights"):
        parse_settings(data, DEFAULT_CONFIG_PATH)


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("warnings.income_drop", "share", 1.5, "warnings.income_drop.share"),
        ("warnings.cleared_too_soon", "months", 0, "warnings.cleared_too_soon.months"),
        ("warnings.no_visit", "severity", "urgent", "warnings.no_visit.severity"),
        ("warnings.no_visit", "enabled", "yes", "warnings.no_visit.enabled"),
        ("warnings", "verify_within_days", {"high": 7}, "warnings.verify_within_days.medium"),
        ("warnings", "income_dorp", {"enabled": True}, "warnings.income_dorp"),
    ],
)
def test_a_wrong_warning_rule_stops_start_up_naming_the_key(section, key, value, expected):
    with pytest.raises(SettingsError, match=re.escape(expected)):
        parse_settings(_with(section, key, value), DEFAULT_CONFIG_PATH)


def test_a_rule_switched_off_is_not_checked_and_every_rule_has_its_sql():
    from data_access.warnings.rules import RULES

    settings = parse_settings(shipped(), DEFAULT_CONFIG_PATH)
    assert [rule.id for rule in settings.warnings.rules] == list(RULES)
    off = parse_settings(_with("warnings.no_visit", "enabled", False), DEFAULT_CONFIG_PATH)
    assert "no_visit" not in [rule.id for rule in off.warnings.rules]
