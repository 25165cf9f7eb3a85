"""The wall's design screen, its full-screen style, the screen a browser reports, and the design
sizes (1920×1080 pixels) the charts and the map scale from."""

from __future__ import annotations

import math
from dataclasses import dataclass

# The screen the wall is laid out for, in CSS pixels. On any other screen the whole layout scales
# by min(width / DESIGN_WIDTH, height / DESIGN_HEIGHT): HTML through the root font size (every
# size below is in rem), charts and the map through Screen. So a 1366×768 projector shows the
# 1920×1080 wall smaller and a 3840×2160 screen shows it twice as large, both whole and unscrolled
# (CSS zoom would do the same for HTML but breaks plotly's canvas, whose pointer and size maths do
# not know about zoom).
DESIGN_WIDTH, DESIGN_HEIGHT = 1920, 1080


ROOT_FONT_PX = 16


# Full screen: no sidebar, no Streamlit header, toolbar or element toolbars (the map's would sit on
# the data stamp), large type for reading at 8 m. Wall-only overrides of the shared 红黑榜 and
# countdown styles restate their pixel sizes in rem so that they scale with the screen.
MEETING_CSS = f"""
<style>
html {{font-size: min(calc(100vw * {ROOT_FONT_PX} / {DESIGN_WIDTH}),
                      calc(100vh * {ROOT_FONT_PX} / {DESIGN_HEIGHT})) !important}}
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stElementToolbar"], .st-key-wall_control {{display:none}}
.block-container {{padding: 1.2rem 2.4rem 0 2.4rem; max-width: 100%}}
/* Every panel fits (the browser test measures it); while a turn redraws the wall the previous
   panel's elements linger for a moment, and a scroll bar flashing up then would narrow and
   redraw every chart. */
[data-testid="stMain"] {{overflow: hidden}}
[data-testid="stMainBlockContainer"] h1 {{font-size: 2.6rem}}
.page-stamp {{font-size: 1.25rem}}
.wall-tiles {{display:grid; gap: 1.125rem}}
.wall-tile {{background:#f4f5f7; border-radius:.625rem; padding:1.375rem 1.625rem;
           border-left:.625rem solid #9aa0a6}}
.wall-tile .label {{font-size:1.7rem; color:#1f2430}}
.wall-tile .value {{font-size:5.2rem; font-weight:800; line-height:1.2}}
.wall-tile .note {{font-size:1.35rem; color:#3c4250}}
.wall-overview .wall-tiles {{gap:1.5rem}}
.wall-overview .wall-tile {{padding:2.5rem 2.2rem}}
.wall-overview .wall-tile .label {{font-size:1.9rem}}
/* As large as a quarter of the screen allows: a longer figure (240,000 households) gets a
   smaller size instead of running out of its tile. */
.wall-overview .wall-tile .value {{font-size:min(7.2rem, calc(42rem / var(--chars)))}}
.wall-overview .wall-tile .note {{font-size:1.5rem}}
/* Beside the map, a fifth of the width: room for "100.0%" at this size. */
.wall-tile.narrow {{margin-top:1.125rem}}
.wall-tile.narrow .value {{font-size:4.4rem}}
.wall-line {{font-size:2.3rem; font-weight:700; margin:.375rem 0 .875rem 0}}
.wall-line b {{color:#c62828}}
.wall-progress {{display:flex; gap:.625rem; align-items:center; font-size:1.3rem; color:#5f6673}}
.wall-progress span.dot {{width:1.125rem; height:1.125rem; border-radius:50%; background:#cfd4da}}
.wall-progress span.on {{background:#b71c1c}}
.wall-progress .wall-stale {{margin-left:auto; color:#b71c1c; font-weight:700}}
.wall-chart-legend {{display:flex; flex-wrap:wrap; gap:.4rem 1.6rem; font-size:1.3rem;
                     color:#1f2430; padding-left:5.5rem}}
.wall-chart-legend i {{display:inline-block; width:1rem; height:1rem; margin-right:.4rem;
                       vertical-align:-.05rem}}
.wall-legend {{display:flex; align-items:center; gap:.75rem; margin:.625rem 0; font-size:1.5rem}}
.wall-legend span {{width:1.625rem; height:1.625rem; border-radius:50%;
                    border:.125rem solid #cfd8dc}}
.wall-legend-title {{font-size:1.7rem; font-weight:700}}
.wall-legend-note {{font-size:1.2rem; color:#3c4250; margin:.25rem 0 .5rem 0}}
.roll {{padding:.625rem 1.125rem .75rem 1.125rem !important; border-radius:.5rem !important}}
.roll h3 {{font-size:2.2rem !important; margin:0 0 .375rem 0 !important}}
.roll-row {{gap:.875rem !important; padding:.3125rem 0 !important}}
.roll-name {{font-size:2.3rem !important}}
.roll-score, .roll-rank {{font-size:1.9rem !important}}
.roll-reason {{font-size:1.35rem !important}}
.countdown-row {{gap:.875rem !important; margin:.25rem 0 .625rem 0 !important}}
.countdown-card {{padding:.5rem .875rem !important; border-radius:.375rem !important;
                 border-top-width:.375rem !important}}
.countdown-name {{font-size:1.6rem !important}}
.countdown-days {{font-size:3rem !important}}
.countdown-meta {{font-size:1.3rem !important}}
</style>
"""


