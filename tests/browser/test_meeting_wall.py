"""The meeting wall in a real browser: at 1366×768, 1920×1080 and 3840×2160 every panel fits the
screen without scrolling and is drawn at the screen's scale, the wall stays offline, turns on its
own, and its keyboard steps and pauses it without reloading the page."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from config import load_settings
from dashboard.meeting.screen import DESIGN_HEIGHT, DESIGN_WIDTH, TICK_FONT
from dashboard.navigation import PROJECT_ROOT
from tests.browser.conftest import WALL_SECONDS
from tests.browser.test_pages_browser import (
    QUIET_MS,
    RUN_TIMEOUT_MS,
    WAIT_UNTIL_DRAWN_JS,
    foreign_requests,
    log_in,
    wait_for_run,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
# A small projector, the meeting room's screen, a 4K screen.
SCREENS = [(1366, 768), (1920, 1080), (3840, 2160)]
PLAYLIST = list(load_settings().meeting.panels)
# The wall's title at the design size (2.6rem of 16 px).
TITLE_PX = 2.6 * 16
# Panels drawn with plotly bar charts, and the one drawn with the deck.gl map.
CHART_PANELS = {"rankings", "rectification", "income"}
MAP_PANEL = "visits"


def overflow(page: Page) -> dict[str, int]:
    """How far the page would scroll, down and across, in the document and in Streamlit's own
    scroll container (stMain): all 0 when everything fits."""
    return page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            const root = document.scrollingElement;
            return {
                document_down: root.scrollHeight - window.innerHeight,
                document_across: root.scrollWidth - window.innerWidth,
                main_down: main.scrollHeight - main.clientHeight,
                main_across: main.scrollWidth - main.clientWidth,
            };
        }"""
    )


# The progress line of the wall's current run: while a run redraws the wall, the previous
# panel's elements stay on the page until replaced, marked stale.
PROGRESS = (
    '[data-testid="stElementContainer"]:not([data-stale="true"]) [data-testid="wall-progress"]'
)


def progress(page: Page) -> dict[str, str] | None:
    """The data attributes of the current progress line (index, paused, screen), if drawn."""
    return page.evaluate(
        """(selector) => {
            const bar = document.querySelector(selector);
            return bar ? { ...bar.dataset } : null;
        }""",
        PROGRESS,
    )


def wait_for_progress(
    page: Page, condition: Callable[[dict[str, str]], bool], *, timeout_ms: int = RUN_TIMEOUT_MS
) -> dict[str, str]:
    """The current progress line once ``condition`` holds for it."""
    deadline = time.monotonic() + timeout_ms / 1000
    shown = progress(page)
    while shown is None or not condition(shown):
        assert time.monotonic() < deadline, f"the wall never got there; it shows {shown}"
        page.wait_for_timeout(100)
        shown = progress(page)
    return shown


def wait_for_panel(page: Page, index: int, *, screen: str | None = None) -> None:
    """Until panel ``index`` is up (laid out for ``screen``, "WxH") and the page is still."""
    wait_for_progress(
        page,
        lambda shown: int(shown["index"]) == index and screen in (None, shown["screen"]),
    )
    assert page.evaluate(WAIT_UNTIL_DRAWN_JS, [QUIET_MS, RUN_TIMEOUT_MS])


def chart_type_reaches(page: Page, size_px: float) -> bool:
    """Whether the bar charts' township labels are drawn at ``size_px`` (±1) within the run
    timeout: a chart may still show its first drawing, made before the screen was reported."""
    try:
        page.wait_for_function(
            """(size) => {
                const labels = [...document.querySelectorAll('.js-plotly-plot .ytick text')];
                const drawnAt = (label) => Math.abs(parseFloat(label.style.fontSize) - size) <= 1;
                return labels.length > 0 && labels.every(drawnAt);
            }""",
            arg=size_px,
            timeout=RUN_TIMEOUT_MS,
        )
    except PlaywrightTimeoutError:
        return False
    return True


