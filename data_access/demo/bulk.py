"""Fast bulk loading of column blocks: executemany on SQLite, COPY on PostgreSQL.

Generators hand over columns (numpy arrays, masked arrays for nullable ids, object arrays or
lists for text and JSON). The writer turns them into the values each driver stores the way the
ORM reads them back: on SQLite dates as 'YYYY-MM-DD' and datetimes as
'YYYY-MM-DD HH:MM:SS.ffffff' text (SQLAlchemy's own storage formats), JSON as text; on
PostgreSQL real date and datetime objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import JSON, Connection, Date, DateTime, ForeignKeyConstraint, Index, Table
from sqlalchemy.schema import (
    AddConstraint,
    CreateIndex,
    DropConstraint,
    DropIndex,
    ExecutableDDLElement,
)

from data_access.models import Base

Columns = Mapping[str, Any]
CHUNK_ROWS = 50_000
# Rows per INSERT statement on SQLite (at most 32,766 parameters a statement).
SQLITE_ROWS_PER_STATEMENT = 100


class BulkWriter:
    """Inserts blocks of rows over one open transaction, counting rows per table."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._postgres = conn.dialect.name == "postgresql"
        self._driver = conn.connection.driver_connection
        self.counts: dict[str, int] = {}

    def insert(self, table_name: str, columns: Columns) -> None:
        """Insert one block; every column must have the same length."""
        table = Base.metadata.tables[table_name]
        names = list(columns)
        lengths = {len(values) for values in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"{table_name}: columns of different lengths {sorted(lengths)}")
        rows = lengths.pop() if lengths else 0
        for start in range(0, rows, CHUNK_ROWS):
            chunk = [
                _driver_values(
                    values[start : start + CHUNK_ROWS], table.c[name].type, self._postgres
                )
                for name, values in columns.items()
            ]
            self._write(table, names, list(zip(*chunk, strict=True)))
        self.counts[table_name] = self.counts.get(table_name, 0) + rows

    def insert_numbered(self, table_name: str, blocks: Iterable[Columns]) -> None:
        """Insert the blocks of a big table nobody references by id, numbering rows 1, 2, …

        The table's secondary indexes (and on PostgreSQL its foreign keys) are dropped while
        loading and restored afterwards: building an index or checking a key once for the whole
        table is several times faster than doing it row by row. Restoring a foreign key checks
        every row, so nothing goes unchecked.
        """
        table = Base.metadata.tables[table_name]
        suspended = sorted(table.indexes, key=lambda index: index.name)
        if self._postgres:
            suspended += sorted(table.foreign_key_constraints, key=lambda key: key.name)
        for item in suspended:
            self._conn.execute(_drop(item))
        next_id = self.counts.get(table_name, 0) + 1
        for block in blocks:
            size = len(next(iter(block.values())))
            self.insert(table_name, {"id": np.arange(next_id, next_id + size), **block})
            next_id += size
        for item in suspended:
            self._conn.execute(_create(item))

    def _write(self, table: Table, names: list[str], rows: list[tuple]) -> None:
        column_list = ", ".join(f'"{name}"' for name in names)
        cursor = self._driver.cursor()
        try:
            if self._postgres:
                with cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                self._sqlite_insert(
                    cursor, f'INSERT INTO "{table.name}" ({column_list}) VALUES ', len(names), rows
                )
        finally:
            cursor.close()

    @staticmethod
    def _sqlite_insert(cursor, insert: str, width: int, rows: list[tuple]) -> None:
        """Insert ``rows`` SQLITE_ROWS_PER_STATEMENT to a statement.

        Much of SQLite's cost is per statement run (a CHECK (… IN (…)) constraint builds its
        lookup once per run), so this loads about twice as fast as one row per statement.
        """
        one_row = "(" + ", ".join("?" * width) + ")"
        whole = len(rows) - len(rows) % SQLITE_ROWS_PER_STATEMENT
        cursor.executemany(
            insert + ", ".join([one_row] * SQLITE_ROWS_PER_STATEMENT),
            (
                tuple(chain.from_iterable(rows[start : start + SQLITE_ROWS_PER_STATEMENT]))
                for start in range(0, whole, SQLITE_ROWS_PER_STATEMENT)
            ),
        )
        cursor.executemany(insert + one_row, rows[whole:])

    def finish(self) -> None:
        """Make the loaded tables ready for use: ids continue after the loaded ones (PostgreSQL
        sequences do not see explicit ids) and the planner knows the new sizes."""
        for name, rows in self.counts.items():
            table = Base.metadata.tables[name]
            if self._postgres and rows and table.autoincrement_column is not None:
                column = table.autoincrement_column.name
                self._conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                    f'(SELECT max("{column}") FROM "{name}"))'
                )
            self._conn.exec_driver_sql(f'ANALYZE "{name}"')


def _drop(item: Index | ForeignKeyConstraint) -> ExecutableDDLElement:
    return DropIndex(item) if isinstance(item, Index) else DropConstraint(item)


def _create(item: Index | ForeignKeyConstraint) -> ExecutableDDLElement:
    return CreateIndex(item) if isinstance(item, Index) else AddConstraint(item)


def _driver_values(values: Any, sql_type: Any, postgres: bool) -> list:
    """One chunk of a column as the Python values the driver should receive."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return _moments(values, with_time=isinstance(sql_type, DateTime), postgres=postgres)
    if isinstance(sql_type, JSON):
        return [
            None if value is None else json.dumps(value, ensure_ascii=False) for value in values
        ]
    if isinstance(sql_type, Date | DateTime):
        raise TypeError(f"dates must come as datetime64 arrays, got {type(values).__name__}")
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def _moments(values: np.ndarray, *, with_time: bool, postgres: bool) -> list:
    """datetime64 values (NaT = NULL) as date/datetime objects or SQLAlchemy's SQLite text
    (to the second: the generators' moments have no fractions of a second)."""
    unit = "us" if with_time else "D"
    if postgres:
        return values.astype(f"datetime64[{unit}]").tolist()
    text = np.datetime_as_string(values, unit="s" if with_time else "D")
    if with_time:
        text = np.char.add(np.char.replace(text, "T", " "), ".000000")
    missing = np.isnat(values)
    if not missing.any():
        return text.tolist()
    return [None if gone else value for value, gone in zip(text.tolist(), missing, strict=True)]
