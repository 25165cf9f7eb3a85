"""Every kind of ledger: its template, filled in with demo-like values, imports cleanly with the
right counts and a second import changes nothing; bad rows are rejected with the reason; an
all-or-nothing import with a bad row leaves the database as it was."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dashboard.navigation import PROJECT_ROOT
from data_access.demo.ids import id_check_character
from data_access.importing import KINDS, batch_rejections, dry_run, template_workbook
from data_access.importing.templates import FIRST_DATA_ROW, HEADER_ROW
from data_access.models import (
    Assignment,
    AssistingUnit,
    AuditEntry,
    Base,
    Benchmark,
    Cadre,
    Household,
    ImportBatch,
    IncomeRegister,
    IncomeYear,
    RectificationItem,
    RectificationStatusChange,
    Township,
    Village,
    Visit,
)
from data_access.scope import Scope
from tests.import_helpers import (
    committed,
    context,
    dry,
    fingerprint,
    prepared,
    scalar,
    writable_demo,
)


@pytest.fixture
def engine(demo_sqlite_path, tmp_path):
    engine = writable_demo(demo_sqlite_path, tmp_path)
    yield engine
    engine.dispose()


def filled(kind: str, rows: list[dict[str, Any]]) -> bytes:
    """The kind's template with ``rows`` (header → value) under its instruction row."""
    book = load_workbook(BytesIO(template_workbook(KINDS[kind], county="云岭县")))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    for offset, row in enumerate(rows):
        for title, value in row.items():
            cell = sheet.cell(row=FIRST_DATA_ROW + offset, column=headers.index(title) + 1)
            cell.value = value
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def one(engine: Engine, query) -> Any:
    """The one row of ``query``; selected models come back as objects."""
    with Session(engine) as session:
        return session.execute(query).one()


def new_id_number(stem: str = "45273119850505") -> str:
    first17 = stem + "123"
    return first17 + id_check_character(first17)


VALID_ID = new_id_number("45273119850808")
WRONG_CHECK = VALID_ID[:-1] + ("1" if VALID_ID[-1] != "1" else "2")


# --- demo-like rows of each kind -------------------------------------------------------------


def places_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    township_code, township_name, village = one(
        engine,
        select(Township.code, Township.name, Village)
        .join(Village, Village.township_id == Township.id)
        .order_by(Village.id)
        .limit(1),
    )
    rows = [
        {"乡镇代码": "452731199", "乡镇名称": "测试新镇", "经度": 107.5, "纬度": 24.5},
        {
            "乡镇代码": "452731199",
            "乡镇名称": "测试新镇",
            "村代码": "452731199201",
            "村名称": "新村",
        },
        {
            "乡镇代码": township_code,
            "乡镇名称": township_name,
            "村代码": village.code,
            "村名称": village.name,
            "经度": village.lon,
            "纬度": village.lat,
        },
    ]
    return rows, {"inserted": 2, "unchanged": 1}


def cadres_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    head = one(
        engine,
        select(Cadre.name, Cadre.phone, Township.name)
        .join(Township, Township.id == Cadre.township_id)
        .where(Cadre.role == "乡镇长")
        .order_by(Cadre.id)
        .limit(1),
    )
    village = one(engine, select(Village.code, Village.id).order_by(Village.id).limit(1))
    with engine.connect() as conn:
        households = (
            conn.execute(select(Household.code).where(Household.village_id == village.id).limit(2))
            .scalars()
            .all()
        )
    rows = [
        {"姓名": head[0], "手机号": head[1], "角色": "乡镇长", "乡镇": head[2]},
        {
            "姓名": "测试干部",
            "手机号": "13900000001",
            "角色": "帮扶干部",
            "帮扶单位": "县测试局",
            "单位类型": "县直部门",
            "村": village.code,
            "联系户编号": "、".join(households),
            "结对日期": "2026-11-01",
            "定点帮扶村": village.code,
        },
    ]
    return rows, {"inserted": 1, "unchanged": 1}


