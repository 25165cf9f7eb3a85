"""Sign-ins in a real browser: a reload, a deep link and a new tab stay signed in; sign-out and a
disabled account end the sign-in in every open tab at its next run; the cookie is HttpOnly."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from data_access.auth import Role, add_user, disable_user
from data_access.db import make_engine
from tests.browser.test_pages_browser import (
    QUIET_MS,
    RUN_TIMEOUT_MS,
    SCREENSHOTS,
    WAIT_UNTIL_DRAWN_JS,
    wait_for_run,
)
from tests.clock import WALL_CLOCK

pytestmark = pytest.mark.browser

PASSWORD = "browser-session-test"


@pytest.fixture
def account(demo_env: dict[str, str], request) -> str:
    """An account of its own (the tests disable it), in the server's database."""
    username = f"sess{abs(hash(request.node.name)) % 10**6}"
    engine = make_engine(demo_env["DASHBOARD_DB_URL"])
    with engine.begin() as conn:
        add_user(
            conn=conn,
            username=username,
            display_name="会话测试",
            password=PASSWORD,
            roles=[Role.LEADER],
            by="test",
            now=WALL_CLOCK,
        )
    engine.dispose()
    return username


def _sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url, timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    # The page hands its ticket to the server, whose answer sets the cookie.
    for _ in range(100):
        if any(cookie["name"] == "dashboard_session" for cookie in page.context.cookies()):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the session cookie was never set")


def _expect_signed_in(page: Page) -> None:
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_label("用户名", exact=True)).to_have_count(0)


def _expect_signed_out(page: Page) -> None:
    expect(page.get_by_label("用户名", exact=True)).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)


def test_a_reload_a_deep_link_and_a_new_tab_stay_signed_in(page, server_url, account):
    _sign_in(page, f"{server_url}/rectification", account)
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    session = cookies["dashboard_session"]
    assert session["httpOnly"]
    assert session["sameSite"] == "Strict"
    assert "dashboard_session" not in page.evaluate("document.cookie"), "no script can read it"
    assert session["value"] not in page.url

    page.reload()
    _expect_signed_in(page)
    assert page.url.endswith("/rectification")
    deep_link = page.context.new_page()
    deep_link.goto(f"{server_url}/income", timeout=RUN_TIMEOUT_MS)
    _expect_signed_in(deep_link)
    expect(deep_link.get_by_role("heading", name="收入监测").first).to_be_visible()


def test_sign_out_ends_the_sign_in_of_every_tab(page, server_url, account):
    _sign_in(page, f"{server_url}/", account)
    other = page.context.new_page()
    other.goto(f"{server_url}/visits", timeout=RUN_TIMEOUT_MS)
    _expect_signed_in(other)
    page.get_by_role("button", name="退出登录").click()
    _expect_signed_out(page)
    # The other tab's next run (here a click in its menu) finds the session ended.
    other.get_by_test_id("stPageLink-NavLink").first.click()
    _expect_signed_out(other)
    other.reload()
    _expect_signed_out(other)  # the cookie no longer signs in


def test_a_disabled_account_is_signed_out_at_its_next_click(page, server_url, account, demo_env):
    _sign_in(page, f"{server_url}/", account)
    engine = make_engine(demo_env["DASHBOARD_DB_URL"])
    with engine.begin() as conn:
        disable_user(conn=conn, username=account, by="test", now=WALL_CLOCK)
    engine.dispose()
    page.get_by_test_id("stPageLink-NavLink").nth(1).click()
    _expect_signed_out(page)
    expect(page.get_by_text("账号已停用")).to_be_visible()
    page.reload()
    _expect_signed_out(page)


def test_an_exported_file_is_refused_at_its_address_once_the_session_ends(
    page, server_url, account, browser
):
    _sign_in(page, f"{server_url}/", account)
    # The page reruns once it has handed its ticket over: click only once it has settled.
    wait_for_run(page)
    page.evaluate(WAIT_UNTIL_DRAWN_JS, [QUIET_MS, RUN_TIMEOUT_MS])
    page.get_by_text("汇报材料：文字摘要与 Excel 简报").click()
    button = page.get_by_role("button", name=re.compile("下载简报"))
    expect(button).to_be_enabled(timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    try:
        with page.expect_download(timeout=RUN_TIMEOUT_MS) as started:
            button.click()
    except PlaywrightTimeoutError:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "sessions-export-no-download.png")
        raise
    address = started.value.url
    assert "/media/" in address
    fetched = page.context.request.get(address)
    assert fetched.status == 200, "the signed-in browser gets its file"
    assert fetched.body()[:2] == b"PK", "an Excel workbook"

    stranger = browser.new_context()
    try:
        refused = stranger.request.get(address)
        assert refused.status == 403, "no cookie, no file"
        assert "请先登录" in refused.text()
    finally:
        stranger.close()

    page.get_by_role("button", name="退出登录").click()
    _expect_signed_out(page)
    after = page.context.request.get(address)
    assert after.status == 403, "the file's address is worthless after sign-out"
