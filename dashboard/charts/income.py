"""Chart builders of 收入监测 (DataFrame in, figure out; no st.* calls)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.theme import COLORS, apply_theme, plotly_names

TYPE_COLORS = {"脱贫户": COLORS["secondary"], "监测户": "#ef6c00"}
SOURCE_LABELS = {
    "wage": ("工资性收入", COLORS["secondary"]),
    "business": ("经营净收入", COLORS["teal"]),
    "property": ("财产性收入", "#8e24aa"),
    "transfer": ("转移性收入", "#ef6c00"),
}


def pooled_histogram(histogram: pd.DataFrame, *, cap: float) -> pd.DataFrame:
    """Buckets at or above ``cap`` pooled into the ``cap`` bucket, so a long right tail does not
    squeeze the part of the distribution the line is about (pure)."""
    pooled = histogram.assign(bucket=histogram["bucket"].clip(upper=cap))
    return pooled.groupby(["bucket", "household_type"], as_index=False)["households"].sum()


def income_histogram_figure(
    histogram: pd.DataFrame,
    *,
    edges: tuple[float, ...],
    line: float,
    bin_width: float,
    cap: float,
    height: int = 420,
) -> go.Figure:
    """Households by projected per-capita income, stacked by household type, with the monitoring
    line (red) and the other band edges (grey) drawn and labelled.

    ``histogram`` has columns bucket (lower edge), household_type, households; buckets at or
    above ``cap`` are pooled into one bar labelled "≥ cap".
    """
    pooled = pooled_histogram(histogram, cap=cap)
    figure = go.Figure()
    for household_type, color in TYPE_COLORS.items():
        rows = pooled[pooled["household_type"] == household_type]
        ranges = [
            f"{lower:,.0f}元及以上" if lower >= cap else f"{lower:,.0f}–{lower + bin_width:,.0f}元"
            for lower in rows["bucket"]
        ]
        figure.add_bar(
            x=rows["bucket"] + bin_width / 2,
            y=rows["households"],
            width=bin_width * 0.92,
            name=household_type,
            marker_color=color,
            customdata=ranges,
            hovertemplate="%{customdata}<br>" + household_type + "：%{y:,} 户<extra></extra>",
        )
    figure.update_layout(barmode="stack", bargap=0)
    for edge in edges:
        is_line = edge == line
        figure.add_vline(
            x=edge,
            line_color=COLORS["primary"] if is_line else "#5f6673",
            line_width=3 if is_line else 1.5,
            line_dash="solid" if is_line else "dash",
        )
        # The line's label sits on a row of its own above the others: the line and its
        # neighbouring edges can be a hundred yuan apart (7,400 and 7,500).
        figure.add_annotation(
            x=edge,
            y=1.0,
            yref="paper",
            yanchor="bottom",
            yshift=22 if is_line else 2,
            text=f"监测线 {edge:,.0f}" if is_line else f"{edge:,.0f}",
            showarrow=False,
            font={
                "size": 15 if is_line else 13,
                "color": COLORS["primary"] if is_line else "#5f6673",
            },
        )
    apply_theme(figure, height=height)
    figure.update_layout(
        margin={"t": 56, "b": 50},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
    )
    lowest = min(0.0, float(pooled["bucket"].min()) if len(pooled) else 0.0)
    ticks = [float(tick) for tick in range(int(lowest), int(cap) + 1, 5000)]
    figure.update_xaxes(
        title_text="推算全年人均纯收入（元）",
        range=[lowest, cap + 2.5 * bin_width],
        tickmode="array",
        tickvals=ticks,
        ticktext=[f"≥{tick:,.0f}" if tick >= cap else f"{tick:,.0f}" for tick in ticks],
    )
    log = _skewed(pooled)
    figure.update_yaxes(
        title_text="户数（对数刻度）" if log else "户数", type="log" if log else "linear"
    )
    return figure


def _skewed(pooled: pd.DataFrame) -> bool:
    """A log scale when the tail would be invisible next to the bulk (a few households below the
    line against thousands above)."""
    per_bucket = pooled.groupby("bucket")["households"].sum()
    return bool(len(per_bucket)) and per_bucket.max() > 50 * max(per_bucket.min(), 1)


def income_structure_figure(shares: pd.DataFrame, *, height: int = 480) -> go.Figure:
    """Shares of wage, net business, property and transfer income per row, stacked to 100 %.

    ``shares`` has columns name and wage, business, property, transfer (0–1); rows are drawn
    top to bottom in the given order.
    """
    # Names as plotly text, for the ticks and the hover alike.
    ordered = shares.iloc[::-1].assign(name=lambda frame: plotly_names(frame["name"]))
    figure = go.Figure()
    for column, (label, color) in SOURCE_LABELS.items():
        figure.add_bar(
            y=ordered["name"],
            x=ordered[column] * 100,
            name=label,
            orientation="h",
            marker_color=color,
            text=[f"{value:.0%}" if value >= 0.05 else "" for value in ordered[column]],
            textposition="inside",
            insidetextanchor="middle",
            hovertemplate="%{y}<br>" + label + "：%{x:.1f}%<extra></extra>",
        )
    figure.update_layout(barmode="relative")
    apply_theme(figure, height=height)
    figure.update_layout(
        margin={"t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
    )
    figure.update_xaxes(ticksuffix="%", range=[0, 100])
    figure.update_yaxes(tickmode="array", tickvals=list(ordered["name"]))
    return figure
