"""会议大屏: the projected display for progress meetings, rotating through its panels.

URL control: ?panel=rankings shows that panel first; &pause=1 holds it. On the wall's keyboard,
→ / ← step through the panels and the space bar pauses or resumes.
"""

import time

import streamlit as st

from dashboard.components.layout import page_header
from dashboard.context import current_view
from dashboard.meeting import (
    MEETING_CSS,
    PANELS,
    fresh_view,
    keyboard_script,
    panel_index,
    progress_html,
    wall_title,
)

view = current_view()
settings = view.settings.meeting
playlist = list(settings.panels)
requested = st.query_params.get("panel")
paused = st.query_params.get("pause") == "1"
start = playlist.index(requested) if requested in playlist else 0
st.session_state.setdefault("wall_started", time.monotonic())
st.html(MEETING_CSS)


@st.fragment(run_every=None if paused else settings.seconds_per_panel)
def wall() -> None:
    now = time.monotonic()
    current, stale = fresh_view(view, now=now)
    page_header(current, wall_title(current))
    if stale:
        st.warning(
            f"数据已超过 {settings.stale_after_minutes} 分钟未能刷新，"
            "以下为最后一次成功读取的数据。",
            icon=":material/sync_problem:",
        )
    index = panel_index(
        len(playlist),
        start=start,
        elapsed_seconds=now - st.session_state["wall_started"],
        seconds_per_panel=settings.seconds_per_panel,
        paused=paused,
    )
    titles = [PANELS[name][0] for name in playlist]
    PANELS[playlist[index]][1](current)
    st.html(
        MEETING_CSS
        + progress_html(titles, index, paused=paused, seconds=settings.seconds_per_panel)
    )


wall()
st.iframe(keyboard_script(playlist), height=1)
