"""The writes a page's first view must stay fast after: one of each kind users make, through the
same door the pages and the CLI use (data_access.commands), on the benchmarked database.

- 销号: the first open rectification item closed from 整改进度;
- 一行导入: a 收支登记 workbook of one row committed as /import does (no summary warm-up after
  it): a register of the month the pages show (the last month ended) for a household that has
  none yet, the commonest late entry while that month is being extracted;
- 抽签: an 暗访 draw with the default parameters;
- 暗访发现: a finding recorded at the first village of that draw.

Each writes into the database: run them on a throwaway copy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import Engine, select

from bench.importing import HEADERS
from config import Settings
from data_access.commands import change
from data_access.importing import ImportContext, commit, kind_named, prepare
from data_access.inspection.draw import default_parameters, inspector_pool, make_draw
from data_access.inspection.findings import record_finding
from data_access.models import (
    Household,
    IncomeRegister,
    InspectionDraw,
    RectificationItem,
    RectificationStatus,
)
from data_access.periods import default_period, month_start
from data_access.rectification import change_status
from data_access.scope import county_scope

BENCH_USER = "bench"


def close_an_item(engine: Engine, settings: Settings) -> None:
    with change(engine, by=BENCH_USER, at=settings.clock.now()) as write:
        item = write.conn.execute(
            select(RectificationItem.id, RectificationItem.version)
            .where(RectificationItem.status != RectificationStatus.CLOSED.value)
            .order_by(RectificationItem.id)
            .limit(1)
        ).one()
        change_status(
            write,
            scope=county_scope(conn=write.conn),
            item_id=item.id,
            expected_version=item.version,
            to_status=RectificationStatus.CLOSED,
            note="基准测试销号",
            completed_on=settings.clock.reporting_date(),
        )


def import_one_row(engine: Engine, settings: Settings) -> None:
    with engine.connect() as conn:
        months = conn.execute(select(IncomeRegister.month).distinct()).scalars().all()
        month = default_period(
            list(months), settings.clock.reporting_date(), settings.app.period_lag_days
        )
        registered = select(IncomeRegister.household_id).where(IncomeRegister.month == month)
        code = conn.execute(
            select(Household.code)
            .where(Household.id.not_in(registered))
            .order_by(Household.id)
            .limit(1)
        ).scalar_one()
    book = Workbook()
    book.active.append(list(HEADERS))
    entered = settings.clock.now().replace(microsecond=0)
    book.active.append([code, f"{month:%Y-%m}", 1200, 300, 0, 200, 80, 600, entered])
    buffer = BytesIO()
    book.save(buffer)
    prepared = prepare(
        content=buffer.getvalue(),
        file_name="bench-1.xlsx",
        kind=kind_named("registers"),
        limits=settings.imports,
    )
    ctx = ImportContext(
        now=settings.clock.now(), username=BENCH_USER, scope=None, file_name="bench-1.xlsx"
    )
    result = commit(
        engine=engine,
        prepared=prepared,
        ctx=ctx,
        all_or_nothing=True,
        max_rejected_stored=settings.imports.max_rejected_stored,
    )
    if result.report.counts.inserted != 1:
        raise RuntimeError(f"the one-row import did not insert its row: {result.report.counts}")


def make_a_draw(engine: Engine, settings: Settings) -> None:
    today = settings.clock.reporting_date()
    with change(engine, by=BENCH_USER, at=settings.clock.now()) as write:
        parameters = default_parameters(
            settings=settings,
            as_of=today,
            month=month_start(today),
            township_ids=tuple(sorted(county_scope(conn=write.conn).township_ids)),
            inspector_ids=tuple(int(i) for i in inspector_pool(conn=write.conn)["inspector_id"]),
        )
        make_draw(
            write,
            parameters=parameters,
            seed="基准测试",
            planned_on=today + timedelta(days=3),
            settings=settings,
        )


def record_a_finding(engine: Engine, settings: Settings) -> None:
    with change(engine, by=BENCH_USER, at=settings.clock.now()) as write:
        draw_id, result = write.conn.execute(
            select(InspectionDraw.id, InspectionDraw.result)
            .order_by(InspectionDraw.id.desc())
            .limit(1)
        ).one()
        record_finding(
            write,
            draw_id=draw_id,
            village_id=int(result["village_ids"][0]),
            household_id=None,
            inspected_on=write.at.date(),
            description="基准测试：村级发现",
        )


# In the order they run (a finding needs the draw before it).
WRITES: dict[str, Callable[[Engine, Settings], None]] = {
    "销号": close_an_item,
    "一行导入": import_one_row,
    "抽签": make_a_draw,
    "暗访发现": record_a_finding,
}
