"""The 红黑榜: townships, villages (drill-down) and assisting units scored and ranked for a month.

The raw counts come from data_access/indicators.py (SQL), the arithmetic from
data_access/scoring.py (pure); this module joins the two and adds the names, the change of rank
since last month and the 红榜/黑榜 placement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, func, select

from config.settings import INDICATORS, Settings
from data_access.caching import cached_frame, settings_key
from data_access.indicators import (
    COUNT_COLUMNS,
    INDICATOR_SOURCES,
    Level,
    all_indicator_counts,
)
from data_access.models import AssistingUnit, Circular, CircularColor, Township, Village
from data_access.periods import month_end, previous_month, year_start
from data_access.scope import Scope
from data_access.scoring import (
    TIE_BREAK_RULE,
    ScoringRules,
    composite_scores,
    indicator_scores,
    rank_entities,
    red_black_lists,
    traffic_light,
    with_columns,
)
from data_access.snapshots import SNAPSHOT_LEVELS, indicator_counts
from data_access.versions import through_window


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    numerator: str
    denominator: str
    # In words; {helper_times} stands for the 帮扶干部 visits a month the settings ask,
    # {entry_days} for the days 纳入 may take after the first warning.
    explanation: str

    def explanation_for(self, settings: Settings) -> str:
        return self.explanation.format(
            helper_times=settings.visits.cadre_visits_per_month,
            entry_days=settings.warnings.entry_within_days,
        )

    def weighed(self, settings: Settings) -> bool:
        """Whether the composite counts it: an indicator of weight 0 is shown, unscored."""
        return settings.rankings.weights[self.key] > 0

    def label_for(self, settings: Settings) -> str:
        """Its name in a table's heading: marked when the composite does not count it."""
        return self.label if self.weighed(settings) else f"{self.label}（不计分）"


INDICATOR_DEFINITIONS: tuple[Indicator, ...] = (
    Indicator(
        "registers",
        "收支登记完整率",
        "registered",
        "households",
        "本月收支在月底前录入 APP 的户数 ÷ 脱贫户（含监测户）总户数",
    ),
    Indicator(
        "visits",
        "走访覆盖率",
        "visited",
        "assigned",
        "本月被其帮扶干部入户走访至少 {helper_times} 次的户数 ÷ 有帮扶干部的户数",
    ),
    Indicator(
        "tours",
        "遍访完成率",
        "tour_done",
        "tour_required",
        "年初至月底，第一书记、工作队员、村支书及乡镇党委书记、乡镇长每人遍访每户：已走访的人户"
        "（一名责任人走访一户计 1 人户）÷ 应走访的人户；目标按已过月份折算",
    ),
    Indicator(
        "rectification",
        "整改按期完成率",
        "closed_on_time",
        "due",
        "今年到期（截至月底）的整改问题中按期销号的比例",
    ),
    Indicator(
        "income_line",
        "收入达线率",
        "above_line",
        "income_known",
        "推算全年人均纯收入不低于当年监测收入标准的户数 ÷ 有收入数据的户数",
    ),
    Indicator(
        "income_growth",
        "收入增长率",
        "not_lower",
        "growth_known",
        "推算全年人均纯收入不低于上年的户数 ÷ 上年收入已知的户数",
    ),
    Indicator(
        "meetings",
        "专题会召开率",
        "meetings_recorded",
        "villages",
        "本月召开防返贫动态监测专题研究会并有会议记录的村 ÷ 村总数",
    ),
    Indicator(
        "warnings",
        "预警按期核实率",
        "verified_on_time",
        "warnings_due",
        "今年核实期限已到（截至月底）的预警中，在期限内入户核实的比例；"
        "期限前条件已消失、无需核实的预警不计",
    ),
    Indicator(
        "entry",
        "纳入及时率",
        "entered_on_time",
        "entered",
        "今年纳入监测（截至月底）的户中，自首次应纳未纳预警起 {entry_days} 天内纳入的比例；"
        "纳入前没有预警的户计为及时",
    ),
)
INDICATOR_BY_KEY = {indicator.key: indicator for indicator in INDICATOR_DEFINITIONS}
assert tuple(INDICATOR_BY_KEY) == INDICATORS, "indicators and settings must list the same keys"


