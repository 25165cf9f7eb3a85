"""The 走访覆盖 map: township outlines, villages coloured by a duty's coverage, township labels
(DataFrames in, pydeck Deck out; no st.* calls).

The map has no basemap and loads nothing from outside the app, so it works with the network
unplugged: ``map_provider=None`` with pydeck's default map style. Streamlit's front end reads that
default (the "__MAP_STYLE__" placeholder) as "no basemap"; ``map_style=None`` instead would make
it fetch a CARTO basemap from basemaps.cartocdn.com (streamlit 1.67, DeckGlJsonChart).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import pandas as pd
import pydeck as pdk
from pydeck.types import String

from dashboard import escaping, formatting
from dashboard.charts.theme import FONT_FAMILY

Color = list[int]

TOWNSHIP_LAYER = "townships"
VILLAGE_LAYER = "villages"
LABEL_LAYER = "township-labels"
SELECTED_LAYER = "selected-village"


@dataclass(frozen=True)
class CoverageClass:
    label: str
    # Coverage shares in [low, high) fall in the class (the last class includes 100 %).
    low: float
    high: float
    color: Color

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.color[:3])


# A sequential red → green scale in five classes. Classes, not a continuous ramp, so that a
# legend can be read from the back of the meeting room and two villages in one class look alike;
# the edges sit where the demo county's weak and strong villages separate.
COVERAGE_CLASSES: tuple[CoverageClass, ...] = (
    CoverageClass("低于 60%", 0.0, 0.6, [183, 28, 28, 235]),
    CoverageClass("60%–80%", 0.6, 0.8, [239, 108, 0, 235]),
    CoverageClass("80%–90%", 0.8, 0.9, [249, 168, 37, 235]),
    CoverageClass("90%–99%", 0.9, 0.995, [124, 179, 66, 235]),
    CoverageClass("99% 以上", 0.995, 1.000001, [27, 94, 32, 235]),
)
# "No data" (the duty covers no household there) is a hollow grey ring, never a colour of the
# scale: it must not read as 0 %.
NO_DATA_LABEL = "无数据"
NO_DATA_FILL: Color = [189, 189, 189, 90]
NO_DATA_LINE: Color = [97, 97, 97, 255]
COVERED_LINE: Color = [255, 255, 255, 255]
TOWNSHIP_FILL: Color = [236, 239, 241, 170]
TOWNSHIP_LINE: Color = [96, 125, 139, 255]
LABEL_COLOR: Color = [38, 50, 56, 255]
SELECTED_LINE: Color = [21, 101, 192, 255]

# pydeck puts a point's values into the template as they are: the names it reads are escaped
# for HTML (village_points). The township labels are drawn as glyphs (TextLayer), not markup.
TOOLTIP = {
    "html": (
        "<b>村：{village_html}</b><br/>乡镇：{township_html}<br/>覆盖率：{coverage_label}"
        "<br/>应走访{unit}：{covered}<br/>未走访{unit}：{unvisited}"
    ),
    "style": {
        "fontFamily": FONT_FAMILY,
        "fontSize": "15px",
        "backgroundColor": "#263238",
        "color": "white",
    },
}


def coverage_class(share: float | None) -> CoverageClass | None:
    """The class of a coverage share; None for no data."""
    if share is None or math.isnan(share):
        return None
    for item in COVERAGE_CLASSES:
        if item.low <= share < item.high:
            return item
    return COVERAGE_CLASSES[-1] if share >= 1 else COVERAGE_CLASSES[0]


def coverage_color(share: float | None) -> Color:
    """Fill colour of a village with coverage ``share`` (grey for no data)."""
    item = coverage_class(share)
    return list(NO_DATA_FILL) if item is None else list(item.color)


def legend_entries() -> list[tuple[str, str]]:
    """(label, CSS colour) per class, best first, then no data."""
    rows = [(item.label, item.hex) for item in reversed(COVERAGE_CLASSES)]
    return [*rows, (NO_DATA_LABEL, "#bdbdbd")]


def _polygons(geometry: dict | None) -> list[list]:
    """The rings of each polygon of a GeoJSON Polygon/MultiPolygon (none without geometry)."""
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def county_bounds(
    townships: pd.DataFrame, villages: pd.DataFrame
) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of all outlines and village points; None when nothing has
    coordinates."""
    lons: list[float] = []
    lats: list[float] = []
    for geometry in townships["boundary"]:
        for polygon in _polygons(geometry):
            for lon, lat, *_ in polygon[0]:
                lons.append(lon)
                lats.append(lat)
    located = villages.dropna(subset=["lon", "lat"])
    lons += located["lon"].tolist()
    lats += located["lat"].tolist()
    if not lons:
        return None
    return min(lons), min(lats), max(lons), max(lats)


