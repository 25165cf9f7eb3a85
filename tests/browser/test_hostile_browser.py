"""Stored text never changes what a page looks like or where it sends the browser, in a real
browser: a second server runs on a copy of the browser county whose names and texts carry HTML,
markdown and directives (tests/hostile.py), and every page is searched for an element, a link, a
style or a request that came from them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine

from dashboard.navigation import PAGES, PageSpec
from tests.browser.conftest import WALL_SECONDS, running_server
from tests.browser.test_pages_browser import by_test_id, foreign_requests, open_view
from tests.clock import WALL_CLOCK
from tests.hostile import HOSTILE_HOST as HOST
from tests.hostile import IMAGE, plant_hostile_strings

pytestmark = pytest.mark.browser

WALL_TURNS = 6

# Pages that show township names as text somewhere in their DOM (the hostile township's name must
# be seen as typed there, so the test cannot pass on a page that shows none of it).
SHOWS_TOWNSHIP_NAMES = {"overview", "rankings", "rectification", "income", "visits", "meeting"}

# Every element the payloads would make, if a page read them as markup.
MARKUP_JS = """(host) => {
    const found = [];
    for (const el of document.querySelectorAll('img[src], a[href], image, source[src]')) {
        const target = ['src', 'href', 'xlink:href'].map((a) => el.getAttribute(a) || '').join(' ');
        if (target.includes(host)) found.push(el.outerHTML.slice(0, 160));
    }
    for (const el of document.querySelectorAll('style')) {
        if (el.textContent.includes('h1{display:none}')) found.push('<style> from a name');
    }
    for (const el of document.querySelectorAll('strong, b, em')) {
        if (el.textContent.trim() === '加粗') found.push('bold from a name: ' + el.outerHTML);
    }
    for (const el of document.querySelectorAll('a')) {
        if (el.textContent.trim() === '重新登录') found.push('a link from a name: ' + el.outerHTML);
    }
    for (const el of document.querySelectorAll('span, p, div')) {
        if (el.childElementCount === 0 && el.textContent.trim() === '红字') {
            found.push('a directive from a name: ' + el.outerHTML);
        }
    }
    return found;
}"""


@pytest.fixture(scope="module")
def hostile_server_url(
    demo_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("hostile-browser")
    source = Path(demo_env["DASHBOARD_DB_URL"].removeprefix("sqlite:///"))
    copy = workdir / "hostile.db"
    with sqlite3.connect(source) as original, sqlite3.connect(copy) as target:
        original.backup(target)
    engine = create_engine(f"sqlite:///{copy}")
    plant_hostile_strings(engine, at=WALL_CLOCK)
    engine.dispose()
    env = {**demo_env, "DASHBOARD_DB_URL": f"sqlite:///{copy}"}
    with running_server(env, workdir) as base_url:
        yield base_url


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.url_path) for s in PAGES])
def test_no_stored_string_becomes_an_element_a_link_or_a_request(
    page: Page, hostile_server_url: str, request_log: list[str], spec: PageSpec
) -> None:
    open_view(page, hostile_server_url, spec)
    expect(by_test_id(page, "stException")).to_have_count(0)
    expect(page.locator("h1").first).to_be_visible()
    # The page and every frame in it, over WALL_TURNS turns of the wall (which draws one panel at
    # a time in a component's frame), until the hostile name has been seen as text.
    seen = spec.url_path not in SHOWS_TOWNSHIP_NAMES
    for _ in range(WALL_TURNS * WALL_SECONDS):
        made = [found for frame in page.frames for found in frame.evaluate(MARKUP_JS, HOST)]
        assert made == []
        shown = "".join(frame.evaluate("document.body.textContent") for frame in page.frames)
        if seen or IMAGE in shown:
            break
        page.wait_for_timeout(1000)
    else:
        raise AssertionError("the hostile name was never shown as the text it is")
    assert foreign_requests(request_log, hostile_server_url) == []
