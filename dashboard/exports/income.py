"""The 收入监测 household list as a table for the screen and as a printable Excel workbook.

Both take household_list's frame, whose names and 身份证号 are already masked in SQL for viewers
without the right to personal data: nothing here can unmask them.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.exports.workbook import Column, add_table_sheet, new_workbook, to_bytes

# household_list column → (header, width in characters, number format or None for text).
HOUSEHOLD_COLUMNS: dict[str, tuple[str, int, str | None]] = {
    "township": ("乡镇", 10, None),
    "village": ("行政村", 10, None),
    "head_name": ("户主", 8, None),
    "head_id_number": ("身份证号", 21, None),
    "household_type": ("户类型", 8, None),
    "members": ("人口", 6, "0"),
    "months": ("已登记月数", 10, "0"),
    "ytd_per_capita": ("今年已登记人均", 13, "#,##0"),
    "projected_per_capita": ("推算全年人均", 13, "#,##0"),
    "last_year_per_capita": ("上年人均", 11, "#,##0"),
    "change_per_capita": ("较上年增减", 11, "+#,##0;-#,##0;0"),
    "band": ("收入区间", 15, None),
    "cadre": ("帮扶干部", 9, None),
    "unit": ("帮扶单位", 18, None),
}
MONEY = ["ytd_per_capita", "projected_per_capita", "last_year_per_capita", "change_per_capita"]
NO_DATA = "无数据"


def household_table(frame: pd.DataFrame, *, band_labels: dict[int, str]) -> pd.DataFrame:
    """household_list's frame with band labels, money rounded to yuan, Chinese headers, in the
    order of HOUSEHOLD_COLUMNS (pure)."""
    table = frame.assign(band=frame["band"].map(band_labels))
    table[MONEY] = table[MONEY].round(0)
    table = table[list(HOUSEHOLD_COLUMNS)]
    return table.rename(columns={key: spec[0] for key, spec in HOUSEHOLD_COLUMNS.items()})


def household_workbook(
    table: pd.DataFrame, *, title: str, subtitle: str, generated_on: date, masked: bool
) -> bytes:
    """An .xlsx of household_table's frame, ready to print (dashboard.exports.workbook's layout:
    title, 数据截至 line, header repeated on every page, A4 landscape); unknown money is
    "无数据", never a blank that reads as zero."""
    specs = {spec[0]: spec for spec in HOUSEHOLD_COLUMNS.values()}
    columns = [
        Column(header, width=specs[header][1], number_format=specs[header][2])
        for header in table.columns
    ]
    money = {HOUSEHOLD_COLUMNS[key][0] for key in MONEY} & set(table.columns)
    filled = table.astype(object).where(table.notna(), None)
    for header in money:
        filled[header] = filled[header].where(filled[header].notna(), NO_DATA)
    note = f"{subtitle}　导出日期 {generated_on:%Y-%m-%d}"
    workbook = new_workbook()
    add_table_sheet(
        workbook,
        name="农户名单",
        title=title,
        subtitle=note + ("　户主姓名与身份证号已脱敏" if masked else ""),
        columns=columns,
        rows=filled.itertuples(index=False),
        footer=f"共 {len(table):,} 户",
    )
    return to_bytes(workbook)
