"""Chart builders of the 红黑榜 (DataFrame in, figure out; no st.* calls)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import escaping
from dashboard.charts.theme import apply_theme
from data_access.rankings import Indicator

# One colour per indicator, in the catalogue's order, so neighbouring segments stay
# distinguishable.
INDICATOR_COLORS = {
    "registers": "#1565c0",
    "visits": "#00897b",
    "tours": "#7cb342",
    "rectification": "#f9a825",
    "income_line": "#8e24aa",
    "income_growth": "#d81b60",
    "meetings": "#6d4c41",
    "warnings": "#00acc1",
    "entry": "#5e35b1",
}


def contributions_figure(
    ranked: pd.DataFrame, *, indicators: tuple[Indicator, ...], name_column: str = "name"
) -> go.Figure:
    """Each entity's composite as stacked contributions of ``indicators`` (those the composite
    weighs), best at the top: the reason for every rank at a glance. Circular points are drawn
    as their own segment (negative to the left of zero)."""
    ordered = ranked.iloc[::-1]
    # Names as plotly text; the hovers show them through %{y}, never inside a template.
    labels = [
        f"{rank}. {escaping.plotly(name)}"
        for rank, name in zip(ordered["rank"], ordered[name_column], strict=True)
    ]
    figure = go.Figure()
    for indicator in indicators:
        figure.add_bar(
            y=labels,
            x=ordered[f"{indicator.key}_points"],
            name=indicator.label,
            orientation="h",
            marker_color=INDICATOR_COLORS[indicator.key],
            customdata=ordered[f"{indicator.key}_rate"] * 100,
            hovertemplate="%{y}<br>"
            + indicator.label
            + "：%{customdata:.1f}%，得 %{x:.1f} 分<extra></extra>",
        )
    figure.add_bar(
        y=labels,
        x=ordered["circular_points"],
        name="通报加减分",
        orientation="h",
        marker_color="#9e9e9e",
        hovertemplate="%{y}<br>通报加减分：%{x:+.1f}<extra></extra>",
    )
    figure.update_layout(barmode="relative", bargap=0.25)
    apply_theme(figure, height=max(320, 30 * len(ordered) + 110))
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "font": {"size": 13}},
        margin={"t": 50},
    )
    figure.update_xaxes(
        title_text="综合得分（各项贡献之和）",
        range=[min(0, ordered["circular_points"].min() - 2), 105],
    )
    figure.update_yaxes(tickfont={"size": 14}, tickmode="array", tickvals=labels)
    return figure


def rank_trend_figure(history: pd.DataFrame, townships: list[str]) -> go.Figure:
    """Rank per month of the chosen townships (rank 1 at the top)."""
    figure = go.Figure()
    total = int(history["rank"].max()) if not history.empty else 1
    for name in townships:
        rows = history[history["name"] == name].sort_values("month")
        figure.add_scatter(
            x=[f"{month.year}年{month.month}月" for month in rows["month"]],
            y=rows["rank"],
            # The stored name is the trace's (escaped) name, read by the hover as data: put into
            # the template it would be read as markup and %{…} placeholders.
            name=escaping.plotly(name),
            mode="lines+markers",
            line={"width": 3},
            marker={"size": 9},
            hovertemplate="%{fullData.name}<br>%{x}：第 %{y} 名<extra></extra>",
        )
    apply_theme(figure, height=460)
    figure.update_yaxes(autorange=False, range=[total + 0.5, 0.5], dtick=1, title_text="名次")
    figure.update_xaxes(tickfont={"size": 13})
    return figure
