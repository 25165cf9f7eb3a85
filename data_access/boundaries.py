"""Real township (and village) boundaries from a GeoJSON file, replacing the demo's synthetic ones.

The file is a GeoJSON FeatureCollection in WGS84 longitude/latitude (RFC 7946), or in GCJ-02 when
the caller says so (``BoundaryOptions(source="gcj02")``, converted by ``data_access.gcj02``).

**Which feature is which place.** A feature is matched by a property the user chooses
(``name_property`` / ``code_property``) or, when none is chosen, by the properties found among
``NAME_PROPERTIES`` and ``CODE_PROPERTIES``:

- a code is a 9-digit township code, or a 12-digit division code: the township's code + "000",
  or a village's code (any other last three digits);
- a name is a township's name; a feature that also has a township property (``township`` /
  ``乡镇`` / ``TOWNSHIP``) is a village of that township. A name may differ from the database's
  by its suffix only (“城关” or “城关乡” for 城关镇) when exactly one place has that stem; the
  dry run lists every such match, and a stem that fits several places is refused.

When several candidate properties are present they must agree on every feature (two name
properties give the same name; a name fits the place its code names), otherwise the file is
refused with the properties found and sample values, so the user can choose: a guess here would
put one township's outline on another.

**Geometry.** Several features of one place are united into one geometry (shapely
``union_all``: a MultiPolygon for separate parts, a Polygon when they join); holes are kept.
Validity is GEOS's (``shapely.is_valid``, O(n log n)); an invalid feature (a crossing outline, a
ring touching itself at a vertex as ESRI tools write holes, a hole outside its shell) is repaired
with ``shapely.make_valid`` and the dry run says which and why; only what cannot become a polygon
(all points on a line) is refused, with files that are not GeoJSON, projected coordinates and
unclosed rings (no exporter writes those; they mean a damaged file).

**What is refused as a whole.** A file that leaves any township of the database without a
boundary (township boundaries are replaced all at once); a file that is one county outline; any
problem of a matched feature. Features that match nothing are listed and not imported.

**GCJ-02 check.** The villages' stored points are WGS84. Each is tested against its township's
new boundary twice: as stored, and moved by the GCJ-02 offset (a few hundred metres, see
``gcj02.offset``). A township's villages mostly lie far inside it, so only those near a border
can tell: when at least ``GCJ_MIN_MISPLACED`` villages fall outside their township as the file
is declared and moving them by the offset puts at most ``GCJ_RATIO`` of that number outside,
the coordinates look like the other system and the report says so (both ways: a file declared
GCJ-02 that fits better unconverted is reported too). It cannot tell when the villages' own
points were taken from a GCJ-02 map: then file and points agree and nothing is said.

**Writes.** A dry run (``dry_run_boundaries``) writes nothing. ``import_boundaries`` plans the
same way, inside the caller's transaction, refuses before writing anything, writes only the
places whose boundary or label point changes, and when nothing changes writes nothing at all (no
audit entry, no data-version bump). ``BoundaryReport.digest`` fingerprints the planned writes:
passed back as ``expected_digest`` it refuses a commit whose writes differ from the dry run the
user read.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from sqlalchemy import Connection, Engine, select, update

from data_access.audit import AuditAction
from data_access.commands import Change, change
from data_access.db import data_version
from data_access.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from data_access.models import DataSource, Township, Village

# Where published files put the place's name and code, in the order they are tried.
NAME_PROPERTIES = ("Name", "NAME", "name", "名称", "街道名称", "乡镇名称")
CODE_PROPERTIES = ("code", "adcode", "CODE", "ADCODE")
TOWNSHIP_KEYS = ("township", "乡镇", "TOWNSHIP")
# Longest first: a name is compared without the first suffix it ends with.
TOWNSHIP_SUFFIXES = ("街道办事处", "街道办", "办事处", "街道", "镇", "乡")
VILLAGE_SUFFIXES = (
    "社区居民委员会",
    "村民委员会",
    "居民委员会",
    "村委会",
    "居委会",
    "社区",
    "村",
)
Source = Literal["wgs84", "gcj02"]
SOURCES: tuple[Source, ...] = ("wgs84", "gcj02")
SOURCE_LABELS = {"wgs84": "WGS84", "gcj02": "GCJ-02"}
# RFC 7946 coordinates are WGS84 lon/lat; these are the ways a file may say so explicitly.
WGS84_CRS_NAMES = frozenset(
    {
        "urn:ogc:def:crs:OGC:1.3:CRS84",
        "urn:ogc:def:crs:OGC::CRS84",
        "CRS84",
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "urn:ogc:def:crs:EPSG:4326",
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
    }
)
# Problems listed before the message is cut, and lines per section of a report: a wrong file
# would otherwise print thousands.
MAX_PROBLEMS = 30
MAX_LISTED = 30
# A file none of whose features is a township, and whose features together cover this share of
# the county's known points (villages, township centres), is a county outline.
COUNTY_COVER_SHARE = 0.9
# The GCJ-02 check (see the module docstring): fewer misplaced villages than this say nothing.
GCJ_MIN_MISPLACED = 3
GCJ_RATIO = 0.5
# Converted coordinates are kept to 1e-7° (about 1 cm).
CONVERTED_DECIMALS = 7
# GEOS's validity reasons, as the report says them.
_REASONS = {
    "Self-intersection": "边界线自相交",
    "Ring Self-intersection": "边界线在一个顶点处与自身相接",
    "Hole lies outside shell": "内环（洞）在外边界之外",
    "Nested holes": "内环（洞）相互嵌套",
    "Interior is disconnected": "内环把多边形分成了不相连的几块",
    "Nested shells": "多边形相互嵌套",
    "Duplicate Rings": "有重复的坐标环",
    "Too few points": "坐标点太少",
    "Invalid Coordinate": "坐标无效",
}
_REASON = re.compile(r"^\s*([^\[]+?)\s*(?:\[\s*(\S+)\s+(\S+)\s*\])?\s*$")
_CODE = re.compile(r"^\d+$")
_SPACE = re.compile(r"\s+")

# ("township" | "village", id in its table)
Place = tuple[str, int]


class BoundaryError(ValueError):
    """The boundary file cannot be loaded; ``problems`` lists every reason, in Chinese."""

    def __init__(self, problems: list[str], hints: Sequence[str] = ()) -> None:
        self.problems = problems
        self.hints = list(hints)
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [f"边界文件有 {len(problems)} 处问题，未导入任何数据：", *shown]
        if more:
            lines.append(f"……另有 {more} 处问题未列出")
        lines += self.hints
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class BoundaryOptions:
    """How to read the file: the property to match by (None: detect) and its coordinates."""

    name_property: str | None = None
    code_property: str | None = None
    source: Source = "wgs84"

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown coordinate system {self.source!r}")


@dataclass(frozen=True)
class PropertySummary:
    """One property of the file's features: how many features give it a value, a few samples."""

    name: str
    features: int
    samples: tuple[str, ...]
    # At least one value is a 9- or 12-digit code.
    code_like: bool

    def label(self) -> str:
        return f"{self.name}（{self.features} 个要素，如 {'、'.join(self.samples)}）"


