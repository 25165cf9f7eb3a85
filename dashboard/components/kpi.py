"""Headline figure cards built on st.metric, with the change since last month and, under the
figure, the month or day it stands for and its basis (a card read on a projector has no
tooltip)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboard import formatting
from data_access.income.projection import year_closed
from data_access.overview import Figure


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    delta: str | None
    # True when a rise is bad news (overdue items, households below the line): the arrow turns red.
    rise_is_bad: bool
    help: str
    # The month or day the figure stands for, and its basis, in a few words ("截至11月30日").
    basis: str


def count_kpi(
    label: str, figure: Figure, *, rise_is_bad: bool, help: str, basis: str, unit: str = "户"
) -> Kpi:
    return Kpi(
        label=label,
        value=formatting.count(figure.value),
        delta=formatting.signed_count(figure.change, f" {unit}"),
        rise_is_bad=rise_is_bad,
        help=help,
        basis=basis,
    )


def rate_kpi(label: str, figure: Figure, *, help: str, basis: str) -> Kpi:
    return Kpi(
        label=label,
        value=formatting.percent(figure.value),
        delta=formatting.signed_points(figure.change),
        rise_is_bad=False,
        help=help,
        basis=basis,
    )


def full_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def on_day(day: date) -> str:
    """A card's basis for a figure counted on ``day``."""
    return f"截至{full_day(day)}"


def income_basis(month: date) -> str:
    """A card's basis for an income figure of ``month``: the year's statistics once it is closed,
    otherwise the projection from the months registered so far."""
    if year_closed(month):
        return f"{month.year}年度收入统计"
    return f"按{month.year}年1—{month.month}月登记推算全年"


def render_kpis(kpis: list[Kpi]) -> None:
    """One bordered card per figure, side by side, with the change since last month and the
    figure's basis under it."""
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        with column.container(border=True, gap=None):
            st.metric(
                kpi.label,
                kpi.value,
                delta=kpi.delta,
                delta_description="较上月" if kpi.delta else None,
                delta_color="inverse" if kpi.rise_is_bad else "normal",
                help=kpi.help,
            )
            st.caption(kpi.basis)
