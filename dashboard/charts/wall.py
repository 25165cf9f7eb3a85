"""Figure builders of the 会议大屏 (plotly): the 红黑榜 contributions, overdue rectification and
income bands, laid out for the wall's screen (dashboard.meeting.screen)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard import escaping
from dashboard.charts.rankings import contributions_figure
from dashboard.charts.theme import apply_theme, plotly_names
from dashboard.meeting.screen import (
    AXIS_FONT,
    AXIS_SPACE,
    CHART_FONT,
    DESIGN_LIST_SIZE,
    MAX_BAR,
    MIN_ROW_PITCH,
    RANKING_CHART_HEIGHT,
    ROLL_ROW_HEIGHT,
    SMALL_COUNT,
    TICK_FONT,
    TITLE_FONT,
    Screen,
)
from dashboard.meeting.tiles import (
    INK,
)
from data_access.income.projection import NO_DATA_BAND
from data_access.rankings import Indicator


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
            f'<span><i style="background:{trace.marker.color}"></i>'
            f"{escaping.html(trace.name)}</span>"
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
    ranked: pd.DataFrame,
    *,
    indicators: tuple[Indicator, ...],
    rows: int,
    screen: Screen,
    height: int,
) -> list[go.Figure]:
    """The 红黑榜 contributions chart in one or two columns (see ranking_columns), on one scale."""
    columns = ranking_columns(len(ranked), rows)
    low = min(0.0, float(ranked["circular_points"].min()) - 2)
    figures = []
    for places in columns:
        figure = contributions_figure(
            ranked.iloc[places.start : places.stop], indicators=indicators
        )
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
    return _overdue_bars(
        by_township,
        total="open",
        labels=("逾期未整改", "未到期未销号"),
        title="各乡镇未销号整改问题",
        rows=rows,
        screen=screen,
        height=height,
    )


def warnings_figure(
    by_township: pd.DataFrame, *, rows: int, screen: Screen, height: int
) -> go.Figure:
    """Pending 预警 of the ``rows`` townships with most overdue, split into overdue and within
    their deadline, most at the top. Expects columns name, pending, overdue."""
    return _overdue_bars(
        by_township,
        total="pending",
        labels=("逾期未核实", "期限内待核实"),
        title="各乡镇待核实预警",
        rows=rows,
        screen=screen,
        height=height,
    )


def _overdue_bars(
    by_township: pd.DataFrame,
    *,
    total: str,
    labels: tuple[str, str],
    title: str,
    rows: int,
    screen: Screen,
    height: int,
) -> go.Figure:
    """The ``overdue`` part of each township's ``total`` in red, the rest in grey, the ``rows``
    townships with most overdue at the top."""
    ordered = (
        by_township.sort_values(["overdue", total])
        .tail(rows)
        .assign(name=lambda frame: plotly_names(frame["name"]))
    )
    overdue_label, rest_label = labels
    figure = go.Figure()
    figure.add_bar(
        y=ordered["name"],
        x=ordered["overdue"],
        name=overdue_label,
        orientation="h",
        marker_color="#c62828",
        text=ordered["overdue"],
        textposition="inside",
        textangle=0,
        textfont={"size": screen.px(CHART_FONT)},
    )
    figure.add_bar(
        y=ordered["name"],
        x=ordered[total] - ordered["overdue"],
        name=rest_label,
        orientation="h",
        marker_color="#9aa0a6",
    )
    figure.update_layout(barmode="stack", title={"text": title})
    _wall_layout(
        figure,
        screen=screen,
        height=height,
        rows=len(ordered),
        largest=float(ordered[total].max()) if len(ordered) else 0.0,
    )
    return figure


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
            y=[escaping.plotly(name) for name in order],
            x=[int(households.get(name, 0)) for name in order],
            name=labels[band],
            orientation="h",
            marker_color=color,
        )
    figure.update_layout(barmode="stack", title={"text": "各乡镇低收入户（按推算全年人均纯收入）"})
    largest = float(totals[order].max()) if order else 0.0
    _wall_layout(figure, screen=screen, height=height, rows=len(order), largest=largest)
    return figure