@dataclass(frozen=True)
class Matching:
    """The properties features are matched by: a code, cross-checked by a name when both."""

    name_properties: tuple[str, ...]
    code_properties: tuple[str, ...]
    detected: bool

    def describe(self) -> str:
        how = "自动识别" if self.detected else "按指定属性"
        codes = "、".join(f"“{p}”" for p in self.code_properties)
        names = "、".join(f"“{p}”" for p in self.name_properties)
        if codes and names:
            return f"{how}：按代码属性 {codes} 匹配，并用名称属性 {names} 核对"
        if codes:
            return f"{how}：按代码属性 {codes} 匹配"
        return f"{how}：按名称属性 {names} 匹配"


@dataclass(frozen=True)
class MatchedPlace:
    """A place of the database that the file gives a boundary, and from which features."""

    kind: str  # "乡镇" or "村"
    name: str
    features: tuple[int, ...]
    changed: bool


@dataclass(frozen=True)
class BoundaryReport:
    """What a dry run found, or what an import wrote (``written``)."""

    townships: int
    villages: int
    # After the import; for a dry run (or an import that changed nothing) the current version.
    data_version: int
    warnings: list[str] = field(default_factory=list)
    written: bool = False
    matching: str = ""
    source: Source = "wgs84"
    matched: tuple[MatchedPlace, ...] = ()
    unmatched: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    # The other coordinate system when the GCJ-02 check says the file looks like it.
    suggested_source: Source | None = None
    digest: str = ""

    @property
    def changes(self) -> int:
        """Places whose boundary (or label point) is, or would be, written."""
        return sum(place.changed for place in self.matched)

    def lines(self) -> list[str]:
        """The report as the command line prints it."""
        total = self.townships + self.villages
        if not self.written:
            head = (
                f"试导入（未写入）：乡镇边界 {self.townships} 个、村边界 {self.villages} 个与数据库"
                f"对应，其中 {self.changes} 个将改变、{total - self.changes} 个不变"
            )
        elif self.changes:
            head = (
                f"已导入乡镇边界 {self.townships} 个，村边界 {self.villages} 个"
                f"（改变 {self.changes} 个，数据版本 {self.data_version}）"
            )
        else:
            head = (
                f"边界与数据库中的完全相同（乡镇 {self.townships} 个、村 {self.villages} 个），"
                f"未作改动，数据版本仍为 {self.data_version}"
            )
        lines = [head, f"匹配方式：{self.matching}；坐标按 {SOURCE_LABELS[self.source]} 读取"]
        state = "将改变" if not self.written else "已改变"
        for place in self.matched:
            if place.kind == "乡镇":
                numbers = "、".join(str(n) for n in place.features)
                lines.append(
                    f"  {place.name}：第 {numbers} 个要素，{state if place.changed else '不变'}"
                )
        for title, items in (
            ("合并", self.merged),
            ("修复", self.repaired),
            ("名称按去掉后缀匹配", self.renamed),
            ("未匹配的要素（不导入）", self.unmatched),
        ):
            if items:
                lines.append(f"{title}（{len(items)} 个）：")
                lines += [f"  {item}" for item in _limited(items)]
        return lines + _limited(self.warnings)


def _limited(items: list[str]) -> list[str]:
    shown = items[:MAX_LISTED]
    if len(items) > len(shown):
        shown = [*shown, f"……另有 {len(items) - len(shown)} 条未列出"]
    return shown


# --- reading the file -------------------------------------------------------------------------


