"""Render helpers of 收入监测: the speech's headline line, the "两个高于" cards, the band table's
column formats and its click-through."""

from __future__ import annotations

import streamlit as st

from dashboard import escaping, formatting
from data_access.income.growth import GrowthCheck
from data_access.income.summary import IncomeGrowth, IncomeHeadline, IncomeSources

# The "no filter" option of the household list's selectboxes (None would show streamlit's
# English placeholder instead of an option).
ALL = "all"
PASS_COLORS = {True: "#2e7d32", False: "#c62828", None: "#5f6673"}


def headline_sentence(headline: IncomeHeadline, *, emphasis: tuple[str, str] = ("", "")) -> str:
    """The speech's words: "收入不增反降 X 户，低于 7500 元 Y 户，低于 4500 元 Z 户" (thresholds
    from config, highest first); ``emphasis`` wraps each number (e.g. in HTML tags)."""
    before, after = emphasis
    parts = [f"收入不增反降 {before}{headline.fell:,}{after} 户"]
    parts += [
        f"低于 {threshold:g} 元 {before}{count:,}{after} 户"
        for threshold, count in sorted(headline.below.items(), reverse=True)
    ]
    return "，".join(parts)


def headline_html(headline: IncomeHeadline, *, line: float, year: int) -> str:
    """The headline sentence large, with the below-the-line count and the "no data" note."""
    drop = (
        f"，平均每人少 {headline.fell_mean_drop:,.0f} 元"
        if headline.fell_mean_drop is not None
        else ""
    )
    no_data = (
        f"；{headline.no_data:,} 户今年尚无足够登记、也没有年度收入，暂无法推算（不计为零收入）"
        if headline.no_data
        else ""
    )
    return (
        "<style>"
        ".income-headline{font-size:1.9rem;font-weight:700;color:#1f2430;line-height:1.35}"
        ".income-headline b{color:#c62828}"
        ".income-subline{font-size:1.1rem;color:#3c4350;margin-top:2px}"
        ".income-subline b{color:#c62828}"
        "</style>"
        '<div class="income-headline" data-testid="income-headline">'
        f"{headline_sentence(headline, emphasis=('<b>', '</b>'))}</div>"
        '<div class="income-subline" data-testid="income-subline">'
        f"推算全年人均纯收入低于{year}年监测收入标准 {line:,.0f} 元的 "
        f"<b>{headline.below_line:,}</b> 户（共 {headline.households:,} 户）；"
        f"收入不增反降指推算全年人均纯收入低于上年{drop}{no_data}。</div>"
    )


def sources_sentence(sources: IncomeSources, *, year: int) -> str:
    """Which households' figures stand on registers, on an imported annual figure (年度收入) or
    on nothing, this year and last (the methodology line under the headline)."""
    this, last = sources.this_year, sources.last_year
    return (
        f"收入依据：{year}年按收支登记推算 {formatting.count(this.registers)} 户、"
        f"按导入的年度收入 {formatting.count(this.annual)} 户、"
        f"无数据 {formatting.count(this.none)} 户；"
        f"{year - 1}年按年度收入 {formatting.count(last.annual)} 户、"
        f"按 12 个月收支登记合计 {formatting.count(last.registers)} 户、"
        f"未知 {formatting.count(last.none)} 户（上年未知的户不计入收入不增反降）。"
    )


def render_growth_checks(checks: list[GrowthCheck], *, growth: IncomeGrowth, year: int) -> None:
    """One line per "高于" comparison: both figures and 达标/未达标, or what is missing."""
    st.markdown(f"**“两个高于”**（{year}年，增速 %）")
    for check in checks:
        if check.passed is None:
            verdict, detail = "无法判断", f"缺少{year}年数据：{'、'.join(check.missing)}"
        else:
            verdict = "达标" if check.passed else "未达标"
            detail = (
                f"{check.left_label} {check.left:.1f}% "
                f"{'>' if check.passed else '≤'} {check.right_label} {check.right:.1f}%"
            )
        color = PASS_COLORS[check.passed]
        st.html(
            f'<div data-testid="growth-check" style="border-left:6px solid {color};'
            f'background:#f7f7f9;border-radius:4px;padding:6px 12px;margin-bottom:8px">'
            f'<div style="font-size:1.05rem;font-weight:600">{escaping.html(check.name)}'
            f'<span style="float:right;color:{color}">{verdict}</span></div>'
            f'<div style="font-size:.95rem;color:#3c4350">{escaping.html(detail)}</div></div>'
        )
    if growth.this_year is not None and growth.last_year is not None:
        st.caption(
            f"脱贫户（含监测户）人均纯收入：今年推算 {growth.this_year:,.0f} 元，"
            f"上年 {growth.last_year:,.0f} 元（{growth.households:,} 户两年均有数据，按人口加权）。"
            "对比指标由县统计部门每年录入。"
        )
    else:
        st.caption("没有两年均有收入数据的农户，无法计算脱贫户收入增速。")


def band_column_config(band_labels: list[str], *, shares: bool) -> dict:
    """Column formats of the band table: counts, or shares as percentages."""
    config: dict = {"name": st.column_config.TextColumn("名称")}
    for label in band_labels:
        config[label] = st.column_config.NumberColumn(
            label, format="percent" if shares else "localized"
        )
    config["households"] = st.column_config.NumberColumn("户数", format="localized")
    return config


def chosen(value: object) -> object:
    """A selectbox value as a filter: None for ALL."""
    return None if value == ALL else value


def apply_band_selection(
    *, table_key: str, ids: list[int], bands: dict[str, int], grouping: str
) -> None:
    """Callback of the band table: the clicked cell becomes the household list's filters.

    A cell of the 合计 row (id 0) keeps the place filters; a cell of the 户数 or 名称 column
    keeps the band open.
    """
    cells = st.session_state[table_key].selection.cells
    if not cells:
        return
    row, column = cells[0]
    if 0 <= row < len(ids) and ids[row] != 0:
        st.session_state[f"income-{grouping}"] = ids[row]
    st.session_state["income-band"] = bands.get(column, ALL)
    st.session_state["income-page"] = 1
