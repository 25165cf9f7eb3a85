"""Small hand-made counties for tests of arithmetic: a few rows, each one meaningful."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, insert

from data_access.models import (
    Assignment,
    Cadre,
    Household,
    IncomeRegister,
    IncomeYear,
    Township,
    Village,
    Visit,
)


def add_township(conn: Connection, township_id: int) -> int:
    conn.execute(
        insert(Township),
        {"id": township_id, "code": f"T{township_id:03d}", "name": f"测试{township_id}镇"},
    )
    return township_id


def add_village(conn: Connection, village_id: int, *, township_id: int) -> int:
    conn.execute(
        insert(Village),
        {
            "id": village_id,
            "code": f"V{village_id:05d}",
            "township_id": township_id,
            "name": f"测试{village_id}村",
        },
    )
    return village_id


def add_household(
    conn: Connection,
    household_id: int,
    *,
    village_id: int,
    township_id: int,
    members: int = 3,
    household_type: str = "脱贫户",
) -> int:
    conn.execute(
        insert(Household),
        {
            "id": household_id,
            "code": f"H{household_id:06d}",
            "village_id": village_id,
            "township_id": township_id,
            "grid_no": 1,
            "head_name": "张三明",
            "head_id_number": "452731197001011234",
            "household_type": household_type,
            "members": members,
        },
    )
    return household_id


def add_register(
    conn: Connection,
    household_id: int,
    month: date,
    *,
    wage: float = 0.0,
    business: float = 0.0,
    transfer: float = 0.0,
    production_cost: float = 0.0,
    expenditure: float = 0.0,
    entered_at: datetime | None = None,
) -> None:
    conn.execute(
        insert(IncomeRegister),
        {
            "household_id": household_id,
            "month": month,
            "wage": wage,
            "business": business,
            "property": 0.0,
            "transfer": transfer,
            "production_cost": production_cost,
            "expenditure": expenditure,
            "entered_at": entered_at or datetime(month.year, month.month, 20, 10, 0),
        },
    )


def add_income_year(
    conn: Connection, household_id: int, year: int, *, net: float, members: int = 3
) -> None:
    conn.execute(
        insert(IncomeYear),
        {"household_id": household_id, "year": year, "members": members, "wage": net},
    )


def add_cadre(
    conn: Connection, cadre_id: int, *, role: str = "帮扶干部", township_id: int = 1
) -> int:
    conn.execute(
        insert(Cadre),
        {"id": cadre_id, "name": f"干部{cadre_id}", "role": role, "township_id": township_id},
    )
    return cadre_id


def assign(conn: Connection, cadre_id: int, household_id: int, start: date) -> None:
    conn.execute(
        insert(Assignment),
        {"cadre_id": cadre_id, "household_id": household_id, "start_date": start},
    )


def add_visit(
    conn: Connection, cadre_id: int, household_id: int, day: date, role: str = "帮扶干部"
) -> None:
    conn.execute(
        insert(Visit),
        {"cadre_id": cadre_id, "household_id": household_id, "visit_date": day, "role": role},
    )
