"""Boundaries from GeoJSON: files laid out as offices publish them (names in 街道名称 or Name,
9- or 12-digit codes, townships split over features, holes, ESRI-style self-touching rings,
GCJ-02 coordinates) are matched, merged and repaired and said so in a dry run; a county outline,
an ambiguous property or an unmatched township is refused with a clear Chinese message; a dry
run, a refusal and a re-import leave the database exactly as it was."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest
from shapely.geometry import shape
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.__main__ import main
from data_access.audit import audit_entries
from data_access.boundaries import (
    BoundaryError,
    BoundaryOptions,
    commit_boundaries,
    dry_run_boundaries,
    import_boundaries,
    import_boundary_file,
)
from data_access.commands import Change
from data_access.db import read_meta
from data_access.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from data_access.models import AuditEntry, Township, Village
from tests.builders import add_township, add_village
from tests.clock import WALL_CLOCK
from tests.import_helpers import writable_demo
from tests.login import logged_in


def square(west: float, south: float, size: float = 0.1) -> list[list[float]]:
    east, north = west + size, south + size
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def rectangle(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def feature(name: str | None, coordinates, *, kind="Polygon", **properties) -> dict:
    if name is not None:
        properties = {"name": name, **properties}
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def collection(*features: dict, crs: bool = False) -> dict:
    document = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    return document


def good_collection() -> dict:
    return collection(
        feature("测试1镇", [square(107.0, 24.0)]),
        # A MultiPolygon with a hole in its first part, named by 名称.
        {
            **feature(
                None,
                [
                    [square(107.1, 24.0), square(107.13, 24.03, 0.02)[::-1]],
                    [square(107.3, 24.0, 0.05)],
                ],
                kind="MultiPolygon",
            ),
            "properties": {"名称": "测试2镇"},
        },
        feature("测试10村", [square(107.0, 24.0, 0.05)], township="测试1镇"),
        crs=True,
    )


@pytest.fixture
def county(fresh_engine) -> Engine:
    with fresh_engine.begin() as conn:
        add_township(conn, 1)
        add_township(conn, 2)
        add_village(conn, 10, township_id=1)
        add_village(conn, 20, township_id=2)
        conn.execute(update(Village).where(Village.id == 20).values(lon=107.17, lat=24.07))
    return fresh_engine


# A county as the national division codes number it: three townships side by side (城关镇 west,
# 马庄乡 east, 清水镇 north of both), each with four villages 0.002° (about 200 m) inside its
# west, north, east and south edges, where a few hundred metres of GCJ-02 offset would move the
# boundary past them.
YUNLING = {
    1: ("452731100", "城关镇", (107.0, 24.0, 107.1, 24.1)),
    2: ("452731201", "马庄乡", (107.1, 24.0, 107.2, 24.1)),
    3: ("452731102", "清水镇", (107.0, 24.1, 107.2, 24.2)),
}
VILLAGE_NAMES = ("东风村", "红星村", "新联社区", "石桥村")


def village_points(bounds) -> list[tuple[float, float]]:
    west, south, east, north = bounds
    middle_lon, middle_lat = (west + east) / 2, (south + north) / 2
    inset = 0.002
    return [
        (west + inset, middle_lat),
        (middle_lon, north - inset),
        (east - inset, middle_lat),
        (middle_lon, south + inset),
    ]


@pytest.fixture
def yunling(fresh_engine) -> Engine:
    with fresh_engine.begin() as conn:
        for township_id, (code, name, bounds) in YUNLING.items():
            conn.execute(insert(Township), {"id": township_id, "code": code, "name": name})
            for number, ((lon, lat), village) in enumerate(
                zip(village_points(bounds), VILLAGE_NAMES, strict=True), start=1
            ):
                conn.execute(
                    insert(Village),
                    {
                        "id": township_id * 10 + number,
                        "code": f"{code}{200 + number}",
                        "township_id": township_id,
                        "name": village,
                        "lon": lon,
                        "lat": lat,
                    },
                )
    return fresh_engine


def yunling_feature(township_id: int, **properties) -> dict:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [rectangle(*YUNLING[township_id][2])]},
    }


def street_file() -> dict:
    """A 街道/乡镇 layer as a GIS office exports it: 街道名称, 12-digit adcode (one written as a
    number), and the attribute table's other columns."""
    return collection(
        *(
            yunling_feature(
                township_id,
                OBJECTID=township_id,
                街道名称=name,
                adcode=f"{code}000" if township_id != 2 else int(f"{code}000"),
                Shape_Area=0.01,
            )
            for township_id, (code, name, _) in YUNLING.items()
        )
    )


