"""Village risk for 暗访 site selection: components counted in SQL, scored by pure functions.

``village_risk_components`` returns raw counts per village (SQL does the aggregation);
``risk_scores`` turns them into components between 0 and 1 and a weighted score; the page prints
``RISK_FORMULA`` and every component next to each village, so the weights are never a secret.

Normalisation of each component c (0 = no risk, 1 = the most risk):
- visits, registers: 1 − coverage (1 − visited/assigned, 1 − registered/households);
- below_line, income_fell, suspects: the village's share of households, divided by the largest
  share among the villages scored (relative: the worst village is 1);
- overdue, circulars: the count divided by the largest count among the villages scored;
- not_inspected: days since the last 暗访 / inspection_full_days, capped at 1; never inspected = 1.
Score = Σ weight_k × c_k / Σ weight_k, between 0 and 1 (shown × 100).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, func, literal, or_, select

from config.settings import RISK_COMPONENTS, InspectionSettings, Settings
from data_access.caching import settings_key, snapshot
from data_access.income.projection import household_income_query
from data_access.income.store import income_basis
from data_access.indicators import (
    REGISTER_SOURCES,
    VISIT_SOURCES,
    Level,
    count_when,
    read_frame,
    rectification_progress,
    register_completeness,
    visit_coverage,
)
from data_access.models import (
    Circular,
    CircularColor,
    CircularTarget,
    Household,
    HouseholdWarning,
    IncomeRegister,
    RiskClearedBy,
    RiskStatus,
    Township,
    Village,
)
from data_access.periods import year_start
from data_access.scope import Scope, county_scope
from data_access.versions import INCOME_SOURCES, income_window, month_window
from data_access.warnings.deadlines import is_pending

COMPONENT_LABELS = {
    "visits": "走访覆盖不足",
    "registers": "收支登记不全",
    "below_line": "低于监测线",
    "income_fell": "收入下降",
    "overdue": "整改逾期",
    "circulars": "乡镇黑榜通报",
    "suspects": "数据疑点",
    "warnings": "预警待核实",
    "not_inspected": "久未暗访",
}

# Column headers of the risk table: four characters fit a narrow column at 1920 px.
COMPONENT_SHORT_LABELS = {
    "visits": "走访不足",
    "registers": "登记不全",
    "below_line": "低于线",
    "income_fell": "收入下降",
    "overdue": "整改逾期",
    "circulars": "黑榜通报",
    "suspects": "数据疑点",
    "warnings": "预警待核",
    "not_inspected": "久未暗访",
}

COUNT_COLUMNS = (
    "households",
    "registered",
    "assigned",
    "visited",
    "income_known",
    "below_line",
    "fell",
    "suspects",
    "overdue",
    "black_circulars",
    "warnings",
)


def village_income_risks(
    *, conn: Connection, scope: Scope, month: date, settings: Settings
) -> pd.DataFrame:
    """Per village: households with a projection, projected below the monitoring line, with
    income lower than last year, and data-check suspects (疑点户): risk cleared "by assistance"
    (帮扶消除) yet projected below the line, or on a public-welfare job (公益性岗位) with no wage
    income registered this year. A household with both suspicions counts once.

    Counted for the whole county once per data version and settings (data_access.caching);
    the villages of ``scope`` keep theirs.

    Columns: village_id, income_known, below_line, fell, suspects.
    """
    county = snapshot(
        conn=conn,
        kind="village_income_risks",
        month=month,
        key="village_id",
        fingerprint=settings_key(settings.income),
        sources=INCOME_SOURCES,
        window=income_window(month),
        compute=lambda: _village_income_risks(
            conn=conn, scope=county_scope(conn=conn), month=month, settings=settings
        ),
    )
    villages = conn.execute(select(Village.id).where(scope.covers(Village.township_id))).scalars()
    in_scope = county[county["village_id"].isin(set(villages))].reset_index(drop=True)
    return in_scope[["village_id", "income_known", "below_line", "fell", "suspects"]]


def _village_income_risks(
    *, conn: Connection, scope: Scope, month: date, settings: Settings
) -> pd.DataFrame:
    incomes = household_income_query(
        scope=scope, month=month, settings=settings.income, basis=income_basis(conn, month)
    ).subquery()
    wages = (
        select(IncomeRegister.household_id, func.sum(IncomeRegister.wage).label("wage"))
        .where(IncomeRegister.month.between(year_start(month), month))
        .group_by(IncomeRegister.household_id)
        .subquery("ytd_wages")
    )
    per_capita = incomes.c.projected_per_capita
    below = per_capita < literal(settings.income.line_for(month.year))
    suspect = or_(
        and_(
            Household.risk_status == RiskStatus.CLEARED,
            Household.risk_cleared_by == RiskClearedBy.ASSISTANCE,
            below,
        ),
        and_(Household.public_job.is_(True), func.coalesce(wages.c.wage, 0) <= 0),
    )
    query = (
        select(
            incomes.c.village_id,
            count_when(per_capita.is_not(None)),
            count_when(below),
            count_when(per_capita < incomes.c.last_year_per_capita),
            count_when(suspect),
        )
        .select_from(incomes)
        .join(Household, Household.id == incomes.c.household_id)
        .outerjoin(wages, wages.c.household_id == incomes.c.household_id)
        .group_by(incomes.c.village_id)
    )
    return read_frame(conn, query, ["village_id", "income_known", "below_line", "fell", "suspects"])


def township_black_circulars(
    *, conn: Connection, scope: Scope, today: date, window_days: int
) -> pd.DataFrame:
    """黑榜 circulars naming each township in the ``window_days`` days up to ``today``.

    Columns: township_id, black_circulars.
    """
    since = today - timedelta(days=window_days - 1)
    query = (
        select(Circular.township_id, func.count())
        .where(
            Circular.color == CircularColor.BLACK,
            Circular.target_kind == CircularTarget.TOWNSHIP,
            Circular.issued_on.between(since, today),
            scope.covers(Circular.township_id),
        )
        .group_by(Circular.township_id)
    )
    return read_frame(conn, query, ["township_id", "black_circulars"])


def village_registers_and_visits(
    *, conn: Connection, month: date, settings: Settings
) -> pd.DataFrame:
    """Every village of the county with households: the month's register completeness and
    帮扶干部 visit coverage, counted once per data version (data_access.caching).

    Columns: village_id, households, registered, assigned, visited.
    """
    county = county_scope(conn=conn)
    registers = snapshot(
        conn=conn,
        kind="village_registers",
        month=month,
        key="village_id",
        fingerprint=settings_key(settings.registers),
        sources=REGISTER_SOURCES,
        window=month_window(month),
        compute=lambda: register_completeness(
            conn=conn,
            scope=county,
            month=month,
            grace_days=settings.registers.grace_days,
            level=Level.VILLAGE,
        ),
    )
    visits = snapshot(
        conn=conn,
        kind="village_helper",
        month=month,
        key="village_id",
        fingerprint=settings_key(settings.visits.cadre_visits_per_month),
        sources=VISIT_SOURCES,
        window=month_window(month),
        compute=lambda: visit_coverage(
            conn=conn,
            scope=county,
            month=month,
            visits_per_month=settings.visits.cadre_visits_per_month,
            level=Level.VILLAGE,
        ),
    )
    return registers.merge(visits, on="village_id", how="outer").fillna(0).astype("int64")


def village_risk_components(
    *,
    conn: Connection,
    scope: Scope,
    month: date,
    today: date,
    settings: Settings,
    circular_window_days: int,
) -> pd.DataFrame:
    """Every village in scope with the raw counts its risk is computed from: the month's
    register completeness and 帮扶干部 visit coverage, income risks (see village_income_risks),
    rectification items overdue at ``today``, recent 黑榜 circulars against its township, and
    the date of its last 暗访 (None = never). Ordered by village code.

    Columns: village_id, township_id, township, village, last_inspected_on, COUNT_COLUMNS.
    """
    villages = pd.DataFrame(
        conn.execute(
            select(
                Village.id,
                Village.township_id,
                Township.name,
                Village.name,
                Village.last_inspected_on,
            )
            .join(Township, Township.id == Village.township_id)
            .where(scope.covers(Village.township_id))
            .order_by(Village.code)
        ).all(),
        columns=["village_id", "township_id", "township", "village", "last_inspected_on"],
    )
    parts = [
        # County-wide counts; the merge onto the villages in scope keeps theirs.
        village_registers_and_visits(conn=conn, month=month, settings=settings),
        village_income_risks(conn=conn, scope=scope, month=month, settings=settings),
        rectification_progress(conn=conn, scope=scope, on=today, level=Level.VILLAGE)[
            ["village_id", "overdue"]
        ],
        village_pending_warnings(conn=conn, scope=scope),
    ]
    table = villages
    for part in parts:
        table = table.merge(part, on="village_id", how="left")
    circulars = township_black_circulars(
        conn=conn, scope=scope, today=today, window_days=circular_window_days
    )
    table = table.merge(circulars, on="township_id", how="left")
    table[list(COUNT_COLUMNS)] = table[list(COUNT_COLUMNS)].fillna(0).astype("int64")
    table["last_inspected_on"] = [
        None if pd.isna(day) else pd.Timestamp(day).date() for day in table["last_inspected_on"]
    ]
    return table[
        ["village_id", "township_id", "township", "village", "last_inspected_on", *COUNT_COLUMNS]
    ]


def village_pending_warnings(*, conn: Connection, scope: Scope) -> pd.DataFrame:
    """Pending warnings per village (data_access.warnings: raised, unverified, condition still
    holding at the last check).

    Columns: village_id, warnings.
    """
    query = (
        select(HouseholdWarning.village_id, func.count())
        .where(scope.covers(HouseholdWarning.township_id), is_pending())
        .group_by(HouseholdWarning.village_id)
    )
    return read_frame(conn, query, ["village_id", "warnings"])


def _relative(values: pd.Series) -> pd.Series:
    """Values over their maximum (all 0 when the maximum is 0)."""
    top = values.max() if len(values) else 0
    return values / top if top and top > 0 else values * 0.0


def _share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).fillna(0.0)


def risk_scores(
    components: pd.DataFrame, *, today: date, settings: InspectionSettings
) -> pd.DataFrame:
    """village_risk_components plus days_since_inspected (NaN = never), one column
    ``c_<component>`` (0–1) per RISK_COMPONENTS and ``risk`` (0–1), riskiest first (pure).

    The relative components are relative to the villages in ``components``: pass the villages
    the draw chooses from.
    """
    table = components.copy()
    households = table["households"]
    table["days_since_inspected"] = [
        np.nan if day is None else float((today - day).days) for day in table["last_inspected_on"]
    ]
    table["c_visits"] = 1.0 - _share(table["visited"], table["assigned"]).where(
        table["assigned"] > 0, 1.0
    )
    table["c_registers"] = 1.0 - _share(table["registered"], households).where(households > 0, 1.0)
    table["c_below_line"] = _relative(_share(table["below_line"], households))
    table["c_income_fell"] = _relative(_share(table["fell"], households))
    table["c_overdue"] = _relative(table["overdue"].astype(float))
    table["c_circulars"] = _relative(table["black_circulars"].astype(float))
    table["c_suspects"] = _relative(_share(table["suspects"], households))
    table["c_warnings"] = _relative(_share(table["warnings"], households))
    days = table["days_since_inspected"]
    table["c_not_inspected"] = (
        (days.clip(lower=0) / settings.inspection_full_days).clip(upper=1.0).fillna(1.0)
    )
    weights = settings.weights
    total = sum(weights.values())
    table["risk"] = sum(weights[key] * table[f"c_{key}"] for key in RISK_COMPONENTS) / total
    return table.sort_values(["risk", "village_id"], ascending=[False, True]).reset_index(drop=True)


def _component_text(key: str, row: Mapping[str, Any], *, circular_window_days: int) -> str:
    if key == "visits":
        rate = row["visited"] / row["assigned"] if row["assigned"] else 0.0
        return f"走访覆盖率{rate:.0%}"
    if key == "registers":
        rate = row["registered"] / row["households"] if row["households"] else 0.0
        return f"收支登记完整率{rate:.0%}"
    if key == "below_line":
        return f"{row['below_line']}户预计低于监测线"
    if key == "income_fell":
        return f"{row['fell']}户收入较上年下降"
    if key == "overdue":
        return f"{row['overdue']}项整改逾期"
    if key == "circulars":
        return f"乡镇近{circular_window_days}天黑榜通报{row['black_circulars']}次"
    if key == "suspects":
        return f"{row['suspects']}户数据疑点"
    if key == "warnings":
        return f"{row['warnings']}条预警待核实"
    days = row["days_since_inspected"]
    return "从未暗访" if pd.isna(days) else f"{int(days)}天未暗访"


def risk_reasons(
    row: Mapping[str, Any], *, weights: dict[str, float], circular_window_days: int, limit: int = 3
) -> str:
    """The ``limit`` components adding most to the village's score, in words (pure); "无明显
    风险" when none adds anything."""
    contributions = sorted(
        ((weights[key] * row[f"c_{key}"], key) for key in RISK_COMPONENTS),
        key=lambda pair: (-pair[0], RISK_COMPONENTS.index(pair[1])),
    )
    texts = [
        _component_text(key, row, circular_window_days=circular_window_days)
        for contribution, key in contributions[:limit]
        if contribution > 0
    ]
    return "；".join(texts) or "无明显风险"


