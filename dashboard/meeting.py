"""The 会议大屏: panels for a wall projector, the rotation rule, the full-screen style that scales
to the screen, and the control that reports the screen's size and the wall's keys.

Every panel shows county aggregates only — townships, units and counts; never a household, a
person's name or an inspection target — so the screen can face a full meeting room. Panels read
through the published scope (all townships, no personal data), whatever the viewer's filter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from config.settings import MeetingSettings
from dashboard import formatting
from dashboard.charts.rankings import contributions_figure
from dashboard.charts.theme import apply_theme
from dashboard.charts.visits_map import coverage_deck, legend_entries
from dashboard.components.countdown import countdown_html
from dashboard.components.honour_roll import PANEL_STYLE, roll_html
from dashboard.context import ViewContext
from dashboard.data import engine_for
from data_access.income.bands import band_counts, band_labels
from data_access.income.projection import NO_DATA_BAND
from data_access.income.summary import income_headline
from data_access.overview import Briefing, Figure, briefing, townships_in_scope
from data_access.periods import month_label
from data_access.rankings import Level, rank_reason, ranking
from data_access.status import data_status
from data_access.visits import DUTIES, township_outlines, village_coverage, with_coverage

# The screen the wall is laid out for, in CSS pixels. On any other screen the whole layout scales
# by min(width / DESIGN_WIDTH, height / DESIGN_HEIGHT): HTML through the root font size (every
# size below is in rem), charts and the map through Screen. So a 1366×768 projector shows the
# 1920×1080 wall smaller and a 3840×2160 screen shows it twice as large, both whole and unscrolled
# (CSS zoom would do the same for HTML but breaks plotly's canvas, whose pointer and size maths do
# not know about zoom).
DESIGN_WIDTH, DESIGN_HEIGHT = 1920, 1080
ROOT_FONT_PX = 16

# Full screen: no sidebar, no Streamlit header, toolbar or element toolbars (the map's would sit on
# the data stamp), large type for reading at 8 m. Wall-only overrides of the shared 红黑榜 and
# countdown styles restate their pixel sizes in rem so that they scale with the screen.
MEETING_CSS = f"""
<style>
html {{font-size: min(calc(100vw * {ROOT_FONT_PX} / {DESIGN_WIDTH}),
                      calc(100vh * {ROOT_FONT_PX} / {DESIGN_HEIGHT})) !important}}
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stElementToolbar"], .st-key-wall_control {{display:none}}
.block-container {{padding: 1.2rem 2.4rem 0 2.4rem; max-width: 100%}}
/* Every panel fits (the browser test measures it); while a turn redraws the wall the previous
   panel's elements linger for a moment, and a scroll bar flashing up then would narrow and
   redraw every chart. */