def households_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    h = one(
        engine,
        select(Household, Village.code)
        .join(Village, Village.id == Household.village_id)
        .where(Household.risk_status == "风险已消除", Household.lifted_year.is_not(None))
        .order_by(Household.id)
        .limit(1),
    )
    household, village_code = h
    flag = {True: "是", False: "否"}
    existing = {
        "户编号": household.code,
        "村代码": village_code,
        "网格号": household.grid_no,
        "户主姓名": household.head_name,
        "户主身份证号": household.head_id_number,
        "联系电话": household.phone,
        "户类型": household.household_type,
        "脱贫年度": household.lifted_year,
        "监测类型": household.monitor_category,
        "风险状态": household.risk_status,
        "纳入监测日期": household.monitored_since,
        "风险消除日期": household.risk_cleared_on,
        "风险消除方式": household.risk_cleared_by,
        "家庭人口": household.members,
        "有劳动力": flag[household.has_labour],
        "一户一策": flag[household.has_plan],
        "帮扶手册": flag[household.has_handbook],
        "明白卡上墙": flag[household.has_benefit_card],
        "培训明白人": flag[household.has_trained_member],
        "公益性岗位": flag[household.public_job],
    }
    rows = [
        existing,
        {
            "户编号": "9900000000000101",
            "村代码": village_code,
            "户主姓名": "测 试 甲",
            "户主身份证号": new_id_number(),
            "户类型": "监测户",
            "监测类型": "边缘易致贫户",
            "风险状态": "风险未消除",
            "纳入监测日期": "2026年3月2日",
            "家庭人口": "4",
            "有劳动力": "否",
        },
    ]
    return rows, {"inserted": 1, "unchanged": 1}


def registers_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    registers = one(
        engine,
        select(IncomeRegister, Household.code)
        .join(Household, Household.id == IncomeRegister.household_id)
        .where(IncomeRegister.month == date(2026, 10, 1))
        .order_by(IncomeRegister.id)
        .limit(1),
    )
    register, code = registers

    def row(month: date, wage: float) -> dict:
        return {
            "户编号": code,
            "月份": f"{month:%Y-%m}",
            "工资性收入（元）": wage,
            "经营性收入（元）": register.business,
            "财产性收入（元）": register.property,
            "转移性收入（元）": register.transfer,
            "生产经营性支出（元）": register.production_cost,
            "生活消费支出（元）": register.expenditure,
        }

    rows = [
        row(date(2026, 10, 1), register.wage),
        row(date(2024, 10, 1), 1234.5),
        {**row(date(2024, 9, 1), 0), "登记时间": "2024-09-30 18:00"},
    ]
    return rows, {"inserted": 2, "unchanged": 1}


def visits_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    visit, code, name, phone = one(
        engine,
        select(Visit, Household.code, Cadre.name, Cadre.phone)
        .join(Household, Household.id == Visit.household_id)
        .join(Cadre, Cadre.id == Visit.cadre_id)
        .order_by(Visit.id)
        .limit(1),
    )
    rows = [
        {
            "户编号": code,
            "走访干部": name,
            "干部手机号": phone,
            "走访时身份": visit.role,
            "走访日期": visit.visit_date,
            "走访内容": visit.note,
        },
        {
            "户编号": code,
            "走访干部": name,
            "干部手机号": phone,
            "走访日期": "2026/11/28",
            "走访内容": "=核实收入",
        },
    ]
    return rows, {"inserted": 1, "unchanged": 1}


def rectification_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    rows = [
        {
            "问题编号": "ZG2026-90001",
            "问题来源": "交叉检查",
            "问题类别": "收入登记不全面",
            "问题描述": "测试：收支未按时登记",
            "责任乡镇": "城关镇",
            "责任人": "张三",
            "整改类型": "限期整改",
            "发现日期": "2026-11-02",
            "整改时限": "2026-12-31",
            "整改状态": "未整改",
        },
        {
            "问题编号": "ZG2026-90002",
            "问题来源": "数据比对",
            "问题类别": "收入登记不全面",
            "问题描述": "测试：已整改完毕",
            "责任乡镇": "城关镇",
            "责任人": "李四",
            "整改类型": "立行立改",
            "发现日期": "2026-11-02",
            "整改时限": "2026-11-10",
            "整改状态": "已销号",
            "销号日期": "2026-11-09",
        },
    ]
    return rows, {"inserted": 2}


