"""红黑榜: SQL indicators against independent counts, the ranking of the demo county, snapshots,
the export, and the page."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select, text
from streamlit.testing.v1 import AppTest

from dashboard.exports.rankings import ranking_workbook
from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.commands import change
from data_access.indicators import (
    FAMILIES,
    Level,
    circular_counts,
    meeting_compliance,
    tour_completion,
    visit_coverage,
)
from data_access.models import DataSource, FrameSnapshot, IndicatorSnapshot
from data_access.rankings import (
    _score,
    _scored,
    methodology_rows,
    rank_history,
    rank_reason,
    ranking,
    summon_circulars,
    summon_flags,
    weighed_indicators,
)
from data_access.scope import Scope, county_scope
from data_access.snapshots import indicator_counts
from tests.clock import WALL_CLOCK
from tests.independent import ON_RECORD, counts_by_group, nonzero_column
from tests.login import logged_in

MONTH = date(2026, 10, 1)
APP = str(PROJECT_ROOT / "dashboard" / "app.py")
RANKINGS_PAGE = next(spec for spec in PAGES if spec.url_path == "rankings")


@pytest.fixture
def scope(demo_engine) -> Scope:
    with demo_engine.connect() as conn:
        return county_scope(conn=conn)


def test_tour_completion_counts_each_duty_holders_visits_this_year(demo_engine, scope, settings):
    roles = settings.visits
    with demo_engine.connect() as conn:
        frame = tour_completion(
            conn=conn,
            scope=scope,
            month=MONTH,
            village_roles=roles.village_tour_roles,
            township_roles=roles.township_tour_roles,
        )
    village_roles = ", ".join(f"'{r}'" for r in roles.village_tour_roles)
    township_roles = ", ".join(f"'{r}'" for r in roles.township_tour_roles)
    pairs = (
        "SELECT h.id AS household_id, h.township_id, c.id AS cadre_id FROM households h "
        f"JOIN cadres c ON c.village_id = h.village_id AND c.role IN ({village_roles}) "
        f"AND c.active WHERE {ON_RECORD} "
        "UNION ALL SELECT h.id, h.township_id, c.id FROM households h "
        f"JOIN cadres c ON c.township_id = h.township_id AND c.role IN ({township_roles}) "
        f"AND c.active WHERE {ON_RECORD}"
    )
    required = counts_by_group(
        demo_engine,
        f"SELECT township_id, COUNT(*) FROM ({pairs}) p GROUP BY township_id",
        end=date(2026, 10, 31),
    )
    done = counts_by_group(
        demo_engine,
        f"SELECT township_id, COUNT(*) FROM ({pairs}) p WHERE EXISTS (SELECT 1 FROM visits v "
        "WHERE v.household_id = p.household_id AND v.cadre_id = p.cadre_id "
        "AND v.visit_date BETWEEN :start AND :end) GROUP BY township_id",
        start=date(2026, 1, 1),
        end=date(2026, 10, 31),
    )
    assert nonzero_column(frame, "township_id", "tour_required") == required
    assert nonzero_column(frame, "township_id", "tour_done") == done
    assert 0 < sum(done.values()) < sum(required.values())


def test_meeting_compliance_counts_villages_with_a_recorded_meeting(demo_engine, scope):
    with demo_engine.connect() as conn:
        frame = meeting_compliance(conn=conn, scope=scope, month=MONTH)
    recorded = counts_by_group(
        demo_engine,
        "SELECT v.township_id, COUNT(*) FROM villages v JOIN meetings m ON m.village_id = v.id "
        "AND m.level = '村' AND m.month = :month AND m.has_record GROUP BY v.township_id",
        month=MONTH,
    )
    villages = counts_by_group(demo_engine, "SELECT township_id, COUNT(*) FROM villages GROUP BY 1")
    assert nonzero_column(frame, "township_id", "meetings_recorded") == recorded
    assert nonzero_column(frame, "township_id", "villages") == villages


def test_unit_visit_coverage_groups_households_by_their_cadres_unit(demo_engine, scope):
    with demo_engine.connect() as conn:
        frame = visit_coverage(
            conn=conn, scope=scope, month=MONTH, visits_per_month=1, level=Level.UNIT
        )
    households = counts_by_group(
        demo_engine,
        "SELECT c.unit_id, COUNT(*) FROM assignments a JOIN cadres c ON c.id = a.cadre_id "
        "WHERE a.start_date <= :end AND (a.end_date IS NULL OR a.end_date >= :end) "
        "GROUP BY c.unit_id",
        end=date(2026, 10, 31),
    )
    assert nonzero_column(frame, "unit_id", "assigned") == households


def test_circulars_are_counted_by_colour_for_the_year_to_date(demo_engine, scope):
    with demo_engine.connect() as conn:
        frame = circular_counts(conn=conn, scope=scope, on=date(2026, 10, 31), level=Level.UNIT)
    black = counts_by_group(
        demo_engine,
        "SELECT unit_id, COUNT(*) FROM circulars WHERE color = '黑榜' AND unit_id IS NOT NULL "
        "AND issued_on BETWEEN :start AND :end GROUP BY unit_id",
        start=date(2026, 1, 1),
        end=date(2026, 10, 31),
    )
    assert nonzero_column(frame, "unit_id", "black_circulars") == black


@pytest.mark.parametrize(
    ("window", "since"), [("year", date(2026, 1, 1)), ("all", date(1990, 1, 1))]
)
def test_the_summon_limit_counts_this_years_or_every_black_circular(
    demo_engine, scope, settings, window, since
):
    chosen = replace(settings, rankings=replace(settings.rankings, summon_window=window))
    with demo_engine.connect() as conn:
        counted = summon_circulars(conn=conn, on=date(2026, 10, 31), window=window)
        units = ranking(conn=conn, scope=scope, month=MONTH, settings=chosen, level=Level.UNIT)
    expected = counts_by_group(
        demo_engine,
        "SELECT unit_id, COUNT(*) FROM circulars WHERE color = '黑榜' AND unit_id IS NOT NULL "
        "AND issued_on BETWEEN :start AND :end GROUP BY unit_id",
        start=since,
        end=date(2026, 10, 31),
    )
    assert nonzero_column(counted, "unit_id", "summon_circulars") == expected
    flagged = set(units.loc[summon_flags(units, chosen), "unit_id"])
    limit = chosen.rankings.summon_limit
    assert flagged == {unit for unit, count in expected.items() if count >= limit} & set(
        units["unit_id"]
    )
    assert (
        chosen.rankings.summon_words
        == f"{'本年度' if window == 'year' else '累计'}黑榜通报 {limit} 次"
    )


def test_the_weak_townships_of_the_demo_land_on_the_black_list(
    demo_engine, scope, settings, demo_weak_township_codes
):
    with demo_engine.connect() as conn:
        ranked = ranking(
            conn=conn, scope=scope, month=MONTH, settings=settings, level=Level.TOWNSHIP
        )
    black = set(ranked[ranked["placement"] == "黑榜"]["code"])
    red = set(ranked[ranked["placement"] == "红榜"]["code"])
    # The small test county has fewer weak townships than places on the list.
    assert len(demo_weak_township_codes) <= len(black)
    assert demo_weak_township_codes <= black
    assert not red & demo_weak_township_codes
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked["composite"].is_monotonic_decreasing


def test_the_same_counts_come_from_the_snapshot_and_from_live_sql(demo_sqlite, settings):
    with demo_sqlite.connect() as conn:
        first = indicator_counts(conn=conn, month=MONTH, settings=settings, level=Level.UNIT)
        stored = conn.execute(
            select(func.count(IndicatorSnapshot.entity_id.distinct())).where(
                IndicatorSnapshot.month == MONTH,
                IndicatorSnapshot.kind.like("unit:%"),
                # Not the row that stands for "counted, nothing to count" (id -1), which a
                # family with no rows in the month stores.
                IndicatorSnapshot.entity_id > 0,
            )
        ).scalar_one()
        again = indicator_counts(conn=conn, month=MONTH, settings=settings, level=Level.UNIT)
    assert stored == len(first) > 0
    assert (
        again.sort_values("unit_id")
        .reset_index(drop=True)
        .equals(first.sort_values("unit_id").reset_index(drop=True))
    )


def test_a_write_to_a_source_makes_its_snapshots_stale_and_leaves_the_others(
    tmp_path, demo_sqlite_path, settings
):
    from data_access.db import make_engine

    copy = tmp_path / "copy.db"
    copy.write_bytes(Path(demo_sqlite_path).read_bytes())
    engine = make_engine(f"sqlite:///{copy}")
    with engine.connect() as conn:
        before = indicator_counts(conn=conn, month=MONTH, settings=settings, level=Level.TOWNSHIP)
    with change(engine, by="测试", at=WALL_CLOCK) as write:
        write.conn.execute(text("UPDATE meetings SET has_record = 0"))
        # Written behind the registers' back: their snapshot must not notice.
        write.conn.execute(text("DELETE FROM income_registers"))
        write.touch(DataSource.MEETINGS)
    with engine.connect() as conn:
        counts = indicator_counts(conn=conn, month=MONTH, settings=settings, level=Level.TOWNSHIP)
        kinds = conn.execute(
            text("SELECT DISTINCT kind FROM indicator_snapshots WHERE kind LIKE 'township:%'")
        ).scalars()
        assert set(kinds) == {f"township:{family.name}" for family in FAMILIES}
    engine.dispose()
    assert counts["meetings_recorded"].sum() == 0
    assert before["meetings_recorded"].sum() > 0
    assert counts["registered"].tolist() == before["registered"].tolist()


def test_rank_history_has_twelve_months_of_every_township(demo_sqlite, settings):
    with demo_sqlite.connect() as conn:
        scope = county_scope(conn=conn)
        history = rank_history(conn=conn, scope=scope, month=MONTH, settings=settings)
    assert history["month"].nunique() == 12
    assert len(history) == 12 * len(scope.township_ids)
    assert history.groupby("month")["rank"].apply(sorted).map(len).eq(len(scope.township_ids)).all()


def test_a_stored_ranking_equals_the_scored_one_and_is_kept_per_scope_and_settings(
    demo_sqlite, settings
):
    def stored_keys() -> set[str]:
        query = select(FrameSnapshot.settings_key).where(
            FrameSnapshot.name == "ranking_township", FrameSnapshot.month == MONTH
        )
        return set(conn.execute(query).scalars())

    weights = settings.rankings.weights
    heavier = replace(
        settings,
        rankings=replace(settings.rankings, weights={**weights, "visits": weights["visits"] + 5}),
    )
    with demo_sqlite.connect() as conn:
        county = county_scope(conn=conn)
        two = county.narrowed(sorted(county.township_ids)[:2])
        scored = {
            name: _score(conn, scope, MONTH, rules, Level.TOWNSHIP)
            for name, scope, rules in (
                ("county", county, settings),
                ("two", two, settings),
                ("heavier", county, heavier),
            )
        }
        read = {
            name: _scored(conn, scope, MONTH, rules, Level.TOWNSHIP)
            for name, scope, rules in (
                ("county", county, settings),
                ("two", two, settings),
                ("heavier", county, heavier),
            )
        }
        again = _scored(conn, county, MONTH, settings, Level.TOWNSHIP)
        keys = stored_keys()
    for name, frame in scored.items():
        pd.testing.assert_frame_equal(read[name], frame, check_exact=False)
    pd.testing.assert_frame_equal(again, scored["county"], check_exact=False)
    # Two townships ranked among themselves hold ranks 1 and 2, whatever their county ranks.
    assert sorted(read["two"]["rank"]) == [1, 2]
    assert not read["heavier"]["composite"].equals(read["county"]["composite"])
    # One stored result per scope and settings.
    assert len(keys) >= 3


def township_ranking(engine: Engine, settings):
    with engine.connect() as conn:
        return ranking(
            conn=conn,
            scope=county_scope(conn=conn),
            month=MONTH,
            settings=settings,
            level=Level.TOWNSHIP,
        )


def test_traffic_light_mode_places_by_thresholds(demo_sqlite, settings):
    lights = replace(settings, rankings=replace(settings.rankings, mode="traffic_light"))
    ranked = township_ranking(demo_sqlite, lights)
    green = ranked[ranked["composite"] >= settings.rankings.green_at]
    assert set(green["placement"]) <= {"绿"}
    assert set(ranked["placement"]) <= {"绿", "黄", "红"}


def test_the_reason_names_the_weakest_indicators(demo_sqlite, settings):
    ranked = township_ranking(demo_sqlite, settings)
    last = ranked.iloc[-1]
    reason = rank_reason(last, indicators=weighed_indicators(settings), strongest=False)
    assert reason.startswith("短板：")
    weakest = min(
        (key for key in ("registers", "visits", "tours", "rectification", "meetings")),
        key=lambda key: last[f"{key}_score"],
    )
    assert f"{last[f'{weakest}_rate'] * 100:.1f}%" in reason


def test_the_methodology_is_generated_from_the_settings(settings):
    heavier = replace(
        settings,
        rankings=replace(
            settings.rankings,
            weights={**settings.rankings.weights, "visits": 3.0},
            list_size=5,
        ),
    )
    text_rows = dict(methodology_rows(heavier, MONTH))
    assert "前 5 名列入红榜" in text_rows["榜单"]
    total = sum(heavier.rankings.weights.values())
    assert f"权重 {3.0 / total:.0%}" in text_rows["走访覆盖率"]


def test_the_export_holds_the_numbers_of_the_ranking(demo_sqlite, settings):
    with demo_sqlite.connect() as conn:
        scope = county_scope(conn=conn)
        townships = ranking(
            conn=conn, scope=scope, month=MONTH, settings=settings, level=Level.TOWNSHIP
        )
        units = ranking(conn=conn, scope=scope, month=MONTH, settings=settings, level=Level.UNIT)
    data = ranking_workbook(
        townships=townships,
        township_changes=["—"] * len(townships),
        units=units,
        unit_changes=["—"] * len(units),
        settings=settings,
        month=MONTH,
        as_of="2026-11-29 18:00",
    )
    workbook = load_workbook(BytesIO(data))
    assert workbook.sheetnames == ["乡镇排名", "帮扶单位排名", "计分方法"]
    sheet = workbook["乡镇排名"]
    assert sheet["A3"].value == "名次"
    for offset, record in enumerate(townships.to_dict("records")):
        row = 4 + offset
        assert sheet.cell(row=row, column=1).value == record["rank"]
        assert sheet.cell(row=row, column=3).value == record["name"]
        assert sheet.cell(row=row, column=4).value == pytest.approx(record["composite"])
        assert sheet.cell(row=row, column=5).value == (record["placement"] or None)
    assert workbook["帮扶单位排名"].max_row >= 3 + len(units)
    assert sheet.page_setup.orientation == "landscape"


@pytest.fixture
def rankings_app(monkeypatch, demo_sqlite_path, test_config_path) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(str(RANKINGS_PAGE.path))
    return logged_in(app)


def test_the_rankings_page_lists_the_red_and_black_townships_of_its_table(
    rankings_app, demo_sqlite, settings
):
    assert not rankings_app.exception
    ranked = township_ranking(demo_sqlite, settings)
    shown = rankings_app.dataframe[0].value
    assert shown["name"].tolist() == ranked["name"].tolist()
    panels = " ".join(element.proto.body for element in rankings_app.get("html"))
    for name in ranked[ranked["placement"] != ""]["name"]:
        assert name in panels


def test_the_village_drill_down_shows_the_villages_of_the_chosen_township(
    rankings_app, demo_sqlite
):
    with demo_sqlite.connect() as conn:
        township_id, villages = conn.execute(
            text(
                "SELECT township_id, COUNT(*) FROM villages GROUP BY township_id "
                "ORDER BY township_id LIMIT 1"
            )
        ).one()
    with demo_sqlite.connect() as conn:
        names = set(
            conn.execute(
                text("SELECT name FROM villages WHERE township_id = :t"), {"t": township_id}
            ).scalars()
        )
    rankings_app.selectbox(key="drill-township").set_value(township_id).run()
    assert not rankings_app.exception
    assert any(set(df.value["name"]) == names for df in rankings_app.dataframe)
    assert len(names) == villages


def test_the_overview_names_the_same_red_and_black_townships(
    monkeypatch, demo_sqlite_path, test_config_path, demo_sqlite, settings
):
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = logged_in(AppTest.from_file(APP, default_timeout=60))
    assert not app.exception
    line = next(e.proto.body for e in app.get("html") if 'data-testid="placements"' in e.proto.body)
    ranked = township_ranking(demo_sqlite, settings)
    red = "、".join(ranked[ranked["placement"] == "红榜"]["name"])
    black = "、".join(ranked[ranked["placement"] == "黑榜"]["name"].iloc[::-1])
    assert red in line
    assert black in line
