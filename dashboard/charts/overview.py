"""Chart builders of 总览 (DataFrame in, figure out; no st.* calls)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.theme import COLORS, apply_theme, plotly_names

SERIES = (
    ("register_rate", "收支登记完整率", COLORS["secondary"], "circle"),
    ("visit_rate", "帮扶干部走访覆盖率", COLORS["teal"], "diamond"),
)


def township_rates_figure(by_township: pd.DataFrame, *, height: int = 400) -> go.Figure:
    """Register completeness and visit coverage per township as a dot plot, the weakest on top.

    One row per township keeps 18 townships legible from across a room, where grouped bars would
    be 36 slivers. Expects columns name, register_rate, visit_rate (shares 0–1, NaN = no data).
    """
    weakest = by_township[["register_rate", "visit_rate"]].min(axis=1)
    # Names as plotly text, for the ticks and the hover alike.
    ordered = by_township.assign(
        name=plotly_names(by_township["name"]), weakest=weakest
    ).sort_values("weakest", ascending=False, na_position="first")
    figure = go.Figure()
    # A grey bar from the weaker to the stronger figure makes each row read as one unit.
    figure.add_bar(
        y=ordered["name"],
        x=(ordered[["register_rate", "visit_rate"]].max(axis=1) - ordered["weakest"]) * 100,
        base=ordered["weakest"] * 100,
        orientation="h",
        marker_color="#dfe3e8",
        width=0.18,
        hoverinfo="skip",
        showlegend=False,
    )
    for column, label, color, symbol in SERIES:
        figure.add_scatter(
            y=ordered["name"],
            x=ordered[column] * 100,
            name=label,
            mode="markers",
            marker={"color": color, "size": 13, "symbol": symbol},
            hovertemplate="%{y}<br>" + label + "：%{x:.1f}%<extra></extra>",
        )
    figure.update_layout(
        title={"text": "各乡镇收支登记完整率与走访覆盖率（最弱的在上）", "font": {"size": 17}},
    )
    apply_theme(figure, height=height)
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.07, "x": 0, "font": {"size": 15}},
        margin={"t": 40, "b": 40},
    )
    figure.update_xaxes(ticksuffix="%", tickfont={"size": 14}, range=[_lower_bound(ordered), 101])
    # Every township labelled: plotly would otherwise skip every other name at this size.
    figure.update_yaxes(tickfont={"size": 14}, tickmode="array", tickvals=list(ordered["name"]))
    return figure


def _lower_bound(frame: pd.DataFrame) -> float:
    """Start the axis a little below the weakest figure, so differences at the top are visible."""
    lowest = frame[["register_rate", "visit_rate"]].min().min()
    if pd.isna(lowest):
        return 0.0
    return max(0.0, (lowest * 100 // 10) * 10 - 5)
