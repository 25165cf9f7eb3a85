"""Plane geometry of the demo county: township polygons that tile it, and points inside them.

Coordinates are WGS84 (lon, lat). The county is ~80 km across, so treating degrees as plane
coordinates is harmless for a demo map.

The tiling is built in a unit square. Wiggly "border" polylines run bottom to top between
columns; within each column, wiggly "splits" run from the left border to the right one. Every
polyline is generated once and reused by both cells it separates, and every point where a split
meets a border is inserted into that border, so neighbours share exactly the same vertices and
the polygons neither overlap nor leave gaps.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from data_access.demo.arrays import apportion

Point = tuple[float, float]
Ring = list[Point]

# Wiggle amplitudes as a share of a column's width / a cell's height. Two neighbouring
# polylines move at most 2 × 0.2 of the gap between them, so they can never cross.
BORDER_WIGGLE = 0.2
SPLIT_WIGGLE = 0.2
SPLIT_POINTS = 9
BORDER_POINTS_PER_ROW = 6
DECIMALS = 5


def points_in_polygon(rings: Sequence[Sequence[Point]], lon, lat) -> np.ndarray:
    """Which points (``lon``, ``lat``) lie inside the polygon ``rings`` (GeoJSON coordinates of
    a Polygon: the outer ring, then any holes).

    Ray casting with the even-odd rule; a point exactly on an edge may fall either way, so
    callers keep a margin from edges.
    """
    x = np.asarray(lon, dtype=float)[..., None]
    y = np.asarray(lat, dtype=float)[..., None]
    crossings = np.zeros(np.broadcast(x, y).shape[:-1], dtype=np.int64)
    for ring in rings:
        edges = np.asarray(ring, dtype=float)
        x1, y1, x2, y2 = edges[:-1, 0], edges[:-1, 1], edges[1:, 0], edges[1:, 1]
        straddles = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at_y = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        crossings += np.count_nonzero(straddles & (x < x_at_y), axis=-1)
    return crossings % 2 == 1


def distance_to_boundary(rings: Sequence[Sequence[Point]], lon, lat) -> np.ndarray:
    """Distance (in degrees) from each point to the nearest edge of the polygon ``rings``."""
    p = np.stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)], axis=-1)[
        ..., None, :
    ]
    nearest = np.full(p.shape[:-2], np.inf)
    for ring in rings:
        edges = np.asarray(ring, dtype=float)
        a, b = edges[:-1], edges[1:]
        ab = b - a
        length2 = np.maximum((ab**2).sum(axis=-1), 1e-30)
        t = np.clip(((p - a) * ab).sum(axis=-1) / length2, 0.0, 1.0)
        gap = p - (a + t[..., None] * ab)
        nearest = np.minimum(nearest, np.sqrt((gap**2).sum(axis=-1)).min(axis=-1))
    return nearest


def ring_area(ring: Sequence[Point]) -> float:
    """Area enclosed by ``ring`` (shoelace formula, in square degrees)."""
    xy = np.asarray(ring, dtype=float)
    return abs(float(np.dot(xy[:-1, 0], xy[1:, 1]) - np.dot(xy[1:, 0], xy[:-1, 1]))) / 2


@dataclass(frozen=True)
class Box:
    west: float
    south: float
    east: float
    north: float

    def aspect(self) -> float:
        """Width over height on the ground (a degree of longitude shrinks with latitude)."""
        middle = math.radians((self.south + self.north) / 2)
        return (self.east - self.west) * math.cos(middle) / (self.north - self.south)

    def to_lon_lat(self, u: float, v: float) -> Point:
        return (
            round(self.west + u * (self.east - self.west), DECIMALS),
            round(self.south + v * (self.north - self.south), DECIMALS),
        )


@dataclass(frozen=True)
class Cell:
    """One tile: its closed outer ring (counter-clockwise) and a point well inside it."""

    ring: Ring
    inner_point: Point


def tile_box(rng: np.random.Generator, cells: int, box: Box) -> list[Cell]:
    """``cells`` wiggly polygons that tile ``box`` without overlaps or gaps, column by column."""
    columns = max(1, min(cells, round(math.sqrt(cells * box.aspect()))))
    rows = rng.permutation(apportion(cells, np.ones(columns), minimum=1))
    knots = np.linspace(0.0, 1.0, BORDER_POINTS_PER_ROW * int(rows.max()) + 1)
    borders = [
        k / columns + _wiggle(rng, knots, BORDER_WIGGLE / columns) for k in range(columns + 1)
    ]
    splits = [
        _column_splits(rng, knots, borders[c], borders[c + 1], rows[c]) for c in range(columns)
    ]
    # Each border's vertices: its own knots plus every point where a split of either
    # neighbouring column ends on it, keyed by v so both sides pick the very same tuples.
    border_points: list[dict[float, Point]] = [
        dict(zip(knots.tolist(), zip(border.tolist(), knots.tolist(), strict=True), strict=True))
        for border in borders
    ]
    for c, column in enumerate(splits):
        for split in column:
            border_points[c][split.points[0][1]] = split.points[0]
            border_points[c + 1][split.points[-1][1]] = split.points[-1]
    sides = [sorted(points.items()) for points in border_points]

    tiles = []
    for c, column in enumerate(splits):
        for bottom, top in itertools.pairwise(column):
            low, high = bottom.points, top.points
            right = [p for v, p in sides[c + 1] if low[-1][1] < v < high[-1][1]]
            left = [p for v, p in reversed(sides[c]) if low[0][1] < v < high[0][1]]
            ring = [*low, *right, *reversed(high), *left, low[0]]
            middle = (bottom.middle_v + top.middle_v) / 2
            inner = _to_unit_square(0.5, middle, borders[c], borders[c + 1], knots)
            tiles.append(
                Cell(
                    ring=_deduplicated([box.to_lon_lat(u, v) for u, v in ring]),
                    inner_point=box.to_lon_lat(*inner),
                )
            )
    return tiles


def _wiggle(rng: np.random.Generator, x: np.ndarray, amplitude: float) -> np.ndarray:
    """A smooth random curve over ``x`` (in [0, 1]) that never leaves ±``amplitude``."""
    weights = np.array([1.0, 0.6, 0.35, 0.15])
    frequencies = np.array([1, 2, 3, 0])
    phases = rng.uniform(0, 2 * np.pi, size=len(weights))
    waves = np.sin(2 * np.pi * frequencies[:, None] * x + phases[:, None])
    # The zero-frequency term is the jitter: a small independent offset per point.
    waves[-1] = rng.uniform(-1, 1, size=len(x))
    return amplitude * (weights @ waves) / weights.sum()


class _Split(NamedTuple):
    """A polyline across a column, left border to right border, and its height mid-column."""

    points: list[Point]
    middle_v: float


def _column_splits(
    rng: np.random.Generator,
    knots: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    rows: int,
) -> list[_Split]:
    """The ``rows + 1`` horizontal polylines of one column, bottom edge to top edge, in the unit
    square, each from its point on the left border to its point on the right border.

    Splits are drawn in column coordinates (t across the column, v up) and mapped into the
    square; they are cut at every border knot they pass so that each piece maps to a nearly
    straight segment that stays inside the column.
    """
    t = np.linspace(0.0, 1.0, SPLIT_POINTS)
    splits = []
    for s in range(rows + 1):
        v = s / rows + _wiggle(rng, t, SPLIT_WIGGLE / rows)
        if s in (0, rows):
            # The county's outer edge: corners stay on the box so the columns line up.
            v = s / rows + (v - s / rows) * np.sin(np.pi * t)
            v[[0, -1]] = s / rows
        ts, vs = _cut_at_knots(t, v, knots)
        points = [_to_unit_square(a, b, left, right, knots) for a, b in zip(ts, vs, strict=True)]
        splits.append(_Split(points, middle_v=float(v[len(t) // 2])))
    return splits


def _cut_at_knots(t: np.ndarray, v: np.ndarray, knots: np.ndarray) -> tuple[list, list]:
    """The polyline (t, v) with a vertex added wherever it crosses a knot level of v."""
    ts, vs = [float(t[0])], [float(v[0])]
    for t1, v1, t2, v2 in zip(t[:-1], v[:-1], t[1:], v[1:], strict=True):
        low, high = min(v1, v2), max(v1, v2)
        crossed = knots[(knots > low) & (knots < high)]
        for level in crossed if v2 > v1 else crossed[::-1]:
            ts.append(float(t1 + (t2 - t1) * (level - v1) / (v2 - v1)))
            vs.append(float(level))
        ts.append(float(t2))
        vs.append(float(v2))
    return ts, vs


def _to_unit_square(
    t: float, v: float, left: np.ndarray, right: np.ndarray, knots: np.ndarray
) -> Point:
    """Column coordinates (t across, v up) → unit-square (u, v)."""
    west = float(np.interp(v, knots, left))
    east = float(np.interp(v, knots, right))
    # Exact at t = 0 and t = 1: a split's ends are the very points of the borders.
    return ((1 - t) * west + t * east, v)


def _deduplicated(ring: Ring) -> Ring:
    """``ring`` without consecutive repeated vertices (rounding can merge close ones)."""
    kept = [ring[0]]
    for point in ring[1:]:
        if point != kept[-1]:
            kept.append(point)
    return kept


def scatter_points(
    rng: np.random.Generator, rings: Sequence[Sequence[Point]], count: int, *, margin: float
) -> np.ndarray:
    """``count`` points (lon, lat) inside the polygon, at least ``margin`` from its edges and,
    as far as room allows, spread apart (rejection sampling). Returns an array (count, 2).
    """
    outer = np.asarray(rings[0], dtype=float)
    low, high = outer.min(axis=0), outer.max(axis=0)
    spacing = 0.6 * math.sqrt(ring_area(rings[0]) / count)
    chosen: list[np.ndarray] = []
    while len(chosen) < count:
        candidates = rng.uniform(low, high, size=(64, 2))
        inside = points_in_polygon(rings, candidates[:, 0], candidates[:, 1])
        clear = distance_to_boundary(rings, candidates[:, 0], candidates[:, 1]) >= margin
        for point in candidates[inside & clear]:
            if all(np.hypot(*(point - other)) >= spacing for other in chosen):
                chosen.append(point)
                if len(chosen) == count:
                    break
        # A crowded polygon relaxes the spacing rather than looping for ever.
        spacing *= 0.95
    return np.array(chosen)
