"""走访覆盖: duty coverage on hand-made visits, the SQL against independent counts on the demo
county (SQLite, and PostgreSQL when configured), the lists, and the map builder."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, text

from config.settings import VisitSettings
from dashboard.charts.visits_map import (
    COVERAGE_CLASSES,
    LABEL_LAYER,
    NO_DATA_FILL,
    TOWNSHIP_LAYER,
    VILLAGE_LAYER,
    coverage_color,
    coverage_deck,
    legend_entries,
)
from dashboard.exports.visits import list_workbook, lowest_villages
from data_access.indicators import Level, meeting_compliance, tour_completion, visit_coverage
from data_access.models import AssistingUnit, Cadre, Meeting
from data_access.scope import Scope, county_scope
from data_access.visits import (
    DUTY_BY_KEY,
    cadres_with_unvisited_households,
    lowest_first,
    overall_coverage,
    township_leader_tours,
    township_outlines,
    township_totals,
    village_cadres,
    village_coverage,
    village_households,
    villages_without_meeting_record,
    with_coverage,
    year_elapsed,
)
from tests.builders import add_household, add_township, add_village, add_visit, assign
from tests.independent import ON_RECORD

MONTH = date(2026, 10, 1)
MONTH_END = date(2026, 10, 31)
YEAR_START = date(2026, 1, 1)
VISITS = VisitSettings(
    cadre_visits_per_month=1,
    village_tour_roles=("第一书记", "工作队员", "村支书"),
    township_tour_roles=("乡镇党委书记", "乡镇长"),
    grid_visits_per_month=1,
)
EVERYWHERE = Scope(frozenset({1, 2}))


def add_cadre(
    conn, cadre_id: int, role: str, *, township_id: int, village_id: int | None = None, unit=None
) -> int:
    conn.execute(
        insert(Cadre),
        {
            "id": cadre_id,
            "name": f"干部{cadre_id}",
            "role": role,
            "township_id": township_id,
            "village_id": village_id,
            "unit_id": unit,
        },
    )
    return cadre_id


@pytest.fixture
def county(fresh_engine) -> Engine:
    """Township 1 (villages 10, 11), township 2 (village 20); households 101–103 in village 10,
    104 in 11 and 105 in 20. Only 101–103 have a 帮扶干部. Each visit below tests one rule."""
    with fresh_engine.begin() as conn:
        add_township(conn, 1)
        add_township(conn, 2)
        add_village(conn, 10, township_id=1)
        add_village(conn, 11, township_id=1)
        add_village(conn, 20, township_id=2)
        add_village(conn, 21, township_id=2)  # no households at all: no data anywhere
        for household, village, township in [
            (101, 10, 1),
            (102, 10, 1),
            (103, 10, 1),
            (104, 11, 1),
            (105, 20, 2),
        ]:
            add_household(conn, household, village_id=village, township_id=township)
        conn.execute(insert(AssistingUnit), {"id": 1, "name": "县财政局", "kind": "县直单位"})
        add_cadre(conn, 1, "帮扶干部", township_id=1, village_id=10, unit=1)
        add_cadre(conn, 2, "帮扶干部", township_id=1, village_id=10, unit=1)
        add_cadre(conn, 3, "第一书记", township_id=1, village_id=10, unit=1)
        add_cadre(conn, 4, "网格员", township_id=1, village_id=10)
        add_cadre(conn, 5, "乡镇党委书记", township_id=1)
        add_cadre(conn, 6, "村支书", township_id=1, village_id=11)
        add_cadre(conn, 7, "乡镇长", township_id=2)
        assign(conn, 1, 101, date(2025, 1, 1))
        assign(conn, 1, 102, date(2025, 1, 1))
        assign(conn, 2, 103, date(2025, 1, 1))
        add_visit(conn, 1, 101, date(2026, 10, 5))  # helper, own household, in the month
        add_visit(conn, 1, 102, date(2026, 9, 30))  # helper, but the month before
        add_visit(conn, 2, 103, date(2026, 11, 2))  # helper, but the month after
        add_visit(conn, 4, 103, date(2026, 10, 10), role="网格员")  # grid worker, not a helper
        add_visit(conn, 3, 101, date(2026, 3, 3), role="第一书记")  # village tour, own village
        add_visit(conn, 6, 102, date(2026, 5, 5), role="村支书")  # secretary of another village
        add_visit(conn, 5, 104, date(2026, 6, 6), role="乡镇党委书记")  # township tour
        add_visit(conn, 7, 103, date(2026, 7, 7), role="乡镇长")  # leader of another township
        conn.execute(
            insert(Meeting),
            [
                {
                    "level": "村",
                    "township_id": 1,
                    "village_id": 10,
                    "month": MONTH,
                    "held_on": date(2026, 10, 12),
                    "has_record": True,
                },
                {
                    "level": "村",
                    "township_id": 1,
                    "village_id": 11,
                    "month": MONTH,
                    "held_on": date(2026, 10, 13),
                    "has_record": False,
                },
            ],
        )
    return fresh_engine


def coverage_of(engine: Engine, scope: Scope = EVERYWHERE) -> pd.DataFrame:
    with engine.connect() as conn:
        frame = village_coverage(conn=conn, scope=scope, month=MONTH, settings=VISITS)
    return frame.set_index("village_id")


def test_each_duty_counts_only_visits_by_its_role_in_its_period(county):
    village = coverage_of(county).loc[10]
    assert village["households"] == 3
    assert village["helper_assigned"] == 3
    # 101 only: 102 was visited in September, 103 in November and by its grid worker.
    assert village["helper_visited"] == 1
    # 遍访 in (household, holder) pairs: the village's one first secretary owes 3 visits and
    # made 1 (101); 102's visitor is another village's secretary.
    assert village[["village_tour_required", "village_tour_done"]].tolist() == [3, 1]
    # Township 1's one leader owes these 3 households a visit; 103's came from a leader of
    # another township.
    assert village[["township_tour_required", "township_tour_done"]].tolist() == [3, 0]
    assert village["grid_visited"] == 1
    assert village["never_visited"] == 0


def test_a_household_without_a_helper_is_counted_but_not_divided_by_zero(county):
    frame = coverage_of(county)
    assert frame.loc[11, "households"] == 1
    assert frame.loc[11, "helper_assigned"] == 0
    helper = with_coverage(frame, DUTY_BY_KEY["helper"])
    assert math.isnan(helper.loc[11, "coverage"])
    assert helper.loc[10, "coverage"] == pytest.approx(1 / 3)
    assert helper.loc[10, "unvisited"] == 2
    township = with_coverage(frame, DUTY_BY_KEY["township_tour"])
    assert township.loc[11, "coverage"] == 1.0


def test_households_never_visited_this_year_are_reported(county):
    frame = coverage_of(county)
    assert frame.loc[20, "never_visited"] == 1
    assert frame.loc[21, ["households", "never_visited"]].tolist() == [0, 0]
    assert math.isnan(with_coverage(frame, DUTY_BY_KEY["grid"]).loc[21, "coverage"])


def test_visits_later_in_the_year_do_not_count_for_an_earlier_month(county):
    with county.connect() as conn:
        june = village_coverage(
            conn=conn, scope=EVERYWHERE, month=date(2026, 6, 1), settings=VISITS
        ).set_index("village_id")
    assert june.loc[10, "helper_visited"] == 0
    assert june.loc[10, "village_tour_done"] == 1
    assert june.loc[11, "township_tour_done"] == 1
    # By June's end 101 and 102 had visitors (of any role); 103's came in July and later.
    assert june.loc[10, "never_visited"] == 1


def test_a_monthly_target_of_two_visits_needs_two_visits(county):
    with county.connect() as conn:
        frame = village_coverage(
            conn=conn,
            scope=EVERYWHERE,
            month=MONTH,
            settings=replace(VISITS, cadre_visits_per_month=2),
        ).set_index("village_id")
    assert frame.loc[10, "helper_visited"] == 0


def test_coverage_is_scoped_to_the_viewers_townships(county):
    frame = coverage_of(county, Scope(frozenset({2})))
    assert sorted(frame.index) == [20, 21]
    assert set(frame["township"]) == {"测试2镇"}


def test_township_totals_add_up_their_villages(county):
    totals = township_totals(coverage_of(county).reset_index()).set_index("township_id")
    assert totals.loc[1, ["villages", "households", "helper_visited"]].tolist() == [2, 4, 1]
    visited, covered, share = overall_coverage(totals, DUTY_BY_KEY["helper"])
    assert (visited, covered, share) == (1, 3, pytest.approx(1 / 3))


def test_cadres_who_missed_households_are_listed_with_their_unit(county):
    with county.connect() as conn:
        missed = cadres_with_unvisited_households(
            conn=conn, scope=EVERYWHERE, month=MONTH, visits_per_month=1
        )
    rows = missed[["unit", "cadre", "assigned", "unvisited"]].values.tolist()
    assert rows == [["县财政局", "干部1", 2, 1], ["县财政局", "干部2", 1, 1]]


def test_villages_without_a_meeting_record_say_whether_it_was_held(county):
    with county.connect() as conn:
        frame = villages_without_meeting_record(conn=conn, scope=EVERYWHERE, month=MONTH)
    assert dict(zip(frame["village_id"], frame["status"], strict=True)) == {
        11: "已召开，无会议记录",
        20: "未召开",
        21: "未召开",
    }


def test_township_leaders_behind_the_years_pace_are_flagged(county):
    with county.connect() as conn:
        leaders = township_leader_tours(
            conn=conn, scope=EVERYWHERE, month=MONTH, township_roles=VISITS.township_tour_roles
        ).set_index("cadre_id")
    assert leaders.loc[5, ["households", "visited"]].tolist() == [4, 1]
    # The 乡镇长 of township 2 visited a household of township 1: it does not count.
    assert leaders.loc[7, ["households", "visited"]].tolist() == [1, 0]
    assert leaders["behind"].all()
    assert leaders.loc[5, "expected"] == pytest.approx(304 / 365)


def test_year_elapsed_is_the_share_of_days_by_the_months_end():
    assert year_elapsed(date(2026, 12, 1)) == 1.0
    assert year_elapsed(date(2028, 2, 1)) == pytest.approx(60 / 366)


def test_village_households_mask_names_unless_the_scope_may_see_them(county):
    with county.connect() as conn:
        masked = village_households(
            conn=conn, scope=EVERYWHERE, village_id=10, month=MONTH, settings=VISITS
        )
        full = village_households(
            conn=conn,
            scope=Scope(frozenset({1}), personal_data=True),
            village_id=10,
            month=MONTH,
            settings=VISITS,
        )
        outside = village_households(
            conn=conn, scope=Scope(frozenset({2})), village_id=10, month=MONTH, settings=VISITS
        )
    assert set(masked["head"]) == {"张*明"}
    assert set(full["head"]) == {"张三明"}
    assert outside.empty
    by_code = masked.set_index("household_id")
    assert by_code.loc[101, ["helper", "helper_visits", "tour_visits"]].tolist() == ["干部1", 1, 1]
    assert by_code.loc[103, ["helper_visits", "grid_visits"]].tolist() == [0, 1]
    assert by_code.loc[102, "last_visit"] == date(2026, 9, 30)


def test_village_cadres_are_everyone_with_a_duty_there(county):
    with county.connect() as conn:
        cadres = village_cadres(
            conn=conn, scope=EVERYWHERE, village_id=10, month=MONTH, settings=VISITS
        ).set_index("cadre_id")
    assert sorted(cadres.index) == [1, 2, 3, 4, 5]
    assert cadres.loc[1, ["assigned", "visited_month", "visited_year"]].tolist() == [2, 1, 2]


# --- the demo county, against independent SQL ---------------------------------------------


def grouped(engine: Engine, sql: str, **params) -> dict[int, int]:
    with engine.connect() as conn:
        return {int(k): int(v) for k, v in conn.execute(text(sql), params).all()}


def nonzero(frame: pd.DataFrame, column: str) -> dict[int, int]:
    return {int(k): int(v) for k, v in zip(frame["village_id"], frame[column], strict=True) if v}


def roles_sql(roles: tuple[str, ...]) -> str:
    return ", ".join(f"'{role}'" for role in roles)


@pytest.fixture
def demo_scope(demo_engine) -> Scope:
    with demo_engine.connect() as conn:
        return county_scope(conn=conn)


@pytest.fixture
def demo_coverage(demo_engine, demo_scope, settings) -> pd.DataFrame:
    with demo_engine.connect() as conn:
        return village_coverage(conn=conn, scope=demo_scope, month=MONTH, settings=settings.visits)


def test_demo_helper_coverage_matches_the_rankings_indicator(
    demo_engine, demo_scope, demo_coverage
):
    with demo_engine.connect() as conn:
        reference = visit_coverage(
            conn=conn, scope=demo_scope, month=MONTH, visits_per_month=1, level=Level.VILLAGE
        )
    merged = demo_coverage.merge(reference, on="village_id")
    assert len(merged) == len(reference)
    assert merged["helper_assigned"].tolist() == merged["assigned"].tolist()
    assert merged["helper_visited"].tolist() == merged["visited"].tolist()


def test_demo_tour_and_grid_coverage_match_independent_counts(demo_engine, demo_coverage, settings):
    visited_by = (
        "SELECT h.village_id, COUNT(DISTINCT h.id) FROM households h "
        "JOIN visits v ON v.household_id = h.id JOIN cadres c ON c.id = v.cadre_id "
        "WHERE v.role IN ({roles}) AND {holder} AND v.visit_date BETWEEN :start AND :end "
        "AND {on_record} GROUP BY h.village_id"
    )
    # 遍访: every holder owes every household of their place a visit this year.
    owed = (
        "SELECT h.village_id, SUM(k.holders) FROM households h JOIN (SELECT {place} AS place, "
        "COUNT(*) AS holders FROM cadres WHERE role IN ({roles}) AND active GROUP BY {place}) k "
        "ON k.place = h.{place} WHERE {on_record} GROUP BY h.village_id"
    )
    paid = (
        "SELECT village_id, COUNT(*) FROM (SELECT DISTINCT h.id, c.id AS cadre, h.village_id "
        "FROM households h JOIN visits v ON v.household_id = h.id "
        "JOIN cadres c ON c.id = v.cadre_id WHERE v.role IN ({roles}) AND c.role IN ({roles}) "
        "AND c.active AND c.{place} = h.{place} AND v.visit_date BETWEEN :start AND :end "
        "AND {on_record}) pairs GROUP BY village_id"
    )
    tours = {}
    for duty, roles, place in [
        ("village_tour", settings.visits.village_tour_roles, "village_id"),
        ("township_tour", settings.visits.township_tour_roles, "township_id"),
    ]:
        words = {"roles": roles_sql(roles), "place": place, "on_record": ON_RECORD}
        tours[f"{duty}_required"] = grouped(demo_engine, owed.format(**words), end=MONTH_END)
        tours[f"{duty}_done"] = grouped(
            demo_engine, paid.format(**words), start=YEAR_START, end=MONTH_END
        )
    grid = grouped(
        demo_engine,
        visited_by.format(
            roles="'网格员'", holder="c.village_id = h.village_id", on_record=ON_RECORD
        ),
        start=MONTH,
        end=MONTH_END,
    )
    never = grouped(
        demo_engine,
        "SELECT h.village_id, COUNT(*) FROM households h WHERE NOT EXISTS (SELECT 1 FROM visits v "
        "WHERE v.household_id = h.id AND v.visit_date BETWEEN :start AND :end) "
        f"AND {ON_RECORD} GROUP BY h.village_id",
        start=YEAR_START,
        end=MONTH_END,
    )
    households = grouped(
        demo_engine,
        f"SELECT village_id, COUNT(*) FROM households h WHERE {ON_RECORD} GROUP BY 1",
        end=MONTH_END,
    )
    for column, expected in tours.items():
        assert nonzero(demo_coverage, column) == expected, column
    assert (
        0 < sum(tours["village_tour_done"].values()) < sum(tours["village_tour_required"].values())
    )
    assert nonzero(demo_coverage, "grid_visited") == grid
    assert nonzero(demo_coverage, "never_visited") == never
    assert nonzero(demo_coverage, "households") == households
    assert 0 < sum(grid.values()) < sum(households.values())


def test_demo_missed_cadres_match_an_independent_count(demo_engine, demo_scope):
    with demo_engine.connect() as conn:
        missed = cadres_with_unvisited_households(
            conn=conn, scope=demo_scope, month=MONTH, visits_per_month=1
        )
    expected = grouped(
        demo_engine,
        "SELECT a.cadre_id, COUNT(*) FROM assignments a WHERE a.start_date <= :end "
        "AND (a.end_date IS NULL OR a.end_date >= :end) AND NOT EXISTS (SELECT 1 FROM visits v "
        "WHERE v.household_id = a.household_id AND v.cadre_id = a.cadre_id "
        "AND v.role = '帮扶干部' AND v.visit_date BETWEEN :start AND :end) GROUP BY a.cadre_id",
        start=MONTH,
        end=MONTH_END,
    )
    shown = missed.groupby("cadre_id")["unvisited"].sum()
    assert {int(k): int(v) for k, v in shown.items()} == expected
    assert missed["unit"].is_monotonic_increasing


def test_demo_meeting_list_is_the_complement_of_the_ranking_indicator(demo_engine, demo_scope):
    with demo_engine.connect() as conn:
        missing = villages_without_meeting_record(conn=conn, scope=demo_scope, month=MONTH)
        compliance = meeting_compliance(conn=conn, scope=demo_scope, month=MONTH)
    assert len(missing) == int(compliance["villages"].sum() - compliance["meetings_recorded"].sum())


def test_demo_township_leader_tours_match_an_independent_count(demo_engine, demo_scope, settings):
    roles = settings.visits.township_tour_roles
    with demo_engine.connect() as conn:
        leaders = township_leader_tours(
            conn=conn, scope=demo_scope, month=MONTH, township_roles=roles
        )
    expected = grouped(
        demo_engine,
        "SELECT c.id, COUNT(DISTINCT v.household_id) FROM cadres c "
        "JOIN visits v ON v.cadre_id = c.id JOIN households h ON h.id = v.household_id "
        f"AND h.township_id = c.township_id WHERE c.role IN ({roles_sql(roles)}) AND c.active "
        "AND v.role IN ({0}) AND v.visit_date BETWEEN :start AND :end "
        f"AND {ON_RECORD} GROUP BY c.id".replace("{0}", roles_sql(roles)),
        start=YEAR_START,
        end=MONTH_END,
    )
    assert {
        int(k): int(v) for k, v in zip(leaders["cadre_id"], leaders["visited"], strict=True) if v
    } == expected


def test_demo_weak_townships_hold_the_lowest_villages(
    demo_sqlite, demo_weak_township_codes, settings
):
    with demo_sqlite.connect() as conn:
        scope = county_scope(conn=conn)
        frame = village_coverage(conn=conn, scope=scope, month=MONTH, settings=settings.visits)
        codes = dict(conn.execute(text("SELECT id, code FROM townships")).all())
    lowest = lowest_first(with_coverage(frame, DUTY_BY_KEY["helper"])).head(3)
    assert {codes[t] for t in lowest["township_id"]} <= demo_weak_township_codes


# --- the map ------------------------------------------------------------------------------


def test_no_data_is_grey_and_zero_is_the_first_red():
    assert coverage_color(float("nan")) == NO_DATA_FILL
    assert coverage_color(None) == NO_DATA_FILL
    assert coverage_color(0.0) == COVERAGE_CLASSES[0].color
    assert coverage_color(0.0) != NO_DATA_FILL
    assert coverage_color(1.0) == COVERAGE_CLASSES[-1].color
    labels = [label for label, _ in legend_entries()]
    assert labels[-1] == "无数据"
    assert len(labels) == len(COVERAGE_CLASSES) + 1


def test_the_deck_draws_outlines_villages_and_labels_without_a_basemap(demo_sqlite, settings):
    with demo_sqlite.connect() as conn:
        scope = county_scope(conn=conn)
        frame = village_coverage(conn=conn, scope=scope, month=MONTH, settings=settings.visits)
        outlines = township_outlines(conn=conn, scope=scope)
    villages = with_coverage(frame, DUTY_BY_KEY["helper"])
    villages.loc[0, ["helper_assigned", "helper_visited"]] = 0
    villages = with_coverage(villages, DUTY_BY_KEY["helper"])
    deck = coverage_deck(villages, outlines, selected_village_id=int(villages.loc[1, "village_id"]))
    spec = json.loads(deck.to_json())
    layers = {layer["id"]: layer for layer in spec["layers"]}
    assert layers[TOWNSHIP_LAYER]["@@type"] == "PolygonLayer"
    assert layers[VILLAGE_LAYER]["@@type"] == "ScatterplotLayer"
    # Literal strings (not "@@=" accessors) holding every character of the labels.
    assert set("".join(outlines["township"])) <= set(layers[LABEL_LAYER]["characterSet"])
    assert not layers[LABEL_LAYER]["fontFamily"].startswith("@@=")
    assert len(layers) == 4
    # No tiles: no provider, and pydeck's placeholder style, which Streamlit reads as "none".
    assert "mapProvider" not in spec
    assert spec["mapStyle"] == "__MAP_STYLE__"
    assert "http" not in deck.to_json()
    points = layers[VILLAGE_LAYER]["data"]
    assert points[0]["fill"] == NO_DATA_FILL
    assert points[0]["coverage_label"] == "无数据"
    assert all(point["fill"] != NO_DATA_FILL for point in points[1:])
    tooltip = deck._tooltip["html"]  # the attribute streamlit sends to the browser
    for word in ("村", "乡镇", "覆盖率", "应走访{unit}", "未走访{unit}"):
        assert word in tooltip
    assert {point["unit"] for point in points} == {"户"}
    view = spec["initialViewState"]
    lons = [p["lon"] for p in points]
    assert min(lons) < view["longitude"] < max(lons)


def test_the_export_writes_unknown_shares_as_no_data(county):
    from io import BytesIO

    from openpyxl import load_workbook

    frame = with_coverage(coverage_of(county).reset_index(), DUTY_BY_KEY["helper"])
    content = list_workbook(frame, lowest_villages("户"), title="标题", subtitle="副标题")
    sheet = load_workbook(BytesIO(content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4, max_row=7)]
    assert values[0][:2] == ["测试1镇", "测试10村"]
    assert values[1][5] == "无数据"
    assert sheet.cell(row=3, column=6).value == "覆盖率"


def test_a_tour_counts_holder_household_pairs_and_says_so(county):
    frame = coverage_of(county)
    tour = with_coverage(frame, DUTY_BY_KEY["village_tour"])
    assert tour.loc[10, ["covered", "visited", "unvisited"]].tolist() == [3, 1, 2]
    assert tour.loc[10, "coverage"] == pytest.approx(1 / 3)
    assert set(tour["unit"]) == {"人户"}
    assert set(with_coverage(frame, DUTY_BY_KEY["helper"])["unit"]) == {"户"}


def test_the_visit_map_and_the_ranking_count_the_same_tours(demo_engine, demo_scope, settings):
    # One definition of 遍访: 走访覆盖 shows its two duties per village, 红黑榜 scores their sum per
    # township; added up they are the same pairs.
    with demo_engine.connect() as conn:
        villages = village_coverage(
            conn=conn, scope=demo_scope, month=MONTH, settings=settings.visits
        )
        ranked = tour_completion(
            conn=conn,
            scope=demo_scope,
            month=MONTH,
            village_roles=settings.visits.village_tour_roles,
            township_roles=settings.visits.township_tour_roles,
        ).set_index("township_id")
    totals = township_totals(villages).set_index("township_id")
    required = totals["village_tour_required"] + totals["township_tour_required"]
    done = totals["village_tour_done"] + totals["township_tour_done"]
    assert required[required > 0].to_dict() == ranked["tour_required"].to_dict()
    assert done[required > 0].to_dict() == ranked["tour_done"].to_dict()
    assert (done < required).any(), "the demo county has tours to finish"
