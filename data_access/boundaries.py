"""Real township (and village) boundaries from a GeoJSON file, replacing the demo's synthetic ones.

The file is a GeoJSON FeatureCollection in WGS84 longitude/latitude (RFC 7946). Each feature
names its place in a property ``name`` (or ``名称`` / ``NAME``):

- a feature without a township property is a township, matched to ``townships.name`` exactly;
- a feature with a township property (``township`` / ``乡镇`` / ``TOWNSHIP``) is a village,
  matched by name within that township.

Every township of the database must be in the file; villages are optional. Everything is
validated before anything is written, and the writes happen in one transaction, so a file with
any problem leaves the database as it was. No GIS dependency: the checks a county office's files
actually fail (projected coordinates, unclosed rings, bow-tie outlines, misspelt names) are
simple enough to do by hand.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from data_access.audit import AuditAction, record
from data_access.db import bump_data_version
from data_access.models import Township, Village

NAME_KEYS = ("name", "名称", "NAME")
TOWNSHIP_KEYS = ("township", "乡镇", "TOWNSHIP")
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
# Problems listed before the message is cut: a wrong file would otherwise print thousands.
MAX_PROBLEMS = 30

Position = Sequence[float]
Ring = Sequence[Position]


class BoundaryError(ValueError):
    """The boundary file cannot be loaded; ``problems`` lists every reason, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [f"边界文件有 {len(problems)} 处问题，未导入任何数据：", *shown]
        if more:
            lines.append(f"……另有 {more} 处问题未列出")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class BoundaryReport:
    townships: int
    villages: int
    data_version: int
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"已导入乡镇边界 {self.townships} 个，村边界 {self.villages} 个"
            f"（数据版本 {self.data_version}）",
            *self.warnings,
        ]


@dataclass(frozen=True)
class _Shape:
    """A validated feature: where it belongs and its geometry."""

    label: str
    name: str
    township: str | None
    # Valid only when the file had no problems: nothing is written otherwise.
    geometry: Any


def _first_property(properties: dict[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = properties.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _orientation(a: Position, b: Position, c: Position) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Position, b: Position, p: Position) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_intersect(a: Position, b: Position, c: Position, d: Position) -> bool:
    """Whether segment ab and segment cd share a point (touching and overlapping included)."""
    d1, d2 = _orientation(c, d, a), _orientation(c, d, b)
    d3, d4 = _orientation(a, b, c), _orientation(a, b, d)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _on_segment(c, d, a))
        or (d2 == 0 and _on_segment(c, d, b))
        or (d3 == 0 and _on_segment(a, b, c))
        or (d4 == 0 and _on_segment(a, b, d))
    )


def ring_self_intersection(ring: Ring) -> int | None:
    """The number (1-based) of the first edge of the closed ``ring`` that crosses or touches a
    non-adjacent edge, or None when the ring is simple. O(n²): fine for administrative outlines
    of a few thousand vertices."""
    # A vertex repeated in a row (common in exported files) is not a crossing.
    ring = [p for k, p in enumerate(ring) if k == 0 or list(p[:2]) != list(ring[k - 1][:2])]
    edges = len(ring) - 1
    for i in range(edges):
        for j in range(i + 1, edges):
            # Neighbouring edges share a vertex by construction (the last edge neighbours the
            # first).
            if j == i + 1 or (i == 0 and j == edges - 1):
                continue
            if segments_intersect(ring[i], ring[i + 1], ring[j], ring[j + 1]):
                return i + 1
    return None


def _ring_problems(ring: Any, where: str, *, outer: bool) -> list[str]:
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
    if outer:
        edge = ring_self_intersection(ring)
        if edge is not None:
            return [f"{where}自相交（第 {edge} 条边与不相邻的边相交），边界线不能交叉"]
    return []


def geometry_problems(geometry: Any, label: str) -> list[str]:
    """Why ``geometry`` is not a valid Polygon/MultiPolygon in WGS84 lon/lat (empty when it is)."""
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
            problems += _ring_problems(ring, where, outer=index == 0)
    return problems


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


def parse_boundaries(collection: Any) -> tuple[list[_Shape], list[str]]:
    """The named features of a parsed GeoJSON document and every problem of the file itself
    (names are matched against the database by ``import_boundaries``). Raises BoundaryError
    only when the document is not a FeatureCollection with features at all."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise BoundaryError(
            ["文件不是 GeoJSON FeatureCollection（顶层 type 应为 FeatureCollection）"]
        )
    problems: list[str] = []
    crs_problem = _crs_problem(collection)
    if crs_problem:
        problems.append(crs_problem)
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryError([*problems, "文件中没有要素（features 为空）"])
    shapes: list[_Shape] = []
    seen: dict[tuple[str | None, str], str] = {}
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        name = _first_property(properties, NAME_KEYS)
        township = _first_property(properties, TOWNSHIP_KEYS)
        if name is None:
            problems.append(f"第 {number} 个要素：缺少名称属性（name / 名称 / NAME）")
            continue
        label = f"第 {number} 个要素“{township + '·' if township else ''}{name}”"
        key = (township, name)
        if key in seen:
            problems.append(f"{label}：与{seen[key]}重名，同一地方只能有一个边界")
            continue
        seen[key] = label
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        problems += geometry_problems(geometry, label)
        shapes.append(_Shape(label, name, township, geometry))
    return shapes, problems


def _rings(geometry: dict[str, Any]) -> list[Ring]:
    """Outer rings of a Polygon or MultiPolygon."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return [polygon[0] for polygon in polygons]


