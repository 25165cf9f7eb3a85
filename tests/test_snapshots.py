"""The database caches: income sums and counts per entity, keyed by data version and settings.

A snapshot must give exactly what the live SQL gives, go stale when the data or the settings
change, and be filled by warm_caches after a seed or an import.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, delete, event, func, select, text

from data_access.caching import _decode, _encode, cached_frame, settings_key
from data_access.commands import change
from data_access.db import make_engine
from data_access.income.bands import band_labels
from data_access.income.households import HouseholdFilter, household_list, household_list_size
from data_access.income.projection import household_income_query, projection_query, warm_projections
from data_access.income.store import (
    BASIS,
    BASIS_SOURCES,
    PROJECTION_COLUMNS,
    PROJECTION_SOURCES,
    PROJECTIONS,
    income_basis,
    live_basis,
    stored_version,
)
from data_access.indicators import FAMILIES, Level, register_completeness
from data_access.models import (
    DataSource,
    FrameSnapshot,
    IncomeProjection,
    IncomeSnapshot,
    IncomeStamp,
    IndicatorSnapshot,
)
from data_access.scope import county_scope
from data_access.snapshots import indicator_counts, township_register_completeness
from data_access.versions import income_window, sources_version
from data_access.visits import VILLAGE_VISITS_KIND, _village_counts, village_coverage
from data_access.warming import WARM_MONTHS, WARM_RECENT_MONTHS, warm_caches
from tests.clock import WALL_CLOCK
from tests.independent import ON_RECORD

MONTH = date(2026, 10, 1)


def _sorted(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.sort_values(key).reset_index(drop=True)


@pytest.fixture
def demo_copy(tmp_path: Path, demo_sqlite_path: Path) -> Engine:
    """A private copy of the demo database, for tests that write."""
    copy = tmp_path / "copy.db"
    copy.write_bytes(Path(demo_sqlite_path).read_bytes())
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.mark.parametrize("month", [date(2026, 1, 1), MONTH])
def test_incomes_from_the_snapshot_equal_the_live_computation(demo_engine, settings, month):
    with demo_engine.connect() as conn:
        scope = county_scope(conn=conn)
        live = pd.DataFrame(
            conn.execute(
                household_income_query(scope=scope, month=month, settings=settings.income)
            ).mappings()
        )
        stored = pd.DataFrame(
            conn.execute(
                household_income_query(
                    scope=scope,
                    month=month,
                    settings=settings.income,
                    basis=income_basis(conn, month),
                )
            ).mappings()
        )
    assert len(live) > 0
    pd.testing.assert_frame_equal(_sorted(stored, "household_id"), _sorted(live, "household_id"))


def _stored_projections(conn, month: date, fingerprint: str) -> pd.DataFrame:
    assert stored_version(conn, PROJECTIONS, month, fingerprint) == sources_version(
        conn, PROJECTION_SOURCES, income_window(month)
    )
    query = select(*(getattr(IncomeProjection, name) for name in PROJECTION_COLUMNS)).where(
        IncomeProjection.settings_key == fingerprint, IncomeProjection.month == month
    )
    return pd.DataFrame(conn.execute(query).mappings())


def test_the_stored_projections_equal_the_live_projection(demo_engine, settings):
    with demo_engine.connect() as conn:
        household_list_size(
            conn=conn,
            scope=county_scope(conn=conn),
            month=MONTH,
            settings=settings.income,
            filters=HouseholdFilter(),
        )
        live = pd.DataFrame(
            conn.execute(projection_query(conn=conn, month=MONTH, settings=settings.income))
            .mappings()
            .all()
        )[list(PROJECTION_COLUMNS)]
        stored = _stored_projections(conn, MONTH, settings_key(settings.income))
        households = conn.execute(
            text(f"SELECT count(*) FROM households h WHERE {ON_RECORD}"),
            {"end": date(MONTH.year, MONTH.month + 1, 1) - timedelta(days=1)},
        ).scalar_one()
    assert len(stored) == households
    pd.testing.assert_frame_equal(
        _sorted(stored, "household_id"), _sorted(live, "household_id"), check_dtype=False
    )


def test_bulk_loaded_income_caches_are_vacuumed_on_postgresql(demo_postgres, settings):
    """Without it a county-wide count reads every row from the heap until autovacuum comes."""
    with demo_postgres.connect() as conn:
        warm_projections(conn=conn, month=MONTH, settings=settings.income)
    with demo_postgres.connect() as conn:
        vacuums = dict(
            conn.execute(
                text(
                    "SELECT relname, vacuum_count FROM pg_stat_user_tables "
                    "WHERE schemaname = current_schema() "
                    "AND relname IN ('income_projections', 'income_snapshots')"
                )
            ).all()
        )
    assert set(vacuums) == {"income_projections", "income_snapshots"}
    assert min(vacuums.values()) > 0


def test_the_list_filters_on_bands_and_the_line_agree_with_each_households_band(
    demo_engine, settings
):
    """The list reads a band and "below the line" as ranges of the projection (for its index):
    they must pick exactly the households whose stored band and flag say so."""
    with demo_engine.connect() as conn:
        scope = county_scope(conn=conn)
        everyone = household_list(
            conn=conn,
            scope=scope,
            month=MONTH,
            settings=settings.income,
            filters=HouseholdFilter(),
            limit=10**6,
        )
        stored = _stored_projections(conn, MONTH, settings_key(settings.income))

        def listed(filters: HouseholdFilter) -> set[int]:
            frame = household_list(
                conn=conn,
                scope=scope,
                month=MONTH,
                settings=settings.income,
                filters=filters,
                limit=10**6,
            )
            size = household_list_size(
                conn=conn, scope=scope, month=MONTH, settings=settings.income, filters=filters
            )
            assert size == len(frame)
            return set(frame["household_id"])

        for band in band_labels(settings=settings.income, year=MONTH.year):
            expected = set(everyone.loc[everyone["band"] == band, "household_id"])
            assert listed(HouseholdFilter(band=band)) == expected, band
        below = set(stored.loc[stored["below_line"] == 1, "household_id"])
        assert listed(HouseholdFilter(below_line_only=True)) == below
        assert 0 < len(below) < len(stored)


def test_projections_are_kept_per_settings_and_replaced_when_the_registers_change(
    demo_copy, settings
):
    linear = replace(settings.income, projection_method="linear")

    def lowest(income) -> float:
        with demo_copy.connect() as conn:
            frame = household_list(
                conn=conn,
                scope=county_scope(conn=conn),
                month=MONTH,
                settings=income,
                filters=HouseholdFilter(),
                limit=1,
            )
        return float(frame["projected_per_capita"].iloc[0])

    usual, by_months = lowest(settings.income), lowest(linear)
    with demo_copy.connect() as conn:
        keys = conn.execute(select(IncomeProjection.settings_key).distinct()).scalars().all()
    assert len(keys) == 2
    assert usual != by_months
    with change(demo_copy, by="测试", at=WALL_CLOCK) as write:
        write.touch(DataSource.RECTIFICATION, DataSource.VISITS)
    fingerprint = settings_key(settings.income)
    with demo_copy.connect() as conn:
        kept = stored_version(conn, PROJECTIONS, MONTH, fingerprint)
    assert lowest(settings.income) == usual, "a 销号 or a visit leaves the projections as they are"
    with change(demo_copy, by="测试", at=WALL_CLOCK) as write:
        write.conn.execute(
            text("UPDATE income_registers SET wage = wage + 1200 WHERE month >= '2026-01-01'")
        )
        write.touch(DataSource.REGISTERS)
    # 1,200 yuan more in each month registered this year raises every projection.
    assert lowest(settings.income) > usual
    with demo_copy.connect() as conn:
        stamped = stored_version(conn, PROJECTIONS, MONTH, fingerprint)
        version = sources_version(conn, PROJECTION_SOURCES, income_window(MONTH))
    assert kept is not None
    assert stamped == version != kept


def test_register_completeness_from_the_snapshot_equals_the_live_count(demo_engine, settings):
    with demo_engine.connect() as conn:
        county = county_scope(conn=conn)
        for scope in (county, county.narrowed(sorted(county.township_ids)[:3])):
            live = register_completeness(
                conn=conn, scope=scope, month=MONTH, grace_days=settings.registers.grace_days
            )
            stored = township_register_completeness(
                conn=conn, scope=scope, month=MONTH, settings=settings
            )
            assert set(stored["township_id"]) == scope.township_ids
            pd.testing.assert_frame_equal(
                _sorted(stored, "township_id"),
                _sorted(live[live["households"] > 0], "township_id"),
                check_dtype=False,
            )


def test_the_basis_counts_this_years_months_and_last_years_same_months(demo_engine):
    with demo_engine.connect() as conn:
        basis = live_basis(MONTH)
        months, households = conn.execute(
            select(func.max(basis.c.months), func.count()).select_from(basis)
        ).one()
        registers = conn.execute(
            text(
                "SELECT count(*) FROM income_registers "
                "WHERE month BETWEEN '2025-01-01' AND '2025-10-01' "
                "OR month BETWEEN '2026-01-01' AND '2026-10-01'"
            )
        ).scalar_one()
        with_registers = conn.execute(
            text(
                "SELECT count(DISTINCT household_id) FROM income_registers "
                "WHERE month BETWEEN '2025-01-01' AND '2025-10-01' "
                "OR month BETWEEN '2026-01-01' AND '2026-10-01'"
            )
        ).scalar_one()
    assert months == 10
    assert households == with_registers
    assert registers >= households


def test_a_write_to_the_registers_replaces_the_income_snapshot(demo_copy):
    with demo_copy.connect() as conn:
        income_basis(conn, MONTH)
    with change(demo_copy, by="测试", at=WALL_CLOCK) as write:
        write.conn.execute(text("UPDATE income_registers SET wage = wage + 100"))
        write.touch(DataSource.REGISTERS)
    with demo_copy.connect() as conn:
        basis = income_basis(conn, MONTH)
        fresh = conn.execute(select(func.sum(basis.c.ytd_net))).scalar_one()
        live = conn.execute(select(func.sum(live_basis(MONTH).c.ytd_net))).scalar_one()
        stamped = stored_version(conn, BASIS, MONTH)
        version = sources_version(conn, BASIS_SOURCES, income_window(MONTH))
    assert fresh == pytest.approx(live)
    assert stamped == version


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(
            {
                "township_id": [1, 2, 3],
                "rate": [0.5, float("nan"), 1.0],
                "name": ["城关镇", None, "石门乡"],
                "due_on": [date(2026, 12, 11), date(2027, 1, 8), None],
                "late": [True, False, True],
                "incomplete": [[], ["visits", "tours"], None],
            }
        ),
        pd.DataFrame(
            {"township_id": pd.Series([], dtype="int64"), "name": pd.Series([], dtype="str")}
        ),
    ],
    ids=["mixed", "empty"],
)
def test_a_stored_frame_comes_back_as_it_was_computed(frame):
    pd.testing.assert_frame_equal(_decode(_encode(frame)), frame)


def test_a_cached_frame_is_decoded_once_per_process_and_each_reader_gets_a_copy(demo_copy):
    computed = []

    def compute() -> pd.DataFrame:
        computed.append(1)
        return pd.DataFrame({"township_id": [1, 2], "households": [10, 20]})

    def read() -> pd.DataFrame:
        with demo_copy.connect() as conn:
            return cached_frame(
                conn=conn,
                name="memo_test",
                month=MONTH,
                fingerprint="k",
                sources=[DataSource.VISITS],
                compute=compute,
            )

    statements = []
    event.listen(demo_copy, "before_cursor_execute", lambda *args: statements.append(args[2]))
    first = read()
    first.loc[0, "households"] = 999  # a reader's change stays its own
    reads_before = sum("frame_snapshots" in statement for statement in statements)
    second = read()
    assert sum("frame_snapshots" in statement for statement in statements) == reads_before
    assert second["households"].tolist() == [10, 20]
    assert len(computed) == 1
    with change(demo_copy, by="测试", at=WALL_CLOCK) as write:
        write.touch(DataSource.REGISTERS)
    read()
    assert len(computed) == 1, "a write to another source leaves the result"
    with change(demo_copy, by="测试", at=WALL_CLOCK) as write:
        write.touch(DataSource.VISITS)
    read()
    assert len(computed) == 2


def test_a_settings_change_makes_the_indicator_snapshot_stale(demo_copy, settings):
    grace = settings.registers.grace_days
    lenient = replace(settings, registers=replace(settings.registers, grace_days=grace + 20))
    assert settings_key(lenient.registers) != settings_key(settings.registers)
    with demo_copy.connect() as conn:
        usual = indicator_counts(conn=conn, month=MONTH, settings=settings, level=Level.TOWNSHIP)
        late = indicator_counts(conn=conn, month=MONTH, settings=lenient, level=Level.TOWNSHIP)
        keys = conn.execute(
            select(IndicatorSnapshot.settings_key)
            .where(IndicatorSnapshot.month == MONTH, IndicatorSnapshot.kind == "township:reg")
            .distinct()
        ).scalars()
        assert len(set(keys)) == 2
    # A longer grace period counts the registers entered late as in time.
    assert late["registered"].sum() > usual["registered"].sum()


def test_the_settings_key_ignores_the_sections_not_passed(settings):
    elsewhere = replace(settings, database_url="sqlite:////elsewhere.db")
    assert settings_key(elsewhere.income) == settings_key(settings.income)
    assert settings_key(settings.income) != settings_key(settings.visits)
    assert len(settings_key(settings.income)) == 16


def test_village_visit_counts_from_the_snapshot_equal_the_live_counts(demo_engine, settings):
    with demo_engine.connect() as conn:
        scope = county_scope(conn=conn)
        live = _village_counts(conn=conn, scope=scope, month=MONTH, settings=settings.visits)
        shown = village_coverage(conn=conn, scope=scope, month=MONTH, settings=settings.visits)
        stored = conn.execute(
            select(func.count()).where(
                IndicatorSnapshot.kind == VILLAGE_VISITS_KIND, IndicatorSnapshot.month == MONTH
            )
        ).scalar_one()
    assert stored == len(live) > 0
    counted = shown[shown["village_id"].isin(live["village_id"])][live.columns]
    pd.testing.assert_frame_equal(_sorted(counted, "village_id"), _sorted(live, "village_id"))


def test_a_narrow_scope_sees_only_its_villages_from_the_county_snapshot(demo_engine, settings):
    with demo_engine.connect() as conn:
        county = county_scope(conn=conn)
        one = county.narrowed([min(county.township_ids)])
        village_coverage(conn=conn, scope=county, month=MONTH, settings=settings.visits)
        narrow = village_coverage(conn=conn, scope=one, month=MONTH, settings=settings.visits)
        live = _village_counts(conn=conn, scope=one, month=MONTH, settings=settings.visits)
    assert set(narrow["township_id"]) == set(one.township_ids)
    assert narrow["households"].sum() == live["households"].sum() > 0


def test_warming_fills_every_cache_of_the_latest_months(demo_copy, settings):
    with demo_copy.begin() as conn:  # as after the migration that empties the caches
        for table in (
            IndicatorSnapshot,
            IncomeSnapshot,
            IncomeProjection,
            IncomeStamp,
            FrameSnapshot,
        ):
            conn.execute(delete(table))
    report = warm_caches(demo_copy, settings=settings, last_month=MONTH)
    with demo_copy.connect() as conn:
        kinds = dict(
            conn.execute(
                select(
                    IndicatorSnapshot.kind, func.count(IndicatorSnapshot.month.distinct())
                ).group_by(IndicatorSnapshot.kind)
            ).all()
        )
        stored = conn.execute(select(IncomeSnapshot.month).distinct()).scalars().all()
        income_months = sum(
            stored_version(conn, BASIS, month)
            == sources_version(conn, BASIS_SOURCES, income_window(month))
            for month in stored
        )
        fingerprint = settings_key(settings.income)
        projection_months = sum(
            stored_version(conn, PROJECTIONS, month, fingerprint)
            == sources_version(conn, PROJECTION_SOURCES, income_window(month))
            for month in conn.execute(
                select(IncomeProjection.month)
                .where(IncomeProjection.settings_key == fingerprint)
                .distinct()
            ).scalars()
        )
    assert kinds == {
        **{f"township:{family.name}": WARM_MONTHS[Level.TOWNSHIP] for family in FAMILIES},
        **{f"unit:{family.name}": WARM_MONTHS[Level.UNIT] for family in FAMILIES},
        VILLAGE_VISITS_KIND: WARM_RECENT_MONTHS,
        "village_registers": WARM_RECENT_MONTHS,
        "village_helper": WARM_RECENT_MONTHS,
        # The briefing of each month also reads the month before.
        "households": WARM_RECENT_MONTHS + 1,
    }
    # The ranking's income family reads the stored basis of each month it ranks.
    assert income_months == WARM_MONTHS[Level.TOWNSHIP]
    assert projection_months == WARM_RECENT_MONTHS + 1
    assert "汇总快照" in report
