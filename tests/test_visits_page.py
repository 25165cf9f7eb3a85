"""The 走访覆盖 page (pages/visits.py) in AppTest: it runs, its figures match independent SQL, the
duty selector recolours the lists, and a chosen village shows households with masked names."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.masking import mask_name
from tests.independent import ON_RECORD
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
VISITS_PAGE = next(spec for spec in PAGES if spec.url_path == "visits")
# The default month of the demo county (as of 2026-11-29: the last month that has ended).
MONTH = date(2026, 10, 1)
MONTH_END = date(2026, 10, 31)


@pytest.fixture
def visits_app(monkeypatch, demo_sqlite_path, test_config_path) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = AppTest.from_file(APP, default_timeout=120)
    app.switch_page(str(VISITS_PAGE.path))
    return logged_in(app, "leader")  # 县领导: personal data masked


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def frame_with(app: AppTest, column: str):
    return next(df.value for df in app.dataframe if column in df.value.columns)


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_the_visits_page_shows_county_coverage_matching_independent_sql(visits_app, demo_sqlite):
    assert not visits_app.exception
    assigned = scalar(
        demo_sqlite,
        "SELECT COUNT(DISTINCT household_id) FROM assignments WHERE start_date <= :end "
        "AND (end_date IS NULL OR end_date >= :start)",
        start=MONTH,
        end=MONTH_END,
    )
    visited = scalar(
        demo_sqlite,
        "SELECT COUNT(DISTINCT a.household_id) FROM assignments a JOIN visits v "
        "ON v.household_id = a.household_id AND v.cadre_id = a.cadre_id AND v.role = '帮扶干部' "
        "AND v.visit_date BETWEEN :start AND :end "
        "WHERE a.start_date <= :end AND (a.end_date IS NULL OR a.end_date >= :start)",
        start=MONTH,
        end=MONTH_END,
    )
    assert metric(visits_app, "帮扶干部·本月") == f"{visited / assigned * 100:.1f}%"
    no_record = scalar(
        demo_sqlite,
        "SELECT COUNT(*) FROM villages v WHERE NOT EXISTS (SELECT 1 FROM meetings m "
        "WHERE m.village_id = v.id AND m.level = '村' AND m.month = :month AND m.has_record)",
        month=MONTH,
    )
    assert metric(visits_app, "村会议无记录") == f"{no_record} 个"
    assert len(visits_app.get("download_button")) == 5


def test_the_duty_selector_ranks_villages_by_that_duty(visits_app, demo_sqlite):
    visits_app.radio(key="visit-duty").set_value("grid").run()
    assert not visits_app.exception
    lowest = frame_with(visits_app, "coverage")
    village = lowest.iloc[0]
    households, grid = (
        scalar(
            demo_sqlite,
            "SELECT COUNT(*) FROM households h JOIN villages v ON v.id = h.village_id "
            f"WHERE v.name = :village AND {ON_RECORD} {extra}",
            village=village["village"],
            start=MONTH,
            end=MONTH_END,
        )
        for extra in (
            "",
            "AND EXISTS (SELECT 1 FROM visits x JOIN cadres c ON c.id = x.cadre_id "
            "WHERE x.household_id = h.id AND x.role = '网格员' AND c.village_id = h.village_id "
            "AND x.visit_date BETWEEN :start AND :end)",
        )
    )
    assert village["coverage"] == pytest.approx(grid / households * 100)
    assert lowest["coverage"].is_monotonic_increasing


def test_choosing_a_village_lists_its_households_without_full_names(visits_app, demo_sqlite):
    with demo_sqlite.connect() as conn:
        village_id = conn.execute(text("SELECT MIN(id) FROM villages")).scalar_one()
        heads = dict(
            conn.execute(
                text("SELECT code, head_name FROM households WHERE village_id = :v"),
                {"v": village_id},
            ).all()
        )
    visits_app.selectbox(key="visit-village").set_value(village_id).run()
    assert not visits_app.exception
    households = frame_with(visits_app, "head")
    assert set(households["code"]) == set(heads)
    for code, shown in zip(households["code"], households["head"], strict=True):
        assert shown == mask_name(heads[code])
        assert shown != heads[code]
    cadres = frame_with(visits_app, "visited_month")
    assert "帮扶干部" in set(cadres["role"])
