"""The log of draws: verification of a logged draw on the current data, the log table, and
the sealed plan of one draw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, func, select

from config.settings import Settings
from data_access.inspection.draw import (
    DrawParameters,
    compute_draw,
    draw_row,
)
from data_access.inspection.errors import DrawNotFoundError
from data_access.masking import id_number_column, name_column
from data_access.models import (
    AssistingUnit,
    Household,
    InspectionDraw,
    Inspector,
    Township,
    Village,
)
from data_access.scope import Scope


@dataclass(frozen=True)
class Verification:
    """The outcome of re-running a logged draw on the current data."""

    draw_id: int
    logged_hash: str
    current_hash: str
    result_matches: bool

    @property
    def matches(self) -> bool:
        return self.logged_hash == self.current_hash and self.result_matches

    def sentence(self) -> str:
        if self.matches:
            return (
                f"复核一致：抽签 #{self.draw_id} 以记录的种子和参数在当前数据上重新运行，"
                "输入哈希与抽取结果均与记录相同。"
            )
        if self.logged_hash != self.current_hash:
            return (
                f"复核不一致：抽签 #{self.draw_id} 的输入已变化"
                f"（记录哈希 {self.logged_hash[:12]}…，当前 {self.current_hash[:12]}…）。"
                "抽签后录入了新的走访、登记、整改或暗访结果时会出现这种情况；请核对数据变更记录。"
            )
        return (
            f"复核不一致：抽签 #{self.draw_id} 的输入哈希相同，但重新运行的结果与记录不同，"
            "记录可能被改动，请立即报告。"
        )


def verify_draw(*, conn: Connection, draw_id: int, settings: Settings) -> Verification:
    """Re-run a logged draw with its seed and parameters on the current data and compare.

    Raises DrawNotFoundError, UnverifiableDrawError (a draw of another procedure).
    """
    row = draw_row(conn, draw_id)
    parameters = DrawParameters.from_json(row.parameters or {})
    outcome = compute_draw(
        conn=conn, parameters=parameters, seed=row.seed, settings=settings, before_draw_id=draw_id
    )
    return Verification(
        draw_id=draw_id,
        logged_hash=row.input_hash,
        current_hash=outcome.input_hash,
        result_matches=outcome.result == row.result,
    )


def draw_log(*, conn: Connection) -> pd.DataFrame:
    """Every draw ever made, newest first, with the draw that replaced it (if any).

    Columns: draw_id, drawn_at, drawn_by, planned_on, seed, input_hash, villages, households,
    replaces_draw_id, replaced_by (0 = still in force).
    """
    replacing = InspectionDraw.__table__.alias("replacing")
    query = (
        select(
            InspectionDraw.id,
            InspectionDraw.drawn_at,
            InspectionDraw.drawn_by,
            InspectionDraw.planned_on,
            InspectionDraw.seed,
            InspectionDraw.input_hash,
            InspectionDraw.result,
            InspectionDraw.replaces_draw_id,
            func.min(replacing.c.id),
        )
        .outerjoin(replacing, replacing.c.replaces_draw_id == InspectionDraw.id)
        .group_by(InspectionDraw.id)
        .order_by(InspectionDraw.id.desc())
    )
    rows = conn.execute(query).all()
    columns = [
        "draw_id",
        "drawn_at",
        "drawn_by",
        "planned_on",
        "seed",
        "input_hash",
        "villages",
        "households",
        "replaces_draw_id",
        "replaced_by",
    ]
    return pd.DataFrame(
        [
            [
                int(row[0]),
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                len((row[6] or {}).get("village_ids", [])),
                len((row[6] or {}).get("household_ids", [])),
                int(row[7] or 0),
                int(row[8] or 0),
            ]
            for row in rows
        ],
        columns=columns,
    )


@dataclass(frozen=True)
class DrawPlan:
    """The sealed plan of one draw, as the team takes it out."""

    draw_id: int
    drawn_at: datetime
    drawn_by: str
    planned_on: date | None
    seed: str
    input_hash: str
    replaces_draw_id: int | None
    # order, village_id, township, village, risk (0–1), reasons, inspectors
    villages: pd.DataFrame
    # village_id, township, village, household_id, code, grid_no, head_name, head_id_number,
    # household_type, members (names and 身份证号 always masked)
    households: pd.DataFrame
    # inspector_id, name, unit, village
    inspectors: pd.DataFrame


def draw_plan(*, conn: Connection, scope: Scope, draw_id: int) -> DrawPlan:
    """The villages, households and teams of a logged draw; household heads' names and 身份证号
    are always masked. Raises DrawNotFoundError.

    ``scope`` is not used to filter: the page is open to the supervision role only (checked on
    the server by the login gate), and a plan is one whole; it is kept for the signature every
    query shares.
    """
    row = conn.execute(
        select(InspectionDraw.__table__).where(InspectionDraw.id == draw_id)
    ).one_or_none()
    if row is None:
        raise DrawNotFoundError(f"抽签记录 #{draw_id} 不存在")
    result = row.result or {}
    village_ids = [int(v) for v in result.get("village_ids", [])]
    names = {
        int(v): (t, n)
        for v, t, n in conn.execute(
            select(Village.id, Township.name, Village.name)
            .join(Township, Township.id == Village.township_id)
            .where(Village.id.in_(village_ids))
        ).all()
    }
    inspector_rows = {
        int(i): (n, u or "")
        for i, n, u in conn.execute(
            select(Inspector.id, Inspector.name, AssistingUnit.name)
            .outerjoin(AssistingUnit, AssistingUnit.id == Inspector.unit_id)
            .where(Inspector.id.in_([int(i) for i in result.get("inspector_ids", [])]))
        ).all()
    }
    # Demo history draws carry no teams: their inspectors went together to every village.
    teams = result.get("teams") or {
        str(v): [int(i) for i in result.get("inspector_ids", [])] for v in village_ids
    }
    villages = pd.DataFrame(
        [
            {
                "order": order,
                "village_id": v,
                "township": names.get(v, ("", ""))[0],
                "village": names.get(v, ("", ""))[1],
                "risk": (result.get("risk") or {}).get(str(v)),
                "reasons": (result.get("reasons") or {}).get(str(v), ""),
                "inspectors": "、".join(
                    inspector_rows.get(int(i), ("?", ""))[0] for i in teams.get(str(v), [])
                ),
            }
            for order, v in enumerate(village_ids, start=1)
        ],
        columns=["order", "village_id", "township", "village", "risk", "reasons", "inspectors"],
    )
    inspectors = pd.DataFrame(
        [
            {
                "inspector_id": int(i),
                "name": inspector_rows.get(int(i), ("?", ""))[0],
                "unit": inspector_rows.get(int(i), ("", ""))[1],
                "village": names.get(v, ("", ""))[0] + names.get(v, ("", ""))[1],
            }
            for v in village_ids
            for i in teams.get(str(v), [])
        ],
        columns=["inspector_id", "name", "unit", "village"],
    )
    household_ids = [int(h) for h in result.get("household_ids", [])]
    household_rows = conn.execute(
        select(
            Household.village_id,
            Township.name,
            Village.name,
            Household.id,
            Household.code,
            Household.grid_no,
            # Masked whoever views it: the plan is printed and carried into the villages.
            name_column(Household.head_name, personal_data=False),
            id_number_column(Household.head_id_number, personal_data=False),
            Household.household_type,
            Household.members,
        )
        .join(Village, Village.id == Household.village_id)
        .join(Township, Township.id == Household.township_id)
        .where(Household.id.in_(household_ids))
    ).all()
    households = pd.DataFrame(
        household_rows,
        columns=[
            "village_id",
            "township",
            "village",
            "household_id",
            "code",
            "grid_no",
            "head_name",
            "head_id_number",
            "household_type",
            "members",
        ],
    )
    order = {v: i for i, v in enumerate(village_ids)}
    households = households.sort_values(
        ["village_id", "household_id"], key=lambda s: s.map(order) if s.name == "village_id" else s
    ).reset_index(drop=True)
    return DrawPlan(
        draw_id=row.id,
        drawn_at=row.drawn_at,
        drawn_by=row.drawn_by,
        planned_on=row.planned_on,
        seed=row.seed,
        input_hash=row.input_hash,
        replaces_draw_id=row.replaces_draw_id,
        villages=villages,
        households=households,
        inspectors=inspectors,
    )
