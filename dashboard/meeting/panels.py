"""The panels of the 会议大屏, each a county aggregate read through the published scope (no
household, no person's name, no inspection target)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import escaping, formatting
from dashboard.charts.visits_map import coverage_deck, legend_entries
from dashboard.charts.wall import (
    income_bands_figure,
    legend_html,
    overdue_figure,
    ranking_layout,
    wall_contributions_figures,
    warnings_figure,
)
from dashboard.components.countdown import countdown_html
from dashboard.components.honour_roll import PANEL_STYLE, reasoned, roll_html
from dashboard.context import ViewContext
from dashboard.meeting.screen import (
    INCOME_CHART_HEIGHT,
    MAP_HEIGHT,
    MAP_LABEL_SIZE,
    MAP_SHARE,
    MEETING_CSS,
    OVERDUE_CHART_HEIGHT,
    PAGE_PADDING,
    PLOT,
    Screen,
)
from dashboard.meeting.tiles import (
    Tile,
    count_tile,
    overview_tiles,
    tiles_html,
)
from data_access.income.bands import band_counts, band_labels
from data_access.income.summary import income_headline
from data_access.overview import Briefing, briefing, townships_in_scope
from data_access.periods import month_label
from data_access.rankings import Level, ranking, rolls, weighed_indicators
from data_access.visits import DUTIES, township_outlines, village_coverage, with_coverage
from data_access.warnings.store import by_rule_and_township, headline, township_table


def _briefing(view: ViewContext) -> Briefing:
    return view.fetch(
        briefing,
        scope=view.published_scope,
        month=view.month,
        today=view.reporting_date,
        settings=view.settings,
    )


def overview_panel(view: ViewContext, screen: Screen) -> None:
    brief = _briefing(view)
    line = view.settings.income.line_for(view.month.year)
    st.html(MEETING_CSS + countdown_html(brief.milestones, view.settings.rectification, 4))
    st.html(
        MEETING_CSS
        + f'<div class="wall-overview">{tiles_html(overview_tiles(brief, line=line))}</div>'
    )


def rankings_panel(view: ViewContext, screen: Screen) -> None:
    ranked = view.fetch(
        ranking,
        scope=view.published_scope,
        month=view.month,
        settings=view.settings,
        level=Level.TOWNSHIP,
    )
    indicators = weighed_indicators(view.settings)
    for column, roll in zip(st.columns(2), rolls(ranked, view.settings), strict=True):
        column.html(PANEL_STYLE + MEETING_CSS + roll_html(roll.title, reasoned(roll, indicators)))
    height, rows = ranking_layout(
        list_size=view.settings.rankings.list_size, chart_rows=view.settings.meeting.chart_rows
    )
    figures = wall_contributions_figures(
        ranked, indicators=indicators, rows=rows, screen=screen, height=screen.fill(height)
    )
    st.html(MEETING_CSS + legend_html(figures[0]))
    for column, figure in zip(st.columns(len(figures)), figures, strict=True):
        column.plotly_chart(figure, width="stretch", config=PLOT)


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
        f'<div class="wall-legend"><span style="background:{color}"></span>'
        f"{escaping.html(label)}</div>"
        for label, color in legend_entries()
    )
    visited, covered = int(villages["visited"].sum()), int(villages["covered"].sum())
    legend_column.html(
        MEETING_CSS
        + f'<div class="wall-legend-title">{escaping.html(duty.label)}覆盖率</div>'
        + '<div class="wall-legend-note">每个圆点为一个村</div>'
        + swatches
        + f'<div class="wall-tile narrow"><div class="label">全县</div>'
        f'<div class="value">{formatting.percent(visited / covered if covered else None)}</div>'
        f'<div class="note">{covered - visited:,} 户本月未走访</div></div>'
    )


def warnings_panel(view: ViewContext, screen: Screen) -> None:
    """预警核实: counts per township only (no household, no name)."""
    warnings = view.settings.warnings
    today = view.reporting_date
    head = view.fetch(headline, scope=view.published_scope, today=today, settings=warnings)
    counts = view.fetch(
        by_rule_and_township, scope=view.published_scope, today=today, settings=view.settings
    )
    by_township = township_table(counts).rename(columns={"township": "name"})
    tiles_column, chart_column = st.columns([2, 3])
    tiles_column.html(
        MEETING_CSS
        + tiles_html(
            [
                Tile("待核实预警", formatting.count(head.pending), "条", "bad"),
                Tile("逾期未核实", formatting.count(head.overdue), "条", "bad"),
                Tile("应纳未纳疑似", formatting.count(head.should_monitor), "户", "bad"),
            ],
            columns=1,
        )
    )
    figure = warnings_figure(
        by_township,
        rows=view.settings.meeting.chart_rows,
        screen=screen,
        height=screen.fill(OVERDUE_CHART_HEIGHT),
    )
    chart_column.plotly_chart(figure, width="stretch", config=PLOT)
    chart_column.html(MEETING_CSS + legend_html(figure))


PANELS: dict[str, tuple[str, Callable[[ViewContext, Screen], None]]] = {
    "overview": ("核心指标", overview_panel),
    "rankings": ("红黑榜", rankings_panel),
    "rectification": ("整改倒计时与逾期", rectification_panel),
    "income": ("收入分段", income_panel),
    "visits": ("走访覆盖", visits_panel),
    "warnings": ("预警核实", warnings_panel),
}


def wall_title(view: ViewContext) -> str:
    return f"{view.settings.county.name}巩固衔接推进会 · {month_label(view.month)}"
