"""The briefing pack: the summary paragraph and the workbook hold the figures of the views."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from dashboard.exports.briefing import (
    BriefingInputs,
    briefing_workbook,
    headline_rows,
    summary_paragraph,
)
from dashboard.navigation import PROJECT_ROOT
from data_access.income.bands import band_counts, band_labels, band_table
from data_access.overview import briefing, townships_in_scope
from data_access.rankings import Level, ranking
from data_access.rectification import overdue_items
from data_access.scope import county_scope
from tests.clock import AS_OF
from tests.login import logged_in

MONTH = date(2026, 10, 1)


@pytest.fixture(scope="module")
def pack(demo_sqlite, settings) -> BriefingInputs:
    with demo_sqlite.connect() as conn:
        scope = county_scope(conn=conn)
        brief = briefing(conn=conn, scope=scope, month=MONTH, today=AS_OF, settings=settings)
        return BriefingInputs(
            brief=brief,
            townships=ranking(
                conn=conn, scope=scope, month=MONTH, settings=settings, level=Level.TOWNSHIP
            ),
            overdue=overdue_items(conn=conn, scope=scope, today=brief.as_of),
            bands=band_table(
                band_counts(conn=conn, scope=scope, month=MONTH, settings=settings.income),
                names=townships_in_scope(conn=conn, scope=scope),
                bands=band_labels(settings=settings.income, year=2026),
            ),
            month=MONTH,
            as_of="2026-11-29 18:00",
        )


def test_the_summary_reads_in_the_speechs_register_with_the_views_numbers(pack, settings):
    text = summary_paragraph(pack, settings)
    brief = pack.brief
    assert text.startswith(f"截至10月底，全县脱贫户（含监测户）{brief.households.value:,.0f}户")
    assert (
        f"低于监测收入标准{settings.income.line_for(2026):,.0f}元的{brief.below_line.value:,.0f}户"
        in text
    )
    assert f"收入不增反降{brief.fell.value:,.0f}户" in text
    assert f"其中逾期{brief.overdue_items.value:,.0f}个" in text
    red = pack.townships[pack.townships["placement"] == "红榜"]["name"]
    assert "本月红榜：" + "、".join(red) in text


def test_the_workbook_has_a_cover_and_one_sheet_per_view(pack, settings):
    workbook = load_workbook(BytesIO(briefing_workbook(pack, settings)))
    assert workbook.sheetnames == [
        "封面",
        "核心指标",
        "红黑榜",
        "逾期整改",
        "收入分段",
        "走访与登记",
    ]
    assert workbook["封面"]["A4"].value == summary_paragraph(pack, settings)
    for sheet in workbook.worksheets[1:]:
        assert sheet.page_setup.orientation == "landscape"
        assert "数据截至 2026-11-29 18:00" in sheet["A2"].value


def test_the_workbook_cells_match_the_queries(pack, settings):
    workbook = load_workbook(BytesIO(briefing_workbook(pack, settings)))
    figures = workbook["核心指标"]
    for offset, row in enumerate(headline_rows(pack.brief, settings)):
        cells = [figures.cell(row=4 + offset, column=c).value for c in range(1, 6)]
        assert cells[0] == row[0]
        assert cells[1] == pytest.approx(row[1])
    overdue = workbook["逾期整改"]
    assert overdue.max_row == 3 + len(pack.overdue)
    assert [overdue.cell(row=4 + i, column=1).value for i in range(len(pack.overdue))] == list(
        pack.overdue["code"]
    )
    visits = workbook["走访与登记"]
    table = pack.brief.by_township
    for offset, record in enumerate(table.to_dict("records")):
        assert visits.cell(row=4 + offset, column=1).value == record["name"]
        assert visits.cell(row=4 + offset, column=6).value == record["visited"]
    bands = workbook["收入分段"]
    assert bands.cell(row=3 + len(pack.bands), column=1).value == "合计"


def test_the_overview_offers_the_summary_and_the_download(
    monkeypatch, demo_sqlite_path, test_config_path
):
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = logged_in(
        AppTest.from_file(str(PROJECT_ROOT / "dashboard" / "app.py"), default_timeout=60)
    )
    assert not app.exception
    assert any(code.value.startswith("截至10月底，全县脱贫户") for code in app.code)


def test_the_summary_names_the_lights_in_traffic_light_mode(demo_sqlite, pack, settings):
    lights = replace(settings, rankings=replace(settings.rankings, mode="traffic_light"))
    with demo_sqlite.connect() as conn:
        townships = ranking(
            conn=conn,
            scope=county_scope(conn=conn),
            month=MONTH,
            settings=lights,
            level=Level.TOWNSHIP,
        )
    text = summary_paragraph(replace(pack, townships=townships), lights)
    green = townships[townships["placement"] == "绿"]["name"]
    red = townships[townships["placement"] == "红"]["name"].iloc[::-1]
    assert len(green) > 0
    assert len(red) > 0
    assert f"本月绿灯：{'、'.join(green)}；红灯：{'、'.join(red)}。" in text
