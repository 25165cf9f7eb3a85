"""收入监测's methodology line: how many households' income stands on registers, on an imported
annual figure (年度收入) or on nothing, this year and last, counted in SQL and written with
thousands separators."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard.components.income import sources_sentence
from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.db import make_engine
from data_access.income.summary import IncomeSources, YearSources
from tests.independent import ON_RECORD
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
PAGE = next(spec for spec in PAGES if spec.file == "pages/income.py")
OCTOBER = date(2026, 10, 1)


def test_the_sentence_names_both_years_with_thousands_separators():
    sources = IncomeSources(
        this_year=YearSources(registers=23_456, annual=1_204, none=7),
        last_year=YearSources(registers=0, annual=24_667, none=0),
    )
    assert sources_sentence(sources, year=2026) == (
        "收入依据：2026年按收支登记推算 23,456 户、按导入的年度收入 1,204 户、无数据 7 户；"
        "2025年按年度收入 24,667 户、按 12 个月收支登记合计 0 户、未知 0 户"
        "（上年未知的户不计入收入不增反降）。"
    )


@pytest.fixture
def demo_app_env(monkeypatch, demo_sqlite_path: Path, test_config_path: Path) -> Path:
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    return demo_sqlite_path


def test_the_income_page_says_how_many_households_stand_on_what(demo_app_env: Path):
    engine = make_engine(f"sqlite:///{demo_app_env}")
    with engine.connect() as conn:
        # The households on record by the month's end (a later 监测户 is in no figure of it).
        end = {"end": date(2026, 10, 31)}
        households = conn.execute(
            text(f"SELECT count(*) FROM households h WHERE {ON_RECORD}"), end
        ).scalar_one()
        registered = conn.execute(
            text(
                "SELECT count(DISTINCT r.household_id) FROM income_registers r "
                f"JOIN households h ON h.id = r.household_id WHERE {ON_RECORD} "
                "AND r.month BETWEEN :start AND :last"
            ),
            {"start": date(2026, 1, 1), "last": OCTOBER, **end},
        ).scalar_one()
        annual_last_year = conn.execute(
            text(
                "SELECT count(*) FROM income_years y JOIN households h ON h.id = y.household_id "
                f"WHERE y.year = 2025 AND {ON_RECORD}"
            ),
            end,
        ).scalar_one()
    engine.dispose()
    assert households >= 1_000  # the sentence must show a thousands separator
    app = AppTest.from_file(APP, default_timeout=90)
    app.switch_page(str(PAGE.path))
    app = logged_in(app, "leader")
    assert not app.exception
    captions = [caption.value for caption in app.caption]
    (line,) = [caption for caption in captions if "收入依据：" in caption]
    assert line.startswith("本年有收支登记的户按登记推算")
    assert (
        f"2026年按收支登记推算 {registered:,} 户、按导入的年度收入 0 户、"
        f"无数据 {households - registered:,} 户" in line
    )
    assert (
        f"2025年按年度收入 {annual_last_year:,} 户、按 12 个月收支登记合计 "
        f"{households - annual_last_year:,} 户" in line
    )
