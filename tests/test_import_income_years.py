"""年度收入 (the 摸排 收支情况 sheet) in: a sheet as a county office keeps it imports its
households' years, a second import changes nothing, totals that disagree with their sources are
refused with both values, and a county with only last year's annual income and this year's
registers counts 收入不增反降 — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, select, update

from data_access.importing import HeaderProblemError, ImportRefusedError, dry_run
from data_access.income.summary import income_headline, income_sources
from data_access.models import Household, IncomeYear, Township
from data_access.scope import Scope, county_scope
from tests.builders import add_household, add_township, add_village
from tests.import_helpers import committed, context, dry, fingerprint, prepared, writable_demo

SHEET = "收支情况"
HEADERS = (
    "序号", "乡镇", "行政村", "户编号", "户主姓名", "家庭人口", "年度",
    "工资性收入(元)", "生产经营性收入(元)", "财产性收入(元)", "转移性收入(元)",
    "生产经营性支出(元)", "家庭纯收入(元)", "家庭人均纯收入(元)", "合规自付支出(元)", "备注",
)  # fmt: skip
SOURCES = ("工资性收入(元)", "生产经营性收入(元)", "财产性收入(元)", "转移性收入(元)")
# The sheet's first data row (title on row 1, header on row 2).
FIRST_ROW = 3


def moupai_workbook(rows: list[dict[str, Any]], *, headers=HEADERS, year_in_title=2025) -> bytes:
    """The 摸排 收支情况 sheet as a county office fills it: a merged title, one header row with
    (元), amounts stored as numbers, a 合计 row and the 填表人 footer."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([f"云岭县{year_in_title}年脱贫户家庭收支情况摸排表"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(list(headers))
    for number, row in enumerate(rows, start=1):
        sheet.append([number if h == "序号" else row.get(h) for h in headers])
    totals = {h: sum(r.get(h) or 0 for r in rows) for h in SOURCES if h in headers}
    sheet.append(["合计" if h == "序号" else totals.get(h) for h in headers])
    sheet.append(["填表人：韦丽", None, None, "审核人：黄志强", None, "填表日期：2026年10月20日"])
    for cells in sheet.iter_rows(min_row=FIRST_ROW):
        # 户编号 typed as text, as the template asks.
        cells[headers.index("户编号")].number_format = "@"
    return _saved(book)


