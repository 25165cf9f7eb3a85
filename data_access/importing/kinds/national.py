"""防返贫监测信息系统 基础信息表: the national system's export, one row per person.

A household is the rows that share a 户编号: its head is the row whose 与户主关系 is 户主, its size
the number of its members, its village the 乡(镇) and 行政村 named on its rows (matched by name;
two villages of one name in a township are refused, not guessed). The national model of a
household — 户类型 脱贫户 or 一般农户, and a 监测对象类别 on either — becomes this app's: a
household with a 监测对象类别 is a 监测户 (a 脱贫户 keeps its 脱贫年度), one without is a 脱贫户;
an 一般农户 that is no 监测对象 is no concern of the dashboard and is refused. Risk status and
dates come from 风险是否已消除 (是/否) and 识别/消除监测时间 (YYYYMM, taken as the month's first
day), labour capacity from 整户无劳动能力兜底保障户 or, without it, from the members' 劳动技能.

Members are kept in household_members by 人编号, with masked names and ID numbers; a household's
member list is replaced by the file's (a member no longer listed is removed). Every household
column of a household's rows must agree, or all its rows are refused.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from data_access.importing import cells, refs
from data_access.importing import fields as f
from data_access.importing.base import (
    CHUNK,
    Action,
    Field,
    ImportContext,
    Kind,
    Outcome,
    Plan,
    Record,
    RowRejectedError,
    changes,
    fetch_existing,
)
from data_access.importing.kinds.households import LABELS as HOUSEHOLD_LABELS
from data_access.importing.kinds.households import (
    household_row,
    reject_shared_id_numbers,
)
from data_access.masking import mask_id_number, mask_name
from data_access.models import (
    DataSource,
    Household,
    HouseholdMember,
    HouseholdType,
    MonitorCategory,
    RiskClearedBy,
    RiskStatus,
)

HEAD = "户主"
NATIONAL_TYPES = ("脱贫户", "一般农户")
# 劳动技能 of a member who can work.
WORKING = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "弱劳动力", "半劳动力")
# Columns every row of a household repeats: they must agree.
HOUSEHOLD_FIELDS = (
    "county",
    "township",
    "village",
    "household_type",
    "monitor_category",
    "risk_cleared",
    "risk_cleared_by",
    "monitored_since",
    "risk_cleared_on",
    "lifted_year",
    "no_labour",
    "phone",
    "members",
)
MEMBER_COLUMNS = (
    "household_id",
    "relation",
    "name_masked",
    "id_masked",
    "ethnicity",
    "school",
    "health",
    "labour",
    "months_worked",
)
MEMBER_LABELS = {
    "household_id": "所属户",
    "relation": "与户主关系",
    "name_masked": "姓名",
    "id_masked": "证件号码",
    "ethnicity": "民族",
    "school": "在校生状况",
    "health": "健康状况",
    "labour": "劳动技能",
    "months_worked": "务工时间（月）",
}


def _word(key: str, title: str, *, max_length: int = 40, **options) -> Field:
    return f.text(key, title, max_length=max_length, **options)


def _cleared_by(value: Any) -> str:
    """风险消除方式 as the system words it (帮扶消除, 自然消除, or 帮扶消除风险 …)."""
    word = cells.key_text(value)
    for member in RiskClearedBy:
        if word.startswith(member.value):
            return member.value
    raise cells.CellError(f"应为 {'、'.join(m.value for m in RiskClearedBy)} 之一")


class NationalExport(Kind):
    key = "national"
    sources = frozenset({DataSource.HOUSEHOLDS, DataSource.PLACES})
    label = "监测系统基础信息"
    natural_key = "户编号；成员：人编号"
    summary = (
        "全国防返贫监测信息系统导出的基础信息表（每人一行）：户的类型、监测状态和成员"
        "（成员姓名、证件号码脱敏保存；户主的姓名、身份证号为个人信息，只有管理员可导入）"
    )
    fields = (
        f.name(
            "county",
            "县(市、区、旗)",
            max_length=40,
            note="选填；填写时须为本县",
            aliases=("县（市、区、旗）", "县(市、区)", "县", "县区"),
        ),
        f.name(
            "township",
            "乡(镇)",
            max_length=40,
            required=True,
            note="必填；乡镇名称",
            aliases=("乡(镇、街道)", "乡镇", "乡镇（街道）"),
        ),
        f.name(
            "village",
            "行政村",
            max_length=40,
            required=True,
            note="必填；行政村名称（在该乡镇内唯一）",
            aliases=("村", "行政村（社区）", "村(社区)"),
        ),
        f.code(
            "code",
            "户编号",
            max_length=24,
            required=True,
            note="必填；请设为文本格式",
            aliases=("户编码",),
            width=20,
        ),
        f.code(
            "person_code",
            "人编号",
            max_length=30,
            required=True,
            note="必填；请设为文本格式",
            aliases=("人员编号", "成员编号"),
            width=22,
        ),
        f.name("relation", "与户主关系", required=True, note="必填；户主一行为“户主”", width=10),
        f.name("name", "姓名", required=True, note="必填", width=10),
        f.id_number(
            "id_number",
            "证件号码",
            required=True,
            note="必填；18 位身份证号，请设为文本格式",
            aliases=("身份证号", "身份证号码", "身份证件号码"),
        ),
        _word("ethnicity", "民族", max_length=20, width=8),
        _word("school", "在校生状况", aliases=("在校生情况",)),
        _word("health", "健康状况"),
        _word("labour", "劳动技能", aliases=("劳动能力",)),
        f.integer(
            "months_worked",
            "务工时间（月）",
            minimum=0,
            maximum=12,
            aliases=("务工时间", "务工月数"),
            width=10,
        ),
        f.choice(
            "household_type",
            "户类型",
            NATIONAL_TYPES,
            required=True,
            note="必填；脱贫户 或 一般农户",
            aliases=("农户类型",),
            width=10,
        ),
        f.choice(
            "monitor_category",
            "监测对象类别",
            tuple(m.value for m in MonitorCategory),
            note="纳入监测的填写（脱贫户、一般农户均可）",
            aliases=("监测类型", "监测对象类型"),
        ),
        f.flag("risk_cleared", "风险是否已消除", note="监测对象必填", aliases=("是否消除风险",)),
        Field(
            "risk_cleared_by",
            "风险消除方式",
            _cleared_by,
            note="风险已消除的必填",
            options=tuple(m.value for m in RiskClearedBy),
            width=12,
        ),
        f.month(
            "monitored_since",
            "识别监测时间",
            note="监测对象必填；如 202303",
            aliases=("纳入监测时间",),
        ),
        f.month("risk_cleared_on", "消除监测时间", note="风险已消除的必填；如 202410"),
        f.integer(
            "lifted_year",
            "脱贫年度",
            minimum=2014,
            maximum=2020,
            note="脱贫户必填",
            aliases=("脱贫年份", "脱贫时间"),
            width=10,
        ),
        f.flag(
            "no_labour",
            "整户无劳动能力兜底保障户",
            note="选填；是/否",
            aliases=("是否整户无劳动能力", "整户无劳动能力"),
        ),
        f.phone("phone", "联系电话", aliases=("户主联系电话", "手机号码")),
        f.integer(
            "members",
            "家庭人口",
            minimum=1,
            maximum=30,
            note="选填；填写时须与成员行数一致（只有户主行的文件须填写）",
            aliases=("家庭人口数", "户人口数"),
            width=10,
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        plan = Plan()
        places = refs.Places(conn)
        existing = refs.households(conn, (r.values["code"] for r in records))
        by_household: dict[str, list[Record]] = defaultdict(list)
        for record in records:
            by_household[record.values["code"]].append(record)
        only_heads = all(cells.key_text(r.values["relation"]) == HEAD for r in records) and not any(
            r.get("members") for r in records
        )
        households: list[_Household] = []
        for code, rows in by_household.items():
            try:
                households.append(_household(code, rows, places, existing, ctx))
            except RowRejectedError as refused:
                for record in rows:
                    plan.reject(record.row, refused.reason, refused.field)
        if only_heads and households:
            for household in households:
                for record in household.rows:
                    plan.reject(
                        record.row,
                        "文件中每户只有户主一行，得不出家庭人口：请导出全部成员，或加“家庭人口”列",
                    )
            return plan
        _reject_people_listed_twice(households, plan)
        heads = [h.head_record for h in households if h.head_record.row not in plan.rejections]
        reject_shared_id_numbers(conn, heads, plan)
        kept = [h for h in households if not any(r.row in plan.rejections for r in h.rows)]
        for household in households:
            if household in kept:
                continue
            # A household is written whole or not at all.
            for record in household.rows:
                if record.row not in plan.rejections:
                    plan.reject(record.row, "同一户的其他行被拒绝，该户不写入")
        _plan_writes(conn, kept, plan)
        return plan


@dataclass(eq=False)
class _Household:
    code: str
    rows: list[Record]
    head_record: Record
    columns: dict[str, Any]
    members: list[dict[str, Any]]


def _household(
    code: str,
    rows: list[Record],
    places: refs.Places,
    existing: dict[str, refs.HouseholdRef],
    ctx: ImportContext,
) -> _Household:
    """One household from its rows; raises RowRejectedError (for all its rows) naming what is
    wrong."""
    first = rows[0]
    for key in HOUSEHOLD_FIELDS:
        values = {r.get(key) for r in rows}
        if len(values) > 1:
            shown = "、".join(sorted(cells.display(v) or "（空）" for v in values))
            title = next(x.title for x in NationalExport.fields if x.key == key)
            raise RowRejectedError(f"同一户编号的各行“{title}”不一致（{shown}）", key)
    heads = [r for r in rows if cells.key_text(r.values["relation"]) == HEAD]
    if not heads:
        raise RowRejectedError("该户没有“与户主关系”为户主的一行", "relation")
    if len(heads) > 1:
        numbers = "、".join(str(r.row) for r in heads)
        raise RowRejectedError(f"该户有不止一名户主（第 {numbers} 行）", "relation")
    head = heads[0]
    if ctx.county and first.get("county") and first.values["county"] != ctx.county:
        raise RowRejectedError(f"不是本县（{ctx.county}）的户", "county")
    township_id = places.township(first.values["township"], "township")
    village = places.village(first.values["village"], "village", township_id)
    before = existing.get(code)
    if before is not None and not ctx.may_write(before.township_id):
        raise RowRejectedError("该户现属其他乡镇，不在您的数据范围内")
    if not ctx.may_write(village.township_id):
        raise RowRejectedError("不在您的数据范围内（只能导入本乡镇的数据）")
    person_codes = [r.values["person_code"] for r in rows]
    if len(set(person_codes)) < len(person_codes):
        raise RowRejectedError("同一户中有重复的人编号", "person_code")
    count = first.get("members")
    if count is not None and len(rows) > 1 and count != len(rows):
        raise RowRejectedError(f"家庭人口 {count} 与该户的成员行数 {len(rows)} 不一致", "members")
    category = first.get("monitor_category")
    if first.values["household_type"] == "一般农户" and category is None:
        raise RowRejectedError("一般农户未纳入监测，不是脱贫户或监测对象，不导入", "household_type")
    risk: dict[str, Any] = {}
    if category is not None:
        cleared = first.get("risk_cleared")
        if cleared is None:
            raise RowRejectedError("监测对象须填写“风险是否已消除”", "risk_cleared")
        risk = {
            "risk_status": (RiskStatus.CLEARED if cleared else RiskStatus.AT_RISK).value,
            "monitored_since": first.get("monitored_since"),
            "risk_cleared_on": first.get("risk_cleared_on"),
            "risk_cleared_by": first.get("risk_cleared_by"),
        }
    labour = first.get("no_labour")
    if labour is not None:
        has_labour = not labour
    elif any(r.has("labour") for r in rows):
        has_labour = any(cells.key_text(r.get("labour", "")) in WORKING for r in rows)
    else:
        has_labour = None
    values: dict[str, Any] = {
        "code": code,
        "head_name": head.values["name"],
        "head_id_number": head.values["id_number"],
        "household_type": (
            HouseholdType.LIFTED.value
            if first.values["household_type"] == "脱贫户"
            else HouseholdType.MONITORED.value
        ),
        "members": count if count is not None and len(rows) == 1 else len(rows),
        "phone": first.get("phone"),
        "lifted_year": first.get("lifted_year"),
        "monitor_category": category,
        **risk,
    }
    if has_labour is not None:
        values["has_labour"] = has_labour
    try:
        columns = household_row(Record(head.row, values), ctx)
    except RowRejectedError as problem:
        raise RowRejectedError(problem.reason, _national_field(problem.field)) from None
    columns.update(village_id=village.id, township_id=village.township_id)
    members = [
        {
            "code": r.values["person_code"],
            "relation": r.values["relation"],
            "name_masked": mask_name(r.values["name"]),
            "id_masked": mask_id_number(r.values["id_number"]),
            "ethnicity": r.get("ethnicity"),
            "school": r.get("school"),
            "health": r.get("health"),
            "labour": r.get("labour"),
            "months_worked": r.get("months_worked"),
            "row": r.row,
        }
        for r in rows
    ]
    return _Household(code, rows, head, columns, members)


# The household kind's field keys → this kind's, for messages that name a column.
_FIELD_NAMES = {
    "head_name": "name",
    "head_id_number": "id_number",
    "risk_status": "risk_cleared",
}


def _national_field(key: str | None) -> str | None:
    if key is None:
        return None
    return _FIELD_NAMES.get(key, key if any(x.key == key for x in NationalExport.fields) else None)


def _reject_people_listed_twice(households: list[_Household], plan: Plan) -> None:
    """A 人编号 belongs to one household: listed under two in the file, both are refused."""
    seen: dict[str, list[_Household]] = defaultdict(list)
    for household in households:
        for member in household.members:
            seen[member["code"]].append(household)
    for code, owners in seen.items():
        if len(owners) > 1:
            names = "、".join(h.code for h in owners)
            for household in owners:
                for record in household.rows:
                    plan.reject(
                        record.row, f"人编号 {code} 出现在不同的户（{names}）", "person_code"
                    )


def _plan_writes(conn: Connection, households: list[_Household], plan: Plan) -> None:
    """Outcomes per row (the head row carries the household's changes) and the writes."""
    household_table = Household.__table__
    compared = sorted({c for h in households for c in h.columns})
    stored = fetch_existing(
        conn, household_table, ("code",), [(h.code,) for h in households], ["id", *compared]
    )
    member_codes = [m["code"] for h in households for m in h.members]
    stored_members = fetch_existing(
        conn,
        HouseholdMember.__table__,
        ("code",),
        [(c,) for c in member_codes],
        ["id", *MEMBER_COLUMNS],
    )
    household_ids = [row["id"] for row in stored.values()]
    listed = _members_of(conn, household_ids)
    inserts, updates = [], []
    work = _MemberWork()
    for household in households:
        old = stored.get((household.code,))
        if old is None:
            inserts.append({"grid_no": 1, **household.columns})
            household_action, household_changes = Action.INSERT, []
        else:
            household_changes = changes(old, household.columns, HOUSEHOLD_LABELS)
            household_action = Action.UPDATE if household_changes else Action.UNCHANGED
            if household_changes:
                updates.append({**household.columns, "id": old["id"]})
            in_file = {m["code"] for m in household.members}
            gone = [code for code in listed.get(old["id"], ()) if code not in in_file]
            if gone:
                work.removed.extend(gone)
                household_changes.append(f"移除不再列出的成员 {len(gone)} 人")
        for member in household.members:
            row = {k: member[k] for k in MEMBER_COLUMNS if k != "household_id"}
            before = stored_members.get((member["code"],))
            action, found = Action.INSERT, []
            if before is not None:
                moved = old is None or before["household_id"] != old["id"]
                found = changes(before, row, MEMBER_LABELS)
                if moved:
                    found.append("成员转入本户")
                action = Action.UPDATE if found else Action.UNCHANGED
            work.members.append((household.code, member["code"], row, before))
            if member["row"] == household.head_record.row:
                found = [*household_changes, *found]
                if Action.INSERT in (household_action, action):
                    action = Action.INSERT
                elif Action.UPDATE in (household_action, action) or found:
                    action = Action.UPDATE
            plan.outcomes.append(
                Outcome(member["row"], action, f"{household.code} · {member['code']}", tuple(found))
            )
    if inserts:
        plan.after.append(lambda conn: conn.execute(insert(household_table), inserts))
    if updates:
        columns = sorted({c for row in updates for c in row if c != "id"})
        statement = (
            update(household_table)
            .where(household_table.c.id == bindparam("key_id"))
            .values({c: bindparam(f"set_{c}") for c in columns})
        )
        params = [
            {"key_id": row["id"], **{f"set_{c}": row.get(c) for c in columns}} for row in updates
        ]
        plan.after.append(lambda conn: conn.execute(statement, params))
    plan.after.append(work.apply)


def _members_of(conn: Connection, household_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(household_ids), CHUNK):
        query = select(HouseholdMember.household_id, HouseholdMember.code).where(
            HouseholdMember.household_id.in_(household_ids[start : start + CHUNK])
        )
        for household_id, code in conn.execute(query):
            found[household_id].append(code)
    return found


@dataclass
class _MemberWork:
    """Member writes, once the new households have ids: (household code, 人编号, columns, the
    stored row or None) per member, and the 人编号 of members no longer listed."""

    members: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = field(
        default_factory=list
    )
    removed: list[str] = field(default_factory=list)

    def apply(self, conn: Connection) -> None:
        table = HouseholdMember.__table__
        for start in range(0, len(self.removed), CHUNK):
            conn.execute(delete(table).where(table.c.code.in_(self.removed[start : start + CHUNK])))
        codes = sorted({household for household, _, _, _ in self.members})
        ids: dict[str, int] = {}
        for start in range(0, len(codes), CHUNK):
            query = select(Household.code, Household.id).where(
                Household.code.in_(codes[start : start + CHUNK])
            )
            ids.update(dict(conn.execute(query).all()))
        new, changed = [], []
        for household, code, row, before in self.members:
            values = {**row, "household_id": ids[household]}
            if before is None:
                new.append({"code": code, **values})
            elif any(before.get(k) != v for k, v in values.items()):
                changed.append(
                    {"key_id": before["id"], **{f"set_{k}": v for k, v in values.items()}}
                )
        if new:
            conn.execute(insert(table), new)
        if changed:
            conn.execute(
                update(table)
                .where(table.c.id == bindparam("key_id"))
                .values({k: bindparam(f"set_{k}") for k in MEMBER_COLUMNS}),
                changed,
            )
