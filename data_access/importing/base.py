"""The parts every import kind is made of: fields (the template's columns), records (a sheet row
read into typed values), the plan (what a commit would write) and the keyed-table planner most
kinds use.

A kind compares each accepted row with the database by its natural key and files it under
insert, update or unchanged; a commit writes exactly the plan, in bulk (one executemany per
table and column set), never row by row.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, insert, select, update

from data_access.importing.cells import display
from data_access.models import DataSource
from data_access.scope import Scope

# Values per IN (...) list: far below SQLite's and PostgreSQL's parameter limits.
CHUNK = 1000


class Action(StrEnum):
    INSERT = "新增"
    UPDATE = "更新"
    UNCHANGED = "不变"


@dataclass(frozen=True)
class Field:
    """One column of a kind's template: its header is the contract with the people filling it."""

    key: str
    title: str
    parse: Callable[[Any], Any]
    required: bool = False
    # What the template's instruction row says under the header.
    note: str = ""
    # Fixed values, offered as a drop-down list in the template.
    options: tuple[str, ...] = ()
    # Other spellings of the header found in real ledgers.
    aliases: tuple[str, ...] = ()
    width: float = 14
    # Stored as text in the template (codes, 身份证号) so Excel keeps every digit.
    text_format: bool = False
    # An amount of money: a kind with such fields refuses to commit while the sheet has an
    # unrecognised column that looks like money (it might be this one, under another name).
    money: bool = False


class RowRejectedError(Exception):
    """A row cannot be imported; ``field`` names the column at fault (None: the row as a whole)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class Record:
    """A data row: its Excel row number and the typed values of the columns the sheet has
    (a column missing from the sheet has no key; a blank cell is None)."""

    row: int
    values: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    def has(self, key: str) -> bool:
        return key in self.values


@dataclass(frozen=True)
class Outcome:
    row: int
    action: Action
    # The natural key as the user wrote it, e.g. "4527311012010001 · 2026-10".
    key: str
    # For updates: "column: old → new" for every column that changes.
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportContext:
    # The clock's now when the import started: it stamps the batch, the audit entry and the
    # data version, and a date after its day lies in the future.
    now: datetime
    username: str
    # Townships the importing user may write; None for the whole county (command line).
    scope: Scope | None
    file_name: str
    # The county the database holds ([county] name): a national export row of another county is
    # refused. Empty: not checked.
    county: str = ""
    # The text above the sheet's header (its title: a published list names its source there).
    title: str = ""

    def may_write(self, township_id: int | None) -> bool:
        if self.scope is None:
            return True
        return township_id is not None and township_id in self.scope.township_ids

    @property
    def today(self) -> date:
        """The wall clock's date: rows dated after it are refused as in the future."""
        return self.now.date()

    @property
    def county_wide(self) -> bool:
        return self.scope is None


OUT_OF_SCOPE = "不在您的数据范围内（只能导入本乡镇的数据）"
COUNTY_ONLY = "只有县级管理员可以导入此类数据"


@dataclass
class Plan:
    """What a commit would do: the outcome of each accepted row, the reasons each rejected row
    was turned down, and the kind's writes."""

    outcomes: list[Outcome] = field(default_factory=list)
    rejections: dict[int, list[tuple[str | None, str]]] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)
    # Kind-specific work after the bulk writes (e.g. history rows that need new ids).
    after: list[Callable[[Connection], None]] = field(default_factory=list)

    def reject(self, row: int, reason: str, field_key: str | None = None) -> None:
        self.rejections.setdefault(row, []).append((field_key, reason))