def parse_geojson(content: bytes, *, file_name: str) -> Any:
    """The parsed JSON document of an uploaded or read file; raises BoundaryError when it is
    not UTF-8 JSON (a BOM is accepted)."""
    try:
        return json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BoundaryError([f"文件 {file_name} 不是 UTF-8 编码的文本"]) from None
    except json.JSONDecodeError as error:
        raise BoundaryError(
            [f"文件 {file_name} 不是有效的 JSON（第 {error.lineno} 行第 {error.colno} 列）"]
        ) from None


def read_geojson(path: Path) -> Any:
    """The parsed JSON document at ``path``; raises BoundaryError when it cannot be read."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise BoundaryError([f"无法读取文件 {path}：{error.strerror or error}"]) from None
    return parse_geojson(content, file_name=str(path))


def _features(collection: Any) -> list[dict[str, Any]]:
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise BoundaryError(
            ["文件不是 GeoJSON FeatureCollection（顶层 type 应为 FeatureCollection）"]
        )
    problems = []
    crs_problem = _crs_problem(collection)
    if crs_problem:
        problems.append(crs_problem)
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryError([*problems, "文件中没有要素（features 为空）"])
    if problems:
        raise BoundaryError(problems)
    return [feature if isinstance(feature, dict) else {} for feature in features]


def _properties(feature: dict[str, Any]) -> dict[str, Any]:
    properties = feature.get("properties")
    return properties if isinstance(properties, dict) else {}


def _crs_problem(collection: dict[str, Any]) -> str | None:
    crs = collection.get("crs")
    if crs is None:
        return None
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if isinstance(name, str) and name.strip() in WGS84_CRS_NAMES:
        return None
    return (
        f"坐标系为 {name or crs!r}，不是 WGS84 经纬度（CRS84 / EPSG:4326）；"
        "请在 GIS 软件中转换为 WGS84 后再导入"
    )


def _text(value: Any) -> str | None:
    """A property value as text (whole numbers as digits: codes are often written as numbers);
    None when empty or not a name or code."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        text = _SPACE.sub("", value.replace("\u3000", " "))
        return text or None
    return None


def _is_code(text: str) -> bool:
    return bool(_CODE.match(text)) and len(text) in (9, 12)


def _code_key(text: str) -> str:
    """A township's 12-digit division code as its 9-digit one; anything else as it is."""
    return text[:9] if len(text) == 12 and text.endswith("000") else text


def file_properties(collection: Any) -> list[PropertySummary]:
    """Every property the file's features give a value to, in the order first seen, with the
    number of features and up to three distinct sample values."""
    counts: dict[str, int] = {}
    samples: dict[str, list[str]] = {}
    code_like: dict[str, bool] = {}
    for feature in _features(collection):
        for key, value in _properties(feature).items():
            text = _text(value)
            if text is None:
                continue
            counts[key] = counts.get(key, 0) + 1
            seen = samples.setdefault(key, [])
            if len(seen) < 3 and text not in seen:
                seen.append(text)
            code_like[key] = code_like.get(key, False) or _is_code(text)
    return [
        PropertySummary(key, counts[key], tuple(samples[key]), code_like[key]) for key in counts
    ]


def _listing(summaries: Sequence[PropertySummary]) -> list[str]:
    if not summaries:
        return ["文件的要素没有任何属性值"]
    shown = [f"  {summary.label()}" for summary in summaries[:MAX_LISTED]]
    return ["文件中的属性（要素数，示例值）：", *shown]


def _first(properties: dict[str, Any], keys: Sequence[str]) -> tuple[str, str] | None:
    """(property, value) of the first of ``keys`` with a value."""
    for key in keys:
        text = _text(properties.get(key))
        if text is not None:
            return key, text
    return None


def _disagreement(
    features: list[dict[str, Any]], keys: Sequence[str], normal=lambda text: text
) -> str | None:
    """The first feature on which ``keys`` give different values, said in Chinese."""
    for number, feature in enumerate(features, start=1):
        properties = _properties(feature)
        values = {key: _text(properties.get(key)) for key in keys}
        given = {key: value for key, value in values.items() if value is not None}
        if len({normal(value) for value in given.values()}) > 1:
            pairs = "，".join(f"{key}=“{value}”" for key, value in given.items())
            return f"第 {number} 个要素：{pairs}"
    return None


CHOOSE_HINT = (
    "请指定按哪个属性匹配：命令行用 --name-property 或 --code-property，"
    "页面上选择“匹配乡镇所用的属性”"
)


