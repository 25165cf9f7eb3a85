"""The one door for writes (data_access.commands) and the versions it raises.

- two writes committed at the same moment both raise the versions (SQLite and PostgreSQL);
- a refused write leaves rows, audit trail and versions as they were;
- after any sequence of writes through the door, every stored summary equals a recount from
  the rows (a property over random writes, on SQLite and PostgreSQL);
- the 帮扶干部 visit rule is one definition: 总览, 红黑榜, 走访覆盖 and the wall agree with each
  other and with plain SQL, at one and at two visits a month;
- nothing outside data_access opens a write transaction or raises a version.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from unittest import mock

import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text

from config import load_settings
from dashboard.navigation import PROJECT_ROOT
from data_access.commands import change
from data_access.db import data_version
from data_access.income.projection import household_rows, projection_query
from data_access.income.store import (
    BASIS,
    BASIS_SOURCES,
    PROJECTION_COLUMNS,
    income_basis,
    live_basis,
    stored_version,
)
from data_access.indicators import FAMILY_BY_NAME, Level, all_indicator_counts
from data_access.models import (
    AuditEntry,
    DataSource,
    Household,
    IncomeSnapshot,
    RectificationItem,
    RectificationStatus,
)
from data_access.overview import briefing
from data_access.rankings import _score, _scored, indicator_table
from data_access.rectification import change_status
from data_access.scope import county_scope
from data_access.snapshots import family_counts, indicator_counts
from data_access.versions import income_window, month_versions, source_versions, sources_version
from data_access.visits import _village_counts, village_coverage
from tests.clock import AS_OF, WALL_CLOCK
from tests.conftest import _seed, private_schema
from tests.import_helpers import committed, workbook_bytes, writable_demo
from tests.independent import counts_by_group

MONTH = date(2026, 11, 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request) -> Engine:
    return request.getfixturevalue(
        "fresh_engine" if request.param == "sqlite" else "fresh_postgres"
    )


def test_two_writes_at_the_same_moment_both_raise_the_versions(empty):
    with empty.connect() as conn:
        before, overall = source_versions(conn), data_version(conn)
    ready = threading.Barrier(2, timeout=30)
    failures: list[BaseException] = []

    def write(source: DataSource) -> None:
        try:
            with change(empty, by="测试", at=WALL_CLOCK) as writing:
                writing.touch(DataSource.REGISTERS, source)
                # A month nobody wrote before: both writers create its row at once.
                writing.touch(DataSource.VISITS, months=[MONTH + timedelta(days=3)])
                ready.wait()  # both are inside their transaction before either commits
        except BaseException as error:
            failures.append(error)

    workers = [
        threading.Thread(target=write, args=(source,))
        for source in (DataSource.INCOMES, DataSource.MEETINGS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert failures == []
    with empty.connect() as conn:
        after, overall_after = source_versions(conn), data_version(conn)
        months = month_versions(conn, DataSource.VISITS)
    assert after[DataSource.REGISTERS] == before[DataSource.REGISTERS] + 2
    assert after[DataSource.INCOMES] == before[DataSource.INCOMES] + 1
    assert after[DataSource.MEETINGS] == before[DataSource.MEETINGS] + 1
    assert months == {MONTH: 2}
    assert after[DataSource.RECTIFICATION] == before[DataSource.RECTIFICATION]
    assert overall_after == overall + 2


def test_a_refused_write_leaves_rows_audit_and_versions_as_they_were(empty):
    with empty.connect() as conn:
        before = source_versions(conn), data_version(conn)

    def refused() -> None:
        with change(empty, by="测试", at=WALL_CLOCK) as writing:
            writing.conn.execute(text("INSERT INTO meta (key, value) VALUES ('probe', 'x')"))
            writing.audit("测试", target="不应留下")
            writing.touch(DataSource.REGISTERS)
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        refused()
    with empty.connect() as conn:
        assert (source_versions(conn), data_version(conn)) == before
        assert conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM meta WHERE key = 'probe'")).scalar() == 0


def test_a_write_that_touches_nothing_keeps_the_versions(empty):
    with change(empty, by="测试", at=WALL_CLOCK) as writing:
        writing.audit("测试", target="只记审计")
    assert writing.version is None
    with empty.connect() as conn:
        assert data_version(conn) == 0


# --- stored summaries equal a recount, whatever was written ----------------------------------


@pytest.fixture(scope="module")
def sqlite_copy(demo_sqlite_path, tmp_path_factory) -> Iterator[Engine]:
    engine = writable_demo(demo_sqlite_path, tmp_path_factory.mktemp("door"))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def postgres_copy(settings) -> Iterator[Engine]:
    with private_schema() as engine:
        yield _seed(engine, settings)


@pytest.fixture(params=["sqlite", "postgres"])
def copy(request) -> Engine:
    return request.getfixturevalue(f"{request.param}_copy")


def _change_an_item(engine: Engine, pick: int, *, where, to_status, note, completed_on) -> None:
    """Change the status of one of the items ``where`` picks (the ``pick``-th, wrapping), as a
    page does; nothing when there is none."""
    with engine.connect() as conn:
        items = conn.execute(
            select(RectificationItem.id, RectificationItem.version)
            .where(*where)
            .order_by(RectificationItem.id)
        ).all()
    if not items:
        return
    item = items[pick % len(items)]
    with change(engine, by="测试", at=WALL_CLOCK) as writing:
        change_status(
            writing,
            scope=county_scope(conn=writing.conn),
            item_id=item.id,
            expected_version=item.version,
            to_status=to_status,
            note=note,
            completed_on=completed_on,
        )


def _close_an_item(engine: Engine, pick: int) -> None:
    _change_an_item(
        engine,
        pick,
        where=[RectificationItem.status != RectificationStatus.CLOSED.value],
        to_status=RectificationStatus.CLOSED,
        note="属性测试销号",
        completed_on=AS_OF,
    )


def _close_an_item_in_march(engine: Engine, pick: int) -> None:
    """A 销号 entered now but dated in March (the work was done then): March's month-end counts
    and every later month's change, earlier ones do not."""
    _change_an_item(
        engine,
        pick,
        where=[
            RectificationItem.status != RectificationStatus.CLOSED.value,
            RectificationItem.found_on <= date(2026, 3, 1),
        ],
        to_status=RectificationStatus.CLOSED,
        note="补录三月完成的销号",
        completed_on=date(2026, 3, 20),
    )


