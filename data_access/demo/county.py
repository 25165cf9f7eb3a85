"""The demo county as a whole: everything later generators read, built once per seeding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from config.settings import Settings
from data_access.demo.conduct import Conduct, draw_conduct
from data_access.demo.people import (
    Cadres,
    Households,
    Inspectors,
    build_inspectors,
    build_people,
)
from data_access.demo.places import Places, build_places
from data_access.demo.plan import Sizes, Timeline, sizes_for, stream, timeline_for


@dataclass(frozen=True)
class County:
    seed: int
    sizes: Sizes
    timeline: Timeline
    settings: Settings
    places: Places
    conduct: Conduct
    cadres: Cadres
    households: Households
    inspectors: Inspectors

    @property
    def weak_township_codes(self) -> tuple[str, ...]:
        return tuple(
            code
            for code, weak in zip(
                self.places.township_code, self.conduct.weak_townships, strict=True
            )
            if weak
        )


def build_county(*, seed: int, scale: float, as_of: date, settings: Settings) -> County:
    """Places, the strong and weak among them, and the people, with data up to ``as_of`` (or up
    to the clock's now on the as-of day itself).

    Raises ValueError for a scale that is not positive and FutureAsOfError for an as-of date
    after today."""
    sizes = sizes_for(scale)
    timeline = timeline_for(as_of, now=settings.clock.now())
    places = build_places(seed, sizes, settings.county.division_code)
    conduct = draw_conduct(
        stream(seed, "conduct"), townships=places.township_count, units=places.unit_count
    )
    cadres, households = build_people(seed, places, conduct, timeline, settings)
    return County(
        seed=seed,
        sizes=sizes,
        timeline=timeline,
        settings=settings,
        places=places,
        conduct=conduct,
        cadres=cadres,
        households=households,
        inspectors=build_inspectors(seed, places, sizes.inspectors),
    )