@dataclass(frozen=True)
class Write:
    """Rows to insert into ``table``, or to update by ``identity`` columns (one executemany per
    distinct column set)."""

    table: Table
    inserts: tuple[dict[str, Any], ...] = ()
    updates: tuple[dict[str, Any], ...] = ()
    identity: tuple[str, ...] = ("id",)

    def apply(self, conn: Connection) -> None:
        if self.inserts:
            for rows in _by_columns(self.inserts):
                conn.execute(insert(self.table), rows)
        for rows in _by_columns(self.updates):
            columns = [c for c in rows[0] if c not in self.identity]
            statement = (
                update(self.table)
                .where(and_(*(self.table.c[c] == bindparam(f"key_{c}") for c in self.identity)))
                .values({c: bindparam(f"set_{c}") for c in columns})
            )
            params = [
                {
                    **{f"set_{c}": row[c] for c in columns},
                    **{f"key_{c}": row[c] for c in self.identity},
                }
                for row in rows
            ]
            # Core executemany of an UPDATE: one statement, many parameter sets.
            conn.execute(statement, params)


def _by_columns(rows: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(sorted(row))].append(row)
    return list(groups.values())


def same(old: Any, new: Any) -> bool:
    """Equality as the ledger means it: amounts to the fen, dates regardless of time type."""
    if isinstance(old, float | int) and isinstance(new, float | int) and not isinstance(old, bool):
        return math.isclose(float(old), float(new), abs_tol=0.005)
    if isinstance(old, datetime) and isinstance(new, datetime):
        return old.replace(microsecond=0) == new.replace(microsecond=0)
    if isinstance(old, str) and isinstance(new, str):
        return old == new
    return old == new


