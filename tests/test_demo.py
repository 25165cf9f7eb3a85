"""The demo county generator (data_access/demo): deterministic, internally consistent, dated no
later than its as-of day, with the weak townships and the income tail the views rely on."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, text

from config import load_settings
from data_access.db import make_engine
from data_access.demo import DemoSummary, seed_demo
from data_access.demo.geometry import points_in_polygon
from data_access.demo.ids import id_check_character
from data_access.demo.plan import FutureAsOfError
from data_access.demo.seeding import TABLE_LABELS
from tests.clock import AS_OF, frozen_settings

SCALE = 0.05
SEED = 7
PG_URL = os.environ.get("DASHBOARD_TEST_PG_URL", "").strip()
LAST_COMPLETE_MONTH = date(2026, 10, 1)


def _seed(path: Path, seed: int = SEED) -> tuple[Engine, DemoSummary]:
    engine = make_engine(f"sqlite:///{path}")
    summary = seed_demo(engine, settings=frozen_settings(), scale=SCALE, seed=seed, as_of=AS_OF)
    return engine, summary


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[tuple[Engine, DemoSummary]]:
    engine, summary = _seed(tmp_path_factory.mktemp("demo") / "demo.db")
    yield engine, summary
    engine.dispose()


@pytest.fixture(scope="module")
def engine(demo) -> Engine:
    return demo[0]


def rows(engine: Engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params).all()]


def scalar(engine: Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def table_contents(engine: Engine) -> dict[str, list[tuple]]:
    return {table: rows(engine, f"SELECT * FROM {table} ORDER BY 1, 2") for table in TABLE_LABELS}


def test_the_same_seed_gives_the_same_county_and_another_seed_a_different_one(demo, tmp_path):
    engine, _ = demo
    again, _ = _seed(tmp_path / "again.db")
    other, _ = _seed(tmp_path / "other.db", seed=SEED + 1)
    try:
        expected = table_contents(engine)
        assert table_contents(again) == expected
        assert table_contents(other)["households"] != expected["households"]
    finally:
        again.dispose()
        other.dispose()


def test_a_small_scale_still_makes_a_sensible_county(demo):
    engine, summary = demo
    counts = summary.counts
    villages_per_township = Counter(r[0] for r in rows(engine, "SELECT township_id FROM villages"))
    assert counts["townships"] >= 4
    assert min(villages_per_township.values()) >= 2
    assert 1_000 <= counts["households"] <= 1_400
    assert all(counts[table] > 0 for table in TABLE_LABELS)
    assert summary.weak_township_codes


def test_the_report_lists_every_table_and_the_time_taken(demo):
    report = demo[1].report()
    assert all(label in report for label in TABLE_LABELS.values())
    assert "秒" in report
    assert "MB" in report


def test_meta_holds_the_seed_the_scale_and_the_evening_of_the_as_of_day(engine):
    meta = dict(rows(engine, "SELECT key, value FROM meta"))
    assert meta["demo_seed"] == str(SEED)
    assert meta["demo_scale"] == "0.05"
    assert meta["data_as_of"] == "2026-11-29T18:00"
    assert int(meta["data_version"]) >= 1


def test_a_demo_seeded_on_its_as_of_day_before_the_evening_stops_at_the_moment_of_seeding(
    tmp_path,
):
    now = datetime.combine(AS_OF, time(12, 30))
    engine = make_engine(f"sqlite:///{tmp_path / 'noon.db'}")
    seed_demo(engine, settings=frozen_settings(now), scale=SCALE, seed=SEED, as_of=AS_OF)
    meta = dict(rows(engine, "SELECT key, value FROM meta"))
    assert meta["data_as_of"] == "2026-11-29T12:30"
    latest = [
        scalar(engine, f"SELECT MAX({column}) FROM {table}")
        for table, column in [
            ("income_registers", "entered_at"),
            ("rectification_items", "status_changed_at"),
            ("rectification_status_changes", "changed_at"),
            ("inspection_draws", "drawn_at"),
        ]
    ]
    assert all(datetime.fromisoformat(moment) <= now for moment in latest), latest
    engine.dispose()


def test_a_demo_as_of_a_day_after_today_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'future.db'}")
    with pytest.raises(FutureAsOfError, match="晚于今天"):
        seed_demo(
            engine,
            settings=frozen_settings(datetime.combine(AS_OF, time(23, 59))),
            scale=SCALE,
            as_of=AS_OF + timedelta(days=1),
        )


def test_id_check_character_follows_gb_11643():
    assert id_check_character("11010519491231002") == "X"
    assert id_check_character("44052418800101001") == "4"


def test_every_id_number_has_18_characters_and_a_valid_check_character(engine):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    numbers = [r[0] for r in rows(engine, "SELECT head_id_number FROM households")]
    division = load_settings().county.division_code
    for number in numbers:
        assert len(number) == 18
        assert number[:6] == division
        assert 1940 <= int(number[6:10]) <= 1995
        total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
        assert number[17] == "10X98765432"[total % 11]
    assert len(set(numbers)) == len(numbers)
    assert any(number.endswith("X") for number in numbers)


def test_phones_are_eleven_digit_mobile_numbers(engine):
    phones = [
        r[0]
        for r in rows(engine, "SELECT phone FROM households UNION ALL SELECT phone FROM cadres")
    ]
    assert all(len(p) == 11 and p.isdigit() and p[0] == "1" for p in phones)


def township_polygons(engine: Engine) -> dict[int, list]:
    return {
        township_id: json.loads(boundary)["coordinates"]
        for township_id, boundary in rows(engine, "SELECT id, boundary FROM townships")
    }


def test_every_village_lies_inside_its_township_and_outside_all_others(engine):
    polygons = township_polygons(engine)
    for township_id, lon, lat in rows(engine, "SELECT township_id, lon, lat FROM villages"):
        inside = {t for t, rings in polygons.items() if points_in_polygon(rings, lon, lat)}
        assert inside == {township_id}


def test_each_township_centre_lies_inside_it(engine):
    polygons = township_polygons(engine)
    for township_id, lon, lat in rows(engine, "SELECT id, center_lon, center_lat FROM townships"):
        assert points_in_polygon(polygons[township_id], lon, lat)


def test_township_polygons_do_not_overlap_and_cover_the_county(engine):
    polygons = township_polygons(engine)
    points = np.random.default_rng(1).uniform([107.1, 24.2], [108.1, 25.0], size=(20_000, 2))
    covering = sum(
        points_in_polygon(rings, points[:, 0], points[:, 1]).astype(int)
        for rings in polygons.values()
    )
    # Borders wiggle at most a tenth of the county's width or height inward.
    well_inside = (
        (points[:, 0] > 107.30) & (points[:, 0] < 107.90)
        & (points[:, 1] > 24.38) & (points[:, 1] < 24.82)
    )  # fmt: skip
    assert covering.max() == 1
    assert (covering[well_inside] == 1).all()


def test_points_in_polygon_counts_holes_out():
    square = [[(0, 0), (4, 0), (4, 4), (0, 4), (0, 0)], [(1, 1), (3, 1), (3, 3), (1, 3), (1, 1)]]
    assert points_in_polygon(square, [0.5, 2, 5], [0.5, 2, 2]).tolist() == [True, False, False]


def test_nothing_is_dated_after_the_as_of_day(engine):
    day_after = AS_OF + timedelta(days=1)
    latest = {
        "visit": scalar(engine, "SELECT max(visit_date) FROM visits"),
        "meeting": scalar(engine, "SELECT max(held_on) FROM meetings"),
        "duty": scalar(engine, "SELECT max(done_on) FROM duty_records"),
        "found": scalar(engine, "SELECT max(found_on) FROM rectification_items"),
        "closed": scalar(engine, "SELECT max(closed_on) FROM rectification_items"),
        "circular": scalar(engine, "SELECT max(issued_on) FROM circulars"),
        "inspected": scalar(engine, "SELECT max(inspected_on) FROM inspection_findings"),
        "assigned": scalar(engine, "SELECT max(start_date) FROM assignments"),
        "monitored": scalar(engine, "SELECT max(monitored_since) FROM households"),
        "cleared": scalar(engine, "SELECT max(risk_cleared_on) FROM households"),
    }
    assert all(date.fromisoformat(value) <= AS_OF for value in latest.values()), latest
    moments = {
        "entered": scalar(engine, "SELECT max(entered_at) FROM income_registers"),
        "changed": scalar(engine, "SELECT max(changed_at) FROM rectification_status_changes"),
        "drawn": scalar(engine, "SELECT max(drawn_at) FROM inspection_draws"),
    }
    next_midnight = datetime.combine(day_after, time.min)
    assert all(datetime.fromisoformat(value) < next_midnight for value in moments.values())


def test_registers_cover_24_months_up_to_the_as_of_month(engine):
    months = [r[0] for r in rows(engine, "SELECT DISTINCT month FROM income_registers ORDER BY 1")]
    assert months[0] == "2024-12-01"
    assert months[-1] == "2026-11-01"
    assert len(months) == 24


def test_every_foreign_key_points_at_a_row(engine):
    assert rows(engine, "PRAGMA foreign_key_check") == []


def _rates_by_township(engine: Engine, sql: str) -> dict[str, float]:
    return {
        code: done / total for code, total, done in rows(engine, sql, month=LAST_COMPLETE_MONTH)
    }


def test_weak_townships_lag_in_visits_and_registers_in_the_last_complete_month(demo):
    engine, summary = demo
    registered = _rates_by_township(
        engine,
        "SELECT t.code, count(*), sum(EXISTS (SELECT 1 FROM income_registers r "
        "  WHERE r.household_id = h.id AND r.month = :month AND r.entered_at < '2026-11-01')) "
        "FROM households h JOIN townships t ON t.id = h.township_id GROUP BY t.code",
    )
    visited = _rates_by_township(
        engine,
        "SELECT t.code, count(*), sum(EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id "
        "  AND v.role = '帮扶干部' AND v.visit_date BETWEEN :month AND '2026-10-31')) "
        "FROM households h JOIN townships t ON t.id = h.township_id GROUP BY t.code",
    )
    weak = set(summary.weak_township_codes)
    for rates in (registered, visited):
        strong = [rate for code, rate in rates.items() if code not in weak]
        assert max(rates[code] for code in weak) < min(strong)
        assert min(strong) > 0.85


def test_some_households_fall_below_last_years_monitoring_line(engine):
    line = load_settings().income.line_for(2025)
    per_capita = [
        r[0]
        for r in rows(
            engine,
            "SELECT (wage + business + property + transfer - production_cost) / members "
            "FROM income_years WHERE year = 2025",
        )
    ]
    below = sum(value < line for value in per_capita)
    assert 0 < below < 0.05 * len(per_capita)
    assert 14_000 < float(np.median(per_capita)) < 20_000


def test_last_years_statistics_equal_the_registers_of_households_registered_all_year(engine):
    mismatches = rows(
        engine,
        "SELECT y.household_id FROM income_years y JOIN ("
        "  SELECT household_id, count(*) AS months, sum(wage) AS wage, sum(business) AS business,"
        "  sum(transfer) AS transfer, sum(production_cost) AS cost FROM income_registers"
        "  WHERE month BETWEEN '2025-01-01' AND '2025-12-01' GROUP BY household_id"
        ") r ON r.household_id = y.household_id "
        "WHERE y.year = 2025 AND r.months = 12 AND (abs(y.wage - r.wage) > 0.001"
        "  OR abs(y.business - r.business) > 0.001 OR abs(y.transfer - r.transfer) > 0.001"
        "  OR abs(y.production_cost - r.cost) > 0.001)",
    )
    assert mismatches == []
    assert scalar(engine, "SELECT count(DISTINCT year) FROM income_years") == 2


def test_each_household_has_exactly_one_current_helper_from_its_villages_unit(engine):
    current = rows(
        engine,
        "SELECT h.id, count(a.id), min(c.role), min(c.unit_id = uv.unit_id) FROM households h "
        "LEFT JOIN assignments a ON a.household_id = h.id AND a.end_date IS NULL "
        "LEFT JOIN cadres c ON c.id = a.cadre_id "
        "LEFT JOIN unit_villages uv ON uv.village_id = h.village_id GROUP BY h.id",
    )
    assert {(count, role, same_unit) for _, count, role, same_unit in current} == {
        (1, "帮扶干部", 1)
    }
    assert scalar(engine, "SELECT count(*) FROM assignments WHERE end_date IS NOT NULL") > 0


def test_helpers_visit_only_households_assigned_to_them_at_the_time(engine):
    unassigned = scalar(
        engine,
        "SELECT count(*) FROM visits v WHERE v.role = '帮扶干部' AND NOT EXISTS ("
        "  SELECT 1 FROM assignments a WHERE a.household_id = v.household_id"
        "  AND a.cadre_id = v.cadre_id AND a.start_date <= v.visit_date"
        "  AND (a.end_date IS NULL OR a.end_date >= v.visit_date))",
    )
    assert unassigned == 0


def test_grid_workers_visit_the_households_of_their_own_grid(engine):
    elsewhere = scalar(
        engine,
        "SELECT count(*) FROM visits v JOIN households h ON h.id = v.household_id "
        "JOIN cadres c ON c.id = v.cadre_id WHERE v.role = '网格员' "
        "AND (c.village_id != h.village_id OR c.grid_no != h.grid_no)",
    )
    assert elsewhere == 0


def test_the_few_households_without_labour_marked_cleared_are_each_warned(engine):
    """DOMAIN.md: a household without labour capacity is never marked eliminated. The demo
    plants a few that were (2 % of those that could have been, at least one), and the 退出不准
    check warns on each of them and no other."""
    miscleared = {
        row[0]
        for row in rows(
            engine,
            "SELECT id FROM households WHERE NOT has_labour AND risk_status = '风险已消除'",
        )
    }
    without_labour = scalar(
        engine,
        "SELECT count(*) FROM households WHERE NOT has_labour AND household_type = '监测户'",
    )
    assert 0 < len(miscleared) <= max(1, 0.03 * without_labour)
    warned = rows(
        engine,
        "SELECT household_id FROM household_warnings WHERE rule_id = 'cleared_without_labour'",
    )
    assert {row[0] for row in warned} == miscleared


def test_rectification_status_agrees_with_the_items_history(engine):
    items = rows(
        engine,
        "SELECT i.status, i.version, i.status_changed_at, i.closed_on, count(c.id), "
        "max(c.changed_at), (SELECT to_status FROM rectification_status_changes l "
        "  WHERE l.item_id = i.id ORDER BY l.changed_at DESC LIMIT 1) "
        "FROM rectification_items i JOIN rectification_status_changes c ON c.item_id = i.id "
        "GROUP BY i.id",
    )
    assert len(items) == scalar(engine, "SELECT count(*) FROM rectification_items")
    for status, version, changed_at, closed_on, changes, last_change, last_status in items:
        assert version == changes
        assert changed_at == last_change
        assert last_status == status
        assert (status == "已销号") == (closed_on is not None)
    statuses = Counter(item[0] for item in items)
    assert statuses["已销号"] > statuses["整改中"] > 0
    overdue = scalar(
        engine,
        "SELECT count(*) FROM rectification_items WHERE closed_on IS NULL AND deadline < :day",
        day=AS_OF,
    )
    assert overdue > 0


def test_reseeding_keeps_accounts_and_moves_the_data_version_on(demo, tmp_path):
    engine, _ = demo
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(engine.url.database, tmp_path / "copy.db")
    copy = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    try:
        with copy.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, username, display_name, password_hash, roles, "
                    "township_id, active, failed_logins, is_demo_password, created_at) VALUES "
                    "(1, 'mazhuang', '马庄镇', 'x', '乡镇用户', 2, 1, 0, 0, '2026-01-01 00:00:00')"
                )
            )
        version = int(scalar(copy, "SELECT value FROM meta WHERE key = 'data_version'"))
        seed_demo(copy, settings=frozen_settings(), scale=SCALE, seed=SEED, as_of=AS_OF)
        assert rows(copy, "SELECT username, township_id FROM users") == [("mazhuang", 2)]
        # The seed's own write, then the demo's 预警 history (checks and verifications), each a
        # write through the door: every one moves the version on.
        assert int(scalar(copy, "SELECT value FROM meta WHERE key = 'data_version'")) > version
    finally:
        copy.dispose()


def test_a_scale_that_is_not_positive_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'none.db'}")
    with pytest.raises(ValueError, match="规模"):
        seed_demo(engine, settings=frozen_settings(), scale=0, as_of=AS_OF)


@pytest.mark.postgres
def test_postgres_gets_the_same_county_as_sqlite(demo):
    if not PG_URL:
        pytest.skip("DASHBOARD_TEST_PG_URL is not set: PostgreSQL tests skipped")
    _, sqlite_summary = demo
    schema = f"demo_test_{os.getpid()}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, schema=schema)
    try:
        summary = seed_demo(engine, settings=frozen_settings(), scale=SCALE, seed=SEED, as_of=AS_OF)
        assert summary.counts == sqlite_summary.counts
        assert summary.database_bytes is None
        income = "SELECT round(sum(wage + transfer)) FROM income_registers"
        assert scalar(engine, income) == scalar(demo[0], income)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# Cases the demo plants on purpose; the others (no registers, no visit, …) follow from each
# township's conduct and show at full scale (bench: every rule has warnings at scale 1).
PLANTED_RULES = (
    "below_line_margin",
    "income_drop",
    "large_expense",
    "cleared_without_labour",
    "late_entry",
    "public_job_no_wage",
    "monitored_no_helper",
    "missing_documents",
)


def test_the_demo_plants_believable_numbers_of_each_warning_case(engine):
    households = scalar(engine, "SELECT count(*) FROM households")
    found = dict(rows(engine, "SELECT rule_id, count(*) FROM household_warnings GROUP BY rule_id"))
    assert all(found.get(rule, 0) > 0 for rule in PLANTED_RULES), found
    # Tens in a county of 24,000: no rule warns on more than 3 % of the households.
    assert max(found.values()) <= 0.03 * households, found
