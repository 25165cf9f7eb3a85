"""The 整改台账 as an Excel workbook ready to print on A4 landscape and sign."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from data_access.rectification import LEDGER_COLUMNS

# Characters widths chosen so the twelve columns fill one A4 landscape page at fit-to-width.
COLUMN_WIDTHS = {
    "seq": 6,
    "source": 11,
    "category": 14,
    "description": 34,
    "township": 9,
    "village": 9,
    "unit": 13,
    "responsible_person": 8,
    "measure": 30,
    "deadline": 11,
    "status": 8,
    "closed_on": 11,
}
SIGNATURE_LINE = "填报人：                    审核人：                    日期："
HEADER_ROW = 3  # title, subtitle, header
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
# Text a spreadsheet program could take for a formula when the cell is edited or re-imported.
_FORMULA_STARTS = ("=", "+", "-", "@")


def ledger_workbook(ledger: pd.DataFrame, *, county: str, as_of: date, filters_text: str) -> bytes:
    """The ledger rows (``rectification.ledger_items``) in the standard 台账 columns: a title
    row with the county and the as-of date, a line saying which filters apply, bold bordered
    header repeated on every printed page, wrapped text, and the signature line at the bottom.
    """
    book = Workbook()
    sheet = book.active
    sheet.title = "整改台账"
    keys = list(LEDGER_COLUMNS)
    last_column = get_column_letter(len(keys))

    sheet.append([f"{county}巩固拓展脱贫攻坚成果问题整改台账"])
    sheet.merge_cells(f"A1:{last_column}1")
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 30
    sheet.append([f"截至 {as_of:%Y年%m月%d日}　共 {len(ledger)} 项　{filters_text}"])
    sheet.merge_cells(f"A2:{last_column}2")
    _text_cell(sheet["A2"])

    sheet.append(list(LEDGER_COLUMNS.values()))
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    body = Alignment(vertical="top", wrap_text=True)
    # Cells addressed by number: sheet.max_row and sheet[row] scan every cell written so far,
    # which makes a 3,000-row ledger take many seconds.
    for row_number, row in enumerate(ledger[keys].itertuples(index=False), start=HEADER_ROW + 1):
        for column_number, value in enumerate(row, start=1):
            cell = sheet.cell(row_number, column_number, _excel_value(value))
            cell.border = _BORDER
            cell.alignment = body
            if isinstance(cell.value, str):
                _text_cell(cell)
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"

    signature_row = HEADER_ROW + len(ledger) + 2
    sheet.cell(signature_row, 1, SIGNATURE_LINE)
    sheet.merge_cells(f"A{signature_row}:{last_column}{signature_row}")
    sheet.row_dimensions[signature_row].height = 28

    for index, key in enumerate(keys, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS[key]
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _excel_value(value: object) -> object:
    """Missing values as empty cells (pandas gives NaN/NaT/None for an empty 销号日期)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


def _text_cell(cell: Cell) -> None:
    """Keep text as text: openpyxl turns a string starting with '=' into a formula, and a
    description like '=1+1' or '-3户' must print as written, never be evaluated."""
    if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