def _mercator_y(lat: float) -> float:
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def fitted_view(
    bounds: tuple[float, float, float, float] | None, *, width: int, height: int
) -> pdk.ViewState:
    """A view that shows ``bounds`` whole in a ``width`` × ``height`` pixel map, with a margin."""
    if bounds is None:
        return pdk.ViewState(longitude=105.0, latitude=35.0, zoom=3.5)
    west, south, east, north = bounds
    # deck.gl's MapView shows 360° in 512 px at zoom 0; fit whichever side is tighter, with
    # a 6 % margin on each side.
    lon_span = max(east - west, 1e-6)
    lat_span = max(_mercator_y(north) - _mercator_y(south), 1e-6)
    zoom = min(
        math.log2(width * 0.88 * 360 / (512 * lon_span)),
        math.log2(height * 0.88 * 360 / (512 * lat_span)),
    )
    return pdk.ViewState(
        longitude=(west + east) / 2,
        latitude=(south + north) / 2,
        zoom=round(zoom, 2),
        min_zoom=max(zoom - 2, 0),
        max_zoom=zoom + 5,
        pitch=0,
        bearing=0,
    )


def village_points(villages: pd.DataFrame) -> pd.DataFrame:
    """The village rows as the map draws them: colours, labels for the tooltip, JSON-safe values.
    The names are there only as the tooltip's HTML (village_html, township_html): the browser
    gets no other copy of them with the points.

    Expects ``with_coverage`` columns (village_id, village, township, lon, lat, covered,
    unvisited, coverage, and unit)."""
    located = villages.dropna(subset=["lon", "lat"])
    no_data = located["coverage"].isna()
    return pd.DataFrame(
        {
            "village_id": located["village_id"].astype(int),
            "village_html": [escaping.html(name) for name in located["village"]],
            "township_html": [escaping.html(name) for name in located["township"]],
            "lon": located["lon"].astype(float),
            "lat": located["lat"].astype(float),
            "covered": located["covered"].astype(int),
            "unvisited": located["unvisited"].astype(int),
            # 户, or 人户 for a 遍访 (data_access.visits.Duty.unit); from the code, not the data.
            "unit": located.get("unit", "户"),
            # Strings, not NaN: pydeck writes NaN into its JSON, which the browser rejects.
            "coverage_label": [
                NO_DATA_LABEL if missing else formatting.percent(share)
                for share, missing in zip(located["coverage"], no_data, strict=True)
            ],
            "fill": [coverage_color(share) for share in located["coverage"]],
            "line": [NO_DATA_LINE if missing else COVERED_LINE for missing in no_data],
        }
    )


def township_shapes(townships: pd.DataFrame) -> pd.DataFrame:
    """One row per polygon of every township outline (a MultiPolygon gives several)."""
    rows = [
        {"township": name, "rings": polygon}
        for name, geometry in zip(townships["township"], townships["boundary"], strict=True)
        for polygon in _polygons(geometry)
    ]
    return pd.DataFrame(rows, columns=["township", "rings"])


def label_characters(names: pd.Series) -> str:
    """Every character the labels use, for the TextLayer's glyph atlas."""
    return "".join(sorted(set("".join(names))))


def _area(geometry: dict | None) -> float:
    """Planar area in square degrees (outer rings less holes): enough to rank one county's
    townships by size."""

    def ring_area(ring: list) -> float:
        return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring)) / 2)

    return sum(
        ring_area(polygon[0]) - sum(ring_area(hole) for hole in polygon[1:])
        for polygon in _polygons(geometry)
        if polygon
    )


def township_labels(townships: pd.DataFrame) -> pd.DataFrame:
    """One label per township with a label point: name, position and the township's area."""
    labelled = townships.dropna(subset=["center_lon", "center_lat"])
    return pd.DataFrame(
        {
            "township": labelled["township"],
            "lon": labelled["center_lon"].astype(float),
            "lat": labelled["center_lat"].astype(float),
            "area": [_area(geometry) for geometry in labelled["boundary"]],
        }
    )


# Clear space kept around each label, as a share of the label size: the white outline and a
# gap that keeps two labels from reading as one name.
LABEL_MARGIN = 0.2


