"""Every word a user meets is Chinese, Streamlit's own widgets included, and icons are not read
as English words (dashboard.components.localize)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from config import load_settings
from dashboard.components.localize import TEXTS
from dashboard.navigation import PAGES
from tests.browser.test_import_browser import IMPORT, ledger_input, settle
from tests.browser.test_pages_browser import (
    DEFAULT_VIEW,
    RUN_TIMEOUT_MS,
    SCREENSHOTS,
    by_test_id,
    open_view,
)

pytestmark = pytest.mark.browser

RANKINGS = next(spec for spec in PAGES if spec.url_path == "rankings")
# The English a page must never show: Streamlit's texts, and any icon's name.
ICON_WORDS = sorted({spec.icon.strip(":").removeprefix("material/") for spec in PAGES})


# English a page may show: file formats, units, and the account names it shows (admin).
ALLOWED_WORDS = {"XLSX", "XLSM", "XLS", "MB", "KB", "GB", "Excel", "APP", "CSV", "GeoJSON", "JSON"}
ALLOWED_WORDS |= {"admin", "xlsx"}  # an account, a file's name


def english_left(text: str) -> list[str]:
    lines = {line.strip() for line in text.splitlines()}
    return sorted(word for word in TEXTS if word in lines)


def english_words(snapshot: str) -> list[str]:
    """Words of Latin letters in what a screen reader reads (an aria snapshot), beyond the
    allowed; the snapshot's own role names (button, heading …) start its lines and are not
    read as text, so only the quoted names and the text after a colon count (not a link's
    address)."""
    lines = [line for line in snapshot.splitlines() if not line.strip().startswith("- /url:")]
    said = re.findall(r'"([^"]*)"|: ([^\n]+)$', "\n".join(lines), flags=re.MULTILINE)
    words = {w for pair in said for part in pair for w in re.findall(r"[A-Za-z]{2,}", part)}
    return sorted(words - ALLOWED_WORDS)


def test_the_menu_reads_only_its_chinese_labels(page: Page, server_url: str) -> None:
    open_view(page, server_url, DEFAULT_VIEW)
    sidebar = by_test_id(page, "stSidebar")
    spoken = sidebar.aria_snapshot()
    assert "总览" in spoken
    assert "退出登录" in spoken
    assert english_words(spoken) == []
    heard = [word for word in [*ICON_WORDS, "logout"] if re.search(rf"\b{word}\b", spoken)]
    assert heard == [], f"a screen reader reads the icon names {heard}"
    copied = page.evaluate(
        """(selector) => {
            const selection = window.getSelection();
            selection.selectAllChildren(document.querySelector(selector));
            return selection.toString();
        }""",
        '[data-testid="stSidebar"]',
    )
    assert "总览" in copied
    assert [word for word in ICON_WORDS if re.search(rf"\b{word}\b", copied)] == []


def test_the_uploader_speaks_chinese_and_refuses_a_large_file_in_chinese(
    page: Page, server_url: str, tmp_path: Path
) -> None:
    open_view(page, server_url, IMPORT)
    uploader = by_test_id(page, "stFileUploader").first
    limit = load_settings().imports.max_file_mb
    expect(uploader.get_by_text(f"单个文件不超过 {limit}")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    assert english_words(by_test_id(page, "stMain").aria_snapshot()) == []
    large = tmp_path / "过大的台账.xlsx"
    large.write_bytes(b"\0" * ((limit + 1) * 1024 * 1024))
    ledger_input(page).set_input_files(large)
    expect(page.get_by_text(re.compile(r"文件不能超过"))).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.screenshot(path=SCREENSHOTS / "import-too-large.png")
    text = page.inner_text("body")
    assert "File must be" not in text
    assert english_left(text) == []
    assert english_words(by_test_id(page, "stMain").aria_snapshot()) == []


def test_a_multiselect_says_no_match_in_chinese(page: Page, server_url: str) -> None:
    open_view(page, server_url, RANKINGS)
    page.get_by_role("tab", name="排名趋势").click()
    settle(page)
    box = by_test_id(page, "stMultiSelect").first
    box.locator("input").click()
    box.locator("input").fill("不存在的乡镇名")
    expect(page.get_by_text("无匹配项")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    assert english_left(page.inner_text("body")) == []
