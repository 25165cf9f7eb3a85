"""A workbook made with openpyxl, rewritten the way Excel and WPS save one.

openpyxl writes every text cell inline (``t="inlineStr"``) and, in write-only mode, no sheet
dimension; Excel and WPS keep text in one shared-strings table and always write the dimension.
Readers take different paths for the two, so tests and the benchmark that stand for "a file as
it comes out of Excel" pass their workbook through ``as_excel_saves``.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from openpyxl.utils import get_column_letter

_INLINE = re.compile(
    rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>',
    re.DOTALL,
)
_INLINE_EMPTY = re.compile(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t\s*/></is></c>')
_CELL_REF = re.compile(rb'<c r="([A-Z]+)(\d+)"')
_SHEET = re.compile(r"xl/worksheets/sheet\d+\.xml")
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def as_excel_saves(content: bytes) -> bytes:
    """``content`` with its text cells in a shared-strings table and every sheet's dimension."""
    source = zipfile.ZipFile(BytesIO(content))
    strings: dict[bytes, int] = {}
    total = 0
    parts: dict[str, bytes] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        nonlocal total
        total += 1
        index = strings.setdefault(match.group(3), len(strings))
        return b'<c %st="s"%s><v>%d</v></c>' % (match.group(1), match.group(2), index)

    for item in source.infolist():
        data = source.read(item.filename)
        if _SHEET.fullmatch(item.filename):
            data = _INLINE_EMPTY.sub(rb"<c \1\2/>", data)
            data = _INLINE.sub(shared, data)
            if b"<dimension" not in data:
                refs = _CELL_REF.findall(data)
                last_row = max((int(r) for _, r in refs), default=1)
                last_column = max((_column_number(c) for c, _ in refs), default=1)
                dimension = b'<dimension ref="A1:%s%d"/>' % (
                    get_column_letter(last_column).encode(),
                    last_row,
                )
                # Right after sheetPr (or first), where the schema puts it.
                if b"</sheetPr>" in data:
                    data = data.replace(b"</sheetPr>", b"</sheetPr>" + dimension, 1)
                else:
                    data = re.sub(rb"(<worksheet[^>]*>)", rb"\1" + dimension, data, count=1)
        parts[item.filename] = data
    sst = [b'<sst xmlns="%s" count="%d" uniqueCount="%d">' % (MAIN, total, len(strings))]
    sst += [b'<si><t xml:space="preserve">%s</t></si>' % text for text in strings]
    sst.append(b"</sst>")
    parts["xl/sharedStrings.xml"] = b"".join(sst)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/></Types>' % SST_TYPE,
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Type="%s" Target="sharedStrings.xml" Id="rIdSst"/></Relationships>'
        % SST_REL,
    )
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()
