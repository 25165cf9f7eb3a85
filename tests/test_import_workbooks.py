"""Real-world workbooks: a corpus made here with openpyxl, one quirk per test. The good ones import
with the right counts and values; the bad rows are refused with the expected message; a refused
file leaves the database as it was."""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from dashboard.exports.imports import rejected_workbook
from data_access.demo.ids import id_check_character
from data_access.importing import ImportRefusedError, SheetChoiceError
from data_access.models import Household, IncomeRegister, Village
from tests.import_helpers import (
    committed,
    dry,
    first_households,
    prepared,
    scalar,
    workbook_bytes,
    writable_demo,
)

HEADER = ["户编号", "月份", "工资性收入（元）", "经营性收入（元）", "生产经营性支出（元）"]
# Before the demo's first registered month: every row of these months is new.
NEW_MONTH = "2024-10"


@pytest.fixture
def engine(demo_sqlite):
    """The shared demo county: dry runs only read it."""
    return demo_sqlite


@pytest.fixture
def writable(demo_sqlite_path, tmp_path):
    """A private copy of the demo county, for commits."""
    engine = writable_demo(demo_sqlite_path, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def codes(demo_sqlite) -> list[str]:
    return [h["code"] for h in first_households(demo_sqlite, 6)]


def register(engine, code: str, month: date = date(2024, 10, 1)):
    query = (
        select(
            IncomeRegister.wage,
            IncomeRegister.business,
            IncomeRegister.production_cost,
            IncomeRegister.entered_at,
        )
        .join(Household, Household.id == IncomeRegister.household_id)
        .where(Household.code == code, IncomeRegister.month == month)
    )
    with engine.connect() as conn:
        return conn.execute(query).mappings().one_or_none()


def test_title_rows_above_the_header_are_passed_over(engine, settings, codes):
    content = workbook_bytes(
        [["（2024年10月）", None], [], HEADER, [codes[0], NEW_MONTH, 1000, 200, 50]],
        title="云岭县城关镇收支登记台账",
    )
    report = dry(engine, content, "registers", settings)
    assert report.prepared.header_rows == (4,)
    assert report.counts.inserted == 1
    assert report.counts.rejected == 0


def test_merged_header_cells_over_two_rows_are_read_as_one_header(writable, settings, codes):
    book = Workbook()
    sheet = book.active
    sheet.append(["收支登记台账"])
    sheet.merge_cells("A1:E1")
    sheet.append(["户编号", "月份", "收入（元）", None, "支出（元）"])
    sheet.append([None, None, "工资性收入", "经营性收入", "生产经营性支出"])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:B3")
    sheet.merge_cells("C2:D2")
    sheet.append([codes[0], NEW_MONTH, 1000, 200, 50])
    buffer = BytesIO()
    book.save(buffer)
    result = committed(writable, buffer.getvalue(), "registers", settings)
    assert result.report.prepared.header_rows == (2, 3)
    assert result.report.counts.inserted == 1
    assert register(writable, codes[0])["business"] == 200


def test_headers_with_spaces_full_width_characters_and_line_breaks_are_recognised(
    engine, settings, codes
):
    header = ["户 编 号", "\u3000月\n份", "工资性收入(元)", "经营性收入（ 元 ）", "生产经营性支出*"]
    content = workbook_bytes([header, [codes[0], NEW_MONTH, 1000, 200, 50]])
    report = dry(engine, content, "registers", settings)
    assert report.prepared.fields == (
        "household_code",
        "month",
        "wage",
        "business",
        "production_cost",
    )
    assert report.counts.inserted == 1


def test_a_trailing_total_row_blank_rows_and_a_footer_are_not_data(engine, settings, codes):
    rows = [
        HEADER,
        [codes[0], NEW_MONTH, 1000, 200, 50],
        [],
        [codes[1], NEW_MONTH, 900, 100, 20],
        [],
        ["合计", None, 1900, 300, 70],
        ["制表人：张三", None, "审核人：李四"],
    ]
    report = dry(engine, workbook_bytes(rows), "registers", settings)
    assert report.counts.inserted == 2
    assert report.counts.rejected == 0
    assert report.prepared.skipped == 2


def test_numbers_as_text_with_separators_and_full_width_digits_are_stored_as_numbers(
    writable, settings, codes
):
    rows = [HEADER, [codes[0], NEW_MONTH, "1,200.50", "１２００", " 30 "]]
    committed(writable, workbook_bytes(rows), "registers", settings)
    stored = register(writable, codes[0])
    assert (stored["wage"], stored["business"], stored["production_cost"]) == (1200.5, 1200, 30)


@pytest.mark.parametrize(
    "spelled",
    [45593.6, "2024-10-28 14:24", "2024/10/28 14:24", "2024.10.28 14:24", "2024年10月28日 14:24"],
)
def test_dates_as_serials_and_in_every_spelling_are_stored_as_the_same_moment(
    writable, settings, codes, spelled
):
    rows = [[*HEADER, "登记时间"], [codes[0], "2024年10月", 1000, 0, 0, spelled]]
    result = committed(writable, workbook_bytes(rows), "registers", settings)
    assert result.report.counts.inserted == 1
    assert register(writable, codes[0])["entered_at"].replace(second=0) == datetime(
        2024, 10, 28, 14, 24
    )


def test_a_date_cell_of_excel_is_read_as_a_date(engine, settings, codes):
    rows = [HEADER, [codes[0], date(2024, 10, 1), 1000, 0, 0]]
    assert dry(engine, workbook_bytes(rows), "registers", settings).counts.inserted == 1


def test_an_xlsm_workbook_is_accepted(engine, settings, codes):
    source = workbook_bytes([HEADER, [codes[0], NEW_MONTH, 1000, 0, 0]])
    macro = BytesIO()
    with zipfile.ZipFile(BytesIO(source)) as original, zipfile.ZipFile(macro, "w") as target:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            target.writestr(item, data)
    report = dry(engine, macro.getvalue(), "registers", settings, name="台账.xlsm")
    assert report.counts.inserted == 1


def refused(engine, settings, content: bytes, name: str, match: str, **options) -> None:
    """The file is refused as a whole while it is read (before any database is involved: see
    test_import_kinds for the database left unchanged)."""
    with pytest.raises(ImportRefusedError, match=match):
        prepared(content, "registers", settings, name=name, **options)


def test_an_xls_file_is_refused_with_the_advice_to_save_as_xlsx(engine, settings):
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    refused(engine, settings, old, "台账.xls", r"不支持 \.xls.*另存为")
    refused(engine, settings, old, "台账.xlsx", r"旧版 \.xls 格式")


def test_a_password_protected_workbook_is_refused(engine, settings):
    encrypted = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 1000
        + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 50
        + "EncryptedPackage".encode("utf-16-le")
    )
    refused(engine, settings, encrypted, "加密.xlsx", "设置了打开密码")


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"household,month\n1,2\n", "data.xlsx"), (b"", "empty.xlsx"), (b"PK\x03\x04junk", "x.xlsx")],
)
def test_a_file_that_is_not_a_workbook_is_refused(engine, settings, content, name):
    refused(engine, settings, content, name, "不是有效的 Excel 工作簿|文件是空的")