def choose_matching(collection: Any, options: BoundaryOptions) -> Matching:
    """The properties to match features by: the chosen ones, or those detected. Raises
    BoundaryError, listing the file's properties, when a chosen property is absent or the
    detected ones are missing or disagree."""
    features = _features(collection)
    summaries = file_properties(collection)
    by_name = {summary.name: summary for summary in summaries}
    if options.name_property or options.code_property:
        chosen = [p for p in (options.name_property, options.code_property) if p]
        absent = [p for p in chosen if p not in by_name]
        if absent:
            raise BoundaryError(
                [f"文件的要素中没有属性“{p}”（或它处处为空）" for p in absent], _listing(summaries)
            )
        return Matching(
            name_properties=(options.name_property,) if options.name_property else (),
            code_properties=(options.code_property,) if options.code_property else (),
            detected=False,
        )
    names = tuple(p for p in NAME_PROPERTIES if p in by_name)
    codes = tuple(p for p in CODE_PROPERTIES if p in by_name and by_name[p].code_like)
    if not names and not codes:
        raise BoundaryError(
            [
                "找不到乡镇名称或代码属性（已找过名称属性 "
                f"{'、'.join(NAME_PROPERTIES)} 和 9 位或 12 位代码属性 "
                f"{'、'.join(CODE_PROPERTIES)}）"
            ],
            [*_listing(summaries), CHOOSE_HINT],
        )
    problems = []
    if len(names) > 1 and (example := _disagreement(features, names)):
        problems.append(f"文件中有多个名称属性，取值不一致（{example}），无法确定按哪个匹配")
    if len(codes) > 1 and (example := _disagreement(features, codes, _code_key)):
        problems.append(f"文件中有多个代码属性，取值不一致（{example}），无法确定按哪个匹配")
    if problems:
        raise BoundaryError(problems, [*_listing(summaries), CHOOSE_HINT])
    return Matching(name_properties=names, code_properties=codes, detected=True)


# --- the county in the database ---------------------------------------------------------------


@dataclass
class _County:
    township_name: dict[int, str]
    township_code: dict[str, int]
    township_by_name: dict[str, int]
    township_rows: dict[int, tuple[Any, float | None, float | None]]
    village_rows: dict[int, tuple[int, str, float | None, float | None, Any]]
    village_code: dict[str, int]
    villages_of: dict[int, dict[str, int]]

    @classmethod
    def read(cls, conn: Connection) -> _County:
        townships = conn.execute(
            select(
                Township.id,
                Township.code,
                Township.name,
                Township.boundary,
                Township.center_lon,
                Township.center_lat,
            )
        ).all()
        villages = conn.execute(
            select(
                Village.id,
                Village.code,
                Village.township_id,
                Village.name,
                Village.lon,
                Village.lat,
                Village.boundary,
            )
        ).all()
        villages_of: dict[int, dict[str, int]] = {}
        for row in villages:
            villages_of.setdefault(row.township_id, {})[row.name] = row.id
        return cls(
            township_name={row.id: row.name for row in townships},
            township_code={row.code: row.id for row in townships},
            township_by_name={row.name: row.id for row in townships},
            township_rows={
                row.id: (row.boundary, row.center_lon, row.center_lat) for row in townships
            },
            village_rows={
                row.id: (row.township_id, row.name, row.lon, row.lat, row.boundary)
                for row in villages
            },
            village_code={row.code: row.id for row in villages},
            villages_of=villages_of,
        )

    def label(self, place: Place) -> str:
        kind, place_id = place
        if kind == "township":
            return self.township_name[place_id]
        township_id, name, *_ = self.village_rows[place_id]
        return f"{self.township_name[township_id]}·{name}"


