"""Countdown banner: days left to each milestone, coloured by urgency."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config.settings import RectificationSettings
from dashboard import escaping
from data_access.periods import day_label

URGENCY_COLORS = {"urgent": "#c62828", "warning": "#ef6c00", "calm": "#2e7d32"}


def urgency(days_left: int, settings: RectificationSettings) -> str:
    """'urgent', 'warning' or 'calm' by the configured day thresholds."""
    if days_left <= settings.urgent_days:
        return "urgent"
    if days_left <= settings.warning_days:
        return "warning"
    return "calm"


def countdown_html(milestones: pd.DataFrame, settings: RectificationSettings, limit: int) -> str:
    """One card per upcoming milestone (the nearest ``limit``)."""
    cards = []
    for row in milestones.head(limit).itertuples():
        color = URGENCY_COLORS[urgency(row.days_left, settings)]
        open_line = (
            f"此前到期未销号 <b>{row.open_items:,}</b> 项"
            if row.open_items
            else "此前到期的整改均已销号"
        )
        cards.append(
            f'<div class="countdown-card" style="border-top:6px solid {color}">'
            f'<div class="countdown-name">{escaping.html(row.name)}</div>'
            f'<div class="countdown-days" style="color:{color}">'
            f"{'今天' if row.days_left == 0 else f'还有 {row.days_left} 天'}</div>"
            f'<div class="countdown-meta">{day_label(row.due_on)} · {open_line}</div></div>'
        )
    return (
        "<style>"
        ".countdown-row{display:flex;gap:14px;margin:4px 0 10px 0}"
        ".countdown-card{flex:1;background:#f7f7f9;border-radius:6px;padding:8px 14px}"
        ".countdown-name{font-size:1.05rem;color:#1f2430}"
        ".countdown-days{font-size:1.9rem;font-weight:700;line-height:1.25}"
        ".countdown-meta{font-size:.9rem;color:#5f6673}"
        "</style>"
        f'<div class="countdown-row" data-testid="countdown-banner">{"".join(cards)}</div>'
    )


def render_countdown(
    milestones: pd.DataFrame, settings: RectificationSettings, limit: int = 4
) -> None:
    if milestones.empty:
        st.info("没有即将到来的时间节点。可在数据库“时间节点”中维护。")
        return
    st.html(countdown_html(milestones, settings, limit))
