"""Village risk: SQL components against independent counts, and the pure scoring."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
from sqlalchemy import text, update

from config.settings import RISK_COMPONENTS
from data_access.income.projection import household_income_query
from data_access.indicators import Level, visit_coverage
from data_access.models import Household
from data_access.periods import next_month
from data_access.risk import (
    COMPONENT_LABELS,
    household_weight,
    risk_formula,
    risk_reasons,
    risk_scores,
    village_pending_warnings,
    village_risk_components,
)
from data_access.scope import county_scope
from tests.builders import add_household, add_register, add_township, add_village
from tests.clock import AS_OF
from tests.independent import ON_RECORD, counts_by_group, nonzero_column

MONTH = date(2026, 10, 1)
WINDOW = 90


@pytest.fixture
def components(demo_engine, settings) -> pd.DataFrame:
    with demo_engine.connect() as conn:
        return village_risk_components(
            conn=conn,
            scope=county_scope(conn),
            month=MONTH,
            today=AS_OF,
            settings=settings,
            circular_window_days=WINDOW,
        )


def test_every_village_has_one_row(demo_engine, components):
    assert sorted(components["village_id"]) == sorted(
        counts_by_group(demo_engine, "SELECT id, 1 FROM villages")
    )


def test_households_and_timely_registers_match_independent_sql(demo_engine, components):
    end = next_month(MONTH) - timedelta(days=1)
    assert nonzero_column(components, "village_id", "households") == counts_by_group(
        demo_engine,
        f"SELECT village_id, COUNT(*) FROM households h WHERE {ON_RECORD} GROUP BY village_id",
        end=end,
    )
    deadline = datetime.combine(next_month(MONTH), time.min)
    expected = counts_by_group(
        demo_engine,
        "SELECT h.village_id, COUNT(*) FROM households h JOIN income_registers r "
        "ON r.household_id = h.id AND r.month = :month AND r.entered_at < :deadline "
        f"WHERE {ON_RECORD} GROUP BY h.village_id",
        month=MONTH,
        deadline=deadline,
        end=end,
    )
    assert nonzero_column(components, "village_id", "registered") == expected


def test_overdue_items_match_independent_sql(demo_engine, components):
    expected = counts_by_group(
        demo_engine,
        "SELECT village_id, COUNT(*) FROM rectification_items WHERE village_id IS NOT NULL "
        "AND found_on <= :today AND deadline < :today "
        "AND (closed_on IS NULL OR closed_on > :today) GROUP BY village_id",
        today=AS_OF,
    )
    assert expected, "the demo county should have overdue items"
    assert nonzero_column(components, "village_id", "overdue") == expected


def test_recent_black_circulars_of_the_township_match_independent_sql(demo_engine, components):
    expected = counts_by_group(
        demo_engine,
        "SELECT v.id, COUNT(*) FROM villages v JOIN circulars c ON c.township_id = v.township_id "
        "WHERE c.color = '黑榜' AND c.target_kind = '乡镇' "
        "AND c.issued_on BETWEEN :since AND :today GROUP BY v.id",
        since=AS_OF - timedelta(days=WINDOW - 1),
        today=AS_OF,
    )
    assert nonzero_column(components, "village_id", "black_circulars") == expected


def test_last_inspected_dates_are_those_of_the_villages_table(demo_engine, components):
    expected = counts_by_group(
        demo_engine, "SELECT id, 1 FROM villages WHERE last_inspected_on IS NOT NULL"
    )
    assert set(components.loc[components["last_inspected_on"].notna(), "village_id"]) == set(
        expected
    )


def test_income_counts_match_the_household_projections(demo_engine, components, settings):
    line = settings.income.line_for(MONTH.year)
    with demo_engine.connect() as conn:
        query = household_income_query(
            scope=county_scope(conn), month=MONTH, settings=settings.income
        )
        rows = pd.DataFrame(conn.execute(query).mappings().all())
    per_capita = rows["projected_per_capita"].astype(float)
    below = rows[per_capita < line].groupby("village_id").size()
    fell = (
        rows[per_capita < rows["last_year_per_capita"].astype(float)].groupby("village_id").size()
    )
    assert nonzero_column(components, "village_id", "below_line") == {
        int(k): int(v) for k, v in below.items()
    }
    assert nonzero_column(components, "village_id", "fell") == {
        int(k): int(v) for k, v in fell.items()
    }


def test_village_visit_coverage_adds_up_to_the_township_figures(demo_engine, components):
    with demo_engine.connect() as conn:
        townships = visit_coverage(
            conn=conn,
            scope=county_scope(conn),
            month=MONTH,
            visits_per_month=1,
            level=Level.TOWNSHIP,
        )
    summed = components.groupby("township_id")[["assigned", "visited"]].sum()
    for row in townships.itertuples():
        assert (
            summed.loc[row.township_id, "assigned"],
            summed.loc[row.township_id, "visited"],
        ) == (
            row.assigned,
            row.visited,
        )


def test_data_check_suspects_count_each_household_once(fresh_engine, settings):
    with fresh_engine.begin() as conn:
        add_township(conn, 1)
        add_village(conn, 10, township_id=1)
        for household in range(1, 7):
            add_household(conn, household, village_id=10, township_id=1, household_type="监测户")
        flags = {
            1: {"public_job": True},  # no wage at all: suspect
            2: {"public_job": True},  # wages registered: fine
            3: {"risk_status": "风险已消除", "risk_cleared_by": "帮扶消除"},  # low income: suspect
            4: {"risk_status": "风险已消除", "risk_cleared_by": "帮扶消除"},  # high income: fine
            5: {"public_job": True, "risk_status": "风险已消除", "risk_cleared_by": "帮扶消除"},
            6: {"risk_status": "风险已消除", "risk_cleared_by": "自然消除"},  # low, natural: fine
        }
        for household, values in flags.items():
            conn.execute(update(Household).where(Household.id == household).values(**values))
        for month in range(1, 11):
            day = date(2026, month, 1)
            add_register(conn, 1, day, transfer=100)
            add_register(conn, 2, day, wage=3000)
            add_register(conn, 3, day, transfer=100)
            add_register(conn, 4, day, wage=3000)
            add_register(conn, 5, day, transfer=100)
            add_register(conn, 6, day, transfer=100)
    with fresh_engine.connect() as conn:
        table = village_risk_components(
            conn=conn,
            scope=county_scope(conn),
            month=MONTH,
            today=AS_OF,
            settings=settings,
            circular_window_days=WINDOW,
        )
    row = table.set_index("village_id").loc[10]
    assert row["suspects"] == 3
    assert row["below_line"] == 4


def _frame(**overrides) -> pd.DataFrame:
    base = {
        "village_id": [1, 2],
        "township_id": [1, 1],
        "township": ["甲镇", "甲镇"],
        "village": ["一村", "二村"],
        "last_inspected_on": [AS_OF - timedelta(days=1), None],
        "households": [100, 100],
        "registered": [100, 50],
        "assigned": [100, 100],
        "visited": [100, 80],
        "income_known": [100, 100],
        "below_line": [0, 4],
        "fell": [0, 10],
        "suspects": [0, 1],
        "overdue": [0, 3],
        "black_circulars": [0, 2],
        "warnings": [0, 5],
    }
    return pd.DataFrame(base | overrides)


def test_components_are_between_zero_and_one_and_the_weak_village_is_first(settings):
    scored = risk_scores(_frame(), today=AS_OF, settings=settings.inspection)
    components = scored[[f"c_{key}" for key in RISK_COMPONENTS]]
    assert ((components >= 0) & (components <= 1)).all().all()
    assert scored["village_id"].tolist() == [2, 1]
    weak = scored.iloc[0]
    assert weak["c_visits"] == pytest.approx(0.2)
    assert weak["c_registers"] == pytest.approx(0.5)
    assert weak["c_not_inspected"] == 1.0
    assert weak["c_overdue"] == 1.0


def test_the_score_is_the_weighted_mean_of_the_components(settings):
    rules = settings.inspection
    scored = risk_scores(_frame(), today=AS_OF, settings=rules)
    row = scored.iloc[0]
    expected = sum(rules.weights[k] * row[f"c_{k}"] for k in RISK_COMPONENTS) / sum(
        rules.weights.values()
    )
    assert row["risk"] == pytest.approx(expected)


def test_a_village_without_problems_inspected_yesterday_scores_almost_nothing(settings):
    scored = risk_scores(_frame(), today=AS_OF, settings=settings.inspection)
    clean = scored.set_index("village_id").loc[1]
    assert clean["risk"] < 0.01
    assert clean["c_not_inspected"] == pytest.approx(1 / settings.inspection.inspection_full_days)


def test_the_time_since_inspection_is_capped_at_one(settings):
    frame = _frame(last_inspected_on=[AS_OF - timedelta(days=2000), None])
    scored = risk_scores(frame, today=AS_OF, settings=settings.inspection)
    assert scored["c_not_inspected"].tolist() == [1.0, 1.0]


def test_relative_components_are_zero_when_no_village_has_any(settings):
    frame = _frame(below_line=[0, 0], overdue=[0, 0])
    scored = risk_scores(frame, today=AS_OF, settings=settings.inspection)
    assert scored["c_below_line"].tolist() == [0.0, 0.0]
    assert scored["c_overdue"].tolist() == [0.0, 0.0]


def test_the_reasons_name_the_largest_contributions_in_words(settings):
    rules = settings.inspection
    scored = risk_scores(_frame(), today=AS_OF, settings=rules)
    reasons = risk_reasons(scored.iloc[0], weights=rules.weights, circular_window_days=WINDOW)
    assert "从未暗访" in reasons
    assert "3项整改逾期" in reasons
    clean = scored.iloc[1].copy()
    for key in RISK_COMPONENTS:
        clean[f"c_{key}"] = 0.0
    assert risk_reasons(clean, weights=rules.weights, circular_window_days=WINDOW) == "无明显风险"


def test_household_weights_add_one_per_warning_sign():
    assert household_weight(below_line=False, fell=False, at_risk=False) == 1.0
    assert household_weight(below_line=True, fell=True, at_risk=True) == 4.0


def test_the_formula_lists_every_component_with_its_share_of_the_weight(settings):
    rows = risk_formula(settings.inspection)
    assert [label for label, _ in rows] == [COMPONENT_LABELS[k] for k in RISK_COMPONENTS]
    assert all("权重" in text for _, text in rows)


def test_pending_warnings_raise_a_village_s_risk_and_name_themselves(settings):
    scored = risk_scores(_frame(), today=AS_OF, settings=settings.inspection)
    weak = scored.iloc[0]
    assert weak["c_warnings"] == 1.0
    assert scored.iloc[1]["c_warnings"] == 0.0
    weights = {key: (1.0 if key == "warnings" else 0.0) for key in settings.inspection.weights}
    assert risk_reasons(weak, weights=weights, circular_window_days=90) == "5条预警待核实"


def test_the_village_counts_only_its_pending_warnings(demo_engine):
    with demo_engine.connect() as conn:
        counted = village_pending_warnings(conn=conn, scope=county_scope(conn=conn))
        expected = dict(
            conn.execute(
                text(
                    "SELECT village_id, COUNT(*) FROM household_warnings "
                    "WHERE status = '待核实' AND gone_on IS NULL GROUP BY village_id"
                )
            ).all()
        )
    assert dict(zip(counted["village_id"], counted["warnings"], strict=True)) == expected
    assert sum(expected.values()) > 0
