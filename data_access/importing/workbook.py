"""Opening an uploaded workbook safely and finding its header and data rows.

Checks run before openpyxl sees the file, cheapest first: the file name, the size, the first bytes
(an old .xls or a password-protected workbook are both OLE compound files, not zip archives), and
the zip directory (the uncompressed sizes it declares, so a zip bomb is refused unopened; Python's
zipfile never inflates a member past the size the directory declares).

The workbook is then read with openpyxl in read-only mode (rows are streamed, memory stays flat)
and ``data_only=True``: a formula cell gives the value Excel last calculated and saved, never the
formula; a formula saved without a result reads as blank. Text that merely begins with = + - @ is
kept as text. A number in a percent-formatted cell is read as ``cells.Percent`` (7.5% is stored
0.075). Read-only mode knows nothing of merged cells, so their ranges are scanned from the sheet's
XML separately: a merged cell's text sits in its top-left cell and the rest read as blank.

The header is found, not assumed (see ``find_header``): only rows that read as headers (text, no
codes, numbers or dates) are candidates, a second header row only where it sits under a group
title, and when two different rows could both be the header the import asks which one.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string
from openpyxl.workbook import Workbook
from openpyxl.worksheet._reader import WorkSheetParser

from config.settings import ImportSettings
from data_access.importing.cells import Percent, display, is_blank, normalise

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
# A header names at least this many of a kind's fields: one cell equal to a header word is not
# a header.
MIN_HEADER_FIELDS = 2
# Header cells are short labels; longer text is a title or a note.
MAX_HEADER_TEXT = 60
_TOTAL = re.compile(r"^(合计|总计|小计|累计)|(合计|总计|小计|累计)[:：]?$")
_NOTE = re.compile(r"^(填写说明|说明|注|备注|填表说明)\d*([:：]|$)")
FOOTER_WORDS = (
    "制表",
    "填表",
    "审核",
    "审批",
    "负责人",
    "填报",
    "统计人",
    "经办人",
    "联系人",
    "联系电话",
    "日期",
    "盖章",
    "签字",
    "签名",
)
_PARENTHESISED = re.compile(r"\([^)]*\)")
_TOTAL_KEYS = frozenset({"合计", "小计", "总计", "合计数"})
# Text a data row holds and a header never does: codes, numbers and dates written out.
_DATA_TEXT = re.compile(r"[\d\s.,:/\-年月日号xX]*\d[\d\s.,:/\-年月日号xX]*")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


class ImportRefusedError(Exception):
    """The file as a whole cannot be imported; the message says why, in Chinese."""


class SheetChoiceError(ImportRefusedError):
    """The workbook has several sheets and it is not clear which one holds the data: the user
    must pick one of ``sheets`` (every worksheet of the workbook)."""

    def __init__(self, message: str, sheets: tuple[str, ...]) -> None:
        super().__init__(message)
        self.sheets = sheets


class HeaderProblemError(ImportRefusedError):
    """The sheet's header cannot be read as the kind's: none found, a required column missing,
    a field named twice. Carries what a user needs to fix it on the spot: the sheet's first rows
    (``preview``: (row number, its text)), the header's rows and columns when one was found."""

    def __init__(
        self,
        message: str,
        *,
        preview: tuple[tuple[int, str], ...],
        header_rows: tuple[int, ...] = (),
        columns: tuple[HeaderColumn, ...] = (),
    ) -> None:
        super().__init__(message)
        self.preview = preview
        self.header_rows = header_rows
        self.columns = columns


class HeaderChoiceError(HeaderProblemError):
    """More than one place in the sheet could be its header: the user must say which rows
    (``candidates``: the rows of each, Excel numbering)."""

    def __init__(
        self,
        message: str,
        candidates: tuple[tuple[int, ...], ...],
        *,
        preview: tuple[tuple[int, str], ...] = (),
    ) -> None:
        super().__init__(message, preview=preview)
        self.candidates = candidates


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
        # Not a warning: the user gets the refusal; a traceback on the command line would only
        # frighten them. Logged for whoever turns on INFO.
        logger.info("openpyxl could not read an uploaded workbook", exc_info=True)
        raise ImportRefusedError(
            "无法读取该工作簿，文件可能已损坏。请用 Excel 打开后重新保存为 .xlsx 再导入。"
        ) from None