def write(tmp_path: Path, document, name: str = "boundaries.geojson") -> Path:
    path = tmp_path / name
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(engine: Engine) -> tuple:
    with engine.connect() as conn:
        townships = conn.execute(
            select(Township.id, Township.boundary, Township.center_lon).order_by(Township.id)
        ).all()
        villages = conn.execute(
            select(Village.id, Village.boundary, Village.lon).order_by(Village.id)
        ).all()
        audit = conn.execute(select(func.count()).select_from(AuditEntry)).scalar()
        return townships, villages, audit, read_meta(conn, "data_version")


def dry_run(engine: Engine, document, **options) -> object:
    with engine.connect() as conn:
        return dry_run_boundaries(conn, document, options=BoundaryOptions(**options))


def commit(engine: Engine, document, **options):
    return commit_boundaries(
        engine, document, username="测试", now=WALL_CLOCK, options=BoundaryOptions(**options)
    )


def refusal(engine: Engine, document, **options) -> str:
    """The refusal's text; asserts that neither a dry run nor an import changed anything."""
    before = snapshot(engine)
    with pytest.raises(BoundaryError) as dry:
        dry_run(engine, document, **options)
    with pytest.raises(BoundaryError) as written:
        commit(engine, document, **options)
    assert str(dry.value) == str(written.value)
    assert snapshot(engine) == before
    return str(written.value)


def stored(engine: Engine, township_id: int) -> dict:
    with engine.connect() as conn:
        return conn.execute(
            select(Township.boundary).where(Township.id == township_id)
        ).scalar_one()


# --- a good file ------------------------------------------------------------------------------


def test_a_good_file_replaces_township_and_village_boundaries(county, tmp_path):
    report = import_boundary_file(
        county, write(tmp_path, good_collection()), username="测试", now=WALL_CLOCK
    )
    assert (report.townships, report.villages, report.changes) == (2, 1, 3)
    with Session(county) as session:
        first, second = session.get(Township, 1), session.get(Township, 2)
        village = session.get(Village, 10)
        version = read_meta(session.connection(), "data_version")
    assert first.boundary == {"type": "Polygon", "coordinates": [square(107.0, 24.0)]}
    assert (first.center_lon, first.center_lat) == pytest.approx((107.05, 24.05))
    assert second.boundary["type"] == "MultiPolygon"
    # The label goes on the largest part, at its centroid: the hole pulls it off the centre.
    assert second.center_lon == pytest.approx(107.1504, abs=1e-4)
    assert second.boundary["coordinates"][0][1] == square(107.13, 24.03, 0.02)[::-1]
    assert village.boundary["coordinates"] == [square(107.0, 24.0, 0.05)]
    # A village without a point gets its boundary's centre.
    assert (village.lon, village.lat) == pytest.approx((107.025, 24.025))
    assert version == str(report.data_version)
    assert report.warnings == []
    assert report.repaired == []
    assert report.merged == []
    with county.connect() as conn:
        entries = audit_entries(conn=conn)
        stamp = read_meta(conn, "data_as_of")
    assert entries[["at", "username", "action", "rows"]].values.tolist() == [
        [WALL_CLOCK, "测试", "导入边界", 3]
    ]
    assert entries["target"].tolist() == ["乡镇 2 个、村 1 个（boundaries.geojson）"]
    assert stamp == WALL_CLOCK.isoformat(timespec="minutes")


def test_a_village_point_outside_its_new_township_is_reported(county, tmp_path):
    with county.begin() as conn:
        conn.execute(update(Village).where(Village.id == 20).values(lon=108.0))
    report = import_boundary_file(
        county, write(tmp_path, good_collection()), username="测试", now=WALL_CLOCK
    )
    assert report.warnings == ["提示：测试2镇·测试20村 的村点位不在该乡镇新边界内，请核对村坐标"]


def test_a_dry_run_says_what_would_change_and_writes_nothing(county):
    before = snapshot(county)
    report = dry_run(county, good_collection())
    assert snapshot(county) == before
    assert not report.written
    assert (report.townships, report.villages, report.changes) == (2, 1, 3)
    lines = report.lines()
    assert (
        lines[0]
        == "试导入（未写入）：乡镇边界 2 个、村边界 1 个与数据库对应，其中 3 个将改变、0 个不变"
    )
    assert "  测试1镇：第 1 个要素，将改变" in lines
    assert lines[1].startswith("匹配方式：自动识别：按名称属性 “name”、“名称” 匹配")