def test_a_zip_that_is_not_a_workbook_is_refused(engine, settings):
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    refused(engine, settings, buffer.getvalue(), "伪装.xlsx", "不是有效的 Excel 工作簿")


def test_a_zip_bomb_is_refused_before_it_is_inflated(engine, settings, codes):
    source = workbook_bytes([HEADER, [codes[0], NEW_MONTH, 1, 0, 0]])
    bomb = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(source)) as original,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in original.infolist():
            target.writestr(item.filename, original.read(item.filename))
        target.writestr("xl/media/padding.bin", b"\0" * (8 * 1024 * 1024))
    refused(engine, settings, bomb.getvalue(), "bomb.xlsx", "压缩炸弹")


def test_a_workbook_larger_than_allowed_uncompressed_is_refused(engine, settings, codes):
    small = dataclasses.replace(
        settings, imports=dataclasses.replace(settings.imports, max_uncompressed_mb=1)
    )
    content = workbook_bytes([HEADER, *([codes[0], NEW_MONTH, 1, 0, 0] for _ in range(10_000))])
    refused(engine, small, content, "big.xlsx", "解压后")


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened(engine, settings):
    small = dataclasses.replace(
        settings, imports=dataclasses.replace(settings.imports, max_file_mb=1)
    )
    refused(engine, small, b"PK" + b"\0" * (1024 * 1024 + 10), "huge.xlsx", "超过上限 1 MB")


