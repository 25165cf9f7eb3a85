"""Opening an uploaded workbook safely and finding its header and data rows.

Checks run before openpyxl sees the file, cheapest first: the file name, the size, the first bytes
(an old .xls or a password-protected workbook are both OLE compound files, not zip archives), and
the zip directory (the uncompressed sizes it declares, so a zip bomb is refused unopened; Python's
zipfile never inflates a member past the size the directory declares).

The workbook is then read with openpyxl in read-only mode (rows are streamed, memory stays flat)
and ``data_only=True``: a formula cell gives the value Excel last calculated and saved, never the
formula; a formula saved without a result reads as blank. Text that merely begins with = + - @ is
kept as text. Merged header cells need no special handling: a merged cell's text sits in its
top-left cell and the rest read as blank, which is how the header finder treats a group title.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook import Workbook

from config.settings import ImportSettings
from data_access.importing.cells import display, is_blank, normalise

logger = logging.getLogger(__name__)

ACCEPTED_SUFFIXES = (".xlsx", ".xlsm")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream an encrypted (password-protected) OOXML workbook keeps inside its OLE container.
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# Parts above this size must not be compressed more than the configured ratio.
RATIO_CHECKED_FROM = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
# The header is looked for among the first rows of a sheet (titles and notes come above it).
HEADER_SCAN_ROWS = 30
# This many blank rows in a row end the data (sheets formatted down to row 1,048,576).
BLANK_RUN_ENDS_DATA = 1000
TOTAL_WORDS = ("合计", "总计", "小计", "累计")
NOTE_WORDS = ("填写说明", "说明：", "说明:", "注：", "注:", "备注：")
FOOTER_WORDS = ("制表", "填表", "审核", "审批", "负责人", "填报", "统计人", "日期：")
_PARENTHESISED = re.compile(r"\([^)]*\)")


class ImportRefusedError(Exception):
    """The file as a whole cannot be imported; the message says why, in Chinese."""


class SheetChoiceError(ImportRefusedError):
    """The workbook has several sheets and it is not clear which one holds the data: the user
    must pick one of ``sheets`` (every worksheet of the workbook)."""

    def __init__(self, message: str, sheets: tuple[str, ...]) -> None:
        super().__init__(message)
        self.sheets = sheets


def header_key(text: Any) -> str:
    """A header reduced to what identifies it: no spaces or line breaks, ASCII for full-width
    characters, no required-field star, no parenthesised unit such as （元）."""
    folded = normalise(display(text))
    folded = re.sub(r"\s+", "", folded).replace("*", "")
    folded = _PARENTHESISED.sub("", folded).rstrip(":")
    return folded.lower()


def check_file(name: str, content: bytes, limits: ImportSettings) -> None:
    """Refuse (ImportRefusedError) anything that is not a safe .xlsx/.xlsm within the limits."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix == "xls":
        raise ImportRefusedError(
            "不支持 .xls 格式（Excel 97-2003 工作簿）。"
            "请在 Excel 或 WPS 中“另存为” .xlsx 后再导入。"
        )
    if f".{suffix}" not in ACCEPTED_SUFFIXES:
        raise ImportRefusedError(
            f"只能导入 Excel 工作簿（.xlsx 或 .xlsm），“{name}”不是。"
            "CSV 等文件请先在 Excel 中另存为 .xlsx。"
        )
    if len(content) > limits.max_file_bytes:
        raise ImportRefusedError(
            f"文件大小 {len(content) / 1024**2:.1f} MB，超过上限 {limits.max_file_mb} MB。"
            "请按乡镇或月份拆分成几个文件分别导入。"
        )
    if not content:
        raise ImportRefusedError("文件是空的。")
    if content.startswith(OLE_MAGIC):
        if ENCRYPTED_STREAM in content:
            raise ImportRefusedError(
                "工作簿设置了打开密码（已加密），无法读取。请在 Excel 中取消密码"
                "（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后再导入。"
            )
        raise ImportRefusedError(
            "这是旧版 .xls 格式的文件（只是扩展名为 .xlsx）。"
            "请在 Excel 或 WPS 中“另存为” .xlsx 后再导入。"
        )
    _check_zip(content, limits)


def _check_zip(content: bytes, limits: ImportSettings) -> None:
    not_a_workbook = ImportRefusedError(
        "文件不是有效的 Excel 工作簿（可能已损坏，或不是 Excel 文件）。"
    )
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise not_a_workbook from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names:
        raise not_a_workbook
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportRefusedError("工作簿内部结构异常（部件过多），已拒绝导入。")
    if any(member.flag_bits & 0x1 for member in members):
        raise ImportRefusedError("工作簿已加密，无法读取。请取消密码后再导入。")
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise ImportRefusedError(
            f"工作簿解压后约 {total / 1024**2:,.0f} MB，超过上限 {limits.max_uncompressed_mb} MB"
            "（可能是“压缩炸弹”），已拒绝导入。"
        )
    for member in members:
        if member.file_size < RATIO_CHECKED_FROM:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise ImportRefusedError(
                f"工作簿的部件 {member.filename} 压缩比异常（{ratio:,.0f} 倍，上限 "
                f"{limits.max_compression_ratio} 倍，可能是“压缩炸弹”），已拒绝导入。"
            )