def circulars_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    unit = one(engine, select(AssistingUnit.name).order_by(AssistingUnit.id).limit(1))[0]
    rows = [
        {"文号": "云衔督通〔2026〕99号", "通报日期": "2026-11-20", "榜单": "黑榜",
         "对象类型": "乡镇", "通报对象": "城关镇", "事由": "收支登记不全"},
        {"文号": "云衔督通〔2026〕99号", "通报日期": "2026-11-20", "榜单": "红榜",
         "对象类型": "帮扶单位", "通报对象": unit, "事由": "整改按期销号"},
    ]  # fmt: skip
    return rows, {"inserted": 2}


def meetings_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    village = one(engine, select(Village.name).order_by(Village.id).limit(1))[0]
    rows = [
        {"会议层级": "村", "乡镇": "城关镇", "村": village, "月份": "2024-10",
         "召开日期": "2024-10-25", "有会议记录": "是"},
        {"会议层级": "乡镇", "乡镇": "城关镇", "月份": "2024-10", "召开日期": "2024-10-28",
         "有会议记录": "否"},
    ]  # fmt: skip
    return rows, {"inserted": 2}


def findings_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    code, village = one(
        engine,
        select(Household.code, Village.code)
        .join(Village, Village.id == Household.village_id)
        .order_by(Household.id)
        .limit(1),
    )
    rows = [
        {"检查日期": "2026-11-27", "村": village, "户编号": code,
         "发现问题": "《明白卡》未上墙", "检查组": "县委督查室暗访组"},
        {"检查日期": "2026-11-27", "村": village, "发现问题": "村务公开栏未更新",
         "检查组": "县委督查室暗访组"},
    ]  # fmt: skip
    return rows, {"inserted": 2}


def benchmarks_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    value = one(
        engine,
        select(Benchmark.value).where(Benchmark.year == 2025, Benchmark.indicator == "县GDP增速"),
    )[0]
    rows = [
        {"年度": 2025, "指标": "县GDP增速", "数值": value},
        {"年度": 2023, "指标": "县农村居民人均可支配收入", "数值": "15,111", "来源": "县统计局"},
        {"年度": 2023, "指标": "省农村居民人均可支配收入增速", "数值": 7.5},
    ]
    return rows, {"inserted": 2, "unchanged": 1}


def national_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    township, village = one(
        engine,
        select(Township.name, Village.name)
        .join(Village, Village.township_id == Township.id)
        .order_by(Village.id)
        .limit(1),
    )
    household = {"乡(镇)": township, "行政村": village, "户编号": "4527319990000077",
                 "户类型": "脱贫户", "脱贫年度": 2019}  # fmt: skip
    rows = [
        {**household, "人编号": "452731999000007701", "与户主关系": "户主", "姓名": "蓝国栋",
         "证件号码": new_id_number("45273119790304")},
        {**household, "人编号": "452731999000007702", "与户主关系": "配偶", "姓名": "韦秀英",
         "证件号码": new_id_number("45273119810812")},
    ]  # fmt: skip
    return rows, {"inserted": 2}


def income_years_rows(engine: Engine) -> tuple[list[dict], dict[str, int]]:
    code, head, year = one(
        engine,
        select(Household.code, Household.head_name, IncomeYear)
        .join(IncomeYear, IncomeYear.household_id == Household.id)
        .where(IncomeYear.year == 2025)
        .order_by(Household.id)
        .limit(1),
    )
    existing = {
        "户编号": code,
        "年度": year.year,
        "家庭人口": year.members,
        "工资性收入（元）": year.wage,
        "生产经营性收入（元）": year.business,
        "财产性收入（元）": year.property,
        "转移性收入（元）": year.transfer,
        "生产经营性支出（元）": year.production_cost,
    }
    rows = [
        existing,
        {"户编号": code, "户主姓名": head, "年度": "2026年", "家庭人口": 3,
         "工资性收入（元）": "12,000", "家庭纯收入（元）": 12_000, "家庭人均纯收入（元）": 4_000,
         "合规自付支出（元）": 800},
    ]  # fmt: skip
    return rows, {"inserted": 1, "unchanged": 1}


