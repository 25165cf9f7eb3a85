"""暗访选点: risk-weighted random draws, their append-only log, verification and findings.

A draw runs in four steps, each a pure function of what came before:

1. snapshot: the risk table of the villages in the draw's townships as of the draw's date, the
   villages excluded (inspected within the exclusion window), the inspector pool with its ties
   (unit, home township, the villages each unit is paired with);
2. villages drawn by risk (data_access.sampling, A-ES), households drawn in each (监测户 first,
   then 脱贫户 below the income band, then other 脱贫户; never a household of an earlier draw),
   one team of inspectors per village with recusal;
3. the input hash: SHA-256 of a canonical JSON of the parameters, the risk table, the inspector
   pool and the eligible households of the drawn villages;
4. one new row in inspection_draws. Rows are never updated or deleted: this module has no
   function that would, and a redraw is a new row pointing at the draw it replaces.

``verify_draw`` repeats steps 1–3 for a logged draw on the current data (excluding households
of later draws) and says whether the hash and the result are the same: the same seed,
parameters and data always give the same draw, and any change of input shows as a new hash.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, case, func, insert, literal, select, update

from config.settings import Settings
from data_access.audit import AuditAction
from data_access.commands import Change
from data_access.income import household_income_query
from data_access.income_snapshots import income_basis
from data_access.masking import id_number_column, name_column
from data_access.models import (
    AssistingUnit,
    Cadre,
    CadreRole,
    DataSource,
    Household,
    HouseholdType,
    InspectionDraw,
    InspectionFinding,
    Inspector,
    ProblemSource,
    RectificationItem,
    RectificationKind,
    RectificationStatus,
    RectificationStatusChange,
    RiskStatus,
    Township,
    UnitVillage,
    Village,
)
from data_access.risk import (
    COUNT_COLUMNS,
    household_weight,
    risk_reasons,
    risk_scores,
    village_risk_components,
)
from data_access.sampling import (
    InspectorTies,
    VillageTies,
    assign_teams,
    draw_villages,
    generator_for,
    weighted_sample,
)
from data_access.scope import Scope

# Bumped whenever the draw procedure changes: a draw is only verified by the procedure it used.
METHOD_VERSION = 1
# Household tiers within a village: drawn in this order until the village's quota is met.
TIER_MONITORED, TIER_LOW_INCOME, TIER_OTHER = 1, 2, 3
TIER_LABELS = {
    TIER_MONITORED: "监测户",
    TIER_LOW_INCOME: "低收入脱贫户",
    TIER_OTHER: "其他脱贫户",
}


class InspectionError(Exception):
    """A 暗访 action cannot be carried out as asked."""


class DrawNotFoundError(InspectionError):
    """No draw with that id in the log."""


class UnverifiableDrawError(InspectionError):
    """The logged draw lacks what re-running it needs (e.g. made by another procedure)."""


class NoEligibleVillageError(InspectionError):
    """Every village in the chosen townships is excluded or there are none."""


class NotInDrawError(InspectionError):
    """The village or household was not drawn in that draw."""


class InvalidFindingError(InspectionError):
    """A finding lacks its description or has an impossible date."""


class FindingNotFoundError(InspectionError):
    """No finding with that id."""


class AlreadyConvertedError(InspectionError):
    """The finding has already become a rectification item."""


@dataclass(frozen=True)
class DrawParameters:
    """Everything a draw depends on besides the data and the seed; logged as JSON."""

    as_of: date
    month: date
    township_ids: tuple[int, ...]
    villages: int
    min_per_township: int
    households_per_village: int
    exclusion_days: int
    lifted_income_band: float
    team_size: int
    inspector_ids: tuple[int, ...]
    weights: dict[str, float]
    inspection_full_days: int
    circular_window_days: int
    method_version: int = METHOD_VERSION

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["as_of"], data["month"] = self.as_of.isoformat(), self.month.isoformat()
        data["township_ids"] = sorted(self.township_ids)
        data["inspector_ids"] = sorted(self.inspector_ids)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DrawParameters:
        """Raises UnverifiableDrawError when keys are missing or the method differs."""
        if data.get("method_version") != METHOD_VERSION:
            raise UnverifiableDrawError(
                "该记录不是由本系统当前的抽签方法生成（如导入的历史抽签），无法复核"
            )
        try:
            return cls(
                as_of=date.fromisoformat(data["as_of"]),
                month=date.fromisoformat(data["month"]),
                township_ids=tuple(data["township_ids"]),
                villages=int(data["villages"]),
                min_per_township=int(data["min_per_township"]),
                households_per_village=int(data["households_per_village"]),
                exclusion_days=int(data["exclusion_days"]),
                lifted_income_band=float(data["lifted_income_band"]),
                team_size=int(data["team_size"]),
                inspector_ids=tuple(data["inspector_ids"]),
                weights={key: float(value) for key, value in data["weights"].items()},
                inspection_full_days=int(data["inspection_full_days"]),
                circular_window_days=int(data["circular_window_days"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise UnverifiableDrawError(f"抽签记录的参数不完整，无法复核（{error}）") from None


def default_parameters(
    *,
    settings: Settings,
    as_of: date,
    month: date,
    township_ids: tuple[int, ...],
    inspector_ids: tuple[int, ...],
) -> DrawParameters:
    """The configured defaults ([inspection] in settings.toml) for a draw today."""
    rules = settings.inspection
    return DrawParameters(
        as_of=as_of,
        month=month,
        township_ids=tuple(sorted(township_ids)),
        villages=rules.villages_per_draw,
        min_per_township=0,
        households_per_village=rules.households_per_village,
        exclusion_days=rules.exclusion_days,
        lifted_income_band=rules.lifted_income_band,
        team_size=rules.team_size,
        inspector_ids=tuple(sorted(inspector_ids)),
        weights=dict(rules.weights),
        inspection_full_days=rules.inspection_full_days,
        circular_window_days=rules.circular_window_days,
    )


@dataclass(frozen=True)
class DrawOutcome:
    """A draw computed but not (yet) logged."""

    input_hash: str
    result: dict[str, Any]
    # The scored villages the draw chose from (eligible ones only), riskiest first.
    risk: pd.DataFrame = field(repr=False)


def new_seed() -> str:
    """A random seed for a draw nobody typed one for (32 hex digits)."""
    return secrets.token_hex(16)


def inspector_pool(*, conn: Connection) -> pd.DataFrame:
    """Active inspectors with their unit and home township (for the 回避 rule).

    Columns: inspector_id, name, unit_id, unit, home_township_id, home_township.
    """
    query = (
        select(
            Inspector.id,
            Inspector.name,
            Inspector.unit_id,
            AssistingUnit.name,
            Inspector.home_township_id,
            Township.name,
        )
        .outerjoin(AssistingUnit, AssistingUnit.id == Inspector.unit_id)
        .outerjoin(Township, Township.id == Inspector.home_township_id)
        .where(Inspector.active.is_(True))
        .order_by(Inspector.id)
    )
    columns = ["inspector_id", "name", "unit_id", "unit", "home_township_id", "home_township"]
    return pd.DataFrame(conn.execute(query).all(), columns=columns)


def scored_villages(
    *, conn: Connection, scope: Scope, month: date, today: date, settings: Settings
) -> pd.DataFrame:
    """Every village in scope with its risk components and score (configured weights), riskiest
    first, plus ``reasons`` in words. See data_access.risk for the columns."""
    rules = settings.inspection
    components = village_risk_components(
        conn=conn,
        scope=scope,
        month=month,
        today=today,
        settings=settings,
        circular_window_days=rules.circular_window_days,
    )
    scored = risk_scores(components, today=today, settings=rules)
    scored["reasons"] = [
        risk_reasons(row, weights=rules.weights, circular_window_days=rules.circular_window_days)
        for row in scored.to_dict("records")
    ]
    return scored


def sampled_household_ids(*, conn: Connection, before_draw_id: int | None = None) -> set[int]:
    """Households drawn in any logged draw (with a smaller id than ``before_draw_id``, if given),
    discarded draws included: their names were seen, so they are not drawn again."""
    query = select(InspectionDraw.result)
    if before_draw_id is not None:
        query = query.where(InspectionDraw.id < before_draw_id)
    return {
        int(household)
        for (result,) in conn.execute(query).all()
        for household in (result or {}).get("household_ids", [])
    }


def eligible_households(
    *,
    conn: Connection,
    scope: Scope,
    village_ids: list[int],
    month: date,
    settings: Settings,
    lifted_income_band: float,
    excluded: set[int],
) -> pd.DataFrame:
    """Households of ``village_ids`` not in ``excluded``, with their tier (监测户, 脱贫户 below
    the band or without a projection, other 脱贫户) and draw weight (risk.household_weight).

    Columns: household_id, village_id, tier, weight — ordered by household id.
    """
    if not village_ids:
        return pd.DataFrame(columns=["household_id", "village_id", "tier", "weight"])
    incomes = (
        household_income_query(
            scope=scope, month=month, settings=settings.income, basis=income_basis(conn, month)
        )
        .where(Household.village_id.in_(sorted(village_ids)))
        .subquery()
    )
    per_capita = incomes.c.projected_per_capita
    tier = case(
        (incomes.c.household_type == HouseholdType.MONITORED, TIER_MONITORED),
        (
            (per_capita.is_(None)) | (per_capita < literal(lifted_income_band)),
            TIER_LOW_INCOME,
        ),
        else_=TIER_OTHER,
    )
    below = per_capita < literal(settings.income.line_for(month.year))
    query = (
        select(
            incomes.c.household_id,
            incomes.c.village_id,
            tier,
            case((below, 1), else_=0),
            case((per_capita < incomes.c.last_year_per_capita, 1), else_=0),
            case((Household.risk_status == RiskStatus.AT_RISK, 1), else_=0),
        )
        .join(Household, Household.id == incomes.c.household_id)
        .order_by(incomes.c.household_id)
    )
    rows = [row for row in conn.execute(query).all() if int(row[0]) not in excluded]
    return pd.DataFrame(
        [
            {
                "household_id": int(household),
                "village_id": int(village),
                "tier": int(tier_value),
                "weight": household_weight(
                    below_line=bool(below_flag), fell=bool(fell), at_risk=bool(at_risk)
                ),
            }
            for household, village, tier_value, below_flag, fell, at_risk in rows
        ],
        columns=["household_id", "village_id", "tier", "weight"],
    )


def _village_ties(conn: Connection, village_ids: list[int]) -> dict[int, VillageTies]:
    rows = conn.execute(
        select(Village.id, Village.township_id, UnitVillage.unit_id)
        .outerjoin(UnitVillage, UnitVillage.village_id == Village.id)
        .where(Village.id.in_(sorted(village_ids)))
    ).all()
    units: dict[int, set[int]] = {}
    townships: dict[int, int] = {}
    for village, township, unit in rows:
        townships[int(village)] = int(township)
        units.setdefault(int(village), set())
        if unit is not None:
            units[int(village)].add(int(unit))
    return {v: VillageTies(v, townships[v], frozenset(units[v])) for v in townships}


def draw_by_tier(frame: pd.DataFrame, size: int, rng: np.random.Generator) -> list[int]:
    """``size`` households of one village: whole tiers in order while they fit, then a
    weighted sample of the next tier (pure). Returns sorted household ids."""
    chosen: list[int] = []
    for _, tier in frame.groupby("tier", sort=True):
        need = size - len(chosen)
        if need <= 0:
            break
        chosen += weighted_sample(tier["household_id"].tolist(), tier["weight"].tolist(), need, rng)
    return sorted(chosen)


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def compute_draw(
    *,
    conn: Connection,
    parameters: DrawParameters,
    seed: str,
    settings: Settings,
    before_draw_id: int | None = None,
) -> DrawOutcome:
    """The draw ``parameters`` and ``seed`` give on the current data (nothing is written).

    Households of logged draws are excluded (only those before ``before_draw_id`` when given,
    for verification). Raises NoEligibleVillageError, sampling.SamplingError (e.g.
    NotEnoughInspectorsError).
    """
    scope = Scope(frozenset(parameters.township_ids), personal_data=False)
    # The logged parameters, not today's settings: a draw verifies after the config changed.
    rules = replace(
        settings.inspection,
        weights=parameters.weights,
        inspection_full_days=parameters.inspection_full_days,
        circular_window_days=parameters.circular_window_days,
    )
    components = village_risk_components(
        conn=conn,
        scope=scope,
        month=parameters.month,
        today=parameters.as_of,
        settings=settings,
        circular_window_days=parameters.circular_window_days,
    )
    recent = components["last_inspected_on"].map(
        lambda day: day is not None and (parameters.as_of - day).days < parameters.exclusion_days
    )
    candidates = components[~recent.astype(bool)]
    if candidates.empty:
        raise NoEligibleVillageError(
            f"所选乡镇没有可抽取的村（近 {parameters.exclusion_days} 天内均已暗访或无村）"
        )
    # Relative components are scaled among the villages the draw chooses from.
    scored = risk_scores(candidates, today=parameters.as_of, settings=rules)
    scored["reasons"] = [
        risk_reasons(
            row, weights=parameters.weights, circular_window_days=parameters.circular_window_days
        )
        for _, row in scored.iterrows()
    ]
    weights = {
        int(v): round(float(r), 9)
        for v, r in zip(scored["village_id"], scored["risk"], strict=True)
    }
    township_of = {
        int(v): int(t) for v, t in zip(scored["village_id"], scored["township_id"], strict=True)
    }
    drawn = draw_villages(
        weights=weights,
        township_of=township_of,
        count=parameters.villages,
        min_per_township=parameters.min_per_township,
        rng=generator_for(seed, "villages"),
    )

    excluded = sampled_household_ids(conn=conn, before_draw_id=before_draw_id)
    households = eligible_households(
        conn=conn,
        scope=scope,
        village_ids=drawn,
        month=parameters.month,
        settings=settings,
        lifted_income_band=parameters.lifted_income_band,
        excluded=excluded,
    )
    household_rng = generator_for(seed, "households")
    by_village = {
        village: draw_by_tier(
            households[households["village_id"] == village],
            parameters.households_per_village,
            household_rng,
        )
        for village in drawn
    }

    pool = inspector_pool(conn=conn)
    pool = pool[pool["inspector_id"].isin(parameters.inspector_ids)]
    inspectors = [
        InspectorTies(
            int(row.inspector_id),
            None if pd.isna(row.unit_id) else int(row.unit_id),
            None if pd.isna(row.home_township_id) else int(row.home_township_id),
        )
        for row in pool.itertuples()
    ]
    ties = _village_ties(conn, list(weights))
    teams = assign_teams(
        [ties[v] for v in drawn], inspectors, parameters.team_size, generator_for(seed, "teams")
    )

    snapshot = {
        "parameters": parameters.to_json(),
        "villages": [
            [
                int(row.village_id),
                int(row.township_id),
                *(int(getattr(row, c)) for c in COUNT_COLUMNS),
                None if row.last_inspected_on is None else row.last_inspected_on.isoformat(),
                weights[int(row.village_id)],
            ]
            for row in scored.sort_values("village_id").itertuples()
        ],
        "village_units": {str(v): sorted(t.unit_ids) for v, t in sorted(ties.items())},
        "inspectors": [[i.inspector_id, i.unit_id, i.home_township_id] for i in inspectors],
        "households": [
            [int(h), int(v), int(t), float(w)]
            for h, v, t, w in households[
                ["household_id", "village_id", "tier", "weight"]
            ].itertuples(index=False)
        ],
    }
    input_hash = hashlib.sha256(_canonical(snapshot).encode()).hexdigest()
    reasons = dict(zip(scored["village_id"], scored["reasons"], strict=True))
    result = {
        "village_ids": drawn,
        "household_ids": [h for v in drawn for h in by_village[v]],
        "inspector_ids": sorted(i for v in drawn for i in teams[v]),
        "households": {str(v): by_village[v] for v in drawn},
        "teams": {str(v): teams[v] for v in drawn},
        "risk": {str(v): weights[v] for v in drawn},
        "reasons": {str(v): reasons[v] for v in drawn},
    }
    # The JSON column returns what JSON can hold: compare like with like.
    return DrawOutcome(input_hash=input_hash, result=json.loads(_canonical(result)), risk=scored)


@dataclass(frozen=True)
class LoggedDraw:
    draw_id: int
    input_hash: str
    result: dict[str, Any]


def make_draw(
    write: Change,
    *,
    parameters: DrawParameters,
    seed: str,
    planned_on: date | None,
    settings: Settings,
    replaces_draw_id: int | None = None,
) -> LoggedDraw:
    """Compute a draw and append it to the log, drawn by ``write.author`` at ``write.at``, with
    its audit row. A redraw names the draw it replaces; the replaced row stays as it was.

    Runs in the write's transaction. Raises DrawNotFoundError (unknown replaced draw) and what
    compute_draw raises.
    """
    conn = write.conn
    seed = seed.strip()
    if not seed:
        raise InspectionError("种子不能为空")
    if len(seed) > 64:
        raise InspectionError("种子最长 64 个字符")
    if replaces_draw_id is not None:
        _draw_row(conn, replaces_draw_id)
    outcome = compute_draw(conn=conn, parameters=parameters, seed=seed, settings=settings)
    draw_id = conn.execute(
        insert(InspectionDraw)
        .values(
            drawn_at=write.at,
            drawn_by=write.author,
            planned_on=planned_on,
            seed=seed,
            parameters=parameters.to_json(),
            input_hash=outcome.input_hash,
            result=outcome.result,
            replaces_draw_id=replaces_draw_id,
        )
        .returning(InspectionDraw.id)
    ).scalar_one()
    write.touch(DataSource.INSPECTIONS)
    write.audit(
        AuditAction.INSPECTION_DRAW,
        target=f"抽签 #{draw_id}",
        detail={"input_hash": outcome.input_hash, "replaces": replaces_draw_id},
    )
    return LoggedDraw(int(draw_id), outcome.input_hash, outcome.result)


def _draw_row(conn: Connection, draw_id: int):
    row = conn.execute(
        select(
            InspectionDraw.id,
            InspectionDraw.seed,
            InspectionDraw.parameters,
            InspectionDraw.input_hash,
            InspectionDraw.result,
            InspectionDraw.planned_on,
            InspectionDraw.drawn_at,
        ).where(InspectionDraw.id == draw_id)
    ).one_or_none()
    if row is None:
        raise DrawNotFoundError(f"抽签记录 #{draw_id} 不存在")
    return row


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
    row = _draw_row(conn, draw_id)
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


def findings_of_draw(*, conn: Connection, scope: Scope, draw_id: int) -> pd.DataFrame:
    """What the teams recorded for a draw, oldest first.

    Columns: finding_id, village, household (masked head name and 户编号, "" for the village
    itself), inspected_on, description, item_code ("" when not turned into an item),
    recorded_by.
    """
    head = name_column(Household.head_name, personal_data=scope.personal_data)
    query = (
        select(
            InspectionFinding.id,
            Township.name + Village.name,
            func.coalesce(head + literal("（") + Household.code + literal("）"), literal("")),
            InspectionFinding.inspected_on,
            InspectionFinding.description,
            func.coalesce(RectificationItem.code, literal("")),
            InspectionFinding.recorded_by,
        )
        .join(Village, Village.id == InspectionFinding.village_id)
        .join(Township, Township.id == Village.township_id)
        .outerjoin(Household, Household.id == InspectionFinding.household_id)
        .outerjoin(
            RectificationItem, RectificationItem.id == InspectionFinding.rectification_item_id
        )
        .where(InspectionFinding.draw_id == draw_id)
        .order_by(InspectionFinding.id)
    )
    columns = [
        "finding_id",
        "village",
        "household",
        "inspected_on",
        "description",
        "item_code",
        "recorded_by",
    ]
    return pd.DataFrame(conn.execute(query).all(), columns=columns)


def _mark_inspected(conn: Connection, village_id: int, inspected_on: date) -> None:
    """last_inspected_on moves forward only: a late entry of an old visit does not reset it."""
    conn.execute(
        update(Village)
        .where(
            Village.id == village_id,
            (Village.last_inspected_on.is_(None)) | (Village.last_inspected_on < inspected_on),
        )
        .values(last_inspected_on=inspected_on)
    )


def _check_visit(
    conn: Connection,
    *,
    draw_id: int,
    village_id: int,
    household_id: int | None,
    inspected_on: date,
    today: date,
) -> None:
    row = _draw_row(conn, draw_id)
    result = row.result or {}
    if village_id not in [int(v) for v in result.get("village_ids", [])]:
        raise NotInDrawError(f"该村不在抽签 #{draw_id} 的名单中")
    if household_id is not None:
        drawn = (result.get("households") or {}).get(str(village_id))
        if drawn is None:
            drawn = result.get("household_ids", [])
        if household_id not in [int(h) for h in drawn]:
            raise NotInDrawError(f"该户不是抽签 #{draw_id} 在该村抽中的农户")
    drawn_on = row.drawn_at.date() if isinstance(row.drawn_at, datetime) else row.drawn_at
    if inspected_on > today:
        raise InvalidFindingError(f"检查日期 {inspected_on:%Y-%m-%d} 晚于今天")
    if drawn_on is not None and inspected_on < drawn_on:
        raise InvalidFindingError(
            f"检查日期 {inspected_on:%Y-%m-%d} 早于抽签日期 {drawn_on:%Y-%m-%d}"
        )


def record_finding(
    write: Change,
    *,
    draw_id: int,
    village_id: int,
    household_id: int | None,
    inspected_on: date,
    description: str,
) -> int:
    """Record what a team found at a drawn village (household_id None) or household, recorded by
    ``write.author``; moves the village's last-inspected date forward. Returns the finding id.

    Raises DrawNotFoundError, NotInDrawError, InvalidFindingError.
    """
    conn = write.conn
    description = description.strip()
    if not description:
        raise InvalidFindingError("请填写发现的问题")
    _check_visit(
        conn,
        draw_id=draw_id,
        village_id=village_id,
        household_id=household_id,
        inspected_on=inspected_on,
        today=write.at.date(),
    )
    finding_id = conn.execute(
        insert(InspectionFinding)
        .values(
            draw_id=draw_id,
            village_id=village_id,
            household_id=household_id,
            inspected_on=inspected_on,
            description=description,
            recorded_by=write.author,
        )
        .returning(InspectionFinding.id)
    ).scalar_one()
    _mark_inspected(conn, village_id, inspected_on)
    write.touch(DataSource.INSPECTIONS)
    write.audit(
        AuditAction.FINDING,
        target=f"抽签 #{draw_id} 发现 #{finding_id}",
        rows=1,
        detail={"检查日期": inspected_on.isoformat(), "抽查农户": household_id is not None},
    )
    return int(finding_id)


def record_village_inspected(
    write: Change, *, draw_id: int, village_id: int, inspected_on: date
) -> None:
    """Record that a team inspected a drawn village (with or without findings): moves its
    last-inspected date forward.

    Raises DrawNotFoundError, NotInDrawError, InvalidFindingError.
    """
    _check_visit(
        write.conn,
        draw_id=draw_id,
        village_id=village_id,
        household_id=None,
        inspected_on=inspected_on,
        today=write.at.date(),
    )
    _mark_inspected(write.conn, village_id, inspected_on)
    write.touch(DataSource.INSPECTIONS)
    write.audit(
        AuditAction.INSPECTED,
        target=f"抽签 #{draw_id} 村 #{village_id}",
        detail={"检查日期": inspected_on.isoformat()},
    )


def rectification_categories(*, conn: Connection) -> list[str]:
    """Categories in use in the 整改台账, most used first (to file a finding under)."""
    query = (
        select(RectificationItem.category)
        .group_by(RectificationItem.category)
        .order_by(func.count().desc(), RectificationItem.category)
    )
    return list(conn.execute(query).scalars())


def _next_item_code(conn: Connection, year: int) -> str:
    """ZG{year}-{seq:05d}, one past the highest number of the year (the ledger's scheme)."""
    prefix = f"ZG{year}-"
    codes = conn.execute(
        select(RectificationItem.code).where(RectificationItem.code.like(f"{prefix}%"))
    ).scalars()
    numbers = [int(m.group(1)) for c in codes if (m := re.fullmatch(rf"{prefix}(\d+)", c))]
    return f"{prefix}{max(numbers, default=0) + 1:05d}"


def _responsible_person(conn: Connection, village_id: int, township_id: int) -> str:
    """The village's 第一书记, else its 村支书, else the 乡镇长 — who answers for the item."""
    ranked = case(
        (Cadre.role == CadreRole.FIRST_SECRETARY, 1),
        (Cadre.role == CadreRole.VILLAGE_SECRETARY, 2),
        else_=3,
    )
    name = conn.execute(
        select(Cadre.name)
        .where(
            Cadre.active.is_(True),
            (
                and_(
                    Cadre.village_id == village_id,
                    Cadre.role.in_([CadreRole.FIRST_SECRETARY, CadreRole.VILLAGE_SECRETARY]),
                )
            )
            | and_(Cadre.township_id == township_id, Cadre.role == CadreRole.TOWNSHIP_HEAD),
        )
        .order_by(ranked, Cadre.id)
        .limit(1)
    ).scalar_one_or_none()
    return name or "待认领"


def finding_to_rectification(
    write: Change, *, finding_id: int, category: str, deadline_days: int
) -> str:
    """Turn a finding into a 整改台账 item (source 督查暗访, 限期整改, status 未整改, deadline
    ``deadline_days`` after the finding), with its first status-history row by
    ``write.author``, and link it on the finding. Returns the item code.

    Raises FindingNotFoundError, AlreadyConvertedError, InvalidFindingError (empty category).
    """
    conn, now = write.conn, write.at
    category = category.strip()
    if not category:
        raise InvalidFindingError("请选择问题类别")
    finding = conn.execute(
        select(
            InspectionFinding.village_id,
            InspectionFinding.household_id,
            InspectionFinding.inspected_on,
            InspectionFinding.description,
            InspectionFinding.rectification_item_id,
            Village.township_id,
            Village.name,
            Township.name.label("township"),
        )
        .join(Village, Village.id == InspectionFinding.village_id)
        .join(Township, Township.id == Village.township_id)
        .where(InspectionFinding.id == finding_id)
    ).one_or_none()
    if finding is None:
        raise FindingNotFoundError(f"暗访发现 #{finding_id} 不存在")
    if finding.rectification_item_id is not None:
        raise AlreadyConvertedError("该发现已转为整改问题，不能重复转办")
    found_on = finding.inspected_on
    where = "暗访抽查农户发现：" if finding.household_id is not None else "暗访发现："
    code = _next_item_code(conn, found_on.year)
    item_id = conn.execute(
        insert(RectificationItem)
        .values(
            code=code,
            source=ProblemSource.UNANNOUNCED.value,
            category=category,
            description=f"{finding.township}{finding.name}{where}{finding.description}",
            township_id=finding.township_id,
            village_id=finding.village_id,
            unit_id=None,
            responsible_person=_responsible_person(conn, finding.village_id, finding.township_id),
            measure="",
            kind=RectificationKind.DEADLINE.value,
            found_on=found_on,
            deadline=found_on + timedelta(days=deadline_days),
            status=RectificationStatus.OPEN.value,
            closed_on=None,
            version=1,
            status_changed_at=now,
        )
        .returning(RectificationItem.id)
    ).scalar_one()
    conn.execute(
        insert(RectificationStatusChange).values(
            item_id=item_id,
            changed_at=now,
            changed_by=write.author,
            from_status=None,
            to_status=RectificationStatus.OPEN.value,
            note=(
                f"{ProblemSource.UNANNOUNCED.value}发现问题，录入整改台账（暗访发现 #{finding_id}）"
            ),
            completed_on=None,
        )
    )
    conn.execute(
        update(InspectionFinding)
        .where(InspectionFinding.id == finding_id)
        .values(rectification_item_id=item_id)
    )
    write.touch(DataSource.INSPECTIONS, DataSource.RECTIFICATION)
    write.audit(AuditAction.FINDING_TO_ITEM, target=f"发现 #{finding_id} → {code}", rows=1)
    return code
