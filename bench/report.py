"""Plain-text tables with aligned columns (numbers right, words left) and unit formatting."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned table; a column whose cells all start with a digit is right-aligned."""
    columns = list(zip(headers, *rows, strict=True))
    widths = [max(_display_width(cell) for cell in column) for column in columns]
    numeric = [all(cell[:1].isdigit() for cell in column[1:]) for column in columns]
    lines = [
        _format_row(headers, widths, numeric),
        "  ".join("-" * width for width in widths),
        *(_format_row(row, widths, numeric) for row in rows),
    ]
    return "\n".join(line.rstrip() for line in lines)


def _format_row(cells: Sequence[str], widths: Sequence[int], numeric: Sequence[bool]) -> str:
    padded = []
    for cell, width, right in zip(cells, widths, numeric, strict=True):
        padding = " " * (width - _display_width(cell))
        padded.append(padding + cell if right else cell + padding)
    return "  ".join(padded)


def _display_width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def seconds(value: float) -> str:
    return f"{value:,.1f} s"


def milliseconds(value_seconds: float) -> str:
    return f"{value_seconds * 1000:,.0f}"


def megabytes(size_bytes: float) -> str:
    return f"{size_bytes / 1024**2:,.1f} MB"


def count(value: int) -> str:
    return f"{value:,}"