def _signed_area(ring: Ring) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring)) / 2


def label_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """Where to put the place's label: the centroid of its largest outer ring."""
    ring = max(_rings(geometry), key=lambda r: abs(_signed_area(r)))
    area = _signed_area(ring)
    if area == 0:
        return ring[0][0], ring[0][1]
    cx = cy = 0.0
    for a, b in itertools.pairwise(ring):
        cross = a[0] * b[1] - b[0] * a[1]
        cx += (a[0] + b[0]) * cross
        cy += (a[1] + b[1]) * cross
    return round(cx / (6 * area), 6), round(cy / (6 * area), 6)


def contains(geometry: dict[str, Any], lon: float, lat: float) -> bool:
    """Whether the point lies inside the geometry (even-odd rule over all its rings)."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    inside = False
    for polygon in polygons:
        for ring in polygon:
            for a, b in itertools.pairwise(ring):
                if (a[1] > lat) != (b[1] > lat):
                    x = a[0] + (lat - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
                    if lon < x:
                        inside = not inside
    return inside


def import_boundaries(
    conn: Connection, collection: Any, *, username: str, now: datetime
) -> BoundaryReport:
    """Replace township (and the given villages') boundaries from a parsed GeoJSON document,
    inside the caller's transaction, audited as done by ``username`` at ``now``; bumps the data
    version.

    Raises BoundaryError (before writing anything) naming every unknown place, every township
    missing from the file and every invalid geometry.
    """
    shapes, problems = parse_boundaries(collection)
    townships = dict(conn.execute(select(Township.name, Township.id)).all())
    villages = {
        (township, name): (village_id, lon, lat)
        for township, name, village_id, lon, lat in conn.execute(
            select(Township.name, Village.name, Village.id, Village.lon, Village.lat).join(
                Township, Township.id == Village.township_id
            )
        ).all()
    }
    township_shapes = [s for s in shapes if s.township is None]
    village_shapes = [s for s in shapes if s.township is not None]
    for shape in township_shapes:
        if shape.name not in townships:
            problems.append(f"{shape.label}：数据库中没有名为“{shape.name}”的乡镇")
    for shape in village_shapes:
        if shape.township not in townships:
            problems.append(f"{shape.label}：数据库中没有名为“{shape.township}”的乡镇")
        elif (shape.township, shape.name) not in villages:
            problems.append(f"{shape.label}：“{shape.township}”下没有名为“{shape.name}”的村")
    named = {s.name for s in township_shapes}
    missing = sorted(name for name in townships if name not in named)
    if missing:
        problems.append(
            f"文件缺少 {len(missing)} 个乡镇的边界：{'、'.join(missing)}（乡镇边界须一次全部导入）"
        )
    if problems:
        raise BoundaryError(problems)

    warnings: list[str] = []
    geometry_of = {s.name: s.geometry for s in township_shapes}
    for (township, name), (_, lon, lat) in villages.items():
        if lon is not None and lat is not None and not contains(geometry_of[township], lon, lat):
            warnings.append(f"提示：{township}·{name} 的村点位不在该乡镇新边界内，请核对村坐标")
    for shape in township_shapes:
        lon, lat = label_point(shape.geometry)
        conn.execute(
            update(Township)
            .where(Township.id == townships[shape.name])
            .values(boundary=shape.geometry, center_lon=lon, center_lat=lat)
        )
    for shape in village_shapes:
        village_id, lon, lat = villages[(shape.township, shape.name)]
        values: dict[str, Any] = {"boundary": shape.geometry}
        if lon is None or lat is None:
            values["lon"], values["lat"] = label_point(shape.geometry)
        conn.execute(update(Village).where(Village.id == village_id).values(**values))
    record(
        conn=conn,
        username=username,
        action=AuditAction.BOUNDARY_IMPORT,
        target=f"乡镇 {len(township_shapes)} 个、村 {len(village_shapes)} 个",
        rows=len(township_shapes) + len(village_shapes),
        at=now,
    )
    version = bump_data_version(conn, at=now)
    return BoundaryReport(len(township_shapes), len(village_shapes), version, warnings)


def import_boundary_file(
    engine: Engine, path: Path, *, username: str, now: datetime
) -> BoundaryReport:
    """Read ``path`` and import it in one transaction; raises BoundaryError on any problem
    (unreadable file, invalid JSON or GeoJSON, unknown or missing names) with nothing changed."""
    try:
        collection = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise BoundaryError([f"无法读取文件 {path}：{error.strerror or error}"]) from None
    except UnicodeDecodeError:
        raise BoundaryError([f"文件 {path} 不是 UTF-8 编码的文本"]) from None
    except json.JSONDecodeError as error:
        raise BoundaryError(
            [f"文件 {path} 不是有效的 JSON（第 {error.lineno} 行第 {error.colno} 列）"]
        ) from None
    with engine.begin() as conn:
        return import_boundaries(conn, collection, username=username, now=now)
