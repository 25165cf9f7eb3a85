"""Typed, validated settings read from ``config/settings.toml``.

``load_settings()`` is the one way in. A wrong value stops start-up with a ``SettingsError`` whose
message names the key and the problem, so an office IT person can fix the file without reading code.
"""

from __future__ import annotations

import difflib
import itertools
import os
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.clock import Clock
from data_access.models import CadreRole

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config" / "settings.toml"

PROJECTION_METHODS = ("same_months_last_year", "linear")
RANKING_MODES = ("red_black", "traffic_light")
# Over which circulars the 约谈 limit is counted, with the words the pages print beside it.
SUMMON_WINDOWS = {"year": "本年度", "all": "累计"}
DEPLOYMENTS = ("demo", "production")
MEETING_PANELS = ("overview", "rankings", "rectification", "income", "visits", "warnings")
INDICATORS = (
    "registers",
    "visits",
    "tours",
    "rectification",
    "income_line",
    "income_growth",
    "meetings",
    "warnings",
    "entry",
)
# Duty holders a tour may name: the roles the data knows (data_access.models.CadreRole).
CADRE_ROLES = tuple(role.value for role in CadreRole)
# 预警 rules (data_access/warnings/rules.py holds their SQL): id → (group, its parameters and
# the bounds each may take). A rule the settings name must be one of these, with exactly these.
WARNING_GROUPS = ("应纳未纳", "退出不准", "纳入不及时", "信息疑点")
WARNING_RULES: dict[str, tuple[str, dict[str, tuple[float, float | None]]]] = {
    "below_line_margin": ("应纳未纳", {"margin": (0.0, None)}),
    "income_drop": ("应纳未纳", {"share": (0.0, 1.0)}),
    "large_expense": ("应纳未纳", {"share": (0.0, None)}),
    "cleared_below_line": ("退出不准", {}),
    "cleared_too_soon": ("退出不准", {"months": (1.0, None)}),
    "cleared_without_labour": ("退出不准", {}),
    "late_entry": ("纳入不及时", {"days": (1.0, None)}),
    "public_job_no_wage": ("信息疑点", {}),
    "monitored_no_helper": ("信息疑点", {}),
    "no_registers": ("信息疑点", {"months": (1.0, None)}),
    "no_visit": ("信息疑点", {"days": (1.0, None)}),
    "missing_documents": ("信息疑点", {}),
}
WARNING_SEVERITIES = {"high": "高", "medium": "中", "low": "低"}
# Components of a village's 暗访 risk score (data_access/risk.py), in display order.
RISK_COMPONENTS = (
    "visits",
    "registers",
    "below_line",
    "income_fell",
    "overdue",
    "circulars",
    "suspects",
    "warnings",
    "not_inspected",
)


class SettingsError(ValueError):
    """The settings file is missing, unreadable or holds an invalid value."""


@dataclass(frozen=True)
class CountySettings:
    name: str
    division_code: str


@dataclass(frozen=True)
class AppSettings:
    period_lag_days: int


@dataclass(frozen=True)
class AuthSettings:
    deployment: str
    idle_timeout_minutes: int
    max_failed_logins: int
    lockout_minutes: int
    # A sign-in lasts at most this long, however active (then the password is asked again).
    session_days: int
    # The 大屏 account's idle limit (a wall shows for hours without a click).
    display_idle_minutes: int

    @property
    def production(self) -> bool:
        return self.deployment == "production"


@dataclass(frozen=True)
class IncomeSettings:
    monitoring_line: dict[int, float]
    band_edges: tuple[float, ...]
    alert_thresholds: tuple[float, ...]
    projection_method: str
    projection_min_months: int

    def line_for(self, year: int) -> float:
        """The monitoring line of ``year``; raises SettingsError when the year has none."""
        try:
            return self.monitoring_line[year]
        except KeyError:
            raise SettingsError(
                f"配置错误 income.monitoring_line：缺少 {year} 年的监测收入标准"
            ) from None

    def band_edges_for(self, year: int) -> tuple[float, ...]:
        """All band edges of ``year`` in ascending order, the monitoring line included."""
        return tuple(sorted({*self.band_edges, self.line_for(year)}))