def test_importing_the_same_file_again_changes_nothing(yunling):
    first = commit(yunling, street_file())
    before = snapshot(yunling)
    again = commit(yunling, street_file())
    assert (first.changes, again.changes) == (3, 0)
    assert again.data_version == first.data_version
    assert snapshot(yunling) == before
    assert again.lines()[0].startswith("边界与数据库中的完全相同（乡镇 3 个、村 0 个），未作改动")
    assert dry_run(yunling, street_file()).digest == again.digest


def test_a_commit_is_refused_when_the_database_changed_after_the_dry_run(yunling):
    checked = dry_run(yunling, street_file())
    commit(yunling, street_file())
    before = snapshot(yunling)
    with pytest.raises(BoundaryError, match="试导入之后数据库中的边界已被改变"):
        commit_boundaries(
            yunling,
            street_file(),
            username="测试",
            now=WALL_CLOCK,
            expected_digest=checked.digest,
        )
    assert snapshot(yunling) == before


# --- matching: properties, codes, names -------------------------------------------------------


def test_a_street_layer_is_matched_by_its_12_digit_adcode_and_checked_by_its_name(yunling):
    report = commit(yunling, street_file())
    assert report.matching == "自动识别：按代码属性 “adcode” 匹配，并用名称属性 “街道名称” 核对"
    assert [place.name for place in report.matched] == ["城关镇", "清水镇", "马庄乡"]
    assert stored(yunling, 2) == {"type": "Polygon", "coordinates": [rectangle(*YUNLING[2][2])]}
    assert report.warnings == []


def test_nine_digit_codes_match_townships_and_twelve_digit_ones_match_villages(yunling):
    village = {
        "type": "Feature",
        "properties": {"code": "452731100201", "Name": "东风"},
        "geometry": {"type": "Polygon", "coordinates": [rectangle(107.0, 24.0, 107.02, 24.1)]},
    }
    townships = [yunling_feature(t, code=YUNLING[t][0]) for t in YUNLING]
    report = commit(yunling, collection(*townships, village))
    assert (report.townships, report.villages) == (3, 1)
    assert report.renamed == ["第 4 个要素“东风”：“东风” → “东风村”"]
    with yunling.connect() as conn:
        boundary = conn.execute(select(Village.boundary).where(Village.id == 11)).scalar_one()
    assert boundary["coordinates"] == [rectangle(107.0, 24.0, 107.02, 24.1)]


def test_names_that_differ_only_by_their_suffix_are_matched_and_listed(yunling):
    # 马庄乡 became a town (撤乡设镇) after the file was drawn; 城关 lacks its suffix.
    names = {1: "城关", 2: "马庄镇", 3: "清水镇"}
    document = collection(*(yunling_feature(t, Name=names[t]) for t in YUNLING))
    report = commit(yunling, document)
    assert report.renamed == [
        "第 1 个要素“城关”：“城关” → “城关镇”",
        "第 2 个要素“马庄镇”：“马庄镇” → “马庄乡”",
    ]
    assert "名称按去掉后缀匹配（2 个）：" in report.lines()


def test_a_name_whose_stem_fits_two_townships_is_refused(yunling):
    with yunling.begin() as conn:
        conn.execute(insert(Township), {"id": 4, "code": "452731203", "name": "城关乡"})
    document = collection(
        *(yunling_feature(t, Name=YUNLING[t][1] if t != 1 else "城关") for t in YUNLING)
    )
    message = refusal(yunling, document)
    assert (
        "名称“城关”去掉后缀后可对应 城关乡、城关镇，无法确定是哪一个，请在文件中写全称" in message
    )


def test_two_name_properties_that_disagree_are_refused_with_the_properties_listed(yunling):
    # The county name in NAME, the township's in 街道名称: which one is meant is not guessed.
    document = collection(
        *(yunling_feature(t, NAME="云岭县", 街道名称=YUNLING[t][1], FID=t) for t in YUNLING)
    )
    message = refusal(yunling, document)
    assert (
        "文件中有多个名称属性，取值不一致（第 1 个要素：NAME=“云岭县”，街道名称=“城关镇”）"
        in message
    )
    assert "  NAME（3 个要素，如 云岭县）" in message
    assert "  街道名称（3 个要素，如 城关镇、马庄乡、清水镇）" in message
    assert "--name-property" in message
    report = commit(yunling, document, name_property="街道名称")
    assert report.matching == "按指定属性：按名称属性 “街道名称” 匹配"
    assert report.townships == 3


