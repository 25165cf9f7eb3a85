"""Boundaries from GeoJSON: a good file replaces them; every broken file is refused with a clear
Chinese message and leaves the database exactly as it was."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from data_access.__main__ import main
from data_access.audit import audit_entries
from data_access.boundaries import (
    BoundaryError,
    import_boundary_file,
    ring_self_intersection,
    segments_intersect,
)
from data_access.db import read_meta
from data_access.models import Township, Village
from tests.builders import add_township, add_village
from tests.clock import WALL_CLOCK


def square(west: float, south: float, size: float = 0.1) -> list[list[float]]:
    east, north = west + size, south + size
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def feature(name: str | None, coordinates, *, kind="Polygon", **properties) -> dict:
    if name is not None:
        properties = {"name": name, **properties}
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def good_collection() -> dict:
    return {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [
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
        ],
    }


@pytest.fixture
def county(fresh_engine) -> Engine:
    with fresh_engine.begin() as conn:
        add_township(conn, 1)
        add_township(conn, 2)
        add_village(conn, 10, township_id=1)
        add_village(conn, 20, township_id=2)
        conn.execute(update(Village).where(Village.id == 20).values(lon=107.17, lat=24.07))
    return fresh_engine


def write(tmp_path: Path, collection) -> Path:
    path = tmp_path / "boundaries.geojson"
    text = collection if isinstance(collection, str) else json.dumps(collection, ensure_ascii=False)
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
        return townships, villages, read_meta(conn, "data_version")


def test_a_good_file_replaces_township_and_village_boundaries(county, tmp_path):
    report = import_boundary_file(
        county, write(tmp_path, good_collection()), username="测试", now=WALL_CLOCK
    )
    assert (report.townships, report.villages) == (2, 1)
    with Session(county) as session:
        first, second = session.get(Township, 1), session.get(Township, 2)
        village = session.get(Village, 10)
        version = read_meta(session.connection(), "data_version")
    assert first.boundary == {"type": "Polygon", "coordinates": [square(107.0, 24.0)]}
    assert (first.center_lon, first.center_lat) == pytest.approx((107.05, 24.05))
    assert second.boundary["type"] == "MultiPolygon"
    # The label goes on the largest part.
    assert second.center_lon == pytest.approx(107.15)
    assert village.boundary["coordinates"] == [square(107.0, 24.0, 0.05)]
    # A village without a point gets its boundary's centre.
    assert (village.lon, village.lat) == pytest.approx((107.025, 24.025))
    assert version == str(report.data_version)
    assert report.warnings == []
    with county.connect() as conn:
        entries = audit_entries(conn=conn)
        stamp = read_meta(conn, "data_as_of")
    assert entries[["at", "username", "action", "rows"]].values.tolist() == [
        [WALL_CLOCK, "测试", "导入边界", 3]
    ]
    assert stamp == WALL_CLOCK.isoformat(timespec="minutes")


def test_a_village_point_outside_its_new_township_is_reported(county, tmp_path):
    with county.begin() as conn:
        conn.execute(update(Village).where(Village.id == 20).values(lon=108.0))
    report = import_boundary_file(
        county, write(tmp_path, good_collection()), username="测试", now=WALL_CLOCK
    )
    assert report.warnings == ["提示：测试2镇·测试20村 的村点位不在该乡镇新边界内，请核对村坐标"]


def broken(change) -> dict:
    collection = copy.deepcopy(good_collection())
    change(collection)
    return collection


def _set(path: list, value):
    def change(collection):
        target = collection
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


FIRST_RING = ["features", 0, "geometry", "coordinates", 0]
BOW_TIE = [[107.0, 24.0], [107.1, 24.1], [107.1, 24.0], [107.0, 24.1], [107.0, 24.0]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            _set(["features", 0, "properties"], {"名字": "测试1镇"}),
            "第 1 个要素：缺少名称属性（name / 名称 / NAME）",
            id="no-name",
        ),
        pytest.param(
            _set(["features", 0, "properties", "name"], "测试一镇"),
            "第 1 个要素“测试一镇”：数据库中没有名为“测试一镇”的乡镇",
            id="unknown-township",
        ),
        pytest.param(
            _set(["features", 0, "properties", "name"], "测试一镇"),
            "文件缺少 1 个乡镇的边界：测试1镇",
            id="missing-township",
        ),
        pytest.param(
            _set(["features", 2, "properties", "name"], "测试11村"),
            "“测试1镇”下没有名为“测试11村”的村",
            id="unknown-village",
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
            _set(FIRST_RING, BOW_TIE),
            "“测试1镇”外边界自相交",
            id="self-intersecting",
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
            lambda c: c["features"].append(copy.deepcopy(c["features"][0])),
            "第 4 个要素“测试1镇”：与第 1 个要素“测试1镇”重名",
            id="duplicate",
        ),
        pytest.param(
            _set(["type"], "GeometryCollection"),
            "文件不是 GeoJSON FeatureCollection",
            id="not-a-collection",
        ),
    ],
)
def test_a_broken_file_is_refused_and_nothing_changes(county, tmp_path, change, message):
    before = snapshot(county)
    with pytest.raises(BoundaryError) as raised:
        import_boundary_file(
            county, write(tmp_path, broken(change)), username="测试", now=WALL_CLOCK
        )
    assert any(message in problem for problem in raised.value.problems), raised.value.problems
    assert str(raised.value).startswith("边界文件有")
    assert snapshot(county) == before


def test_every_problem_of_a_file_is_reported_at_once(county, tmp_path):
    def change(collection):
        collection["features"][0]["properties"]["name"] = "测试一镇"
        collection["features"][1]["geometry"]["coordinates"][1][0] = BOW_TIE

    with pytest.raises(BoundaryError) as raised:
        import_boundary_file(
            county, write(tmp_path, broken(change)), username="测试", now=WALL_CLOCK
        )
    assert len(raised.value.problems) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "不是有效的 JSON（第 1 行"), ("", "不是有效的 JSON")],
    ids=["invalid", "empty"],
)
def test_a_file_that_is_not_json_is_refused(county, tmp_path, text, message):
    with pytest.raises(BoundaryError, match=message):
        import_boundary_file(county, write(tmp_path, text), username="测试", now=WALL_CLOCK)


def test_a_missing_file_is_refused(county, tmp_path):
    with pytest.raises(BoundaryError, match="无法读取文件"):
        import_boundary_file(county, tmp_path / "nowhere.geojson", username="测试", now=WALL_CLOCK)


def test_segments_touching_or_crossing_intersect_and_parallel_ones_do_not():
    assert segments_intersect((0, 0), (2, 2), (0, 2), (2, 0))
    assert segments_intersect((0, 0), (2, 0), (1, 0), (3, 0))  # collinear overlap
    assert segments_intersect((0, 0), (2, 0), (1, 0), (1, 5))  # T-junction
    assert not segments_intersect((0, 0), (2, 0), (0, 1), (2, 1))
    assert not segments_intersect((0, 0), (1, 0), (2, 0), (3, 0))


def test_a_simple_ring_with_a_repeated_vertex_is_not_self_intersecting():
    ring = [[0, 0], [1, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    assert ring_self_intersection(ring) is None
    assert ring_self_intersection(BOW_TIE) == 1


def test_the_demo_countys_own_boundaries_load_back(tmp_path, demo_sqlite_path):
    from data_access.db import make_engine

    copy_path = tmp_path / "demo.db"
    copy_path.write_bytes(Path(demo_sqlite_path).read_bytes())
    engine = make_engine(f"sqlite:///{copy_path}")
    with engine.connect() as conn:
        rows = conn.execute(select(Township.name, Township.boundary)).all()
    features = [
        feature(name, geometry["coordinates"], kind=geometry["type"]) for name, geometry in rows
    ]
    collection = {"type": "FeatureCollection", "features": features}
    report = import_boundary_file(
        engine, write(tmp_path, collection), username="测试", now=WALL_CLOCK
    )
    assert report.townships == len(rows)
    assert report.warnings == []
    engine.dispose()


def test_the_command_line_imports_and_reports_problems(county, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DASHBOARD_DB_URL", str(county.url))
    good = write(tmp_path, good_collection())
    assert main(["import-boundaries", str(good)]) == 0
    assert "已导入乡镇边界 2 个，村边界 1 个" in capsys.readouterr().out
    bad = write(tmp_path, broken(_set(["features", 0, "properties", "name"], "测试一镇")))
    assert main(["import-boundaries", str(bad)]) == 1
    assert "数据库中没有名为“测试一镇”的乡镇" in capsys.readouterr().err