def weighed_indicators(settings: Settings) -> tuple[Indicator, ...]:
    """The indicators the composite counts (weight above 0), in the catalogue's order: what a
    chart of contributions draws and a rank's reasons name."""
    return tuple(i for i in INDICATOR_DEFINITIONS if i.weighed(settings))


def scoring_rules(settings: Settings, month: date) -> ScoringRules:
    """The configured rules; the 遍访 target is prorated by the months of the year elapsed."""
    targets = dict(settings.rankings.targets)
    targets["tours"] = targets["tours"] * month.month / 12
    return ScoringRules(
        weights=settings.rankings.weights,
        targets=targets,
        red_circular_points=settings.rankings.red_circular_points,
        black_circular_points=settings.rankings.black_circular_points,
    )


def _entities(conn: Connection, scope: Scope, level: Level) -> pd.DataFrame:
    """Columns: <level>_id, code, name, township (the township's name for villages)."""
    if level is Level.TOWNSHIP:
        query = select(Township.id, Township.code, Township.name, Township.name).where(
            scope.covers(Township.id)
        )
    elif level is Level.VILLAGE:
        query = (
            select(Village.id, Village.code, Village.name, Township.name)
            .join(Township, Township.id == Village.township_id)
            .where(scope.covers(Village.township_id))
        )
    else:
        query = select(AssistingUnit.id, AssistingUnit.name, AssistingUnit.name, AssistingUnit.kind)
    return pd.DataFrame(conn.execute(query).all(), columns=[level.key, "code", "name", "township"])


def indicator_table(
    *, conn: Connection, scope: Scope, month: date, settings: Settings, level: Level
) -> pd.DataFrame:
    """One row per township, village or unit with its name, the raw counts of every indicator
    (``<key>_num``/``<key>_den``), the overdue items and the year's circulars.

    Townships and units come from the snapshot of the month (see snapshots.py); villages, only
    ever shown one township at a time, are aggregated live.
    """
    if level in SNAPSHOT_LEVELS:
        counts = indicator_counts(conn=conn, month=month, settings=settings, level=level)
    else:
        counts = all_indicator_counts(
            conn=conn, scope=scope, month=month, settings=settings, level=level
        )
    table = _entities(conn, scope, level).merge(counts, on=level.key, how="left")
    table[list(COUNT_COLUMNS)] = table[list(COUNT_COLUMNS)].fillna(0).astype("int64")
    table = with_columns(
        table,
        {
            f"{indicator.key}_{part}": table[column]
            for indicator in INDICATOR_DEFINITIONS
            for part, column in (("num", indicator.numerator), ("den", indicator.denominator))
        },
    )
    if level is Level.UNIT:
        # A unit with no households, villages, items or circulars in scope has nothing to rank.
        has_work = table[[*(f"{key}_den" for key in INDICATORS), "found"]].sum(axis=1) > 0
        table = table[has_work | (table["red_circulars"] + table["black_circulars"] > 0)]
    return table.reset_index(drop=True)


def ranking(
    *, conn: Connection, scope: Scope, month: date, settings: Settings, level: Level
) -> pd.DataFrame:
    """The month's ranking: raw counts, rates, scores, contributions, composite, rank, the change
    of rank since last month (positive = moved up), and placement.

    ``placement`` is 红榜/黑榜/"" in red_black mode, or 绿/黄/红 in traffic_light mode.
    """
    current = _scored(conn, scope, month, settings, level)
    before = _scored(conn, scope, previous_month(month), settings, level)[[level.key, "rank"]]
    current = current.merge(
        before.rename(columns={"rank": "previous_rank"}), on=level.key, how="left"
    )
    current["rank_change"] = current["previous_rank"] - current["rank"]
    if level is Level.UNIT:
        summoned = summon_circulars(
            conn=conn, on=month_end(month), window=settings.rankings.summon_window
        )
        current = current.merge(summoned, on="unit_id", how="left")
        current["summon_circulars"] = current["summon_circulars"].fillna(0).astype("int64")
    current["placement"] = placements(current, settings)
    return current


