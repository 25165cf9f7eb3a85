"""The briefing pack the Party secretary takes into a meeting: a summary paragraph in the
speech's register and a workbook with one printable sheet per view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from openpyxl.styles import Alignment, Font

from config.settings import Settings
from dashboard import formatting
from dashboard.exports.workbook import Column, add_table_sheet, new_workbook, to_bytes
from data_access.overview import Briefing, Figure
from data_access.periods import day_label, month_label
from data_access.rankings import rolls

PERCENT = "0.0%"


@dataclass(frozen=True)
class BriefingInputs:
    """Everything the pack shows, read by the page through the same queries as the views."""

    brief: Briefing
    townships: pd.DataFrame  # the month's township ranking (rankings.ranking)
    overdue: pd.DataFrame  # rectification.overdue_items
    bands: pd.DataFrame  # income.band_table by township, with its 合计 row
    month: date
    as_of: str


def summary_paragraph(inputs: BriefingInputs, settings: Settings) -> str:
    """ "截至X月底，全县脱贫户（含监测户）X户……" from the month's figures."""
    brief, month = inputs.brief, inputs.month
    line = settings.income.line_for(month.year)
    thresholds = "，".join(
        f"低于{threshold:,.0f}元的{formatting.count(figure.value)}户"
        for threshold, figure in sorted(brief.below_thresholds.items(), reverse=True)
    )
    found = int(brief.by_township["found"].sum())
    closed = found - int(brief.open_items.value)
    ranked = inputs.townships
    named = [(roll.title, "、".join(roll.rows["name"])) for roll in rolls(ranked, settings)]
    lists = "；".join(f"{title}：{names or '无'}" for title, names in named)
    lists = f"本月{lists}。" if any(names for _, names in named) else ""
    milestone = ""
    if not brief.milestones.empty:
        first = brief.milestones.iloc[0]
        milestone = f"距{first['name']}（{day_label(first['due_on'])}）还有{first['days_left']}天。"
    return (
        f"截至{month.month}月底，全县脱贫户（含监测户）{formatting.count(brief.households.value)}户，"
        f"其中监测户{formatting.count(brief.monitored.value)}户、"
        f"风险未消除{formatting.count(brief.at_risk.value)}户。"
        f"按已登记收支推算，{month.year}年人均纯收入低于监测收入标准{line:,.0f}元的"
        f"{formatting.count(brief.below_line.value)}户，{thresholds}，"
        f"收入不增反降{formatting.count(brief.fell.value)}户。"
        f"{month.month}月收支登记完整率{formatting.percent(brief.register_rate.value)}，"
        f"帮扶干部走访覆盖率{formatting.percent(brief.visit_rate.value)}。"
        f"整改问题{found:,}个，已销号{closed:,}个，未销号{formatting.count(brief.open_items.value)}个，"
        f"其中逾期{formatting.count(brief.overdue_items.value)}个。{lists}{milestone}"
    )


def _figure_row(label: str, figure: Figure, unit: str) -> list:
    return [label, figure.value, figure.previous, figure.change, unit]


def headline_rows(brief: Briefing, settings: Settings) -> list[list]:
    """(指标, 本月, 上月, 变化, 单位) for every figure of 总览."""
    line = settings.income.line_for(brief.month.year)
    rows = [
        _figure_row("脱贫户（含监测户）", brief.households, "户"),
        _figure_row("监测户", brief.monitored, "户"),
        _figure_row("监测户·风险未消除", brief.at_risk, "户"),
        _figure_row(f"低于监测线{line:,.0f}元", brief.below_line, "户"),
        *(
            _figure_row(f"低于{threshold:,.0f}元", figure, "户")
            for threshold, figure in sorted(brief.below_thresholds.items())
        ),
        _figure_row("收入不增反降", brief.fell, "户"),
        _figure_row("收支登记完整率", brief.register_rate, "%"),
        _figure_row("帮扶干部走访覆盖率", brief.visit_rate, "%"),
        _figure_row("整改未销号", brief.open_items, "项"),
        _figure_row("逾期未整改", brief.overdue_items, "项"),
    ]
    return rows


