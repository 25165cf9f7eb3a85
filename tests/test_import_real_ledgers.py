"""Real ledgers as county offices publish them: headers that are not the template's, a data row
that looks like a header, money columns under other names, merged group titles over short
sub-headers, numbers stored as numbers, percent formats, notes and signatures under the table.
Each test builds its workbook here, as Excel or WPS saves it, and asserts what is written, what
is refused and why, that a dry run or a refusal leaves the database as it was, and that a second
import changes nothing."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from data_access.__main__ import main
from data_access.importing import (
    HeaderChoiceError,
    HeaderProblemError,
    ImportRefusedError,
    commit,
    dry_run,
    kind_named,
    mapping_from_arguments,
    prepare,
    saved_mapping,
)
from data_access.models import Benchmark, Cadre, Circular, Household, IncomeRegister
from tests.import_helpers import (
    committed,
    context,
    dry,
    fingerprint,
    first_households,
    prepared,
    workbook_bytes,
    writable_demo,
)

NEW_MONTH = "2024-10"


@pytest.fixture
def engine(demo_sqlite):
    """The shared demo county: dry runs only read it."""
    return demo_sqlite


@pytest.fixture
def writable(demo_sqlite_path, tmp_path):
    engine = writable_demo(demo_sqlite_path, tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def households(demo_sqlite) -> list[dict]:
    return first_households(demo_sqlite, 6)


def saved_book(book: Workbook) -> bytes:
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def register(engine, code: str, month: str = "2024-10-01"):
    query = (
        select(IncomeRegister.__table__)
        .join(Household, Household.id == IncomeRegister.household_id)
        .where(Household.code == code, IncomeRegister.month == month)
    )
    with engine.connect() as conn:
        return conn.execute(query).mappings().one_or_none()


# --- which row is the header ---------------------------------------------------------------


def test_a_data_row_saying_huzhu_in_the_relation_column_is_never_taken_for_a_header(
    writable, settings, households
):
    """A person-per-row household sheet: the first member row's 与户主关系 says 户主."""
    first = households[0]
    with writable.connect() as conn:
        row = (
            conn.execute(select(Household.__table__).where(Household.code == first["code"]))
            .mappings()
            .one()
        )
        village = conn.exec_driver_sql(
            f"SELECT code FROM villages WHERE id = {row['village_id']}"
        ).scalar()
    header = ["户编号", "村代码", "户主姓名", "户主身份证号", "户类型", "家庭人口", "与户主关系",
              "姓名", "脱贫年度", "监测类型", "风险状态", "纳入监测日期", "风险消除日期",
              "风险消除方式"]  # fmt: skip
    status = [row[c] for c in ("lifted_year", "monitor_category", "risk_status")]
    dates = [row[c] for c in ("monitored_since", "risk_cleared_on", "risk_cleared_by")]
    household = [row["code"], village, row["head_name"], row["head_id_number"],
                 row["household_type"], row["members"]]  # fmt: skip
    content = workbook_bytes(
        [
            header,
            [*household, "户主", row["head_name"], *status, *dates],
            [*household, "配偶", "某某", *status, *dates],
        ]
    )
    before = fingerprint(writable, ["households"])
    report = committed(writable, content, "households", settings).report
    assert report.prepared.header_rows == (1,)
    assert report.prepared.fields[:3] == ("code", "village", "head_name")
    assert report.counts.unchanged == 1
    # The member row repeats the household: passed over as a repeat, nothing written.
    assert report.error_table()["原因"].tolist() == ["与第 2 行重复（完全相同的一行）"]
    assert fingerprint(writable, ["households"]) == before


def test_two_places_that_could_be_the_header_make_the_import_ask(engine, settings, households):
    code = households[0]["code"]
    rows = [
        ["户编号", "月份", "备注"],
        ["说明：以下为补录", None, None],
        ["户编号", "月份", "工资性收入（元）"],
        [code, NEW_MONTH, 100],
    ]
    with pytest.raises(HeaderChoiceError) as refused:
        prepared(workbook_bytes(rows), "registers", settings)
    assert refused.value.candidates == ((1,), (3,))
    assert "--header-row" in str(refused.value)
    chosen = prepare(
        content=workbook_bytes(rows),
        file_name="t.xlsx",
        kind=kind_named("registers"),
        limits=settings.imports,
        header_rows=(3,),
    )
    assert chosen.header_rows == (3,)
    assert chosen.header_chosen
    assert [r.values["wage"] for r in chosen.records] == [100.0]


def test_a_header_row_that_cannot_be_one_is_refused_with_the_first_rows_to_choose_from(
    engine, settings, households
):
    content = workbook_bytes(
        [["户编号", "月份", "工资性收入（元）"], [households[0]["code"], 1, 2]]
    )
    with pytest.raises(HeaderProblemError) as refused:
        prepare(
            content=content,
            file_name="t.xlsx",
            kind=kind_named("registers"),
            limits=settings.imports,
            header_rows=(2,),
        )
    assert refused.value.preview[0] == (1, "户编号 | 月份 | 工资性收入（元）")


