"""The wall's headline tiles: figures with their change, in large type."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import escaping, formatting
from data_access.overview import Briefing, Figure

INK = "#1f2430"


TONES = {"bad": "#c62828", "good": "#2e7d32", "plain": INK}


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    note: str
    # "bad" paints the value red (a number that must come down), "good" green, "plain" ink.
    tone: str = "plain"


def tiles_html(tiles: list[Tile], *, columns: int = 4) -> str:
    cells = "".join(
        f'<div class="wall-tile" style="border-left-color:{TONES[t.tone]}">'
        f'<div class="label">{escaping.html(t.label)}</div>'
        f'<div class="value" style="color:{TONES[t.tone]};--chars:{max(len(t.value), 1)}">'
        f"{escaping.html(t.value)}</div>"
        f'<div class="note">{escaping.html(t.note)}</div></div>'
        for t in tiles
    )
    return (
        f'<div class="wall-tiles" style="grid-template-columns:repeat({columns}, 1fr)">'
        f"{cells}</div>"
    )


def _change_note(change: float | None, unit: str) -> str:
    text = formatting.signed_count(change, f" {unit}")
    return "较上月 —" if text is None else ("较上月持平" if text == "0" else f"较上月 {text}")


def _points_note(change: float | None) -> str:
    text = formatting.signed_points(change)
    return "较上月 —" if text is None else ("较上月持平" if text == "0" else f"较上月 {text}")


def count_tile(label: str, figure: Figure, unit: str) -> Tile:
    """A count that should come down, with its change since last month."""
    return Tile(label, formatting.count(figure.value), _change_note(figure.change, unit), "bad")


def rate_tile(label: str, figure: Figure) -> Tile:
    """A share that should go up, with its change in percentage points."""
    return Tile(label, formatting.percent(figure.value), _points_note(figure.change), "good")


def overview_tiles(brief: Briefing, *, line: float) -> list[Tile]:
    """The eight figures of 总览, as wall tiles."""
    thresholds = sorted(brief.below_thresholds.items())
    low_threshold, low = thresholds[0]
    return [
        Tile("脱贫户（含监测户）", formatting.count(brief.households.value), "户"),
        count_tile("监测户·风险未消除", brief.at_risk, "户"),
        count_tile(f"低于监测线 {line:,.0f} 元", brief.below_line, "户"),
        count_tile(f"低于 {low_threshold:,.0f} 元", low, "户"),
        count_tile("收入不增反降", brief.fell, "户"),
        rate_tile("收支登记完整率", brief.register_rate),
        rate_tile("帮扶干部走访覆盖率", brief.visit_rate),
        Tile(
            "逾期未整改",
            formatting.count(brief.overdue_items.value),
            f"未销号共 {formatting.count(brief.open_items.value)} 项",
            "bad",
        ),
    ]