def test_a_code_and_a_name_naming_different_townships_are_refused(yunling):
    document = street_file()
    document["features"][0]["properties"]["adcode"] = "452731201000"  # 马庄乡's code
    message = refusal(yunling, document)
    assert (
        "第 1 个要素“城关镇”：代码属性“adcode”为 452731201000（马庄乡），名称属性“街道名称”为"
        "“城关镇”（城关镇），两者不一致"
    ) in message


def test_a_file_without_a_known_property_lists_the_ones_it_has(yunling):
    document = collection(*(yunling_feature(t, OBJECTID=t, XZQMC=YUNLING[t][1]) for t in YUNLING))
    message = refusal(yunling, document)
    assert "找不到乡镇名称或代码属性" in message
    assert "  XZQMC（3 个要素，如 城关镇、马庄乡、清水镇）" in message
    assert commit(yunling, document, name_property="XZQMC").townships == 3


def test_a_chosen_property_the_file_lacks_is_refused(yunling):
    message = refusal(yunling, street_file(), code_property="XZQDM")
    assert "文件的要素中没有属性“XZQDM”（或它处处为空）" in message
    assert "  adcode（3 个要素" in message


def test_features_that_match_nothing_are_listed_and_not_imported(yunling):
    document = street_file()
    extra = yunling_feature(1, OBJECTID=9, 街道名称="国营六塘林场", adcode="452731400000")
    document["features"].append(extra)
    before = snapshot(yunling)
    report = commit(yunling, document)
    assert report.unmatched == ["第 4 个要素“国营六塘林场”：数据库中没有代码为 452731400 的乡镇"]
    assert report.townships == 3
    assert snapshot(yunling)[0] != before[0]


# --- geometry ---------------------------------------------------------------------------------


def test_a_township_split_over_several_features_becomes_one_multipolygon(yunling):
    document = street_file()
    # 城关镇 drawn in two halves that meet, plus an exclave (飞地) east of the county.
    west, south, east, north = YUNLING[1][2]
    document["features"][0]["geometry"]["coordinates"] = [rectangle(west, south, 107.05, north)]
    halves = [rectangle(107.05, south, east, north), rectangle(107.3, 24.0, 107.32, 24.02)]
    for coordinates in halves:
        document["features"].append(
            {
                **yunling_feature(1, 街道名称="城关镇"),
                "geometry": {"type": "Polygon", "coordinates": [coordinates]},
            }
        )
    report = commit(yunling, document)
    assert report.merged == ["城关镇：第 1、4、5 个要素合并为MultiPolygon（2 块）"]
    boundary = shape(stored(yunling, 1))
    assert boundary.geom_type == "MultiPolygon"
    assert boundary.area == pytest.approx(0.01 + 0.0004)
    assert [place.features for place in report.matched if place.name == "城关镇"] == [(1, 4, 5)]


def test_a_hole_is_kept_and_a_township_inside_it_is_its_own(yunling):
    # 城关镇 with a hole where 清水镇 sits, as an enclave (adjacent townships need no holes).
    with yunling.begin() as conn:
        conn.execute(update(Village).where(Village.township_id == 3).values(lon=107.05, lat=24.05))
    hole = rectangle(107.04, 24.04, 107.06, 24.06)
    document = collection(
        {
            **yunling_feature(1, name="城关镇"),
            "geometry": {"type": "Polygon", "coordinates": [rectangle(*YUNLING[1][2]), hole[::-1]]},
        },
        yunling_feature(2, name="马庄乡"),
        {
            **yunling_feature(3, name="清水镇"),
            "geometry": {"type": "Polygon", "coordinates": [hole]},
        },
    )
    report = commit(yunling, document)
    assert report.warnings == []
    assert len(stored(yunling, 1)["coordinates"]) == 2
    assert shape(stored(yunling, 1)).area == pytest.approx(0.01 - 0.0004)


# A ring touching itself at one vertex, (107.05, 24.0), enclosing a triangular hole: how ESRI
# software writes a hole that touches the outline, accepted by GIS tools. GEOS calls it a ring
# self-intersection; make_valid rewrites it as the OGC-valid shell-with-hole, same area.
SELF_TOUCHING = [
    [107.0, 24.0],
    [107.05, 24.0],
    [107.04, 24.02],
    [107.06, 24.02],
    [107.05, 24.0],
    [107.1, 24.0],
    [107.1, 24.1],
    [107.0, 24.1],
    [107.0, 24.0],
]
BOW_TIE = [[107.0, 24.0], [107.1, 24.1], [107.1, 24.0], [107.0, 24.1], [107.0, 24.0]]