# --- money columns ---------------------------------------------------------------------------


def test_the_national_systems_names_of_business_income_and_costs_are_recognised(
    writable, settings, households
):
    code = households[0]["code"]
    header = ["户编号", "月份", "工资性收入(元)", "生产经营性收入（元）", "家庭经营性支出"]
    result = committed(writable, workbook_bytes([header, [code, NEW_MONTH, 900, 300, 40]]),
                       "registers", settings)  # fmt: skip
    assert result.report.counts.inserted == 1
    stored = register(writable, code)
    assert (stored["wage"], stored["business"], stored["production_cost"]) == (900, 300, 40)


def test_an_unknown_money_column_blocks_the_commit_until_it_is_mapped_or_dropped(
    writable, settings, households
):
    code = households[0]["code"]
    header = ["户编号", "月份", "工资性收入（元）", "种养业收入（元）"]
    content = workbook_bytes([header, [code, NEW_MONTH, 900, 300]])
    ready = prepared(content, "registers", settings)
    assert [c.text for c in ready.unresolved] == ["种养业收入（元）"]
    before = fingerprint(writable)
    with pytest.raises(ImportRefusedError, match=r"种养业收入（元）.*看起来是金额"):
        commit(
            engine=writable, prepared=ready, ctx=context(), all_or_nothing=False,
            max_rejected_stored=10,
        )  # fmt: skip
    assert fingerprint(writable) == before

    mapping = mapping_from_arguments(kind_named("registers"), ["种养业收入（元）=经营性收入"])
    mapped = prepared_with(content, settings, mapping)
    assert mapped.unresolved == ()
    commit(engine=writable, prepared=mapped, ctx=context(), all_or_nothing=False,
           max_rejected_stored=10)  # fmt: skip
    assert register(writable, code)["business"] == 300
    with writable.connect() as conn:
        kept = saved_mapping(conn=conn, kind=kind_named("registers"), header_set=mapped.header_set)
    assert kept.mapping == {"种养业收入": "business"}
    # The next file with the same headers is read with the confirmed mapping, and says so.
    with writable.connect() as conn:
        again = prepare(
            content=content, file_name="t.xlsx", kind=kind_named("registers"),
            limits=settings.imports,
            saved=lambda headers: saved_mapping(
                conn=conn, kind=kind_named("registers"), header_set=headers
            ),
        )  # fmt: skip
    assert again.unresolved == ()
    assert any("已套用" in note for note in again.notes())
    with writable.connect() as conn:
        assert dry_run(conn=conn, prepared=again, ctx=context()).counts.unchanged == 1


def test_a_dropped_money_column_is_left_out_on_purpose(engine, settings, households):
    header = ["户编号", "月份", "工资性收入（元）", "其中：公益岗收入（元）"]
    content = workbook_bytes([header, [households[0]["code"], NEW_MONTH, 900, 300]])
    mapping = mapping_from_arguments(kind_named("registers"), dropped=["其中：公益岗收入（元）"])
    ready = prepared_with(content, settings, mapping)
    assert ready.unresolved == ()
    assert "指定不导入的列：其中：公益岗收入（元）" in ready.notes()


def test_a_kind_without_money_does_not_block_on_a_money_column(engine, settings):
    header = ["乡镇代码", "乡镇名称", "人均纯收入（元）"]
    ready = prepared(workbook_bytes([header, ["452731100", "城关镇", 12000]]), "places", settings)
    assert ready.unresolved == ()


def test_a_register_sheet_without_any_amount_column_is_refused(engine, settings, households):
    content = workbook_bytes([["户编号", "月份", "备注"], [households[0]["code"], NEW_MONTH, "x"]])
    with pytest.raises(ImportRefusedError, match="没有识别出任何一列：工资性收入"):
        prepared(content, "registers", settings)


def test_amounts_under_a_merged_income_title_with_short_sub_headers_are_written(
    writable, settings, households
):
    code = households[0]["code"]
    book = Workbook()
    sheet = book.active
    sheet.append(["户编号", "月份", "收入（元）", None, None, None, "生产经营性支出（元）"])
    sheet.append([None, None, "工资性", "经营性", "财产性", "转移性", None])
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("B1:B2")
    sheet.merge_cells("C1:F1")
    sheet.merge_cells("G1:G2")
    sheet.append([code, NEW_MONTH, 900, 300, 20, 150, 40])
    result = committed(writable, saved_book(book), "registers", settings)
    assert result.report.prepared.header_rows == (1, 2)
    assert result.report.prepared.unresolved == ()
    stored = register(writable, code)
    assert [stored[c] for c in ("wage", "business", "property", "transfer", "production_cost")] == [
        900, 300, 20, 150, 40
    ]  # fmt: skip


