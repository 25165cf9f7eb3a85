"""A township's warning list as a printable workbook, for its village teams to verify."""

from __future__ import annotations

import pandas as pd

from dashboard.exports.workbook import Column, add_table_sheet, new_workbook, to_bytes

# Frame column → (header, width).
COLUMNS = {
    "id": ("预警编号", 9),
    "rule": ("预警规则", 26),
    "township": ("乡镇", 10),
    "village": ("行政村", 10),
    "code": ("户编号", 20),
    "head": ("户主", 8),
    "helper": ("帮扶责任人", 10),
    "helper_phone": ("联系电话", 13),
    "first_raised_on": ("预警日期", 11),
    "due_on": ("核实期限", 11),
    "overdue_text": ("是否逾期", 8),
    "status": ("状态", 14),
    "observed": ("预警依据", 40),
    "item_code": ("转办整改问题", 14),
}


def warning_workbook(frame: pd.DataFrame, *, title: str, subtitle: str) -> bytes:
    """The warnings of ``frame`` (warning_list rows with ``rule`` named) on one sheet."""
    table = frame.assign(overdue_text=frame["overdue"].map({True: "逾期", False: ""}))
    workbook = new_workbook()
    add_table_sheet(
        workbook,
        name="预警核实清单",
        title=title,
        subtitle=subtitle,
        columns=[
            Column(header, width=width, wrap=column == "observed")
            for column, (header, width) in COLUMNS.items()
        ],
        rows=table[list(COLUMNS)].itertuples(index=False),
        footer=f"共 {len(table):,} 条。核实后在看板“预警核实”页逐条或批量登记核实结果与说明。",
    )
    return to_bytes(workbook)
