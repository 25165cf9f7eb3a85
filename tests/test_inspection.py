"""暗访 draws: reproducible, risk-aware, recused, excluded, logged append-only, verifiable;
findings update "last inspected" and become rectification items with one call."""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select, text, update

import data_access.inspection.draw as inspection
from dashboard.exports.inspection import plan_workbook
from data_access.commands import change
from data_access.db import make_engine, read_meta
from data_access.inspection.draw import (
    DrawParameters,
    compute_draw,
    default_parameters,
    inspector_pool,
    make_draw,
)
from data_access.inspection.errors import (
    AlreadyConvertedError,
    InvalidFindingError,
    NoEligibleVillageError,
    NotInDrawError,
    UnverifiableDrawError,
)
from data_access.inspection.findings import (
    finding_to_rectification,
    findings_of_draw,
    record_finding,
    record_village_inspected,
)
from data_access.inspection.log import draw_log, draw_plan, verify_draw
from data_access.models import (
    InspectionDraw,
    InspectionFinding,
    RectificationItem,
    RectificationStatusChange,
    Village,
)
from data_access.sampling import NotEnoughInspectorsError
from data_access.scope import county_scope
from tests.clock import AS_OF

MONTH = date(2026, 10, 1)
NOW = datetime(2026, 11, 29, 9, 30)