# --- codes, keys and numbers -----------------------------------------------------------------


def test_a_16_digit_household_code_stored_as_a_number_is_refused_even_when_it_hits_another(
    engine, settings, households
):
    # Excel keeps 15 digits: ...0012 typed as a number is stored as ...0010, another household.
    damaged = int(households[0]["code"][:15] + "0")
    content = workbook_bytes([["户编号", "月份", "工资性收入（元）"], [damaged, NEW_MONTH, 100]])
    report = dry(engine, content, "registers", settings)
    assert report.counts.inserted == report.counts.updated == 0
    [message] = report.error_messages()
    assert "以数字格式保存" in message
    assert "户主不一致" not in message


def test_a_circular_re_imported_with_a_trailing_or_invisible_space_is_the_same_circular(
    writable, settings
):
    header = ["文号", "通报日期", "榜单", "对象类型", "通报对象", "事由"]
    row = ["云衔督通〔2026〕9号", "2026-11-02", "黑榜", "乡镇", "城关镇", "收支登记滞后"]
    first = committed(writable, workbook_bytes([header, row]), "circulars", settings)
    assert first.report.counts.inserted == 1
    for spelled in ["云衔督通〔2026〕9号 ", "云衔督通〔2026〕9号\u200b", "云衔督通〔２０２６〕9号"]:
        again = committed(writable, workbook_bytes([header, [spelled, *row[1:]]]), "circulars",
                          settings)  # fmt: skip
        assert again.report.counts.unchanged == 1
    with writable.connect() as conn:
        count = conn.execute(
            select(Circular.id).where(Circular.doc_no.like("云衔督通〔2026〕9号%"))
        ).all()
    assert len(count) == 1


def test_a_growth_rate_in_a_percent_formatted_cell_is_stored_as_the_percent_shown(
    writable, settings
):
    book = Workbook()
    sheet = book.active
    sheet.append(["年度", "指标", "数值", "来源"])
    sheet.append([2025, "县GDP增速", 0.075, "县统计局"])
    sheet["C2"].number_format = "0.0%"
    sheet.append([2025, "省农村居民人均可支配收入增速", "6.8%", "省统计局"])
    sheet.append([2025, "县农村居民人均可支配收入", 0.5, "县统计局"])
    sheet["C4"].number_format = "0%"
    result = committed(writable, saved_book(book), "benchmarks", settings)
    with writable.connect() as conn:
        stored = dict(
            conn.execute(
                select(Benchmark.indicator, Benchmark.value).where(Benchmark.year == 2025)
            ).all()
        )
    assert stored["县GDP增速"] == pytest.approx(7.5)
    assert stored["省农村居民人均可支配收入增速"] == pytest.approx(6.8)
    assert result.report.error_table()["原因"].tolist() == [
        "县农村居民人均可支配收入以元为单位，不应是百分数"
    ]


def test_ten_thousands_written_with_wan_are_refused_with_the_number_to_write(
    engine, settings, households
):
    content = workbook_bytes([["户编号", "月份", "工资性收入（元）"],
                              [households[0]["code"], NEW_MONTH, "1.2万"]])  # fmt: skip
    [message] = dry(engine, content, "registers", settings).error_messages()
    assert "“1.2万”请写作 12000" in message


# --- the 帮扶单位与干部 roster ---------------------------------------------------------------


ROSTER_HEADER = ["序号", "姓名", "手机号", "角色", "帮扶单位", "单位类型", "乡镇", "村"]


def roster(village: str) -> list[list]:
    return [
        ["云岭县帮扶干部花名册"],
        ROSTER_HEADER,
        [1, "甲新干部", "13900001001", "单位主要领导", "县新设帮扶局", "县直部门", None, None],
        [2, "乙新干部", "13900001002", "单位分管领导", "县新设帮扶局", None, None, None],
        [3, "丙新干部", "13900001003", "帮扶干部", "县新设帮扶局", None, None, village],
        [4],
        [5],
        ["小计", None, None, None, None, None, None, None],
        [None, "制表人：韦某", None, "审核人：黄某", None, "单位负责人：覃某"],
        ["填表日期：", "2026-11-28"],
        ["备注: 本表按11月底在岗人员填报"],
    ]


