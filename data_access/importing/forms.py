"""Workbooks of forms: one small form per sheet (贫困户月收入登记表, 收入明白卡), read as one list.

A form has a header block of labelled values above (or instead of) a table: "户主姓名：韦振顺",
or "家庭人口" in one cell and 4 in the next. The block's values belong to every row of the sheet's
table (one row per month of a 月收入登记表); a sheet without a table (a 明白卡 listing 工资性收入
30000 and so on down the page) is one row. Month cells written without a year ("1月") take the year
of the block (年度：2026) or of the title (2026年…登记表). Rows of a pre-printed table that nobody
filled in (a month with no amount) are passed over, never written as zeros.

A workbook is read as forms when it has several sheets and most of them are forms of the kind;
``read_forms`` says so, with the sheet and row of every record for messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from openpyxl.workbook import Workbook

from data_access.importing import cells
from data_access.importing.cells import is_blank, normalise
from data_access.importing.workbook import (
    HEADER_SCAN_ROWS,
    HeaderColumn,
    HeaderSpec,
    ImportRefusedError,
    RawSheet,
    _header_from,
    _passed_over,
    find_header,
    header_key,
    merged_ranges,
    reads_as_header,
    worksheet_names,
)
from data_access.importing.workbook import _rows as sheet_rows

# A form is small: more rows than this and it is a list, not a form.
MAX_FORM_ROWS = 400
# Labels of a form's block that are no field of any kind.
YEAR_LABELS = frozenset({"年度", "年份", "登记年度", "统计年度"})
_COLON_PAIR = re.compile(r"([^\s:：]+)\s*[:：]\s*([^\s:：]*)")
_YEAR_IN_TITLE = re.compile(r"(20\d{2})\s*年")
_MONTH_ONLY = re.compile(r"(\d{1,2})\s*月(?:份)?")


@dataclass(frozen=True)
class FormSheet:
    """What one sheet of forms gave: the block's values and the table's rows."""

    name: str
    # Field key → (value as written, label as written, Excel row).
    block: dict[str, tuple[Any, str, int]]
    year: int | None
    table: RawSheet | None
    # Excel row and values of ``table.fields`` for each table row kept.
    rows: list[tuple[int, tuple[Any, ...]]]
    skipped: int


@dataclass(frozen=True)
class FormBook:
    """The forms of a workbook, as one list (the shape batch.prepare reads a sheet in)."""

    sheets: tuple[str, ...]
    fields: tuple[str, ...]
    headers: tuple[str, ...]
    columns: tuple[HeaderColumn, ...]
    # (record key, values of ``fields``); the key is the record's number in the workbook.
    rows: list[tuple[int, tuple[Any, ...]]]
    # Record key → (sheet, Excel row).
    locations: dict[int, tuple[str, int]]
    skipped: int
    mapping: dict[str, str | None]


def _label_field(text: str, spec: HeaderSpec) -> str | None:
    key = header_key(text)
    if key in spec.mapping:
        return spec.mapping[key]
    if key in spec.names:
        return spec.names[key]
    if normalise(text) in YEAR_LABELS:
        return "__year__"
    return None


def _block(
    rows: list[tuple[Any, ...]], spec: HeaderSpec
) -> tuple[dict[str, tuple[Any, str, int]], list[tuple[Any, ...]]]:
    """The labelled values above the table (or of the whole sheet, when it has no table) and the
    rows with those cells blanked (for finding the table's header among what is left). The
    table starts at the first row that reads as a header naming two fields: a row of labels and
    their values holds codes, numbers or names and does not read as one."""
    found: dict[str, tuple[Any, str, int]] = {}
    cleaned: list[tuple[Any, ...]] = []
    for number, row in enumerate(rows, start=1):
        cells_ = list(row)
        as_header = _header_from(rows, (number,), spec) if reads_as_header(row) else None
        if as_header is not None and as_header.score >= 2:
            cleaned.extend(rows[number - 1 :])
            break
        index = 0
        while index < len(cells_):
            cell = cells_[index]
            if not isinstance(cell, str) or is_blank(cell):
                index += 1
                continue
            text = normalise(cell)
            pairs = _COLON_PAIR.findall(text)
            if pairs:
                used = False
                for label, value in pairs:
                    field = _label_field(label, spec)
                    if field is None:
                        continue
                    used = True
                    if not value:
                        value, taken = _next_value(cells_, index, spec)
                        if taken is not None:
                            cells_[taken] = None
                    if value not in (None, ""):
                        found.setdefault(field, (value, label, number))
                if used:
                    cells_[index] = None
                index += 1
                continue
            field = _label_field(text, spec)
            if field is not None:
                value, taken = _next_value(cells_, index, spec)
                if taken is not None:
                    found.setdefault(field, (value, text, number))
                    cells_[index] = cells_[taken] = None
                    index = taken + 1
                    continue
            index += 1
        cleaned.append(tuple(cells_))
    return found, cleaned


def _next_value(cells_: list[Any], index: int, spec: HeaderSpec) -> tuple[Any, int | None]:
    """The first non-blank cell right of ``index``, unless it is a label itself."""
    for position in range(index + 1, len(cells_)):
        value = cells_[position]
        if is_blank(value):
            continue
        if isinstance(value, str) and (
            _label_field(normalise(value), spec) is not None or _COLON_PAIR.search(value)
        ):
            return None, None
        return value, position
    return None, None


def _year_of(block: dict[str, tuple[Any, str, int]], rows: list[tuple[Any, ...]]) -> int | None:
    if "__year__" in block:
        try:
            return cells.integer(block["__year__"][0], minimum=2000, maximum=2100)
        except cells.CellError:
            return None
    for row in rows[:3]:
        for cell in row:
            if isinstance(cell, str) and (match := _YEAR_IN_TITLE.search(normalise(cell))):
                return int(match.group(1))
    return None


def read_form(
    workbook: Workbook,
    sheet: str,
    spec: HeaderSpec,
    preprinted: frozenset[str],
    parsers: dict[str, Callable[[Any], Any]],
) -> FormSheet | None:
    """The sheet as a form of the kind, or None when it is not one (no labelled value, or too
    long, or what it holds lacks a required field; a form without a table must give every
    required field a value its column accepts — a page of rules listing the columns is none)."""
    rows: list[tuple[Any, ...]] = []
    for row in sheet_rows(workbook, sheet):
        rows.append(row)
        if len(rows) > MAX_FORM_ROWS:
            return None
    block, cleaned = _block(rows, spec)
    block_fields = {k for k in block if k != "__year__"}
    if not block_fields:
        return None
    merges = merged_ranges(workbook, sheet)
    head = cleaned[:HEADER_SCAN_ROWS]
    narrowed = replace(spec, required=spec.required - block_fields)
    search = find_header(head, narrowed, merges)
    year = _year_of(block, rows)
    if search.header is None:
        if len(search.candidates) > 1 or not spec.required <= block_fields:
            return None
        if spec.identity_missing(block_fields):
            return None
        for key in spec.required:
            try:
                parsers[key](block[key][0])
            except cells.CellError:
                return None
        return FormSheet(sheet, block, year, None, [], 0)
    header = search.header
    present = block_fields | set(header.fields.values())
    if not spec.required <= present or spec.identity_missing(present):
        return None
    indexes = sorted(header.fields)
    table = RawSheet(
        name=sheet,
        header_rows=header.rows,
        fields=tuple(header.fields[i] for i in indexes),
        headers=tuple(c.text for i in indexes for c in header.columns if c.index == i),
        columns=header.columns,
        rows=[],
        skipped=0,
    )
    kept: list[tuple[int, tuple[Any, ...]]] = []
    skipped = 0
    for number, row in enumerate(cleaned, start=1):
        if number <= header.rows[-1]:
            continue
        picked = row + (None,) * (indexes[-1] + 1 - len(row))
        values = tuple(picked[i] for i in indexes)
        if all(is_blank(v) for v in values):
            continue
        filled = {f for f, v in zip(table.fields, values, strict=True) if not is_blank(v)}
        if filled <= preprinted or _passed_over(row):
            skipped += 1
            continue
        kept.append((number, values))
    return FormSheet(sheet, block, year, table, kept, skipped)


def _with_year(value: Any, year: int | None) -> Any:
    """A month written without its year ("3月", or 3 in a 月份 column), in the form's year."""
    if year is None:
        return value
    if isinstance(value, int) and 1 <= value <= 12:
        return date(year, value, 1)
    if isinstance(value, str) and (match := _MONTH_ONLY.fullmatch(normalise(value))):
        month = int(match.group(1))
        if 1 <= month <= 12:
            return date(year, month, 1)
    return value


def read_forms(
    workbook: Workbook,
    spec: HeaderSpec,
    *,
    preprinted: frozenset[str],
    month_fields: frozenset[str],
    titles: dict[str, str],
    parsers: dict[str, Callable[[Any], Any]],
) -> FormBook | None:
    """The workbook as forms, when at least two of its sheets and most of them are forms of the
    kind; None otherwise (the workbook is then read as one sheet)."""
    names = worksheet_names(workbook)
    if len(names) < 2:
        return None
    forms = [read_form(workbook, name, spec, preprinted, parsers) for name in names]
    usable = [form for form in forms if form is not None]
    if len(usable) < 2 or 2 * len(usable) < len(names):
        return None
    order: list[str] = []
    headers: dict[str, str] = {}
    columns: list[HeaderColumn] = []
    for form in usable:
        if form.table is not None:
            for key, text in zip(form.table.fields, form.table.headers, strict=True):
                if key not in headers:
                    order.append(key)
                    headers[key] = text
            if not columns:
                columns = list(form.table.columns)
        for key, (_, label, _) in form.block.items():
            if key != "__year__" and key not in headers:
                order.append(key)
                headers[key] = label
    rows: list[tuple[int, tuple[Any, ...]]] = []
    locations: dict[int, tuple[str, int]] = {}
    skipped = 0
    for form in usable:
        skipped += form.skipped
        if form.table is not None and not form.rows:
            skipped += 1  # a blank form: its table was never filled in
            continue
        block = {k: v for k, (v, _, _) in form.block.items() if k != "__year__"}
        entries = form.rows or [(min(r for _, _, r in form.block.values()), ())]
        for number, values in entries:
            found = dict(block)
            if form.table is not None and values:
                found.update(
                    {
                        k: v
                        for k, v in zip(form.table.fields, values, strict=True)
                        if not is_blank(v)
                    }
                )
            for key in month_fields & set(found):
                found[key] = _with_year(found[key], form.year)
            key = len(rows) + 1
            rows.append((key, tuple(found.get(field) for field in order)))
            locations[key] = (form.name, number)
    if not rows:
        raise ImportRefusedError("这些工作表都是空白的登记表（没有填写任何金额）。")
    return FormBook(
        sheets=tuple(form.name for form in usable),
        fields=tuple(order),
        headers=tuple(headers[k] or titles.get(k, k) for k in order),
        columns=tuple(columns),
        rows=rows,
        locations=locations,
        skipped=skipped,
        mapping=dict(spec.mapping),
    )
