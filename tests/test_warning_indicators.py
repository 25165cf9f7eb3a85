"""The 红黑榜's 预警按期核实率 and 纳入及时率: counted on a hand-made county on SQLite and
PostgreSQL, at the day boundaries, and weighed only when the office gives them a weight."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine, insert, update

from data_access.indicators import Level, entry_timeliness, warning_timeliness
from data_access.models import AssistingUnit, Cadre, Household, HouseholdWarning, WarningStatus
from data_access.rankings import INDICATOR_BY_KEY, methodology_rows, ranking, weighed_indicators
from data_access.scope import Scope
from tests.builders import add_cadre, add_household, add_township, add_village, assign
from tests.test_access import BY_PATH, open_as

MONTH = date(2026, 11, 1)
EVERYWHERE = Scope(frozenset({1, 2}), personal_data=False, whole_county=True)
HIGH = "below_line_margin"  # severity high: 7 days to verify
MEDIUM = "large_expense"  # severity medium: 15 days


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request) -> Engine:
    return request.getfixturevalue(
        "fresh_engine" if request.param == "sqlite" else "fresh_postgres"
    )


def _warning(conn, number: int, *, rule: str, township: int, raised: date, **values) -> None:
    conn.execute(
        insert(HouseholdWarning),
        {
            "id": number,
            "household_id": 100 + township,
            "rule_id": rule,
            "township_id": township,
            "village_id": township * 10,
            "helper_id": township,
            "first_raised_on": raised,
            "observed": {},
            "status": values.pop("status", WarningStatus.PENDING.value),
            "version": 1,
            **values,
        },
    )


def _county(conn) -> None:
    """Townships 1 and 2, one village each, one household each (101, 102) with a helper of
    unit 1 and 2."""
    conn.execute(
        insert(AssistingUnit),
        [{"id": 1, "name": "县甲局", "kind": "县直"}, {"id": 2, "name": "县乙局", "kind": "县直"}],
    )
    for township in (1, 2):
        add_township(conn, township)
        add_village(conn, township * 10, township_id=township)
        add_cadre(conn, township, township_id=township)
        conn.execute(update(Cadre).where(Cadre.id == township).values(unit_id=township))
        add_household(conn, 100 + township, village_id=township * 10, township_id=township)
        assign(conn, township, 100 + township, date(2025, 1, 1))


@pytest.fixture
def warnings_county(empty) -> Engine:
    verified = WarningStatus.NO_RISK.value
    with empty.begin() as conn:
        _county(conn)
        raised = date(2026, 11, 10)  # a high warning's last day: 11-17
        # Due: verified on time, verified a day late, never verified, gone after its deadline.
        _warning(conn, 1, rule=HIGH, township=1, raised=raised, status=verified,
                 verified_on=date(2026, 11, 17))  # fmt: skip
        _warning(conn, 2, rule=HIGH, township=1, raised=raised, status=verified,
                 verified_on=date(2026, 11, 18))  # fmt: skip
        _warning(conn, 3, rule=HIGH, township=1, raised=raised)
        _warning(conn, 5, rule=HIGH, township=1, raised=raised, gone_on=date(2026, 11, 20))
        # Not due: gone unverified by its last day (no visit needed), due after the month,
        # due last year.
        _warning(conn, 4, rule=HIGH, township=1, raised=raised, gone_on=date(2026, 11, 17))
        _warning(conn, 6, rule=HIGH, township=1, raised=date(2026, 11, 24))
        _warning(conn, 8, rule=HIGH, township=1, raised=date(2025, 12, 20), status=verified,
                 verified_on=date(2025, 12, 21))  # fmt: skip
        # Due on the month's last day, verified that day.
        _warning(conn, 7, rule=HIGH, township=1, raised=date(2026, 11, 23), status=verified,
                 verified_on=date(2026, 11, 30))  # fmt: skip
        # Township 2: a medium warning (15 days), verified on its last day.
        _warning(conn, 9, rule=MEDIUM, township=2, raised=date(2026, 11, 1), status=verified,
                 verified_on=date(2026, 11, 16))  # fmt: skip
    return empty


def _counts(engine, settings, level, **kwargs):
    with engine.connect() as conn:
        frame = warning_timeliness(
            conn=conn, scope=EVERYWHERE, month=MONTH, settings=settings.warnings, level=level
        )
    return {row[0]: (row[1], row[2]) for row in frame.itertuples(index=False)}


def test_warnings_due_this_year_count_those_verified_by_their_last_day(warnings_county, settings):
    expected = {1: (5, 2), 2: (1, 1)}  # township: (due, verified on time)
    assert _counts(warnings_county, settings, Level.TOWNSHIP) == expected
    assert _counts(warnings_county, settings, Level.VILLAGE) == {10: (5, 2), 20: (1, 1)}
    assert _counts(warnings_county, settings, Level.UNIT) == expected


def test_a_longer_allowance_moves_the_deadline(warnings_county, settings):
    longer = replace(
        settings,
        warnings=replace(
            settings.warnings,
            verify_within_days={**settings.warnings.verify_within_days, "high": 8},
        ),
    )
    # The high warnings raised 11-10 are due 11-18: 2 is now on time; 4 (gone 11-17) still
    # needed no visit; 7 (raised 11-23) falls due in December.
    assert _counts(warnings_county, longer, Level.TOWNSHIP)[1] == (4, 2)


@pytest.fixture
def entry_county(empty) -> Engine:
    with empty.begin() as conn:
        _county(conn)
        entries = {
            # household: (纳入监测日期, first 应纳未纳 warning or None)
            201: (date(2026, 10, 20), date(2026, 9, 1)),  # 49 days: late
            202: (date(2026, 9, 25), date(2026, 9, 1)),  # 24 days
            203: (date(2026, 10, 31), date(2026, 10, 1)),  # 30 days exactly: on time
            204: (date(2026, 5, 1), None),  # no warning before it: on time
            205: (date(2025, 6, 1), None),  # last year
            206: (date(2026, 12, 10), date(2026, 9, 1)),  # after the month
        }
        for household, (since, warned) in entries.items():
            add_household(conn, household, village_id=10, township_id=1)
            conn.execute(
                update(Household)
                .where(Household.id == household)
                .values(household_type="监测户", risk_status="风险未消除", monitored_since=since)
            )
            if warned is not None:
                conn.execute(
                    insert(HouseholdWarning),
                    {
                        "household_id": household,
                        "rule_id": HIGH,
                        "township_id": 1,
                        "village_id": 10,
                        "first_raised_on": warned,
                        "observed": {},
                        "status": WarningStatus.MONITORED.value,
                        "version": 1,
                    },
                )
    return empty


def test_entry_is_timely_within_the_late_entry_rules_days(entry_county, settings):
    assert settings.warnings.entry_within_days == 30
    with entry_county.connect() as conn:
        frame = entry_timeliness(
            conn=conn, scope=EVERYWHERE, month=MONTH, within_days=30, level=Level.TOWNSHIP
        )
        stricter = entry_timeliness(
            conn=conn, scope=EVERYWHERE, month=MONTH, within_days=29, level=Level.TOWNSHIP
        )
    assert frame.to_dict("records") == [{"township_id": 1, "entered": 4, "entered_on_time": 3}]
    assert stricter["entered_on_time"].tolist() == [2]


def test_an_indicator_of_weight_zero_is_shown_but_moves_no_score(demo_sqlite, settings):
    assert settings.rankings.weights["warnings"] == 0 == settings.rankings.weights["entry"]
    assert INDICATOR_BY_KEY["warnings"] not in weighed_indicators(settings)
    with demo_sqlite.connect() as conn:
        plain = ranking(
            conn=conn, scope=EVERYWHERE, month=MONTH, settings=settings, level=Level.TOWNSHIP
        )
        weights = {**settings.rankings.weights, "warnings": 0.3}
        weighed = replace(settings, rankings=replace(settings.rankings, weights=weights))
        heavier = ranking(
            conn=conn, scope=EVERYWHERE, month=MONTH, settings=weighed, level=Level.TOWNSHIP
        )
        before = ranking(
            conn=conn,
            scope=EVERYWHERE,
            month=date(2025, 12, 1),
            settings=weighed,
            level=Level.TOWNSHIP,
        )
    # The demo county verified most of its due warnings, not all: the rate is shown.
    assert plain["warnings_den"].sum() > 0
    assert 0 < plain["warnings_num"].sum() < plain["warnings_den"].sum()
    assert (plain["warnings_points"] == 0).all()
    assert not any("warnings" in missing for missing in plain["incomplete"])
    by_name = heavier.set_index("name")
    assert (by_name.loc[plain["name"], "warnings_points"] > 0).any()
    assert (
        not by_name.loc[plain["name"], "composite"]
        .reset_index(drop=True)
        .equals(plain["composite"])
    )
    # The demo county's warnings begin this year: weighed, last year's indicator is a gap.
    assert all("warnings" in missing for missing in before["incomplete"])
    method = dict(methodology_rows(settings, MONTH))
    assert method["预警按期核实率"].startswith("权重 0，仅展示")
    assert "30 天内" in method["纳入及时率"]


def test_the_rankings_page_shows_the_unscored_rates_and_leaves_them_off_the_chart(
    monkeypatch, demo_sqlite_path, test_config_path
):
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = open_as("leader", BY_PATH["rankings"])
    assert not app.exception
    table = app.dataframe[0]
    assert table.value["warnings_rate"].notna().any()
    labels = {key: column.get("label") for key, column in json.loads(table.proto.columns).items()}
    assert labels["warnings_rate"] == "预警按期核实率（不计分）"
    assert labels["registers_rate"] == "收支登记完整率"
    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    legend = {trace.get("name") for trace in chart["data"]}
    assert "收支登记完整率" in legend
    assert not legend & {"预警按期核实率", "纳入及时率"}
