"""Headline figure cards built on st.metric, with the change since last month."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard import formatting
from data_access.overview import Figure


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    delta: str | None
    # True when a rise is bad news (overdue items, households below the line): the arrow turns red.
    rise_is_bad: bool
    help: str


def count_kpi(label: str, figure: Figure, *, rise_is_bad: bool, help: str, unit: str = "户") -> Kpi:
    return Kpi(
        label=label,
        value=formatting.count(figure.value),
        delta=formatting.signed_count(figure.change, f" {unit}"),
        rise_is_bad=rise_is_bad,
        help=help,
    )


def rate_kpi(label: str, figure: Figure, *, help: str) -> Kpi:
    return Kpi(
        label=label,
        value=formatting.percent(figure.value),
        delta=formatting.signed_points(figure.change),
        rise_is_bad=False,
        help=help,
    )


def render_kpis(kpis: list[Kpi]) -> None:
    """One bordered card per figure, side by side, with the change since last month."""
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        column.metric(
            kpi.label,
            kpi.value,
            delta=kpi.delta,
            delta_description="较上月" if kpi.delta else None,
            delta_color="inverse" if kpi.rise_is_bad else "normal",
            border=True,
            help=kpi.help,
        )
