"""户信息: 脱贫户 and 监测户 with their monitoring status, keyed by 户编号."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, select

from data_access.importing import fields as f
from data_access.importing import refs
from data_access.importing.base import (
    CHUNK,
    ImportContext,
    Kind,
    Plan,
    Record,
    RowRejectedError,
    keyed_plan,
)
from data_access.models import (
    DataSource,
    Household,
    HouseholdType,
    MonitorCategory,
    RiskClearedBy,
    RiskStatus,
)

LIFTED_YEARS = (2014, 2020)
FLAGS = {
    "has_labour": ("有劳动力", "是", "无劳动能力的户填“否”；空白按“是”"),
    "has_plan": ("一户一策", "是", "已制定帮扶计划填“是”；空白按“是”"),
    "has_handbook": ("帮扶手册", "是", "《帮扶手册》已填写填“是”；空白按“是”"),
    "has_benefit_card": ("明白卡上墙", "是", "《政策受益明白卡》已上墙填“是”；空白按“是”"),
    "has_trained_member": ("培训明白人", "是", "已培训一名“明白人”填“是”；空白按“是”"),
    "public_job": ("公益性岗位", "否", "有人在公益性岗位就业填“是”；空白按“否”"),
}
MONITORING_COLUMNS = (
    "lifted_year",
    "monitor_category",
    "risk_status",
    "monitored_since",
    "risk_cleared_on",
    "risk_cleared_by",
)
LABELS = {
    "village_id": "村",
    "township_id": "乡镇",
    "grid_no": "网格号",
    "head_name": "户主姓名",
    "head_id_number": "户主身份证号",
    "phone": "联系电话",
    "household_type": "户类型",
    "lifted_year": "脱贫年度",
    "monitor_category": "监测类型",
    "risk_status": "风险状态",
    "monitored_since": "纳入监测日期",
    "risk_cleared_on": "风险消除日期",
    "risk_cleared_by": "风险消除方式",
    "members": "家庭人口",
    **{key: title for key, (title, _, _) in FLAGS.items()},
}


def _values(enum) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


class Households(Kind):
    key = "households"
    sources = frozenset({DataSource.HOUSEHOLDS, DataSource.PLACES})
    label = "户信息"
    natural_key = "户编号"
    summary = "脱贫户、监测户的基本信息与监测状态（户主姓名、身份证号为个人信息，只有管理员可导入）"
    fields = (
        f.code(
            "code",
            "户编号",
            max_length=24,
            required=True,
            note="必填；全国防返贫监测信息系统的户编号，请设为文本格式",
            aliases=("户编码", "农户编号", "户码"),
            width=20,
        ),
        f.code(
            "village",
            "村代码",
            max_length=15,
            required=True,
            note="必填；须已在乡镇村中",
            aliases=("行政村代码", "所在村代码"),
            width=16,
        ),
        f.integer(
            "grid_no",
            "网格号",
            minimum=1,
            maximum=99,
            note="选填；村内网格序号，空白为 1",
            aliases=("网格", "所在网格"),
            width=8,
        ),
        f.name(
            "head_name",
            "户主姓名",
            required=True,
            note="必填",
            aliases=("户主",),
            width=10,
        ),
        f.id_number(
            "head_id_number",
            "户主身份证号",
            required=True,
            note="必填；18 位，末位可为 X，请设为文本格式",
            aliases=("身份证号", "身份证号码", "户主身份证号码", "证件号码"),
        ),
        f.phone("phone", "联系电话", note="选填", aliases=("电话", "手机号", "手机号码")),
        f.choice(
            "household_type",
            "户类型",
            _values(HouseholdType),
            required=True,
            note="必填；脱贫户 或 监测户",
            aliases=("农户类型", "户属性"),
            width=10,
        ),
        f.integer(
            "lifted_year",
            "脱贫年度",
            minimum=LIFTED_YEARS[0],
            maximum=LIFTED_YEARS[1],
            note="脱贫户、脱贫不稳定户必填（2014–2020）；边缘易致贫户留空",
            aliases=("脱贫年份",),
            width=10,
        ),
        f.choice(
            "monitor_category",
            "监测类型",
            _values(MonitorCategory),
            note="监测户必填；纳入监测的脱贫户（如脱贫不稳定户）填写后按监测户记",
            aliases=("监测对象类别", "监测对象类型"),
        ),
        f.choice(
            "risk_status",
            "风险状态",
            _values(RiskStatus),
            note="监测户必填",
            aliases=("风险是否消除",),
            width=12,
        ),
        f.day("monitored_since", "纳入监测日期", note="监测户必填", aliases=("识别纳入日期",)),
        f.day("risk_cleared_on", "风险消除日期", note="风险已消除的必填"),
        f.choice(
            "risk_cleared_by",
            "风险消除方式",
            _values(RiskClearedBy),
            note="风险已消除的必填",
            width=12,
        ),
        f.integer(
            "members",
            "家庭人口",
            minimum=1,
            maximum=30,
            required=True,
            note="必填；人数",
            aliases=("家庭人口数", "人口数", "户人口"),
            width=10,
        ),
        *(
            f.flag(key, title, note=note, aliases=(f"是否{title}",))
            for key, (title, _, note) in FLAGS.items()
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        places = refs.Places(conn)
        existing = refs.households(conn, (r.values["code"] for r in records))
        plan = Plan()
        reject_shared_id_numbers(conn, records, plan)
        rejected = set(plan.rejections)

        def to_row(record: Record) -> tuple[dict[str, Any], int | None]:
            village = places.village(record.values["village"], "village")
            before = existing.get(record.values["code"])
            if before is not None and not ctx.may_write(before.township_id):
                raise RowRejectedError("该户现属其他乡镇，不在您的数据范围内")
            row = household_row(record, ctx)
            row.update(village_id=village.id, township_id=village.township_id)
            return row, village.township_id

        return keyed_plan(
            conn=conn,
            records=[r for r in records if r.row not in rejected],
            ctx=ctx,
            table=Household.__table__,
            key_columns=("code",),
            labels=LABELS,
            to_row=to_row,
            key_text=lambda r: r.values["code"],
            duplicate_label="同一户编号",
            insert_defaults=lambda: {
                "grid_no": 1,
                "phone": None,
                **{key: default == "是" for key, (_, default, _) in FLAGS.items()},
            },
            plan=plan,
        )


def household_row(record: Record, ctx: ImportContext) -> dict[str, Any]:
    """The household's columns, with the rules that tie them together checked (the record holds
    this kind's field keys; data_access.importing.kinds.national builds such records too)."""
    values = record.values
    row: dict[str, Any] = {
        "code": values["code"],
        "head_name": values["head_name"],
        "head_id_number": values["head_id_number"],
        "household_type": values["household_type"],
        "members": values["members"],
    }
    # Optional columns left blank keep what the household has (defaults for a new one).
    for key in ("grid_no", "phone"):
        if record.get(key) is not None:
            row[key] = record.values[key]
    # The monitoring status is checked and written as a whole: a column left out of the sheet
    # counts as blank, so a household can never end up half 脱贫户, half 监测户.
    for key in MONITORING_COLUMNS:
        row[key] = record.get(key)
    for key in FLAGS:
        if record.get(key) is not None:
            row[key] = record.values[key]
    for key in ("monitored_since", "risk_cleared_on"):
        if row.get(key) is not None:
            f.not_future(row[key], ctx.today, key, LABELS[key])

    category = row.get("monitor_category")
    if row["household_type"] == HouseholdType.LIFTED and category is not None:
        # The national system's model: a 脱贫户 that is also a 监测对象 (脱贫不稳定户, or one hit
        # by a sudden hardship) is what this app calls a 监测户; it keeps its 脱贫年度.
        if category == MonitorCategory.EDGE:
            raise RowRejectedError(
                "脱贫户不能是边缘易致贫户（边缘户未曾建档立卡）", "monitor_category"
            )
        row["household_type"] = HouseholdType.MONITORED.value
    if row["household_type"] == HouseholdType.LIFTED:
        if row.get("lifted_year") is None:
            raise RowRejectedError("脱贫户须填写脱贫年度", "lifted_year")
        for key in ("risk_status", "monitored_since"):
            if row.get(key) is not None:
                raise RowRejectedError(
                    f"未纳入监测的脱贫户“{LABELS[key]}”应留空（纳入监测的须填写监测类型）", key
                )
        return row
    for key in ("monitor_category", "risk_status", "monitored_since"):
        if row.get(key) is None:
            raise RowRejectedError(f"监测户须填写“{LABELS[key]}”", key)
    if category == MonitorCategory.UNSTABLE and row.get("lifted_year") is None:
        raise RowRejectedError("脱贫不稳定户须填写脱贫年度", "lifted_year")
    if category == MonitorCategory.EDGE and row.get("lifted_year") is not None:
        raise RowRejectedError("边缘易致贫户未曾建档立卡，脱贫年度应留空", "lifted_year")
    if row["risk_status"] == RiskStatus.CLEARED:
        for key in ("risk_cleared_on", "risk_cleared_by"):
            if row.get(key) is None:
                raise RowRejectedError(f"风险已消除的户须填写“{LABELS[key]}”", key)
        if row["risk_cleared_on"] < row["monitored_since"]:
            raise RowRejectedError("风险消除日期早于纳入监测日期", "risk_cleared_on")
        if row.get("has_labour", True) is False:
            raise RowRejectedError("无劳动能力的户不能标记为风险已消除", "risk_status")
    else:
        for key in ("risk_cleared_on", "risk_cleared_by"):
            if row.get(key) is not None:
                raise RowRejectedError(f"风险未消除的户“{LABELS[key]}”应留空", key)
    return row