@dataclass(frozen=True)
class HeaderSpec:
    """What the header finder looks for."""

    # Normalised header text → field key.
    names: Mapping[str, str]
    # Field key → the header as the template spells it (for messages).
    titles: Mapping[str, str]
    required: frozenset[str]
    # The user's own column mapping, by header_key of the header as written: a field key, or
    # None to leave the column out. It wins over ``names``.
    mapping: Mapping[str, str | None] = field(default_factory=dict)
    # At least one of these fields must be in the header.
    required_any: frozenset[str] = frozenset()
    # One of these field sets must be in the header, whole (Kind.identities).
    identities: tuple[frozenset[str], ...] = ()

    def identity_missing(self, present: set[str]) -> str | None:
        """What the header lacks to name a row's subject, or None."""
        if not self.identities or any(ids <= present for ids in self.identities):
            return None
        return "，或".join(
            "、".join(self.titles.get(k, k) for k in sorted(ids)) for ids in self.identities
        )


@dataclass(frozen=True)
class HeaderColumn:
    """A column of the header as the sheet has it, and what it was taken for."""

    index: int
    # The header as written; with a group title above it, "group/sub-header".
    text: str
    # header_key(text): what a saved or typed mapping refers to.
    key: str
    field: str | None
    # "auto" (recognised), "mapped" (by the user), "dropped" (left out by the user), "part" (an
    # item of a group read through the group's 合计) or "none".
    how: str
    # The field the header's own text names (before any mapping), or None.
    auto: str | None = None

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass(frozen=True)
class RawSheet:
    """A sheet's data rows as read, limited to the recognised columns."""

    name: str
    # The header's rows (Excel numbering): one row, or two when a group title sits above.
    header_rows: tuple[int, ...]
    # Recognised field keys in the order of their columns, with the header as written.
    fields: tuple[str, ...]
    headers: tuple[str, ...]
    # Every column with a header, recognised or not.
    columns: tuple[HeaderColumn, ...]
    # (Excel row number, cells of ``fields`` in order) for every data row.
    rows: list[tuple[int, tuple[Any, ...]]]
    # Total (合计), note (填写说明), footer (制表人) rows and rows with nothing in an imported
    # column, passed over (blank rows uncounted).
    skipped: int
    # The column mapping the header was read with.
    mapping: Mapping[str, str | None] = field(default_factory=dict)
    # The first rows (row number, text), for choosing another header row.
    preview: tuple[tuple[int, str], ...] = ()

    @property
    def ignored_headers(self) -> tuple[str, ...]:
        return tuple(c.text for c in self.columns if c.field is None)


