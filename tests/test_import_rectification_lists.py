"""整改清单 as county offices publish them (序号, 反馈问题, 牵头单位, 责任单位, 整改措施, 整改时限,
整改进展): no 问题编号, the source in the title, deadlines and progress in words, a county
department responsible, a note under the table — imported as the county publishes them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from data_access.models import RectificationItem
from data_access.overview import briefing
from data_access.rectification import COUNTY_LEVEL, ledger_items
from data_access.scope import county_scope
from tests.clock import AS_OF
from tests.import_helpers import committed, dry, fingerprint, workbook_bytes, writable_demo

OCTOBER = date(2026, 10, 1)
HEADER = ["序号", "反馈问题", "牵头单位", "责任单位", "整改措施", "整改时限", "整改进展"]
TITLE = "2025年度省级考核评估反馈问题整改清单"
ROWS = [
    [1, "部分脱贫户收入登记不全面", "县乡村振兴局", "城关镇", "逐户补登", "2026年12月底前",
     "整改中，已补登60%"],
    [2, "家庭医生签约服务不到位", "县卫健局", "县卫健局", "全面排查签约", "2026年6月30日前",
     "已完成。已于2026年5月20日完成签约"],
    [3, "防返贫监测信息更新不及时", "县乡村振兴局", "各乡镇", "每月比对", "长期坚持", "长期坚持"],
    [4, "帮扶政策宣传不到位", "县委宣传部", "城关镇、清水镇", "入户宣讲", "立行立改", "未整改"],
]  # fmt: skip


def published(rows=ROWS, *, title=TITLE) -> bytes:
    return workbook_bytes(
        [HEADER, *rows, [], ["注：整改进展截至2026年11月底，由县乡村振兴局汇总。"]], title=title
    )


@pytest.fixture
def engine(demo_sqlite_path, tmp_path):
    engine = writable_demo(demo_sqlite_path, tmp_path)
    yield engine
    engine.dispose()


def items(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(RectificationItem.__table__).where(RectificationItem.code.like("QD-%"))
        ).mappings()
        return {row["description"]: dict(row) for row in rows}


def test_a_published_list_imports_as_published_and_once(engine, settings):
    before = fingerprint(engine)
    report = dry(engine, published(), "rectification", settings)
    assert fingerprint(engine) == before
    assert report.error_messages() == []
    assert report.prepared.skipped == 1, "the note under the table is not a row"
    assert report.counts.inserted == 4
    assert all("按问题内容生成的编号" in o.key for o in report.outcomes)

    committed(engine, published(), "rectification", settings)
    stored = items(engine)
    assert {row["source"] for row in stored.values()} == {"省考核评估反馈"}
    income = stored["部分脱贫户收入登记不全面"]
    assert (income["status"], income["deadline"], income["kind"]) == (
        "整改中",
        date(2026, 12, 31),
        "限期整改",
    )
    assert income["township_id"] is not None
    assert income["lead_unit"] == "县乡村振兴局"
    assert "整改进展：整改中，已补登60%" in income["measure"]
    doctors = stored["家庭医生签约服务不到位"]
    assert (doctors["township_id"], doctors["responsible_unit"]) == (None, "县卫健局")
    assert (doctors["status"], doctors["closed_on"]) == ("已销号", date(2026, 5, 20))
    ongoing = stored["防返贫监测信息更新不及时"]
    assert (ongoing["kind"], ongoing["deadline"], ongoing["status"]) == (
        "长期坚持",
        date(2026, 12, 31),
        "整改中",
    )
    assert ongoing["found_on"] == AS_OF, "no 发现日期: the day of the import"
    publicity = stored["帮扶政策宣传不到位"]
    assert (publicity["township_id"], publicity["kind"], publicity["deadline"]) == (
        None,
        "立行立改",
        AS_OF,
    )

    again = committed(engine, published(), "rectification", settings)
    assert (again.report.counts.unchanged, again.data_version) == (4, None)


def test_progress_reported_later_updates_the_same_item(engine, settings):
    committed(engine, published(), "rectification", settings)
    later = [list(row) for row in ROWS]
    later[0][6] = "已完成"
    result = committed(engine, published(later), "rectification", settings)
    assert (result.report.counts.updated, result.report.counts.unchanged) == (1, 3)
    income = items(engine)["部分脱贫户收入登记不全面"]
    assert (income["status"], income["closed_on"]) == ("已销号", AS_OF)


def test_county_level_items_are_in_the_county_ledger_and_its_overdue_count(engine, settings):
    overdue = [5, "教育资助发放滞后", "县教育局", "县教育局", "", "2026年3月底前", "未整改"]
    with engine.connect() as conn:
        scope = county_scope(conn)
        before = briefing(conn=conn, scope=scope, month=OCTOBER, today=AS_OF, settings=settings)
    committed(engine, published([*ROWS, overdue]), "rectification", settings)
    with engine.connect() as conn:
        ledger = ledger_items(conn=conn, scope=scope, today=AS_OF)
        after = briefing(conn=conn, scope=scope, month=OCTOBER, today=AS_OF, settings=settings)
        township_scope = scope.narrowed([min(scope.township_ids)])
        in_township = ledger_items(conn=conn, scope=township_scope, today=AS_OF)
    assert after.overdue_items.value == before.overdue_items.value + 1
    assert not in_township["township"].eq(COUNTY_LEVEL).any(), "a township sees none of them"
    county = ledger[ledger["code"].str.startswith("QD-") & (ledger["township"] == COUNTY_LEVEL)]
    assert set(county["unit"]) == {"城关镇、清水镇", "各乡镇", "县卫健局", "县教育局"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "整改清单"}, "没有问题来源"),
        ({5: "12月底前"}, "整改时限没有年份"),
        ({6: "按计划推进相关工作"}, "看不出是否已完成"),
    ],
)
def test_what_a_list_leaves_unclear_is_refused_not_guessed(engine, settings, change, message):
    rows = [list(row) for row in ROWS[:1]]
    for column, value in change.items():
        if column != "title":
            rows[0][column] = value
    report = dry(engine, published(rows, title=change.get("title", TITLE)), "rectification",
                 settings)  # fmt: skip
    assert report.counts.rejected == 1
    assert message in report.error_messages()[0]