def reject_shared_id_numbers(conn: Connection, records: list[Record], plan: Plan) -> None:
    """A 身份证号 belongs to one household: rows giving it to two 户编号 in the file, or to a
    户编号 other than the one holding it in the database, are rejected."""
    codes_by_id: dict[str, set[str]] = defaultdict(set)
    rows_by_id: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        number = record.values.get("head_id_number")
        if number:
            codes_by_id[number].add(record.values["code"])
            rows_by_id[number].append(record)
    for number, codes in codes_by_id.items():
        if len(codes) > 1:
            rows_text = "、".join(str(r.row) for r in rows_by_id[number])
            for record in rows_by_id[number]:
                plan.reject(
                    record.row,
                    f"同一户主身份证号出现在不同户编号下（第 {rows_text} 行）",
                    "head_id_number",
                )
    numbers = sorted(codes_by_id)
    for start in range(0, len(numbers), CHUNK):
        query = select(Household.head_id_number, Household.code).where(
            Household.head_id_number.in_(numbers[start : start + CHUNK])
        )
        for number, code in conn.execute(query):
            for record in rows_by_id[number]:
                if record.values["code"] != code and record.row not in plan.rejections:
                    plan.reject(
                        record.row,
                        f"该身份证号已是户编号 {code} 的户主身份证号",
                        "head_id_number",
                    )
