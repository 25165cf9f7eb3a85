"""Two imports at the same time lose nothing: both dry runs see the same database, both commit at
once, and every row of both files is there afterwards (the import lock makes the second commit
plan again against the first one's rows instead of failing on a duplicate key). On SQLite and,
when DASHBOARD_TEST_PG_URL is set, on PostgreSQL in a schema of its own."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text

from data_access.db import init_db, make_engine
from data_access.importing import batch, commit, dry_run
from data_access.models import ImportBatch, IncomeRegister
from tests.conftest import PG_SKIP_REASON, PG_URL
from tests.import_helpers import committed, context, prepared, workbook_bytes

HOUSEHOLDS = 30
VILLAGE_CODES = ("452731101201", "452731101202")


def _household_code(index: int) -> str:
    return f"99000000000{index:05d}"


def _id_number(index: int) -> str:
    from data_access.demo.ids import id_check_character

    first17 = f"45273119800101{index:03d}"
    return first17 + id_check_character(first17)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of an empty migrated database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'concurrent.db'}"
        engine = make_engine(url)
        init_db(engine)
        engine.dispose()
        yield url, None
        return
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    schema = f"import_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, schema=schema)
    init_db(engine)
    engine.dispose()
    try:
        yield PG_URL, schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _engine(database: tuple[str, str | None]) -> Engine:
    url, schema = database
    return make_engine(url, schema=schema)


def _county(engine: Engine, settings) -> None:
    """A township, two villages and their households, created through imports themselves."""
    places = workbook_bytes(
        [
            ["乡镇代码", "乡镇名称", "村代码", "村名称"],
            ["452731101", "城关镇", VILLAGE_CODES[0], "安屯村"],
            ["452731101", "城关镇", VILLAGE_CODES[1], "安洞村"],
        ]
    )
    assert committed(engine, places, "places", settings).report.counts.inserted == 2
    households = workbook_bytes(
        [
            ["户编号", "村代码", "户主姓名", "户主身份证号", "户类型", "脱贫年度", "家庭人口"],
            *(
                [
                    _household_code(i),
                    VILLAGE_CODES[i % 2],
                    f"户主{i}",
                    _id_number(i),
                    "脱贫户",
                    2018,
                    3,
                ]
                for i in range(HOUSEHOLDS)
            ),
        ]
    )
    result = committed(engine, households, "households", settings)
    assert result.report.counts.inserted == HOUSEHOLDS


def _registers(months: list[str], wage: int) -> bytes:
    return workbook_bytes(
        [
            ["户编号", "月份", "工资性收入（元）"],
            *([_household_code(i), month, wage] for month in months for i in range(HOUSEHOLDS)),
        ]
    )


def test_two_imports_committed_at_the_same_time_lose_no_row(database, settings, monkeypatch):
    setup = _engine(database)
    _county(setup, settings)
    files = {
        "a": _registers(["2026-01", "2026-02", "2026-03", "2026-04"], 1000),
        "b": _registers(["2026-03", "2026-04", "2026-05", "2026-06"], 2000),
    }
    # Both dry runs see the empty register table: each plans to insert all its rows.
    ready = {name: prepared(content, "registers", settings) for name, content in files.items()}
    with setup.connect() as conn:
        planned = {
            n: dry_run(conn=conn, prepared=p, ctx=context()).counts for n, p in ready.items()
        }
    assert planned["a"].inserted == planned["b"].inserted == 4 * HOUSEHOLDS

    # Make the race certain: a commit that has planned waits (up to 2 s) for the other one to
    # have planned too. Without the import lock both would plan against the empty table and one
    # would fail on a duplicate key; with it the second plans only after the first committed.
    both_planned = threading.Barrier(2)
    plan = batch._plan

    def plan_and_wait(*args):
        result = plan(*args)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_planned.wait(timeout=2)
        return result

    monkeypatch.setattr(batch, "_plan", plan_and_wait)
    start = threading.Barrier(2)
    results, failures = {}, []

    def run(name: str) -> None:
        engine = _engine(database)
        try:
            start.wait()
            results[name] = commit(
                engine=engine,
                prepared=ready[name],
                ctx=context(username=f"user-{name}"),
                all_or_nothing=False,
                max_rejected_stored=100,
            )
        except Exception as error:  # reported below, with the thread's name
            failures.append((name, error))
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(name,)) for name in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    counts = {name: result.report.counts for name, result in results.items()}
    # One commit went first and inserted its 4 months; the other inserted its 2 new months and
    # updated (different wage) the 2 months they share.
    assert sorted((c.inserted, c.updated) for c in counts.values()) == [
        (2 * HOUSEHOLDS, 2 * HOUSEHOLDS),
        (4 * HOUSEHOLDS, 0),
    ]
    with setup.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(IncomeRegister)).scalar()
        months = conn.execute(select(func.count(func.distinct(IncomeRegister.month)))).scalar()
        batches = conn.execute(select(func.count()).select_from(ImportBatch)).scalar()
    assert (stored, months) == (6 * HOUSEHOLDS, 6)
    assert batches == 2 + 2  # the two county imports and the two concurrent ones
    setup.dispose()


def test_imports_on_this_database_round_trip_and_repeat_idempotently(database, settings):
    engine = _engine(database)
    _county(engine, settings)
    content = _registers(["2026-01"], 1500)
    first = committed(engine, content, "registers", settings)
    again = committed(engine, content, "registers", settings)
    assert first.report.counts.inserted == HOUSEHOLDS
    assert again.report.counts.unchanged == HOUSEHOLDS
    assert again.data_version is None
    changed = committed(engine, _registers(["2026-01"], 1600), "registers", settings)
    assert changed.report.counts.updated == HOUSEHOLDS
    with engine.connect() as conn:
        wages = conn.execute(select(func.sum(IncomeRegister.wage))).scalar()
    assert wages == 1600 * HOUSEHOLDS
    engine.dispose()