def _reopen_an_item_closed_last_year(engine: Engine, pick: int) -> None:
    """A 销号 of last December taken back: December 2025's counts change, not only today's."""
    _change_an_item(
        engine,
        pick,
        where=[
            RectificationItem.status == RectificationStatus.CLOSED.value,
            RectificationItem.closed_on <= date(2025, 12, 31),
        ],
        to_status=RectificationStatus.IN_PROGRESS,
        note="复核不达标，重新整改",
        completed_on=None,
    )


def _raw_write(source: DataSource, sql: str, *, months: list[date] | None = None):
    def write(engine: Engine, pick: int) -> None:
        with change(engine, by="测试", at=WALL_CLOCK) as writing:
            writing.conn.execute(text(sql), {"pick": pick})
            writing.touch(source, months=months)

    return write


def _import_a_register(engine: Engine, pick: int) -> None:
    """A register of a month of the last two years for one household, through the importer
    (a new row or a changed one): the versions of that month alone rise."""
    with engine.connect() as conn:
        code = conn.execute(
            select(Household.code).order_by(Household.id).limit(1).offset(pick)
        ).scalar_one()
    month = date(2025 + pick % 2, 1 + pick % 11, 1)
    header = ["户编号", "月份", "工资性收入（元）", "经营性收入（元）", "生产经营性支出（元）"]
    # Costs far above any income: the household falls below the line, whatever it was.
    content = workbook_bytes([header, [code, f"{month:%Y-%m}", 0, 0, 90_000 + pick]])
    result = committed(engine, content, "registers", load_settings())
    assert result.report.counts.rejected == 0  # unchanged when drawn twice


