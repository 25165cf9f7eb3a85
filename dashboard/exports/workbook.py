"""Printable Excel sheets (openpyxl): title, as-of line, bold bordered header, A4 landscape.

Every export of the app goes through ``add_table_sheet`` so all of them print alike, and every
text cell beginning with = + - @ is stored as a string cell, so a value like ``=HYPERLINK(...)``
from a ledger is shown as text, never evaluated by Excel (formula injection).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@")
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", start_color="E8EAED")


@dataclass(frozen=True)
class Column:
    title: str
    width: float = 12
    number_format: str | None = None
    wrap: bool = False


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def add_table_sheet(
    workbook: Workbook,
    *,
    name: str,
    title: str,
    subtitle: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    footer: str | None = None,
) -> Worksheet:
    """A sheet: title row, subtitle row, header on row 3 (repeated on every printed page)."""
    sheet = workbook.create_sheet(name[:31])
    width = len(columns)
    sheet.cell(row=1, column=1, value=title).font = Font(size=15, bold=True)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=2, column=1, value=subtitle).font = Font(size=10, color="5F6673")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=3, column=index, value=column.title)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    row_number = 3
    for row_number, values in enumerate(rows, start=4):
        for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = sheet.cell(row=row_number, column=index, value=_cell_value(value))
            if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"  # openpyxl would store it as a formula
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=column.wrap)
            if column.number_format:
                cell.number_format = column.number_format
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    if footer:
        sheet.cell(row=row_number + 2, column=1, value=footer)
    sheet.freeze_panes = "A4"
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    return sheet


def new_workbook() -> Workbook:
    """An empty workbook (openpyxl starts with one default sheet, removed here)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def to_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