def _scored(
    conn: Connection, scope: Scope, month: date, settings: Settings, level: Level
) -> pd.DataFrame:
    """The month's scored and ranked table. Townships and units are kept in the database per
    data version, settings and scope (ranks are among the entities the reader sees): a rank
    trend scores a year of months, which took longer than every query it reads."""
    if level not in SNAPSHOT_LEVELS:
        return _score(conn, scope, month, settings, level)
    return cached_frame(
        conn=conn,
        name=f"ranking_{level.value}",
        month=month,
        fingerprint=settings_key(
            settings.rankings,
            settings.registers,
            settings.visits,
            settings.income,
            sorted(scope.township_ids),
        ),
        sources=INDICATOR_SOURCES,
        # The widest of the families' windows (rectification's: every month up to this one).
        window=through_window(month),
        compute=lambda: _score(conn, scope, month, settings, level),
    )


def _score(
    conn: Connection, scope: Scope, month: date, settings: Settings, level: Level
) -> pd.DataFrame:
    rules = scoring_rules(settings, month)
    table = indicator_table(conn=conn, scope=scope, month=month, settings=settings, level=level)
    scored = composite_scores(indicator_scores(table, INDICATORS, rules), INDICATORS, rules)
    return rank_entities(scored)


def placements(ranked: pd.DataFrame, settings: Settings) -> list[str]:
    """红榜/黑榜 (top and bottom list_size) or traffic lights, by the configured mode."""
    if settings.rankings.mode == "traffic_light":
        lights = {"green": "绿", "yellow": "黄", "red": "红"}
        return [
            lights[
                traffic_light(
                    score,
                    green_at=settings.rankings.green_at,
                    yellow_at=settings.rankings.yellow_at,
                )
            ]
            for score in ranked["composite"].fillna(0)
        ]
    red, black = red_black_lists(ranked, settings.rankings.list_size)
    marks = dict.fromkeys(red["rank"], "红榜") | dict.fromkeys(black["rank"], "黑榜")
    return [marks.get(rank, "") for rank in ranked["rank"]]


@dataclass(frozen=True)
class Roll:
    """One of the two lists every view of a ranking shows."""

    title: str
    # Ranked rows, the one to name first at the top (the best of the top list, the worst of
    # the bottom one).
    rows: pd.DataFrame
    # Whether its reasons name strengths (the top list) or shortfalls (the bottom one).
    strongest: bool


def rolls(ranked: pd.DataFrame, settings: Settings) -> tuple[Roll, Roll]:
    """The top and the bottom list of a ranking by the configured mode: 红榜 and 黑榜
    (red_black), or the green and the red lights (traffic_light). 总览, 红黑榜, the wall and the
    briefing all show these two, whichever the mode."""
    if settings.rankings.mode == "traffic_light":
        top, bottom = ("绿灯", "绿"), ("红灯", "红")
    else:
        top, bottom = ("红榜", "红榜"), ("黑榜", "黑榜")
    return (
        Roll(top[0], ranked[ranked["placement"] == top[1]], strongest=True),
        Roll(bottom[0], ranked[ranked["placement"] == bottom[1]].iloc[::-1], strongest=False),
    )


def rank_history(
    *, conn: Connection, scope: Scope, month: date, settings: Settings, months: int = 12
) -> pd.DataFrame:
    """Township ranks over the ``months`` months up to ``month``.

    Columns: month, township_id, name, rank, composite.
    """
    frames = []
    current = month
    for _ in range(months):
        ranked = _scored(conn, scope, current, settings, Level.TOWNSHIP)
        frames.append(ranked[["township_id", "name", "rank", "composite"]].assign(month=current))
        current = previous_month(current)
    return pd.concat(frames, ignore_index=True)[
        ["month", "township_id", "name", "rank", "composite"]
    ]


