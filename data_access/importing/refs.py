"""Looking up what a row refers to: townships, villages, units, households, cadres.

Each lookup is loaded once per plan (the small tables whole, households only for the codes in the
file) and answers with ids or raises RowRejectedError naming the column and what was not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from data_access.importing.base import CHUNK, RowRejectedError
from data_access.models import AssistingUnit, Cadre, Household, Township, Village


@dataclass(frozen=True)
class VillageRef:
    id: int
    township_id: int
    name: str


class Places:
    """Townships by code and name, villages by code and by (township, name)."""

    def __init__(self, conn: Connection) -> None:
        self.township_by_code: dict[str, int] = {}
        self.township_by_name: dict[str, int] = {}
        self.township_names: dict[int, str] = {}
        for township_id, code, name in conn.execute(
            select(Township.id, Township.code, Township.name)
        ):
            self.township_by_code[code] = township_id
            self.township_by_name[name] = township_id
            self.township_names[township_id] = name
        self.village_by_code: dict[str, VillageRef] = {}
        self.village_by_name: dict[tuple[int, str], list[VillageRef]] = {}
        for village_id, code, township_id, name in conn.execute(
            select(Village.id, Village.code, Village.township_id, Village.name)
        ):
            ref = VillageRef(village_id, township_id, name)
            self.village_by_code[code] = ref
            self.village_by_name.setdefault((township_id, name), []).append(ref)

    def township(self, value: str, field: str) -> int:
        """A township named by its name or its code."""
        township_id = self.township_by_name.get(value) or self.township_by_code.get(value)
        if township_id is None:
            raise RowRejectedError("乡镇不存在（可填乡镇名称或代码）", field)
        return township_id

    def village(self, value: str, field: str, township_id: int | None = None) -> VillageRef:
        """A village named by its code, or by its name within ``township_id``; when both a
        township and a village code are given they must agree."""
        ref = self.village_by_code.get(value)
        if ref is None and township_id is not None:
            named = self.village_by_name.get((township_id, value), [])
            if len(named) > 1:
                raise RowRejectedError("该乡镇有多个同名的村，请填村代码", field)
            ref = named[0] if named else None
        if ref is None:
            where = (
                "（可填村代码，或本乡镇的村名称）" if township_id is not None else "（请填村代码）"
            )
            raise RowRejectedError(f"村不存在{where}", field)
        if township_id is not None and ref.township_id != township_id:
            raise RowRejectedError(
                f"该村属于{self.township_names.get(ref.township_id, '其他乡镇')}，与所填乡镇不一致",
                field,
            )
        return ref


def units(conn: Connection) -> dict[str, int]:
    """Assisting units by name."""
    return dict(conn.execute(select(AssistingUnit.name, AssistingUnit.id)).all())


@dataclass(frozen=True)
class HouseholdRef:
    id: int
    village_id: int
    township_id: int
    head_name: str
    members: int = 0


def households(conn: Connection, codes: Iterable[str]) -> dict[str, HouseholdRef]:
    """The households with these 户编号, by code."""
    wanted = sorted(set(codes))
    found: dict[str, HouseholdRef] = {}
    for start in range(0, len(wanted), CHUNK):
        query = select(
            Household.code,
            Household.id,
            Household.village_id,
            Household.township_id,
            Household.head_name,
            Household.members,
        ).where(Household.code.in_(wanted[start : start + CHUNK]))
        for code, *rest in conn.execute(query):
            found[code] = HouseholdRef(*rest)
    return found


class HouseholdsByName:
    """Households found by village and head name, for forms that carry no 户编号: a name that
    two households of the village share is refused, not guessed."""

    def __init__(self, conn: Connection) -> None:
        self.places = Places(conn)
        self.by_name: dict[tuple[int, str], list[HouseholdRef]] = {}
        query = select(
            Household.village_id,
            Household.head_name,
            Household.id,
            Household.village_id,
            Household.township_id,
            Household.head_name,
            Household.members,
        )
        for village_id, head, *rest in conn.execute(query):
            self.by_name.setdefault((village_id, head), []).append(HouseholdRef(*rest))

    def household(
        self, *, village: str | None, head_name: str | None, township: str | None
    ) -> HouseholdRef:
        if not village or not head_name:
            raise RowRejectedError("没有户编号时须有村和户主姓名", "household_code")
        township_id = self.places.township(township, "township") if township else None
        if township_id is None and village not in self.places.village_by_code:
            towns = {
                t for (t, name), refs_ in self.places.village_by_name.items() if name == village
            }
            if len(towns) > 1:
                raise RowRejectedError("有多个乡镇有同名的村，请填写乡镇", "village")
            township_id = next(iter(towns), None)
        ref = self.places.village(village, "village", township_id)
        found = self.by_name.get((ref.id, head_name), [])
        if not found:
            raise RowRejectedError(
                f"{ref.name}没有户主为“{head_name}”的户（请先导入户信息）", "head_name"
            )
        if len(found) > 1:
            raise RowRejectedError(
                f"{ref.name}有 {len(found)} 户户主都叫“{head_name}”，请填写户编号", "head_name"
            )
        return found[0]


def household(found: dict[str, HouseholdRef], code: str, field: str) -> HouseholdRef:
    ref = found.get(code)
    if ref is None:
        raise RowRejectedError("户编号不存在（请先导入户信息）", field)
    return ref


@dataclass(frozen=True)
class CadreRef:
    id: int
    role: str
    unit_id: int | None
    township_id: int | None
    village_id: int | None


def cadres(conn: Connection) -> dict[tuple[str, str], CadreRef]:
    """Cadres by (name, phone), their natural key."""
    query = select(
        Cadre.name,
        Cadre.phone,
        Cadre.id,
        Cadre.role,
        Cadre.unit_id,
        Cadre.township_id,
        Cadre.village_id,
    )
    return {(name, phone): CadreRef(*rest) for name, phone, *rest in conn.execute(query)}
