"""Chart builder of 预警核实 (DataFrame in, figure out; no st.* calls)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from config.settings import WARNING_GROUPS
from dashboard.charts.theme import COLORS, apply_theme, plotly_names

GROUP_COLORS = dict(
    zip(
        WARNING_GROUPS,
        (COLORS["primary"], "#ef6c00", COLORS["secondary"], COLORS["muted"]),
        strict=True,
    )
)


def pending_rate_figure(by_group: pd.DataFrame, *, height: int = 460) -> go.Figure:
    """待核实 warnings per 1,000 households of each township, stacked by group of rules, the
    highest on top. Expects columns township, households and one count column per group."""
    table = by_group.assign(
        township=plotly_names(by_group["township"]),
        total=by_group[list(WARNING_GROUPS)].sum(axis=1),
    ).sort_values("total")
    per_thousand = 1000 / table["households"].where(table["households"] > 0)
    figure = go.Figure()
    for group in WARNING_GROUPS:
        rate = table[group] * per_thousand
        figure.add_bar(
            y=table["township"],
            x=rate,
            name=group,
            orientation="h",
            marker_color=GROUP_COLORS[group],
            customdata=table[group],
            hovertemplate=(
                "%{y}<br>" + group + "：%{customdata:,} 条，每千户 %{x:.1f} 条<extra></extra>"
            ),
        )
    figure.update_layout(
        barmode="stack",
        title={"text": "各乡镇待核实预警（每千户，按规则类别）", "font": {"size": 17}},
    )
    apply_theme(figure, height=height)
    figure.update_layout(
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -0.08,
            "x": 0,
            "font": {"size": 15},
            "traceorder": "normal",
        },
        margin={"t": 40, "b": 40},
    )
    figure.update_xaxes(tickfont={"size": 14})
    figure.update_yaxes(tickfont={"size": 14}, tickmode="array", tickvals=list(table["township"]))
    return figure