def unit_circulars(*, conn: Connection, scope: Scope, year: int) -> pd.DataFrame:
    """Circulars naming assisting units in ``year`` (published, so not narrowed by scope).

    Columns: issued_on, doc_no, unit, color, reason.
    """
    query = (
        select(
            Circular.issued_on, Circular.doc_no, AssistingUnit.name, Circular.color, Circular.reason
        )
        .join(AssistingUnit, AssistingUnit.id == Circular.unit_id)
        .where(Circular.issued_on.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(Circular.issued_on.desc())
    )
    return pd.DataFrame(
        conn.execute(query).all(), columns=["issued_on", "doc_no", "unit", "color", "reason"]
    )


def summon_circulars(*, conn: Connection, on: date, window: str) -> pd.DataFrame:
    """黑榜 circulars naming each assisting unit up to the end of day ``on``: this calendar
    year's (``window`` "year") or all on record ("all"), as ``[rankings] summon_window`` says.
    Units are named county-wide: no scope.

    Columns: unit_id, summon_circulars.
    """
    since = year_start(on) if window == "year" else date.min
    query = (
        select(Circular.unit_id, func.count())
        .where(
            Circular.color == CircularColor.BLACK,
            Circular.unit_id.is_not(None),
            Circular.issued_on.between(since, on),
        )
        .group_by(Circular.unit_id)
    )
    return pd.DataFrame(conn.execute(query).all(), columns=["unit_id", "summon_circulars"])


def summon_flags(units: pd.DataFrame, settings: Settings) -> pd.Series:
    """True where a unit's 黑榜 circulars reached the 约谈 limit ("累计通报3次") over the
    configured window (``summon_circulars``, a column of the units' ranking)."""
    return units["summon_circulars"] >= settings.rankings.summon_limit


def rank_reason(
    row: pd.Series, *, indicators: tuple[Indicator, ...], strongest: bool, count: int = 2
) -> str:
    """The indicators behind a rank in words: of ``indicators`` (weighed_indicators: one the
    composite does not count is no reason), the weakest (or strongest) ``count`` by score,
    e.g. "短板：走访覆盖率 65.1%、专题会召开率 60.0%"."""
    scored = [
        (row[f"{indicator.key}_score"], indicator)
        for indicator in indicators
        if pd.notna(row[f"{indicator.key}_score"])
    ]
    if not scored:
        return "无数据"
    if strongest and all(score >= 100 for score, _ in scored):
        return "各项指标均达到目标"
    scored.sort(key=lambda pair: pair[0], reverse=strongest)
    parts = [f"{i.label} {row[f'{i.key}_rate'] * 100:.1f}%" for _, i in scored[:count]]
    return ("长处：" if strongest else "短板：") + "、".join(parts)


def methodology_rows(settings: Settings, month: date) -> list[tuple[str, str]]:
    """How the ranking is computed, in words, generated from the settings in force."""
    rules = scoring_rules(settings, month)
    total = sum(rules.weights.values())
    rows = [
        (
            "综合得分",
            "各项指标得分按权重加权平均，再加上红榜通报加分、减去黑榜通报减分。"
            "某项指标无数据时不计为 0 分，其权重按比例分给其余指标，并标注“数据缺项”。",
        ),
        ("指标得分", "指标得分 = min(完成率 ÷ 目标值, 1) × 100，达到目标即得满分 100 分。"),
    ]
    for indicator in INDICATOR_DEFINITIONS:
        weight = rules.weights[indicator.key] / total
        target = rules.targets[indicator.key]
        weighing = (
            f"权重 {weight:.0%}；目标 {target:.1%}。"
            if indicator.weighed(settings)
            else "权重 0，仅展示完成率，不计入综合得分（可在配置中设定权重）。"
        )
        rows.append((indicator.label, f"{weighing}口径：{indicator.explanation_for(settings)}。"))
    rankings = settings.rankings
    rows.append(
        (
            "通报",
            f"本年度每次红榜通报加 {rankings.red_circular_points:g} 分，"
            f"每次黑榜通报减 {rankings.black_circular_points:g} 分；"
            f"帮扶单位{rankings.summon_words}，约谈单位主要领导。",
        )
    )
    if rankings.mode == "traffic_light":
        green, yellow = f"{rankings.green_at:g}", f"{rankings.yellow_at:g}"
        placement = f"综合得分 ≥ {green} 为绿色，≥ {yellow} 为黄色，其余为红色。"
    else:
        placement = f"排名前 {rankings.list_size} 名列入红榜，后 {rankings.list_size} 名列入黑榜。"
    rows += [("榜单", placement), ("同分处理", TIE_BREAK_RULE)]
    return rows