# Writes of each source the figures read, as the importers and pages make them; each picks its
# rows by a number hypothesis draws.
WRITES = {
    "销号": _close_an_item,
    "补录三月销号": _close_an_item_in_march,
    "撤销去年销号": _reopen_an_item_closed_last_year,
    "导入一行登记": _import_a_register,
    "删一户本月登记": _raw_write(
        DataSource.REGISTERS,
        "DELETE FROM income_registers WHERE id = (SELECT id FROM income_registers "
        "WHERE month = '2026-11-01' ORDER BY id LIMIT 1 OFFSET :pick)",
        months=[MONTH],
    ),
    "改一户工资": _raw_write(
        DataSource.REGISTERS,
        "UPDATE income_registers SET wage = wage + 5000 WHERE household_id = "
        "(SELECT household_id FROM income_registers ORDER BY id LIMIT 1 OFFSET :pick)",
    ),
    "改一户人口": _raw_write(
        DataSource.HOUSEHOLDS,
        "UPDATE households SET members = members + 1 WHERE id = "
        "(SELECT id FROM households ORDER BY id LIMIT 1 OFFSET :pick)",
    ),
    "删一次走访": _raw_write(
        DataSource.VISITS,
        "DELETE FROM visits WHERE id = (SELECT id FROM visits WHERE visit_date >= '2026-11-01' "
        "ORDER BY id LIMIT 1 OFFSET :pick)",
        months=[MONTH],
    ),
    "撤一次会议记录": _raw_write(
        DataSource.MEETINGS,
        "UPDATE meetings SET has_record = NOT has_record WHERE id = "
        "(SELECT id FROM meetings WHERE month = '2026-11-01' ORDER BY id LIMIT 1 OFFSET :pick)",
        months=[MONTH],
    ),
}


# The months a write can reach: the current one, one earlier this year, and one of last year
# (whose income compares with the year before).
CHECKED_MONTHS = (MONTH, date(2026, 3, 1), date(2025, 12, 1))


def _stored_equals_recount(engine: Engine, settings) -> None:
    with engine.connect() as conn:
        county = county_scope(conn=conn)
        for month in CHECKED_MONTHS:
            for level in (Level.TOWNSHIP, Level.UNIT) if month == MONTH else (Level.TOWNSHIP,):
                stored = indicator_counts(conn=conn, month=month, settings=settings, level=level)
                live = all_indicator_counts(
                    conn=conn, scope=county, month=month, settings=settings, level=level
                )
                pd.testing.assert_frame_equal(
                    stored.sort_values(level.key).reset_index(drop=True),
                    live.sort_values(level.key).reset_index(drop=True),
                    check_dtype=False,
                )
            pd.testing.assert_frame_equal(
                _scored(conn, county, month, settings, Level.TOWNSHIP),
                _score(conn, county, month, settings, Level.TOWNSHIP),
            )
            # The stored projections every income view reads, against projecting now.
            stored_rows = pd.DataFrame(
                conn.execute(
                    select(
                        household_rows(
                            conn=conn, scope=county, month=month, settings=settings.income
                        )
                    )
                ).mappings()
            )[list(PROJECTION_COLUMNS)]
            projected = pd.DataFrame(
                conn.execute(
                    projection_query(conn=conn, month=month, settings=settings.income)
                ).mappings()
            )[list(PROJECTION_COLUMNS)]
            pd.testing.assert_frame_equal(
                stored_rows.sort_values("household_id").reset_index(drop=True),
                projected.sort_values("household_id").reset_index(drop=True),
                check_dtype=False,
            )
            # The stored income basis all of the above read, against the registers.
            stored_basis = pd.DataFrame(conn.execute(select(income_basis(conn, month))).all())
            live_sums = pd.DataFrame(conn.execute(select(live_basis(month))).all())
            pd.testing.assert_frame_equal(
                stored_basis.sort_values("household_id").reset_index(drop=True),
                live_sums.sort_values("household_id").reset_index(drop=True),
                check_dtype=False,
            )
        shown = village_coverage(conn=conn, scope=county, month=MONTH, settings=settings.visits)
        live = _village_counts(conn=conn, scope=county, month=MONTH, settings=settings.visits)
        shown = shown[shown["village_id"].isin(live["village_id"])][live.columns]
        pd.testing.assert_frame_equal(
            shown.sort_values("village_id").reset_index(drop=True),
            live.sort_values("village_id").reset_index(drop=True),
            check_dtype=False,
        )