# The tables each kind writes.
WRITES = {
    "places": ("townships", "villages"),
    "cadres": ("assisting_units", "cadres", "assignments", "unit_villages"),
    "households": ("households",),
    "national": ("households", "household_members"),
    "registers": ("income_registers",),
    "income_years": ("income_years",),
    "visits": ("visits",),
    "rectification": ("rectification_items", "rectification_status_changes"),
    "circulars": ("circulars",),
    "meetings": ("meetings",),
    "findings": ("inspection_findings", "villages"),
    "benchmarks": ("benchmarks",),
}
SAMPLES = {
    "places": places_rows,
    "cadres": cadres_rows,
    "households": households_rows,
    "national": national_rows,
    "registers": registers_rows,
    "income_years": income_years_rows,
    "visits": visits_rows,
    "rectification": rectification_rows,
    "circulars": circulars_rows,
    "meetings": meetings_rows,
    "findings": findings_rows,
    "benchmarks": benchmarks_rows,
}


def test_every_kind_has_a_sample_here():
    assert set(SAMPLES) == set(KINDS) == set(WRITES)


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_a_filled_template_imports_cleanly_and_a_second_import_changes_nothing(
    engine, settings, kind
):
    rows, expected = SAMPLES[kind](engine)
    content = filled(kind, rows)
    first = committed(engine, content, kind, settings)
    counts = first.report.counts
    assert first.report.error_messages() == []
    assert (counts.inserted, counts.updated, counts.unchanged) == (
        expected.get("inserted", 0),
        expected.get("updated", 0),
        expected.get("unchanged", 0),
    )
    assert first.data_version is not None
    after_first = fingerprint(engine, WRITES[kind])
    second = committed(engine, content, kind, settings)
    assert second.report.counts.unchanged == len(rows)
    assert second.data_version is None
    assert fingerprint(engine, WRITES[kind]) == after_first
    with engine.connect() as conn:
        batches = conn.execute(select(ImportBatch.kind, ImportBatch.status)).all()
        audited = conn.execute(select(func.count()).where(AuditEntry.action == "导入台账")).scalar()
    assert batches == [(KINDS[kind].label, "已导入")] * 2
    assert audited == 2


def test_a_register_update_lists_what_changes(engine, settings):
    rows, _ = registers_rows(engine)
    rows[0]["工资性收入（元）"] = rows[0]["工资性收入（元）"] + 100
    report = dry(engine, filled("registers", rows), "registers", settings)
    [update] = [o for o in report.outcomes if o.action.value == "更新"]
    assert update.changes[0].startswith("工资性收入：")


def test_a_status_change_of_a_rectification_item_is_kept_in_its_history(engine, settings):
    item = one(
        engine,
        select(RectificationItem).where(RectificationItem.status == "整改中").limit(1),
    )[0]
    township = scalar(engine, f"SELECT name FROM townships WHERE id = {item.township_id}")
    row = {
        "问题编号": item.code, "问题来源": item.source, "问题类别": item.category,
        "问题描述": item.description, "责任乡镇": township, "责任人": item.responsible_person,
        "整改类型": item.kind, "发现日期": item.found_on, "整改时限": item.deadline,
        "整改状态": "已销号", "销号日期": "2026-11-28",
    }  # fmt: skip
    result = committed(engine, filled("rectification", [row]), "rectification", settings)
    assert result.report.counts.updated == 1
    status, version, closed_on = one(
        engine,
        select(
            RectificationItem.status, RectificationItem.version, RectificationItem.closed_on
        ).where(RectificationItem.id == item.id),
    )
    assert (status, version, closed_on) == ("已销号", item.version + 1, date(2026, 11, 28))
    last = one(
        engine,
        select(RectificationStatusChange)
        .where(RectificationStatusChange.item_id == item.id)
        .order_by(RectificationStatusChange.id.desc())
        .limit(1),
    )[0]
    assert (last.from_status, last.to_status, last.changed_by) == ("整改中", "已销号", "tester")


