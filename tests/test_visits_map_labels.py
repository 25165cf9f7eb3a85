"""Township labels on the 走访覆盖 map: on a dense map the labels that would overlap a larger
township's are hidden, estimated from the fitted view; the deck draws only the ones kept."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from dashboard.charts.visits_map import (
    LABEL_LAYER,
    county_bounds,
    coverage_deck,
    fitted_view,
    township_labels,
    uncluttered_labels,
)
from data_access.scope import county_scope
from data_access.visits import township_outlines


def square(west: float, south: float, size: float) -> dict:
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def outlines(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    """Townships (name, west, south, size) with their label at the square's centre."""
    return pd.DataFrame(
        {
            "township_id": range(1, len(rows) + 1),
            "township": [name for name, *_ in rows],
            "boundary": [square(west, south, size) for _, west, south, size in rows],
            "center_lon": [west + size / 2 for _, west, _, size in rows],
            "center_lat": [south + size / 2 for _, _, south, size in rows],
        }
    )


NO_VILLAGES = pd.DataFrame(columns=["lon", "lat"])


def shown(townships: pd.DataFrame, *, width: int = 1150, height: int = 640, size: int = 17):
    zoom = fitted_view(county_bounds(townships, NO_VILLAGES), width=width, height=height).zoom
    return uncluttered_labels(township_labels(townships), zoom=zoom, label_size=size)[
        "township"
    ].tolist()


# A county 0.6° wide whose town seat (城关镇, small) sits 0.04° east of a large township's
# label: about 34 px apart at the fitted zoom, less than one three-character label (51 px).
DENSE = [
    ("城关镇", 107.33, 24.29, 0.02),
    ("大安乡", 107.0, 24.0, 0.6),
    ("马庄镇", 107.6, 24.0, 0.3),
]


def test_a_label_colliding_with_a_larger_townships_label_is_hidden():
    assert shown(outlines(DENSE)) == ["大安乡", "马庄镇"]


def test_the_larger_township_wins_whatever_the_order_of_the_rows():
    assert shown(outlines(DENSE[::-1])) == ["马庄镇", "大安乡"]


def test_labels_far_apart_are_all_shown():
    spread = [
        ("城关镇", 107.0, 24.0, 0.2),
        ("大安乡", 107.2, 24.0, 0.2),
        ("马庄镇", 107.4, 24.0, 0.2),
    ]
    assert shown(outlines(spread)) == ["城关镇", "大安乡", "马庄镇"]


def test_a_larger_map_has_room_for_labels_a_small_one_hides():
    # Same county on a 3840-px wall: the fitted zoom is higher and the two labels separate.
    pair = [("城关镇", 107.33, 24.29, 0.02), ("大安乡", 107.0, 24.0, 0.6)]
    assert shown(outlines(pair), width=600, height=400) == ["大安乡"]
    assert shown(outlines(pair), width=3840, height=2160, size=17) == ["城关镇", "大安乡"]


def test_bigger_labels_collide_sooner():
    pair = [("城关镇", 107.2, 24.29, 0.02), ("大安乡", 107.0, 24.0, 0.6)]
    assert shown(outlines(pair), size=17) == ["城关镇", "大安乡"]
    assert shown(outlines(pair), size=60) == ["大安乡"]


def test_the_deck_draws_only_the_labels_kept():
    villages = pd.DataFrame(
        columns=[
            "village_id",
            "village",
            "township",
            "lon",
            "lat",
            "covered",
            "unvisited",
            "coverage",
        ]
    )
    spec = json.loads(coverage_deck(villages, outlines(DENSE)).to_json())
    [layer] = [layer for layer in spec["layers"] if layer["id"] == LABEL_LAYER]
    assert [row["township"] for row in layer["data"]] == ["大安乡", "马庄镇"]
    # The glyph atlas still holds every name's characters (a wider map may show them).
    assert set("城关镇") <= set(layer["characterSet"])


def boxes(labels: pd.DataFrame, zoom: float, size: float) -> list[tuple[float, ...]]:
    result = []
    for row in labels.itertuples():
        scale = 512 * 2**zoom
        x = (row.lon + 180) / 360 * scale
        y = (1 - math.log(math.tan(math.pi / 4 + math.radians(row.lat) / 2)) / math.pi) / 2
        y *= scale
        half = len(row.township) * size / 2
        result.append((x - half, y - size / 2, x + half, y + size / 2))
    return result


@pytest.mark.parametrize(("width", "height", "size"), [(1150, 640, 17), (1400, 900, 26)])
def test_no_two_labels_of_the_demo_county_overlap(demo_sqlite, width, height, size):
    with demo_sqlite.connect() as conn:
        townships = township_outlines(conn=conn, scope=county_scope(conn=conn))
    zoom = fitted_view(county_bounds(townships, NO_VILLAGES), width=width, height=height).zoom
    kept = uncluttered_labels(township_labels(townships), zoom=zoom, label_size=size)
    assert len(kept) >= 1
    placed = boxes(kept, zoom, size)
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