@pytest.fixture
def demo_copy(tmp_path: Path, demo_sqlite_path: Path) -> Iterator[Engine]:
    """A private copy of the demo county for tests that write."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_sqlite_path, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def parameters_for(engine: Engine, settings, **changes) -> DrawParameters:
    with engine.connect() as conn:
        scope = county_scope(conn)
        pool = inspector_pool(conn=conn)
    base = default_parameters(
        settings=settings,
        as_of=AS_OF,
        month=MONTH,
        township_ids=tuple(scope.township_ids),
        inspector_ids=tuple(int(i) for i in pool["inspector_id"]),
    )
    return DrawParameters(**{**base.__dict__, **changes})


def draw(engine: Engine, settings, seed: str, **changes):
    with engine.connect() as conn:
        return compute_draw(
            conn=conn,
            parameters=parameters_for(engine, settings, **changes),
            seed=seed,
            settings=settings,
        )


def logged(engine: Engine, settings, seed: str, replaces: int | None = None, **changes):
    with change(engine, by="inspector", author="督查组", at=NOW) as write:
        return make_draw(
            write,
            parameters=parameters_for(engine, settings, **changes),
            seed=seed,
            planned_on=AS_OF + timedelta(days=3),
            settings=settings,
            replaces_draw_id=replaces,
        )


def test_the_same_seed_parameters_and_data_give_the_same_draw(demo_engine, settings):
    first = draw(demo_engine, settings, "2026年11月推进会")
    again = draw(demo_engine, settings, "2026年11月推进会")
    assert first.input_hash == again.input_hash
    assert first.result == again.result
    assert len(first.result["village_ids"]) == settings.inspection.villages_per_draw


def test_sqlite_and_postgresql_give_the_same_hash_and_draw(demo_sqlite, demo_postgres, settings):
    on_sqlite = draw(demo_sqlite, settings, "同一种子")
    on_postgres = draw(demo_postgres, settings, "同一种子")
    assert on_sqlite.input_hash == on_postgres.input_hash
    assert on_sqlite.result == on_postgres.result


def test_different_seeds_give_different_draws(demo_sqlite, settings):
    results = {
        tuple(draw(demo_sqlite, settings, f"seed-{n}").result["village_ids"]) for n in range(8)
    }
    assert len(results) >= 6


def test_a_changed_parameter_changes_the_input_hash(demo_sqlite, settings):
    assert (
        draw(demo_sqlite, settings, "x").input_hash
        != draw(demo_sqlite, settings, "x", households_per_village=15).input_hash
    )


def test_each_village_gets_its_quota_of_households_monitored_first(demo_sqlite, settings):
    outcome = draw(demo_sqlite, settings, "quota", households_per_village=20)
    with demo_sqlite.connect() as conn:
        for village, households in outcome.result["households"].items():
            kinds = dict(
                conn.execute(
                    text(
                        "SELECT household_type, COUNT(*) FROM households WHERE village_id = :v "
                        "GROUP BY household_type"
                    ),
                    {"v": int(village)},
                ).all()
            )
            drawn_monitored = conn.execute(
                text(
                    "SELECT COUNT(*) FROM households WHERE household_type = '监测户' "
                    f"AND id IN ({','.join(str(h) for h in households)})"
                )
            ).scalar_one()
            assert len(households) == min(20, sum(kinds.values()))
            assert drawn_monitored == min(kinds.get("监测户", 0), len(households))


def test_inspectors_are_never_sent_where_recusal_applies(demo_sqlite, settings):
    with demo_sqlite.connect() as conn:
        pool = inspector_pool(conn=conn).set_index("inspector_id")
        townships = dict(conn.execute(text("SELECT id, township_id FROM villages")).all())
        pairs = set(conn.execute(text("SELECT unit_id, village_id FROM unit_villages")).all())
    # The small demo county has 8 inspectors: 2 villages × 2 leaves room for recusal.
    for n in range(20):
        outcome = draw(demo_sqlite, settings, f"recusal-{n}", villages=2)
        for village, team in outcome.result["teams"].items():
            assert len(team) == settings.inspection.team_size
            for inspector in team:
                assert pool.loc[inspector, "home_township_id"] != townships[int(village)]
                assert (pool.loc[inspector, "unit_id"], int(village)) not in pairs
        assert len(outcome.result["inspector_ids"]) == len(set(outcome.result["inspector_ids"]))


def test_too_small_a_pool_is_refused_by_name(demo_sqlite, settings):
    with pytest.raises(NotEnoughInspectorsError):
        draw(demo_sqlite, settings, "x", inspector_ids=(1,))


def test_villages_inspected_within_the_window_are_never_drawn(demo_copy, settings):
    with demo_copy.begin() as conn:
        ids = conn.execute(select(Village.id).order_by(Village.id)).scalars().all()
        recent = ids[: len(ids) - 3]
        conn.execute(
            update(Village)
            .where(Village.id.in_(recent))
            .values(last_inspected_on=AS_OF - timedelta(days=10))
        )
    for n in range(10):
        drawn = draw(demo_copy, settings, f"window-{n}").result["village_ids"]
        assert not set(drawn) & set(recent)
    with demo_copy.begin() as conn:
        conn.execute(update(Village).values(last_inspected_on=AS_OF - timedelta(days=10)))
    with pytest.raises(NoEligibleVillageError):
        draw(demo_copy, settings, "none left")


def test_households_of_any_logged_draw_are_never_drawn_again(demo_copy, settings):
    with demo_copy.connect() as conn:
        before = inspection.sampled_household_ids(conn=conn)
    # All villages of one township, so the draws keep meeting the same households.
    with demo_copy.connect() as conn:
        township = conn.execute(text("SELECT MIN(id) FROM townships")).scalar_one()
    first = logged(demo_copy, settings, "a", township_ids=(township,), villages=3)
    second = logged(demo_copy, settings, "b", township_ids=(township,), villages=3)
    assert not set(first.result["household_ids"]) & before
    assert not set(second.result["household_ids"]) & (before | set(first.result["household_ids"]))


def test_the_module_offers_no_way_to_change_or_remove_a_draw():
    names = [
        name
        for name, function in inspect.getmembers(inspection, inspect.isfunction)
        if function.__module__ == inspection.__name__
    ]
    verbs = ("update", "delete", "remove", "edit", "discard", "modify", "replace_draw")
    assert [name for name in names if any(verb in name.lower() for verb in verbs)] == []
    source = inspect.getsource(inspection)
    assert "update(InspectionDraw" not in source
    assert "delete(" not in source


def test_a_redraw_is_a_new_row_pointing_at_the_untouched_one_it_replaces(demo_copy, settings):
    first = logged(demo_copy, settings, "first")
    with demo_copy.connect() as conn:
        original = conn.execute(
            select(InspectionDraw.__table__).where(InspectionDraw.id == first.draw_id)
        ).one()
    second = logged(demo_copy, settings, "second", replaces=first.draw_id)
    with demo_copy.connect() as conn:
        after = conn.execute(
            select(InspectionDraw.__table__).where(InspectionDraw.id == first.draw_id)
        ).one()
        replacing = conn.execute(
            select(InspectionDraw.replaces_draw_id).where(InspectionDraw.id == second.draw_id)
        ).scalar_one()
        log = draw_log(conn=conn).set_index("draw_id")
    assert second.draw_id > first.draw_id
    assert tuple(after) == tuple(original)
    assert replacing == first.draw_id
    assert log.loc[first.draw_id, "replaced_by"] == second.draw_id
    assert log.loc[second.draw_id, "replaced_by"] == 0


def test_a_draw_is_logged_with_who_when_seed_parameters_and_hash(demo_copy, settings):
    with demo_copy.connect() as conn:
        version = int(read_meta(conn, "data_version") or 0)
    made = logged(demo_copy, settings, "会上商定")
    with demo_copy.connect() as conn:
        row = conn.execute(
            select(InspectionDraw.__table__).where(InspectionDraw.id == made.draw_id)
        ).one()
        assert int(read_meta(conn, "data_version")) == version + 1
    assert (row.drawn_by, row.drawn_at, row.seed) == ("督查组", NOW, "会上商定")
    assert row.input_hash == made.input_hash
    assert len(row.input_hash) == 64
    assert row.parameters["households_per_village"] == settings.inspection.households_per_village
    assert row.result == made.result


def test_verify_matches_on_unchanged_data_and_detects_a_changed_input(demo_copy, settings):
    made = logged(demo_copy, settings, "verify me")
    with demo_copy.connect() as conn:
        assert verify_draw(conn=conn, draw_id=made.draw_id, settings=settings).matches
    # A later draw does not disturb the verification of an earlier one.
    logged(demo_copy, settings, "later")
    with demo_copy.connect() as conn:
        assert verify_draw(conn=conn, draw_id=made.draw_id, settings=settings).matches
    with demo_copy.begin() as conn:
        untouched = conn.execute(
            select(Village.id)
            .where(
                Village.last_inspected_on.is_(None)
                | (Village.last_inspected_on < AS_OF - timedelta(days=365))
                | (Village.last_inspected_on > date(2025, 1, 1))
            )
            .where(Village.id.not_in(made.result["village_ids"]))
            .limit(1)
        ).scalar_one()
        conn.execute(
            update(Village)
            .where(Village.id == untouched)
            .values(last_inspected_on=date(2025, 1, 1))
        )
    with demo_copy.connect() as conn:
        outcome = verify_draw(conn=conn, draw_id=made.draw_id, settings=settings)
    assert not outcome.matches
    assert outcome.current_hash != outcome.logged_hash
    assert "不一致" in outcome.sentence()


def test_a_draw_of_another_procedure_cannot_be_verified(demo_sqlite, settings):
    with demo_sqlite.connect() as conn, pytest.raises(UnverifiableDrawError):
        verify_draw(conn=conn, draw_id=1, settings=settings)


def test_a_finding_updates_last_inspected_and_becomes_one_rectification_item(demo_copy, settings):
    made = logged(demo_copy, settings, "findings")
    village = made.result["village_ids"][0]
    household = made.result["households"][str(village)][0]
    with change(demo_copy, by="inspector", author="督查组", at=NOW) as write:
        finding = record_finding(
            write,
            draw_id=made.draw_id,
            village_id=village,
            household_id=household,
            inspected_on=AS_OF,
            description="户主不清楚帮扶干部姓名和帮扶措施",
        )
    with change(demo_copy, by="inspector", author="督查组", at=NOW) as write:
        code = finding_to_rectification(
            write,
            finding_id=finding,
            category="防返贫监测帮扶不到位",
            deadline_days=settings.inspection.rectification_deadline_days,
        )
    with demo_copy.connect() as conn:
        inspected = conn.execute(
            select(Village.last_inspected_on).where(Village.id == village)
        ).scalar_one()
        item = conn.execute(
            select(RectificationItem.__table__).where(RectificationItem.code == code)
        ).one()
        history = conn.execute(
            select(RectificationStatusChange.__table__).where(
                RectificationStatusChange.item_id == item.id
            )
        ).all()
        linked = conn.execute(
            select(InspectionFinding.rectification_item_id).where(InspectionFinding.id == finding)
        ).scalar_one()
        shown = findings_of_draw(conn=conn, scope=county_scope(conn), draw_id=made.draw_id)
    assert inspected == AS_OF
    assert (item.source, item.status, item.kind) == ("督查暗访", "未整改", "限期整改")
    assert item.deadline == AS_OF + timedelta(days=settings.inspection.rectification_deadline_days)
    assert item.village_id == village
    assert "户主不清楚帮扶干部姓名和帮扶措施" in item.description
    assert [(h.from_status, h.to_status) for h in history] == [(None, "未整改")]
    assert linked == item.id
    assert shown["item_code"].tolist() == [code]
    with change(demo_copy, by="x", at=NOW) as write, pytest.raises(AlreadyConvertedError):
        finding_to_rectification(write, finding_id=finding, category="x", deadline_days=30)


def test_recording_without_findings_moves_last_inspected_forward_only(demo_copy, settings):
    made = logged(demo_copy, settings, "visited")
    village = made.result["village_ids"][0]
    with change(demo_copy, by="inspector", at=NOW) as write:
        record_village_inspected(
            write, draw_id=made.draw_id, village_id=village, inspected_on=AS_OF
        )
        record_village_inspected(
            write,
            draw_id=made.draw_id,
            village_id=village,
            inspected_on=AS_OF - timedelta(days=0),
        )
        assert (
            write.conn.execute(
                select(Village.last_inspected_on).where(Village.id == village)
            ).scalar_one()
            == AS_OF
        )


@pytest.mark.parametrize(
    ("refused", "error"),
    [
        ({"household_id": -1}, NotInDrawError),
        ({"village_id": -1}, NotInDrawError),
        ({"description": "  "}, InvalidFindingError),
        ({"inspected_on": AS_OF + timedelta(days=1)}, InvalidFindingError),
        ({"inspected_on": date(2020, 1, 1)}, InvalidFindingError),
    ],
)
def test_impossible_findings_are_refused(demo_copy, settings, refused, error):
    made = logged(demo_copy, settings, "refusals")
    village = made.result["village_ids"][0]
    values = {
        "draw_id": made.draw_id,
        "village_id": village,
        "household_id": made.result["households"][str(village)][0],
        "inspected_on": AS_OF,
        "description": "问题",
    } | refused
    with change(demo_copy, by="inspector", at=NOW) as write, pytest.raises(error):
        record_finding(write, **values)


def test_the_sealed_plan_export_masks_identities_and_carries_seed_and_hash(demo_copy, settings):
    made = logged(demo_copy, settings, "export")
    with demo_copy.connect() as conn:
        plan = draw_plan(conn=conn, scope=county_scope(conn), draw_id=made.draw_id)
        heads = dict(
            conn.execute(
                text(
                    "SELECT id, head_name FROM households WHERE id IN "
                    f"({','.join(str(h) for h in made.result['household_ids'])})"
                )
            ).all()
        )
    workbook = load_workbook(BytesIO(plan_workbook(plan, county=settings.county.name)))
    assert workbook.sheetnames == ["抽中村", "抽查农户", "检查人员", "抽签信息"]
    households = workbook["抽查农户"]
    rows = range(4, 4 + len(made.result["household_ids"]))
    assert [households.cell(row=r, column=1).value for r in rows] == list(range(1, len(rows) + 1))
    shown = [households.cell(row=r, column=6).value for r in rows]
    assert all("*" in name for name in shown)
    assert not set(shown) & {name for name in heads.values() if len(name) > 1}
    info = {row[0].value: row[1].value for row in workbook["抽签信息"].iter_rows(min_row=4)}
    assert info["种子"] == "export"
    assert info["输入哈希"] == made.input_hash
    villages = workbook["抽中村"]
    assert villages.cell(row=4, column=5).value  # the risk reasons