def test_a_new_helper_takes_over_the_households_from_the_day_of_pairing(engine, settings):
    rows, _ = cadres_rows(engine)
    committed(engine, filled("cadres", rows), "cadres", settings)
    cadre_id, unit_id = one(
        engine, select(Cadre.id, Cadre.unit_id).where(Cadre.phone == "13900000001")
    )
    assert scalar(engine, f"SELECT kind FROM assisting_units WHERE id = {unit_id}") == "县直部门"
    with engine.connect() as conn:
        pairings = conn.execute(
            select(Assignment.household_id, Assignment.cadre_id, Assignment.end_date).where(
                Assignment.household_id.in_(
                    select(Assignment.household_id).where(Assignment.cadre_id == cadre_id)
                )
            )
        ).all()
    mine = [p for p in pairings if p.cadre_id == cadre_id]
    assert len(mine) == 2
    assert all(p.end_date is None for p in mine)
    previous = [p for p in pairings if p.cadre_id != cadre_id and p.end_date is not None]
    assert {p.end_date for p in previous} <= {date(2026, 11, 1) - timedelta(days=1)}
    assert not [p for p in pairings if p.cadre_id != cadre_id and p.end_date is None]


def test_an_imported_finding_moves_the_village_last_inspected_date_forward(engine, settings):
    rows, _ = findings_rows(engine)
    committed(engine, filled("findings", rows), "findings", settings)
    village = rows[0]["村"]
    assert scalar(engine, "SELECT last_inspected_on FROM villages WHERE code = :c", c=village) in (
        "2026-11-27",
        date(2026, 11, 27),
    )
    assert scalar(engine, "SELECT COUNT(*) FROM inspection_findings WHERE draw_id IS NULL") >= 2