def test_a_ring_touching_itself_at_a_vertex_is_accepted_as_a_polygon_with_a_hole(yunling):
    document = street_file()
    document["features"][0]["geometry"]["coordinates"] = [SELF_TOUCHING]
    report = commit(yunling, document)
    assert report.repaired == [
        "第 1 个要素“城关镇”：边界线在一个顶点处与自身相接，位于 (107.050000, 24.000000) 处，"
        "已用 make_valid 改写为等价的有效多边形（自接触处成为洞与外边界的接点）"
    ]
    boundary = shape(stored(yunling, 1))
    assert boundary.is_valid
    assert boundary.geom_type == "Polygon"
    assert len(boundary.interiors) == 1
    assert boundary.area == pytest.approx(0.01 - 0.0002)


def test_a_crossing_outline_is_repaired_and_the_repair_is_reported(yunling):
    document = street_file()
    document["features"][0]["geometry"]["coordinates"] = [BOW_TIE]
    report = commit(yunling, document)
    assert report.repaired == [
        "第 1 个要素“城关镇”：边界线自相交，位于 (107.050000, 24.050000) 处，"
        "已用 make_valid 修复为 2 个多边形"
    ]
    assert "修复（1 个）：" in report.lines()
    assert shape(stored(yunling, 1)).geom_type == "MultiPolygon"


def test_a_long_real_looking_ring_is_validated_and_repaired_by_shapely(yunling):
    # 3,000 vertices on a wavy outline (about the size of a real township's), valid as drawn;
    # then with two neighbouring vertices swapped, which makes the outline cross itself.
    count = 3000
    ring = []
    for k in range(count):
        angle = 2 * math.pi * k / count
        radius = 0.045 * (1 + 0.04 * math.sin(41 * angle))
        ring.append([107.05 + radius * math.cos(angle), 24.05 + radius * math.sin(angle)])
    ring.append(ring[0])
    document = street_file()
    document["features"][0]["geometry"]["coordinates"] = [ring]
    assert dry_run(yunling, document).repaired == []
    crossed = [*ring]
    crossed[100], crossed[101] = crossed[101], crossed[100]
    document["features"][0]["geometry"]["coordinates"] = [crossed]
    report = dry_run(yunling, document)
    assert len(report.repaired) == 1
    assert "边界线自相交" in report.repaired[0]


def test_altitudes_are_dropped_and_the_outline_kept(yunling):
    document = street_file()
    ring = rectangle(*YUNLING[1][2])
    document["features"][0]["geometry"]["coordinates"] = [
        [[lon, lat, 250.0] if k % 2 else [lon, lat] for k, (lon, lat) in enumerate(ring)]
    ]
    report = commit(yunling, document)
    assert report.repaired == []
    assert stored(yunling, 1) == {"type": "Polygon", "coordinates": [ring]}


def test_a_county_outline_is_refused_as_a_county_outline(yunling):
    outline = {
        "type": "Feature",
        "properties": {"NAME": "云岭县", "adcode": 452731},
        "geometry": {"type": "Polygon", "coordinates": [rectangle(107.0, 24.0, 107.2, 24.2)]},
    }
    message = refusal(yunling, collection(outline))
    assert "这是县级轮廓（第 1 个要素“云岭县”），不是乡镇边界" in message


def test_a_county_outline_in_several_parts_is_refused_as_a_county_outline(yunling):
    parts = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {"type": "Polygon", "coordinates": [rectangle(*bounds)]},
        }
        for name, bounds in (
            ("云岭县", (107.0, 24.0, 107.2, 24.2)),
            ("云岭县飞地", (107.3, 24.0, 107.4, 24.1)),
        )
    ]
    assert "这是县级轮廓" in refusal(yunling, collection(*parts))


def test_a_county_name_in_every_feature_is_said_to_be_a_county_name(yunling):
    document = collection(*(yunling_feature(t, NAME="云岭县", 乡镇=YUNLING[t][1]) for t in YUNLING))
    message = refusal(yunling, document, name_property="NAME")
    assert "所选属性 NAME 在每个要素上都是“云岭县”，像是县的名称或代码而不是乡镇的" in message


# --- GCJ-02 -----------------------------------------------------------------------------------


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return math.hypot(
        (lon1 - lon2) * 111_320 * math.cos(math.radians(lat1)), (lat1 - lat2) * 110_574
    )


