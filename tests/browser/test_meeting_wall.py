"""The meeting wall in a real browser: every panel fits 1920×1080 without scrolling, stays
offline, and the wall turns on its own."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from dashboard.meeting import PANELS
from dashboard.navigation import PROJECT_ROOT
from tests.browser.conftest import WALL_SECONDS
from tests.browser.test_pages_browser import foreign_requests, log_in, wait_for_run

pytestmark = pytest.mark.browser

SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"


def scroll_overflow(page: Page) -> dict[str, int]:
    """How far the page would scroll down and across (0 when everything fits)."""
    return page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return {
                down: main.scrollHeight - main.clientHeight,
                across: document.documentElement.scrollWidth - window.innerWidth,
            };
        }"""
    )


def shown_index(page: Page) -> int:
    return int(page.get_by_test_id("wall-progress").get_attribute("data-index"))


@pytest.mark.parametrize("panel", list(PANELS))
def test_each_panel_fits_the_screen_and_stays_offline(
    page: Page, server_url: str, request_log: list[str], panel: str
) -> None:
    page.goto(f"{server_url}/meeting?panel={panel}&pause=1")
    wait_for_run(page)
    log_in(page, "display")
    page.wait_for_selector('[data-testid="wall-progress"]', timeout=60_000)
    page.wait_for_timeout(2_500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"meeting-{panel}.png")
    assert scroll_overflow(page) == {"down": 0, "across": 0}
    assert page.get_by_test_id("stSidebar").is_hidden()
    assert foreign_requests(request_log, server_url) == []


def test_the_wall_turns_by_itself(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/meeting")
    wait_for_run(page)
    log_in(page, "display")
    page.wait_for_selector('[data-testid="wall-progress"]', timeout=60_000)
    seen = [shown_index(page)]
    for _ in range(2):
        page.wait_for_function(
            """(previous) => {
                const bar = document.querySelector('[data-testid="wall-progress"]');
                return bar && Number(bar.dataset.index) !== previous;
            }""",
            arg=seen[-1],
            timeout=(WALL_SECONDS * 3) * 1000,
        )
        seen.append(shown_index(page))
        page.screenshot(path=SCREENSHOTS / f"meeting-rotation-{len(seen) - 1}.png")
    assert seen == [(seen[0] + step) % len(PANELS) for step in range(3)]
