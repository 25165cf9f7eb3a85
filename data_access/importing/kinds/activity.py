"""收支登记, 走访记录, 会议记录: what households, cadres and villages do month by month."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from data_access.importing import fields as f
from data_access.importing import refs
from data_access.importing.base import (
    ImportContext,
    Kind,
    Plan,
    Record,
    RowRejectedError,
    keyed_plan,
)
from data_access.models import CadreRole, DataSource, IncomeRegister, Meeting, MeetingLevel, Visit

HOUSEHOLD_CODE = f.code(
    "household_code",
    "户编号",
    max_length=24,
    required=True,
    note="必填；全国防返贫监测信息系统的户编号，须已在户信息中",
    aliases=("户编码", "农户编号", "户码"),
    width=20,
)
INCOME_COLUMNS = {
    "wage": "工资性收入",
    "business": "经营性收入",
    "property": "财产性收入",
    "transfer": "转移性收入",
}
COST_COLUMNS = {"production_cost": "生产经营性支出", "expenditure": "生活消费支出"}
# Other names of the same amounts in real ledgers: the national system's 生产经营性收入, the
# statistics office's 家庭经营性收入/支出. Sub-items (务工收入, 种植业收入 …) are not aliases: each
# is only a part of its source.
AMOUNT_ALIASES = {
    "wage": ("工资性收入", "工资收入"),
    "business": ("生产经营性收入", "家庭经营性收入", "家庭经营收入", "经营收入"),
    "property": ("财产收入", "财产净收入"),
    "transfer": ("转移收入", "转移净收入"),
    "production_cost": ("家庭经营性支出", "生产性支出", "经营性支出", "生产经营支出"),
    "expenditure": ("生活支出", "消费支出", "生活性支出"),
}
VISITING_ROLES = (
    CadreRole.HELPER.value,
    CadreRole.FIRST_SECRETARY.value,
    CadreRole.TEAM_MEMBER.value,
    CadreRole.VILLAGE_SECRETARY.value,
    CadreRole.GRID_WORKER.value,
    CadreRole.VILLAGE_LEADER.value,
    CadreRole.TOWNSHIP_SECRETARY.value,
    CadreRole.TOWNSHIP_HEAD.value,
)


class Registers(Kind):
    key = "registers"
    sources = frozenset({DataSource.REGISTERS})
    month_column = ("income_registers", "month")
    label = "收支登记"
    natural_key = "户编号 + 月份"
    summary = (
        "每户每月的收入与支出（收支登记），写入收支登记表；"
        "每户一张的《月收入登记表》工作簿可整本导入"
    )
    # A register sheet without any amount would write months of zeros.
    required_any = (*INCOME_COLUMNS, *COST_COLUMNS)
    # A household is named by its 户编号, or (on a form without one) by its village and head.
    identities = (("household_code",), ("village", "head_name"))
    # Printed on a blank 月收入登记表 before anyone fills it in.
    preprinted = ("month",)
    fields = (
        f.code(
            "household_code",
            "户编号",
            max_length=24,
            note="必填（无户编号的登记表须有村和户主姓名）；须已在户信息中",
            aliases=("户编码", "农户编号", "户码"),
            width=20,
        ),
        f.name(
            "head_name",
            "户主姓名",
            note="选填；填写时须与户编号对应的户主一致（防止错行）",
            aliases=("户主",),
            width=10,
        ),
        f.name(
            "township",
            "乡镇",
            max_length=40,
            note="选填；按村和户主姓名找户时用于区分同名的村",
            aliases=("乡(镇)", "所在乡镇"),
            width=10,
        ),
        f.name(
            "village",
            "村",
            max_length=40,
            note="选填；没有户编号时与户主姓名一起确定一户（村名称或村代码）",
            aliases=("行政村", "村名", "所在村"),
            width=10,
        ),
        f.integer(
            "members",
            "家庭人口",
            minimum=1,
            maximum=30,
            note="选填；填写时须与户信息一致（核对没有找错户）",
            aliases=("家庭人口数", "人口数"),
            width=8,
        ),
        f.month(
            "month",
            "月份",
            required=True,
            note="必填；如 2026-10 或 2026年10月，不能晚于本月",
            aliases=("登记月份", "所属月份", "收支月份"),
        ),
        *(
            f.amount(
                key,
                f"{title}（元）",
                note="元，不能为负数，空白按 0 计",
                aliases=AMOUNT_ALIASES[key],
            )
            for key, title in INCOME_COLUMNS.items()
        ),
        *(
            f.amount(
                key,
                f"{title}（元）",
                cost=True,
                note="元，空白按 0 计；冲减前期多记的支出时可为负数",
                aliases=AMOUNT_ALIASES[key],
            )
            for key, title in COST_COLUMNS.items()
        ),
        f.moment(
            "entered_at",
            "登记时间",
            note=(
                "选填；在 APP 中登记的时间，如 2026-10-28 15:30。"
                "空白：新登记取导入时间，已有登记保持原时间"
            ),
            aliases=("录入时间", "填报时间"),
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        found = refs.households(
            conn, (r.values["household_code"] for r in records if r.get("household_code"))
        )
        named = (
            refs.HouseholdsByName(conn)
            if any(not r.get("household_code") for r in records)
            else None
        )

        def to_row(record: Record) -> tuple[dict[str, Any], int | None]:
            code = record.get("household_code")
            if code:
                household = refs.household(found, code, "household_code")
                head = record.get("head_name")
                if head and head != household.head_name:
                    raise RowRejectedError(
                        "与户编号对应的户主不一致（请检查是否错行）", "head_name"
                    )
            else:
                household = named.household(
                    village=record.get("village"),
                    head_name=record.get("head_name"),
                    township=record.get("township"),
                )
            members = record.get("members")
            if members is not None and members != household.members:
                raise RowRejectedError(
                    f"家庭人口 {members} 与户信息登记的 {household.members} 人不一致"
                    "（请核对是否找错了户）",
                    "members",
                )
            month = f.month_not_future(record.values["month"], ctx.today, "month")
            row: dict[str, Any] = {"household_id": household.id, "month": month}
            for column in (*INCOME_COLUMNS, *COST_COLUMNS):
                if record.has(column):
                    row[column] = record.get(column, 0.0)
            entered_at = record.get("entered_at")
            if entered_at is not None:
                if entered_at.date() < month:
                    raise RowRejectedError("登记时间早于所登记的月份", "entered_at")
                if entered_at > ctx.now:
                    raise RowRejectedError("登记时间晚于现在", "entered_at")
                row["entered_at"] = entered_at
            return row, household.township_id

        return keyed_plan(
            conn=conn,
            records=records,
            ctx=ctx,
            table=IncomeRegister.__table__,
            key_columns=("household_id", "month"),
            labels={**INCOME_COLUMNS, **COST_COLUMNS, "entered_at": "登记时间"},
            to_row=to_row,
            key_text=lambda r: (
                f"{r.get('household_code') or r.get('village', '') + '·' + r.get('head_name', '')}"
                f" · {r.values['month']:%Y-%m}"
            ),
            duplicate_label="同一户同一月份的登记",
            insert_defaults=lambda: {
                **dict.fromkeys((*INCOME_COLUMNS, *COST_COLUMNS), 0.0),
                "entered_at": ctx.now,
            },
        )


class Visits(Kind):
    key = "visits"
    sources = frozenset({DataSource.VISITS})
    month_column = ("visits", "visit_date")
    label = "走访记录"
    natural_key = "户编号 + 走访干部（姓名 + 手机号）+ 走访日期 + 走访时身份"
    summary = "干部入户走访记录，写入走访记录表（计入各项走访职责的覆盖率）"
    fields = (
        HOUSEHOLD_CODE,
        f.name(
            "cadre_name",
            "走访干部",
            required=True,
            note="必填；干部姓名，须已在帮扶单位与干部中",
            aliases=("走访人", "走访人姓名", "干部姓名", "帮扶干部"),
            width=10,
        ),
        f.phone(
            "cadre_phone",
            "干部手机号",
            required=True,
            note="必填；与姓名一起确定是哪位干部",
            aliases=("走访人手机号", "手机号", "手机号码"),
        ),
        f.choice(
            "role",
            "走访时身份",
            VISITING_ROLES,
            note="选填；空白取该干部现在的角色",
            aliases=("身份", "角色", "走访身份"),
            width=12,
        ),
        f.day(
            "visit_date",
            "走访日期",
            required=True,
            note="必填；不能晚于今天",
            aliases=("日期", "入户日期"),
        ),
        f.text(
            "note",
            "走访内容",
            max_length=500,
            note="选填",
            aliases=("备注", "走访情况", "帮扶措施"),
            width=30,
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        found = refs.households(conn, (r.values["household_code"] for r in records))
        cadres = refs.cadres(conn)

        def to_row(record: Record) -> tuple[dict[str, Any], int | None]:
            household = refs.household(found, record.values["household_code"], "household_code")
            person = (record.values["cadre_name"], record.values["cadre_phone"])
            cadre = cadres.get(person)
            if cadre is None:
                raise RowRejectedError(
                    f"没有姓名为“{person[0]}”、手机号为 {person[1]} 的干部"
                    "（请先导入帮扶单位与干部）",
                    "cadre_name",
                )
            row: dict[str, Any] = {
                "household_id": household.id,
                "cadre_id": cadre.id,
                "role": record.get("role") or cadre.role,
                "visit_date": f.not_future(record.values["visit_date"], ctx.today, "visit_date"),
            }
            if record.get("note"):
                row["note"] = record.values["note"]
            return row, household.township_id

        return keyed_plan(
            conn=conn,
            records=records,
            ctx=ctx,
            table=Visit.__table__,
            key_columns=("household_id", "cadre_id", "visit_date", "role"),
            labels={"note": "走访内容"},
            to_row=to_row,
            key_text=lambda r: (
                f"{r.values['household_code']} · {r.values['cadre_name']} · "
                f"{r.values['visit_date']:%Y-%m-%d}"
            ),
            duplicate_label="同一干部同一天对同一户的走访",
            insert_defaults=lambda: {"kind": "入户走访", "note": None},
        )


class Meetings(Kind):
    key = "meetings"
    sources = frozenset({DataSource.MEETINGS})
    month_column = ("meetings", "month")
    label = "会议记录"
    natural_key = "乡镇 + 村（乡镇级会议为空）+ 月份"
    summary = "村、乡镇每月召开的防返贫动态监测专题研究会"
    fields = (
        f.choice(
            "level",
            "会议层级",
            tuple(level.value for level in MeetingLevel),
            required=True,
            note="必填；村 或 乡镇",
            aliases=("层级", "级别"),
            width=10,
        ),
        f.name(
            "township",
            "乡镇",
            max_length=40,
            required=True,
            note="必填；乡镇名称或代码",
            aliases=("乡镇名称", "所属乡镇"),
            width=12,
        ),
        f.name(
            "village",
            "村",
            max_length=40,
            note="村级会议必填（村名称或村代码）；乡镇级会议留空",
            aliases=("村名称", "行政村", "村代码"),
            width=14,
        ),
        f.month(
            "month",
            "月份",
            required=True,
            note="必填；会议研究的月份，如 2026-10",
            aliases=("所属月份",),
        ),
        f.day(
            "held_on",
            "召开日期",
            required=True,
            note="必填；不能早于该月、不能晚于今天",
            aliases=("会议日期", "开会日期"),
        ),
        f.flag(
            "has_record",
            "有会议记录",
            required=True,
            note="必填；是 或 否",
            aliases=("是否有记录", "会议记录"),
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        places = refs.Places(conn)

        def to_row(record: Record) -> tuple[dict[str, Any], int | None]:
            township_id = places.township(record.values["township"], "township")
            village_name = record.get("village")
            village_id = None
            if record.values["level"] == MeetingLevel.VILLAGE:
                if not village_name:
                    raise RowRejectedError("村级会议须填写村", "village")
                village_id = places.village(village_name, "village", township_id).id
            elif village_name:
                raise RowRejectedError("乡镇级会议的“村”应留空", "village")
            month = f.month_not_future(record.values["month"], ctx.today, "month")
            held_on = f.not_future(record.values["held_on"], ctx.today, "held_on", "召开日期")
            if held_on < month:
                raise RowRejectedError("召开日期早于会议所属月份", "held_on")
            row = {
                "level": record.values["level"],
                "township_id": township_id,
                "village_id": village_id,
                "month": month,
                "held_on": held_on,
                "has_record": record.values["has_record"],
            }
            return row, township_id

        return keyed_plan(
            conn=conn,
            records=records,
            ctx=ctx,
            table=Meeting.__table__,
            key_columns=("township_id", "village_id", "month"),
            labels={"held_on": "召开日期", "has_record": "有会议记录", "level": "会议层级"},
            to_row=to_row,
            key_text=lambda r: (
                f"{r.values['township']}{r.get('village', '')} · {r.values['month']:%Y-%m}"
            ),
            duplicate_label="同一村（乡镇）同一月份的会议",
        )