def _stem(name: str, suffixes: Sequence[str]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class _NameMatch:
    place_id: int | None
    # Set when the name matched by its stem only: said in the dry run.
    renamed: str | None = None
    # Set when the stem fits several places: refused.
    ambiguous: str | None = None


def _match_name(name: str, candidates: dict[str, int], suffixes: Sequence[str]) -> _NameMatch:
    if name in candidates:
        return _NameMatch(candidates[name])
    stem = _stem(name, suffixes)
    hits = sorted(known for known in candidates if _stem(known, suffixes) == stem)
    if len(hits) == 1:
        return _NameMatch(candidates[hits[0]], renamed=f"“{name}” → “{hits[0]}”")
    if hits:
        return _NameMatch(
            None,
            ambiguous=f"名称“{name}”去掉后缀后可对应 {'、'.join(hits)}，无法确定是哪一个，"
            "请在文件中写全称",
        )
    return _NameMatch(None)


# --- matching features to places --------------------------------------------------------------


@dataclass(frozen=True)
class _Resolved:
    number: int
    label: str
    place: Place | None
    # Why nothing matched (listed, not imported).
    reason: str | None = None
    # A refusal: properties that disagree (``conflict``), an ambiguous name.
    problem: str | None = None
    renamed: str | None = None
    conflict: bool = False


def _by_code(code: str, county: _County) -> tuple[Place | None, str | None]:
    if code in county.township_code:
        return ("township", county.township_code[code]), None
    if not _is_code(code):
        return None, f"代码“{code}”不是 9 位乡镇代码或 12 位区划代码"
    key = _code_key(code)
    if len(key) == 9:
        if key in county.township_code:
            return ("township", county.township_code[key]), None
        return None, f"数据库中没有代码为 {key} 的乡镇"
    if key in county.village_code:
        return ("village", county.village_code[key]), None
    return None, f"数据库中没有代码为 {key} 的村"


def _by_name(
    name: str, parent: str | None, county: _County
) -> tuple[Place | None, _NameMatch, str | None]:
    """The place a name (and, for a village, its township's name) gives; the name match; why
    nothing matched."""
    if parent is None:
        found = _match_name(name, county.township_by_name, TOWNSHIP_SUFFIXES)
        place = ("township", found.place_id) if found.place_id is not None else None
        return place, found, None if place else f"数据库中没有名为“{name}”的乡镇"
    township = _match_name(parent, county.township_by_name, TOWNSHIP_SUFFIXES)
    if township.place_id is None:
        return None, township, f"数据库中没有名为“{parent}”的乡镇"
    found = _match_name(name, county.villages_of.get(township.place_id, {}), VILLAGE_SUFFIXES)
    renamed = "；".join(r for r in (township.renamed, found.renamed) if r) or None
    found = replace(found, renamed=renamed)
    if found.place_id is None:
        return None, found, f"“{county.township_name[township.place_id]}”下没有名为“{name}”的村"
    return ("village", found.place_id), found, None


def _resolve(
    number: int, feature: dict[str, Any], matching: Matching, county: _County
) -> _Resolved:
    properties = _properties(feature)
    code = _first(properties, matching.code_properties)
    name = _first(properties, matching.name_properties)
    parent = _first(properties, TOWNSHIP_KEYS) if matching.name_properties else None
    parent_name = parent[1] if parent else None
    shown = name[1] if name else code[1] if code else "无名称"
    label = f"第 {number} 个要素“{parent_name + '·' if parent_name else ''}{shown}”"
    if code is None and name is None:
        wanted = "、".join(matching.code_properties + matching.name_properties)
        return _Resolved(number, label, None, reason=f"属性 {wanted} 都没有值")
    if code is None:
        assert name is not None
        place, found, reason = _by_name(name[1], parent_name, county)
        if found.ambiguous:
            return _Resolved(number, label, None, problem=f"{label}：{found.ambiguous}")
        return _Resolved(number, label, place, reason=reason, renamed=found.renamed)
    place, reason = _by_code(code[1], county)
    if name is None:
        return _Resolved(number, label, place, reason=reason)
    by_name, found, _ = _by_name(name[1], parent_name, county)
    renamed = found.renamed
    if place is not None and place[0] == "village" and parent_name is None:
        # A village named without its township: the code says which township.
        township_id = county.village_rows[place[1]][0]
        found = _match_name(name[1], county.villages_of.get(township_id, {}), VILLAGE_SUFFIXES)
        by_name = ("village", found.place_id) if found.place_id is not None else None
        renamed = found.renamed
    if by_name != place and (place is not None or by_name is not None):
        said = county.label(place) if place else reason
        named = county.label(by_name) if by_name else found.ambiguous or "数据库中没有对应的地方"
        return _Resolved(
            number,
            label,
            None,
            problem=f"{label}：代码属性“{code[0]}”为 {code[1]}（{said}），名称属性“{name[0]}”"
            f"为“{name[1]}”（{named}），两者不一致",
            conflict=True,
        )
    return _Resolved(number, label, place, reason=reason, renamed=renamed)


# --- geometry ---------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ring_problems(ring: Any, where: str) -> list[str]:
    if not isinstance(ring, list) or len(ring) < 4:
        count = len(ring) if isinstance(ring, list) else 0
        return [f"{where}：至少需要 4 个坐标点（首尾相同），实有 {count} 个"]
    for index, position in enumerate(ring, start=1):
        if (
            not isinstance(position, list)
            or len(position) < 2
            or not all(_is_number(v) for v in position[:2])
        ):
            return [f"{where}第 {index} 个坐标点不是 [经度, 纬度] 数字对：{position!r}"]
        lon, lat = position[0], position[1]
        if abs(lon) > 180 or abs(lat) > 90:
            return [
                f"{where}第 {index} 个坐标点 ({lon}, {lat}) 超出经纬度范围，"
                "像是投影坐标（如高斯-克吕格米制坐标）；请转换为 WGS84 经纬度后再导入"
            ]
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return [f"{where}未闭合：首个坐标点与最后一个坐标点应相同"]
    return []


def geometry_problems(geometry: Any, label: str) -> list[str]:
    """Why ``geometry`` is not a Polygon/MultiPolygon of closed lon/lat rings (empty when it
    is). Validity in the GIS sense (crossings, holes) is shapely's: see ``_valid``."""
    if not isinstance(geometry, dict):
        return [f"{label}：缺少几何图形（geometry）"]
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            return [f"{label}：MultiPolygon 没有多边形"]
        polygons = coordinates
    else:
        return [f"{label}：几何类型应为 Polygon 或 MultiPolygon，实为 {kind!r}"]
    problems: list[str] = []
    for number, polygon in enumerate(polygons, start=1):
        part = f"{label}第 {number} 个多边形" if kind == "MultiPolygon" else label
        if not isinstance(polygon, list) or not polygon:
            problems.append(f"{part}：没有坐标环")
            continue
        for index, ring in enumerate(polygon):
            where = f"{part}外边界" if index == 0 else f"{part}第 {index} 个内环（洞）"
            problems += _ring_problems(ring, where)
    return problems


def _reason_text(reason: str) -> str:
    match = _REASON.match(reason)
    if match is None:
        return f"几何图形无效（{reason}）"
    base, x, y = match.groups()
    text = _REASONS.get(base, f"几何图形无效（{base}）")
    try:
        return f"{text}，位于 ({float(x):.6f}, {float(y):.6f}) 处" if x and y else text
    except ValueError:
        return text


def _polygonal(geometry: Any) -> Polygon | MultiPolygon | None:
    """The polygons of ``geometry`` (make_valid may add lines and points), as one geometry."""
    parts = [
        part
        for member in shapely.get_parts(geometry)
        for part in shapely.get_parts(member)
        if isinstance(part, Polygon) and not part.is_empty and part.area > 0
    ]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _to_wgs84(xy: np.ndarray) -> np.ndarray:
    lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    return np.round(np.column_stack([lon, lat]), CONVERTED_DECIMALS)


@dataclass(frozen=True)
class _Shape:
    number: int
    label: str
    geometry: Polygon | MultiPolygon
    repaired: str | None


def _read_shape(raw: dict[str, Any]) -> Any:
    """The 2-D shapely geometry of a GeoJSON geometry ``geometry_problems`` passed (altitudes
    dropped, so positions of mixed lengths read too); None when shapely still cannot read it."""
    multi = raw["type"] == "MultiPolygon"
    polygons = raw["coordinates"] if multi else [raw["coordinates"]]
    flat = [[[position[:2] for position in ring] for ring in polygon] for polygon in polygons]
    try:
        return shape({"type": raw["type"], "coordinates": flat if multi else flat[0]})
    except (ValueError, TypeError, shapely.errors.ShapelyError):
        return None


def _valid(
    raw: dict[str, Any], number: int, label: str, source: Source
) -> tuple[_Shape | None, str | None]:
    """A feature's geometry in WGS84, repaired when invalid; or why it cannot be."""
    geometry = _read_shape(raw)
    if geometry is None:
        return None, f"{label}：无法读取几何图形"
    if source == "gcj02":
        geometry = shapely.transform(geometry, _to_wgs84)
    if shapely.is_valid(geometry):
        return _Shape(number, label, geometry, None), None
    reason = shapely.is_valid_reason(geometry)
    fixed = _polygonal(shapely.make_valid(geometry))
    if fixed is None:
        return None, f"{label}：{_reason_text(reason)}，无法修复为多边形（面积为零）"
    parts = len(shapely.get_parts(fixed))
    if reason.startswith("Ring Self-intersection"):
        how = "已用 make_valid 改写为等价的有效多边形（自接触处成为洞与外边界的接点）"
    else:
        how = f"已用 make_valid 修复为 {parts} 个多边形"
    return _Shape(number, label, fixed, f"{label}：{_reason_text(reason)}，{how}"), None


def _geojson(geometry: Polygon | MultiPolygon) -> dict[str, Any]:
    def rings(polygon: Polygon) -> list[list[list[float]]]:
        return [
            [[float(x), float(y)] for x, y in ring.coords]
            for ring in (polygon.exterior, *polygon.interiors)
        ]

    if isinstance(geometry, Polygon):
        return {"type": "Polygon", "coordinates": rings(geometry)}
    return {"type": "MultiPolygon", "coordinates": [rings(p) for p in geometry.geoms]}


def _label_point(geometry: Polygon | MultiPolygon) -> tuple[float, float]:
    """Where to put the place's label: the centroid of its largest part, or a point surely
    inside that part when the centroid is not (a crescent-shaped township)."""
    largest = max(shapely.get_parts(geometry), key=lambda part: part.area)
    point = largest.centroid
    if not largest.contains(point):
        point = largest.point_on_surface()
    return round(point.x, 6), round(point.y, 6)


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    report: BoundaryReport
    township_values: dict[int, dict[str, Any]]
    village_values: dict[int, dict[str, Any]]


def _county_points(county: _County) -> tuple[np.ndarray, np.ndarray]:
    points = [(lon, lat) for _, _, lon, lat, _ in county.village_rows.values()]
    points += [(lon, lat) for _, lon, lat in county.township_rows.values()]
    located = [(lon, lat) for lon, lat in points if lon is not None and lat is not None]
    if not located:
        return np.empty(0), np.empty(0)
    array = np.array(located, dtype=float)
    return array[:, 0], array[:, 1]


def _nothing_matched(
    features: list[dict[str, Any]],
    resolved: list[_Resolved],
    matching: Matching,
    county: _County,
    summaries: list[PropertySummary],
) -> BoundaryError:
    """Why a file none of whose features is a township was refused: a county outline, a county
    name in the chosen property, or simply no match."""
    labels = "、".join(item.label for item in resolved[:3])
    outline = (
        f"这是县级轮廓（{labels}），不是乡镇边界：文件中没有与本县乡镇对应的名称或代码。"
        "请使用按乡镇划分的边界文件（每个乡镇一个或多个要素，属性中写乡镇名称或 9 位、"
        "12 位乡镇代码）"
    )
    if len(features) == 1:
        return BoundaryError([outline])
    chosen = matching.code_properties + matching.name_properties
    found = [_first(_properties(feature), chosen) for feature in features]
    values = {pair[1] for pair in found if pair}
    if len(values) == 1:
        return BoundaryError(
            [
                f"所选属性 {'、'.join(chosen)} 在每个要素上都是“{values.pop()}”，像是县的名称或"
                "代码而不是乡镇的；请选择写乡镇名称或代码的属性"
            ],
            [*_listing(summaries), CHOOSE_HINT],
        )
    readable = [
        _read_shape(feature["geometry"])
        for feature in features
        if not geometry_problems(feature.get("geometry"), "")
    ]
    shapes = [shapely.make_valid(geometry) for geometry in readable if geometry is not None]
    lon, lat = _county_points(county)
    if shapes and len(lon):
        covered = shapely.intersects_xy(shapely.union_all(shapes), lon, lat).mean()
        if covered >= COUNTY_COVER_SHARE:
            return BoundaryError([outline])
    reasons = [f"{item.label}：{item.reason}" for item in resolved if item.reason]
    return BoundaryError(
        ["文件中没有一个要素与本县的乡镇对应，可能不是本县的乡镇边界，或匹配属性选错了"],
        [*_limited(reasons), *_listing(summaries), CHOOSE_HINT],
    )


def _misplaced(
    geometries: dict[int, Polygon | MultiPolygon],
    villages: list[tuple[int, float, float, int]],
    shift=None,
) -> list[int]:
    """The villages (id, lon, lat, township id) whose point, moved by ``shift`` when given,
    lies outside their township."""
    by_township: dict[int, list[tuple[int, float, float, int]]] = {}
    for village in villages:
        by_township.setdefault(village[3], []).append(village)
    outside: list[int] = []
    for township_id, rows in by_township.items():
        lon = np.array([row[1] for row in rows])
        lat = np.array([row[2] for row in rows])
        if shift is not None:
            lon, lat = shift(lon, lat)
        inside = shapely.intersects_xy(geometries[township_id], lon, lat)
        outside += [row[0] for row, hit in zip(rows, inside, strict=True) if not hit]
    return outside


def _position_warnings(
    geometries: dict[int, Polygon | MultiPolygon], county: _County, source: Source
) -> tuple[list[str], Source | None]:
    villages = [
        (village_id, lon, lat, township_id)
        for village_id, (township_id, _, lon, lat, _) in county.village_rows.items()
        if lon is not None and lat is not None
    ]
    misplaced = _misplaced(geometries, villages)
    warnings = [
        f"提示：{county.label(('village', village_id))} 的村点位不在该乡镇新边界内，请核对村坐标"
        for village_id in sorted(misplaced)
    ]
    # Testing the WGS84 points moved by the offset against the boundaries is testing the other
    # hypothesis about the file: WGS84 → GCJ-02 for a file read as WGS84, and back for one
    # converted from GCJ-02.
    other: Source = "gcj02" if source == "wgs84" else "wgs84"
    shift = wgs84_to_gcj02 if source == "wgs84" else gcj02_to_wgs84
    alternative = _misplaced(geometries, villages, shift)
    if len(misplaced) < GCJ_MIN_MISPLACED or len(alternative) > len(misplaced) * GCJ_RATIO:
        return warnings, None
    if source == "wgs84":
        hint = (
            f"提示：坐标像是 GCJ-02（高德、腾讯等网络地图的“火星坐标”）：按 WGS84 读取，有 "
            f"{len(misplaced)} 个村的点位落在本乡镇边界外；按 GCJ-02 换算后只有 "
            f"{len(alternative)} 个。文件如来自网络地图，请加 --from gcj02（页面上勾选"
            "“坐标为 GCJ-02”）后重新试导入"
        )
    else:
        hint = (
            f"提示：指定了 GCJ-02，但坐标更像 WGS84：换算后有 {len(misplaced)} 个村的点位落在"
            f"本乡镇边界外，不换算只有 {len(alternative)} 个。请核对文件的坐标系"
        )
    return [hint, *warnings], other


def _plan(conn: Connection, collection: Any, options: BoundaryOptions) -> _Plan:
    features = _features(collection)
    matching = choose_matching(collection, options)
    county = _County.read(conn)
    resolved = [
        _resolve(number, feature, matching, county)
        for number, feature in enumerate(features, start=1)
    ]
    problems = [item.problem for item in resolved if item.problem]
    if not problems and not any(item.place and item.place[0] == "township" for item in resolved):
        raise _nothing_matched(features, resolved, matching, county, file_properties(collection))
    shapes: dict[Place, list[_Shape]] = {}
    for item, feature in zip(resolved, features, strict=True):
        if item.place is None:
            continue
        raw = feature.get("geometry")
        structure = geometry_problems(raw, item.label)
        if structure:
            problems += structure
            continue
        valid, problem = _valid(raw, item.number, item.label, options.source)
        if problem:
            problems.append(problem)
        else:
            assert valid is not None
            shapes.setdefault(item.place, []).append(valid)
    # A township whose only feature is broken is reported above, not as missing.
    given = {item.place[1] for item in resolved if item.place and item.place[0] == "township"}
    missing = sorted(
        name for township_id, name in county.township_name.items() if township_id not in given
    )
    if missing:
        problems.append(
            f"文件缺少 {len(missing)} 个乡镇的边界：{'、'.join(missing)}（乡镇边界须一次全部导入）"
        )
    unmatched = [f"{item.label}：{item.reason}" for item in resolved if item.reason]
    if problems:
        hints = ["未与数据库对应的要素：", *_limited(unmatched)] if unmatched else []
        if any(item.conflict for item in resolved):
            hints.append(CHOOSE_HINT)
        raise BoundaryError(problems, hints)

    merged, repaired, matched = [], [], []
    township_values: dict[int, dict[str, Any]] = {}
    village_values: dict[int, dict[str, Any]] = {}
    geometries: dict[int, Polygon | MultiPolygon] = {}
    for place in sorted(shapes, key=lambda p: (p[0] != "township", county.label(p))):
        parts = shapes[place]
        repaired += [part.repaired for part in parts if part.repaired]
        geometry = parts[0].geometry
        if len(parts) > 1:
            geometry = _polygonal(shapely.union_all([part.geometry for part in parts]))
            assert geometry is not None
            pieces = len(shapely.get_parts(geometry))
            numbers = "、".join(str(part.number) for part in parts)
            result = f"MultiPolygon（{pieces} 块）" if pieces > 1 else "一个多边形（各部分相连）"
            merged.append(f"{county.label(place)}：第 {numbers} 个要素合并为{result}")
        boundary = _geojson(geometry)
        lon, lat = _label_point(geometry)
        kind, place_id = place
        if kind == "township":
            geometries[place_id] = geometry
            stored = county.township_rows[place_id]
            changed = stored != (boundary, lon, lat)
            if changed:
                township_values[place_id] = {
                    "boundary": boundary,
                    "center_lon": lon,
                    "center_lat": lat,
                }
        else:
            _, _, old_lon, old_lat, old_boundary = county.village_rows[place_id]
            values: dict[str, Any] = {}
            if old_boundary != boundary:
                values["boundary"] = boundary
            if old_lon is None or old_lat is None:
                values["lon"], values["lat"] = lon, lat
            changed = bool(values)
            if changed:
                village_values[place_id] = values
        matched.append(
            MatchedPlace(
                kind="乡镇" if kind == "township" else "村",
                name=county.label(place),
                features=tuple(part.number for part in parts),
                changed=changed,
            )
        )
    warnings, suggested = _position_warnings(geometries, county, options.source)
    digest = hashlib.sha256(
        json.dumps(
            [sorted(township_values.items()), sorted(village_values.items())],
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    report = BoundaryReport(
        townships=sum(place.kind == "乡镇" for place in matched),
        villages=sum(place.kind == "村" for place in matched),
        data_version=data_version(conn),
        warnings=warnings,
        matching=matching.describe(),
        source=options.source,
        matched=tuple(matched),
        unmatched=unmatched,
        merged=merged,
        repaired=repaired,
        renamed=[f"{item.label}：{item.renamed}" for item in resolved if item.renamed],
        suggested_source=suggested,
        digest=digest,
    )
    return _Plan(report, township_values, village_values)


def dry_run_boundaries(
    conn: Connection, collection: Any, *, options: BoundaryOptions | None = None
) -> BoundaryReport:
    """What importing ``collection`` would write, writing nothing. Raises BoundaryError when
    the file would be refused."""
    return _plan(conn, collection, options or BoundaryOptions()).report


def import_boundaries(
    write: Change,
    collection: Any,
    *,
    options: BoundaryOptions | None = None,
    expected_digest: str | None = None,
    file_name: str = "",
) -> BoundaryReport:
    """Replace township (and the given villages') boundaries from a parsed GeoJSON document,
    inside the write's transaction, with its audit row; raises the boundaries version. Writes
    only what changes; when nothing does, writes nothing (no audit entry, same data version).
    The report's data version is the one before the write (``write.version`` after it).

    Raises BoundaryError (before writing anything) for a file ``dry_run_boundaries`` refuses, and
    when ``expected_digest`` (a dry run's ``digest``) differs from what would now be written.
    """
    conn = write.conn
    plan = _plan(conn, collection, options or BoundaryOptions())
    report = replace(plan.report, written=True)
    if expected_digest is not None and expected_digest != report.digest:
        raise BoundaryError(
            ["试导入之后数据库中的边界已被改变，将写入的内容与您核对过的不同；请重新试导入后再确认"]
        )
    if not report.changes:
        return report
    for township_id, values in plan.township_values.items():
        conn.execute(update(Township).where(Township.id == township_id).values(**values))
    for village_id, values in plan.village_values.items():
        conn.execute(update(Village).where(Village.id == village_id).values(**values))
    source = f"（{file_name}）" if file_name else ""
    write.touch(DataSource.BOUNDARIES)
    write.audit(
        AuditAction.BOUNDARY_IMPORT,
        target=f"乡镇 {len(plan.township_values)} 个、村 {len(plan.village_values)} 个{source}",
        rows=report.changes,
    )
    return report


def commit_boundaries(
    engine: Engine,
    collection: Any,
    *,
    username: str,
    now: datetime,
    options: BoundaryOptions | None = None,
    expected_digest: str | None = None,
    file_name: str = "",
) -> BoundaryReport:
    """``import_boundaries`` as one write by ``username`` at ``now``; the report carries the
    data version after it."""
    with change(engine, by=username, at=now) as write:
        report = import_boundaries(
            write,
            collection,
            options=options,
            expected_digest=expected_digest,
            file_name=file_name,
        )
    return replace(report, data_version=write.version or report.data_version)


def import_boundary_file(
    engine: Engine,
    path: Path,
    *,
    username: str,
    now: datetime,
    options: BoundaryOptions | None = None,
    commit: bool = True,
) -> BoundaryReport:
    """Read ``path`` and import it in one transaction (``commit``) or only dry-run it; raises
    BoundaryError on any problem (unreadable file, invalid JSON or GeoJSON, unmatched
    townships, geometry beyond repair) with nothing changed."""
    collection = read_geojson(path)
    if not commit:
        with engine.connect() as conn:
            return dry_run_boundaries(conn, collection, options=options)
    return commit_boundaries(
        engine, collection, username=username, now=now, options=options, file_name=path.name
    )