def test_a_sheet_with_more_rows_than_allowed_is_refused_before_its_rows_are_checked(
    engine, settings, codes
):
    limited = dataclasses.replace(
        settings, imports=dataclasses.replace(settings.imports, max_rows=5)
    )
    rows = [HEADER, *([codes[0], NEW_MONTH, 1, 0, 0] for _ in range(6))]
    refused(engine, limited, workbook_bytes(rows), "long.xlsx", "超过 5 行上限")


def test_a_sheet_without_the_required_columns_is_refused_naming_them(engine, settings, codes):
    rows = [["户编号", "工资性收入"], [codes[0], 100]]
    refused(engine, settings, workbook_bytes(rows), "x.xlsx", "缺少必需的列：月份")


def test_of_several_sheets_the_one_with_the_header_is_chosen(engine, settings, codes):
    content = workbook_bytes(
        [HEADER, [codes[0], NEW_MONTH, 1000, 0, 0]],
        sheet="10月",
        extra_sheets={"说明": [["本表由城关镇填报"]]},
    )
    report = dry(engine, content, "registers", settings)
    assert report.prepared.sheet == "10月"
    assert report.counts.inserted == 1


def test_several_sheets_with_the_header_ask_which_one_or_take_the_one_named(
    engine, settings, codes
):
    content = workbook_bytes(
        [HEADER, [codes[0], NEW_MONTH, 1000, 0, 0]],
        sheet="9月",
        extra_sheets={
            "10月": [HEADER, [codes[1], NEW_MONTH, 1, 0, 0], [codes[2], NEW_MONTH, 1, 0, 0]]
        },
    )
    with pytest.raises(SheetChoiceError, match="请选择") as asked:
        prepared(content, "registers", settings)
    assert asked.value.sheets == ("9月", "10月")
    assert dry(engine, content, "registers", settings, sheet="10月").counts.inserted == 2
    with pytest.raises(ImportRefusedError, match="没有名为“11月”的工作表"):
        prepared(content, "registers", settings, sheet="11月")


def test_an_id_number_stored_as_a_number_rejects_its_row_and_a_lower_case_x_is_accepted(
    writable, settings
):
    stem = next(s for n in range(1000) if id_check_character(s := f"45273119800101{n:03d}") == "X")
    with writable.connect() as conn:
        village = conn.execute(select(Village.code).order_by(Village.id).limit(1)).scalar()
    header = ["户编号", "村代码", "户主姓名", "户主身份证号", "户类型", "脱贫年度", "家庭人口"]
    rows = [
        header,
        ["9900000000000001", village, "测试甲", stem + "x", "脱贫户", 2018, 3],
        ["9900000000000002", village, "测试乙", 452731198001011234.0, "脱贫户", 2018, 2],
    ]
    result = committed(writable, workbook_bytes(rows), "households", settings)
    assert result.report.counts.inserted == 1
    [message] = result.report.error_messages()
    assert message.startswith("工作表“Sheet1”第 3 行，列“户主身份证号”，值“4.52731198001011e+17”：")
    assert message.endswith(
        "Excel 只保留 15 位有效数字，末三位已丢失；请把该列设为“文本”格式后重新录入"
    )
    assert (
        scalar(writable, "SELECT head_id_number FROM households WHERE code = '9900000000000001'")
        == stem + "X"
    )


