"""The wall's control, mounted in the page: the screen size and the wall's keys as reruns."""

from __future__ import annotations

import streamlit as st

from dashboard.meeting.rotation import COMMANDS
from dashboard.meeting.screen import (
    Screen,
    screen_from_report,
)

# The wall's control, mounted in the page itself (no iframe): it reports the viewport's size
# (again after a resize) and turns the wall's keys into commands — → / ← next or previous panel
# (held there), space or P pause and resume. Both reach Python as a rerun of the same session, so
# the page never reloads: the sign-in and the rotation survive. The browser sends nothing else.
WALL_CONTROL_JS = """
export default function (component) {
  const { data, setStateValue, setTriggerValue } = component;
  let known = (data && data.screen) || {};
  const report = () => {
    const size = { width: window.innerWidth, height: window.innerHeight };
    if (size.width !== known.width || size.height !== known.height) {
      known = size;
      setStateValue("screen", size);
    }
  };
  let settle = null;
  const onResize = () => {
    clearTimeout(settle);
    settle = setTimeout(report, 250);
  };
  const keys = { ArrowRight: "next", ArrowLeft: "previous", " ": "pause", p: "pause", P: "pause" };
  const onKey = (event) => {
    const command = keys[event.key];
    if (!command || event.repeat || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    event.preventDefault();
    setTriggerValue("command", command);
  };
  report();
  window.addEventListener("resize", onResize);
  document.addEventListener("keydown", onKey);
  return () => {
    clearTimeout(settle);
    window.removeEventListener("resize", onResize);
    document.removeEventListener("keydown", onKey);
  };
}
"""


_wall_control = st.components.v2.component("meeting_wall_control", js=WALL_CONTROL_JS)


_SCREEN_KEY = "wall_screen_report"


def _ignore() -> None:
    """Component values are read from its result; the callbacks only declare them."""


def wall_control() -> tuple[Screen, str | None]:
    """Mount the wall's control; the screen it reported and the key command of this run."""
    result = _wall_control(
        key="wall_control",
        data={"screen": st.session_state.get(_SCREEN_KEY)},
        on_screen_change=_ignore,
        on_command_change=_ignore,
        height=0,
    )
    report = result.get("screen")
    st.session_state[_SCREEN_KEY] = report
    command = result.get("command")
    return screen_from_report(report), command if command in COMMANDS else None
