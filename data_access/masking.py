"""Masking of personal data (户主姓名, 身份证号), in Python and as SQL expressions.

Views without the right to personal data (``Scope.personal_data`` false) select the SQL form, so a
full name or ID number never leaves the database for them. The Python form is the same rule, for
values that do not come from SQL and for tests that hold the two to each other.

- Names keep the first and last character and star the rest: 张三明 → 张*明, 欧阳小明 → 欧**明;
  a two-character name keeps its first: 张三 → 张*; one character → *.
- 身份证号 keep the first four and last four characters and star the rest: an 18-digit number
  452731197001011234 → 4521**********1234 style (four, ten stars, four); eight characters or
  fewer are starred whole.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, case, func, literal

# Longer than any name or ID column (String(20), String(18)): the stars are cut from it in SQL,
# where neither SQLite nor PostgreSQL share a "repeat" function.
_STARS = "*" * 24
ID_KEPT = 4


def mask_name(name: str) -> str:
    """The name with all but its first (and, from three characters, last) character starred."""
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str) -> str:
    """The ID number with all but its first four and last four characters starred."""
    if len(id_number) <= 2 * ID_KEPT:
        return "*" * len(id_number)
    return id_number[:ID_KEPT] + "*" * (len(id_number) - 2 * ID_KEPT) + id_number[-ID_KEPT:]


def _substr(text: ColumnElement[str], start: object, count: object) -> ColumnElement[str]:
    # Typed as String so that ``+`` compiles to the portable ``||``.
    return func.substr(text, start, count, type_=String)


def _stars(count: ColumnElement[int]) -> ColumnElement[str]:
    return _substr(literal(_STARS, String), 1, count)


def masked_name_sql(column: ColumnElement[str]) -> ColumnElement[str]:
    """SQL for ``mask_name(column)`` (SQLite and PostgreSQL)."""
    length = func.length(column)
    first, last = _substr(column, 1, 1), _substr(column, length, 1)
    return case(
        (length <= 1, _stars(length)),
        (length == 2, first + literal("*", String)),
        else_=first + _stars(length - 2) + last,
    )


def masked_id_sql(column: ColumnElement[str]) -> ColumnElement[str]:
    """SQL for ``mask_id_number(column)`` (SQLite and PostgreSQL)."""
    length = func.length(column)
    head = _substr(column, 1, ID_KEPT)
    tail = _substr(column, length - (ID_KEPT - 1), ID_KEPT)
    return case(
        (length <= 2 * ID_KEPT, _stars(length)),
        else_=head + _stars(length - 2 * ID_KEPT) + tail,
    )


def name_column(column: ColumnElement[str], *, personal_data: bool) -> ColumnElement[str]:
    """The name as the viewer may see it: in full only with the right to personal data."""
    return column if personal_data else masked_name_sql(column)


def id_number_column(column: ColumnElement[str], *, personal_data: bool) -> ColumnElement[str]:
    """The 身份证号 as the viewer may see it: in full only with the right to personal data."""
    return column if personal_data else masked_id_sql(column)
