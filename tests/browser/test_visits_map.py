"""走访覆盖 in a real browser: the deck.gl map draws on its canvas with no basemap request, the
legend sits beside it, and choosing a village shows its households."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from dashboard.navigation import PAGES
from tests.browser.test_pages_browser import by_test_id, foreign_requests, open_view

pytestmark = pytest.mark.browser

VISITS = next(spec for spec in PAGES if spec.url_path == "visits")


def test_the_visits_map_draws_offline_with_its_legend(
    page: Page, server_url: str, request_log: list[str]
) -> None:
    open_view(page, server_url, VISITS)

    chart = by_test_id(page, "stDeckGlJsonChart")
    expect(chart).to_have_count(1)
    canvas = chart.locator("canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None
    assert box["width"] > 800
    assert box["height"] > 500
    expect(by_test_id(page, "visits-legend")).to_contain_text("无数据")
    # No tiles, no fonts, no basemap style: nothing but the dashboard's own server.
    assert foreign_requests(request_log, server_url) == []
    assert not [url for url in request_log if "cartocdn" in url or "mapbox" in url]


def test_choosing_a_village_shows_its_households(page: Page, server_url: str) -> None:
    # 县领导: personal data masked.
    open_view(page, server_url, VISITS, username="leader")

    page.get_by_label("查看村").click()
    page.get_by_role("option").first.click()
    expect(page.get_by_text("户主姓名已脱敏")).to_be_visible(timeout=30_000)