def briefing_workbook(inputs: BriefingInputs, settings: Settings) -> bytes:
    """Cover with the summary, then 核心指标, 红黑榜, 逾期整改, 收入分段, 走访与登记."""
    workbook = new_workbook()
    county = settings.county.name
    subtitle = f"统计月份 {month_label(inputs.month)} · 数据截至 {inputs.as_of}"

    cover = workbook.create_sheet("封面")
    cover["A1"] = f"{county}巩固拓展脱贫攻坚成果工作简报"
    cover["A1"].font = Font(size=18, bold=True)
    cover["A2"] = subtitle
    cover["A4"] = summary_paragraph(inputs, settings)
    cover["A4"].alignment = Alignment(wrap_text=True, vertical="top")
    cover.merge_cells("A4:H16")
    cover.column_dimensions["A"].width = 14
    cover.page_setup.orientation = "landscape"
    cover.page_setup.paperSize = cover.PAPERSIZE_A4

    add_table_sheet(
        workbook,
        name="核心指标",
        title=f"{county}核心指标（{month_label(inputs.month)}）",
        subtitle=subtitle + " · 率为小数格式，变化为与上月之差",
        columns=[
            Column("指标", 24),
            Column("本月", 12),
            Column("上月", 12),
            Column("变化", 12),
            Column("单位", 8),
        ],
        rows=headline_rows(inputs.brief, settings),
    )
    ranked = inputs.townships
    add_table_sheet(
        workbook,
        name="红黑榜",
        title=f"{county}乡镇排名（{month_label(inputs.month)}）",
        subtitle=subtitle,
        columns=[
            Column("名次", 6),
            Column("乡镇", 14),
            Column("综合得分", 10, "0.0"),
            Column("榜单", 8),
            Column("逾期未整改", 10),
        ],
        rows=ranked[["rank", "name", "composite", "placement", "overdue"]].itertuples(index=False),
    )
    overdue = inputs.overdue
    add_table_sheet(
        workbook,
        name="逾期整改",
        title=f"{county}逾期未整改问题",
        subtitle=subtitle,
        columns=[
            Column("问题编号", 15),
            Column("责任乡镇", 10),
            Column("责任村", 10),
            Column("责任单位", 16, wrap=True),
            Column("问题类别", 18, wrap=True),
            Column("问题描述", 46, wrap=True),
            Column("整改时限", 11),
            Column("逾期天数", 9),
        ],
        rows=overdue[
            [
                "code",
                "township",
                "village",
                "unit",
                "category",
                "description",
                "deadline",
                "days_overdue",
            ]
        ].itertuples(index=False),
    )
    bands = inputs.bands
    band_columns = [column for column in bands.columns if column not in ("township_id", "name")]
    add_table_sheet(
        workbook,
        name="收入分段",
        title=f"{county}推算全年人均纯收入分段（户）",
        subtitle=subtitle,
        columns=[
            Column("乡镇", 12),
            *(Column("合计户数" if c == "households" else c, 13) for c in band_columns),
        ],
        rows=bands[["name", *band_columns]].itertuples(index=False),
    )
    by_township = inputs.brief.by_township
    add_table_sheet(
        workbook,
        name="走访与登记",
        title=f"{county}各乡镇收支登记与走访（{month_label(inputs.month)}）",
        subtitle=subtitle,
        columns=[
            Column("乡镇", 12),
            Column("总户数", 9),
            Column("按时登记", 9),
            Column("登记完整率", 11, PERCENT),
            Column("有帮扶干部户数", 13),
            Column("已走访", 9),
            Column("走访覆盖率", 11, PERCENT),
        ],
        rows=by_township[
            [
                "name",
                "households",
                "registered",
                "register_rate",
                "assigned",
                "visited",
                "visit_rate",
            ]
        ].itertuples(index=False),
    )
    return to_bytes(workbook)