@dataclass(frozen=True)
class Merge:
    """A merged range: first and last row and column (1-based, as Excel numbers them)."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int


@dataclass(frozen=True)
class _Header:
    rows: tuple[int, ...]
    columns: tuple[HeaderColumn, ...]
    duplicates: tuple[str, ...]
    # Columns of a two-row header read from their sub-header (a field, or a part of a total):
    # the lower row changes how the sheet reads.
    from_sub_headers: int = 0

    @property
    def fields(self) -> dict[int, str]:
        """Column index → field key, for the recognised and mapped columns."""
        return {c.index: c.field for c in self.columns if c.field is not None}

    @property
    def score(self) -> int:
        return len(set(self.fields.values()))

    def satisfies(self, spec: HeaderSpec) -> bool:
        return spec.required <= set(self.fields.values())


def _cells(row: tuple[Any, ...], width: int) -> tuple[Any, ...]:
    return row + (None,) * (width - len(row)) if len(row) < width else row


def reads_as_header(row: tuple[Any, ...]) -> bool:
    """Whether a row could be (part of) a header: text labels only, none of them a code, a number
    or a date written out, none as long as a note."""
    texts = [c for c in row if not is_blank(c)]
    if not texts:
        return False
    for cell in texts:
        if not isinstance(cell, str):
            return False
        folded = normalise(cell)
        if len(folded) > MAX_HEADER_TEXT or _DATA_TEXT.fullmatch(folded):
            return False
    return True


def _group_starts(
    upper: tuple[Any, ...],
    lower: tuple[Any, ...],
    row: int,
    merges: tuple[Merge, ...],
    spec: HeaderSpec,
) -> dict[int, int]:
    """Group title columns of ``upper`` (Excel row ``row``) → the last column they span: a title
    merged across columns, or (a sheet saved without its merges) a title that names no field
    followed by blank cells over sub-headers — a field's header followed by a column without a
    header is just that, and what stands under them is data."""
    spans: dict[int, int] = {}
    width = max(len(upper), len(lower))
    upper, lower = _cells(upper, width), _cells(lower, width)
    # A row holding one text alone is the sheet's title (merged across the table or not), not
    # a row of group titles.
    if sum(1 for cell in upper if not is_blank(cell)) <= 1:
        return spans
    for merge in merges:
        if merge.first_row == row and merge.last_column > merge.first_column:
            spans[merge.first_column - 1] = merge.last_column - 1
    for index in range(width):
        if index in spans or is_blank(upper[index]):
            continue
        key = header_key(upper[index])
        if key in spec.names or key in spec.mapping:
            continue
        end = index
        while end + 1 < width and is_blank(upper[end + 1]) and not is_blank(lower[end + 1]):
            end += 1
        if end > index:
            spans[index] = end
    return spans


def _column(index: int, text: str, spellings: list[str], spec: HeaderSpec) -> HeaderColumn:
    """A header column shown as ``text``: the user's mapping of it (or of one of its spellings)
    first, then the first spelling that names a field."""
    key = header_key(text)
    keys = list(dict.fromkeys([key, *(header_key(s) for s in spellings)]))
    auto = next((spec.names[k] for k in keys if k in spec.names), None)
    for spelled in keys:
        if spelled in spec.mapping:
            chosen = spec.mapping[spelled]
            how = "dropped" if chosen is None else "mapped"
            return HeaderColumn(index, text, key, chosen, how, auto)
    if auto is not None:
        return HeaderColumn(index, text, key, auto, "auto", auto)
    return HeaderColumn(index, text, key, None, "none")


def _header_from(
    rows: list[tuple[Any, ...]],
    numbers: tuple[int, ...],
    spec: HeaderSpec,
    merges: tuple[Merge, ...] = (),
) -> _Header | None:
    """The header on one row, or on two: group titles over their sub-headers, a column headed in
    the upper row alone having a blank (vertically merged) cell below.

    Two rows are a header only with the evidence a real one leaves: a title spanning several
    columns (merged, or followed by blank cells over sub-headers) or a cell merged down over both
    rows. A header over a data row made of text leaves neither, and is not taken for one. None
    when the two rows are not such a header."""
    width = max(len(rows[n - 1]) for n in numbers)
    columns: list[HeaderColumn] = []
    if len(numbers) == 1:
        for index, cell in enumerate(_cells(rows[numbers[0] - 1], width)):
            if not is_blank(cell):
                columns.append(_column(index, display(cell).strip(), [], spec))
    else:
        upper = _cells(rows[numbers[0] - 1], width)
        lower = _cells(rows[numbers[1] - 1], width)
        spans = _group_starts(upper, lower, numbers[0], merges, spec)
        merged_down = any(
            m.first_row == numbers[0]
            and m.last_row >= numbers[1]
            and m.first_column == m.last_column
            for m in merges
        )
        if not spans and not merged_down:
            return None
        totals: dict[int, int] = {}
        group_of = {i: start for start, end in spans.items() for i in range(start, end + 1)}
        for index in range(width):
            top, sub = upper[index], lower[index]
            if is_blank(sub):
                if not is_blank(top):
                    columns.append(_column(index, display(top).strip(), [], spec))
                continue
            sub_text = display(sub).strip()
            start = group_of.get(index)
            if start is None and not is_blank(top):
                if not merged_down:
                    # A header with something under it and no merge to say the rows belong
                    # together: the lower row is data, not sub-headers.
                    return None
                # In a merged header, a title over one column (支出（元） over 生产经营性支出).
                start = index
            if start is None:
                columns.append(_column(index, sub_text, [], spec))
                continue
            group = display(upper[start]).strip()
            word = _PARENTHESISED.sub("", normalise(group))
            # A short sub-header names its field with the group's word: 收入（元）/ 工资性; the
            # 合计 under a field's title (工资性收入 / 合计, 务工收入, 公益岗收入) is that field.
            spellings = [sub_text, f"{sub_text}{word}", f"{word}{sub_text}"]
            if header_key(sub_text) in _TOTAL_KEYS:
                spellings = [group, *spellings]
                totals[start] = index
            columns.append(_column(index, f"{group}/{sub_text}", spellings, spec))
        # The other columns of a group whose 合计 names its field are parts of that total: read
        # through the total, not on their own (not money left unread).
        for start, total in totals.items():
            if next(c for c in columns if c.index == total).field is None:
                continue
            end = spans.get(start, start)
            columns = [
                replace(c, how="part")
                if start <= c.index <= end and c.index != total and c.how == "none"
                else c
                for c in columns
            ]
    seen: set[str] = set()
    duplicates: list[str] = []
    for column in columns:
        if column.field is None:
            continue
        if column.field in seen:
            duplicates.append(spec.titles.get(column.field, column.text))
        seen.add(column.field)
    from_sub = sum(
        1
        for c in columns
        if len(numbers) == 2 and "/" in c.text and (c.field is not None or c.how == "part")
    )
    return _Header(numbers, tuple(columns), tuple(duplicates), from_sub)


@dataclass(frozen=True)
class HeaderSearch:
    """What ``find_header`` found among a sheet's first rows."""

    # The header, or None when no candidate names enough fields, or when several do.
    header: _Header | None
    # The best candidate of each place in the sheet that could be the header (more than one:
    # the import must ask).
    candidates: tuple[_Header, ...]