@hypothesis_settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(writes=st.lists(st.tuples(st.sampled_from(sorted(WRITES)), st.integers(0, 200)), max_size=3))
def test_after_any_writes_every_stored_summary_equals_a_recount(copy, settings, writes):
    _stored_equals_recount(copy, settings)  # stores the summaries of the current versions
    for name, pick in writes:
        WRITES[name](copy, pick)
        _stored_equals_recount(copy, settings)


# --- one 帮扶干部 visit rule -----------------------------------------------------------------

INDEPENDENT_HELPER_VISITS = """
SELECT h.township_id, count(*)
FROM households h
WHERE (
    SELECT count(*) FROM visits v
    WHERE v.household_id = h.id AND v.role = '帮扶干部'
      AND v.visit_date BETWEEN :start AND :end
      AND v.cadre_id IN (
          SELECT a.cadre_id FROM assignments a
          WHERE a.household_id = h.id AND a.start_date <= :end
            AND (a.end_date IS NULL OR a.end_date >= :start)
      )
) >= :times
GROUP BY h.township_id
"""


@pytest.mark.parametrize("times", [1, 2])
def test_every_view_counts_a_household_visited_by_the_same_rule(demo_engine, settings, times):
    rule = replace(settings, visits=replace(settings.visits, cadre_visits_per_month=times))
    expected = counts_by_group(
        demo_engine,
        INDEPENDENT_HELPER_VISITS,
        start=MONTH,
        end=MONTH + timedelta(days=29),
        times=times,
    )
    with demo_engine.connect() as conn:
        county = county_scope(conn=conn)
        # 总览, and the wall's headline tile (the same briefing).
        brief = briefing(conn=conn, scope=county, month=MONTH, today=AS_OF, settings=rule)
        overview = dict(
            zip(brief.by_township["township_id"], brief.by_township["visited"], strict=True)
        )
        # 红黑榜.
        ranked = indicator_table(
            conn=conn, scope=county, month=MONTH, settings=rule, level=Level.TOWNSHIP
        )
        rankings = dict(zip(ranked["township_id"], ranked["visited"], strict=True))
        # 走访覆盖, and the wall's map panel (the same village counts).
        villages = village_coverage(conn=conn, scope=county, month=MONTH, settings=rule.visits)
        by_township = villages.groupby("township_id")["helper_visited"].sum()
        visits_page = {int(k): int(v) for k, v in by_township.items()}
    nonzero = {k: v for k, v in expected.items() if v}
    assert {k: v for k, v in overview.items() if v} == nonzero
    assert {k: v for k, v in rankings.items() if v} == nonzero
    assert {k: v for k, v in visits_page.items() if v} == nonzero
    assert sum(nonzero.values()) > 0


def test_two_visits_a_month_count_fewer_households_than_one(demo_sqlite, settings):
    twice = replace(settings, visits=replace(settings.visits, cadre_visits_per_month=2))
    with demo_sqlite.connect() as conn:
        county = county_scope(conn=conn)
        once = briefing(conn=conn, scope=county, month=MONTH, today=AS_OF, settings=settings)
        two = briefing(conn=conn, scope=county, month=MONTH, today=AS_OF, settings=twice)
    assert two.visit_rate.value < once.visit_rate.value


# --- conventions ------------------------------------------------------------------------------