def test_text_beginning_with_a_formula_sign_is_stored_as_text_and_exported_escaped(
    writable, settings
):
    formula = '=HYPERLINK("http://example.invalid","点我")'
    rows = [["问题编号", "问题来源", "问题类别", "问题描述", "责任乡镇", "责任人", "整改类型",
             "发现日期", "整改时限", "整改状态"],
            ["ZG2026-99001", "数据比对", "收入登记不全面", formula, "城关镇", "-张三", "立行立改",
             "2026-11-01", "2026-11-20", "未整改"]]  # fmt: skip
    result = committed(writable, workbook_bytes(rows), "rectification", settings)
    assert result.report.counts.inserted == 1, result.report.error_messages()
    stored = scalar(
        writable, "SELECT description FROM rectification_items WHERE code = 'ZG2026-99001'"
    )
    assert stored == formula
    exported = load_workbook(
        BytesIO(
            rejected_workbook(
                [{"行号": 2, "问题描述": formula, "责任人": "+1", "错误原因": "@x"}],
                kind="整改台账",
                file_name="t.xlsx",
                subtitle="",
            )
        )
    ).active
    data = [cell for cell in exported[4] if cell.value is not None]
    assert [cell.value for cell in data] == [2, formula, "+1", "@x"]
    assert all(cell.data_type == "s" for cell in data[1:])


def test_a_formula_saved_without_a_result_reads_as_blank_not_as_its_text(engine, settings, codes):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append([codes[0], '="2024-10"', 1000, 0, 0])
    buffer = BytesIO()
    book.save(buffer)
    report = dry(engine, buffer.getvalue(), "registers", settings)
    assert report.error_table()["原因"].tolist() == ["必填项为空"]


@pytest.mark.parametrize(
    ("part", "damage"),
    [
        ("xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2]),
        ("xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"<sheetData>", b"<sheetData><row")),
        ("xl/workbook.xml", lambda xml: b"<workbook>"),
        ("[Content_Types].xml", lambda xml: xml.replace(b"Override", b"Overrid")),
    ],
)
def test_a_damaged_workbook_is_refused_cleanly(engine, settings, codes, part, damage):
    source = workbook_bytes([HEADER, [codes[0], NEW_MONTH, "1000", 0, 0]])
    broken = BytesIO()
    with zipfile.ZipFile(BytesIO(source)) as original, zipfile.ZipFile(broken, "w") as target:
        for item in original.infolist():
            data = original.read(item.filename)
            target.writestr(item, damage(data) if item.filename == part else data)
    refused(engine, settings, broken.getvalue(), "坏.xlsx", "无法读取|已损坏")


def test_a_workbook_with_an_xml_entity_bomb_is_refused_unexpanded():
    """openpyxl reads through defusedxml (installed by requirements.txt): a workbook part that
    declares "billion laughs" entities is refused, never expanded."""
    import io
    import zipfile

    import openpyxl.xml
    from openpyxl import Workbook

    from data_access.importing.workbook import ImportRefusedError, open_workbook

    assert openpyxl.xml.DEFUSEDXML
    book = Workbook()
    book.active.append(["户编号", "月份"])
    plain = io.BytesIO()
    book.save(plain)
    laughs = "".join(f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    doctype = '<!DOCTYPE workbook [<!ENTITY l0 "ha">' + laughs + "]>"
    hostile = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source,
        zipfile.ZipFile(hostile, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = (doctype + data.decode()).encode()
            target.writestr(item, data)
    with pytest.raises(ImportRefusedError, match="无法读取该工作簿"):
        open_workbook(hostile.getvalue())