def _saved(book: Workbook) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def moupai_row(
    code: str, head: str, year: int, *, members: int | None, wage: float, business: float = 0,
    property_: float = 0, transfer: float = 0, cost: float = 0, **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """One household's year with its totals filled in as the sheet computes them."""
    net = wage + business + property_ + transfer - cost
    row = {
        "乡镇": "城关镇", "行政村": "测试村", "户编号": code, "户主姓名": head,
        "家庭人口": members, "年度": year, "工资性收入(元)": wage,
        "生产经营性收入(元)": business, "财产性收入(元)": property_,
        "转移性收入(元)": transfer, "生产经营性支出(元)": cost, "家庭纯收入(元)": net,
        "家庭人均纯收入(元)": round(net / members, 2) if members else None,
    }  # fmt: skip
    return {**row, **extra}


@pytest.fixture
def engine(demo_sqlite_path, tmp_path):
    engine = writable_demo(demo_sqlite_path, tmp_path)
    yield engine
    engine.dispose()


def demo_households(engine: Engine, count: int) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(
            select(Household.id, Household.code, Household.head_name, Household.members)
            .order_by(Household.id)
            .limit(count)
        ).all()


def stored_year(engine: Engine, household_id: int, year: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(IncomeYear).where(
                IncomeYear.household_id == household_id, IncomeYear.year == year
            )
        ).one_or_none()


def as_sheet(stored: Any, code: str, head: str) -> dict[str, Any]:
    """A stored year written back as a sheet row (so that importing it changes nothing)."""
    return moupai_row(
        code, head, stored.year, members=stored.members, wage=stored.wage,
        business=stored.business, property_=stored.property, transfer=stored.transfer,
        cost=stored.production_cost,
    )  # fmt: skip


def test_a_moupai_sheet_with_title_total_and_footer_imports_and_a_second_import_changes_nothing(
    engine, settings
):
    first, second, third = demo_households(engine, 3)
    last_year = stored_year(engine, third.id, 2025)
    rows = [
        moupai_row(first.code, first.head_name, 2026, members=first.members, wage=31_200.5,
                   business=8_000, property_=600, transfer=4_300, cost=3_100,
                   **{"合规自付支出(元)": 2_400}),
        moupai_row(second.code, second.head_name, 2025, members=2, wage=20_000, transfer=1_000),
        as_sheet(last_year, third.code, third.head_name),
    ]  # fmt: skip
    content = moupai_workbook(rows)
    report = dry(engine, content, "年度收入", settings)
    assert report.error_messages() == []
    assert (report.counts.inserted, report.counts.updated, report.counts.unchanged) == (1, 1, 1)
    assert report.prepared.skipped == 2  # the 合计 row and the footer
    assert "未识别、不导入的列：序号、乡镇、行政村、备注" in report.prepared.notes()
    update = report.preview().set_index("行号").loc[FIRST_ROW + 1, "变更"]
    assert "工资性收入：" in update
    assert "→ 20,000" in update

    result = committed(engine, content, "年度收入", settings)
    assert result.data_version is not None
    inserted = stored_year(engine, first.id, 2026)
    assert (inserted.members, inserted.wage, inserted.business, inserted.property) == (
        first.members, 31_200.5, 8_000, 600,
    )  # fmt: skip
    assert (inserted.transfer, inserted.production_cost, inserted.self_paid) == (
        4_300,
        3_100,
        2_400,
    )
    updated = stored_year(engine, second.id, 2025)
    assert (updated.members, updated.wage, updated.business, updated.transfer) == (
        2,
        20_000,
        0,
        1_000,
    )

    after = fingerprint(engine, ["income_years"])
    again = committed(engine, content, "年度收入", settings)
    assert again.report.counts.unchanged == 3
    assert again.data_version is None
    assert fingerprint(engine, ["income_years"]) == after


def test_a_dry_run_leaves_the_database_as_it_was(engine, settings):
    (household,) = demo_households(engine, 1)
    content = moupai_workbook(
        [moupai_row(household.code, household.head_name, 2026, members=3, wage=12_000)]
    )
    before = fingerprint(engine)
    report = dry(engine, content, "年度收入", settings)
    assert report.counts.inserted == 1
    assert fingerprint(engine) == before


@pytest.mark.parametrize(
    ("change", "column", "value", "reason"),
    [
        (
            {"家庭纯收入(元)": 13_000},
            "家庭纯收入(元)",
            "13000",
            "家庭纯收入 13,000 元与四项收入之和减生产经营性支出（12,000 元）不一致",
        ),
        (
            {"家庭人均纯收入(元)": 5_000},
            "家庭人均纯收入(元)",
            "5000",
            "家庭人均纯收入 5,000 元与家庭纯收入 12,000 元 ÷ 家庭人口 3 人（4,000 元）不一致",
        ),
        (
            # The sheet deducted 合规自付支出 from its 纯收入: refused, and the message says so.
            {"家庭纯收入(元)": 10_000, "家庭人均纯收入(元)": None, "合规自付支出(元)": 2_000},
            "家庭纯收入(元)",
            "10000",
            "（差额恰为合规自付支出：本表的家庭纯收入不扣除合规自付支出）",
        ),
        ({"年度": 2027}, "年度", "2027", "年度 2027 晚于今年（2026）"),
        ({"年度": 2012}, "年度", "2012", "年度 2012 早于 2013 年"),
        ({"年度": "二〇二五"}, "年度", "二〇二五", "应为四位年份，如 2025"),
        (
            {"户编号": "4527319999999999"},
            "户编号",
            "4527319999999999",
            "户编号不存在（请先导入户信息）",
        ),
        (
            {"户主姓名": "错行人"},
            "户主姓名",
            "错行人",
            "与户编号对应的户主不一致（请检查是否错行）",
        ),
        ({"转移性收入(元)": -300}, "转移性收入(元)", "-300", "不能为负数"),
        ({"生产经营性支出(元)": -300}, "生产经营性支出(元)", "-300", "不能为负数"),
    ],
    ids=[
        "net-income-disagrees",
        "per-capita-disagrees",
        "net-income-less-self-paid",
        "future-year",
        "year-before-2013",
        "year-in-words",
        "unknown-household",
        "wrong-head",
        "negative-income",
        "negative-yearly-cost",
    ],
)
def test_a_bad_row_is_refused_naming_row_column_value_and_reason(
    engine, settings, change, column, value, reason
):
    (household,) = demo_households(engine, 1)
    row = moupai_row(household.code, household.head_name, 2026, members=3, wage=12_000)
    content = moupai_workbook([{**row, **change}])
    before = fingerprint(engine, ["income_years"])
    result = committed(engine, content, "年度收入", settings)
    (message,) = result.report.error_messages()
    assert message.startswith(f"工作表“{SHEET}”第 {FIRST_ROW} 行，列“{column}”，值“{value}”：")
    assert reason in message
    assert result.data_version is None
    assert fingerprint(engine, ["income_years"]) == before


def test_a_year_written_as_text_is_read(engine, settings):
    (household,) = demo_households(engine, 1)
    row = moupai_row(household.code, household.head_name, 2026, members=3, wage=12_000)
    report = dry(engine, moupai_workbook([{**row, "年度": "2026年度"}]), "年度收入", settings)
    assert report.error_messages() == []
    assert report.preview()["标识"].tolist() == [f"{household.code} · 2026年"]


def test_a_sheet_without_a_year_column_is_refused_not_read_from_its_title(engine, settings):
    (household,) = demo_households(engine, 1)
    row = moupai_row(household.code, household.head_name, 2025, members=3, wage=12_000)
    headers = tuple(h for h in HEADERS if h != "年度")
    content = moupai_workbook([row], headers=headers, year_in_title=2025)
    with pytest.raises(HeaderProblemError, match="缺少必需的列：年度"):
        prepared(content, "年度收入", settings)


def test_a_blank_household_size_takes_the_households_and_the_preview_says_so(engine, settings):
    (household,) = demo_households(engine, 1)
    net = 9_000 * household.members
    row = moupai_row(household.code, household.head_name, 2026, members=None, wage=net)
    report = dry(engine, moupai_workbook([row]), "年度收入", settings)
    assert report.error_messages() == []
    (change,) = report.preview()["变更"].tolist()
    assert change == f"家庭人口未填，按户信息的 {household.members} 人计"
    committed(engine, moupai_workbook([row]), "年度收入", settings)
    assert stored_year(engine, household.id, 2026).members == household.members
    # A per-capita figure that fits another household size is refused, naming the size taken.
    wrong = {**row, "家庭人均纯收入(元)": net / (household.members + 1), "年度": 2023}
    message = dry(engine, moupai_workbook([wrong]), "年度收入", settings).error_messages()[0]
    assert f"户信息中的家庭人口 {household.members} 人" in message


def test_a_sub_item_column_is_not_taken_for_its_source_and_blocks_the_commit(engine, settings):
    """务工收入 is only part of 工资性收入: it is not an alias, and an amount nobody placed must not
    be lost silently."""
    (household,) = demo_households(engine, 1)
    headers = ("户编号", "年度", "务工收入(元)", "公益岗收入(元)", "转移性收入(元)")
    row = {"户编号": household.code, "年度": 2026, "务工收入(元)": 18_000,
           "公益岗收入(元)": 6_000, "转移性收入(元)": 2_000}  # fmt: skip
    ready = prepared(moupai_workbook([row], headers=headers), "年度收入", settings)
    assert [c.text for c in ready.unresolved] == ["务工收入(元)", "公益岗收入(元)"]
    before = fingerprint(engine, ["income_years"])
    with pytest.raises(ImportRefusedError, match="看起来是金额"):
        committed(engine, moupai_workbook([row], headers=headers), "年度收入", settings)
    assert fingerprint(engine, ["income_years"]) == before


def test_other_spellings_of_business_income_and_costs_are_read(engine, settings):
    (household,) = demo_households(engine, 1)
    headers = ("户编号", "年度", "家庭人口", "工资性收入", "家庭经营性收入（元）",
               "家庭经营性支出（元）", "家庭纯收入")  # fmt: skip
    row = {"户编号": household.code, "年度": 2026, "家庭人口": 2, "工资性收入": 10_000,
           "家庭经营性收入（元）": 5_000, "家庭经营性支出（元）": 2_000,
           "家庭纯收入": 13_000}  # fmt: skip
    result = committed(engine, moupai_workbook([row], headers=headers), "年度收入", settings)
    assert result.report.error_messages() == []
    stored = stored_year(engine, household.id, 2026)
    assert (stored.wage, stored.business, stored.production_cost) == (10_000, 5_000, 2_000)


def test_a_township_user_may_import_only_their_own_township(engine, settings):
    with engine.connect() as conn:
        codes = conn.execute(
            select(Household.township_id, Household.code, Household.head_name).order_by(
                Household.township_id.desc(), Household.id
            )
        ).all()
    own, other = codes[0], codes[-1]
    assert own.township_id != other.township_id
    rows = [
        moupai_row(own.code, own.head_name, 2026, members=3, wage=12_000),
        moupai_row(other.code, other.head_name, 2026, members=3, wage=12_000),
    ]
    ready = prepared(moupai_workbook(rows), "年度收入", settings)
    with engine.connect() as conn:
        report = dry_run(
            conn=conn, prepared=ready, ctx=context(scope=Scope(frozenset({own.township_id})))
        )
    assert report.counts.inserted == 1
    assert report.error_table()["原因"].tolist() == ["不在您的数据范围内（只能导入本乡镇的数据）"]


# --- A county whose last year is only a 摸排, on SQLite and PostgreSQL ---------------------


CODES = {household_id: f"45273110010100{household_id:02d}" for household_id in range(1, 7)}


@pytest.fixture(params=["sqlite", "postgresql"])
def new_county(request, tmp_path: Path) -> Engine:
    """A fresh database with one township, one village and six households of three members
    (户编号 CODES): no income of any kind yet."""
    engine = request.getfixturevalue(
        "fresh_engine" if request.param == "sqlite" else "fresh_postgres"
    )
    with engine.begin() as conn:
        add_township(conn, 1)
        add_village(conn, 101, township_id=1)
        for household_id, code in CODES.items():
            add_household(conn, household_id, village_id=101, township_id=1, members=3)
            conn.execute(update(Household).where(Household.id == household_id).values(code=code))
    return engine


def register_workbook(rows: list[tuple[str, date, float]]) -> bytes:
    """收支登记 as the APP exports it: 户编号, 月份 and the wage of the month."""
    book = Workbook()
    sheet = book.active
    sheet.append(["户编号", "月份", "工资性收入（元）", "转移性收入（元）"])
    for code, month, wage in rows:
        sheet.append([code, f"{month:%Y-%m}", wage, 0])
    return _saved(book)


def months(year: int, last: int) -> list[date]:
    return [date(year, number, 1) for number in range(1, last + 1)]


def test_a_county_with_only_last_years_moupai_and_this_years_registers_counts_those_that_fell(
    new_county, settings
):
    engine = new_county
    code = CODES
    moupai = [
        # 1: 12,000 a person last year; registers 2,500 a month this year → 10,000: fell.
        moupai_row(code[1], "张三明", 2025, members=3, wage=36_000),
        # 2: 9,000 last year; the same registers → 10,000: did not fall.
        moupai_row(code[2], "张三明", 2025, members=3, wage=20_000, transfer=7_000),
        # 3: a 摸排 last year, nothing this year: no data, not counted.
        moupai_row(code[3], "张三明", 2025, members=3, wage=30_000),
        # 5: 4,000 a person last year and a 摸排 this autumn of 3,000: stands on it, fell.
        moupai_row(code[5], "张三明", 2025, members=2, wage=8_000),
        moupai_row(code[5], "张三明", 2026, members=2, wage=4_000, transfer=2_000),
    ]
    imported = committed(engine, moupai_workbook(moupai), "年度收入", settings)
    assert imported.report.counts.inserted == 5, imported.report.error_messages()
    registers = [(code[h], month, 2_500.0) for h in (1, 2, 4) for month in months(2026, 10)]
    # 6: no 摸排, but all twelve months of last year registered (12,000 a person) and this
    # year 10 % lower month by month: fell.
    registers += [(code[6], month, 3_000.0) for month in months(2025, 12)]
    registers += [(code[6], month, 2_700.0) for month in months(2026, 10)]
    result = committed(engine, register_workbook(registers), "registers", settings)
    assert result.report.counts.inserted == len(registers), result.report.error_messages()

    october = date(2026, 10, 1)
    with engine.connect() as conn:
        scope = county_scope(conn=conn)
        headline = income_headline(conn=conn, scope=scope, month=october, settings=settings.income)
        sources = income_sources(conn=conn, scope=scope, month=october, settings=settings.income)
        township = conn.execute(select(Township.id)).scalar_one()
        nowhere = income_headline(
            conn=conn, scope=Scope(frozenset({township + 1})), month=october,
            settings=settings.income,
        )  # fmt: skip
    assert headline.households == 6
    assert headline.with_data == 5
    assert headline.fell == 3
    assert headline.fell_mean_drop == pytest.approx((2_000 + 1_000 + 1_200) / 3)
    assert (sources.this_year.registers, sources.this_year.annual, sources.this_year.none) == (
        4, 1, 1,
    )  # fmt: skip
    assert (sources.last_year.annual, sources.last_year.registers, sources.last_year.none) == (
        4, 1, 1,
    )  # fmt: skip
    assert nowhere.households == 0