def _calls(folder: str) -> Iterator[tuple[str, int, str]]:
    for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func_node = node.func
                name = (
                    func_node.attr
                    if isinstance(func_node, ast.Attribute)
                    else func_node.id
                    if isinstance(func_node, ast.Name)
                    else ""
                )
                yield path.relative_to(PROJECT_ROOT).as_posix(), node.lineno, name


def test_no_page_or_component_opens_a_write_transaction_itself():
    found = [
        f"{path}:{line} {name}()"
        for folder in ("dashboard", "pages")
        for path, line, name in _calls(folder)
        if name in {"begin", "raise_versions", "record", "execute"}
    ]
    assert found == [], "pages and components write through data_access.commands only"


def test_only_the_door_raises_versions():
    found = [
        f"{path}:{line}"
        for folder in ("data_access", "dashboard", "pages", "bench")
        for path, line, name in _calls(folder)
        if name == "raise_versions" and path != "data_access/commands.py"
    ]
    assert found == []


def test_a_write_for_one_month_leaves_the_summaries_of_other_months_stored(sqlite_copy, settings):
    october, november = date(2026, 10, 1), MONTH
    reg = FAMILY_BY_NAME["reg"]
    with sqlite_copy.connect() as conn:
        for month in (october, november):
            family_counts(
                conn=conn, month=month, settings=settings, level=Level.TOWNSHIP, family=reg
            )
    counted: list[date] = []
    original = reg.count

    def counting(conn, scope, month, chosen, level):
        counted.append(month)
        return original(conn, scope, month, chosen, level)

    with change(sqlite_copy, by="测试", at=WALL_CLOCK) as writing:
        writing.conn.execute(
            text(
                "DELETE FROM income_registers WHERE id = (SELECT min(id) FROM income_registers "
                "WHERE month = '2026-11-01')"
            )
        )
        writing.touch(DataSource.REGISTERS, months=[november])
    recounting = replace(reg, count=counting)
    with sqlite_copy.connect() as conn:
        for month in (october, november):
            family_counts(
                conn=conn, month=month, settings=settings, level=Level.TOWNSHIP, family=recounting
            )
    assert counted == [november]


def test_an_import_raises_the_versions_of_the_months_it_wrote_only(sqlite_copy):
    with sqlite_copy.connect() as conn:
        codes = conn.execute(select(Household.code).order_by(Household.id).limit(2)).scalars()
        codes = list(codes)
        before, months_before = source_versions(conn), month_versions(conn, DataSource.REGISTERS)
    header = ["户编号", "月份", "工资性收入（元）", "经营性收入（元）", "生产经营性支出（元）"]
    rows = [[codes[0], "2025-03", 31_111, 0, 0], [codes[1], "2025-04", 0, 32_222, 0]]
    result = committed(sqlite_copy, workbook_bytes([header, *rows]), "registers", load_settings())
    assert result.report.counts.changed == 2
    with sqlite_copy.connect() as conn:
        after, months_after = source_versions(conn), month_versions(conn, DataSource.REGISTERS)
    assert after == before
    raised = {
        month: version - months_before.get(month, 0)
        for month, version in months_after.items()
        if version != months_before.get(month, 0)
    }
    assert raised == {date(2025, 3, 1): 1, date(2025, 4, 1): 1}


def test_the_rule_in_words_says_how_many_visits_the_settings_ask(settings):
    from data_access.rankings import methodology_rows
    from data_access.visits import DUTY_BY_KEY

    twice = replace(settings, visits=replace(settings.visits, cadre_visits_per_month=2))
    method = dict(methodology_rows(twice, MONTH))
    assert "入户走访至少 2 次的户数" in method["走访覆盖率"]
    assert "至少 2 次" in DUTY_BY_KEY["helper"].rule_for(twice.visits)
    assert "至少 1 次" in DUTY_BY_KEY["helper"].rule_for(settings.visits)


