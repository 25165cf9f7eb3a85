"""Every view in a real browser at the meeting-room size: renders, stays offline, fits the width.

Screenshots go to artifacts/screenshots/<url_path>.png for a human to look at.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from dashboard.navigation import PAGES, PROJECT_ROOT, PageSpec
from tests.login import DEMO_PASSWORDS

pytestmark = pytest.mark.browser

SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
RUN_TIMEOUT_MS = 60_000
QUIET_MS = 750
# The projector in the meeting room (conftest's page fixture opens every page at this size).
MEETING_WIDTH, MEETING_HEIGHT = 1920, 1080
VIEWS = [pytest.param(spec, id=spec.url_path) for spec in PAGES]
DEFAULT_VIEW = next(spec for spec in PAGES if spec.default)


# Resolves true once the DOM has gone quietMs without a mutation and no lazily loaded component
# is still a placeholder (stSkeleton: plotly's bundle alone is ~4.5 MB, and the DOM does not
# change while it downloads); false at limitMs.
WAIT_UNTIL_DRAWN_JS = """([quietMs, limitMs]) => new Promise((resolve) => {
    const loading = () => document.querySelector('[data-testid^="stSkeleton"]') !== null;
    let quietTimer;
    const observer = new MutationObserver(() => arm());
    const finish = (drawn) => { observer.disconnect(); clearTimeout(quietTimer); resolve(drawn); };
    const arm = () => {
        clearTimeout(quietTimer);
        quietTimer = setTimeout(() => (loading() ? arm() : finish(true)), quietMs);
    };
    const everything = {subtree: true, childList: true, attributes: true, characterData: true};
    observer.observe(document.body, everything);
    arm();
    setTimeout(() => finish(false), limitMs);
})"""


def by_test_id(page: Page, test_id: str) -> Locator:
    return page.get_by_test_id(test_id)


def view_url(server_url: str, spec: PageSpec) -> str:
    """Streamlit serves the default page at "/" and every other page at "/<url_path>"."""
    return f"{server_url}/" if spec.default else f"{server_url}/{spec.url_path}"


def wait_for_run(page: Page) -> None:
    # The attributes streamlit's own e2e suite waits on (e2e_playwright: wait_for_app_run).
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=RUN_TIMEOUT_MS
    )
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=RUN_TIMEOUT_MS
    )


def log_in(page: Page, username: str) -> None:
    """Sign in through the login form as a demo account (created by seed-demo)."""
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORDS[username])
    page.get_by_role("button", name="登录").click()


def open_view(page: Page, server_url: str, spec: PageSpec, *, username: str = "admin") -> None:
    """Load a view, sign in (every new page load is a new session) and wait until its script has
    finished and the page has stopped changing."""
    page.goto(view_url(server_url, spec), timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    log_in(page, username)
    wait_for_run(page)
    # The script finishing is not the page being drawn: metrics, plotly and the data grid are
    # lazily loaded components that appear seconds later. Every view has the stamp; an error
    # page has none, so stop waiting as soon as one shows and let the test's assertions speak.
    drawn_or_failed = (
        by_test_id(page, "data-stamp")
        .or_(by_test_id(page, "stException"))
        .or_(by_test_id(page, "stAlertContentError"))
    )
    expect(drawn_or_failed.first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    assert page.evaluate(WAIT_UNTIL_DRAWN_JS, [QUIET_MS, RUN_TIMEOUT_MS]), (
        f"{spec.url_path} still loading or changing after {RUN_TIMEOUT_MS} ms"
    )


def foreign_requests(request_log: list[str], server_url: str) -> list[str]:
    """Requests that left the dashboard's own server (inline data: and blob: URLs are local)."""
    server = urlsplit(server_url).netloc
    return [
        url
        for url in request_log
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != server
    ]


@pytest.mark.parametrize("spec", VIEWS)
def test_view_renders_offline_with_its_data_stamp(
    page: Page, server_url: str, request_log: list[str], spec: PageSpec
) -> None:
    open_view(page, server_url, spec)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{spec.url_path}.png")

    expect(by_test_id(page, "stException")).to_have_count(0)
    expect(by_test_id(page, "stAlertContentError")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(by_test_id(page, "data-stamp")).to_contain_text("数据截至")
    assert request_log, "the request listener saw nothing; is it attached?"
    assert foreign_requests(request_log, server_url) == []


def test_the_login_page_is_in_chinese_and_shows_no_data(page: Page, server_url: str) -> None:
    page.goto(f"{server_url}/", timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    expect(by_test_id(page, "data-stamp")).to_have_count(0)
    expect(by_test_id(page, "stMetric")).to_have_count(0)
    expect(page.get_by_text("用户名", exact=True)).to_be_visible()
    page.evaluate(WAIT_UNTIL_DRAWN_JS, [QUIET_MS, RUN_TIMEOUT_MS])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "login.png")


@pytest.mark.parametrize("username", sorted(DEMO_PASSWORDS))
def test_each_role_lands_on_a_view_it_may_open(page: Page, server_url: str, username: str) -> None:
    open_view(page, server_url, DEFAULT_VIEW, username=username)
    expect(by_test_id(page, "data-stamp").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(by_test_id(page, "stException")).to_have_count(0)
    expect(page.get_by_text("无权访问此页面")).to_have_count(0)
    page.evaluate(WAIT_UNTIL_DRAWN_JS, [QUIET_MS, RUN_TIMEOUT_MS])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"landing-{username}.png")


def test_a_township_user_typing_the_inspection_url_is_refused(page: Page, server_url: str) -> None:
    inspection = next(spec for spec in PAGES if spec.url_path == "inspection")
    page.goto(view_url(server_url, inspection), timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    log_in(page, "township")
    wait_for_run(page)
    expect(page.get_by_text("无权访问此页面")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(by_test_id(page, "stDataFrame")).to_have_count(0)
    page.evaluate(WAIT_UNTIL_DRAWN_JS, [QUIET_MS, RUN_TIMEOUT_MS])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "refused-township-inspection.png")


def test_overview_shows_countdown_kpis_and_township_chart(page: Page, server_url: str) -> None:
    open_view(page, server_url, DEFAULT_VIEW)

    expect(by_test_id(page, "countdown-banner")).to_be_visible()
    metrics = by_test_id(page, "stMetric")
    assert metrics.count() >= 10
    for metric in metrics.all():
        expect(metric).to_be_visible()
    expect(by_test_id(page, "stPlotlyChart").locator(".js-plotly-plot").first).to_be_visible()


@pytest.mark.parametrize("spec", VIEWS)
def test_view_has_no_horizontal_scrollbar_at_meeting_width(
    page: Page, server_url: str, spec: PageSpec
) -> None:
    open_view(page, server_url, spec)

    # Streamlit scrolls inside stMain, so the document alone would not show an overflowing page.
    widths = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return {
                document: document.documentElement.scrollWidth,
                main: main.scrollWidth,
                mainVisible: main.clientWidth,
            };
        }"""
    )
    assert page.viewport_size == {"width": MEETING_WIDTH, "height": MEETING_HEIGHT}
    assert widths["document"] <= MEETING_WIDTH
    assert widths["main"] <= widths["mainVisible"]
