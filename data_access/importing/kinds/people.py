"""帮扶单位与干部: assisting units, their cadres and roles, the households each 帮扶干部 is paired
with (联系户) and the villages each unit assists (定点帮扶村).

One row per cadre. A unit named for the first time is created (its 单位类型 is then required).
Pairings are only ever added: a household paired with a new 帮扶干部 ends its pairing with the
previous one the day before (one 帮扶责任人 per household at a time); nothing is deleted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from data_access.importing import fields as f
from data_access.importing import refs
from data_access.importing.base import (
    COUNTY_ONLY,
    Action,
    ImportContext,
    Kind,
    Outcome,
    Plan,
    Record,
    RowRejectedError,
    Write,
    changes,
)
from data_access.models import Assignment, AssistingUnit, Cadre, CadreRole, DataSource, UnitVillage

UNIT_KINDS = ("县直部门", "事业单位", "企业", "中直区直单位", "其他")
UNIT_ROLES = frozenset(
    {
        CadreRole.UNIT_LEADER,
        CadreRole.UNIT_DEPUTY,
        CadreRole.HELPER,
        CadreRole.FIRST_SECRETARY,
        CadreRole.TEAM_MEMBER,
    }
)
VILLAGE_ROLES = frozenset(
    {
        CadreRole.HELPER,
        CadreRole.FIRST_SECRETARY,
        CadreRole.TEAM_MEMBER,
        CadreRole.VILLAGE_SECRETARY,
        CadreRole.GRID_WORKER,
        CadreRole.VILLAGE_LEADER,
    }
)
TOWNSHIP_ROLES = frozenset(
    {CadreRole.TOWNSHIP_SECRETARY, CadreRole.TOWNSHIP_HEAD, CadreRole.DATA_OFFICER}
)
CADRE_COLUMNS = (
    "role",
    "unit",
    "township_id",
    "village_id",
    "grid_no",
    "home_township_id",
    "active",
)
LABELS = {
    "role": "角色",
    "unit": "帮扶单位",
    "township_id": "乡镇",
    "village_id": "村",
    "grid_no": "网格号",
    "home_township_id": "居住乡镇",
    "active": "在岗",
}


@dataclass
class _CadreRow:
    record: Record
    person: tuple[str, str]
    columns: dict[str, Any]
    unit_kind: str | None
    households: list[refs.HouseholdRef]
    paired_on: date
    villages: list[int]
    texts: list[str] = field(default_factory=list)


class Cadres(Kind):
    key = "cadres"
    sources = frozenset({DataSource.PEOPLE})
    label = "帮扶单位与干部"
    natural_key = "干部：姓名 + 手机号；单位：单位名称；结对：干部 + 户编号；定点帮扶：单位 + 村"
    summary = "帮扶单位、干部及其角色、联系户（结对帮扶）和定点帮扶村"
    fields = (
        f.name("name", "姓名", required=True, note="必填", aliases=("干部姓名",), width=10),
        f.phone(
            "phone",
            "手机号",
            required=True,
            note="必填；与姓名一起确定一位干部",
            aliases=("手机号码", "联系电话", "电话"),
        ),
        f.choice(
            "role",
            "角色",
            tuple(role.value for role in CadreRole),
            required=True,
            note="必填",
            aliases=("职务", "身份"),
            width=14,
        ),
        f.name(
            "unit",
            "帮扶单位",
            max_length=60,
            note="帮扶干部、第一书记、工作队员、单位领导必填",
            aliases=("单位", "派出单位", "所在单位"),
            width=18,
        ),
        f.choice(
            "unit_kind", "单位类型", UNIT_KINDS, note="新单位必填", aliases=("单位性质",), width=12
        ),
        f.name(
            "township",
            "乡镇",
            max_length=40,
            note="乡镇党委书记、乡镇长、信息员必填；名称或代码",
            aliases=("所在乡镇", "乡镇名称"),
            width=12,
        ),
        f.name(
            "village",
            "村",
            max_length=40,
            note="驻村、村级和帮扶干部必填；村代码或本乡镇的村名称",
            aliases=("村代码", "所在村", "驻村", "帮扶村"),
            width=14,
        ),
        f.integer(
            "grid_no",
            "网格号",
            minimum=1,
            maximum=99,
            note="网格员必填",
            aliases=("网格",),
            width=8,
        ),
        f.name(
            "home_township",
            "居住乡镇",
            max_length=40,
            note="选填；暗访时回避该乡镇",
            aliases=("籍贯乡镇", "户籍乡镇"),
            width=12,
        ),
        f.flag("active", "在岗", note="空白按“是”；调离的填“否”", aliases=("是否在岗",)),
        f.codes(
            "households",
            "联系户编号",
            max_length=24,
            note="帮扶干部选填；多个户编号用顿号、逗号或空格分隔",
            aliases=("联系户", "结对户编号"),
            width=30,
        ),
        f.day(
            "paired_on",
            "结对日期",
            note="选填；空白为今天。原帮扶干部的结对于前一日结束",
            aliases=("结对时间",),
        ),
        f.codes(
            "unit_villages",
            "定点帮扶村",
            max_length=15,
            note="选填；本单位定点帮扶的村代码，多个用顿号分隔",
            aliases=("定点帮扶村代码",),
            width=24,
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        plan = Plan()
        if not ctx.county_wide:
            for record in records:
                plan.reject(record.row, COUNTY_ONLY)
            return plan
        places = refs.Places(conn)
        unit_rows = conn.execute(select(AssistingUnit.id, AssistingUnit.name, AssistingUnit.kind))
        unit_ids, unit_kinds, unit_names = {}, {}, {}
        for unit_id, name, kind in unit_rows:
            unit_ids[name], unit_kinds[name], unit_names[unit_id] = unit_id, kind, name
        stored = {
            (row.name, row.phone): {**row._asdict(), "unit": unit_names.get(row.unit_id)}
            for row in conn.execute(
                select(
                    Cadre.id,
                    Cadre.name,
                    Cadre.phone,
                    Cadre.role,
                    Cadre.unit_id,
                    Cadre.township_id,
                    Cadre.village_id,
                    Cadre.grid_no,
                    Cadre.home_township_id,
                    Cadre.active,
                )
            )
        }
        households = refs.households(
            conn, (code for r in records for code in r.get("households", ()))
        )
        parsed: dict[tuple[str, str], list[_CadreRow]] = defaultdict(list)
        for record in records:
            try:
                row = _cadre_row(record, ctx, places, households)
            except RowRejectedError as problem:
                plan.reject(record.row, problem.reason, problem.field)
                continue
            parsed[row.person].append(row)
        rows = _without_duplicates(parsed, plan)
        rows = _with_units(rows, unit_ids, unit_kinds, plan)
        rows = _with_single_helpers(rows, plan)

        pairs = {
            (unit_names[unit_id], village_id)
            for unit_id, village_id in conn.execute(
                select(UnitVillage.unit_id, UnitVillage.village_id)
            )
        }
        household_ids = sorted({h.id for row in rows for h in row.households})
        open_pairings = _open_pairings(conn, household_ids)
        helper_ids = {c["id"] for c in stored.values() if c["role"] == CadreRole.HELPER}
        work = _Work()
        for row in rows:
            before = stored.get(row.person)
            found = [] if before is None else changes(before, row.columns, LABELS)
            unit = row.columns["unit"]
            cadre_id = None if before is None else before["id"]
            new_pairs = [v for v in dict.fromkeys(row.villages) if (unit, v) not in pairs]
            for village_id in new_pairs:
                pairs.add((unit, village_id))
                work.pairs.append((unit, village_id))
            if new_pairs:
                found.append(f"新增定点帮扶村 {len(new_pairs)} 个")
            linked = []
            for household in row.households:
                holders = open_pairings.get(household.id, [])
                if cadre_id is not None and any(c == cadre_id for _, c, _ in holders):
                    continue
                linked.append(household)
                work.pairings.append((row.person, household.id, row.paired_on))
                for assignment_id, holder, start in holders:
                    if holder in helper_ids and holder != cadre_id:
                        work.ended.append((assignment_id, max(start, row.paired_on - timedelta(1))))
            if linked:
                found.append(f"新增联系户 {len(linked)} 户")
            found += row.texts
            key = f"{row.person[0]}（{row.person[1]}）"
            if before is None:
                work.new_cadres.append((*row.person, row.columns))
                plan.outcomes.append(Outcome(row.record.row, Action.INSERT, key))
            elif found:
                work.changed_cadres.append((before["id"], row.columns))
                plan.outcomes.append(Outcome(row.record.row, Action.UPDATE, key, tuple(found)))
            else:
                plan.outcomes.append(Outcome(row.record.row, Action.UNCHANGED, key))
        for row in rows:
            name, kind = row.columns["unit"], row.unit_kind
            if name and name not in unit_ids and name not in work.new_units:
                work.new_units[name] = kind
            elif name and kind and name in unit_kinds and unit_kinds[name] != kind:
                work.unit_kinds[name] = kind
        plan.after.append(work.apply)
        return plan


def _cadre_row(
    record: Record,
    ctx: ImportContext,
    places: refs.Places,
    households: dict[str, refs.HouseholdRef],
) -> _CadreRow:
    values = record.values
    role = CadreRole(values["role"])
    unit = record.get("unit")
    township_id = (
        places.township(values["township"], "township") if record.get("township") else None
    )
    village_id = None
    if record.get("village"):
        village = places.village(values["village"], "village", township_id)
        village_id, township_id = village.id, village.township_id
    if role in UNIT_ROLES and not unit:
        raise RowRejectedError(f"{role.value}须填写帮扶单位", "unit")
    if role in VILLAGE_ROLES and village_id is None:
        raise RowRejectedError(f"{role.value}须填写所在村", "village")
    if role in TOWNSHIP_ROLES and township_id is None:
        raise RowRejectedError(f"{role.value}须填写乡镇", "township")
    grid_no = record.get("grid_no")
    if role == CadreRole.GRID_WORKER and grid_no is None:
        raise RowRejectedError("网格员须填写网格号", "grid_no")
    codes = record.get("households", ())
    if codes and role != CadreRole.HELPER:
        raise RowRejectedError("只有帮扶干部可以填写联系户", "households")
    linked = []
    for code in codes:
        household = refs.household(households, code, "households")
        linked.append(household)
    villages = []
    for code in record.get("unit_villages", ()):
        if not unit:
            raise RowRejectedError("填写定点帮扶村须同时填写帮扶单位", "unit")
        villages.append(places.village(code, "unit_villages").id)
    paired_on = f.not_future(record.get("paired_on", ctx.today), ctx.today, "paired_on", "结对日期")
    columns: dict[str, Any] = {
        "role": role.value,
        "unit": unit or None,
        "township_id": township_id,
        "village_id": village_id,
        "grid_no": grid_no,
    }
    # Left blank, these keep what the cadre has; the post (unit, place, grid) is written whole.
    if record.get("home_township"):
        columns["home_township_id"] = places.township(values["home_township"], "home_township")
    if record.get("active") is not None:
        columns["active"] = values["active"]
    return _CadreRow(
        record=record,
        person=(values["name"], values["phone"]),
        columns=columns,
        unit_kind=record.get("unit_kind"),
        households=linked,
        paired_on=paired_on,
        villages=villages,
    )


def _without_duplicates(
    parsed: dict[tuple[str, str], list[_CadreRow]], plan: Plan
) -> list[_CadreRow]:
    rows = []
    for group in parsed.values():
        first = group[0]
        same = all(
            (r.columns, [h.id for h in r.households], r.villages, r.unit_kind)
            == (first.columns, [h.id for h in first.households], first.villages, first.unit_kind)
            for r in group[1:]
        )
        if same:
            rows.append(first)
            for row in group[1:]:
                plan.reject(row.record.row, f"与第 {first.record.row} 行重复（完全相同的一行）")
            continue
        numbers = "、".join(str(r.record.row) for r in group)
        for row in group:
            plan.reject(
                row.record.row,
                f"同一干部（姓名和手机号相同）在文件中出现多次且内容不同（第 {numbers} 行）",
            )
    return sorted(rows, key=lambda r: r.record.row)


def _with_units(
    rows: list[_CadreRow], unit_ids: dict[str, int], unit_kinds: dict[str, str], plan: Plan
) -> list[_CadreRow]:
    """Rows whose unit exists or is created here with one 单位类型; the others rejected."""
    kept = []
    first_kind: dict[str, tuple[str, int]] = {}
    for row in rows:
        name, kind = row.columns["unit"], row.unit_kind
        if name and name not in unit_ids:
            if kind is None:
                if name in first_kind:
                    # Created by an earlier row of this file, which gave its 单位类型.
                    kept.append(row)
                    continue
                plan.reject(
                    row.record.row,
                    "帮扶单位不存在；新建单位须在它第一次出现的行填写单位类型",
                    "unit_kind",
                )
                continue
            chosen = first_kind.setdefault(name, (kind, row.record.row))
            if chosen[0] != kind:
                plan.reject(
                    row.record.row,
                    f"单位类型与第 {chosen[1]} 行（“{chosen[0]}”）不一致",
                    "unit_kind",
                )
                continue
            row.texts.append(f"新建帮扶单位“{name}”")
        elif name and kind and unit_kinds.get(name) != kind:
            row.texts.append(f"单位类型：{unit_kinds.get(name)} → {kind}")
        kept.append(row)
    return kept


def _with_single_helpers(rows: list[_CadreRow], plan: Plan) -> list[_CadreRow]:
    """A household gets one 帮扶干部 per file: a second row pairing it is rejected."""
    kept = []
    claimed: dict[int, int] = {}
    for row in rows:
        taken = [claimed[h.id] for h in row.households if h.id in claimed]
        if taken:
            plan.reject(
                row.record.row,
                f"联系户已在第 {taken[0]} 行与另一名帮扶干部结对（一户同一时间只有一名帮扶干部）",
                "households",
            )
            continue
        for household in row.households:
            claimed[household.id] = row.record.row
        kept.append(row)
    return kept


def _open_pairings(conn: Connection, household_ids: list[int]) -> dict[int, list[tuple]]:
    """Household id → [(assignment id, cadre id, start date)] of pairings without an end."""
    found: dict[int, list[tuple]] = defaultdict(list)
    for start in range(0, len(household_ids), 1000):
        query = select(
            Assignment.id, Assignment.cadre_id, Assignment.start_date, Assignment.household_id
        ).where(
            Assignment.household_id.in_(household_ids[start : start + 1000]),
            Assignment.end_date.is_(None),
        )
        for assignment_id, cadre_id, start_date, household_id in conn.execute(query):
            found[household_id].append((assignment_id, cadre_id, start_date))
    return found


@dataclass
class _Work:
    """The writes, in the order their ids become known."""

    new_units: dict[str, str] = field(default_factory=dict)
    unit_kinds: dict[str, str] = field(default_factory=dict)
    new_cadres: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    changed_cadres: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    pairs: list[tuple[str, int]] = field(default_factory=list)
    pairings: list[tuple[tuple[str, str], int, date]] = field(default_factory=list)
    ended: list[tuple[int, date]] = field(default_factory=list)

    def apply(self, conn: Connection) -> None:
        if self.new_units:
            conn.execute(
                insert(AssistingUnit), [{"name": n, "kind": k} for n, k in self.new_units.items()]
            )
        table = AssistingUnit.__table__
        if self.unit_kinds:
            conn.execute(
                update(table)
                .where(table.c.name == bindparam("key_name"))
                .values(kind=bindparam("set_kind")),
                [{"key_name": n, "set_kind": k} for n, k in self.unit_kinds.items()],
            )
        unit_ids = dict(conn.execute(select(AssistingUnit.name, AssistingUnit.id)).all())

        def cadre_values(columns: dict[str, Any]) -> dict[str, Any]:
            values = {k: v for k, v in columns.items() if k != "unit"}
            values["unit_id"] = unit_ids.get(columns["unit"]) if columns["unit"] else None
            return values

        if self.new_cadres:
            conn.execute(
                insert(Cadre),
                [
                    {
                        "name": name,
                        "phone": phone,
                        "home_township_id": None,
                        "active": True,
                        **cadre_values(columns),
                    }
                    for name, phone, columns in self.new_cadres
                ],
            )
        if self.changed_cadres:
            changed = [{"id": i, **cadre_values(columns)} for i, columns in self.changed_cadres]
            Write(Cadre.__table__, updates=tuple(changed)).apply(conn)
        if self.pairs:
            conn.execute(
                insert(UnitVillage),
                [{"unit_id": unit_ids[u], "village_id": v} for u, v in dict.fromkeys(self.pairs)],
            )
        if self.ended:
            assignments = Assignment.__table__
            conn.execute(
                update(assignments)
                .where(assignments.c.id == bindparam("key_id"))
                .values(end_date=bindparam("set_end")),
                [{"key_id": a, "set_end": end} for a, end in self.ended],
            )
        if self.pairings:
            people = {person for person, _, _ in self.pairings}
            cadre_ids = {
                (name, phone): cadre_id
                for cadre_id, name, phone in conn.execute(
                    select(Cadre.id, Cadre.name, Cadre.phone).where(
                        Cadre.name.in_({name for name, _ in people})
                    )
                )
            }
            conn.execute(
                insert(Assignment),
                [
                    {"cadre_id": cadre_ids[p], "household_id": h, "start_date": d, "end_date": None}
                    for p, h, d in self.pairings
                ],
            )
