"""Places: townships with their polygons, villages inside them, and the units paired with them.

Households are laid out village by village (ids in village order), so a village's households are
the contiguous range ``first_household[v] : first_household[v] + households[v]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from data_access.demo.arrays import apportion
from data_access.demo.geometry import Box, Ring, ring_area, scatter_points, tile_box
from data_access.demo.names import township_names, unit_names, village_names
from data_access.demo.plan import Sizes, stream

COUNTY_BOX = Box(west=107.2, south=24.3, east=108.0, north=24.9)
VILLAGES_PER_TOWNSHIP = (8, 15)
# Villages keep this share of their township's size away from its border.
VILLAGE_MARGIN_SHARE = 0.08


@dataclass(frozen=True)
class Places:
    township_code: list[str]
    township_name: list[str]
    township_ring: list[Ring]
    # A point inside each township, for labels.
    township_point: np.ndarray
    village_township: np.ndarray
    village_code: list[str]
    village_name: list[str]
    # (lon, lat) per village.
    village_point: np.ndarray
    # The assisting unit paired with each village (定点帮扶).
    village_unit: np.ndarray
    households: np.ndarray
    first_household: np.ndarray
    unit_name: list[str]
    unit_kind: list[str]

    @property
    def township_count(self) -> int:
        return len(self.township_code)

    @property
    def village_count(self) -> int:
        return len(self.village_code)

    @property
    def unit_count(self) -> int:
        return len(self.unit_name)


def build_places(seed: int, sizes: Sizes, division_code: str) -> Places:
    rng = stream(seed, "places")
    names = township_names(rng, sizes.townships)
    cells = tile_box(rng, sizes.townships, COUNTY_BOX)
    # Names (and so codes) in catalogue order; where each township lies on the map is drawn.
    cells = [cells[i] for i in rng.permutation(len(cells))]
    township_codes = [f"{division_code}{101 + t:03d}" for t in range(sizes.townships)]

    villages_per_township = apportion(
        sizes.villages, rng.uniform(*VILLAGES_PER_TOWNSHIP, size=sizes.townships), minimum=2
    )
    village_township = np.repeat(np.arange(sizes.townships), villages_per_township)
    village_codes = [
        f"{township_codes[t]}{201 + j:03d}"
        for t, count in enumerate(villages_per_township)
        for j in range(count)
    ]
    village_point = np.concatenate(
        [
            scatter_points(
                rng,
                [cell.ring],
                count,
                margin=VILLAGE_MARGIN_SHARE * math.sqrt(ring_area(cell.ring)),
            )
            for cell, count in zip(cells, villages_per_township, strict=True)
        ]
    )
    households = apportion(
        sizes.households, rng.lognormal(0.0, 0.35, size=sizes.villages), minimum=20
    )
    # Each unit takes a run of neighbouring villages (in code order, so mostly one township).
    villages_per_unit = apportion(
        sizes.villages, rng.uniform(0.3, 1.3, size=sizes.units), minimum=2, maximum=5
    )
    units = unit_names(rng, names, sizes.units)
    return Places(
        township_code=township_codes,
        township_name=names,
        township_ring=[cell.ring for cell in cells],
        township_point=np.array([cell.inner_point for cell in cells]),
        village_township=village_township,
        village_code=village_codes,
        village_name=village_names(rng, sizes.villages),
        village_point=village_point,
        village_unit=np.repeat(np.arange(sizes.units), villages_per_unit),
        households=households,
        first_household=np.cumsum(households) - households,
        unit_name=[name for name, _ in units],
        unit_kind=[kind for _, kind in units],
    )


def township_columns(places: Places) -> dict:
    return {
        "id": np.arange(1, places.township_count + 1),
        "code": places.township_code,
        "name": places.township_name,
        "boundary": [{"type": "Polygon", "coordinates": [ring]} for ring in places.township_ring],
        "center_lon": places.township_point[:, 0],
        "center_lat": places.township_point[:, 1],
    }


def village_columns(places: Places, last_inspected_on: np.ndarray) -> dict:
    """Villages; ``last_inspected_on`` (datetime64[D], NaT for never) comes from the 暗访 log."""
    return {
        "id": np.arange(1, places.village_count + 1),
        "code": places.village_code,
        "township_id": places.village_township + 1,
        "name": places.village_name,
        "lon": places.village_point[:, 0].round(5),
        "lat": places.village_point[:, 1].round(5),
        "last_inspected_on": last_inspected_on,
    }


def unit_columns(places: Places) -> dict:
    return {
        "id": np.arange(1, places.unit_count + 1),
        "name": places.unit_name,
        "kind": places.unit_kind,
    }


def unit_village_columns(places: Places) -> dict:
    return {
        "unit_id": places.village_unit + 1,
        "village_id": np.arange(1, places.village_count + 1),
    }