@dataclass(frozen=True)
class Screen:
    """The wall's viewport in CSS pixels, and the design's sizes on it."""

    width: int
    height: int

    @property
    def scale(self) -> float:
        """How much larger than on the design screen everything is drawn (the CSS's ratio)."""
        return min(self.width / DESIGN_WIDTH, self.height / DESIGN_HEIGHT)

    def px(self, design: float) -> int:
        """``design`` pixels of the 1920×1080 layout on this screen."""
        return max(1, round(design * self.scale))

    def fill(self, design: float) -> int:
        """A height of ``design`` pixels on the design screen, plus whatever height this screen
        has beyond the design's 16:9 (a 4:3 or 16:10 screen gives its charts the extra rows)."""
        return self.px(design) + max(0, math.floor(self.height - DESIGN_HEIGHT * self.scale))


DESIGN_SCREEN = Screen(DESIGN_WIDTH, DESIGN_HEIGHT)


# Smaller than any projector; below it a reported size is a collapsed or hidden window.
SMALLEST_SCREEN = Screen(320, 180)


def screen_from_report(report: object) -> Screen:
    """The screen the browser reported (``{"width": …, "height": …}`` in CSS pixels); the design
    screen until a usable report arrives."""
    if not isinstance(report, dict):
        return DESIGN_SCREEN
    width, height = report.get("width"), report.get("height")
    sides = (width, height)
    if not all(isinstance(side, int | float) and not isinstance(side, bool) for side in sides):
        return DESIGN_SCREEN
    if width < SMALLEST_SCREEN.width or height < SMALLEST_SCREEN.height:
        return DESIGN_SCREEN
    return Screen(int(width), int(height))


# Design sizes (pixels on the 1920×1080 screen) of what the HTML does not size itself: each
# panel's chart or map takes the height its panel has left under the title, the HTML above it and
# the progress line, less a margin for font rounding on other screens.
RANKING_CHART_HEIGHT = 470


OVERDUE_CHART_HEIGHT = 655


INCOME_CHART_HEIGHT = 745


MAP_HEIGHT = 900


# Type of the charts (township names on the y axis in TICK_FONT) and of the map's labels.
CHART_FONT = 18


TICK_FONT = 20


AXIS_FONT = 17


TITLE_FONT = 24


MAP_LABEL_SIZE = 24


# The 红黑榜 chart's height is for lists of DESIGN_LIST_SIZE; each further township on the lists
# takes a roll row (two lines when its reason wraps) from the chart, which then lists fewer rows.
DESIGN_LIST_SIZE = 3


ROLL_ROW_HEIGHT = 97


# A bar chart row needs this much height to keep its label legible; the x axis takes AXIS_SPACE.
MIN_ROW_PITCH = 28


AXIS_SPACE = 60


# The thickest a bar gets: two townships should not paint two walls of colour.
MAX_BAR = 56


# Up to this many (households, items), a count axis ticks every 1 (plotly would tick at 0.5).
SMALL_COUNT = 6


# The map's column (4 of 5 parts, beside its legend) and the padding it sits in (2.4rem a side).
MAP_SHARE = 4 / 5


PAGE_PADDING = 2 * 2.4 * ROOT_FONT_PX


PLOT = {"displayModeBar": False, "staticPlot": True}