def test_an_import_of_some_registers_brings_the_stored_basis_up_to_date_for_their_households(
    sqlite_copy,
):
    """The month's basis is not counted again for the whole county: its rows move to the new
    version in the import's own transaction, those of the imported household recounted."""
    with sqlite_copy.connect() as conn:
        income_basis(conn, MONTH)  # stored for the current version
        code, household_id = conn.execute(
            select(Household.code, Household.id).order_by(Household.id.desc()).limit(1)
        ).one()
    header = ["户编号", "月份", "工资性收入（元）", "经营性收入（元）", "生产经营性支出（元）"]
    content = workbook_bytes([header, [code, "2026-11", 12_345, 0, 0]])
    assert committed(sqlite_copy, content, "registers", load_settings()).report.counts.changed
    with sqlite_copy.connect() as conn:
        version = sources_version(conn, BASIS_SOURCES, income_window(MONTH))
        assert stored_version(conn, BASIS, MONTH) == version
        kept = conn.execute(select(func.count()).where(IncomeSnapshot.month == MONTH)).scalar_one()
        live = pd.DataFrame(conn.execute(select(live_basis(MONTH))).all())
        stored = pd.DataFrame(conn.execute(select(income_basis(conn, MONTH))).all())
    assert kept == len(live) > 0, "stored by the import itself, before anyone read it"
    pd.testing.assert_frame_equal(
        stored.sort_values("household_id").reset_index(drop=True),
        live.sort_values("household_id").reset_index(drop=True),
        check_dtype=False,
    )
    assert household_id in set(stored["household_id"])


def test_the_stored_projections_follow_a_one_row_import_for_its_household_only(
    sqlite_copy, settings
):
    """After a late register the month's projections are not recomputed for the county: they
    follow the basis, projecting the imported household alone."""

    def stored_rows(conn) -> list:
        county = county_scope(conn=conn)
        rows = household_rows(conn=conn, scope=county, month=MONTH, settings=settings.income)
        return conn.execute(select(rows)).all()

    with sqlite_copy.connect() as conn:
        stored_rows(conn)
        code = conn.execute(
            select(Household.code).order_by(Household.id.desc()).limit(1).offset(3)
        ).scalar_one()
    header = ["户编号", "月份", "工资性收入（元）", "经营性收入（元）", "生产经营性支出（元）"]
    content = workbook_bytes([header, [code, "2026-11", 23_456, 0, 0]])
    assert committed(sqlite_copy, content, "registers", load_settings()).report.counts.changed
    projected: list[object] = []

    def counting(**arguments):
        projected.append(arguments.get("households"))
        return projection_query(**arguments)

    with (
        sqlite_copy.connect() as conn,
        mock.patch("data_access.income.projection.projection_query", side_effect=counting),
    ):
        rows = stored_rows(conn)
    assert len(projected) == 1
    assert projected[0] is not None
    assert len(projected[0]) == 1
    assert len(rows) > 1


def test_a_closing_this_month_leaves_the_rectification_counts_of_earlier_months_stored(
    sqlite_copy, settings
):
    rect = FAMILY_BY_NAME["rect"]
    months = (date(2026, 9, 1), date(2026, 10, 1), MONTH)
    with sqlite_copy.connect() as conn:
        for month in months:
            family_counts(
                conn=conn, month=month, settings=settings, level=Level.TOWNSHIP, family=rect
            )
    counted: list[date] = []
    original = rect.count

    def counting(conn, scope, month, chosen, level):
        counted.append(month)
        return original(conn, scope, month, chosen, level)

    _close_an_item(sqlite_copy, 0)  # dated AS_OF, in November
    recounting = replace(rect, count=counting)
    with sqlite_copy.connect() as conn:
        for month in months:
            family_counts(
                conn=conn, month=month, settings=settings, level=Level.TOWNSHIP, family=recounting
            )
    assert counted == [MONTH]
    _close_an_item_in_march(sqlite_copy, 0)
    counted.clear()
    with sqlite_copy.connect() as conn:
        for month in months:
            family_counts(
                conn=conn, month=month, settings=settings, level=Level.TOWNSHIP, family=recounting
            )
    assert counted == list(months), "a 销号 dated in March changes every month-end since"
