"""Household incomes: a believable per-capita level per year, split into sources and months.

The model works in three steps:

1. a per-capita net income per household and year: a 2022 level (centred near 14,000 yuan, lower
   without labour capacity, under monitoring or in a weak township) grown 6–9 % a year, with a
   few households hit by a shock (illness, lost job) in some year;
2. the bottom line: most households that would fall below the year's monitoring line are lifted
   just above it by transfers (兜底保障), fewer in weak townships and while risk is not cleared,
   which is what leaves "tens below the line" and a pile-up just above it;
3. sources and months: a fixed mix per household (wages ~64 %, business ~18 %, property ~2 %,
   transfers ~16 % for households with labour), spread over the months with each source's
   season and some noise, in whole yuan.

A year's statistics row (income_years) is the sum of that year's twelve months, so for a
household whose registers are complete it equals the sum of its registers exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_access.demo.county import County
from data_access.demo.people import Households
from data_access.demo.plan import stream
from data_access.models import RiskClearedBy

BASE_YEAR = 2022
# Median of households with labour, not monitored, in a strong township; the county's overall
# median comes out near 14,000 yuan (the speech's 14,342 for 2022).
BASE_MEDIAN = 15_000.0
BASE_SPREAD = 0.30
# Level of per-capita income relative to a household with labour, not monitored.
NO_LABOUR_LEVEL = 0.62
AT_RISK_LEVEL = 0.74
CLEARED_LEVEL = 0.95
GROWTH = (0.072, 0.02)  # mean and spread of yearly growth
SHOCK_CHANCE = 0.012
SHOCK_CHANCE_EXTRA = {"weak": 0.012, "no_labour": 0.02}
SHOCK_GROWTH = (-0.30, -0.06)
# Chance a household below the line is lifted above it by transfers.
FLOOR_CHANCE = {"strong": 0.93, "weak": 0.80, "at_risk": 0.70}
FLOOR_ABOVE_LINE = (1.005, 1.07)
MEMBERS_CHANGE_CHANCE = 0.03

SOURCES = ("wage", "business", "property", "transfer")
SOURCE_MIX = {"labour": (0.64, 0.18, 0.02, 0.16), "no_labour": (0.10, 0.08, 0.02, 0.80)}
SOURCE_MIX_CONCENTRATION = 40.0
# Production costs eat this share of business income.
COST_RATIO = (0.35, 0.55)
# Living expenses as a share of net income.
EXPENDITURE_RATIO = (0.60, 0.85)
# Households spending more than they earn: this many per planted data suspect, at this ratio.
LARGE_SPENDERS = 4
LARGE_EXPENSE_RATIO = (1.3, 2.2)
# Share of each month in a year's total, January to December.
SEASONS = {
    # Migrant workers bring their wages home for the Spring Festival.
    "wage": (0.12, 0.13, 0.06, 0.07, 0.07, 0.07, 0.07, 0.07, 0.07, 0.07, 0.08, 0.12),
    # Harvest and sales in late summer and autumn.
    "business": (0.05, 0.04, 0.04, 0.05, 0.06, 0.08, 0.09, 0.11, 0.13, 0.14, 0.12, 0.09),
    # Collective dividends at the year's end.
    "property": (*[0.075] * 11, 0.175),
    # Pensions monthly, farmland subsidies in April, further subsidies in September and December.
    "transfer": (0.07, 0.07, 0.07, 0.14, 0.07, 0.07, 0.07, 0.07, 0.12, 0.07, 0.07, 0.11),
    # Seed, fertiliser and young animals are bought in spring.
    "production_cost": (0.04, 0.06, 0.14, 0.15, 0.12, 0.09, 0.08, 0.07, 0.07, 0.07, 0.06, 0.05),
    # Spending peaks at the Spring Festival and when school starts.
    "expenditure": (0.09, 0.13, 0.08, 0.08, 0.08, 0.07, 0.07, 0.08, 0.10, 0.07, 0.07, 0.08),
}
MONTHLY_NOISE = 0.10


@dataclass(frozen=True)
class IncomeModel:
    """The true yearly incomes of every household, by year."""

    per_capita: dict[int, np.ndarray]
    members: dict[int, np.ndarray]
    # Transfers added to reach the line (兜底), per household and year, yuan for the household.
    floor_transfer: dict[int, np.ndarray]
    # Gross share of each of SOURCES (rows sum to 1) and production cost over business income.
    mix: np.ndarray
    cost_ratio: np.ndarray
    expenditure_ratio: np.ndarray


def build_income_model(county: County) -> IncomeModel:
    """Incomes of the as-of year and the two before it.

    Raises SettingsError when the settings lack the monitoring line of one of those years.
    """
    rng = stream(county.seed, "income")
    households, conduct, settings = county.households, county.conduct, county.settings.income
    years = range(county.timeline.year - 2, county.timeline.year + 1)
    data_suspects = county.sizes.data_suspects
    count = len(households)
    weak = conduct.weak_townships[households.township]
    at_risk = households.monitored & np.isnat(households.risk_cleared_on)
    cleared = ~np.isnat(households.risk_cleared_on)
    level = (
        conduct.income_level[households.township]
        * np.where(households.has_labour, 1.0, NO_LABOUR_LEVEL)
        * np.select([at_risk, cleared], [AT_RISK_LEVEL, CLEARED_LEVEL], 1.0)
        * np.exp(-0.02 * (households.members - 3.5))
    )
    base = BASE_MEDIAN * level * np.exp(BASE_SPREAD * rng.standard_normal(count))
    growth = _growth_paths(rng, households, weak, years)

    floor_chance = np.where(
        at_risk,
        FLOOR_CHANCE["at_risk"],
        np.where(weak, FLOOR_CHANCE["weak"], FLOOR_CHANCE["strong"]),
    )
    # Cleared households were cleared because their income is above the line…
    floor_chance = np.where(cleared, 1.0, floor_chance)
    suspects = _cleared_by_assistance_below_line(rng, households, data_suspects)
    members = _members_by_year(rng, households.members, years)
    per_capita: dict[int, np.ndarray] = {}
    floor_transfer: dict[int, np.ndarray] = {}
    for year in years:
        line = settings.line_for(year)
        natural = base * growth[year]
        lifted = (natural < line) & (rng.random(count) < floor_chance)
        target = line * rng.uniform(*FLOOR_ABOVE_LINE, size=count)
        income = np.where(lifted, target, natural)
        # …except a few that a data check should catch (帮扶消除 yet below the line).
        if year >= years[-2]:
            income[suspects] = line * rng.uniform(0.85, 0.97, size=suspects.size)
            lifted[suspects] = False
        per_capita[year] = income
        floor_transfer[year] = np.where(lifted, (target - natural) * members[year], 0.0)

    mix = _source_mix(rng, households, data_suspects)
    cost_ratio = rng.uniform(*COST_RATIO, size=count)
    expenditure_ratio = rng.uniform(*EXPENDITURE_RATIO, size=count)
    # A few households not under monitoring spend more than they earn (an illness, a house
    # rebuilt): what the 应纳未纳·支出骤增 check exists to catch.
    outside = np.flatnonzero(~households.monitored)
    spenders = rng.choice(outside, size=min(LARGE_SPENDERS * data_suspects, outside.size))
    expenditure_ratio[spenders] = rng.uniform(*LARGE_EXPENSE_RATIO, size=spenders.size)
    return IncomeModel(
        per_capita=per_capita,
        members=members,
        floor_transfer=floor_transfer,
        mix=mix,
        cost_ratio=cost_ratio,
        expenditure_ratio=expenditure_ratio,
    )


def _growth_paths(
    rng: np.random.Generator, households: Households, weak: np.ndarray, years: range
) -> dict[int, np.ndarray]:
    """Income of each year relative to BASE_YEAR, per household."""
    count = len(households)
    first, last = min(years[0], BASE_YEAR), max(years[-1], BASE_YEAR)
    shock_chance = (
        SHOCK_CHANCE
        + SHOCK_CHANCE_EXTRA["weak"] * weak
        + SHOCK_CHANCE_EXTRA["no_labour"] * ~households.has_labour
    )
    log_level = {first: np.zeros(count)}
    for year in range(first + 1, last + 1):
        growth = rng.normal(*GROWTH, size=count)
        shocked = rng.random(count) < shock_chance
        growth[shocked] = rng.uniform(*SHOCK_GROWTH, size=shocked.sum())
        log_level[year] = log_level[year - 1] + np.log1p(growth)
    return {year: np.exp(log_level[year] - log_level[BASE_YEAR]) for year in years}


def _members_by_year(
    rng: np.random.Generator, members: np.ndarray, years: range
) -> dict[int, np.ndarray]:
    """Household size per year: today's, with an occasional birth, death or move before."""
    by_year = {years[-1]: members}
    for year in reversed(years[:-1]):
        later = by_year[year + 1]
        change = np.where(
            rng.random(later.size) < MEMBERS_CHANGE_CHANCE, rng.choice([-1, 1], later.size), 0
        )
        by_year[year] = np.maximum(1, later + change)
    return by_year


