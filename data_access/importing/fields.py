"""Field constructors: a template column with its converter, in one line per column.

Limits mirror the model's column sizes, so a value that would not fit is refused with the reason
instead of failing the whole commit.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from data_access.importing import cells
from data_access.importing.base import Field, RowRejectedError

# Amounts above this (yuan, one household, one month or one year) are a typing error.
MAX_AMOUNT = 10_000_000
EARLIEST_YEAR = 2013


def text(key: str, title: str, *, max_length: int, **options) -> Field:
    return Field(key, title, partial(cells.text, max_length=max_length), **options)


def key_text(key: str, title: str, *, max_length: int, **options) -> Field:
    """Text that identifies a row (a 文号): folded like a code so a trailing or invisible space,
    full-width digits or a no-break space never make a second row."""
    return Field(key, title, partial(cells.name, max_length=max_length), **options)


def name(key: str, title: str, *, max_length: int = 20, **options) -> Field:
    return Field(key, title, partial(cells.name, max_length=max_length), **options)


def code(key: str, title: str, *, max_length: int, digits_only: bool = True, **options) -> Field:
    parse = partial(cells.code, max_length=max_length, digits_only=digits_only)
    return Field(key, title, parse, text_format=True, **options)


def codes(key: str, title: str, *, max_length: int, **options) -> Field:
    return Field(
        key, title, partial(cells.code_list, max_length=max_length), text_format=True, **options
    )


def amount(key: str, title: str, *, cost: bool = False, **options) -> Field:
    """Yuan; income may not be negative, a cost column may (a correction of an earlier month)."""
    parse = partial(cells.number, minimum=None if cost else 0, maximum=MAX_AMOUNT)
    return Field(key, title, parse, money=True, **options)


def number(key: str, title: str, *, minimum: float, maximum: float, **options) -> Field:
    return Field(key, title, partial(cells.number, minimum=minimum, maximum=maximum), **options)


def percentage(key: str, title: str, *, minimum: float, maximum: float, **options) -> Field:
    """A number that may be written as a percentage (a 7.5% cell reads 7.5)."""
    parse = partial(cells.percentage, minimum=minimum, maximum=maximum)
    return Field(key, title, parse, **options)


def integer(key: str, title: str, *, minimum: int, maximum: int, **options) -> Field:
    return Field(key, title, partial(cells.integer, minimum=minimum, maximum=maximum), **options)


def choice(key: str, title: str, values: tuple[str, ...], **options) -> Field:
    return Field(key, title, partial(cells.choice, options=values), options=values, **options)


def flag(key: str, title: str, **options) -> Field:
    return Field(key, title, cells.flag, options=("是", "否"), width=10, **options)


def day(key: str, title: str, **options) -> Field:
    return Field(key, title, cells.day, width=12, **options)


def month(key: str, title: str, **options) -> Field:
    return Field(key, title, cells.month, width=10, **options)


def moment(key: str, title: str, **options) -> Field:
    return Field(key, title, cells.moment, width=18, **options)


def id_number(key: str, title: str, **options) -> Field:
    return Field(key, title, cells.id_number, text_format=True, width=21, **options)


def phone(key: str, title: str, **options) -> Field:
    return Field(key, title, cells.phone, text_format=True, width=14, **options)


def not_future(value: date, today: date, field: str, what: str = "日期") -> date:
    """``value`` unless it lies after ``today`` or before 2013 (no ledger predates 建档立卡)."""
    if value > today:
        raise RowRejectedError(f"{what} {value:%Y-%m-%d} 晚于今天（{today:%Y-%m-%d}）", field)
    if value.year < EARLIEST_YEAR:
        raise RowRejectedError(f"{what} {value:%Y-%m-%d} 早于 {EARLIEST_YEAR} 年", field)
    return value


def month_not_future(value: date, today: date, field: str) -> date:
    """A month not after the month of ``today`` (a month in progress may be registered)."""
    if value > today.replace(day=1):
        raise RowRejectedError(f"月份 {value:%Y-%m} 晚于本月（{today:%Y-%m}）", field)
    return not_future(value, today, field, "月份")