def household_weight(*, below_line: bool, fell: bool, at_risk: bool) -> float:
    """A household's weight in the draw within its village: 1, plus 1 for each of projected
    below the line, income lower than last year, risk not cleared (pure)."""
    return 1.0 + float(below_line) + float(fell) + float(at_risk)


def risk_formula(settings: InspectionSettings) -> list[tuple[str, str]]:
    """(component, how it is measured and weighted) rows for the page's method note."""
    total = sum(settings.weights.values())
    how = {
        "visits": "1 − 本月帮扶干部走访覆盖率",
        "registers": "1 − 本月收支登记完整率",
        "below_line": "预计人均纯收入低于监测线的户占比 ÷ 各村最高占比",
        "income_fell": "收入较上年下降的户占比 ÷ 各村最高占比",
        "overdue": "逾期未整改问题数 ÷ 各村最多数",
        "circulars": f"所在乡镇近 {settings.circular_window_days} 天黑榜通报次数 ÷ 各乡镇最多次数",
        "suspects": (
            "疑点户（帮扶消除但收入低于监测线；公益性岗位但本年无工资性收入）占比 ÷ 各村最高占比"
        ),
        "warnings": "待核实预警（见“预警核实”）条数 ÷ 户数，再 ÷ 各村最高值",
        "not_inspected": (
            f"距上次暗访天数 ÷ {settings.inspection_full_days}（封顶 1，从未暗访记 1）"
        ),
    }
    return [
        (
            COMPONENT_LABELS[key],
            f"{how[key]}；权重 {settings.weights[key] / total:.0%}",
        )
        for key in RISK_COMPONENTS
    ]
