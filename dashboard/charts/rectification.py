"""Chart builders of 整改进度 (DataFrame in, figure out; no st.* calls)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from dashboard import escaping
from dashboard.charts.theme import COLORS, apply_theme, plotly_names

CLOSED_COLOR = COLORS["good"]
OPEN_COLOR = "#f9a825"
OVERDUE_COLOR = COLORS["primary"]


def progress_figure(progress: pd.DataFrame, *, title: str, height: int | None = None) -> go.Figure:
    """Closed, open and overdue items per group as stacked bars, the lowest share closed on top.

    Expects ``rectification.progress_by`` (name, total, closed, open, overdue, closed_share).
    """
    # Plotly draws the first category at the bottom: reverse so the weakest group is on top.
    # Names as plotly text, for the ticks and the hover alike.
    ordered = progress.iloc[::-1].assign(name=lambda frame: plotly_names(frame["name"]))
    figure = go.Figure()
    for column, label, color in (
        ("closed", "已销号", CLOSED_COLOR),
        ("in_time", "未销号·未逾期", OPEN_COLOR),
        ("overdue", "逾期未销号", OVERDUE_COLOR),
    ):
        values = ordered["open"] - ordered["overdue"] if column == "in_time" else ordered[column]
        figure.add_bar(
            y=ordered["name"],
            x=values,
            name=label,
            orientation="h",
            marker_color=color,
            hovertemplate="%{y}<br>" + label + "：%{x} 项<extra></extra>",
        )
    figure.add_scatter(
        y=ordered["name"],
        x=ordered["total"],
        mode="text",
        text=[f"  {share:.0%}" for share in ordered["closed_share"]],
        textposition="middle right",
        textfont={"size": 14},
        hoverinfo="skip",
        showlegend=False,
    )
    figure.update_layout(barmode="stack", title={"text": title, "font": {"size": 17}})
    apply_theme(figure, height=height or max(260, 34 * len(ordered) + 110))
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "font": {"size": 14}},
        margin={"t": 70, "r": 50},
    )
    figure.update_xaxes(title_text="整改问题（项）", range=[0, ordered["total"].max() * 1.12 + 1])
    figure.update_yaxes(
        tickfont={"size": 14}, tickmode="array", tickvals=list(ordered["name"]), automargin=True
    )
    return figure


def burndown_figure(
    history: pd.DataFrame,
    target: pd.DataFrame,
    pace: pd.DataFrame,
    *,
    today: date,
    height: int = 430,
) -> go.Figure:
    """Open items so far, the 倒排工期 target line through the milestones and the line at the
    current closing pace; each milestone is marked with its name.

    ``history`` is ``open_items_history``, ``target`` is ``target_line``, ``pace`` is
    ``pace_line``.
    """
    figure = go.Figure()
    figure.add_scatter(
        x=history["day"],
        y=history["open"],
        name="实际未销号",
        mode="lines",
        line={"color": COLORS["secondary"], "width": 3},
        hovertemplate="%{x|%m月%d日}：%{y} 项未销号<extra></extra>",
    )
    figure.add_scatter(
        x=target["day"],
        y=target["open"],
        name="倒排目标（节点前到期的须清零）",
        mode="lines+markers",
        line={"color": COLORS["good"], "width": 2, "dash": "dash"},
        marker={"size": 9},
        hovertemplate="%{x|%m月%d日}：目标不超过 %{y} 项<extra></extra>",
    )
    figure.add_scatter(
        x=pace["day"],
        y=pace["open"],
        name="按近期销号速度",
        mode="lines",
        line={"color": OVERDUE_COLOR, "width": 2, "dash": "dot"},
        hovertemplate="%{x|%m月%d日}：预计 %{y:.0f} 项未销号<extra></extra>",
    )
    top = max(history["open"].max(), target["open"].max()) * 1.15 + 1
    for milestone in target.iloc[1:].itertuples():
        figure.add_shape(
            type="line",
            x0=milestone.day,
            x1=milestone.day,
            y0=0,
            y1=top,
            line={"color": COLORS["muted"], "width": 1, "dash": "dot"},
        )
        figure.add_annotation(
            x=milestone.day,
            y=top,
            text=escaping.plotly(milestone.name),
            showarrow=False,
            yanchor="bottom",
            font={"size": 13, "color": "#5f6673"},
        )
    figure.add_shape(
        type="line",
        x0=today,
        x1=today,
        y0=0,
        y1=top,
        line={"color": "#1f2430", "width": 1},
    )
    figure.update_layout(title={"text": "未销号问题燃尽图", "font": {"size": 17}})
    apply_theme(figure, height=height)
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.1, "x": 0, "font": {"size": 14}},
        margin={"t": 70, "b": 50},
    )
    figure.update_xaxes(tickformat="%m月%d日", tickfont={"size": 13})
    figure.update_yaxes(title_text="未销号（项）", range=[0, top * 1.08], tickfont={"size": 13})
    return figure