@dataclass(frozen=True)
class RegisterSettings:
    grace_days: int


@dataclass(frozen=True)
class VisitSettings:
    cadre_visits_per_month: int
    village_tour_roles: tuple[str, ...]
    township_tour_roles: tuple[str, ...]
    grid_visits_per_month: int


@dataclass(frozen=True)
class RectificationSettings:
    due_soon_days: int
    urgent_days: int
    warning_days: int
    pace_window_days: int
    ledger_rows: int


@dataclass(frozen=True)
class RankingSettings:
    mode: str
    list_size: int
    green_at: float
    yellow_at: float
    red_circular_points: float
    black_circular_points: float
    summon_limit: int
    summon_window: str
    weights: dict[str, float]
    targets: dict[str, float]

    @property
    def summon_window_words(self) -> str:
        """ "本年度" or "累计": the circulars the 约谈 limit counts."""
        return SUMMON_WINDOWS[self.summon_window]

    @property
    def summon_words(self) -> str:
        """The 约谈 rule as the pages print it beside the flag: "本年度黑榜通报 3 次"."""
        return f"{self.summon_window_words}黑榜通报 {self.summon_limit} 次"


@dataclass(frozen=True)
class MeetingSettings:
    panels: tuple[str, ...]
    seconds_per_panel: int
    refresh_seconds: int
    stale_after_minutes: int
    chart_rows: int


@dataclass(frozen=True)
class InspectionSettings:
    villages_per_draw: int
    households_per_village: int
    team_size: int
    exclusion_days: int
    lifted_income_band: float
    circular_window_days: int
    inspection_full_days: int
    rectification_deadline_days: int
    # Risk component (RISK_COMPONENTS) → weight.
    weights: dict[str, float]


@dataclass(frozen=True)
class WarningRule:
    id: str
    name: str
    group: str
    severity: str
    # The rule's parameters (WARNING_RULES names them): a margin in yuan, a share, months, days.
    params: dict[str, float]

    def param(self, name: str) -> float:
        return self.params[name]


@dataclass(frozen=True)
class WarningSettings:
    # Days a village team has to verify a warning, by severity (WARNING_SEVERITIES).
    verify_within_days: dict[str, int]
    # Days past that deadline after which an unverified warning becomes a rectification item.
    escalate_after_days: int
    # The rules in force, in the order the page lists them.
    rules: tuple[WarningRule, ...]
    # Days from the first 应纳未纳 warning within which 纳入 counts as timely: the 纳入不及时
    # rule's ``days``, read even while that rule is switched off (the 纳入及时率 indicator).
    entry_within_days: int

    def rule(self, rule_id: str) -> WarningRule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


@dataclass(frozen=True)
class ImportSettings:
    max_file_mb: int
    max_rows: int
    max_uncompressed_mb: int
    max_compression_ratio: int
    max_rejected_stored: int
    preview_rows: int

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def max_uncompressed_bytes(self) -> int:
        return self.max_uncompressed_mb * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    county: CountySettings
    database_url: str
    app: AppSettings
    auth: AuthSettings
    income: IncomeSettings
    registers: RegisterSettings
    visits: VisitSettings
    rectification: RectificationSettings
    rankings: RankingSettings
    meeting: MeetingSettings
    inspection: InspectionSettings
    imports: ImportSettings
    warnings: WarningSettings
    # The one clock ([clock]): its reporting date and its wall clock.
    clock: Clock
    source: Path


