"""预警核实 in a real browser: the list tab draws its paged list and the township's list
downloads as a workbook."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from dashboard.navigation import PAGES
from tests.browser.test_pages_browser import (
    RUN_TIMEOUT_MS,
    SCREENSHOTS,
    WAIT_UNTIL_DRAWN_JS,
    foreign_requests,
    open_view,
)

pytestmark = pytest.mark.browser

WARNINGS = next(spec for spec in PAGES if spec.url_path == "warnings")


def test_the_list_shows_a_page_of_warnings_and_exports_them(
    page: Page, server_url: str, request_log: list[str]
) -> None:
    open_view(page, server_url, WARNINGS)
    page.get_by_role("tab", name="预警清单").click()
    summary = page.get_by_text(re.compile(r"^共 [\d,]+ 条"))
    expect(summary).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.evaluate(WAIT_UNTIL_DRAWN_JS, [750, RUN_TIMEOUT_MS])
    page.screenshot(path=SCREENSHOTS / "warnings-list.png")
    listed = int(re.search(r"共 ([\d,]+) 条", summary.inner_text()).group(1).replace(",", ""))
    assert listed > 0
    with page.expect_download(timeout=RUN_TIMEOUT_MS) as started:
        page.get_by_role("button", name=re.compile("导出本清单")).click()
    book = load_workbook(BytesIO(page.context.request.get(started.value.url).body()))
    sheet = book["预警核实清单"]
    assert sheet.cell(row=3, column=1).value == "预警编号"
    assert sheet.max_row - 3 >= listed  # header rows, then every listed warning (and a footer)
    assert foreign_requests(request_log, server_url) == []
