"""会议大屏: rotation, every panel renders, and no panel ever shows personal data."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard.charts.wall import (
    bar_gap,
    count_axis,
    income_bands_figure,
    legend_html,
    overdue_figure,
    ranking_columns,
    ranking_layout,
    wall_contributions_figures,
    warnings_figure,
)
from dashboard.context import ViewContext
from dashboard.meeting.panels import PANELS
from dashboard.meeting.refresh import DataRead, fresh_view, is_stale, refresh_due
from dashboard.meeting.rotation import Rotation, progress_html, rotation_after
from dashboard.meeting.screen import DESIGN_SCREEN, Screen, screen_from_report
from dashboard.meeting.tiles import Tile, tiles_html
from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.auth import Access, Role
from data_access.rankings import INDICATOR_DEFINITIONS
from data_access.scope import Scope
from data_access.status import data_status
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
MEETING_PAGE = next(spec for spec in PAGES if spec.url_path == "meeting")


def test_rotation_moves_on_every_turn_and_wraps_around():
    rotation = Rotation(index=1, paused=False)
    shown = []
    for _ in range(5):
        rotation = rotation.turned(count=4)
        shown.append(rotation.index)
    assert shown == [2, 3, 0, 1, 2]


def test_a_paused_wall_holds_its_panel_through_the_turns():
    held = Rotation(index=2, paused=True)
    assert held.turned(count=4).turned(count=4) == held


def test_the_progress_indicator_names_the_panel_and_its_place():
    html = progress_html(["核心指标", "红黑榜"], 1, paused=False, seconds=20, screen=DESIGN_SCREEN)
    assert "第 2/2 屏 · 红黑榜" in html
    assert 'data-index="1"' in html
    assert 'data-screen="1920x1080"' in html


def test_a_paused_wall_says_how_to_resume():
    html = progress_html(["核心指标", "红黑榜"], 0, paused=True, seconds=20, screen=DESIGN_SCREEN)
    assert "已暂停（按空格键继续轮播）" in html
    assert 'data-paused="true"' in html


def test_stale_data_is_flagged_on_the_progress_line():
    fresh = progress_html(["核心指标"], 0, paused=False, seconds=20, screen=DESIGN_SCREEN)
    assert "未能刷新" not in fresh
    stale = progress_html(
        ["核心指标"], 0, paused=False, seconds=20, screen=DESIGN_SCREEN, stale_after_minutes=10
    )
    assert "数据已超过 10 分钟未能刷新" in stale


def test_tiles_escape_their_text():
    assert "&lt;b&gt;" in tiles_html([Tile("<b>", "1", "")])


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [(1920, 1080, 1.0), (1366, 768, 768 / 1080), (3840, 2160, 2.0), (1280, 1024, 1280 / 1920)],
)
def test_the_layout_scales_by_the_tighter_side_of_the_screen(width, height, scale):
    assert Screen(width, height).scale == pytest.approx(scale)


def test_design_sizes_scale_with_the_screen():
    assert Screen(1366, 768).px(470) == round(470 * 768 / 1080)
    assert Screen(3840, 2160).px(470) == 940
    assert DESIGN_SCREEN.px(18) == 18


def test_a_16_9_screen_fills_exactly_the_design_height_scaled():
    for screen in (Screen(1366, 768), DESIGN_SCREEN, Screen(3840, 2160)):
        assert screen.fill(600) == screen.px(600)


def test_a_taller_screen_gives_its_charts_the_extra_height():
    # 1280×1024 draws the 1920×1080 design at 2/3 (720 px high): 304 px are left over.
    assert Screen(1280, 1024).fill(600) == 400 + 304


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ({"width": 1366, "height": 768}, Screen(1366, 768)),
        ({"width": 3840.0, "height": 2160.0}, Screen(3840, 2160)),
        (None, DESIGN_SCREEN),
        ({"width": 1366}, DESIGN_SCREEN),
        ({"width": "1366", "height": "768"}, DESIGN_SCREEN),
        ({"width": True, "height": 768}, DESIGN_SCREEN),
        ({"width": 0, "height": 0}, DESIGN_SCREEN),
        ([1366, 768], DESIGN_SCREEN),
    ],
)
def test_the_reported_screen_is_used_only_when_it_is_a_usable_size(report, expected):
    assert screen_from_report(report) == expected


@pytest.mark.parametrize(
    ("count", "rows", "columns"),
    [
        (4, 12, [range(0, 4)]),
        (12, 12, [range(0, 12)]),
        (18, 12, [range(0, 9), range(9, 18)]),
        (19, 12, [range(0, 10), range(10, 19)]),
        (24, 12, [range(0, 12), range(12, 24)]),
        (30, 12, [range(0, 12), range(18, 30)]),
    ],
)
def test_a_long_ranking_is_charted_in_two_columns_or_as_its_head_and_tail(count, rows, columns):
    assert ranking_columns(count, rows) == columns


def test_longer_honour_rolls_leave_the_chart_fewer_rows():
    height, rows = ranking_layout(list_size=3, chart_rows=12)
    assert (height, rows) == (470, 12)
    longer_height, longer_rows = ranking_layout(list_size=5, chart_rows=12)
    assert longer_height == 470 - 2 * 97
    assert longer_rows == (longer_height - 60) // 28 < 12
    shortest, fewest = ranking_layout(list_size=20, chart_rows=12)
    assert (shortest, fewest) == (60 + 3 * 28, 3)


def _ranked(count: int) -> pd.DataFrame:
    rows = []
    for place in range(count):
        row = {"rank": place + 1, "name": f"乡镇{place + 1}", "circular_points": 0.0}
        for indicator in INDICATOR_DEFINITIONS:
            row[f"{indicator.key}_points"] = 10.0 - place * 0.2
            row[f"{indicator.key}_rate"] = 0.9
        rows.append(row)
    rows[-1]["circular_points"] = -6.0
    return pd.DataFrame(rows)


def test_ranking_columns_share_one_scale_and_scale_their_type():
    figures = wall_contributions_figures(
        _ranked(18),
        indicators=INDICATOR_DEFINITIONS,
        rows=12,
        screen=Screen(3840, 2160),
        height=900,
    )
    assert len(figures) == 2
    assert [list(f.layout.xaxis.range) for f in figures] == [[-8.0, 105], [-8.0, 105]]
    assert [len(f.data[0].y) for f in figures] == [9, 9]
    assert figures[0].data[0].y[-1] == "1. 乡镇1", "best at the top of the first column"
    assert figures[1].data[0].y[0] == "18. 乡镇18"
    assert figures[0].layout.yaxis.tickfont.size == 40
    assert figures[0].layout.height == 900
    assert "未列出" not in (figures[1].layout.xaxis.title.text or "")


def test_a_ranking_too_long_for_two_columns_says_which_places_it_leaves_out():
    figures = wall_contributions_figures(
        _ranked(30), indicators=INDICATOR_DEFINITIONS, rows=12, screen=DESIGN_SCREEN, height=470
    )
    assert "第 13–18 名未列出" in figures[1].layout.xaxis.title.text


def test_wall_bar_charts_list_at_most_the_configured_rows_with_the_worst_on_top():
    by_township = pd.DataFrame(
        {"name": [f"乡镇{i}" for i in range(20)], "overdue": range(20), "open": range(20, 40)}
    )
    figure = overdue_figure(by_township, rows=5, screen=Screen(1366, 768), height=400)
    assert list(figure.data[0].y) == ["乡镇15", "乡镇16", "乡镇17", "乡镇18", "乡镇19"]
    assert figure.layout.height == 400
    assert figure.layout.yaxis.tickfont.size == round(20 * 768 / 1080)

    names = pd.DataFrame({"township_id": range(20), "name": [f"乡镇{i}" for i in range(20)]})
    counts = pd.DataFrame({"township_id": range(20), "band": 1, "households": range(20)})
    labels = {1: "低于4,500元", 2: "4,500–7,400元", 3: "7,400–7,500元"}
    bands = income_bands_figure(counts, names, labels, rows=3, screen=DESIGN_SCREEN, height=600)
    assert list(bands.data[0].y) == ["乡镇17", "乡镇18", "乡镇19"]


def test_a_wall_legend_names_every_bar_colour_in_stacking_order():
    by_township = pd.DataFrame({"name": ["城关镇"], "overdue": [2], "open": [5]})
    figure = overdue_figure(by_township, rows=12, screen=DESIGN_SCREEN, height=600)
    html = legend_html(figure)
    assert html.index("逾期未整改") < html.index("未到期未销号")
    assert "background:#c62828" in html
    assert figure.layout.showlegend is False


def test_bars_keep_their_usual_gap_until_few_rows_would_make_them_too_thick():
    assert bar_gap(12, plot_height=600, max_bar=56) == 0.25
    # Two rows of 300 px: bars 56 px thick, the rest of each row left empty.
    assert bar_gap(2, plot_height=600, max_bar=56) == pytest.approx(1 - 56 / 300, abs=0.001)
    assert bar_gap(1, plot_height=2000, max_bar=56) == 0.9


def test_small_counts_are_ticked_in_whole_numbers():
    assert count_axis(3) == {"tick0": 0, "dtick": 1}
    assert count_axis(250) == {"tickformat": ",d"}


def test_next_and_previous_step_from_the_panel_on_the_wall_and_hold_there():
    after = rotation_after(Rotation(index=3, paused=False), "next", count=5)
    assert after == Rotation(index=4, paused=True)
    after = rotation_after(after, "next", count=5)
    assert after == Rotation(index=0, paused=True), "wraps around"
    assert rotation_after(after, "previous", count=5) == Rotation(index=4, paused=True)


def test_pause_holds_the_panel_on_the_wall_and_resumes_turning_from_it():
    held = rotation_after(Rotation(index=2, paused=False), "pause", count=5)
    assert held == Rotation(index=2, paused=True)
    resumed = rotation_after(held, "pause", count=5)
    assert resumed == Rotation(index=2, paused=False)
    assert resumed.turned(count=5).index == 3


@pytest.mark.parametrize("command", ["", "reload", "NEXT"])
def test_an_unknown_wall_command_is_refused(command):
    with pytest.raises(ValueError, match="unknown wall command"):
        rotation_after(Rotation(index=0, paused=False), command, count=5)


def test_the_wall_rereads_its_data_once_the_refresh_interval_has_passed():
    read = DataRead(version=3, as_of="2026-11-29 18:00", at=100.0)
    assert refresh_due(None, now=0.0, refresh_seconds=60)
    assert not refresh_due(read, now=159.9, refresh_seconds=60)
    assert refresh_due(read, now=160.0, refresh_seconds=60)


def test_data_is_stale_once_the_last_good_read_is_older_than_allowed():
    read = DataRead(version=3, as_of=None, at=100.0)
    assert not is_stale(read, failing_since=130.0, now=700.0, stale_after_minutes=10)
    assert is_stale(read, failing_since=130.0, now=700.1, stale_after_minutes=10)
    # Never read at all: counted from the first failure.
    assert not is_stale(None, failing_since=130.0, now=729.0, stale_after_minutes=10)
    assert is_stale(None, failing_since=130.0, now=731.0, stale_after_minutes=10)


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


def test_the_wall_keeps_its_last_data_and_turns_stale_while_the_database_is_unreachable(
    demo_sqlite, demo_sqlite_path, settings, tmp_path
):
    wall_settings = replace(settings.meeting, refresh_seconds=60, stale_after_minutes=2)
    county = Scope(frozenset({1}))
    view = ViewContext(
        access=Access("display", "大屏", frozenset({Role.DISPLAY}), None),
        settings=settings,
        database_url=f"sqlite:///{demo_sqlite_path}",
        scope=county,
        published_scope=county,
        month=date(2026, 10, 1),
        clock=settings.clock,
        reporting_date=settings.clock.reporting_date(),
        data_version=-1,
        data_as_of=None,
    )
    with demo_sqlite.connect() as conn:
        status = data_status(conn=conn)
    version = status.version
    st.session_state.clear()

    read, stale = fresh_view(view, now=1000.0, settings=wall_settings)
    assert (read.data_version, read.data_as_of, stale) == (version, status.as_of, False)

    unreachable = replace(view, database_url=f"sqlite:///{tmp_path / 'gone' / 'x.db'}")
    held, stale = fresh_view(unreachable, now=1030.0, settings=wall_settings)
    assert (held.data_version, stale) == (version, False), "not due: nothing is read"
    held, stale = fresh_view(unreachable, now=1061.0, settings=wall_settings)
    assert (held.data_version, held.data_as_of, stale) == (
        version,
        read.data_as_of,
        False,
    )
    held, stale = fresh_view(unreachable, now=1121.0, settings=wall_settings)
    assert (held.data_version, stale) == (version, True)

    back, stale = fresh_view(view, now=1200.0, settings=wall_settings)
    assert (back.data_version, stale) == (version, False)


def test_the_warnings_panel_shows_the_pending_counts_and_no_household(
    monkeypatch, demo_sqlite_path, test_config_path, demo_sqlite
):
    app = wall(monkeypatch, demo_sqlite_path, test_config_path, panel="warnings", pause="1")
    with demo_sqlite.connect() as conn:
        pending = conn.execute(
            text(
                "SELECT COUNT(*) FROM household_warnings "
                "WHERE status = '待核实' AND gone_on IS NULL"
            )
        ).scalar_one()
        codes = list(conn.execute(text("SELECT code FROM households")).scalars())
    assert pending > 0
    screen = shown_text(app)
    assert re.search(rf'待核实预警</div><div class="value"[^>]*>{pending:,}<', screen)
    assert not [code for code in codes if code in screen], "no 户编号 on the wall"
    figure = warnings_figure(
        pd.DataFrame({"name": ["甲镇", "乙镇"], "pending": [5, 9], "overdue": [4, 1]}),
        rows=12,
        screen=DESIGN_SCREEN,
        height=600,
    )
    assert list(figure.data[0].y) == ["乙镇", "甲镇"], "most overdue on top"
    assert list(figure.data[1].x) == [8, 1], "within the deadline: pending less overdue"


@pytest.mark.parametrize(
    ("mode", "titles"), [("red_black", ("红榜", "黑榜")), ("traffic_light", ("绿灯", "红灯"))]
)
def test_both_ranking_modes_fill_both_lists_on_the_wall_and_the_rankings_page(
    monkeypatch, demo_sqlite_path, test_config_path, tmp_path, mode, titles
):
    config = tmp_path / "settings.toml"
    text_ = test_config_path.read_text(encoding="utf-8")
    assert 'mode = "red_black"' in text_
    config.write_text(text_.replace('mode = "red_black"', f'mode = "{mode}"'), encoding="utf-8")
    shown = wall(monkeypatch, demo_sqlite_path, config, panel="rankings", pause="1")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(config))
    page = AppTest.from_file(APP, default_timeout=60)
    page.switch_page(str(PROJECT_ROOT / "pages" / "rankings.py"))
    page = logged_in(page, "leader")
    for app in (shown, page):
        assert not app.exception
        html = shown_text(app)
        for title in titles:
            # The list's heading followed by at least one named place.
            filled = rf'data-testid="roll-{title}"><h3[^>]*>{title}</h3><div class="roll-row"'
            assert re.search(filled, html), f"{title} is missing or empty"
