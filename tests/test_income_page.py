"""收入监测 (pages/income.py) through AppTest on the demo county: it renders, its headline agrees
with an independent computation, a chosen band narrows the list, and no full name or 身份证号
reaches the page or the Excel export."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from config import load_settings
from dashboard.exports.income import household_table, household_workbook
from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.db import make_engine
from data_access.income.bands import band_labels
from data_access.income.households import HouseholdFilter, household_list
from data_access.scope import Scope, county_scope
from tests.income_reference import reference_incomes
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
PAGE = next(spec for spec in PAGES if spec.file == "pages/income.py")
OCTOBER = date(2026, 10, 1)


@pytest.fixture
def demo_app_env(monkeypatch, demo_sqlite_path: Path, test_config_path: Path) -> Path:
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    return demo_sqlite_path


@pytest.fixture(scope="module")
def personal_data(demo_sqlite_path: Path) -> tuple[set[str], set[str]]:
    """Every household head's full name and 身份证号 in the demo county.

    Names that a cadre also bears are left out: the page names 帮扶干部 in full (their names
    are not personal data), and a cadre may share a name with some household head.
    """
    engine = make_engine(f"sqlite:///{demo_sqlite_path}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT head_name, head_id_number FROM households")).all()
        cadres = set(conn.execute(text("SELECT name FROM cadres")).scalars())
    engine.dispose()
    return {name for name, _ in rows} - cadres, {number for _, number in rows}


def run_page() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=90)
    app.switch_page(str(PAGE.path))
    return logged_in(app, "leader")  # 县领导: personal data masked


def shown_texts(app: AppTest) -> list[str]:
    """Every text the page shows outside its tables (markdown, captions, HTML, titles)."""
    elements = [*app.title, *app.subheader, *app.markdown, *app.caption, *app.get("html")]
    texts = []
    for element in elements:
        value = getattr(element, "value", None)
        if value is None:
            value = getattr(element.proto, "body", "")
        texts.append(str(value))
    return texts


def shown_cells(app: AppTest) -> set[str]:
    return {str(value) for frame in app.dataframe for value in frame.value.to_numpy().ravel()}


def test_the_income_page_renders_with_the_speechs_headline(demo_app_env: Path):
    app = run_page()
    assert not app.exception
    assert app.title[0].value.startswith("收入监测")
    settings = load_settings().income
    reference = reference_incomes(
        make_engine(f"sqlite:///{demo_app_env}"), month=OCTOBER, settings=settings
    )
    per_capita = reference["projected_per_capita"]
    fell, below_line = int(reference["fell"].sum()), int(reference["below_line"].sum())
    below = {t: int((per_capita < t).sum()) for t in settings.alert_thresholds}
    sentence = f"收入不增反降 <b>{fell:,}</b> 户，" + "，".join(
        f"低于 {t:g} 元 <b>{count:,}</b> 户" for t, count in sorted(below.items(), reverse=True)
    )
    page_text = "\n".join(shown_texts(app))
    assert sentence in page_text
    assert f"<b>{below_line:,}</b> 户" in page_text
    assert "推算方法：按上年同期比例推算" in page_text
    assert len(app.get("plotly_chart")) == 2


def test_no_full_name_or_id_number_reaches_the_page(demo_app_env: Path, personal_data):
    names, id_numbers = personal_data
    app = run_page()
    assert not app.exception
    cells = shown_cells(app)
    assert not cells & names
    assert not cells & id_numbers
    page_text = "\n".join(shown_texts(app))
    assert not [number for number in id_numbers if number in page_text]
    # Names of three or more characters cannot be mistaken for parts of place names.
    assert not [name for name in names if len(name) >= 3 and name in page_text]
    assert any(cell.startswith("4527") and "*" in cell for cell in cells)


def test_choosing_a_township_and_band_narrows_the_list_and_shows_its_villages(
    demo_app_env: Path,
):
    app = run_page()
    township = app.selectbox(key="income-township").options[1]
    app.selectbox(key="income-township").select_index(1).run()
    app.selectbox(key="income-band").select_index(5).run()  # 10,000元及以上
    assert not app.exception
    settings = load_settings().income
    reference = reference_incomes(
        make_engine(f"sqlite:///{demo_app_env}"), month=OCTOBER, settings=settings
    )
    township_id = app.selectbox(key="income-township").value
    expected = reference[(reference["township_id"] == township_id) & (reference["band"] == 4)]
    assert any(f"符合条件 **{len(expected):,}** 户" in m.value for m in app.markdown)
    assert any(township in s.value and "各村" in s.value for s in app.subheader)
    listed = app.dataframe[1].value
    assert set(listed["乡镇"]) == {township}
    assert set(listed["收入区间"]) == {"10,000元及以上"}


def test_the_audit_log_names_the_list_filters_in_words(demo_app_env: Path):
    app = run_page()
    township = app.selectbox(key="income-township").options[1]
    app.selectbox(key="income-township").select_index(1).run()
    app.checkbox(key="income-fell").check().run()
    assert not app.exception
    with make_engine(f"sqlite:///{demo_app_env}").connect() as conn:
        detail = (
            conn.execute(
                text(
                    "SELECT detail FROM audit_log WHERE target = '收入监测户名单' ORDER BY id DESC"
                )
            )
            .scalars()
            .first()
        )
    assert "HouseholdFilter" not in detail
    shown = json.loads(detail)["筛选"]
    assert shown["乡镇"] == township
    assert shown["只看收入不增反降"] == "是"


def test_the_list_keeps_only_households_that_fell(demo_app_env: Path):
    app = run_page()
    app.checkbox(key="income-fell").check().run()
    assert not app.exception
    listed = app.dataframe[1].value
    assert len(listed) > 0
    assert (listed["较上年增减"] < 0).all()


def test_the_export_holds_every_listed_household_masked(demo_sqlite_path: Path, personal_data):
    names, id_numbers = personal_data
    settings = load_settings()
    engine = make_engine(f"sqlite:///{demo_sqlite_path}")
    with engine.connect() as conn:
        scope = county_scope(conn=conn)
        frame = household_list(
            conn=conn,
            scope=scope,
            month=OCTOBER,
            settings=settings.income,
            filters=HouseholdFilter(),
            limit=100_000,
        )
    engine.dispose()
    labels = band_labels(settings=settings.income, year=2026)
    content = household_workbook(
        household_table(frame, band_labels=labels),
        title="收入监测名单",
        subtitle="统计月份 2026年10月",
        generated_on=date(2026, 11, 29),
        masked=True,
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = {str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert not cells & names
    assert not cells & id_numbers
    assert sheet["A1"].value == "收入监测名单"
    assert "导出日期 2026-11-29" in sheet["A2"].value
    assert sheet["A3"].value == "乡镇"
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.max_row >= len(frame) + 3


def test_the_export_writes_formula_like_text_as_text():
    frame = pd.DataFrame(
        [
            {
                "household_id": 1,
                "township": '=HYPERLINK("http://x")',
                "village": "+村",
                "head_name": "-张",
                "head_id_number": "@4527",
                "household_type": "脱贫户",
                "members": 1,
                "months": 0,
                "ytd_per_capita": float("nan"),
                "projected_per_capita": float("nan"),
                "last_year_per_capita": 5000.0,
                "change_per_capita": float("nan"),
                "band": -1,
                "cadre": "干部",
                "unit": "单位",
            }
        ]
    )
    content = household_workbook(
        household_table(frame, band_labels={-1: "无数据"}),
        title="t",
        subtitle="s",
        generated_on=date(2026, 11, 29),
        masked=False,
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    row = list(sheet[4])
    assert [cell.data_type for cell in row[:4]] == ["s"] * 4
    assert row[0].value == '=HYPERLINK("http://x")'
    assert row[8].value == "无数据"  # no projection is "no data", not a blank read as zero


def test_personal_data_scope_sees_full_names_in_the_list(demo_sqlite_path: Path, personal_data):
    names, _ = personal_data
    settings = load_settings()
    engine = make_engine(f"sqlite:///{demo_sqlite_path}")
    with engine.connect() as conn:
        scope = county_scope(conn=conn, personal_data=True)
        frame = household_list(
            conn=conn,
            scope=Scope(scope.township_ids, personal_data=True),
            month=OCTOBER,
            settings=settings.income,
            filters=HouseholdFilter(),
            limit=20,
        )
    engine.dispose()
    assert set(frame["head_name"]) <= names
