"""乡镇村: townships and their villages, with coordinates; a township may be created in the same
file as its villages."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, insert, select

from data_access.importing import fields as f
from data_access.importing.base import (
    COUNTY_ONLY,
    OUT_OF_SCOPE,
    Action,
    ImportContext,
    Kind,
    Outcome,
    Plan,
    Record,
    RowRejectedError,
    Write,
    changes,
    fetch_existing,
)
from data_access.models import DataSource, Township, Village

# Longitude and latitude bounds of China: a swapped or mistyped coordinate falls outside.
LONGITUDE = (73.0, 136.0)
LATITUDE = (3.0, 54.0)
TOWNSHIP_LABELS = {"name": "乡镇名称", "center_lon": "乡镇经度", "center_lat": "乡镇纬度"}
VILLAGE_LABELS = {"name": "村名称", "lon": "经度", "lat": "纬度"}


class Places(Kind):
    key = "places"
    sources = frozenset({DataSource.PLACES})
    label = "乡镇村"
    natural_key = "乡镇代码；村代码"
    summary = "乡镇和行政村（名称、代码、坐标）；村代码为空的行表示乡镇本身，其经纬度为乡镇中心"
    fields = (
        f.code(
            "township_code",
            "乡镇代码",
            max_length=12,
            required=True,
            note="必填；乡镇统计用区划代码（9 位）",
            aliases=("乡镇编码", "乡镇区划代码"),
            width=12,
        ),
        f.name(
            "township_name",
            "乡镇名称",
            max_length=40,
            required=True,
            note="必填；全县唯一",
            aliases=("乡镇", "乡(镇)", "乡（镇）"),
            width=12,
        ),
        f.code(
            "village_code",
            "村代码",
            max_length=15,
            note="村必填（12 位区划代码）；留空表示本行是乡镇本身",
            aliases=("村编码", "行政村代码", "村区划代码"),
            width=16,
        ),
        f.name(
            "village_name",
            "村名称",
            max_length=40,
            note="填了村代码的必填；乡镇内唯一",
            aliases=("村", "行政村", "村名"),
            width=12,
        ),
        f.number(
            "lon",
            "经度",
            minimum=LONGITUDE[0],
            maximum=LONGITUDE[1],
            note="选填；WGS84 十进制度数，如 107.91",
            width=10,
        ),
        f.number(
            "lat",
            "纬度",
            minimum=LATITUDE[0],
            maximum=LATITUDE[1],
            note="选填；WGS84 十进制度数，如 24.73",
            width=10,
        ),
    )

    def plan(self, conn: Connection, records: list[Record], ctx: ImportContext) -> Plan:
        plan = Plan()
        townships = {
            code: {"id": id_, "name": name, "center_lon": lon, "center_lat": lat}
            for id_, code, name, lon, lat in conn.execute(
                select(
                    Township.id,
                    Township.code,
                    Township.name,
                    Township.center_lon,
                    Township.center_lat,
                )
            )
        }
        names_taken = {t["name"]: code for code, t in townships.items()}
        file_names = _township_names(records, plan)
        village_codes = {r.values["village_code"] for r in records if r.get("village_code")}
        villages = fetch_existing(
            conn,
            Village.__table__,
            ("code",),
            [(c,) for c in village_codes],
            ["id", "township_id", "name", "lon", "lat"],
        )
        township_codes = {t["id"]: code for code, t in townships.items()}
        taken_in_township: dict[tuple[str, str], str] = {
            (township_codes[v["township_id"]], v["name"]): code for (code,), v in villages.items()
        }
        # Other villages of the townships named (village names must stay unique within one).
        for code, township_code, name in conn.execute(
            select(Village.code, Township.code, Village.name).join(Township)
        ):
            taken_in_township.setdefault((township_code, name), code)

        new_townships: dict[str, dict[str, Any]] = {}
        township_updates: dict[str, dict[str, Any]] = {}
        village_inserts: list[dict[str, Any]] = []
        village_updates: list[dict[str, Any]] = []
        seen_villages: dict[str, int] = {}
        for record in records:
            if record.row in plan.rejections:
                continue
            try:
                outcome = self._row(
                    record,
                    ctx,
                    townships=townships,
                    names_taken=names_taken,
                    file_names=file_names,
                    villages=villages,
                    taken_in_township=taken_in_township,
                    seen_villages=seen_villages,
                    new_townships=new_townships,
                    township_updates=township_updates,
                    village_inserts=village_inserts,
                    village_updates=village_updates,
                )
            except RowRejectedError as problem:
                plan.reject(record.row, problem.reason, problem.field)
                continue
            plan.outcomes.append(outcome)
        plan.writes.append(
            Write(
                Township.__table__,
                tuple(new_townships.values()),
                tuple(township_updates.values()),
            )
        )
        plan.after.append(lambda conn: _insert_villages(conn, village_inserts))
        plan.writes.append(Write(Village.__table__, (), tuple(village_updates)))
        return plan

    def _row(
        self,
        record: Record,
        ctx: ImportContext,
        *,
        townships: dict[str, dict[str, Any]],
        names_taken: dict[str, str],
        file_names: dict[str, str],
        villages: dict[tuple[Any, ...], dict[str, Any]],
        taken_in_township: dict[tuple[str, str], str],
        seen_villages: dict[str, int],
        new_townships: dict[str, dict[str, Any]],
        township_updates: dict[str, dict[str, Any]],
        village_inserts: list[dict[str, Any]],
        village_updates: list[dict[str, Any]],
    ) -> Outcome:
        """Check the row, then (only when it passes) record its township and village writes."""
        values = record.values
        code, name = values["township_code"], values["township_name"]
        existing = townships.get(code)
        if existing is None and not ctx.county_wide:
            raise RowRejectedError(COUNTY_ONLY + "（新建乡镇）", "township_code")
        if existing is not None and not ctx.may_write(existing["id"]):
            raise RowRejectedError(OUT_OF_SCOPE)
        holder = names_taken.get(name)
        if holder is not None and holder != code:
            raise RowRejectedError(f"乡镇名称已被乡镇代码 {holder} 使用", "township_name")
        village_code = record.get("village_code")
        township_row: dict[str, Any] = {"name": name}
        village: tuple[dict[str, Any] | None, dict[str, Any]] | None = None
        if village_code:
            village = _checked_village(
                record,
                township_code=code,
                township_id=None if existing is None else existing["id"],
                villages=villages,
                taken_in_township=taken_in_township,
                seen_villages=seen_villages,
            )
        elif record.get("village_name"):
            raise RowRejectedError("填了村名称但没有村代码", "village_code")
        else:
            # Coordinates left blank keep what the township has.
            for column, key in (("center_lon", "lon"), ("center_lat", "lat")):
                if record.get(key) is not None:
                    township_row[column] = record.values[key]

        names_taken[name] = code
        found: list[str] = []
        action = Action.UNCHANGED
        if existing is None:
            new_townships.setdefault(
                code, {"code": code, "center_lon": None, "center_lat": None}
            ).update(township_row)
            action = Action.INSERT
        else:
            found = changes(existing, township_row, TOWNSHIP_LABELS)
            if found:
                township_updates.setdefault(code, {"id": existing["id"]}).update(township_row)
                existing.update(township_row)
                action = Action.UPDATE
        if village is None:
            return Outcome(record.row, action, f"{code} {name}", tuple(found))

        old, row = village
        key = f"{file_names.get(code, name)}{row['name']}（{village_code}）"
        seen_villages[village_code] = record.row
        taken_in_township[(code, row["name"])] = village_code
        if old is None:
            village_inserts.append(
                {"code": village_code, "township_code": code, "lon": None, "lat": None, **row}
            )
            return Outcome(record.row, Action.INSERT, key)
        village_changes = changes(old, row, VILLAGE_LABELS)
        if village_changes:
            village_updates.append({"id": old["id"], **row})
            return Outcome(record.row, Action.UPDATE, key, tuple(found + village_changes))
        return Outcome(record.row, action, key, tuple(found))


def _checked_village(
    record: Record,
    *,
    township_code: str,
    township_id: int | None,
    villages: dict[tuple[Any, ...], dict[str, Any]],
    taken_in_township: dict[tuple[str, str], str],
    seen_villages: dict[str, int],
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the village as stored or None, the columns the row gives it); raises RowRejectedError."""
    code = record.values["village_code"]
    name = record.get("village_name")
    if not name:
        raise RowRejectedError("填了村代码的行须填写村名称", "village_name")
    if code in seen_villages:
        raise RowRejectedError(f"村代码与第 {seen_villages[code]} 行重复", "village_code")
    holder = taken_in_township.get((township_code, name))
    if holder is not None and holder != code:
        raise RowRejectedError(f"该乡镇已有同名的村（村代码 {holder}）", "village_name")
    existing = villages.get((code,))
    if existing is not None and existing["township_id"] != township_id:
        raise RowRejectedError("该村已属于另一个乡镇，不能通过导入改到别的乡镇", "township_code")
    row: dict[str, Any] = {"name": name}
    for key in ("lon", "lat"):
        if record.get(key) is not None:
            row[key] = record.values[key]
    return existing, row


def _township_names(records: list[Record], plan: Plan) -> dict[str, str]:
    """The name each township code has in the file; rows giving one code two names are
    rejected."""
    names: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        names[record.values["township_code"]][record.values["township_name"]].append(record.row)
    chosen: dict[str, str] = {}
    for code, by_name in names.items():
        if len(by_name) == 1:
            chosen[code] = next(iter(by_name))
            continue
        spelled = "、".join(
            f"“{n}”（第 {'、'.join(map(str, rows))} 行）" for n, rows in by_name.items()
        )
        for rows in by_name.values():
            for row in rows:
                plan.reject(
                    row, f"乡镇代码 {code} 在文件中有不同的名称：{spelled}", "township_name"
                )
    return chosen


def _insert_villages(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """New villages, once their townships (perhaps created by this import) have ids."""
    if not rows:
        return
    township_ids = dict(conn.execute(select(Township.code, Township.id)).all())
    conn.execute(
        insert(Village),
        [
            {
                "code": row["code"],
                "township_id": township_ids[row["township_code"]],
                "name": row["name"],
                "lon": row["lon"],
                "lat": row["lat"],
            }
            for row in rows
        ],
    )
