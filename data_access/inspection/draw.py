"""The draw: parameters, the risk snapshot, villages by risk, households by tier, teams
with recusal, the input hash; and logging a draw (append-only)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, case, insert, literal, select

from config.settings import Settings
from data_access.audit import AuditAction
from data_access.commands import Change
from data_access.income.projection import household_income_query
from data_access.income.store import income_basis
from data_access.inspection.errors import (
    DrawNotFoundError,
    InspectionError,
    NoEligibleVillageError,
    UnverifiableDrawError,
)
from data_access.models import (
    AssistingUnit,
    DataSource,
    Household,
    HouseholdType,
    InspectionDraw,
    Inspector,
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
        draw_row(conn, replaces_draw_id)
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


def draw_row(conn: Connection, draw_id: int):
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
