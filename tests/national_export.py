"""Workbooks in the layout of the national 防返贫监测信息系统 基础信息表 export: one row per person,
the system's own headers, about 110 columns of which the dashboard reads twenty-odd, numbers
stored as numbers where the system stores them so. Used by the tests and the benchmark."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO
from typing import Any

from openpyxl import Workbook

from data_access.demo.ids import id_check_character
from tests.excel_like import as_excel_saves

LEADING = [
    "序号",
    "县(市、区、旗)",
    "乡(镇)",
    "行政村",
    "自然村",
    "户编号",
    "人编号",
    "与户主关系",
    "姓名",
    "证件号码",
    "性别",
    "民族",
    "文化程度",
    "在校生状况",
    "健康状况",
    "劳动技能",
    "务工时间（月）",
]
LATER = [
    "户类型",
    "脱贫年度",
    "监测对象类别",
    "风险是否已消除",
    "风险消除方式",
    "识别监测时间",
    "消除监测时间",
    "致贫/返贫风险1",
    "致贫/返贫风险2",
    "致贫/返贫风险3",
    "致贫/返贫风险4",
    "致贫/返贫风险5",
    "享受低保政策情况",
    "享受特困供养政策情况",
    "整户无劳动能力兜底保障户",
    "联系电话",
]
# What else the export carries, none of it read: housing, water, insurance, income summaries …
OTHER = [
    "是否危房",
    "住房安全有保障",
    "饮水安全有保障",
    "是否参加城乡居民基本医疗保险",
    "是否参加大病保险",
    "是否参加城乡居民基本养老保险",
    "是否享受人身意外保险补贴",
    "是否易地扶贫搬迁",
    "搬迁方式",
    "安置方式",
    "是否通生活用电",
    "是否通广播电视",
    "与村主干路距离（公里）",
    "入户路类型",
    "人均住房面积（平方米）",
    "是否有卫生厕所",
    "燃料类型",
    "是否加入农民专业合作社",
    "是否有龙头企业带动",
    "是否有创业致富带头人带动",
    "家庭纯收入（元）",
    "家庭人均纯收入（元）",
    "工资性收入（元）",
    "生产经营性收入（元）",
    "财产性收入（元）",
    "转移性收入（元）",
    "生产经营性支出（元）",
] + [f"备用字段{n}" for n in range(1, 51)]
HEADERS = [*LEADING, *LATER, *OTHER]


def id_number(stem: str) -> str:
    """A valid 18-character 身份证号 from 17 digits."""
    return stem + id_check_character(stem)


@dataclass
class Person:
    person_code: str
    relation: str
    name: str
    id_number: str
    labour: str = "普通劳动力"
    school: str = "非在校生"
    health: str = "健康"
    months_worked: int | None = 6


@dataclass
class ExportHousehold:
    code: str
    township: str
    village: str
    people: list[Person]
    household_type: str = "脱贫户"
    lifted_year: int | None = 2018
    category: str | None = None
    cleared: str | None = None
    cleared_by: str | None = None
    since: int | None = None
    cleared_on: int | None = None
    no_labour: str = "否"
    county: str = "云岭县"
    extra: dict[str, Any] = field(default_factory=dict)


def person_rows(
    households: Iterable[ExportHousehold], headers: Sequence[str] = HEADERS
) -> list[list[Any]]:
    rows = []
    number = 0
    for household in households:
        for person in household.people:
            number += 1
            values = {
                "序号": number,
                "县(市、区、旗)": household.county,
                "乡(镇)": household.township,
                "行政村": household.village,
                "自然村": "一组",
                "户编号": household.code,
                "人编号": person.person_code,
                "与户主关系": person.relation,
                "姓名": person.name,
                "证件号码": person.id_number,
                "性别": "男",
                "民族": "壮族",
                "文化程度": "初中",
                "在校生状况": person.school,
                "健康状况": person.health,
                "劳动技能": person.labour,
                "务工时间（月）": person.months_worked,
                "户类型": household.household_type,
                "脱贫年度": household.lifted_year,
                "监测对象类别": household.category,
                "风险是否已消除": household.cleared,
                "风险消除方式": household.cleared_by,
                # The system exports YYYYMM as a number.
                "识别监测时间": household.since,
                "消除监测时间": household.cleared_on,
                "致贫/返贫风险1": "因病" if household.category else None,
                "享受低保政策情况": "否",
                "享受特困供养政策情况": "否",
                "整户无劳动能力兜底保障户": household.no_labour,
                "家庭纯收入（元）": 42000,
                "工资性收入（元）": 30000,
                **household.extra,
            }
            rows.append([values.get(header) for header in headers])
    return rows


def export_workbook(
    households: Iterable[ExportHousehold], *, headers: Sequence[str] = HEADERS
) -> bytes:
    """The export as the system saves it: a title row, the header, one row per person, codes
    as text and text in a shared-strings table (tests/excel_like.py)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("基础信息")
    sheet.append(["全国防返贫监测信息系统 基础信息表（导出时间：2026-11-28）"])
    sheet.append(list(headers))
    for row in person_rows(households, headers):
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return as_excel_saves(buffer.getvalue())


def _id_of(number: int) -> str:
    """A distinct valid 身份证号 for each number below 20,000,000."""
    born = date(1950, 1, 1) + timedelta(days=number % 20_000)
    return id_number(f"452731{born:%Y%m%d}{number // 20_000 % 1000:03d}")


def family(code: str, township: str, village: str, size: int, **options) -> ExportHousehold:
    """A household of ``size`` people with 人编号 and 身份证号 derived from ``code``."""
    relations = ["户主", "配偶", "之子", "之女", "之孙子", "之孙女", "之母", "之父"]
    people = [
        Person(
            person_code=f"{code}{n:02d}",
            relation=relations[n % len(relations)],
            name=f"测{['甲', '乙', '丙', '丁', '戊', '己', '庚', '辛'][n % 8]}{n}",
            id_number=_id_of(int(code[-7:]) * 8 + n),
        )
        for n in range(size)
    ]
    return ExportHousehold(code=code, township=township, village=village, people=people, **options)
