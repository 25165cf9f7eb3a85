"""Shared look of the plotly charts: CJK-capable local fonts, quiet grid, the app's colours."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import escaping

FONT_FAMILY = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
COLORS = {
    "primary": "#b71c1c",
    "secondary": "#1565c0",
    "teal": "#00897b",
    "muted": "#9aa0a6",
    "good": "#2e7d32",
}


def plotly_names(names: pd.Series) -> pd.Series:
    """Stored names as plotly text (escaping.plotly), missing ones left missing: a frame's label
    column goes through this before the figure is built, so its ticks and hovers agree."""
    return names.map(escaping.plotly, na_action="ignore")


def apply_theme(figure: go.Figure, *, height: int) -> go.Figure:
    figure.update_layout(
        height=height,
        font={"family": FONT_FAMILY, "size": 14, "color": "#1f2430"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
        paper_bgcolor="white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    figure.update_xaxes(gridcolor="#eceff1", zeroline=False)
    figure.update_yaxes(gridcolor="#eceff1", zeroline=False)
    return figure
