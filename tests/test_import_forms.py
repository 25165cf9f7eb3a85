"""Workbooks of forms (data_access/importing/forms.py): one 贫困户月收入登记表 per sheet, the
household named in the header block, months without a year, pre-printed months nobody filled in
— read as one list of registers."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import select, text

from data_access.models import Household, IncomeRegister
from tests.excel_like import as_excel_saves
from tests.import_helpers import committed, dry, fingerprint, writable_demo

TABLE = [
    "月份",
    "工资性收入",
    "经营性收入",
    "财产性收入",
    "转移性收入",
    "生产经营性支出",
    "合计",
    "登记人",
]


@pytest.fixture
def engine(demo_sqlite_path, tmp_path):
    engine = writable_demo(demo_sqlite_path, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def two(engine) -> list[dict]:
    """Two households with their village and township names."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT h.code, h.head_name, h.members, v.name AS village, t.name AS township "
                "FROM households h JOIN villages v ON v.id = h.village_id "
                "JOIN townships t ON t.id = h.township_id ORDER BY h.id LIMIT 2"
            )
        ).mappings()
        return [dict(row) for row in rows]


def form_sheet(book: Workbook, name: str, block: list[list], months: int, year: int = 2023):
    sheet = book.create_sheet(name)
    sheet.append([f"{year}年脱贫户（监测户）月收入登记表"])
    sheet.merge_cells("A1:H1")
    for row in block:
        sheet.append(row)
    sheet.append(TABLE)
    for month in range(1, 13):
        if month <= months:
            amounts = [1000 + month, 200, 0, 150, 50]
            sheet.append([f"{month}月", *amounts, sum(amounts[:4]) - amounts[4], "韦某"])
        else:
            sheet.append([f"{month}月"])  # printed, never filled in
    sheet.append(["合计", None, None, None, None, None, None, None])
    sheet.append(["户主签字：", None, None, "帮扶责任人签字："])


def forms_book(households: list[dict], *, blank_third: bool = True) -> bytes:
    book = Workbook()
    book.remove(book.active)
    first, second = households
    form_sheet(
        book,
        first["head_name"],
        [[f"乡镇：{first['township']}", None, f"村：{first['village']}", None,
          f"户主姓名：{first['head_name']}", None, f"家庭人口：{first['members']}人"]],
        months=10,
    )  # fmt: skip
    form_sheet(
        book,
        second["head_name"],
        [["户编号", second["code"], None, "户主姓名", second["head_name"], "家庭人口",
          second["members"]]],
        months=10,
    )  # fmt: skip
    if blank_third:
        form_sheet(book, "空表", [["户主姓名：", None, "家庭人口："]], months=0)
    buffer = BytesIO()
    book.save(buffer)
    return as_excel_saves(buffer.getvalue())


def registers_of(engine, code: str) -> list[tuple]:
    query = (
        select(IncomeRegister.month, IncomeRegister.wage, IncomeRegister.transfer)
        .join(Household, Household.id == IncomeRegister.household_id)
        .where(Household.code == code, IncomeRegister.month < "2024-01-01")
        .order_by(IncomeRegister.month)
    )
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_a_workbook_of_monthly_forms_imports_as_one_list(engine, settings, two):
    content = forms_book(two)
    before = fingerprint(engine)
    report = dry(engine, content, "registers", settings)
    assert fingerprint(engine) == before
    assert report.error_messages() == []
    assert report.counts.inserted == 20
    assert any("每个工作表一份登记表" in note for note in report.prepared.notes())
    result = committed(engine, content, "registers", settings)
    assert result.report.counts.inserted == 20
    for household in two:
        stored = registers_of(engine, household["code"])
        assert [str(month) for month, _, _ in stored] == [f"2023-{m:02d}-01" for m in range(1, 11)]
        assert stored[2][1:] == (1003.0, 150.0)
    # The unfilled November and December were not written as zero registers.
    again = committed(engine, content, "registers", settings)
    assert again.report.counts.unchanged == 20


def test_a_form_that_names_the_wrong_household_size_is_refused_with_its_sheet_and_row(
    engine, settings, two
):
    wrong = [dict(two[0], members=two[0]["members"] + 2), two[1]]
    report = dry(engine, forms_book(wrong, blank_third=False), "registers", settings)
    assert report.counts.rejected == 10
    assert report.counts.inserted == 10
    first = report.error_messages()[0]
    assert first.startswith(f"工作表“{two[0]['head_name']}”第 4 行")
    assert "家庭人口" in first
    assert "与户信息登记的" in first
    assert list(report.error_table().columns[:2]) == ["工作表", "行号"]


def test_a_head_name_shared_by_two_households_of_the_village_is_refused_not_guessed(
    engine, settings, two
):
    first = two[0]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO households (code, village_id, township_id, grid_no, head_name, "
                "head_id_number, household_type, lifted_year, has_labour, members, has_plan, "
                "has_handbook, has_benefit_card, has_trained_member, public_job) "
                "SELECT '4527319999999999', village_id, township_id, 1, head_name, "
                "'452731199001011234', '脱贫户', 2018, 1, members, 1, 1, 1, 1, 0 "
                "FROM households WHERE code = :code"
            ),
            {"code": first["code"]},
        )
    report = dry(engine, forms_book(two, blank_third=False), "registers", settings)
    assert report.counts.rejected == 10
    assert f"都叫“{first['head_name']}”，请填写户编号" in report.error_messages()[0]


def card_sheet(book: Workbook, household: dict, wage: float) -> None:
    """A 收入明白卡: labelled values down the page, no table."""
    sheet = book.create_sheet(household["head_name"])
    sheet.append(["脱贫户家庭收入明白卡（2023年度）"])
    sheet.append(["户主姓名", household["head_name"], "户编号", household["code"]])
    sheet.append(["年度", 2023, "家庭人口", f"{household['members']}人"])
    sheet.append(["收入项目", "金额（元）"])
    sheet.append(["工资性收入", wage])
    sheet.append(["其中：务工收入", wage - 2000])
    sheet.append(["生产经营性收入", 6000])
    sheet.append(["财产性收入", 300])
    sheet.append(["转移性收入", 4200])
    sheet.append(["生产经营性支出", 1500])
    sheet.append(["家庭纯收入", wage + 6000 + 300 + 4200 - 1500])
    sheet.append(["帮扶责任人签字：", None, "户主签字："])


def test_a_workbook_of_income_cards_imports_one_annual_row_per_card(engine, settings, two):
    book = Workbook()
    book.remove(book.active)
    for household, wage in zip(two, (30000, 24000), strict=True):
        card_sheet(book, household, wage)
    buffer = BytesIO()
    book.save(buffer)
    content = as_excel_saves(buffer.getvalue())
    report = dry(engine, content, "income_years", settings)
    assert report.error_messages() == []
    assert report.counts.inserted == 2
    committed(engine, content, "income_years", settings)
    with engine.connect() as conn:
        wage, business, cost = conn.execute(
            text(
                "SELECT wage, business, production_cost FROM income_years y "
                "JOIN households h ON h.id = y.household_id WHERE h.code = :c AND y.year = 2023"
            ),
            {"c": two[0]["code"]},
        ).one()
    assert (wage, business, cost) == (30000, 6000, 1500)
    assert committed(engine, content, "income_years", settings).report.counts.unchanged == 2
