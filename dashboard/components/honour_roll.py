"""红榜 and 黑榜 panels, large enough to project."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import escaping
from data_access.rankings import Indicator, Roll, rank_reason

PANEL_STYLE = (
    "<style>"
    ".roll{border-radius:8px;padding:10px 18px 12px 18px;height:100%}"
    ".roll h3{margin:0 0 6px 0;font-size:1.45rem}"
    ".roll-row{display:flex;align-items:baseline;gap:14px;padding:5px 0;"
    "border-top:1px solid rgba(0,0,0,.08)}"
    ".roll-rank{font-size:1.3rem;font-weight:700;width:2.2em}"
    ".roll-name{font-size:1.55rem;font-weight:700;min-width:5.5em}"
    ".roll-score{font-size:1.3rem;font-weight:600;min-width:4.2em}"
    ".roll-reason{font-size:1rem;color:#3c4250}"
    "</style>"
)
TONES = {
    "红榜": ("#fdecea", "#b71c1c"),
    "黑榜": ("#eceff1", "#212121"),
    "绿灯": ("#e8f5e9", "#1b5e20"),
    "红灯": ("#fdecea", "#c62828"),
}


def roll_html(title: str, rows: pd.DataFrame) -> str:
    """One panel; ``rows`` has rank, name, composite and reason columns."""
    background, ink = TONES[title]
    items = "".join(
        f'<div class="roll-row"><span class="roll-rank" style="color:{ink}">{row.rank}</span>'
        f'<span class="roll-name">{escaping.html(str(row.name))}</span>'
        f'<span class="roll-score">{row.composite:.1f} 分</span>'
        f'<span class="roll-reason">{escaping.html(row.reason)}</span></div>'
        for row in rows.itertuples()
    )
    return (
        f'<div class="roll" style="background:{background}" data-testid="roll-{title}">'
        f'<h3 style="color:{ink}">{title}</h3>{items}</div>'
    )


def reasoned(roll: Roll, indicators: tuple[Indicator, ...]) -> pd.DataFrame:
    """The roll's rows with the reason behind each place (strengths or shortfalls)."""
    return roll.rows.assign(
        reason=[
            rank_reason(row, indicators=indicators, strongest=roll.strongest)
            for _, row in roll.rows.iterrows()
        ]
    )


def render_rolls(rolls: tuple[Roll, Roll], indicators: tuple[Indicator, ...]) -> None:
    """The two lists side by side (红榜 and 黑榜, or the green and red lights)."""
    for column, roll in zip(st.columns(2), rolls, strict=True):
        column.html(PANEL_STYLE + roll_html(roll.title, reasoned(roll, indicators)))


def placements_html(ranked: pd.DataFrame, *, mode: str) -> str:
    """One line naming the townships on each list (or under each light), best first."""
    if mode == "traffic_light":
        groups = [("绿灯", "#2e7d32", "绿"), ("黄灯", "#ef6c00", "黄"), ("红灯", "#c62828", "红")]
    else:
        groups = [("红榜", "#b71c1c", "红榜"), ("黑榜", "#212121", "黑榜")]
    parts = []
    for title, color, placement in groups:
        names = ranked[ranked["placement"] == placement]["name"]
        if placement == "黑榜":
            names = names.iloc[::-1]
        listed = "、".join(escaping.html(name) for name in names) or "无"
        parts.append(f'<span style="color:{color};font-weight:700">{title}</span>　{listed}')
    return (
        '<div data-testid="placements" style="font-size:1.15rem;margin:2px 0 6px 0">'
        + "　　".join(parts)
        + '　<a href="./rankings" target="_self" style="font-size:.95rem">查看红黑榜 →</a></div>'
    )


def render_placements(ranked: pd.DataFrame, *, mode: str) -> None:
    st.html(placements_html(ranked, mode=mode))
