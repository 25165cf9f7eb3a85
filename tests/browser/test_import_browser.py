"""数据导入 in a real browser: choose the kind, upload a workbook through the file input, read the
dry run, commit, and see the batch; 1920×1080 screenshots for a human to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from dashboard.navigation import PAGES
from data_access.db import make_engine
from data_access.models import Household, IncomeRegister
from tests.browser.test_pages_browser import (
    QUIET_MS,
    RUN_TIMEOUT_MS,
    SCREENSHOTS,
    WAIT_UNTIL_DRAWN_JS,
    by_test_id,
    foreign_requests,
    open_view,
    wait_for_run,
)
from tests.import_helpers import workbook_bytes

pytestmark = pytest.mark.browser

IMPORT = next(spec for spec in PAGES if spec.url_path == "import")


def ledger(database_url: str, path: Path) -> Path:
    """A 收支登记 ledger with a title row: two registers of October changed, one unknown户编号."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Household.code, IncomeRegister.wage)
            .join(IncomeRegister, IncomeRegister.household_id == Household.id)
            .where(IncomeRegister.month == "2026-10-01")
            .order_by(Household.id)
            .limit(2)
        ).all()
    engine.dispose()
    header = ["户编号", "月份", "工资性收入（元）", "经营性收入（元）"]
    data = [[code, "2026年10月", f"{wage + 100:,.0f}", 300] for code, wage in rows]
    path.write_bytes(
        workbook_bytes(
            [header, *data, ["4527319999999999", "2026-10", 100, 0], ["合计", None, 0, 0]],
            title="城关镇 2026 年 10 月收支登记台账",
        )
    )
    return path


def ledger_input(page: Page):
    """The workbook uploader of the 导入台账 tab (the 导入边界 tab has one for GeoJSON)."""
    return page.locator('input[type="file"][accept*=".xlsx"]')


def settle(page: Page) -> None:
    wait_for_run(page)
    page.evaluate(WAIT_UNTIL_DRAWN_JS, [QUIET_MS, RUN_TIMEOUT_MS])


def test_an_office_user_uploads_reads_the_dry_run_and_commits(
    page: Page, server_url: str, request_log: list[str], demo_env: dict[str, str], tmp_path: Path
) -> None:
    workbook = ledger(demo_env["DASHBOARD_DB_URL"], tmp_path / "10月收支登记.xlsx")
    open_view(page, server_url, IMPORT)
    expect(page.get_by_role("heading", name="数据导入")).to_be_visible()

    page.get_by_test_id("stSelectbox").filter(has_text="台账类别").click()
    page.get_by_role("option", name="收支登记").click()
    settle(page)
    expect(page.get_by_role("button", name="下载“收支登记”导入模板")).to_be_visible()

    ledger_input(page).set_input_files(workbook)
    expect(page.get_by_text("试导入结果")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    settle(page)
    metrics = {
        metric.get_by_test_id("stMetricLabel").inner_text(): metric.get_by_test_id(
            "stMetricValue"
        ).inner_text()
        for metric in by_test_id(page, "stMetric").all()
    }
    assert metrics == {"新增": "0", "更新": "2", "不变": "0", "拒绝": "1"}
    # The error table is drawn on a canvas (st.dataframe): its text is not in the DOM.
    expect(page.get_by_text("1 行被拒绝，原因见下表")).to_be_visible()
    expect(page.get_by_role("button", name="下载被拒绝的行（1 行，含错误原因）")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "import-dry-run.png")
    widths = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return [document.documentElement.scrollWidth, main.scrollWidth, main.clientWidth];
        }"""
    )
    assert widths[0] <= 1920
    assert widths[1] <= widths[2]

    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_text("导入完成（批次 #")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    settle(page)
    expect(by_test_id(page, "stException")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "import-committed.png")
    page.get_by_role("tab", name="导入记录").click()
    settle(page)
    # The batch (with its rejected row) is listed: the canvas table has no DOM text, the picker
    # of batches with rejected rows does.
    page.get_by_test_id("stSelectbox").filter(has_text="查看某批次被拒绝的行").click()
    expect(page.get_by_role("option", name="10月收支登记.xlsx（拒绝 1 行）")).to_be_visible()
    page.keyboard.press("Escape")
    page.screenshot(path=SCREENSHOTS / "import-history.png")
    assert foreign_requests(request_log, server_url) == []


def test_a_clerk_maps_an_unknown_money_column_once_and_the_next_file_reuses_it(
    page: Page, server_url: str, request_log: list[str], demo_env: dict[str, str], tmp_path: Path
) -> None:
    engine = make_engine(demo_env["DASHBOARD_DB_URL"])
    with engine.connect() as conn:
        code = conn.execute(select(Household.code).order_by(Household.id.desc()).limit(1)).scalar()
    engine.dispose()
    workbook = tmp_path / "种养业收入台账.xlsx"
    header = ["户编号", "月份", "工资性收入（元）", "种养业收入（元）"]
    workbook.write_bytes(
        workbook_bytes([header, [code, "2024年3月", 900, 300]], title="城关镇收支登记（补录）")
    )
    open_view(page, server_url, IMPORT)
    page.get_by_test_id("stSelectbox").filter(has_text="台账类别").click()
    page.get_by_role("option", name="收支登记").click()
    settle(page)
    ledger_input(page).set_input_files(workbook)
    expect(page.get_by_text("暂不能确认导入")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    settle(page)
    expect(page.get_by_role("button", name="确认导入")).to_be_disabled()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "import-mapping-needed.png")

    page.get_by_test_id("stSelectbox").filter(has_text="D 列“种养业收入（元）”").click()
    page.get_by_role("option", name="经营性收入（元）").click()
    page.get_by_role("button", name="按此对应重新试导入").click()
    expect(page.get_by_text("按指定对应的列：种养业收入（元） → 经营性收入（元）")).to_be_visible(
        timeout=RUN_TIMEOUT_MS
    )
    settle(page)
    expect(page.get_by_text("暂不能确认导入")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "import-mapping-applied.png")
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_text("导入完成（批次 #")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    settle(page)

    # The same headers again, in a new file: the confirmed mapping is used and said to be.
    again = tmp_path / "种养业收入台账（四月）.xlsx"
    again.write_bytes(workbook_bytes([header, [code, "2024年4月", 950, 320]]))
    ledger_input(page).set_input_files(again)
    expect(page.get_by_text("已套用")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    settle(page)
    expect(page.get_by_role("button", name="确认导入")).to_be_enabled()
    page.screenshot(path=SCREENSHOTS / "import-mapping-reused.png")
    assert foreign_requests(request_log, server_url) == []
