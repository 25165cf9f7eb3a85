"""The rotation through the panels: which panel shows, the keys that step or pause it, and the
progress bar under the panel."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard import escaping
from dashboard.meeting.screen import (
    Screen,
)


@dataclass(frozen=True)
class Rotation:
    """Which panel of the playlist is on the wall, and whether the wall holds it there."""

    index: int
    paused: bool

    def turned(self, *, count: int) -> Rotation:
        """The rotation after one turn of the wall's clock: the next panel, unless held.

        The wall counts its turns instead of reading the time since it started: a turn comes
        seconds_per_panel after the previous one was drawn, so turns drift later by the time
        each one takes to draw, and a panel chosen by elapsed time would sooner or later be
        skipped."""
        return self if self.paused else Rotation((self.index + 1) % count, paused=False)


# What the wall's keyboard can ask for (the control script sends these names).
COMMANDS = ("next", "previous", "pause")


def rotation_after(rotation: Rotation, command: str, *, count: int) -> Rotation:
    """The rotation after a key press: "next"/"previous" step from the panel on the wall and hold
    there; "pause" holds the panel on the wall, or resumes turning from it.

    Raises ValueError for a command not in COMMANDS."""
    if command == "next":
        return Rotation((rotation.index + 1) % count, paused=True)
    if command == "previous":
        return Rotation((rotation.index - 1) % count, paused=True)
    if command == "pause":
        return Rotation(rotation.index, paused=not rotation.paused)
    raise ValueError(f"unknown wall command {command!r}")


def progress_html(
    titles: list[str],
    index: int,
    *,
    paused: bool,
    seconds: int,
    screen: Screen,
    stale_after_minutes: int | None = None,
) -> str:
    """The dots and the line under the panel; its data attributes say what is shown, whether
    the wall is held and which screen size it is laid out for. With ``stale_after_minutes`` the
    line warns that the data could not be refreshed for that long (on this line, so that the
    warning takes no height from the panel)."""
    dots = "".join(
        f'<span class="dot{" on" if position == index else ""}"'
        f' title="{escaping.html(title)}"></span>'
        for position, title in enumerate(titles)
    )
    if paused:
        state = "已暂停（按空格键继续轮播）"
    else:
        state = f"每 {seconds} 秒切换（空格键暂停，←/→ 翻屏）"
    return (
        f'<div class="wall-progress" data-testid="wall-progress" data-index="{index}"'
        f' data-paused="{str(paused).lower()}" data-screen="{screen.width}x{screen.height}">'
        f"{dots}<span>第 {index + 1}/{len(titles)} 屏 · {escaping.html(titles[index])} · "
        f"{state}</span>"
        f"{_stale_html(stale_after_minutes)}</div>"
    )


def _stale_html(minutes: int | None) -> str:
    if minutes is None:
        return ""
    return (
        '<span class="wall-stale" data-testid="wall-stale">'
        f"⚠ 数据已超过 {minutes} 分钟未能刷新，显示的是最后一次成功读取的数据</span>"
    )