# Published pairs (wgs lat, wgs lon, gcj lat, gcj lon) from googollee/eviltransform's tests.
REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wgs_lat", "wgs_lon", "gcj_lat", "gcj_lon"), REFERENCE)
def test_the_gcj02_conversion_matches_published_reference_points(
    wgs_lat, wgs_lon, gcj_lat, gcj_lon
):
    lon, lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert metres(float(lon), float(lat), wgs_lon, wgs_lat) < 1.0
    lon, lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert metres(float(lon), float(lat), gcj_lon, gcj_lat) < 1.0
    # The offset itself is hundreds of metres, so the test can fail.
    assert metres(gcj_lon, gcj_lat, wgs_lon, wgs_lat) > 300


def test_outside_china_gcj02_is_wgs84():
    assert tuple(map(float, gcj02_to_wgs84(2.35, 48.85))) == (2.35, 48.85)


def gcj_file() -> dict:
    """The street layer as a web map (GCJ-02) would give it."""
    document = street_file()
    for item in document["features"]:
        ring = item["geometry"]["coordinates"][0]
        lon, lat = wgs84_to_gcj02([p[0] for p in ring], [p[1] for p in ring])
        item["geometry"]["coordinates"] = [
            [[float(x), float(y)] for x, y in zip(lon, lat, strict=True)]
        ]
    return document


def test_gcj02_coordinates_are_noticed_and_converted_when_asked(yunling):
    noticed = dry_run(yunling, gcj_file())
    assert noticed.suggested_source == "gcj02"
    assert noticed.warnings[0].startswith(
        "提示：坐标像是 GCJ-02（高德、腾讯等网络地图的“火星坐标”）：按 WGS84 读取，有 6 个村的"
        "点位落在本乡镇边界外；按 GCJ-02 换算后只有 0 个"
    )
    assert "--from gcj02" in noticed.warnings[0]
    converted = commit(yunling, gcj_file(), source="gcj02")
    assert converted.suggested_source is None
    assert converted.warnings == []
    for township_id in YUNLING:
        ring = stored(yunling, township_id)["coordinates"][0]
        for (lon, lat), (west_lon, west_lat) in zip(
            ring, rectangle(*YUNLING[township_id][2]), strict=True
        ):
            assert metres(lon, lat, west_lon, west_lat) < 0.05


def test_a_wgs84_file_is_not_taken_for_gcj02_and_is_noticed_when_declared_so(yunling):
    assert dry_run(yunling, street_file()).suggested_source is None
    declared = dry_run(yunling, street_file(), source="gcj02")
    assert declared.suggested_source == "wgs84"
    assert declared.warnings[0].startswith("提示：指定了 GCJ-02，但坐标更像 WGS84")


# --- broken files -----------------------------------------------------------------------------


def broken(change) -> dict:
    document = copy.deepcopy(good_collection())
    change(document)
    return document


def _set(path: list, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


FIRST_RING = ["features", 0, "geometry", "coordinates", 0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            _set(["features", 0, "properties"], {"名字": "测试1镇"}),
            "文件缺少 1 个乡镇的边界：测试1镇",
            id="no-name",
        ),
        pytest.param(
            _set(["features", 0, "properties", "name"], "测试一镇"),
            "第 1 个要素“测试一镇”：数据库中没有名为“测试一镇”的乡镇",
            id="unknown-township",
        ),
        pytest.param(
            _set(["features", 0, "properties", "name"], "测试一镇"),
            "文件缺少 1 个乡镇的边界：测试1镇（乡镇边界须一次全部导入）",
            id="missing-township",
        ),
        pytest.param(
            _set(["crs", "properties", "name"], "EPSG:4547"),
            "坐标系为 'EPSG:4547'，不是 WGS84 经纬度",
            id="projected-crs",
        ),
        pytest.param(
            _set(FIRST_RING, [[x * 1e5, y * 1e5] for x, y in square(107.0, 24.0)]),
            "超出经纬度范围，像是投影坐标",
            id="projected-coordinates",
        ),
        pytest.param(
            _set(FIRST_RING, square(107.0, 24.0)[:-1]),
            "“测试1镇”外边界未闭合",
            id="unclosed-ring",
        ),
        pytest.param(
            _set(FIRST_RING, [[107.0, 24.0], [107.1, 24.0], [107.0, 24.0]]),
            "至少需要 4 个坐标点",
            id="too-few-positions",
        ),
        pytest.param(
            _set(FIRST_RING, [[107.0, 24.0], [107.05, 24.05], [107.1, 24.1], [107.0, 24.0]]),
            "第 1 个要素“测试1镇”：边界线自相交，位于 (107.050000, 24.050000) 处，无法修复为多边形",
            id="all-on-a-line",
        ),
        pytest.param(
            _set(["features", 0, "geometry"], {"type": "Point", "coordinates": [107.0, 24.0]}),
            "几何类型应为 Polygon 或 MultiPolygon，实为 'Point'",
            id="point",
        ),
        pytest.param(
            _set(FIRST_RING, [[107.0, "24"], [107.1, 24.0], [107.1, 24.1], [107.0, 24.0]]),
            "不是 [经度, 纬度] 数字对",
            id="text-coordinate",
        ),
        pytest.param(
            _set(["type"], "GeometryCollection"),
            "文件不是 GeoJSON FeatureCollection",
            id="not-a-collection",
        ),
        pytest.param(_set(["features"], []), "文件中没有要素", id="no-features"),
    ],
)
def test_a_broken_file_is_refused_and_nothing_changes(county, change, message):
    text = refusal(county, broken(change))
    assert message in text
    assert text.startswith("边界文件有")


