"""The "两个高于": the households' growth against the office's benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    select,
)

from data_access.income.summary import IncomeGrowth
from data_access.models import (
    Benchmark,
    BenchmarkIndicator,
)


def benchmarks_for_year(*, conn: Connection, year: int) -> dict[str, float]:
    """The office's benchmarks of ``year``: indicator (BenchmarkIndicator value) → value."""
    query = select(Benchmark.indicator, Benchmark.value).where(Benchmark.year == year)
    return {indicator: float(value) for indicator, value in conn.execute(query).all()}


@dataclass(frozen=True)
class GrowthCheck:
    """One "高于" comparison: ``left`` must be higher than ``right`` (growth rates in percent)."""

    name: str
    left_label: str
    left: float | None
    right_label: str
    right: float | None

    @property
    def passed(self) -> bool | None:
        """True/False, or None when either figure is missing."""
        if self.left is None or self.right is None:
            return None
        return self.left > self.right

    @property
    def missing(self) -> list[str]:
        return [
            label
            for label, value in ((self.left_label, self.left), (self.right_label, self.right))
            if value is None
        ]


def two_higher_checks(growth: IncomeGrowth, benchmarks: dict[str, float]) -> list[GrowthCheck]:
    """The "两个高于" comparisons, and county GDP against the region's (pure)."""
    county = benchmarks.get(BenchmarkIndicator.COUNTY_RURAL_INCOME_GROWTH)
    return [
        GrowthCheck(
            "脱贫户收入增速高于全县农村居民",
            "脱贫户(含监测户)人均纯收入增速",
            growth.growth_percent,
            "县农村居民人均可支配收入增速",
            county,
        ),
        GrowthCheck(
            "全县农村居民收入增速高于全省",
            "县农村居民人均可支配收入增速",
            county,
            "省农村居民人均可支配收入增速",
            benchmarks.get(BenchmarkIndicator.PROVINCE_RURAL_INCOME_GROWTH),
        ),
        GrowthCheck(
            "县GDP增速高于全区",
            "县GDP增速",
            benchmarks.get(BenchmarkIndicator.COUNTY_GDP_GROWTH),
            "区GDP增速",
            benchmarks.get(BenchmarkIndicator.REGION_GDP_GROWTH),
        ),
    ]