def find_header(
    rows: list[tuple[Any, ...]], spec: HeaderSpec, merges: tuple[Merge, ...] = ()
) -> HeaderSearch:
    """Look for the header among ``rows`` (the first rows of a sheet).

    A candidate is a row that reads as a header, or two such rows where the lower holds the
    sub-headers of the upper's group titles, naming at least MIN_HEADER_FIELDS fields. Candidates
    that share a row are one place (a title over a header, a header over its sub-headers): the
    one with every required field and the most fields stands for it, one row rather than two on
    a tie (a second row must add a field to be part of the header). One place: that is the
    header. Several: the sheet could be read two ways, and the import asks rather than guesses
    (a data row made of header words must never become one).
    """
    headerish = [reads_as_header(row) for row in rows]
    found: list[_Header] = []
    for number in range(1, len(rows) + 1):
        if not headerish[number - 1]:
            continue
        spans = [(number,)]
        if number < len(rows) and headerish[number]:
            spans.append((number, number + 1))
        for numbers in spans:
            header = _header_from(rows, numbers, spec, merges)
            if header is not None and header.score >= MIN_HEADER_FIELDS:
                found.append(header)
    places: list[list[_Header]] = []
    for header in found:
        for place in places:
            if any(set(header.rows) & set(other.rows) for other in place):
                place.append(header)
                break
        else:
            places.append([header])
    best = [
        max(
            place,
            key=lambda h: (
                h.satisfies(spec),
                h.score,
                h.from_sub_headers > 0,
                -len(h.rows),
                h.rows[-1],
            ),
        )
        for place in places
    ]
    if len(best) != 1:
        return HeaderSearch(None, tuple(best))
    # A row above the header that reads as a header and names a field: the header might be
    # that row, with the one below it a row of data.
    above = [
        single
        for number in range(1, best[0].rows[0])
        if headerish[number - 1]
        and (single := _header_from(rows, (number,), spec, merges)) is not None
        and single.score >= 1
    ]
    if above:
        return HeaderSearch(None, (above[-1], *best))
    return HeaderSearch(best[0], tuple(best))