class _Reader:
    """Reads typed values out of the parsed TOML, naming the full key in every error, and
    remembers what it read: a key nobody reads is a typing error (``grace_dayz``) that would
    otherwise leave the default in force unnoticed."""

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self._data = data
        self._prefix = prefix
        self._read: set[str] = set()
        self._sections: list[_Reader] = []

    def _key(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def _raw(self, name: str) -> Any:
        if name not in self._data:
            raise SettingsError(f"配置错误 {self._key(name)}：缺少此项")
        self._read.add(name)
        return self._data[name]

    def section(self, name: str) -> _Reader:
        value = self._raw(name)
        if not isinstance(value, dict):
            raise SettingsError(f"配置错误 {self._key(name)}：应为一个表（[section]）")
        child = _Reader(value, f"{self._key(name)}.")
        self._sections.append(child)
        return child

    def refuse_unknown(self) -> None:
        """Raise SettingsError naming every key that was never read, with the likely meant one."""
        unknown = []
        for name in self._data:
            if name not in self._read:
                close = difflib.get_close_matches(name, list(self._read), n=1)
                hint = f"（是否应为 {self._key(close[0])}？）" if close else ""
                unknown.append(f"{self._key(name)}{hint}")
        if unknown:
            raise SettingsError(f"配置错误：未知的配置项 {'、'.join(unknown)}，请删除或改正")
        for child in self._sections:
            child.refuse_unknown()

    def text(self, name: str, *, allow_empty: bool = False) -> str:
        value = self._raw(name)
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            raise SettingsError(f"配置错误 {self._key(name)}：应为非空文字，实为 {value!r}")
        return value.strip()

    def integer(self, name: str, *, minimum: int = 0) -> int:
        value = self._raw(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"配置错误 {self._key(name)}：应为整数，实为 {value!r}")
        if value < minimum:
            raise SettingsError(f"配置错误 {self._key(name)}：不能小于 {minimum}，实为 {value}")
        return value

    def number(self, name: str, *, minimum: float = 0.0, maximum: float | None = None) -> float:
        value = self._raw(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"配置错误 {self._key(name)}：应为数字，实为 {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"{minimum} 到 {maximum}" if maximum is not None else f"不小于 {minimum}"
            raise SettingsError(f"配置错误 {self._key(name)}：应在 {bound} 之间，实为 {value}")
        return float(value)

    def boolean(self, name: str) -> bool:
        value = self._raw(name)
        if not isinstance(value, bool):
            raise SettingsError(f"配置错误 {self._key(name)}：应为 true 或 false，实为 {value!r}")
        return value

    def choice(self, name: str, options: tuple[str, ...]) -> str:
        value = self.text(name)
        if value not in options:
            raise SettingsError(
                f"配置错误 {self._key(name)}：应为 {' / '.join(options)} 之一，实为 {value!r}"
            )
        return value

    def texts(self, name: str, *, options: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = self._raw(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"配置错误 {self._key(name)}：应为非空的文字列表，实为 {value!r}")
        if options is not None:
            unknown = [v for v in value if v not in options]
            if unknown:
                raise SettingsError(
                    f"配置错误 {self._key(name)}：未知的{'、'.join(unknown)}，"
                    f"可选 {' / '.join(options)}"
                )
        return tuple(value)

    def ascending_numbers(self, name: str) -> tuple[float, ...]:
        value = self._raw(name)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            raise SettingsError(f"配置错误 {self._key(name)}：应为非空的数字列表，实为 {value!r}")
        if any(b <= a for a, b in itertools.pairwise(value)) or value[0] <= 0:
            raise SettingsError(f"配置错误 {self._key(name)}：应为严格递增的正数，实为 {value!r}")
        return tuple(float(v) for v in value)

    def optional_date(self, name: str) -> date | None:
        value = self._raw(name)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise SettingsError(f"配置错误 {self._key(name)}：应为 YYYY-MM-DD 日期或空，实为 {value!r}")

    def optional_datetime(self, name: str) -> datetime | None:
        value = self._raw(name)
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(microsecond=0)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                return parsed.replace(microsecond=0)
        raise SettingsError(
            f"配置错误 {self._key(name)}：应为 YYYY-MM-DD HH:MM:SS 时刻（不带时区）或空，"
            f"实为 {value!r}"
        )

    def time_zone(self, name: str) -> str:
        value = self.text(name)
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"配置错误 {self._key(name)}：未知的时区 {value!r}"
                "（应为 IANA 时区名，如 Asia/Shanghai）"
            ) from None
        return value

    def yearly_amounts(self, name: str) -> dict[int, float]:
        value = self._raw(name)
        if not isinstance(value, dict) or not value:
            raise SettingsError(f"配置错误 {self._key(name)}：应为“年份 = 金额”的表")
        result: dict[int, float] = {}
        for year, amount in value.items():
            if not (str(year).isdigit() and 2000 <= int(year) <= 2100):
                raise SettingsError(f"配置错误 {self._key(name)}.{year}：年份无效")
            if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
                raise SettingsError(
                    f"配置错误 {self._key(name)}.{year}：应为正数金额，实为 {amount!r}"
                )
            result[int(year)] = float(amount)
        return result

    def indicator_numbers(self, name: str, *, maximum: float | None = None) -> dict[str, float]:
        table = self.section(name)
        return {key: table.number(key, maximum=maximum) for key in INDICATORS}


def parse_settings(data: dict[str, Any], source: Path) -> Settings:
    """Validate parsed TOML into Settings; raises SettingsError naming the offending key."""
    root = _Reader(data)
    county = root.section("county")
    division_code = county.text("division_code")
    if not (len(division_code) == 6 and division_code.isdigit()):
        raise SettingsError(f"配置错误 county.division_code：应为 6 位数字，实为 {division_code!r}")

    income_section = root.section("income")
    income = IncomeSettings(
        monitoring_line=income_section.yearly_amounts("monitoring_line"),
        band_edges=income_section.ascending_numbers("band_edges"),
        alert_thresholds=income_section.ascending_numbers("alert_thresholds"),
        projection_method=income_section.choice("projection_method", PROJECTION_METHODS),
        projection_min_months=income_section.integer("projection_min_months", minimum=1),
    )
    if income.projection_min_months > 12:
        raise SettingsError("配置错误 income.projection_min_months：不能大于 12")
    for year, line in income.monitoring_line.items():
        if line in income.band_edges:
            raise SettingsError(
                f"配置错误 income.band_edges：与 {year} 年监测收入标准 {line:g} 重复"
            )

    rect = root.section("rectification")
    rectification = RectificationSettings(
        due_soon_days=rect.integer("due_soon_days", minimum=1),
        urgent_days=rect.integer("urgent_days", minimum=0),
        warning_days=rect.integer("warning_days", minimum=0),
        pace_window_days=rect.integer("pace_window_days", minimum=1),
        ledger_rows=rect.integer("ledger_rows", minimum=1),
    )
    if rectification.warning_days < rectification.urgent_days:
        raise SettingsError("配置错误 rectification.warning_days：不能小于 urgent_days")

    rank = root.section("rankings")
    rankings = RankingSettings(
        mode=rank.choice("mode", RANKING_MODES),
        list_size=rank.integer("list_size", minimum=1),
        green_at=rank.number("green_at", maximum=100.0),
        yellow_at=rank.number("yellow_at", maximum=100.0),
        red_circular_points=rank.number("red_circular_points"),
        black_circular_points=rank.number("black_circular_points"),
        summon_limit=rank.integer("summon_limit", minimum=1),
        summon_window=rank.choice("summon_window", tuple(SUMMON_WINDOWS)),
        weights=rank.indicator_numbers("weights"),
        targets=rank.indicator_numbers("targets", maximum=1.0),
    )
    if rankings.yellow_at > rankings.green_at:
        raise SettingsError("配置错误 rankings.yellow_at：不能大于 green_at")
    if sum(rankings.weights.values()) <= 0:
        raise SettingsError("配置错误 rankings.weights：权重之和必须大于 0")
    if any(target <= 0 for target in rankings.targets.values()):
        raise SettingsError("配置错误 rankings.targets：目标值必须大于 0")

    meeting_section = root.section("meeting")
    meeting = MeetingSettings(
        panels=meeting_section.texts("panels"),
        seconds_per_panel=meeting_section.integer("seconds_per_panel", minimum=5),
        refresh_seconds=meeting_section.integer("refresh_seconds", minimum=5),
        stale_after_minutes=meeting_section.integer("stale_after_minutes", minimum=1),
        chart_rows=meeting_section.integer("chart_rows", minimum=3),
    )
    unknown = [panel for panel in meeting.panels if panel not in MEETING_PANELS]
    if unknown:
        raise SettingsError(
            f"配置错误 meeting.panels：未知的面板 {'、'.join(unknown)}，"
            f"可选 {' / '.join(MEETING_PANELS)}"
        )
    if meeting.refresh_seconds >= meeting.stale_after_minutes * 60:
        # The wall would call its data stale between two reads it never missed.
        raise SettingsError(
            "配置错误 meeting.refresh_seconds：应小于 stale_after_minutes 对应的秒数"
            f"（{meeting.stale_after_minutes * 60}），实为 {meeting.refresh_seconds}"
        )

    inspection = _inspection_settings(root.section("inspection"))

    visits = root.section("visits")
    app = root.section("app")
    auth_settings = _auth_settings(root.section("auth"))
    clock = _clock(root.section("clock"), production=auth_settings.production)
    settings = Settings(
        county=CountySettings(name=county.text("name"), division_code=division_code),
        database_url=_resolve_database_url(root.section("database").text("default_url")),
        app=AppSettings(period_lag_days=app.integer("period_lag_days")),
        auth=auth_settings,
        income=income,
        registers=RegisterSettings(grace_days=root.section("registers").integer("grace_days")),
        visits=VisitSettings(
            cadre_visits_per_month=visits.integer("cadre_visits_per_month", minimum=1),
            village_tour_roles=visits.texts("village_tour_roles", options=CADRE_ROLES),
            township_tour_roles=visits.texts("township_tour_roles", options=CADRE_ROLES),
            grid_visits_per_month=visits.integer("grid_visits_per_month", minimum=1),
        ),
        rectification=rectification,
        rankings=rankings,
        meeting=meeting,
        inspection=inspection,
        imports=_import_settings(root.section("imports")),
        warnings=_warning_settings(root.section("warnings")),
        clock=clock,
        source=source,
    )
    root.refuse_unknown()
    return settings


def _auth_settings(section: _Reader) -> AuthSettings:
    return AuthSettings(
        deployment=section.choice("deployment", DEPLOYMENTS),
        idle_timeout_minutes=section.integer("idle_timeout_minutes", minimum=1),
        max_failed_logins=section.integer("max_failed_logins", minimum=1),
        lockout_minutes=section.integer("lockout_minutes", minimum=1),
        session_days=section.integer("session_days", minimum=1),
        display_idle_minutes=_display_idle(section),
    )


def _display_idle(section: _Reader) -> int:
    minutes = section.integer("display_idle_minutes", minimum=1)
    if minutes > section.integer("session_days", minimum=1) * 24 * 60:
        raise SettingsError(
            "配置错误 auth.display_idle_minutes：大屏的空闲时限不能长于会话的最长有效期"
            "（auth.session_days）"
        )
    return minutes


def _clock(section: _Reader, *, production: bool) -> Clock:
    fixed_now = section.optional_datetime("wall_clock")
    if fixed_now is not None and production:
        # A stopped clock would stamp every audit entry with the same time and never end a lockout.
        raise SettingsError(
            '配置错误 clock.wall_clock：生产模式（auth.deployment = "production"）'
            "下不能固定系统时钟，请留空"
        )
    return Clock(
        time_zone=section.time_zone("time_zone"),
        fixed_reporting_date=section.optional_date("reporting_date"),
        fixed_now=fixed_now,
    )


def _import_settings(section: _Reader) -> ImportSettings:
    return ImportSettings(
        max_file_mb=section.integer("max_file_mb", minimum=1),
        max_rows=section.integer("max_rows", minimum=1),
        max_uncompressed_mb=section.integer("max_uncompressed_mb", minimum=1),
        max_compression_ratio=section.integer("max_compression_ratio", minimum=2),
        max_rejected_stored=section.integer("max_rejected_stored", minimum=0),
        preview_rows=section.integer("preview_rows", minimum=1),
    )


def _inspection_settings(section: _Reader) -> InspectionSettings:
    weights_section = section.section("weights")
    weights = {key: weights_section.number(key) for key in RISK_COMPONENTS}
    if sum(weights.values()) <= 0:
        raise SettingsError("配置错误 inspection.weights：权重之和必须大于 0")
    return InspectionSettings(
        villages_per_draw=section.integer("villages_per_draw", minimum=1),
        households_per_village=section.integer("households_per_village", minimum=1),
        team_size=section.integer("team_size", minimum=1),
        exclusion_days=section.integer("exclusion_days", minimum=0),
        lifted_income_band=section.number("lifted_income_band", minimum=1.0),
        circular_window_days=section.integer("circular_window_days", minimum=1),
        inspection_full_days=section.integer("inspection_full_days", minimum=1),
        rectification_deadline_days=section.integer("rectification_deadline_days", minimum=1),
        weights=weights,
    )


def _warning_settings(section: _Reader) -> WarningSettings:
    within = section.section("verify_within_days")
    days = {severity: within.integer(severity, minimum=1) for severity in WARNING_SEVERITIES}
    rules = []
    every: dict[str, WarningRule] = {}
    for rule_id, (group, params) in WARNING_RULES.items():
        table = section.section(rule_id)
        # Every key is read (and checked) even for a rule switched off.
        enabled = table.boolean("enabled")
        rule = WarningRule(
            id=rule_id,
            name=table.text("name"),
            group=group,
            severity=table.choice("severity", tuple(WARNING_SEVERITIES)),
            params={
                name: table.number(name, minimum=low, maximum=high)
                for name, (low, high) in params.items()
            },
        )
        every[rule_id] = rule
        if enabled:
            rules.append(rule)
    return WarningSettings(
        verify_within_days=days,
        escalate_after_days=section.integer("escalate_after_days", minimum=1),
        rules=tuple(rules),
        entry_within_days=int(every["late_entry"].param("days")),
    )


def _resolve_database_url(url: str) -> str:
    """Environment first; a relative SQLite path is anchored at the project root."""
    url = os.environ.get("DASHBOARD_DB_URL", "").strip() or url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        return prefix + str(PROJECT_ROOT / url[len(prefix) :])
    return url


def with_fixed_clock(text: str, *, reporting_date: date, wall_clock: datetime | None = None) -> str:
    """The settings file ``text`` with ``[clock] reporting_date`` (and ``wall_clock``) fixed, for
    tests, the benchmark and rehearsals. Raises SettingsError when ``text`` does not have each
    of those keys exactly once, unset."""
    values = {"reporting_date": reporting_date.isoformat()}
    if wall_clock is not None:
        values["wall_clock"] = wall_clock.isoformat(sep=" ", timespec="seconds")
    for key, value in values.items():
        unset = f'\n{key} = ""\n'
        if text.count(unset) != 1:
            raise SettingsError(f'配置文件中应恰有一行 {key} = ""（未固定的 [clock] {key}）')
        text = text.replace(unset, f'\n{key} = "{value}"\n')
    return text


def read_settings(path: Path) -> Settings:
    """Read and validate one settings file; raises SettingsError."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"配置文件不存在：{path}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"配置文件 {path} 格式错误：{error}") from None
    return parse_settings(data, path)


@lru_cache(maxsize=4)
def _cached_settings(path: str, database_url_override: str) -> Settings:
    return read_settings(Path(path))


def load_settings() -> Settings:
    """The settings in force: DASHBOARD_CONFIG or config/settings.toml, with DASHBOARD_DB_URL."""
    path = os.environ.get("DASHBOARD_CONFIG", "").strip() or str(DEFAULT_CONFIG_PATH)
    return _cached_settings(path, os.environ.get("DASHBOARD_DB_URL", ""))
