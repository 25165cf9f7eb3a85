"""会议大屏: the projected display for progress meetings, rotating through its panels.

URL control: ?panel=rankings shows that panel first; &pause=1 holds it. On the wall's keyboard,
→ / ← step through the panels and the space bar pauses or resumes; the URL follows, so a reload
comes back to the same panel. The layout scales to the screen it is shown on.
"""

import time

import streamlit as st

from dashboard.auth import still_signed_in
from dashboard.components.layout import page_header
from dashboard.context import current_view
from dashboard.meeting.control import wall_control
from dashboard.meeting.panels import PANELS, wall_title
from dashboard.meeting.refresh import fresh_view
from dashboard.meeting.rotation import Rotation, progress_html, rotation_after
from dashboard.meeting.screen import MEETING_CSS

view = current_view()
settings = view.settings.meeting
playlist = list(settings.panels)
titles = [PANELS[name][0] for name in playlist]
st.html(MEETING_CSS)

if "wall_rotation" not in st.session_state:
    requested = st.query_params.get("panel")
    st.session_state["wall_rotation"] = Rotation(
        index=playlist.index(requested) if requested in playlist else 0,
        paused=st.query_params.get("pause") == "1",
    )
screen, command = wall_control()
if command is not None:
    rotation = rotation_after(st.session_state["wall_rotation"], command, count=len(playlist))
    st.session_state["wall_rotation"] = rotation
    st.query_params["panel"] = playlist[rotation.index]
    if rotation.paused:
        st.query_params["pause"] = "1"
    else:
        st.query_params.pop("pause", None)
# The fragment's first draw in a run of the page shows the panel as it stands; every later draw
# in the same run comes from the fragment's timer and is a turn.
page_run = st.session_state.get("wall_page_run", 0) + 1
st.session_state["wall_page_run"] = page_run
paused = st.session_state["wall_rotation"].paused


# A turning wall reruns at every turn and a held one every refresh_seconds, so that both re-read
# the data; a rerun of the fragment redraws the wall in place, without reloading the page.
@st.fragment(run_every=settings.refresh_seconds if paused else settings.seconds_per_panel)
def wall() -> None:
    # The timer's reruns skip the entry script: the wall checks its sign-in itself, and a rerun
    # of the whole page then shows the sign-in form.
    if not still_signed_in(view):
        st.rerun()
    rotation = st.session_state["wall_rotation"]
    if st.session_state.get("wall_drawn_in_run") == page_run:
        rotation = rotation.turned(count=len(playlist))
        st.session_state["wall_rotation"] = rotation
    st.session_state["wall_drawn_in_run"] = page_run
    current, stale = fresh_view(view, now=time.monotonic(), settings=settings)
    page_header(current, wall_title(current))
    PANELS[playlist[rotation.index]][1](current, screen)
    st.html(
        MEETING_CSS
        + progress_html(
            titles,
            rotation.index,
            paused=rotation.paused,
            seconds=settings.seconds_per_panel,
            screen=screen,
            stale_after_minutes=settings.stale_after_minutes if stale else None,
        )
    )


wall()