def open_workbook(content: bytes) -> Workbook:
    """The workbook in read-only, values-only mode; ImportRefusedError when openpyxl cannot
    read it. The caller closes it."""
    try:
        return load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises whatever its parsers raise on a broken file
        logger.warning("openpyxl could not read an uploaded workbook", exc_info=True)
        raise ImportRefusedError(
            "无法读取该工作簿，文件可能已损坏。请用 Excel 打开后重新保存为 .xlsx 再导入。"
        ) from None


@dataclass(frozen=True)
class HeaderSpec:
    """What the header finder looks for: normalised header text → field key."""

    names: Mapping[str, str]
    # Field key → the header as the template spells it (for messages).
    titles: Mapping[str, str]
    required: frozenset[str]


@dataclass(frozen=True)
class RawSheet:
    """A sheet's data rows as read, limited to the recognised columns."""

    name: str
    # The header's rows (Excel numbering): one row, or two when a group title sits above.
    header_rows: tuple[int, ...]
    # Recognised field keys in the order of their columns, with the header as written.
    fields: tuple[str, ...]
    headers: tuple[str, ...]
    ignored_headers: tuple[str, ...]
    # (Excel row number, cells of ``fields`` in order) for every data row.
    rows: list[tuple[int, tuple[Any, ...]]]
    # Total (合计), note (填写说明) and footer (制表人) rows passed over (blank rows uncounted).
    skipped: int


@dataclass(frozen=True)
class _Header:
    rows: tuple[int, ...]
    # Column index → field key, and the header text as written.
    columns: dict[int, str]
    written: dict[int, str]
    ignored: tuple[str, ...]
    duplicates: tuple[str, ...]

    @property
    def score(self) -> int:
        return len(set(self.columns.values()))


def _cells(row: tuple[Any, ...], width: int) -> tuple[Any, ...]:
    return row + (None,) * (width - len(row)) if len(row) < width else row


def _header_from(
    rows: list[tuple[Any, ...]], numbers: tuple[int, ...], spec: HeaderSpec
) -> _Header:
    """Read a header from one row, or two (a group title over its sub-headers): per column the
    lowest row whose text names a field wins."""
    width = max(len(rows[n - 1]) for n in numbers)
    columns: dict[int, str] = {}
    written: dict[int, str] = {}
    ignored: list[str] = []
    duplicates: list[str] = []
    seen: dict[str, int] = {}
    for index in range(width):
        texts = [_cells(rows[n - 1], width)[index] for n in numbers]
        texts = [t for t in texts if not is_blank(t)]
        named = [
            (spec.names[key], display(text).strip())
            for text in reversed(texts)
            if (key := header_key(text)) in spec.names
        ]
        if not named:
            ignored.extend(display(t).strip() for t in texts[-1:])
            continue
        field, title = named[0]
        if field in seen:
            duplicates.append(spec.titles[field])
            continue
        seen[field] = index
        columns[index] = field
        written[index] = title
    return _Header(numbers, columns, written, tuple(ignored), tuple(duplicates))


def find_header(rows: list[tuple[Any, ...]], spec: HeaderSpec) -> _Header | None:
    """The best header among ``rows`` (the first rows of a sheet), or None if no row names
    any field."""
    best: _Header | None = None
    singles = [_header_from(rows, (n,), spec) for n in range(1, len(rows) + 1)]
    for single in singles:
        if single.score == 0:
            continue
        number = single.rows[0]
        candidates = [single]
        if number > 1:
            candidates.append(_header_from(rows, (number - 1, number), spec))
        if number < len(rows):
            candidates.append(_header_from(rows, (number, number + 1), spec))
        for candidate in candidates:
            if best is None or candidate.score > best.score:
                best = candidate
    return best


def _passed_over(cells: tuple[Any, ...]) -> bool:
    """A 合计 row, a note (填写说明) row or a footer (制表人：…) row."""
    texts = [c for c in cells if c is not None and c != ""]
    # Checked for every data row: rows that start with a number or a date are data.
    if not texts or not isinstance(texts[0], str):
        return False
    first = normalise(texts[0]).replace(" ", "")
    if first.startswith(TOTAL_WORDS) or first.startswith(NOTE_WORDS):
        return True
    return len(texts) <= 2 and all(
        isinstance(t, str) and any(word in normalise(t) for word in FOOTER_WORDS) for t in texts
    )


