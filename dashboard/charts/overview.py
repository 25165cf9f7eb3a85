"""Chart builders of 总览 (DataFrame in, figure out; no st.* calls)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.theme import COLORS, apply_theme


def township_rates_figure(by_township: pd.DataFrame, *, height: int = 420) -> go.Figure:
    """Register completeness and visit coverage per township, the weakest at the top.

    Expects columns name, register_rate, visit_rate (shares 0–1, NaN when no data).
    """
    ordered = by_township.assign(
        weakest=by_township[["register_rate", "visit_rate"]].min(axis=1)
    ).sort_values("weakest", ascending=False, na_position="first")
    figure = go.Figure()
    for column, label, color in (
        ("register_rate", "收支登记完整率", COLORS["secondary"]),
        ("visit_rate", "帮扶干部走访覆盖率", COLORS["primary"]),
    ):
        figure.add_bar(
            y=ordered["name"],
            x=ordered[column] * 100,
            name=label,
            orientation="h",
            marker_color=color,
            hovertemplate="%{y}<br>" + label + "：%{x:.1f}%<extra></extra>",
        )
    figure.update_layout(
        barmode="group",
        bargap=0.3,
        title={"text": "各乡镇收支登记完整率与走访覆盖率（最弱的在上）", "font": {"size": 16}},
    )
    apply_theme(figure, height=height)
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0},
        margin={"t": 36, "b": 40},
    )
    figure.update_xaxes(range=[0, 101], ticksuffix="%")
    return figure
