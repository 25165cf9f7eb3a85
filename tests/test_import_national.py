"""The national 防返贫监测信息系统 基础信息表 (kinds/national.py): one row per person at its real
width, households built from their rows, the national model of 户类型 and 监测对象类别, members
kept masked, refusals that name the household's rows, re-import unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from data_access.models import Household, HouseholdMember
from tests.import_helpers import committed, dry, fingerprint, writable_demo
from tests.national_export import HEADERS, export_workbook, family


@pytest.fixture
def engine(demo_sqlite_path, tmp_path):
    engine = writable_demo(demo_sqlite_path, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def place(engine) -> tuple[str, str]:
    """A township and one of its villages, by name."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT t.name, v.name FROM villages v "
                    "JOIN townships t ON t.id = v.township_id ORDER BY v.id LIMIT 1"
                )
            ).one()
        )


def stored(engine, code: str):
    with engine.connect() as conn:
        household = (
            conn.execute(select(Household.__table__).where(Household.code == code))
            .mappings()
            .one_or_none()
        )
        members = (
            conn.execute(
                select(HouseholdMember.__table__)
                .join(Household, Household.id == HouseholdMember.household_id)
                .where(Household.code == code)
                .order_by(HouseholdMember.code)
            )
            .mappings()
            .all()
        )
    return household, members


NEW = "4527319990000001"


def test_an_export_at_its_real_width_builds_households_from_their_people(engine, settings, place):
    township, village = place
    households = [
        family(NEW, township, village, 4),
        family(
            "4527319990000002",
            township,
            village,
            3,
            category="脱贫不稳定户",
            cleared="否",
            since=202303,
        ),
        family(
            "4527319990000003",
            township,
            village,
            2,
            household_type="一般农户",
            lifted_year=None,
            category="边缘易致贫户",
            cleared="是",
            cleared_by="帮扶消除",
            since=202205,
            cleared_on=202406,
        ),
    ]
    content = export_workbook(households)
    before = fingerprint(engine)
    report = dry(engine, content, "national", settings)
    assert fingerprint(engine) == before, "a dry run writes nothing"
    assert len(HEADERS) == 110
    assert report.prepared.header_rows == (2,)
    assert report.error_messages() == []
    assert report.counts.inserted == 9
    assert report.prepared.unresolved == (), "no money field: income columns are not its concern"

    result = committed(engine, content, "national", settings)
    assert result.report.counts.inserted == 9
    head, members = stored(engine, NEW)
    assert (head["members"], head["household_type"], head["lifted_year"]) == (4, "脱贫户", 2018)
    assert head["head_name"] == households[0].people[0].name
    assert head["head_id_number"] == households[0].people[0].id_number
    assert [m["relation"] for m in members] == ["户主", "配偶", "之子", "之女"]
    assert members[1]["name_masked"] == "测*1"
    assert (
        members[0]["id_masked"]
        == households[0].people[0].id_number[:4]
        + "*" * 10
        + (households[0].people[0].id_number[-4:])
    )
    assert members[0]["months_worked"] == 6

    unstable, _ = stored(engine, "4527319990000002")
    # A 脱贫户 that is a 监测对象 is this app's 监测户, keeping its 脱贫年度.
    assert (unstable["household_type"], unstable["lifted_year"]) == ("监测户", 2018)
    assert (unstable["monitor_category"], unstable["risk_status"]) == ("脱贫不稳定户", "风险未消除")
    assert str(unstable["monitored_since"]) == "2023-03-01"
    edge, _ = stored(engine, "4527319990000003")
    assert (edge["household_type"], edge["lifted_year"], edge["risk_status"]) == (
        "监测户",
        None,
        "风险已消除",
    )
    assert (str(edge["risk_cleared_on"]), edge["risk_cleared_by"]) == ("2024-06-01", "帮扶消除")

    again = committed(engine, content, "national", settings)
    assert (again.report.counts.unchanged, again.data_version) == (9, None)


def test_a_member_no_longer_listed_is_removed_and_the_size_follows(engine, settings, place):
    township, village = place
    committed(engine, export_workbook([family(NEW, township, village, 4)]), "national", settings)
    smaller = family(NEW, township, village, 4)
    smaller.people = smaller.people[:3]
    report = committed(engine, export_workbook([smaller]), "national", settings).report
    assert report.counts.updated == 1
    [head_change] = [o for o in report.outcomes if o.row == 3]
    assert any("家庭人口：4 → 3" in c for c in head_change.changes)
    assert any("移除不再列出的成员 1 人" in c for c in head_change.changes)
    household, members = stored(engine, NEW)
    assert (household["members"], len(members)) == (3, 3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: setattr(h.people[0], "relation", "配偶"), "没有“与户主关系”为户主的一行"),
        (lambda h: setattr(h.people[1], "relation", "户主"), "不止一名户主"),
        (lambda h: setattr(h, "county", "邻县"), "不是本县（云岭县）的户"),
        (lambda h: setattr(h, "village", "不存在村"), "村不存在"),
        (lambda h: setattr(h, "lifted_year", None), "脱贫户须填写脱贫年度"),
        (
            lambda h: h.__dict__.update(household_type="一般农户", lifted_year=None),
            "一般农户未纳入监测",
        ),
        (
            lambda h: h.__dict__.update(category="边缘易致贫户", cleared="否", since=202301),
            "脱贫户不能是边缘易致贫户",
        ),
        (lambda h: setattr(h, "category", "突发严重困难户"), "须填写“风险是否已消除”"),
    ],
)
def test_a_household_that_cannot_be_read_is_refused_on_every_row(
    engine, settings, place, change, message
):
    township, village = place
    household = family(NEW, township, village, 3)
    change(household)
    before = fingerprint(engine)
    report = committed(engine, export_workbook([household]), "national", settings).report
    assert report.counts.rejected == 3
    assert all(message in m for m in report.error_messages()), report.error_messages()
    assert fingerprint(engine, ["households", "household_members"]) == {
        k: v for k, v in before.items() if k in ("households", "household_members", "meta")
    }


def test_rows_of_one_household_that_disagree_are_all_refused_naming_the_column(
    engine, settings, place
):
    township, village = place
    household = family(NEW, township, village, 2)
    content = export_workbook([household])
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(content))
    sheet = book.active
    sheet.cell(row=4, column=HEADERS.index("户类型") + 1, value="一般农户")
    buffer = BytesIO()
    book.save(buffer)
    report = dry(engine, buffer.getvalue(), "national", settings)
    assert report.counts.rejected == 2
    assert all("“户类型”不一致" in m and "列“户类型”" in m for m in report.error_messages())


def test_two_villages_of_one_name_in_a_township_are_refused_not_guessed(engine, settings, place):
    township, village = place
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO villages (code, township_id, name) "
                "SELECT '452731999999', township_id, name FROM villages WHERE name = :v LIMIT 1"
            ),
            {"v": village},
        )
    report = dry(engine, export_workbook([family(NEW, township, village, 2)]), "national", settings)
    assert report.counts.rejected == 2
    assert "多个同名的村" in report.error_messages()[0]


def test_an_export_of_heads_only_needs_the_household_size(engine, settings, place):
    township, village = place
    heads = family(NEW, township, village, 1)
    refused = dry(engine, export_workbook([heads]), "national", settings)
    assert "得不出家庭人口" in refused.error_messages()[0]
    sized = family(NEW, township, village, 1, extra={"家庭人口": 4})
    headers = [*HEADERS, "家庭人口"]
    result = committed(engine, export_workbook([sized], headers=headers), "national", settings)
    assert result.report.counts.inserted == 1
    assert stored(engine, NEW)[0]["members"] == 4