def test_a_roster_with_a_new_unit_footers_and_preprinted_numbers_imports_once(writable, settings):
    with writable.connect() as conn:
        village = conn.exec_driver_sql("SELECT code FROM villages ORDER BY id LIMIT 1").scalar()
        cadres_before = conn.execute(select(Cadre.id)).all()
    content = workbook_bytes(roster(village))
    first = committed(writable, content, "cadres", settings).report
    assert first.error_messages() == []
    assert first.counts.inserted == 3
    assert first.prepared.skipped == 6
    second = committed(writable, content, "cadres", settings).report
    assert (second.counts.inserted, second.counts.unchanged, second.counts.rejected) == (0, 3, 0)
    with writable.connect() as conn:
        assert len(conn.execute(select(Cadre.id)).all()) == len(cadres_before) + 3


# --- refusals and their words ----------------------------------------------------------------


def test_the_command_line_says_no_page_when_there_is_no_header_and_prints_no_traceback(
    demo_sqlite_path, tmp_path, monkeypatch, capsys, test_config_path
):
    writable_demo(demo_sqlite_path, tmp_path).dispose()
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{tmp_path / 'demo-copy.db'}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    headerless = tmp_path / "无表头.xlsx"
    headerless.write_bytes(workbook_bytes([["张三", 1, 2], ["李四", 3, 4]]))
    assert main(["import", str(headerless), "--kind", "registers"]) == 2
    said = capsys.readouterr()
    assert "找不到表头" in said.out
    assert "本页" not in said.out
    broken = tmp_path / "截断.xlsx"
    good = BytesIO(workbook_bytes([["户编号", "月份", "工资性收入（元）"], ["1", "2024-10", 1]]))
    broken.write_bytes(_truncated_sheet(good.getvalue()))
    assert main(["import", str(broken), "--kind", "registers"]) == 2
    said = capsys.readouterr()
    assert "拒绝导入" in said.out
    assert "Traceback" not in said.out + said.err


def _truncated_sheet(content: bytes) -> bytes:
    import zipfile

    source = zipfile.ZipFile(BytesIO(content))
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return out.getvalue()


def test_the_command_line_maps_a_column_and_refuses_to_commit_an_unmapped_money_column(
    demo_sqlite_path, tmp_path, monkeypatch, capsys, test_config_path, households
):
    engine = writable_demo(demo_sqlite_path, tmp_path)
    monkeypatch.setenv("DASHBOARD_DB_URL", str(engine.url))
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    code = households[0]["code"]
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(
        workbook_bytes(
            [["户编号", "月份", "工资性收入（元）", "种养业收入"], [code, NEW_MONTH, 9, 3]]
        )
    )
    before = fingerprint(engine)
    assert main(["import", str(ledger), "--kind", "registers", "--commit"]) == 2
    said = capsys.readouterr().out
    assert "--map" in said
    assert fingerprint(engine) == before
    assert main(["import", str(ledger), "--kind", "registers", "--commit",
                 "--map", "种养业收入=经营性收入"]) == 0  # fmt: skip
    said = capsys.readouterr().out
    assert "D 列“种养业收入”：指定为经营性收入（元）" in said
    assert register(engine, code)["business"] == 3
    # Confirmed once: the same headers import without --map next time.
    assert main(["import", str(ledger), "--kind", "registers"]) == 0
    assert "已套用" in capsys.readouterr().out
    engine.dispose()


def prepared_with(content: bytes, settings, mapping):
    return prepare(
        content=content,
        file_name="t.xlsx",
        kind=kind_named("registers"),
        limits=settings.imports,
        mapping=mapping,
    )


def test_an_income_detail_sheet_reads_each_source_through_its_total(writable, settings, households):
    """收入明细: each source a merged title over 合计 and its sub-items."""
    code = households[0]["code"]
    book = Workbook()
    sheet = book.active
    # The sources' totals first, last and in the middle of their groups.
    sheet.append(["户编号", "年度", "工资性收入（元）", None, None, "生产经营性收入（元）", None,
                  None, "财产性收入（元）", "转移性收入（元）", None, None,
                  "生产经营性支出（元）"])  # fmt: skip
    sheet.append([None, None, "务工收入", "公益岗收入", "合计", "合计", "种植业", "养殖业", None,
                  "低保金", "合计", "养老保险金", None])  # fmt: skip
    for merged in ("A1:A2", "B1:B2", "C1:E1", "F1:H1", "I1:I2", "J1:L1", "M1:M2"):
        sheet.merge_cells(merged)
    sheet.append([code, 2023, 26000, 4000, 30000, 8000, 5000, 3000, 200, 3000, 5000, 2000, 1200])
    result = committed(writable, saved_book(book), "income_years", settings)
    report = result.report
    assert report.prepared.unresolved == ()
    assert "按合计导入、不单独导入的分项列" in "\n".join(report.prepared.notes())
    assert report.counts.inserted == 1
    with writable.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT wage, business, property, transfer, production_cost FROM income_years y "
            f"JOIN households h ON h.id = y.household_id WHERE h.code = '{code}' AND year = 2023"
        ).one()
    assert tuple(stored) == (30000, 8000, 200, 5000, 1200)
