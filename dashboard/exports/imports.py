"""The rejected rows of an import as a workbook: the row number, the cells as the user wrote them
and a 错误原因 column, so the office can correct the rows and import just those again.

Cells go through dashboard.exports.workbook, so a value such as ``=HYPERLINK(...)`` that was
imported as text comes back as text, never as a live formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dashboard.exports.workbook import Column, add_table_sheet, new_workbook, to_bytes
from data_access.importing.batch import REASON_COLUMN, ROW_COLUMN


def rejected_workbook(
    rows: Sequence[dict[str, Any]], *, kind: str, file_name: str, subtitle: str
) -> bytes:
    """One sheet: 行号, the sheet's columns in its order, 错误原因 (rows as ImportReport's
    rejected_rows or a batch's stored rows give them)."""
    headers = list(dict.fromkeys(h for row in rows for h in row))
    middle = [h for h in headers if h not in (ROW_COLUMN, REASON_COLUMN)]
    columns = [
        Column(ROW_COLUMN, 7),
        *(Column(h, 14) for h in middle),
        Column(REASON_COLUMN, 48, wrap=True),
    ]
    workbook = new_workbook()
    add_table_sheet(
        workbook,
        name="被拒绝的行",
        title=f"{kind}导入：被拒绝的行（{file_name}）",
        subtitle=subtitle,
        columns=columns,
        rows=(
            [row.get(ROW_COLUMN), *(row.get(h, "") for h in middle), row.get(REASON_COLUMN, "")]
            for row in rows
        ),
        # "说明：" marks the line as a note for the importer, should the sheet come back.
        footer="说明：改正后可直接再次导入本表（“行号”“错误原因”两列不会被导入）。",
    )
    return to_bytes(workbook)