def header_on(
    rows: list[tuple[Any, ...]],
    numbers: tuple[int, ...],
    spec: HeaderSpec,
    merges: tuple[Merge, ...] = (),
) -> _Header:
    """The header on the rows the user named; ImportRefusedError when they cannot be one."""
    last = len(rows)
    if not numbers or len(numbers) > 2 or any(not 1 <= n <= last for n in numbers):
        raise ImportRefusedError(f"表头所在行应在第 1 到 {last} 行之间（一行，或相邻的两行）。")
    if len(numbers) == 2 and numbers[1] != numbers[0] + 1:
        raise ImportRefusedError("两行表头须为相邻的两行。")
    header = _header_from(rows, numbers, spec, merges)
    if header is None:
        raise ImportRefusedError(
            f"第 {numbers[0]}、{numbers[1]} 行不是两行表头："
            "下一行只应在上一行的分组标题下填写子列名。"
        )
    return header


def _note_or_footer(texts: list[Any]) -> bool:
    """A note (注：…, 填写说明…), or a signature line (制表人：… 审核人：… 填表日期：2026-11-30)."""
    first = texts[0]
    if isinstance(first, str) and _NOTE.match(normalise(first).replace(" ", "")):
        return True
    # The one value a signature line may hold besides its labels: the date it was filled in.
    dated = [
        t
        for t in texts
        if isinstance(t, date | datetime) or (isinstance(t, str) and _DATA_TEXT.fullmatch(t))
    ]
    words = [t for t in texts if isinstance(t, str) and t not in dated]
    if not words or len(dated) > 1 or len(words) + len(dated) != len(texts):
        return False
    return all(any(word in normalise(t) for word in FOOTER_WORDS) for t in words)


# A signature or note line holds a few cells; a data row of a wide sheet many more.
FOOTER_CELLS = 6


def _passed_over(cells: tuple[Any, ...]) -> bool:
    """A 合计/小计 row, a note (注：…), a footer (制表人：…), or a row of column numbers (栏次).
    Called for every data row: the common case (a data row) is decided on its first cells."""
    texts = [c for c in cells if c is not None and c != ""]
    if not texts:
        return False
    strings = [normalise(t).replace(" ", "") for t in texts[:3] if isinstance(t, str)]
    if any(_TOTAL.search(text) for text in strings[:2]):
        return True
    if strings and _NOTE.match(strings[0]) and isinstance(texts[0], str):
        return True
    if len(texts) <= FOOTER_CELLS and _note_or_footer(texts):
        return True
    numbers = [t for t in texts if isinstance(t, int) and not isinstance(t, bool)]
    return len(numbers) == len(texts) >= 3 and numbers == list(range(1, len(numbers) + 1))


def _percent_styles(workbook: Workbook) -> frozenset[int]:
    """Style ids whose number format is a percentage."""
    found = set()
    # openpyxl keeps the workbook's cell styles and custom formats in these (read-only mode too).
    for style_id, style in enumerate(workbook._cell_styles):
        number_format = style.numFmtId
        if number_format < BUILTIN_FORMATS_MAX_SIZE:
            text = BUILTIN_FORMATS.get(number_format, "General")
        else:
            text = workbook._number_formats[number_format - BUILTIN_FORMATS_MAX_SIZE]
        if "%" in re.sub(r'"[^"]*"|\\.', "", text):
            found.add(style_id)
    return frozenset(found)