def _rows(workbook: Workbook, sheet: str) -> Iterator[tuple[Any, ...]]:
    worksheet = workbook[sheet]
    for row in worksheet.iter_rows(min_row=1, min_col=1, values_only=True):
        yield tuple(row)


def score_sheet(workbook: Workbook, sheet: str, spec: HeaderSpec) -> tuple[int, bool]:
    """(fields recognised in the header, whether every required field is among them)."""
    head = []
    for row in _rows(workbook, sheet):
        head.append(row)
        if len(head) == HEADER_SCAN_ROWS:
            break
    header = find_header(head, spec) if head else None
    if header is None:
        return 0, False
    return header.score, spec.required <= set(header.columns.values())


def worksheet_names(workbook: Workbook) -> tuple[str, ...]:
    return tuple(worksheet.title for worksheet in workbook.worksheets)


def choose_sheet(workbook: Workbook, spec: HeaderSpec, requested: str | None) -> str:
    """The sheet to read: the one asked for, the only one, or the only one with the required
    columns. Raises ImportRefusedError (no such sheet) or SheetChoiceError (several fit)."""
    names = worksheet_names(workbook)
    listed = "、".join(f"“{n}”" for n in names)
    if requested:
        wanted = requested.strip()
        if wanted in names:
            return wanted
        raise ImportRefusedError(f"工作簿中没有名为“{wanted}”的工作表；现有工作表：{listed}。")
    if len(names) == 1:
        return names[0]
    if not names:
        raise ImportRefusedError("工作簿中没有工作表。")
    fitting = [n for n in names if score_sheet(workbook, n, spec)[1]]
    if len(fitting) == 1:
        return fitting[0]
    if fitting:
        message = (
            f"工作簿中有 {len(fitting)} 个工作表（{'、'.join(fitting)}）都有本类台账的表头，"
            "请选择要导入的一个。"
        )
    else:
        required = "、".join(t for k, t in spec.titles.items() if k in spec.required)
        message = (
            f"工作簿的工作表（{listed}）中都找不到全部必需的列（{required}）："
            "请确认所选的台账类别是否正确，或选择要导入的工作表。"
        )
    raise SheetChoiceError(message, names)


def read_sheet(
    workbook: Workbook, sheet: str, spec: HeaderSpec, limits: ImportSettings
) -> RawSheet:
    """The sheet's header and data rows. Raises ImportRefusedError when the header lacks a
    required column or names one twice, or when the sheet holds more rows than allowed (counted
    before any row is checked)."""
    rows = _rows(workbook, sheet)
    head: list[tuple[Any, ...]] = []
    for row in rows:
        head.append(row)
        if len(head) == HEADER_SCAN_ROWS:
            break
    header = find_header(head, spec) if head else None
    if header is None:
        required = "、".join(t for k, t in spec.titles.items() if k in spec.required)
        raise ImportRefusedError(
            f"工作表“{sheet}”的前 {HEADER_SCAN_ROWS} 行中找不到表头。请使用本页下载的模板，"
            f"表头应包含：{required}。"
        )
    if header.duplicates:
        raise ImportRefusedError(
            f"工作表“{sheet}”的表头中“{'、'.join(dict.fromkeys(header.duplicates))}”出现了不止一次，无法确定用哪一列。"
        )
    missing = [
        spec.titles[k]
        for k in spec.titles
        if k in spec.required and k not in header.columns.values()
    ]
    if missing:
        raise ImportRefusedError(
            f"工作表“{sheet}”缺少必需的列：{'、'.join(missing)}（表头在第 "
            f"{'、'.join(str(n) for n in header.rows)} 行）。"
        )
    indexes = sorted(header.columns)
    data: list[tuple[int, tuple[Any, ...]]] = []
    skipped = 0
    blank_run = 0
    last_header = header.rows[-1]

    def consider(number: int, row: tuple[Any, ...]) -> None:
        nonlocal skipped, blank_run
        if all(is_blank(c) for c in row):
            blank_run += 1
            return
        blank_run = 0
        if _passed_over(row):
            skipped += 1
            return
        picked = _cells(row, indexes[-1] + 1)
        data.append((number, tuple(picked[i] for i in indexes)))
        if len(data) > limits.max_rows:
            raise ImportRefusedError(
                f"工作表“{sheet}”的数据超过 {limits.max_rows:,} 行上限，已拒绝导入。"
                "请拆分成几个文件分别导入。"
            )

    for number, row in enumerate(head, start=1):
        if number > last_header:
            consider(number, row)
    for number, row in enumerate(rows, start=len(head) + 1):
        consider(number, row)
        if blank_run >= BLANK_RUN_ENDS_DATA:
            break
    return RawSheet(
        name=sheet,
        header_rows=header.rows,
        fields=tuple(header.columns[i] for i in indexes),
        headers=tuple(header.written[i] for i in indexes),
        ignored_headers=tuple(h for h in header.ignored if h),
        rows=data,
        skipped=skipped,
    )