BAD_ROWS = [
    (
        "registers",
        {"户编号": "HOUSEHOLD", "月份": "2026-12", "工资性收入（元）": 1},
        "列“月份”，值“2026-12”：月份 2026-12 晚于本月（2026-11）",
    ),
    (
        "registers",
        {"户编号": "HOUSEHOLD", "月份": "2024-10", "工资性收入（元）": -100},
        "列“工资性收入（元）”，值“-100”：不能为负数",
    ),
    (
        "registers",
        {"户编号": "HOUSEHOLD", "月份": "2024-10", "户主姓名": "王二", "工资性收入（元）": 1},
        "列“户主姓名”，值“王二”：与户编号对应的户主不一致",
    ),
    ("registers", {"户编号": "0000", "月份": "2024-10"}, "列“户编号”，值“0000”：户编号不存在"),
    ("registers", {"户编号": "HOUSEHOLD"}, "列“月份”，值“”：必填项为空"),
    (
        "households",
        {"户编号": "9900000000000201", "村代码": "VILLAGE", "户主姓名": "甲",
         "户主身份证号": WRONG_CHECK, "户类型": "脱贫户", "脱贫年度": 2018, "家庭人口": 3},
        "身份证号校验位不正确",
    ),
    (
        "households",
        {"户编号": "9900000000000202", "村代码": "VILLAGE", "户主姓名": "甲",
         "户主身份证号": new_id_number("45273119850606"), "户类型": "脱贫户", "家庭人口": 3},
        "列“脱贫年度”，值“”：脱贫户须填写脱贫年度",
    ),
    (
        "households",
        {"户编号": "9900000000000203", "村代码": "VILLAGE", "户主姓名": "甲",
         "户主身份证号": new_id_number("45273119850707"), "户类型": "监测户",
         "监测类型": "边缘易致贫户", "风险状态": "风险已消除", "纳入监测日期": "2025-01-01",
         "风险消除日期": "2026-01-01", "风险消除方式": "帮扶消除", "家庭人口": 3,
         "有劳动力": "否"},
        "无劳动能力的户不能标记为风险已消除",
    ),
    (
        "rectification",
        {"问题编号": "ZG2026-90009", "问题来源": "巡察", "问题类别": "测试", "问题描述": "测试",
         "责任乡镇": "城关镇", "责任人": "张三", "整改类型": "立行立改",
         "发现日期": "2026-11-02", "整改时限": "2026-11-10", "整改状态": "已销号"},
        "列“销号日期”，值“”：已销号的问题须填写销号日期",
    ),
    (
        "rectification",
        {"问题编号": "ZG2026-90010", "问题来源": "上级交办", "问题类别": "测试",
         "问题描述": "测试", "责任乡镇": "城关镇", "责任人": "张三", "整改类型": "立行立改",
         "发现日期": "2026-11-02", "整改时限": "2026-11-10", "整改状态": "未整改"},
        "列“问题来源”，值“上级交办”：应为 国家考核评估反馈、",
    ),
    (
        "visits",
        {"户编号": "HOUSEHOLD", "走访干部": "无此人", "干部手机号": "13900000009",
         "走访日期": "2026-11-01"},
        "没有姓名为“无此人”、手机号为 13900000009 的干部",
    ),
    (
        "meetings",
        {"会议层级": "村", "乡镇": "城关镇", "月份": "2024-10", "召开日期": "2024-10-20",
         "有会议记录": "是"},
        "列“村”，值“”：村级会议须填写村",
    ),
    (
        "circulars",
        {"文号": "X", "通报日期": "2026-11-01", "榜单": "黑榜", "对象类型": "帮扶单位",
         "通报对象": "不存在的单位", "事由": "测试"},
        "列“通报对象”，值“不存在的单位”：帮扶单位不存在",
    ),
    (
        "benchmarks",
        {"年度": 2025, "指标": "县GDP增速", "数值": 250},
        "县GDP增速应在 -100 到 100 之间",
    ),
    (
        "places",
        {"乡镇代码": "452731198", "乡镇名称": "城关镇"},
        "列“乡镇名称”，值“城关镇”：乡镇名称已被乡镇代码",
    ),
    (
        "cadres",
        {"姓名": "测试", "手机号": "13900000002", "角色": "网格员", "村": "VILLAGE"},
        "列“网格号”，值“”：网格员须填写网格号",
    ),
    (
        "places",
        {"乡镇代码": "452731199", "乡镇名称": "<img src=http://198.51.100.7/x.png>"},
        "名称中不能有 <、>（尖括号或控制字符）",
    ),
    (
        "cadres",
        {"姓名": "<b>张三</b>", "手机号": "13900000003", "角色": "帮扶干部", "村": "VILLAGE"},
        "名称中不能有 <、>",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "row", "message"), BAD_ROWS, ids=[f"{k}-{m[:12]}" for k, _, m in BAD_ROWS]
)
def test_a_bad_row_is_rejected_with_sheet_row_column_value_and_reason(
    demo_sqlite, settings, kind, row, message
):
    household = one(demo_sqlite, select(Household.code).order_by(Household.id).limit(1))[0]
    village = one(demo_sqlite, select(Village.code).order_by(Village.id).limit(1))[0]
    row = {k: {"HOUSEHOLD": household, "VILLAGE": village}.get(v, v) for k, v in row.items()}
    report = dry(demo_sqlite, filled(kind, [row]), kind, settings)
    assert report.counts.rejected == 1
    [text] = report.error_messages()
    assert text.startswith(f"工作表“{KINDS[kind].label}”第 {FIRST_DATA_ROW} 行")
    assert message in text