def test_every_problem_of_a_file_is_reported_at_once(county):
    def change(document):
        document["features"][0]["properties"]["name"] = "测试一镇"
        document["features"][1]["geometry"] = {"type": "LineString", "coordinates": []}
        document["features"][2]["geometry"]["coordinates"][0][1] = [1e6, 24.0]

    with pytest.raises(BoundaryError) as raised:
        dry_run(county, broken(change))
    assert len(raised.value.problems) == 3
    assert "未与数据库对应的要素：" in raised.value.hints


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "不是有效的 JSON（第 1 行"), ("", "不是有效的 JSON")],
    ids=["invalid", "empty"],
)
def test_a_file_that_is_not_json_is_refused(county, tmp_path, text, message):
    with pytest.raises(BoundaryError, match=message):
        import_boundary_file(county, write(tmp_path, text), username="测试", now=WALL_CLOCK)


def test_a_file_that_is_not_utf8_is_refused(county, tmp_path):
    path = tmp_path / "gbk.geojson"
    path.write_bytes(json.dumps(good_collection(), ensure_ascii=False).encode("gbk"))
    with pytest.raises(BoundaryError, match="不是 UTF-8 编码的文本"):
        import_boundary_file(county, path, username="测试", now=WALL_CLOCK)


def test_a_missing_file_is_refused(county, tmp_path):
    with pytest.raises(BoundaryError, match="无法读取文件"):
        import_boundary_file(county, tmp_path / "nowhere.geojson", username="测试", now=WALL_CLOCK)


# --- the demo county, on both databases -------------------------------------------------------


def demo_file(conn) -> dict:
    rows = conn.execute(select(Township.name, Township.boundary)).all()
    return collection(
        *(feature(name, geometry["coordinates"], kind=geometry["type"]) for name, geometry in rows)
    )


def test_the_demo_countys_own_boundaries_load_back(tmp_path, demo_sqlite_path):
    from data_access.db import make_engine

    copy_path = tmp_path / "demo.db"
    copy_path.write_bytes(Path(demo_sqlite_path).read_bytes())
    engine = make_engine(f"sqlite:///{copy_path}")
    with engine.connect() as conn:
        document = demo_file(conn)
    report = import_boundary_file(
        engine, write(tmp_path, document), username="测试", now=WALL_CLOCK
    )
    assert report.townships == len(document["features"])
    assert report.warnings == []
    assert report.repaired == []
    assert report.unmatched == []
    engine.dispose()


def test_the_demo_boundaries_import_and_then_change_nothing_on_either_database(demo_engine):
    with demo_engine.connect() as conn:
        try:
            document = demo_file(conn)
            write = Change(conn=conn, by="测试", at=WALL_CLOCK)
            first = import_boundaries(write, document)
            again = import_boundaries(write, document)
            assert first.townships == len(document["features"])
            assert first.warnings == []
            assert again.changes == 0
            assert again.data_version == first.data_version
        finally:
            conn.rollback()


# --- command line -----------------------------------------------------------------------------