def _rows(workbook: Workbook, sheet: str) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows as values (a blank row as ()), numbers of percent-formatted cells as
    cells.Percent. Reads the sheet's XML with openpyxl's own streaming parser: its read-only
    rows give values without formats, or a cell object per value (slow at 50,000 rows)."""
    worksheet = workbook[sheet]
    percent = _percent_styles(workbook)
    with worksheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            worksheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        expected = 1
        for number, cells in parser.parse():
            while expected < number:
                yield ()
                expected += 1
            expected = number + 1
            if not cells:
                yield ()
                continue
            values: list[Any] = [None] * cells[-1]["column"]
            for cell in cells:
                value = cell["value"]
                if cell["style_id"] in percent and isinstance(value, int | float):
                    value = Percent(value)
                values[cell["column"] - 1] = value
            yield tuple(values)


def merged_ranges(workbook: Workbook, sheet: str) -> tuple[Merge, ...]:
    """The sheet's merged ranges, scanned from its XML (read-only mode does not read them; they
    come after the rows, so the part is read through once, in C, without parsing)."""
    worksheet = workbook[sheet]
    found: list[Merge] = []
    tail = b""
    with worksheet._get_source() as source:
        while chunk := source.read(1 << 20):
            text = tail + chunk
            last_end = 0
            for match in _MERGE.finditer(text):
                a, r1, b, r2 = match.groups()
                found.append(
                    Merge(
                        int(r1),
                        column_index_from_string(a.decode()),
                        int(r2),
                        column_index_from_string(b.decode()),
                    )
                )
                last_end = match.end()
            tail = text[max(last_end, len(text) - 200) :]
    return tuple(dict.fromkeys(found))


def _head(workbook: Workbook, sheet: str) -> tuple[Iterator[tuple[Any, ...]], list[tuple]]:
    rows = _rows(workbook, sheet)
    head: list[tuple[Any, ...]] = []
    for row in rows:
        head.append(row)
        if len(head) == HEADER_SCAN_ROWS:
            break
    return rows, head


def score_sheet(workbook: Workbook, sheet: str, spec: HeaderSpec) -> tuple[int, bool]:
    """(fields recognised in the best header candidate, whether it has every required field)."""
    rows, head = _head(workbook, sheet)
    rows.close()
    merges = merged_ranges(workbook, sheet) if head else ()
    candidates = find_header(head, spec, merges).candidates if head else ()
    if not candidates:
        return 0, False
    best = max(candidates, key=lambda h: (h.satisfies(spec), h.score))
    return best.score, best.satisfies(spec)


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


def _rows_text(numbers: tuple[int, ...]) -> str:
    return "、".join(str(n) for n in numbers)


def head_preview(rows: list[tuple[Any, ...]], width: int = 80) -> tuple[tuple[int, str], ...]:
    """The first rows as a person would scan them: row number and its cells' text, for picking
    the header row."""
    shown = []
    for number, row in enumerate(rows, start=1):
        texts = [display(c).strip() for c in row if not is_blank(c)]
        if texts:
            line = " | ".join(texts)
            shown.append((number, line if len(line) <= width else f"{line[: width - 1]}…"))
    return tuple(shown)


def read_sheet(
    workbook: Workbook,
    sheet: str,
    spec: HeaderSpec,
    limits: ImportSettings,
    header_rows: tuple[int, ...] | None = None,
    remap: Callable[[tuple[str, ...]], Mapping[str, str | None] | None] | None = None,
) -> RawSheet:
    """The sheet's header (found, or on ``header_rows`` when the user named them) and data rows.

    ``remap(header keys)`` may return a mapping kept for that set of headers: the header is then
    read again with it, under the spec's own mapping (what the user chose now wins).

    Raises HeaderChoiceError when the header could be in more than one place, and
    ImportRefusedError when there is none, when it lacks a required column or names one twice,
    or when the sheet holds more rows than allowed (counted before any row is checked).
    """
    rows, head = _head(workbook, sheet)
    merges = merged_ranges(workbook, sheet) if head else ()
    required = "、".join(t for k, t in spec.titles.items() if k in spec.required)
    preview = head_preview(head)
    if header_rows:
        try:
            header = header_on(head, header_rows, spec, merges)
        except HeaderProblemError:
            raise
        except ImportRefusedError as error:
            raise HeaderProblemError(str(error), preview=preview) from None
    else:
        search = find_header(head, spec, merges) if head else HeaderSearch(None, ())
        if len(search.candidates) > 1:
            places = "；".join(
                f"第 {_rows_text(h.rows)} 行（识别出 {h.score} 列）" for h in search.candidates
            )
            raise HeaderChoiceError(
                f"工作表“{sheet}”中有不止一处像表头：{places}。请指定表头所在的行"
                "（页面上选择“表头所在行”，命令行用 --header-row）。",
                tuple(h.rows for h in search.candidates),
                preview=preview,
            )
        header = search.header
    if header is None:
        raise HeaderProblemError(
            f"工作表“{sheet}”的前 {HEADER_SCAN_ROWS} 行中找不到表头。请使用该类台账的导入模板，"
            f"或确认表头包含：{required}；表头在别处时请指定表头所在的行。",
            preview=preview,
        )
    kept = remap(tuple(sorted({c.key for c in header.columns}))) if remap else None
    if kept:
        spec = replace(spec, mapping={**kept, **spec.mapping})
        header = header_on(head, header.rows, spec, merges)
    found = {"preview": preview, "header_rows": header.rows, "columns": header.columns}
    if header.duplicates:
        raise HeaderProblemError(
            f"工作表“{sheet}”的表头中“{'、'.join(dict.fromkeys(header.duplicates))}”"
            "对应了不止一列，无法确定用哪一列（可在列的对应中把多余的一列设为不导入）。",
            **found,
        )
    fields = header.fields
    missing = [
        spec.titles[k] for k in spec.titles if k in spec.required and k not in fields.values()
    ]
    if missing:
        raise HeaderProblemError(
            f"工作表“{sheet}”缺少必需的列：{'、'.join(missing)}（表头在第 "
            f"{_rows_text(header.rows)} 行；列名不同时可指定列的对应）。",
            **found,
        )
    lacking = spec.identity_missing(set(fields.values()))
    if lacking:
        raise HeaderProblemError(
            f"工作表“{sheet}”缺少确定对象的列：{lacking}（表头在第 "
            f"{_rows_text(header.rows)} 行；列名不同时可指定列的对应）。",
            **found,
        )
    if spec.required_any and not spec.required_any & set(fields.values()):
        wanted = "、".join(t for k, t in spec.titles.items() if k in spec.required_any)
        raise HeaderProblemError(
            f"工作表“{sheet}”中没有识别出任何一列：{wanted}（表头在第 "
            f"{_rows_text(header.rows)} 行；列名不同时可指定列的对应）。",
            **found,
        )
    indexes = sorted(fields)
    texts = {c.index: c.text for c in header.columns}
    data: list[tuple[int, tuple[Any, ...]]] = []
    skipped = 0
    blank_run = 0
    last_header = header.rows[-1]

    def consider(number: int, row: tuple[Any, ...]) -> None:
        nonlocal skipped, blank_run
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            blank_run += 1
            return
        blank_run = 0
        picked = _cells(row, indexes[-1] + 1)
        values = tuple(picked[i] for i in indexes)
        # Nothing in any imported column (a pre-printed 序号 alone), or a total, note or footer.
        if all(is_blank(v) for v in values) or _passed_over(row):
            skipped += 1
            return
        data.append((number, values))
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
    rows.close()
    return RawSheet(
        name=sheet,
        header_rows=header.rows,
        fields=tuple(fields[i] for i in indexes),
        headers=tuple(texts[i] for i in indexes),
        columns=header.columns,
        rows=data,
        skipped=skipped,
        mapping=dict(spec.mapping),
        preview=preview,
    )
