"""GCJ-02 ("火星坐标", the coordinates of Chinese web maps such as Amap and Tencent) to and from
WGS84.

GCJ-02 is WGS84 moved by a smooth, position-dependent offset of a few hundred metres, given by the
publicly known formula (the one in googollee/eviltransform and its ports, with the Krasovsky
semi-major axis). The forward direction is the formula itself; the inverse has no closed form and
is found by fixed-point iteration: w ← g − δ(w), which converges in a handful of steps because the
offset δ changes by only metres over hundreds of metres. Outside China the offset is zero, as
the formula defines it. Works on floats and NumPy arrays alike.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Krasovsky 1940 semi-major axis and eccentricity squared, as in the published formula.
_SEMI_MAJOR = 6378245.0
_ECCENTRICITY2 = 0.00669342162296594323
# Iterate the inverse until it moves less than this (degrees; about 1 mm).
_TOLERANCE = 1e-8
_MAX_ITERATIONS = 30


def _outside_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def offset(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The GCJ-02 offset (Δlon, Δlat) in degrees at WGS84 ``lon``/``lat``."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x, y = lon - 105.0, lat - 35.0
    wave = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + wave
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + wave
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radians = np.radians(lat)
    magic = 1.0 - _ECCENTRICITY2 * np.sin(radians) ** 2
    root = np.sqrt(magic)
    d_lat = d_lat * 180.0 / ((_SEMI_MAJOR * (1.0 - _ECCENTRICITY2)) / (magic * root) * np.pi)
    d_lon = d_lon * 180.0 / (_SEMI_MAJOR / root * np.cos(radians) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, d_lon), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS84 → GCJ-02 (the published formula)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """GCJ-02 → WGS84: the WGS84 point whose GCJ-02 image is (``lon``, ``lat``), to ~1 mm."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    wgs_lon, wgs_lat = lon.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        d_lon, d_lat = offset(wgs_lon, wgs_lat)
        next_lon, next_lat = lon - d_lon, lat - d_lat
        moved = max(
            float(np.max(np.abs(next_lon - wgs_lon), initial=0.0)),
            float(np.max(np.abs(next_lat - wgs_lat), initial=0.0)),
        )
        wgs_lon, wgs_lat = next_lon, next_lat
        if moved < _TOLERANCE:
            break
    return wgs_lon, wgs_lat