def _screen_point(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixel coordinates at ``zoom`` (deck.gl: 512 px for the world at zoom 0)."""
    size = 512 * 2**zoom
    x = (lon + 180) / 360 * size
    y = (1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2 * size
    return x, y


def uncluttered_labels(labels: pd.DataFrame, *, zoom: float, label_size: float) -> pd.DataFrame:
    """The ``township_labels`` rows to draw at ``zoom`` so that no two overlap.

    Each label's screen box is estimated around its point (the TextLayer centres the text):
    characters × ``label_size`` pixels wide (Chinese glyphs are about one em wide) by
    ``label_size`` high, plus ``LABEL_MARGIN``. Larger townships are placed first; a label whose
    box meets one already placed is hidden, not shrunk: a smaller label would be unreadable on
    the meeting wall, and the hidden township keeps its outline (and, on /visits, its name in its
    villages' tooltips). Rows keep their order."""
    margin = label_size * LABEL_MARGIN
    placed: list[tuple[float, float, float, float]] = []
    kept: list[int] = []
    ranked = labels.assign(position=range(len(labels))).sort_values(
        ["area", "township"], ascending=[False, True]
    )
    for row in ranked.itertuples():
        x, y = _screen_point(row.lon, row.lat, zoom)
        half_width = len(row.township) * label_size / 2 + margin
        half_height = label_size / 2 + margin
        box = (x - half_width, y - half_height, x + half_width, y + half_height)
        if any(
            box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]
            for other in placed
        ):
            continue
        placed.append(box)
        kept.append(row.position)
    return labels.iloc[sorted(kept)]


def coverage_deck(
    villages: pd.DataFrame,
    townships: pd.DataFrame,
    *,
    selected_village_id: int | None = None,
    width: int = 1150,
    height: int = 640,
    label_size: int = 17,
    pixel_scale: float = 1.0,
) -> pdk.Deck:
    """The county map for one duty: outlines, coloured villages (pickable, with a Chinese
    tooltip), township labels and a ring around the selected village.

    ``villages``: ``with_coverage`` rows; ``townships``: ``township_outlines`` rows. ``width``
    and ``height`` are the map's size in pixels (the view is fitted to them); ``label_size`` is
    the township labels' size and ``pixel_scale`` multiplies the points' and lines' pixel sizes,
    for a screen that shows everything larger (the meeting wall).
    """

    def pixels(size: float) -> float:
        return size * pixel_scale

    points = village_points(villages)
    view = fitted_view(county_bounds(townships, villages), width=width, height=height)
    every_label = township_labels(townships)
    labels = uncluttered_labels(every_label, zoom=view.zoom, label_size=label_size)
    layers = [
        pdk.Layer(
            "PolygonLayer",
            # Outlines only: not pickable, so the names would be dead weight in the browser.
            township_shapes(townships)[["rings"]],
            id=TOWNSHIP_LAYER,
            get_polygon="rings",
            get_fill_color=TOWNSHIP_FILL,
            get_line_color=TOWNSHIP_LINE,
            line_width_min_pixels=pixels(1.5),
            stroked=True,
            filled=True,
            pickable=False,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            points,
            id=VILLAGE_LAYER,
            get_position=["lon", "lat"],
            get_fill_color="fill",
            get_line_color="line",
            get_radius=700,
            radius_min_pixels=pixels(6),
            radius_max_pixels=pixels(16),
            line_width_min_pixels=pixels(1.5),
            stroked=True,
            filled=True,
            pickable=True,
            auto_highlight=True,
        ),
        pdk.Layer(
            "TextLayer",
            labels,
            id=LABEL_LAYER,
            get_position=["lon", "lat"],
            get_text="township",
            get_color=LABEL_COLOR,
            get_size=label_size,
            # pydeck turns plain strings into accessor expressions ("@@=…"); String() keeps a
            # literal. deck.gl's default glyph atlas is ASCII only, so it gets the labels' own
            # characters (a string is read as its set of characters).
            font_family=String(FONT_FAMILY),
            font_weight=600,
            character_set=String(label_characters(every_label["township"])),
            outline_width=4,
            outline_color=[255, 255, 255, 230],
            font_settings={"sdf": True},
            pickable=False,
        ),
    ]
    chosen = points[points["village_id"] == selected_village_id]
    if not chosen.empty:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                chosen,
                id=SELECTED_LAYER,
                get_position=["lon", "lat"],
                get_radius=1500,
                radius_min_pixels=pixels(13),
                stroked=True,
                filled=False,
                get_line_color=SELECTED_LINE,
                line_width_min_pixels=pixels(3),
                pickable=False,
            )
        )
    return pdk.Deck(
        layers=layers,
        initial_view_state=view,
        map_provider=None,
        tooltip=TOOLTIP,
    )