def shown(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return display(value)


def changes(old: Mapping[str, Any], new: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    """ "label: old → new" for every column of ``new`` whose value differs from ``old``."""
    return [
        f"{labels.get(column, column)}：{shown(old.get(column))} → {shown(value)}"
        for column, value in new.items()
        if not same(old.get(column), value)
    ]


def fetch_existing(
    conn: Connection,
    table: Table,
    key_columns: Sequence[str],
    keys: Iterable[tuple[Any, ...]],
    columns: Sequence[str],
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Existing rows by natural key, for the keys given.

    One query per CHUNK values of the first key column (indexed in every table that has a
    natural key), narrowed by the other key columns' values where they are few and never NULL
    (a file of three months reads those months of its households, not their whole history);
    the exact keys are matched here. When several rows share a key (visits may), the one with
    the lowest id is kept.
    """
    wanted = set(keys)
    if not wanted:
        return {}
    first_values = sorted({key[0] for key in wanted}, key=repr)
    narrowing = []
    for position, column in enumerate(key_columns[1:], start=1):
        values = {key[position] for key in wanted}
        if None not in values and len(values) <= CHUNK:
            narrowing.append(table.c[column].in_(sorted(values, key=repr)))
    selected = list(dict.fromkeys([*key_columns, *columns]))
    order = [table.c.id] if "id" in table.c else []
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for start in range(0, len(first_values), CHUNK):
        chunk = first_values[start : start + CHUNK]
        query = select(*(table.c[c] for c in selected)).where(
            table.c[key_columns[0]].in_(chunk), *narrowing
        )
        for row in conn.execute(query.order_by(*order)).mappings():
            key = tuple(row[c] for c in key_columns)
            if key in wanted and key not in found:
                found[key] = dict(row)
    return found


class Kind(ABC):
    """One kind of ledger. Subclasses give the fields and ``plan``."""

    key: str = ""
    label: str = ""
    fields: tuple[Field, ...] = ()
    # The natural key as the README documents it.
    natural_key: str = ""
    # What the kind writes, for the README and the page.
    summary: str = ""
    # The sheet must have at least one of these columns (a register without any amount).
    required_any: tuple[str, ...] = ()
    # Field sets of which the sheet must hold one, whole, to name what a row is about (a
    # household by 户编号, or by village and head); empty: the required fields suffice.
    identities: tuple[tuple[str, ...], ...] = ()
    # Fields a blank form prints before anyone fills it in (a 月收入登记表's months): a form row
    # holding nothing else is not a row.
    preprinted: tuple[str, ...] = ()
    # The data sources a commit of this kind may change (their versions rise when it does).
    sources: frozenset[DataSource] = frozenset()
    # For a kind whose rows belong to a month (registers, visits, meetings): the table and its
    # date column, so that a commit raises the versions of the months it wrote only.
    month_column: tuple[str, str] | None = None

    @abstractmethod
    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        """What importing ``records`` (the rows whose cells all converted) would write, by
        the database as ``conn`` sees it; rows it cannot take are in the plan's rejections."""

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)


def keyed_plan(
    *,
    conn: Connection,
    records: Iterable[Record],
    ctx: ImportContext,
    table: Table,
    key_columns: tuple[str, ...],
    labels: Mapping[str, str],
    to_row: Callable[[Record], tuple[dict[str, Any], int | None]],
    key_text: Callable[[Record], str],
    duplicate_label: str,
    insert_defaults: Callable[[], dict[str, Any]] = dict,
    identity: tuple[str, ...] = ("id",),
    plan: Plan | None = None,
    on_update: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
    extra_columns: tuple[str, ...] = (),
) -> Plan:
    """The plan of a kind that writes one row of ``table`` per sheet row, found by
    ``key_columns``.

    ``to_row(record)`` returns the columns to compare and write and the row's township (for the
    scope check), or raises RowRejectedError. Columns it leaves out are neither compared nor changed
    (on insert they take ``insert_defaults()``). Rows with the same key twice in the file: an
    exact repeat is passed over with a note, conflicting ones are all rejected.
    ``on_update(old, new)`` may add columns to an update (e.g. a version counter); the old row
    holds the compared columns and ``extra_columns``.
    """
    plan = plan or Plan()
    accepted: dict[tuple[Any, ...], list[tuple[Record, dict[str, Any]]]] = defaultdict(list)
    for record in records:
        try:
            row, township_id = to_row(record)
        except RowRejectedError as problem:
            plan.reject(record.row, problem.reason, problem.field)
            continue
        if not ctx.may_write(township_id):
            plan.reject(record.row, OUT_OF_SCOPE)
            continue
        accepted[tuple(row[c] for c in key_columns)].append((record, row))
    kept: dict[tuple[Any, ...], tuple[Record, dict[str, Any]]] = {}
    for key, group in accepted.items():
        first_record, first_row = group[0]
        if all(row == first_row for _, row in group[1:]):
            kept[key] = group[0]
            for record, _ in group[1:]:
                plan.reject(record.row, f"与第 {first_record.row} 行重复（完全相同的一行）")
            continue
        rows_text = "、".join(str(record.row) for record, _ in group)
        for record, _ in group:
            plan.reject(
                record.row,
                f"{duplicate_label}在文件中出现多次且内容不同（第 {rows_text} 行），"
                "无法确定以哪一行为准",
            )
    compared = sorted({c for _, row in kept.values() for c in row})
    existing = fetch_existing(
        conn, table, key_columns, kept, [*identity, *compared, *extra_columns]
    )
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    defaults = insert_defaults()
    for key, (record, row) in sorted(kept.items(), key=lambda item: item[1][0].row):
        old = existing.get(key)
        if old is None:
            inserts.append({**defaults, **row})
            plan.outcomes.append(Outcome(record.row, Action.INSERT, key_text(record)))
            continue
        differences = changes(old, row, labels)
        if not differences:
            plan.outcomes.append(Outcome(record.row, Action.UNCHANGED, key_text(record)))
            continue
        extra = on_update(old, row) if on_update is not None else {}
        # Every compared column is written (one column set, one executemany for the file).
        updates.append({**row, **extra, **{c: old[c] for c in identity}})
        plan.outcomes.append(
            Outcome(record.row, Action.UPDATE, key_text(record), tuple(differences))
        )
    plan.writes.append(Write(table, tuple(inserts), tuple(updates), identity))
    return plan