[data-testid="stMain"] {{overflow: hidden}}
[data-testid="stMainBlockContainer"] h1 {{font-size: 2.6rem}}
.page-stamp {{font-size: 1.25rem}}
.wall-tiles {{display:grid; gap: 1.125rem}}
.wall-tile {{background:#f4f5f7; border-radius:.625rem; padding:1.375rem 1.625rem;
           border-left:.625rem solid #9aa0a6}}
.wall-tile .label {{font-size:1.7rem; color:#1f2430}}
.wall-tile .value {{font-size:5.2rem; font-weight:800; line-height:1.2}}
.wall-tile .note {{font-size:1.35rem; color:#3c4250}}
.wall-overview .wall-tiles {{gap:1.5rem}}
.wall-overview .wall-tile {{padding:2.5rem 2.2rem}}
.wall-overview .wall-tile .label {{font-size:1.9rem}}
/* As large as a quarter of the screen allows: a longer figure (240,000 households) gets a
   smaller size instead of running out of its tile. */
.wall-overview .wall-tile .value {{font-size:min(7.2rem, calc(42rem / var(--chars)))}}
.wall-overview .wall-tile .note {{font-size:1.5rem}}
/* Beside the map, a fifth of the width: room for "100.0%" at this size. */
.wall-tile.narrow {{margin-top:1.125rem}}
.wall-tile.narrow .value {{font-size:4.4rem}}
.wall-line {{font-size:2.3rem; font-weight:700; margin:.375rem 0 .875rem 0}}
.wall-line b {{color:#c62828}}
.wall-progress {{display:flex; gap:.625rem; align-items:center; font-size:1.3rem; color:#5f6673}}
.wall-progress span.dot {{width:1.125rem; height:1.125rem; border-radius:50%; background:#cfd4da}}
.wall-progress span.on {{background:#b71c1c}}
.wall-progress .wall-stale {{margin-left:auto; color:#b71c1c; font-weight:700}}
.wall-chart-legend {{display:flex; flex-wrap:wrap; gap:.4rem 1.6rem; font-size:1.3rem;
                     color:#1f2430; padding-left:5.5rem}}
.wall-chart-legend i {{display:inline-block; width:1rem; height:1rem; margin-right:.4rem;
                       vertical-align:-.05rem}}
.wall-legend {{display:flex; align-items:center; gap:.75rem; margin:.625rem 0; font-size:1.5rem}}
.wall-legend span {{width:1.625rem; height:1.625rem; border-radius:50%;
                    border:.125rem solid #cfd8dc}}
.wall-legend-title {{font-size:1.7rem; font-weight:700}}
.wall-legend-note {{font-size:1.2rem; color:#3c4250; margin:.25rem 0 .5rem 0}}
.roll {{padding:.625rem 1.125rem .75rem 1.125rem !important; border-radius:.5rem !important}}
.roll h3 {{font-size:2.2rem !important; margin:0 0 .375rem 0 !important}}
.roll-row {{gap:.875rem !important; padding:.3125rem 0 !important}}
.roll-name {{font-size:2.3rem !important}}
.roll-score, .roll-rank {{font-size:1.9rem !important}}
.roll-reason {{font-size:1.35rem !important}}
.countdown-row {{gap:.875rem !important; margin:.25rem 0 .625rem 0 !important}}
.countdown-card {{padding:.5rem .875rem !important; border-radius:.375rem !important;
                 border-top-width:.375rem !important}}
.countdown-name {{font-size:1.6rem !important}}
.countdown-days {{font-size:3rem !important}}
.countdown-meta {{font-size:1.3rem !important}}
</style>
"""


@dataclass(frozen=True)
class Screen:
    """The wall's viewport in CSS pixels, and the design's sizes on it."""

    width: int
    height: int

    @property
    def scale(self) -> float:
        """How much larger than on the design screen everything is drawn (the CSS's ratio)."""
        return min(self.width / DESIGN_WIDTH, self.height / DESIGN_HEIGHT)

    def px(self, design: float) -> int:
        """``design`` pixels of the 1920×1080 layout on this screen."""
        return max(1, round(design * self.scale))

    def fill(self, design: float) -> int:
        """A height of ``design`` pixels on the design screen, plus whatever height this screen
        has beyond the design's 16:9 (a 4:3 or 16:10 screen gives its charts the extra rows)."""
        return self.px(design) + max(0, math.floor(self.height - DESIGN_HEIGHT * self.scale))


DESIGN_SCREEN = Screen(DESIGN_WIDTH, DESIGN_HEIGHT)
# Smaller than any projector; below it a reported size is a collapsed or hidden window.
SMALLEST_SCREEN = Screen(320, 180)


def screen_from_report(report: object) -> Screen:
    """The screen the browser reported (``{"width": …, "height": …}`` in CSS pixels); the design
    screen until a usable report arrives."""
    if not isinstance(report, dict):
        return DESIGN_SCREEN
    width, height = report.get("width"), report.get("height")
    sides = (width, height)
    if not all(isinstance(side, int | float) and not isinstance(side, bool) for side in sides):
        return DESIGN_SCREEN
    if width < SMALLEST_SCREEN.width or height < SMALLEST_SCREEN.height:
        return DESIGN_SCREEN
    return Screen(int(width), int(height))


INK = "#1f2430"
TONES = {"bad": "#c62828", "good": "#2e7d32", "plain": INK}


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    note: str
    # "bad" paints the value red (a number that must come down), "good" green, "plain" ink.
    tone: str = "plain"


def tiles_html(tiles: list[Tile], *, columns: int = 4) -> str:
    cells = "".join(
        f'<div class="wall-tile" style="border-left-color:{TONES[t.tone]}">'
        f'<div class="label">{escape(t.label)}</div>'
        f'<div class="value" style="color:{TONES[t.tone]};--chars:{max(len(t.value), 1)}">'
        f"{escape(t.value)}</div>"
        f'<div class="note">{escape(t.note)}</div></div>'
        for t in tiles
    )
    return (
        f'<div class="wall-tiles" style="grid-template-columns:repeat({columns}, 1fr)">'
        f"{cells}</div>"
    )


@dataclass(frozen=True)
class Rotation:
    """Which panel of the playlist is on the wall, and whether the wall holds it there."""

    index: int
    paused: bool

    def turned(self, *, count: int) -> Rotation:
        """The rotation after one turn of the wall's clock: the next panel, unless held.

        The wall counts its turns instead of reading the time since it started: a turn comes
        seconds_per_panel after the previous one was drawn, so turns drift later by the time
        each one takes to draw, and a panel chosen by elapsed time would sooner or later be
        skipped."""
        return self if self.paused else Rotation((self.index + 1) % count, paused=False)


# What the wall's keyboard can ask for (the control script sends these names).
COMMANDS = ("next", "previous", "pause")


def rotation_after(rotation: Rotation, command: str, *, count: int) -> Rotation:
    """The rotation after a key press: "next"/"previous" step from the panel on the wall and hold
    there; "pause" holds the panel on the wall, or resumes turning from it.

    Raises ValueError for a command not in COMMANDS."""
    if command == "next":
        return Rotation((rotation.index + 1) % count, paused=True)
    if command == "previous":
        return Rotation((rotation.index - 1) % count, paused=True)
    if command == "pause":
        return Rotation(rotation.index, paused=not rotation.paused)
    raise ValueError(f"unknown wall command {command!r}")


def progress_html(
    titles: list[str],
    index: int,
    *,
    paused: bool,
    seconds: int,
    screen: Screen,
    stale_after_minutes: int | None = None,
) -> str:
    """The dots and the line under the panel; its data attributes say what is shown, whether
    the wall is held and which screen size it is laid out for. With ``stale_after_minutes`` the
    line warns that the data could not be refreshed for that long (on this line, so that the
    warning takes no height from the panel)."""
    dots = "".join(
        f'<span class="dot{" on" if position == index else ""}" title="{escape(title)}"></span>'
        for position, title in enumerate(titles)
    )
    if paused:
        state = "已暂停（按空格键继续轮播）"
    else:
        state = f"每 {seconds} 秒切换（空格键暂停，←/→ 翻屏）"
    return (
        f'<div class="wall-progress" data-testid="wall-progress" data-index="{index}"'
        f' data-paused="{str(paused).lower()}" data-screen="{screen.width}x{screen.height}">'
        f"{dots}<span>第 {index + 1}/{len(titles)} 屏 · {escape(titles[index])} · {state}</span>"
        f"{_stale_html(stale_after_minutes)}</div>"
    )


def _stale_html(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return (
        '<span class="wall-stale" data-testid="wall-stale">'
        f"⚠ 数据已超过 {minutes} 分钟未能刷新，显示的是最后一次成功读取的数据</span>"
    )


def _change_note(change: float | None, unit: str) -> str:
    text = formatting.signed_count(change, f" {unit}")
    return "较上月 —" if text is None else ("较上月持平" if text == "0" else f"较上月 {text}")


def _points_note(change: float | None) -> str:
    text = formatting.signed_points(change)
    return "较上月 —" if text is None else ("较上月持平" if text == "0" else f"较上月 {text}")


def _briefing(view: ViewContext) -> Briefing:
    return view.fetch(
        briefing,
        scope=view.published_scope,
        month=view.month,
        today=view.reporting_date,
        settings=view.settings,
    )


def count_tile(label: str, figure: Figure, unit: str) -> Tile:
    """A count that should come down, with its change since last month."""
    return Tile(label, formatting.count(figure.value), _change_note(figure.change, unit), "bad")


def rate_tile(label: str, figure: Figure) -> Tile:
    """A share that should go up, with its change in percentage points."""
    return Tile(label, formatting.percent(figure.value), _points_note(figure.change), "good")


def overview_tiles(brief: Briefing, *, line: float) -> list[Tile]:
    """The eight figures of 总览, as wall tiles."""
    thresholds = sorted(brief.below_thresholds.items())
    low_threshold, low = thresholds[0]
    return [
        Tile("脱贫户（含监测户）", formatting.count(brief.households.value), "户"),
        count_tile("监测户·风险未消除", brief.at_risk, "户"),
        count_tile(f"低于监测线 {line:,.0f} 元", brief.below_line, "户"),
        count_tile(f"低于 {low_threshold:,.0f} 元", low, "户"),
        count_tile("收入不增反降", brief.fell, "户"),
        rate_tile("收支登记完整率", brief.register_rate),
        rate_tile("帮扶干部走访覆盖率", brief.visit_rate),
        Tile(
            "逾期未整改",
            formatting.count(brief.overdue_items.value),
            f"未销号共 {formatting.count(brief.open_items.value)} 项",
            "bad",
        ),
    ]


# Design sizes (pixels on the 1920×1080 screen) of what the HTML does not size itself: each
# panel's chart or map takes the height its panel has left under the title, the HTML above it and
# the progress line, less a margin for font rounding on other screens.
RANKING_CHART_HEIGHT = 470
OVERDUE_CHART_HEIGHT = 655
INCOME_CHART_HEIGHT = 745
MAP_HEIGHT = 900
# Type of the charts (township names on the y axis in TICK_FONT) and of the map's labels.
CHART_FONT = 18
TICK_FONT = 20
AXIS_FONT = 17
TITLE_FONT = 24
MAP_LABEL_SIZE = 24
# The 红黑榜 chart's height is for lists of DESIGN_LIST_SIZE; each further township on the lists
# takes a roll row (two lines when its reason wraps) from the chart, which then lists fewer rows.
DESIGN_LIST_SIZE = 3
ROLL_ROW_HEIGHT = 97
# A bar chart row needs this much height to keep its label legible; the x axis takes AXIS_SPACE.
MIN_ROW_PITCH = 28
AXIS_SPACE = 60
# The thickest a bar gets: two townships should not paint two walls of colour.
MAX_BAR = 56
# Up to this many (households, items), a count axis ticks every 1 (plotly would tick at 0.5).
SMALL_COUNT = 6
# The map's column (4 of 5 parts, beside its legend) and the padding it sits in (2.4rem a side).
MAP_SHARE = 4 / 5
PAGE_PADDING = 2 * 2.4 * ROOT_FONT_PX
PLOT = {"displayModeBar": False, "staticPlot": True}


def overview_panel(view: ViewContext, screen: Screen) -> None:
    brief = _briefing(view)
    line = view.settings.income.line_for(view.month.year)
    st.html(MEETING_CSS + countdown_html(brief.milestones, view.settings.rectification, 4))
    st.html(
        MEETING_CSS
        + f'<div class="wall-overview">{tiles_html(overview_tiles(brief, line=line))}</div>'
    )


def ranking_columns(count: int, rows: int) -> list[range]:
    """The places (0-based) the wall charts, one range per chart column: all of them when they
    fit ``rows``, two halves when they fit two columns, else the first and the last ``rows``."""
    if count <= rows:
        return [range(count)]
    if count <= 2 * rows:
        half = math.ceil(count / 2)
        return [range(half), range(half, count)]
    return [range(rows), range(count - rows, count)]


def legend_html(figure: go.Figure) -> str:
    """The figure's bar colours and names as one line of HTML, in the order the bars stack.

    The wall draws its legends in HTML: plotly keeps a bar's legend swatch at a fixed size
    whatever the font, tiny on a 4K wall, and its legend would wrap inside one 红黑榜 column."""
    return (
        '<div class="wall-chart-legend">'
        + "".join(
            f'<span><i style="background:{trace.marker.color}"></i>{escape(trace.name)}</span>'
            for trace in figure.data
        )
        + "</div>"
    )


def ranking_layout(*, list_size: int, chart_rows: int) -> tuple[int, int]:
    """Design height of the 红黑榜 chart under rolls of ``list_size`` townships, and how many
    townships one chart column lists (at most ``chart_rows``, fewer when rows would crowd)."""
    rows_room = RANKING_CHART_HEIGHT - (list_size - DESIGN_LIST_SIZE) * ROLL_ROW_HEIGHT
    height = max(AXIS_SPACE + 3 * MIN_ROW_PITCH, rows_room)
    return height, min(chart_rows, (height - AXIS_SPACE) // MIN_ROW_PITCH)


def bar_gap(rows: int, *, plot_height: float, max_bar: float) -> float:
    """Plotly's bargap (the share of each row left empty) that keeps ``rows`` bars in
    ``plot_height`` pixels at most ``max_bar`` thick, and never below the usual quarter."""
    row = plot_height / max(rows, 1)
    return round(min(0.9, max(0.25, 1 - max_bar / row)), 3)


def count_axis(largest: float) -> dict:
    """x-axis settings for counts of households or items: whole numbers only."""
    return {"tick0": 0, "dtick": 1} if largest <= SMALL_COUNT else {"tickformat": ",d"}


def wall_contributions_figures(
    ranked: pd.DataFrame, *, rows: int, screen: Screen, height: int
) -> list[go.Figure]:
    """The 红黑榜 contributions chart in one or two columns (see ranking_columns), on one scale."""
    columns = ranking_columns(len(ranked), rows)
    low = min(0.0, float(ranked["circular_points"].min()) - 2)
    figures = []
    for places in columns:
        figure = contributions_figure(ranked.iloc[places.start : places.stop])
        plot_height = height - screen.px(16 + AXIS_SPACE)
        figure.update_layout(
            height=height,
            bargap=bar_gap(len(places), plot_height=plot_height, max_bar=screen.px(MAX_BAR)),
            showlegend=False,
            font={"size": screen.px(CHART_FONT)},
            margin={
                "l": screen.px(10),
                "r": screen.px(10),
                "t": screen.px(6),
                "b": screen.px(10),
            },
        )
        figure.update_xaxes(
            range=[low, 105],
            tickfont={"size": screen.px(AXIS_FONT)},
            title_font={"size": screen.px(AXIS_FONT)},
        )
        figure.update_yaxes(tickfont={"size": screen.px(TICK_FONT), "color": INK})
        figures.append(figure)
    if len(columns) == 2 and columns[1].start > columns[0].stop:
        skipped = f"第 {columns[0].stop + 1}–{columns[1].start} 名未列出，见“红黑榜”页"
        figures[1].update_xaxes(title_text=f"综合得分（各项贡献之和）· {skipped}")
    return figures


def rankings_panel(view: ViewContext, screen: Screen) -> None:
    ranked = view.fetch(
        ranking,
        scope=view.published_scope,
        month=view.month,
        settings=view.settings,
        level=Level.TOWNSHIP,
    )
    red = ranked[ranked["placement"] == "红榜"]
    black = ranked[ranked["placement"] == "黑榜"].iloc[::-1]
    left, right = st.columns(2)
    left.html(
        PANEL_STYLE
        + MEETING_CSS
        + roll_html(
            "红榜", red.assign(reason=[rank_reason(r, strongest=True) for _, r in red.iterrows()])
        )
    )
    right.html(
        PANEL_STYLE
        + MEETING_CSS
        + roll_html(
            "黑榜",
            black.assign(reason=[rank_reason(r, strongest=False) for _, r in black.iterrows()]),
        )
    )
    height, rows = ranking_layout(
        list_size=view.settings.rankings.list_size, chart_rows=view.settings.meeting.chart_rows
    )
    figures = wall_contributions_figures(
        ranked, rows=rows, screen=screen, height=screen.fill(height)
    )
    st.html(MEETING_CSS + legend_html(figures[0]))
    for column, figure in zip(st.columns(len(figures)), figures, strict=True):
        column.plotly_chart(figure, width="stretch", config=PLOT)


def _wall_layout(
    figure: go.Figure, *, screen: Screen, height: int, rows: int, largest: float
) -> None:
    """Large type in ink (the legend goes under the chart in HTML, see legend_html), bars no
    thicker than MAX_BAR for ``rows`` townships, whole-number ticks up to ``largest``."""
    apply_theme(figure, height=height)
    plot_height = height - screen.px(56 + 40)
    figure.update_layout(
        showlegend=False,
        bargap=bar_gap(rows, plot_height=plot_height, max_bar=screen.px(MAX_BAR)),
        font={"size": screen.px(CHART_FONT)},
        title_font={"size": screen.px(TITLE_FONT)},
        margin={
            "l": screen.px(10),
            "r": screen.px(10),
            "t": screen.px(56),
            "b": screen.px(40),
        },
    )
    figure.update_xaxes(tickfont={"size": screen.px(AXIS_FONT)}, **count_axis(largest))
    figure.update_yaxes(tickfont={"size": screen.px(TICK_FONT), "color": INK})


def overdue_figure(
    by_township: pd.DataFrame, *, rows: int, screen: Screen, height: int
) -> go.Figure:
    """Open and overdue rectification items of the ``rows`` townships with most overdue, most
    at the top."""
    ordered = by_township.sort_values(["overdue", "open"]).tail(rows)
    figure = go.Figure()
    figure.add_bar(
        y=ordered["name"],
        x=ordered["overdue"],
        name="逾期未整改",
        orientation="h",
        marker_color="#c62828",
        text=ordered["overdue"],
        textposition="inside",
        textangle=0,
        textfont={"size": screen.px(CHART_FONT)},
    )
    figure.add_bar(
        y=ordered["name"],
        x=ordered["open"] - ordered["overdue"],
        name="未到期未销号",
        orientation="h",
        marker_color="#9aa0a6",
    )
    figure.update_layout(barmode="stack", title={"text": "各乡镇未销号整改问题"})
    _wall_layout(
        figure,
        screen=screen,
        height=height,
        rows=len(ordered),
        largest=float(ordered["open"].max()) if len(ordered) else 0.0,
    )
    return figure


def rectification_panel(view: ViewContext, screen: Screen) -> None:
    brief = _briefing(view)
    st.html(MEETING_CSS + countdown_html(brief.milestones, view.settings.rectification, 4))
    tiles_column, chart_column = st.columns([2, 3])
    tiles_column.html(
        MEETING_CSS
        + tiles_html(
            [
                count_tile("整改未销号", brief.open_items, "项"),
                count_tile("逾期未整改", brief.overdue_items, "项"),
            ],
            columns=1,
        )
    )
    figure = overdue_figure(
        brief.by_township,
        rows=view.settings.meeting.chart_rows,
        screen=screen,
        height=screen.fill(OVERDUE_CHART_HEIGHT),
    )
    chart_column.plotly_chart(figure, width="stretch", config=PLOT)
    chart_column.html(MEETING_CSS + legend_html(figure))


def income_bands_figure(
    counts: pd.DataFrame,
    names: pd.DataFrame,
    labels: dict[int, str],
    *,
    rows: int,
    screen: Screen,
    height: int,
) -> go.Figure:
    """Households below 10,000 yuan by band in the ``rows`` townships with most of them (the
    tail the assessment looks at)."""
    merged = counts.merge(names, on="township_id")
    low_bands = [band for band in sorted(labels) if band != NO_DATA_BAND][:3]
    colors = ["#7f0000", "#c62828", "#ef9a9a"]
    totals = merged[merged["band"].isin(low_bands)].groupby("name")["households"].sum()
    order = list(totals.sort_values().index)[-rows:]
    figure = go.Figure()
    for band, color in zip(low_bands, colors, strict=False):
        households = merged[merged["band"] == band].groupby("name")["households"].sum()
        figure.add_bar(
            y=order,
            x=[int(households.get(name, 0)) for name in order],
            name=labels[band],
            orientation="h",
            marker_color=color,
        )
    figure.update_layout(barmode="stack", title={"text": "各乡镇低收入户（按推算全年人均纯收入）"})
    largest = float(totals[order].max()) if order else 0.0
    _wall_layout(figure, screen=screen, height=height, rows=len(order), largest=largest)
    return figure


def income_panel(view: ViewContext, screen: Screen) -> None:
    income = view.settings.income
    year = view.month.year
    headline = view.fetch(
        income_headline, scope=view.published_scope, month=view.month, settings=income
    )
    below = "，".join(
        f"低于 {threshold:,.0f} 元 <b>{count:,}</b> 户"
        for threshold, count in sorted(headline.below.items(), reverse=True)
    )
    line = f"{income.line_for(year):,.0f}"
    st.html(
        MEETING_CSS + f'<div class="wall-line">收入不增反降 <b>{headline.fell:,}</b> 户，{below}；'
        f"低于{year}年监测线 {line} 元 <b>{headline.below_line:,}</b> 户</div>"
    )
    counts = view.fetch(band_counts, scope=view.published_scope, month=view.month, settings=income)
    names = view.fetch(townships_in_scope, scope=view.published_scope)
    figure = income_bands_figure(
        counts,
        names,
        band_labels(settings=income, year=year),
        rows=view.settings.meeting.chart_rows,
        screen=screen,
        height=screen.fill(INCOME_CHART_HEIGHT),
    )
    st.plotly_chart(figure, width="stretch", config=PLOT)
    st.html(MEETING_CSS + legend_html(figure))


def visits_panel(view: ViewContext, screen: Screen) -> None:
    """The county map coloured by the 帮扶干部 monthly duty, with a large legend."""
    duty = DUTIES[0]
    coverage = view.fetch(
        village_coverage,
        scope=view.published_scope,
        month=view.month,
        settings=view.settings.visits,
    )
    outlines = view.fetch(township_outlines, scope=view.published_scope)
    villages = with_coverage(coverage, duty)
    map_column, legend_column = st.columns([4, 1])
    height = screen.fill(MAP_HEIGHT)
    width = round((screen.width - screen.px(PAGE_PADDING)) * MAP_SHARE)
    map_column.pydeck_chart(
        coverage_deck(
            villages,
            outlines,
            width=width,
            height=height,
            label_size=screen.px(MAP_LABEL_SIZE),
            pixel_scale=screen.scale,
        ),
        height=height,
    )
    swatches = "".join(
        f'<div class="wall-legend"><span style="background:{color}"></span>{escape(label)}</div>'
        for label, color in legend_entries()
    )
    visited, covered = int(villages["visited"].sum()), int(villages["covered"].sum())
    legend_column.html(
        MEETING_CSS
        + f'<div class="wall-legend-title">{escape(duty.label)}覆盖率</div>'
        + '<div class="wall-legend-note">每个圆点为一个村</div>'
        + swatches
        + f'<div class="wall-tile narrow"><div class="label">全县</div>'
        f'<div class="value">{formatting.percent(visited / covered if covered else None)}</div>'
        f'<div class="note">{covered - visited:,} 户本月未走访</div></div>'
    )


PANELS: dict[str, tuple[str, Callable[[ViewContext, Screen], None]]] = {
    "overview": ("核心指标", overview_panel),
    "rankings": ("红黑榜", rankings_panel),
    "rectification": ("整改倒计时与逾期", rectification_panel),
    "income": ("收入分段", income_panel),
    "visits": ("走访覆盖", visits_panel),
}


def wall_title(view: ViewContext) -> str:
    return f"{view.settings.county.name}巩固衔接推进会 · {month_label(view.month)}"


@dataclass(frozen=True)
class DataRead:
    """The data version and stamp the wall last read, and when (monotonic seconds)."""

    version: int
    as_of: str | None
    at: float


def refresh_due(last: DataRead | None, *, now: float, refresh_seconds: int) -> bool:
    """Whether the wall should read the data version again."""
    return last is None or now - last.at >= refresh_seconds


def is_stale(
    last: DataRead | None, *, failing_since: float, now: float, stale_after_minutes: int
) -> bool:
    """Whether the wall shows data older than allowed: the last good read (or, with none, the
    first failed one) lies more than ``stale_after_minutes`` back."""
    since = last.at if last is not None else failing_since
    return now - since > stale_after_minutes * 60


_DATA_READ_KEY = "wall_data_read"
_FAILING_SINCE_KEY = "wall_failing_since"


def fresh_view(
    view: ViewContext, *, now: float, settings: MeetingSettings
) -> tuple[ViewContext, bool]:
    """The view with the data version of the last read, read again every refresh_seconds (the
    wall refreshes without a page reload), and whether that data is stale."""
    last: DataRead | None = st.session_state.get(_DATA_READ_KEY)
    if refresh_due(last, now=now, refresh_seconds=settings.refresh_seconds):
        try:
            with engine_for(view.database_url).connect() as conn:
                status = data_status(conn=conn)
        except SQLAlchemyError:
            failing_since = st.session_state.setdefault(_FAILING_SINCE_KEY, now)
            stale = is_stale(
                last,
                failing_since=failing_since,
                now=now,
                stale_after_minutes=settings.stale_after_minutes,
            )
            return (view if last is None else _with_data(view, last)), stale
        last = DataRead(status.version, status.as_of, now)
        st.session_state[_DATA_READ_KEY] = last
        st.session_state.pop(_FAILING_SINCE_KEY, None)
    return _with_data(view, last), False


def _with_data(view: ViewContext, read: DataRead) -> ViewContext:
    return replace(view, data_version=read.version, data_as_of=read.as_of)


# The wall's control, mounted in the page itself (no iframe): it reports the viewport's size
# (again after a resize) and turns the wall's keys into commands — → / ← next or previous panel
# (held there), space or P pause and resume. Both reach Python as a rerun of the same session, so
# the page never reloads: the sign-in and the rotation survive. The browser sends nothing else.
WALL_CONTROL_JS = """
export default function (component) {
  const { data, setStateValue, setTriggerValue } = component;
  let known = (data && data.screen) || {};
  const report = () => {
    const size = { width: window.innerWidth, height: window.innerHeight };
    if (size.width !== known.width || size.height !== known.height) {
      known = size;
      setStateValue("screen", size);
    }
  };
  let settle = null;
  const onResize = () => {
    clearTimeout(settle);
    settle = setTimeout(report, 250);
  };
  const keys = { ArrowRight: "next", ArrowLeft: "previous", " ": "pause", p: "pause", P: "pause" };
  const onKey = (event) => {
    const command = keys[event.key];
    if (!command || event.repeat || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    event.preventDefault();
    setTriggerValue("command", command);
  };
  report();
  window.addEventListener("resize", onResize);
  document.addEventListener("keydown", onKey);
  return () => {
    clearTimeout(settle);
    window.removeEventListener("resize", onResize);
    document.removeEventListener("keydown", onKey);
  };
}
"""
_wall_control = st.components.v2.component("meeting_wall_control", js=WALL_CONTROL_JS)
_SCREEN_KEY = "wall_screen_report"


def _ignore() -> None:
    """Component values are read from its result; the callbacks only declare them."""


def wall_control() -> tuple[Screen, str | None]:
    """Mount the wall's control; the screen it reported and the key command of this run."""
    result = _wall_control(
        key="wall_control",
        data={"screen": st.session_state.get(_SCREEN_KEY)},
        on_screen_change=_ignore,
        on_command_change=_ignore,
        height=0,
    )
    report = result.get("screen")
    st.session_state[_SCREEN_KEY] = report
    command = result.get("command")
    return screen_from_report(report), command if command in COMMANDS else None