def test_the_command_line_dry_runs_then_imports_with_commit(yunling, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_DB_URL", str(yunling.url))
    before = snapshot(yunling)
    good = write(tmp_path, street_file(), "乡镇.geojson")
    assert main(["import-boundaries", str(good)]) == 0
    output = capsys.readouterr().out
    assert "试导入（未写入）：乡镇边界 3 个、村边界 0 个与数据库对应，其中 3 个将改变" in output
    assert "以上为试导入，数据库未改动。核对无误后加 --commit 写入" in output
    assert snapshot(yunling) == before
    assert main(["import-boundaries", str(good), "--commit", "--user", "王局长"]) == 0
    assert "已导入乡镇边界 3 个，村边界 0 个（改变 3 个" in capsys.readouterr().out
    with yunling.connect() as conn:
        assert conn.execute(select(AuditEntry.username)).scalars().all() == ["王局长"]


def test_the_command_line_takes_the_property_and_the_coordinate_system(
    yunling, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("DASHBOARD_DB_URL", str(yunling.url))
    path = write(tmp_path, gcj_file())
    args = ["import-boundaries", str(path), "--code-property", "adcode", "--from", "gcj02"]
    assert main([*args, "--commit"]) == 0
    output = capsys.readouterr().out
    assert "匹配方式：按指定属性：按代码属性 “adcode” 匹配；坐标按 GCJ-02 读取" in output
    assert "提示" not in output


def test_the_command_line_reports_a_refusal_with_status_1(county, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_DB_URL", str(county.url))
    bad = write(tmp_path, broken(_set(["features", 0, "properties", "name"], "测试一镇")))
    assert main(["import-boundaries", str(bad), "--commit"]) == 1
    assert "数据库中没有名为“测试一镇”的乡镇" in capsys.readouterr().err


# --- the 导入边界 tab of /import ------------------------------------------------------------------

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
IMPORT_PAGE = next(spec for spec in PAGES if spec.url_path == "import")


@pytest.fixture
def demo_copy(demo_sqlite_path, tmp_path, monkeypatch, test_config_path):
    engine = writable_demo(demo_sqlite_path, tmp_path)
    monkeypatch.setenv("DASHBOARD_DB_URL", str(engine.url))
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    yield engine
    engine.dispose()


def boundary_tab(content: bytes, name: str = "乡镇界.geojson") -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(str(IMPORT_PAGE.path))
    app = logged_in(app, "admin")
    return (
        app.file_uploader(key="boundary-file")
        .set_value((name, content, "application/geo+json"))
        .run()
    )


def street_layer_of(engine: Engine) -> bytes:
    """The demo county's boundaries laid out as a street layer with a county NAME too."""
    with engine.connect() as conn:
        rows = conn.execute(select(Township.name, Township.code, Township.boundary)).all()
    features = [
        {
            "type": "Feature",
            "properties": {"NAME": "云岭县", "街道名称": name, "adcode": f"{code}000"},
            "geometry": boundary,
        }
        for name, code, boundary in rows
    ]
    return json.dumps(collection(*features), ensure_ascii=False).encode()


def test_the_boundary_tab_dry_runs_an_upload_then_commits_it(demo_copy):
    content = street_layer_of(demo_copy)
    app = boundary_tab(content)
    assert not app.exception
    # NAME (the county) and 街道名称 disagree: nothing is preselected, the user chooses.
    assert any("文件中有多个名称属性，取值不一致" in info.value for info in app.info)
    chooser = app.selectbox(key="boundary-property")
    assert chooser.value is None
    assert chooser.format_func("adcode").startswith("代码：adcode（")
    assert not app.metric
    app = chooser.set_value("adcode").run()
    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    townships = len(json.loads(content)["features"])
    assert (metrics["乡镇"], metrics["将改变"]) == (str(townships), str(townships))
    with demo_copy.connect() as conn:
        version = int(read_meta(conn, "data_version"))
        audit = conn.execute(select(func.max(AuditEntry.id))).scalar()
    app.button(key="boundary-commit").click().run()
    assert not app.exception
    assert app.success[0].value.startswith(f"边界已导入：乡镇 {townships} 个")
    with demo_copy.connect() as conn:
        assert int(read_meta(conn, "data_version")) == version + 1
        entries = conn.execute(
            select(AuditEntry.username, AuditEntry.action).where(AuditEntry.id > audit)
        ).all()
    assert [tuple(entry) for entry in entries] == [("admin", "导入边界")]
    # The page dry-runs the same file against the new data: nothing left to write.
    assert {metric.label: metric.value for metric in app.metric}["将改变"] == "0"
    assert app.button(key="boundary-commit").disabled


def test_the_boundary_tab_refuses_a_county_outline_in_chinese(demo_copy):
    outline = collection(
        {
            "type": "Feature",
            "properties": {"NAME": "云岭县"},
            "geometry": {"type": "Polygon", "coordinates": [square(107.0, 24.0, 1.0)]},
        }
    )
    before = snapshot(demo_copy)
    app = boundary_tab(json.dumps(outline, ensure_ascii=False).encode())
    assert not app.exception
    assert "这是县级轮廓" in app.error[0].value
    assert not [button for button in app.button if button.key == "boundary-commit"]
    # Signing in is audited; the county's data is not touched.
    after = snapshot(demo_copy)
    assert (after[:2], after[3]) == (before[:2], before[3])