def open_wall(page: Page, server_url: str, query: str = "") -> None:
    page.goto(f"{server_url}/meeting{query}", timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    log_in(page, "display")
    wait_for_progress(page, lambda shown: True)


@pytest.fixture(params=SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def screen_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[tuple[Page, list]]:
    """A zh-CN page at one of the wall's screen sizes, and the log of every URL it requested."""
    width, height = request.param
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    tab = context.new_page()
    tab.on("websocket", lambda websocket: requested.append(websocket.url))
    yield tab, requested
    context.close()


def test_every_panel_fits_each_screen_at_its_scale_and_stays_offline(
    screen_page: tuple[Page, list[str]], server_url: str
) -> None:
    page, requested = screen_page
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    scale = min(width / DESIGN_WIDTH, height / DESIGN_HEIGHT)
    open_wall(page, server_url, f"?panel={PLAYLIST[0]}&pause=1")
    page.evaluate("window.wallMarker = 'same page'")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for index, panel in enumerate(PLAYLIST):
        if index:
            page.keyboard.press("ArrowRight")
        wait_for_panel(page, index, screen=f"{width}x{height}")
        if panel in CHART_PANELS:
            assert chart_type_reaches(page, TICK_FONT * scale), f"{panel}: chart type not scaled"
        if panel == MAP_PANEL:
            page.get_by_test_id("stDeckGlJsonChart").locator("canvas").first.wait_for()
        page.screenshot(path=SCREENSHOTS / f"meeting-{width}-{panel}.png")
        assert overflow(page) == dict.fromkeys(
            ["document_down", "document_across", "main_down", "main_across"], 0
        ), f"{panel} at {width}×{height}"
        title_px = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)"
        )
        assert title_px == pytest.approx(TITLE_PX * scale, abs=0.5)
    assert page.get_by_test_id("stSidebar").is_hidden()
    # Every step was a rerun of the same session: no reload, no sign-in form.
    assert page.evaluate("window.wallMarker") == "same page"
    assert page.get_by_label("密码", exact=True).count() == 0
    assert f"panel={PLAYLIST[-1]}" in page.url
    assert foreign_requests(requested, server_url) == []


def test_the_wall_turns_by_itself_and_its_keyboard_holds_and_steps_it(
    page: Page, server_url: str
) -> None:
    open_wall(page, server_url)
    page.evaluate("window.wallMarker = 'same page'")
    turn_ms = WALL_SECONDS * 3 * 1000
    seen = [int(wait_for_progress(page, lambda shown: True)["index"])]
    for _ in range(2):
        shown = wait_for_progress(
            page, lambda shown: int(shown["index"]) != seen[-1], timeout_ms=turn_ms
        )
        seen.append(int(shown["index"]))
        page.screenshot(path=SCREENSHOTS / f"meeting-rotation-{len(seen) - 1}.png")
    assert seen == [(seen[0] + step) % len(PLAYLIST) for step in range(3)]

    page.keyboard.press(" ")
    held = int(wait_for_progress(page, lambda shown: shown["paused"] == "true")["index"])
    assert "pause=1" in page.url
    assert f"panel={PLAYLIST[held]}" in page.url
    page.wait_for_timeout(WALL_SECONDS * 1500)
    assert int(progress(page)["index"]) == held, "a paused wall stays on its panel"

    page.keyboard.press("ArrowLeft")
    before = (held - 1) % len(PLAYLIST)
    wait_for_panel(page, before)
    assert progress(page)["paused"] == "true"
    assert f"panel={PLAYLIST[before]}" in page.url

    page.keyboard.press(" ")
    wait_for_progress(page, lambda shown: shown["paused"] == "false")
    assert "pause=1" not in page.url
    wait_for_progress(page, lambda shown: int(shown["index"]) != before, timeout_ms=turn_ms)
    assert page.evaluate("window.wallMarker") == "same page", "the keys never reload the page"
