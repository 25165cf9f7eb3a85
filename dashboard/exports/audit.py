"""The audit log, as filtered on /admin, as a printable workbook."""

from __future__ import annotations

import json

import pandas as pd

from dashboard.exports.workbook import Column, add_table_sheet, new_workbook, to_bytes

AUDIT_SHEET_COLUMNS = [
    Column("时间", 19),
    Column("用户", 14),
    Column("操作", 14),
    Column("对象", 28, wrap=True),
    Column("行数", 8),
    Column("详情", 40, wrap=True),
]


def detail_text(detail: object) -> str:
    """The JSON detail of an entry as one readable line ("" when there is none)."""
    if not detail:
        return ""
    return json.dumps(detail, ensure_ascii=False, sort_keys=True)


def audit_workbook(entries: pd.DataFrame, *, county: str, filters_text: str) -> bytes:
    """One sheet: the entries (columns of data_access.audit.AUDIT_COLUMNS) newest first."""
    workbook = new_workbook()
    rows = [
        [
            record["at"],
            record["username"],
            record["action"],
            record["target"],
            None if pd.isna(record["rows"]) else int(record["rows"]),
            detail_text(record["detail"]),
        ]
        for record in entries.to_dict("records")
    ]
    add_table_sheet(
        workbook,
        name="审计日志",
        title=f"{county}衔接督导看板 审计日志",
        subtitle=filters_text,
        columns=AUDIT_SHEET_COLUMNS,
        rows=rows,
        footer=f"共 {len(rows)} 条",
    )
    return to_bytes(workbook)
