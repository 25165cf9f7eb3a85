"""The month's 红黑榜 as a printable workbook: townships, units, and how they were scored."""

from __future__ import annotations

from datetime import date

import pandas as pd

from config.settings import Settings
from dashboard.exports.workbook import Column, add_table_sheet, new_workbook, to_bytes
from data_access.periods import month_label
from data_access.rankings import INDICATOR_DEFINITIONS, methodology_rows

PERCENT = "0.0%"
POINTS = "0.0"


def _ranking_columns(entity: str, settings: Settings) -> list[Column]:
    columns = [Column("名次", 6), Column("较上月", 7), Column(entity, 22, wrap=True)]
    columns += [Column("综合得分", 9, POINTS), Column("榜单", 7)]
    for indicator in INDICATOR_DEFINITIONS:
        columns += [
            Column(indicator.label_for(settings), 10, PERCENT),
            Column("得分贡献", 8, POINTS),
        ]
    columns += [
        Column("通报加减分", 9, POINTS),
        Column("逾期未整改", 9),
        Column("数据缺项", 14, wrap=True),
    ]
    return columns


def _ranking_rows(ranked: pd.DataFrame, change_labels: list[str]) -> list[list]:
    rows = []
    for record, change in zip(ranked.to_dict("records"), change_labels, strict=True):
        row = [record["rank"], change, record["name"], record["composite"], record["placement"]]
        for indicator in INDICATOR_DEFINITIONS:
            row += [record[f"{indicator.key}_rate"], record[f"{indicator.key}_points"]]
        incomplete = "、".join(
            i.label for i in INDICATOR_DEFINITIONS if i.key in record["incomplete"]
        )
        row += [record["circular_points"], record["overdue"], incomplete]
        rows.append(row)
    return rows


def ranking_workbook(
    *,
    townships: pd.DataFrame,
    township_changes: list[str],
    units: pd.DataFrame,
    unit_changes: list[str],
    settings: Settings,
    month: date,
    as_of: str,
) -> bytes:
    """Three sheets: 乡镇排名, 帮扶单位排名, 计分方法; the numbers are those on the page."""
    workbook = new_workbook()
    subtitle = f"统计月份 {month_label(month)} · 数据截至 {as_of}"
    county = settings.county.name
    add_table_sheet(
        workbook,
        name="乡镇排名",
        title=f"{county}巩固衔接工作乡镇排名（{month_label(month)}）",
        subtitle=subtitle,
        columns=_ranking_columns("乡镇", settings),
        rows=_ranking_rows(townships, township_changes),
        footer="制表单位：                审核人：                日期：",
    )
    add_table_sheet(
        workbook,
        name="帮扶单位排名",
        title=f"{county}帮扶单位排名（{month_label(month)}）",
        subtitle=subtitle,
        columns=_ranking_columns("帮扶单位", settings),
        rows=_ranking_rows(units, unit_changes),
        footer="制表单位：                审核人：                日期：",
    )
    add_table_sheet(
        workbook,
        name="计分方法",
        title="计分方法（按当前配置生成）",
        subtitle=subtitle,
        columns=[Column("项目", 18), Column("说明", 90, wrap=True)],
        rows=methodology_rows(settings, month),
    )
    return to_bytes(workbook)
