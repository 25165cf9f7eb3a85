"""The 走访覆盖 lists as printable Excel workbooks, one list per file so each goes to whoever acts
on it (the lowest villages to townships, the cadres to their units).

Every list is a frame of data_access.visits with the columns named in its ListSpec; the sheet
shows them in that order under Chinese headers. Cadre names are officials acting in office and are
shown; households never appear in these lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.exports.workbook import Column, add_table_sheet, new_workbook, to_bytes

PERCENT = "0.0%"
COUNT = "#,##0"


@dataclass(frozen=True)
class ListSpec:
    key: str
    sheet: str
    title: str
    # frame column → (header, width in characters, number format or None for text).
    columns: dict[str, tuple[str, int, str | None]]
    unit: str


def lowest_villages(unit: str) -> ListSpec:
    """The villages of a duty, lowest share first; its counts in ``unit`` (户, or 人户 for a
    遍访: data_access.visits.Duty.unit)."""
    return ListSpec(
        "lowest-villages",
        "覆盖率最低的村",
        "走访覆盖率最低的村",
        {
            "township": ("乡镇", 10, None),
            "village": ("行政村", 10, None),
            "covered": (f"应走访{unit}数", 10, COUNT),
            "visited": (f"已走访{unit}数", 10, COUNT),
            "unvisited": (f"未走访{unit}数", 10, COUNT),
            "coverage": ("覆盖率", 9, PERCENT),
            "never_visited": ("本年无人走访户数", 14, COUNT),
        },
        "个村",
    )


MISSED_CADRES = ListSpec(
    "missed-cadres",
    "未走访到户的帮扶干部",
    "本月未走访全部联系户的帮扶干部（按帮扶单位）",
    {
        "unit": ("帮扶单位", 22, None),
        "cadre": ("帮扶干部", 10, None),
        "township": ("联系户所在乡镇", 13, None),
        "assigned": ("联系户数", 9, COUNT),
        "unvisited": ("本月未走访户数", 13, COUNT),
    },
    "人次",
)
MISSING_MEETINGS = ListSpec(
    "missing-meetings",
    "未形成会议记录的村",
    "本月防返贫动态监测专题研究会无记录的村",
    {
        "township": ("乡镇", 10, None),
        "village": ("行政村", 10, None),
        "status": ("情况", 18, None),
        "held_on": ("召开日期", 12, "yyyy-mm-dd"),
    },
    "个村",
)
LEADERS_BEHIND = ListSpec(
    "leaders-behind",
    "遍访进度滞后的乡镇领导",
    "遍访进度落后于时序进度的乡镇领导",
    {
        "township": ("乡镇", 10, None),
        "cadre": ("姓名", 9, None),
        "role": ("职务", 12, None),
        "households": ("本乡镇户数", 10, COUNT),
        "visited": ("本年已走访户数", 13, COUNT),
        "share": ("遍访进度", 9, PERCENT),
        "expected": ("时序进度", 9, PERCENT),
    },
    "人",
)
TOWNSHIP_SUMMARY = ListSpec(
    "township-summary",
    "乡镇汇总",
    "各乡镇走访覆盖率",
    {
        "township": ("乡镇", 10, None),
        "villages": ("村数", 6, COUNT),
        "households": ("户数", 8, COUNT),
        "helper_rate": ("帮扶干部走访", 12, PERCENT),
        "village_tour_rate": ("驻村工作队与村支书遍访", 18, PERCENT),
        "township_tour_rate": ("乡镇领导遍访", 12, PERCENT),
        "grid_rate": ("网格员走访", 11, PERCENT),
        "never_visited": ("本年无人走访户数", 14, COUNT),
    },
    "个乡镇",
)


def list_workbook(frame: pd.DataFrame, spec: ListSpec, *, title: str, subtitle: str) -> bytes:
    """An .xlsx of ``frame``'s columns named in ``spec`` (workbook's printable layout); an
    unknown share is written "无数据", never a blank that reads as zero."""
    table = frame[list(spec.columns)].astype(object)
    for column, (_, _, number_format) in spec.columns.items():
        unknown = "无数据" if number_format == PERCENT else None
        table[column] = table[column].where(frame[column].notna(), unknown)
    workbook = new_workbook()
    add_table_sheet(
        workbook,
        name=spec.sheet,
        title=title,
        subtitle=subtitle,
        columns=[
            Column(header, width=width, number_format=number_format)
            for header, width, number_format in spec.columns.values()
        ],
        rows=table.itertuples(index=False),
        footer=f"共 {len(table):,} {spec.unit}",
    )
    return to_bytes(workbook)
