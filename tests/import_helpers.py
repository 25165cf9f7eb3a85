"""Helpers for the import tests: workbooks made with openpyxl, a writable copy of the demo
county, running an import, and a fingerprint of the county's data to prove nothing changed."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Engine, select, text

from config import Settings
from data_access.db import make_engine
from data_access.importing import (
    CommitResult,
    ImportContext,
    ImportReport,
    Prepared,
    commit,
    dry_run,
    kind_named,
    prepare,
)
from data_access.models import Base, Household

AS_OF = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 10, 30)
# Bookkeeping of imports themselves: not county data.
NOT_DATA = frozenset({"import_batches", "audit_log"})


def writable_demo(source: Path, target_dir: Path) -> Engine:
    """A private copy of the seeded demo database (SQLite's backup API: WAL content included)."""
    target = target_dir / "demo-copy.db"
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    return make_engine(f"sqlite:///{target}")


def workbook_bytes(
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    sheet: str = "Sheet1",
    extra_sheets: dict[str, list[Sequence[Any]]] | None = None,
) -> bytes:
    """An .xlsx whose first sheet holds ``rows`` (the header among them), optionally under a
    title row; strings beginning with = stay strings (data_type "s")."""
    book = Workbook()
    first = book.active
    first.title = sheet
    if title:
        first.append([title])
    for row in rows:
        first.append(list(row))
    for cells in first.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for name, extra in (extra_sheets or {}).items():
        other = book.create_sheet(name)
        for row in extra:
            other.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def context(*, username: str = "tester", scope=None, file_name: str = "test.xlsx"):
    return ImportContext(
        now=NOW, username=username, scope=scope, file_name=file_name, county="云岭县"
    )


def prepared(
    content: bytes, kind: str, settings: Settings, *, sheet: str | None = None, name="t.xlsx"
) -> Prepared:
    return prepare(
        content=content, file_name=name, kind=kind_named(kind), limits=settings.imports, sheet=sheet
    )


def dry(engine: Engine, content: bytes, kind: str, settings: Settings, **options) -> ImportReport:
    ready = prepared(content, kind, settings, **options)
    with engine.connect() as conn:
        return dry_run(conn=conn, prepared=ready, ctx=context())


def committed(
    engine: Engine,
    content: bytes,
    kind: str,
    settings: Settings,
    *,
    all_or_nothing: bool = False,
    ctx: ImportContext | None = None,
    **options,
) -> CommitResult:
    ready = prepared(content, kind, settings, **options)
    return commit(
        engine=engine,
        prepared=ready,
        ctx=ctx or context(),
        all_or_nothing=all_or_nothing,
        max_rejected_stored=settings.imports.max_rejected_stored,
    )


def fingerprint(engine: Engine, tables: Iterable[str] | None = None) -> dict[str, str]:
    """Row count and a digest of every row of every county table (and meta), or of ``tables``;
    caches and the imports' own bookkeeping left out."""
    found = {}
    wanted = None if tables is None else {*tables, "meta"}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_DATA or table.name.endswith("_snapshots"):
                continue
            if wanted is not None and table.name not in wanted:
                continue
            order = ", ".join(column.name for column in table.primary_key.columns)
            rows = conn.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY {order}").all()
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            found[table.name] = f"{len(rows)}:{digest}"
    return found


def first_households(engine: Engine, count: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Household.code, Household.head_name, Household.id)
            .order_by(Household.id)
            .limit(count)
        ).mappings()
        return [dict(row) for row in rows]


def scalar(engine: Engine, sql: str, **params) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()
