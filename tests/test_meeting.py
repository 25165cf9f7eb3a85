"""会议大屏: rotation, every panel renders, and no panel ever shows personal data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard.meeting import PANELS, Tile, panel_index, progress_html, tiles_html
from dashboard.navigation import PAGES, PROJECT_ROOT
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
MEETING_PAGE = next(spec for spec in PAGES if spec.url_path == "meeting")


def test_rotation_moves_on_every_period_and_wraps_around():
    shown = [
        panel_index(4, start=0, elapsed_seconds=s, seconds_per_panel=20, paused=False)
        for s in (0, 19.9, 20, 45, 79, 80)
    ]
    assert shown == [0, 0, 1, 2, 3, 0]


def test_a_paused_wall_holds_the_requested_panel():
    assert panel_index(4, start=2, elapsed_seconds=500, seconds_per_panel=20, paused=True) == 2
    assert panel_index(4, start=2, elapsed_seconds=20, seconds_per_panel=20, paused=False) == 3


def test_the_progress_indicator_names_the_panel_and_its_place():
    html = progress_html(["核心指标", "红黑榜"], 1, paused=False, seconds=20)
    assert "第 2/2 屏 · 红黑榜" in html
    assert 'data-index="1"' in html


def test_tiles_escape_their_text():
    assert "&lt;b&gt;" in tiles_html([Tile("<b>", "1", "")])


def wall(monkeypatch, demo_sqlite_path, test_config_path, **params) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(str(MEETING_PAGE.path))
    for key, value in params.items():
        app.query_params[key] = value
    return logged_in(app, "display")


def shown_text(app: AppTest) -> str:
    """Everything the page put on screen: markdown, html, titles, metrics and chart specs."""
    parts = [element.value for element in app.markdown]
    parts += [element.value for element in app.title]
    parts += [element.proto.body for element in app.get("html")]
    parts += [element.proto.spec for element in app.get("plotly_chart")]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def personal_values(demo_sqlite) -> list[str]:
    """Household heads' names and ID numbers, and cadres' names — except names that are also
    part of a place or unit name (those would match harmlessly)."""
    with demo_sqlite.connect() as conn:
        places = " ".join(
            conn.execute(
                text(
                    "SELECT name FROM townships UNION ALL SELECT name FROM villages "
                    "UNION ALL SELECT name FROM assisting_units"
                )
            ).scalars()
        )
        values = set(conn.execute(text("SELECT head_name FROM households")).scalars())
        values |= set(conn.execute(text("SELECT head_id_number FROM households")).scalars())
        values |= set(conn.execute(text("SELECT name FROM cadres")).scalars())
        values |= set(conn.execute(text("SELECT name FROM inspectors")).scalars())
    return sorted(value for value in values if len(value) >= 2 and value not in places)


@pytest.mark.parametrize("panel", list(PANELS))
def test_every_panel_renders_without_personal_data(
    monkeypatch, demo_sqlite_path, test_config_path, personal_values, panel
):
    app = wall(monkeypatch, demo_sqlite_path, test_config_path, panel=panel, pause="1")
    assert not app.exception
    assert not app.error
    screen = shown_text(app)
    assert f"· {PANELS[panel][0]} ·" in screen
    leaked = [value for value in personal_values if value in screen]
    assert leaked == []
    assert not re.search(r"\d{17}[\dXx]", screen), "no 身份证号 on the wall"


def test_an_unknown_panel_starts_the_playlist_from_the_top(
    monkeypatch, demo_sqlite_path, test_config_path, settings
):
    app = wall(monkeypatch, demo_sqlite_path, test_config_path, panel="weather", pause="1")
    first = PANELS[settings.meeting.panels[0]][0]
    assert f"第 1/{len(settings.meeting.panels)} 屏 · {first}" in shown_text(app)


def test_the_overview_panel_shows_the_briefing_numbers(
    monkeypatch, demo_sqlite_path, test_config_path, demo_sqlite
):
    app = wall(monkeypatch, demo_sqlite_path, test_config_path, panel="overview", pause="1")
    with demo_sqlite.connect() as conn:
        overdue = conn.execute(
            text(
                "SELECT COUNT(*) FROM rectification_items WHERE found_on <= '2026-10-31' "
                "AND (closed_on IS NULL OR closed_on > '2026-10-31') AND deadline < '2026-10-31'"
            )
        ).scalar_one()
    screen = shown_text(app)
    assert re.search(rf'逾期未整改</div><div class="value"[^>]*>{overdue:,}<', screen)
