"""Filling the database caches after the data changed (a seed, an import), so that the first
page views of the new data version read snapshots instead of aggregating."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy import Engine

from config.settings import Settings
from data_access.income.projection import warm_projections
from data_access.income.store import warm_income
from data_access.income.structure import income_structure
from data_access.indicators import Level
from data_access.overview import briefing
from data_access.periods import previous_month
from data_access.rankings import rank_history, ranking
from data_access.risk import village_registers_and_visits
from data_access.scope import county_scope
from data_access.snapshots import warm
from data_access.visits import (
    cadres_with_unvisited_households,
    township_leader_tours,
    village_coverage,
)

# Months of township snapshots behind a 12-month rank trend, and of unit snapshots (the latest
# months a reader looks at).
WARM_MONTHS = {Level.TOWNSHIP: 13, Level.UNIT: 3}
# The latest months of income sums and visit-map counts: the default period and its neighbours.
WARM_RECENT_MONTHS = 3


def warm_caches(engine: Engine, *, settings: Settings, last_month: date) -> str:
    """Precompute what the first page views need up to ``last_month``: a year of township ranking
    snapshots and their scores, the latest months of unit snapshots, income sums and
    projections, and the village counts of the visit map and of the 暗访 risk.
    Returns a line for a report."""
    started = time.perf_counter()
    computed = sum(
        warm(engine, settings=settings, last_month=last_month, months=months, levels=[level])
        for level, months in WARM_MONTHS.items()
    )
    recent = [last_month]
    while len(recent) < WARM_RECENT_MONTHS:
        recent.append(previous_month(recent[-1]))
    income = warm_income(engine, recent)
    with engine.connect() as conn:
        scope = county_scope(conn=conn)
        # The published 红黑榜 of the latest month and the townships' rank trend, scored.
        for level in WARM_MONTHS:
            ranking(conn=conn, scope=scope, month=last_month, settings=settings, level=level)
        rank_history(
            conn=conn,
            scope=scope,
            month=last_month,
            settings=settings,
            months=WARM_MONTHS[Level.TOWNSHIP],
        )
        for month in recent:
            village_coverage(conn=conn, scope=scope, month=month, settings=settings.visits)
            cadres_with_unvisited_households(
                conn=conn,
                scope=scope,
                month=month,
                visits_per_month=settings.visits.cadre_visits_per_month,
            )
            township_leader_tours(
                conn=conn,
                scope=scope,
                month=month,
                township_roles=settings.visits.township_tour_roles,
            )
            village_registers_and_visits(conn=conn, month=month, settings=settings)
            income_structure(conn=conn, scope=scope, month=month)
            warm_projections(conn=conn, month=month, settings=settings.income)
            # The briefing's household counts and income alerts of the month and the one before.
            briefing(
                conn=conn,
                scope=scope,
                month=month,
                today=settings.clock.reporting_date(),
                settings=settings,
            )
    return (
        f"  汇总快照：排名 {computed} 个、收入 {income} 个月、走访 {len(recent)} 个月，"
        f"用时 {time.perf_counter() - started:.1f} 秒"
    )
