"""The 会议大屏: panels for a wall projector, the rotation rule and the full-screen style.

Every panel shows county aggregates only — townships, units and counts; never a household, a
person's name or an inspection target — so the screen can face a full meeting room. Panels read
through the published scope (all townships, no personal data), whatever the viewer's filter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboard import formatting
from dashboard.charts.rankings import contributions_figure
from dashboard.charts.theme import apply_theme
from dashboard.charts.visits_map import coverage_deck, legend_entries
from dashboard.components.countdown import countdown_html
from dashboard.components.honour_roll import PANEL_STYLE, roll_html
from dashboard.context import ViewContext
from dashboard.data import engine_for
from data_access.income import NO_DATA_BAND, band_counts, band_labels, income_headline
from data_access.overview import Briefing, Figure, briefing, townships_in_scope
from data_access.periods import month_label
from data_access.rankings import Level, rank_reason, ranking
from data_access.status import data_status
from data_access.visits import DUTIES, township_outlines, village_coverage, with_coverage

# Full screen: no sidebar, no Streamlit header or toolbar, large type for reading at 8 m.
MEETING_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] {display:none}
.block-container {padding: 1.2rem 2.4rem 0 2.4rem; max-width: 100%}
[data-testid="stMainBlockContainer"] h1 {font-size: 2.6rem}
.page-stamp {font-size: 1.25rem}
.wall-tiles {display:grid; gap: 18px}
.wall-tile {background:#f4f5f7; border-radius:10px; padding:22px 26px;
           border-left:10px solid #9aa0a6}
.wall-tile .label {font-size:1.7rem; color:#1f2430}
.wall-tile .value {font-size:5.2rem; font-weight:800; line-height:1.2}
.wall-tile .note {font-size:1.35rem; color:#3c4250}
.wall-line {font-size:2.3rem; font-weight:700; margin:6px 0 14px 0}
.wall-line b {color:#c62828}
.wall-progress {display:flex; gap:10px; align-items:center; font-size:1.2rem; color:#5f6673}
.wall-progress span.dot {width:18px; height:18px; border-radius:50%; background:#cfd4da}
.wall-progress span.on {background:#b71c1c}
.roll h3 {font-size:2.2rem !important}
.roll-name {font-size:2.3rem !important}
.roll-score, .roll-rank {font-size:1.9rem !important}
.roll-reason {font-size:1.35rem !important}
.countdown-name {font-size:1.6rem !important}
.countdown-days {font-size:3rem !important}
.countdown-meta {font-size:1.3rem !important}
</style>
"""
TONES = {"bad": "#c62828", "good": "#2e7d32", "plain": "#1f2430"}


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    note: str
    # "bad" paints the value red (a number that must come down), "good" green, "plain" ink.
    tone: str = "plain"


def tiles_html(tiles: list[Tile], *, columns: int = 4) -> str:
    cells = "".join(
        f'<div class="wall-tile" style="border-left-color:{TONES[t.tone]}">'
        f'<div class="label">{escape(t.label)}</div>'
        f'<div class="value" style="color:{TONES[t.tone]}">{escape(t.value)}</div>'
        f'<div class="note">{escape(t.note)}</div></div>'
        for t in tiles
    )
    return (
        f'<div class="wall-tiles" style="grid-template-columns:repeat({columns}, 1fr)">'
        f"{cells}</div>"
    )