def _cleared_by_assistance_below_line(
    rng: np.random.Generator, households: Households, count: int
) -> np.ndarray:
    candidates = np.flatnonzero(households.risk_cleared_by == RiskClearedBy.ASSISTANCE.value)
    return rng.choice(candidates, size=min(count, candidates.size), replace=False)


def _source_mix(rng: np.random.Generator, households: Households, data_suspects: int) -> np.ndarray:
    """Gross income shares per source; a few 公益性岗位 holders show no wage at all (a data
    check should catch them)."""
    count = len(households)
    labour = rng.dirichlet(np.array(SOURCE_MIX["labour"]) * SOURCE_MIX_CONCENTRATION, size=count)
    no_labour = rng.dirichlet(
        np.array(SOURCE_MIX["no_labour"]) * SOURCE_MIX_CONCENTRATION, size=count
    )
    mix = np.where(households.has_labour[:, None], labour, no_labour)
    jobs = np.flatnonzero(households.public_job)
    no_wage = rng.choice(jobs, size=min(data_suspects, jobs.size), replace=False)
    mix[no_wage, SOURCES.index("transfer")] += mix[no_wage, SOURCES.index("wage")]
    mix[no_wage, SOURCES.index("wage")] = 0.0
    return mix


def monthly_amounts(seed: int, model: IncomeModel, year: int) -> dict[str, np.ndarray]:
    """Each household's amounts for the twelve months of ``year``: source → array (households,
    12) in whole yuan, plus production_cost and expenditure."""
    rng = stream(seed, f"income-months-{year}")
    net = model.per_capita[year] * model.members[year]
    natural_net = net - model.floor_transfer[year]
    business_share = model.mix[:, SOURCES.index("business")]
    gross = natural_net / (1 - business_share * model.cost_ratio)
    annual = {source: gross * model.mix[:, i] for i, source in enumerate(SOURCES)}
    annual["transfer"] = annual["transfer"] + model.floor_transfer[year]
    annual["production_cost"] = annual["business"] * model.cost_ratio
    annual["expenditure"] = net * model.expenditure_ratio
    return {name: _spread_over_months(rng, total, SEASONS[name]) for name, total in annual.items()}


def _spread_over_months(
    rng: np.random.Generator, annual: np.ndarray, season: tuple[float, ...]
) -> np.ndarray:
    weights = np.asarray(season) * rng.lognormal(0.0, MONTHLY_NOISE, size=(annual.size, 12))
    weights /= weights.sum(axis=1, keepdims=True)
    return np.round(annual[:, None] * weights)


def income_year_columns(county: County, model: IncomeModel) -> dict:
    """Full-year statistics of the two years before the as-of year (the as-of year's own figure
    is projected from its registers)."""
    count = len(county.households)
    years = [county.timeline.year - 2, county.timeline.year - 1]
    amounts = {year: monthly_amounts(county.seed, model, year) for year in years}
    return {
        "household_id": np.tile(np.arange(1, count + 1), len(years)),
        "year": np.repeat(years, count),
        "members": np.concatenate([model.members[year] for year in years]),
        **{
            name: np.concatenate([amounts[year][name].sum(axis=1) for year in years])
            for name in (*SOURCES, "production_cost")
        },
    }
