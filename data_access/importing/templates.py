"""The template workbook of each kind: title row, the header (the contract), an instruction row,
drop-down lists for fixed values, text format for codes, and a sheet explaining the rules."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from data_access.importing.base import Kind

HEADER_ROW = 2
NOTE_ROW = 3
FIRST_DATA_ROW = 4
# Drop-down lists and text format reach this far down the sheet.
LAST_TEMPLATE_ROW = 5000
NOTE_PREFIX = "填写说明："
_HEADER_FILL = PatternFill("solid", start_color="E8EAED")
_NOTE_FILL = PatternFill("solid", start_color="FFF8E1")


def template_workbook(kind: Kind, *, county: str) -> bytes:
    """The .xlsx template of ``kind`` as bytes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = kind.label
    width = len(kind.fields)
    title = sheet.cell(row=1, column=1, value=f"{county}{kind.label}导入模板")
    title.font = Font(size=14, bold=True)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for index, field in enumerate(kind.fields, start=1):
        letter = get_column_letter(index)
        header = sheet.cell(row=HEADER_ROW, column=index, value=field.title)
        header.font = Font(bold=True, color="B00020" if field.required else "000000")
        header.fill = _HEADER_FILL
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        note_text = field.note + (f"（可选：{'、'.join(field.options)}）" if field.options else "")
        note = sheet.cell(
            row=NOTE_ROW,
            column=index,
            value=(NOTE_PREFIX + note_text) if index == 1 else note_text,
        )
        note.font = Font(size=9, italic=True, color="5F6673")
        note.fill = _NOTE_FILL
        note.alignment = Alignment(vertical="top", wrap_text=True)
        sheet.column_dimensions[letter].width = field.width
        cells = f"{letter}{FIRST_DATA_ROW}:{letter}{LAST_TEMPLATE_ROW}"
        if field.text_format:
            # Codes and 身份证号 typed into a text column keep every digit.
            sheet.column_dimensions[letter].number_format = "@"
        if field.options:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(field.options) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="请从列表中选择",
                error=f"{field.title}应为：{'、'.join(field.options)}",
            )
            validation.add(cells)
            sheet.add_data_validation(validation)
    sheet.row_dimensions[NOTE_ROW].height = 60
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    _add_rules_sheet(workbook, kind)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _add_rules_sheet(workbook: Workbook, kind: Kind) -> None:
    rules = workbook.create_sheet("填写规则")
    lines = [
        (f"{kind.label}：{kind.summary}",),
        (
            f"唯一标识（自然键）：{kind.natural_key}。再次导入同一行只会更新或保持不变，不会重复新增。",
        ),
        ("表头文字是导入约定：列的顺序可以调整，可以多出其他列（不导入），必填列不能缺少。",),
        ("日期可写 2026-07-10、2026/7/10、2026.7.10 或 2026年7月10日；数字可带千分位逗号。",),
        ("户编号、身份证号等长数字请保持文本格式，否则 Excel 会丢失末几位数字，该行将被拒绝。",),
        (),
        ("列名", "是否必填", "说明", "可选值"),
        *(
            (
                field.title,
                "必填" if field.required else "选填",
                field.note,
                "、".join(field.options),
            )
            for field in kind.fields
        ),
    ]
    for line in lines:
        rules.append(line)
    header_row = lines.index(("列名", "是否必填", "说明", "可选值")) + 1
    for cell in rules[header_row]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (18, 10, 60, 40), strict=True):
        rules.column_dimensions[letter].width = width