def test_repeated_rows_in_one_file_keep_the_first_and_conflicting_ones_are_all_rejected(
    demo_sqlite, settings
):
    code = one(demo_sqlite, select(Household.code).order_by(Household.id).limit(1))[0]
    row = {"户编号": code, "月份": "2024-10", "工资性收入（元）": 100}
    rows = [
        row,
        dict(row),
        {**row, "月份": "2024-09"},
        {**row, "月份": "2024-09", "工资性收入（元）": 5},
    ]
    report = dry(demo_sqlite, filled("registers", rows), "registers", settings)
    assert report.counts.inserted == 1
    reasons = report.error_table()["原因"].tolist()
    assert reasons[0] == "与第 4 行重复（完全相同的一行）"
    assert reasons[1].startswith("同一户同一月份的登记在文件中出现多次且内容不同（第 6、7 行）")
    assert len(reasons) == 3


def test_valid_rows_are_written_though_others_are_rejected(engine, settings):
    code = one(engine, select(Household.code).order_by(Household.id).limit(1))[0]
    rows = [
        {"户编号": code, "月份": "2024-10", "工资性收入（元）": 100},
        {"户编号": "0000", "月份": "2024-10", "工资性收入（元）": 100},
    ]
    result = committed(engine, filled("registers", rows), "registers", settings)
    assert (result.report.counts.inserted, result.report.counts.rejected) == (1, 1)
    with engine.connect() as conn:
        [stored] = batch_rejections(conn=conn, batch_id=result.batch_id)
    assert stored["行号"] == FIRST_DATA_ROW + 1
    assert stored["户编号"] == "0000"
    assert stored["错误原因"] == "户编号“0000”：户编号不存在（请先导入户信息）"


def test_all_or_nothing_with_a_rejected_row_leaves_the_database_as_it_was(engine, settings):
    code = one(engine, select(Household.code).order_by(Household.id).limit(1))[0]
    rows = [
        {"户编号": code, "月份": "2024-10", "工资性收入（元）": 100},
        {"户编号": code, "月份": "2026-12", "工资性收入（元）": 100},
    ]
    before = fingerprint(engine)
    result = committed(
        engine, filled("registers", rows), "registers", settings, all_or_nothing=True
    )
    assert result.status.value == "未导入"
    assert result.data_version is None
    assert fingerprint(engine) == before
    status, inserted, rejected = one(
        engine, select(ImportBatch.status, ImportBatch.inserted, ImportBatch.rejected)
    )
    assert (status, inserted, rejected) == ("未导入", 0, 1)


def test_a_township_user_may_import_only_their_own_township(engine, settings):
    first, last = (
        one(engine, select(Household.code, Household.township_id).order_by(order).limit(1))
        for order in (Household.township_id, Household.township_id.desc())
    )
    assert first.township_id != last.township_id
    rows = [
        {"户编号": first.code, "月份": "2024-10", "工资性收入（元）": 1},
        {"户编号": last.code, "月份": "2024-10", "工资性收入（元）": 1},
    ]
    ready = prepared(filled("registers", rows), "registers", settings)
    with engine.connect() as conn:
        report = dry_run(
            conn=conn, prepared=ready, ctx=context(scope=Scope(frozenset({first.township_id})))
        )
    assert report.counts.inserted == 1
    assert report.error_table()["原因"].tolist() == ["不在您的数据范围内（只能导入本乡镇的数据）"]


def test_every_kind_names_a_natural_key_and_has_required_columns():
    for kind in KINDS.values():
        assert kind.natural_key
        assert any(field.required for field in kind.fields)
        titles = [field.title for field in kind.fields]
        assert len(titles) == len(set(titles))


def test_the_import_tables_match_their_migrations(engine):
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in differences if any(n in repr(d) for n in ("import_batches", "uq_cadres"))]
    assert ours == []


def test_the_readme_documents_every_kind_with_its_headers_and_natural_key():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for kind in KINDS.values():
        headers = "、".join(field.title + ("*" if field.required else "") for field in kind.fields)
        assert f"| {kind.label}（`{kind.key}`） | {kind.natural_key} | {headers} |" in readme