def panel_index(
    count: int, *, start: int, elapsed_seconds: float, seconds_per_panel: int, paused: bool
) -> int:
    """Which panel is on the wall: ``start``, then the next one every ``seconds_per_panel``."""
    if paused:
        return start % count
    return (start + int(elapsed_seconds // seconds_per_panel)) % count


def progress_html(titles: list[str], index: int, *, paused: bool, seconds: int) -> str:
    dots = "".join(
        f'<span class="dot{" on" if position == index else ""}" title="{escape(title)}"></span>'
        for position, title in enumerate(titles)
    )
    state = "已暂停（去掉网址中的 pause 参数恢复轮播）" if paused else f"每 {seconds} 秒切换"
    return (
        f'<div class="wall-progress" data-testid="wall-progress" data-index="{index}">{dots}'
        f"<span>第 {index + 1}/{len(titles)} 屏 · {escape(titles[index])} · {state}</span></div>"
    )


def _change_note(change: float | None, unit: str) -> str:
    text = formatting.signed_count(change, f" {unit}")
    return "较上月 —" if text is None else ("较上月持平" if text == "0" else f"较上月 {text}")


def _points_note(change: float | None) -> str:
    text = formatting.signed_points(change)
    return "较上月 —" if text is None else ("较上月持平" if text == "0" else f"较上月 {text}")


def _briefing(view: ViewContext) -> Briefing:
    return view.fetch(
        briefing,
        scope=view.published_scope,
        month=view.month,
        today=view.today,
        settings=view.settings,
    )


def count_tile(label: str, figure: Figure, unit: str) -> Tile:
    """A count that should come down, with its change since last month."""
    return Tile(label, formatting.count(figure.value), _change_note(figure.change, unit), "bad")


def rate_tile(label: str, figure: Figure) -> Tile:
    """A share that should go up, with its change in percentage points."""
    return Tile(label, formatting.percent(figure.value), _points_note(figure.change), "good")


def overview_tiles(brief: Briefing, *, line: float) -> list[Tile]:
    """The eight figures of 总览, as wall tiles."""
    thresholds = sorted(brief.below_thresholds.items())
    low_threshold, low = thresholds[0]
    return [
        Tile("脱贫户（含监测户）", formatting.count(brief.households.value), "户"),
        count_tile("监测户·风险未消除", brief.at_risk, "户"),
        count_tile(f"低于监测线 {line:,.0f} 元", brief.below_line, "户"),
        count_tile(f"低于 {low_threshold:,.0f} 元", low, "户"),
        count_tile("收入不增反降", brief.fell, "户"),
        rate_tile("收支登记完整率", brief.register_rate),
        rate_tile("帮扶干部走访覆盖率", brief.visit_rate),
        Tile(
            "逾期未整改",
            formatting.count(brief.overdue_items.value),
            f"未销号共 {formatting.count(brief.open_items.value)} 项",
            "bad",
        ),
    ]


def overview_panel(view: ViewContext) -> None:
    brief = _briefing(view)
    line = view.settings.income.line_for(view.month.year)
    st.html(MEETING_CSS + countdown_html(brief.milestones, view.settings.rectification, 4))
    st.html(MEETING_CSS + tiles_html(overview_tiles(brief, line=line)))


def rankings_panel(view: ViewContext) -> None:
    ranked = view.fetch(
        ranking,
        scope=view.published_scope,
        month=view.month,
        settings=view.settings,
        level=Level.TOWNSHIP,
    )
    red = ranked[ranked["placement"] == "红榜"]
    black = ranked[ranked["placement"] == "黑榜"].iloc[::-1]
    left, right = st.columns(2)
    left.html(
        PANEL_STYLE
        + MEETING_CSS
        + roll_html(
            "红榜", red.assign(reason=[rank_reason(r, strongest=True) for _, r in red.iterrows()])
        )
    )
    right.html(
        PANEL_STYLE
        + MEETING_CSS
        + roll_html(
            "黑榜",
            black.assign(reason=[rank_reason(r, strongest=False) for _, r in black.iterrows()]),
        )
    )
    figure = contributions_figure(ranked)
    figure.update_layout(height=470, font={"size": 17}, legend={"font": {"size": 17}})
    figure.update_yaxes(tickfont={"size": 18})
    st.plotly_chart(figure, width="stretch", config={"displayModeBar": False, "staticPlot": True})


def _wall_layout(figure: go.Figure, *, height: int) -> None:
    """Large type, the legend under the plot so it never runs into the title."""
    apply_theme(figure, height=height)
    figure.update_layout(
        font={"size": 18},
        margin={"t": 56, "b": 70},
        legend={"font": {"size": 18}, "orientation": "h", "y": -0.1, "yanchor": "top"},
    )


def overdue_figure(by_township: pd.DataFrame) -> go.Figure:
    """Open and overdue rectification items per township, most overdue at the top."""
    ordered = by_township.sort_values(["overdue", "open"]).tail(12)
    figure = go.Figure()
    figure.add_bar(
        y=ordered["name"],
        x=ordered["overdue"],
        name="逾期未整改",
        orientation="h",
        marker_color="#c62828",
        text=ordered["overdue"],
        textposition="inside",
        textangle=0,
        textfont={"size": 18},
    )
    figure.add_bar(
        y=ordered["name"],
        x=ordered["open"] - ordered["overdue"],
        name="未到期未销号",
        orientation="h",
        marker_color="#9aa0a6",
    )
    figure.update_layout(
        barmode="stack", title={"text": "各乡镇未销号整改问题", "font": {"size": 24}}
    )
    _wall_layout(figure, height=560)
    figure.update_yaxes(tickfont={"size": 20})
    return figure


def rectification_panel(view: ViewContext) -> None:
    brief = _briefing(view)
    st.html(MEETING_CSS + countdown_html(brief.milestones, view.settings.rectification, 4))
    tiles_column, chart_column = st.columns([2, 3])
    tiles_column.html(
        MEETING_CSS
        + tiles_html(
            [
                count_tile("整改未销号", brief.open_items, "项"),
                count_tile("逾期未整改", brief.overdue_items, "项"),
            ],
            columns=1,
        )
    )
    chart_column.plotly_chart(
        overdue_figure(brief.by_township),
        width="stretch",
        config={"displayModeBar": False, "staticPlot": True},
    )


def income_bands_figure(
    counts: pd.DataFrame, names: pd.DataFrame, labels: dict[int, str]
) -> go.Figure:
    """Households below 10,000 yuan per township by band (the tail the assessment looks at)."""
    merged = counts.merge(names, on="township_id")
    low_bands = [band for band in sorted(labels) if band != NO_DATA_BAND][:3]
    colors = ["#7f0000", "#c62828", "#ef9a9a"]
    totals = merged[merged["band"].isin(low_bands)].groupby("name")["households"].sum()
    order = list(totals.sort_values().index)[-12:]
    figure = go.Figure()
    for band, color in zip(low_bands, colors, strict=False):
        rows = merged[merged["band"] == band].groupby("name")["households"].sum()
        figure.add_bar(
            y=order,
            x=[int(rows.get(name, 0)) for name in order],
            name=labels[band],
            orientation="h",
            marker_color=color,
        )
    figure.update_layout(
        barmode="stack",
        title={"text": "各乡镇低收入户（按推算全年人均纯收入）", "font": {"size": 24}},
    )
    _wall_layout(figure, height=600)
    figure.update_yaxes(tickfont={"size": 20})
    return figure


def income_panel(view: ViewContext) -> None:
    income = view.settings.income
    year = view.month.year
    headline = view.fetch(
        income_headline, scope=view.published_scope, month=view.month, settings=income
    )
    below = "，".join(
        f"低于 {threshold:,.0f} 元 <b>{count:,}</b> 户"
        for threshold, count in sorted(headline.below.items(), reverse=True)
    )
    line = f"{income.line_for(year):,.0f}"
    st.html(
        MEETING_CSS + f'<div class="wall-line">收入不增反降 <b>{headline.fell:,}</b> 户，{below}；'
        f"低于{year}年监测线 {line} 元 <b>{headline.below_line:,}</b> 户</div>"
    )
    counts = view.fetch(band_counts, scope=view.published_scope, month=view.month, settings=income)
    names = view.fetch(townships_in_scope, scope=view.published_scope)
    st.plotly_chart(
        income_bands_figure(counts, names, band_labels(settings=income, year=year)),
        width="stretch",
        config={"displayModeBar": False, "staticPlot": True},
    )


def visits_panel(view: ViewContext) -> None:
    """The county map coloured by the 帮扶干部 monthly duty, with a large legend."""
    duty = DUTIES[0]
    coverage = view.fetch(
        village_coverage,
        scope=view.published_scope,
        month=view.month,
        settings=view.settings.visits,
    )
    outlines = view.fetch(township_outlines, scope=view.published_scope)
    villages = with_coverage(coverage, duty)
    map_column, legend_column = st.columns([4, 1])
    map_column.pydeck_chart(coverage_deck(villages, outlines, height=780), height=780)
    swatches = "".join(
        f'<div style="display:flex;align-items:center;gap:12px;margin:10px 0;font-size:1.5rem">'
        f'<span style="width:26px;height:26px;border-radius:50%;background:{color};'
        f'border:2px solid #cfd8dc"></span>{escape(label)}</div>'
        for label, color in legend_entries()
    )
    visited, covered = int(villages["visited"].sum()), int(villages["covered"].sum())
    legend_column.html(
        MEETING_CSS
        + f'<div style="font-size:1.7rem;font-weight:700">{escape(duty.label)}覆盖率</div>'
        + swatches
        + f'<div class="wall-tile" style="margin-top:18px"><div class="label">全县</div>'
        f'<div class="value">{formatting.percent(visited / covered if covered else None)}</div>'
        f'<div class="note">{covered - visited:,} 户本月未走访</div></div>'
    )


PANELS: dict[str, tuple[str, Callable[[ViewContext], None]]] = {
    "overview": ("核心指标", overview_panel),
    "rankings": ("红黑榜", rankings_panel),
    "rectification": ("整改倒计时与逾期", rectification_panel),
    "income": ("收入分段", income_panel),
    "visits": ("走访覆盖", visits_panel),
}


def wall_title(view: ViewContext) -> str:
    return f"{view.settings.county.name}巩固衔接推进会 · {month_label(view.month)}"


def fresh_view(view: ViewContext, *, now: float) -> tuple[ViewContext, bool]:
    """The view with the data version read again (the wall refreshes without a page reload),
    and whether the data is stale: unreadable for longer than the configured minutes."""
    try:
        with engine_for(view.database_url).connect() as conn:
            status = data_status(conn=conn)
    except SQLAlchemyError:
        last = st.session_state.get("wall_refreshed_at", now)
        st.session_state.setdefault("wall_refreshed_at", last)
        return view, now - last > view.settings.meeting.stale_after_minutes * 60
    st.session_state["wall_refreshed_at"] = now
    return replace(view, data_version=status.version, data_as_of=status.as_of), False


KEYBOARD_SCRIPT = """
<script>
// Keys on the wall's keyboard: → / ← next or previous panel (paused there), space or P pause
// and resume. The panel order comes from the page; the current panel from the progress bar.
const host = window.parent;
const panels = __PANELS__;
if (host.__wallKeys) host.document.removeEventListener("keydown", host.__wallKeys);
host.__wallKeys = (event) => {
  const bar = host.document.querySelector('[data-testid="wall-progress"]');
  const index = bar ? Number(bar.dataset.index) : 0;
  const url = new URL(host.location.href);
  const paused = url.searchParams.get("pause") === "1";
  let next = null;
  if (event.key === "ArrowRight") next = (index + 1) % panels.length;
  if (event.key === "ArrowLeft") next = (index + panels.length - 1) % panels.length;
  if (next !== null) {
    url.searchParams.set("panel", panels[next]);
    url.searchParams.set("pause", "1");
  } else if (event.key === " " || event.key === "p" || event.key === "P") {
    url.searchParams.set("panel", panels[index]);
    if (paused) url.searchParams.delete("pause"); else url.searchParams.set("pause", "1");
  } else {
    return;
  }
  event.preventDefault();
  host.location.search = url.search;
};
host.document.addEventListener("keydown", host.__wallKeys);
</script>
"""


def keyboard_script(playlist: list[str]) -> str:
    return KEYBOARD_SCRIPT.replace("__PANELS__", json.dumps(playlist))
