"""Import speed: a 收支登记 workbook of 50,000 rows for the households of an existing database,
read, dry-run and committed the way the /import page does it.

The workbook registers the months just before the database's first registered month, so every row
is new (inserts, the expensive case for the plan and the write); a second import of the same file
(every row unchanged) is timed too. ``time_register_import`` writes into the database: run it on
a throwaway copy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import func, select

from config import Settings, load_settings
from data_access.db import make_engine
from data_access.importing import ImportContext, commit, dry_run, kind_named, prepare
from data_access.importing.batch import Counts, refresh_caches
from data_access.models import Household, IncomeRegister
from data_access.periods import previous_month

DEFAULT_ROWS = 50_000
HEADERS = (
    "户编号",
    "月份",
    "工资性收入（元）",
    "经营性收入（元）",
    "财产性收入（元）",
    "转移性收入（元）",
    "生产经营性支出（元）",
    "生活消费支出（元）",
    "登记时间",
)


@dataclass(frozen=True)
class ImportTiming:
    rows: int
    workbook_bytes: int
    # Building the workbook (not part of the import).
    build_seconds: float
    # File checks, reading the sheet and converting every cell.
    read_seconds: float
    dry_run_seconds: float
    # Planning again inside the transaction, writing, the batch record: one transaction.
    commit_seconds: float
    counts: Counts
    # The same file committed again: every row unchanged.
    reimport_seconds: float
    reimport_counts: Counts
    # Ranking and income snapshots of the new data version (None when not asked for).
    refresh_seconds: float | None
    # CPU time of this process over read + dry run + commit (SQLite works in-process, so this is
    # the import's own cost; wall time also counts waiting for other processes' CPU).
    cpu_seconds: float

    @property
    def import_seconds(self) -> float:
        """What the office waits for: read + dry run + commit."""
        return self.read_seconds + self.dry_run_seconds + self.commit_seconds


def register_workbook(*, database_url: str, rows: int = DEFAULT_ROWS) -> bytes:
    """An .xlsx of ``rows`` 收支登记 rows for the database's households, in the months before
    its first registered month (so none exists yet); raises ValueError on an empty database."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            codes = list(conn.execute(select(Household.code).order_by(Household.id)).scalars())
            first = conn.execute(select(func.min(IncomeRegister.month))).scalar()
    finally:
        engine.dispose()
    if not codes or first is None:
        raise ValueError("the database has no households or no registers: seed it first")
    # Not write-only: that mode leaves out the sheet's <dimension>, which every workbook saved by
    # Excel or WPS has, and without it openpyxl reads the whole sheet once more to size it.
    book = Workbook()
    sheet = book.active
    sheet.title = "收支登记"
    sheet.append(["收支登记（基准测试）"])
    sheet.append(list(HEADERS))
    month = previous_month(first)
    written = 0
    while written < rows:
        entered = datetime.combine(month, datetime.min.time()).replace(day=28, hour=9)
        for index, code in enumerate(codes[: rows - written]):
            sheet.append(
                [
                    code,
                    f"{month:%Y-%m}",
                    800 + index % 1700,
                    200 + index % 300,
                    index % 40,
                    150 + index % 500,
                    60 + index % 90,
                    500 + index % 900,
                    entered,
                ]
            )
        written += min(len(codes), rows - written)
        month = previous_month(month)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def time_register_import(
    *,
    database_url: str,
    rows: int = DEFAULT_ROWS,
    settings: Settings | None = None,
    refresh: bool = False,
) -> ImportTiming:
    """Build the workbook, then time read, dry run and commit of it into ``database_url`` (as
    the /import page runs them), and a second commit of the same file. ``refresh`` also times
    the snapshot warm-up that follows a commit on the page."""
    settings = settings or load_settings()
    started = time.perf_counter()
    content = register_workbook(database_url=database_url, rows=rows)
    build_seconds = time.perf_counter() - started
    kind = kind_named("registers")
    engine = make_engine(database_url)
    ctx = ImportContext(
        now=settings.clock.now(),
        username="bench",
        scope=None,
        file_name="bench.xlsx",
    )
    try:
        cpu_started = time.process_time()
        started = time.perf_counter()
        prepared = prepare(
            content=content, file_name="bench.xlsx", kind=kind, limits=settings.imports
        )
        read_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with engine.connect() as conn:
            dry_run(conn=conn, prepared=prepared, ctx=ctx)
        dry_run_seconds = time.perf_counter() - started

        def committed():
            begun = time.perf_counter()
            result = commit(
                engine=engine,
                prepared=prepared,
                ctx=ctx,
                all_or_nothing=False,
                max_rejected_stored=settings.imports.max_rejected_stored,
            )
            return time.perf_counter() - begun, result.report.counts

        commit_seconds, counts = committed()
        cpu_seconds = time.process_time() - cpu_started
        refresh_seconds = None
        if refresh:
            started = time.perf_counter()
            refresh_caches(engine, settings=settings)
            refresh_seconds = time.perf_counter() - started
        reimport_seconds, reimport_counts = committed()
    finally:
        engine.dispose()
    return ImportTiming(
        rows=prepared.total_rows,
        workbook_bytes=len(content),
        build_seconds=build_seconds,
        read_seconds=read_seconds,
        dry_run_seconds=dry_run_seconds,
        commit_seconds=commit_seconds,
        counts=counts,
        reimport_seconds=reimport_seconds,
        reimport_counts=reimport_counts,
        refresh_seconds=refresh_seconds,
        cpu_seconds=cpu_seconds,
    )
