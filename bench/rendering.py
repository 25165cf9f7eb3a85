"""Render time of every registered page through Streamlit's AppTest, cold and warm."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import streamlit as st
import streamlit.logger
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from bench.environment import PROJECT_ROOT
from dashboard.navigation import PageSpec

APP_SCRIPT = PROJECT_ROOT / "dashboard" / "app.py"
RUN_TIMEOUT_S = 60


class PageFailedError(RuntimeError):
    """A page raised while being rendered; its timing would mean nothing."""


@dataclass(frozen=True)
class PageTiming:
    spec: PageSpec
    cold_seconds: float
    warm_seconds: tuple[float, ...]

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm_seconds)


def render_once(spec: PageSpec) -> float:
    """Seconds for one run of the entry script showing ``spec``, as a new session would.

    Raises PageFailedError when the page shows an exception or an error message.
    """
    app = AppTest.from_file(str(APP_SCRIPT), default_timeout=RUN_TIMEOUT_S)
    if not spec.default:
        app.switch_page(str(spec.path))
    started = time.perf_counter()
    app.run()
    seconds = time.perf_counter() - started
    # The entry script answers a broken database or settings file with st.error, not a raise.
    failures = [element.message for element in app.exception] + [
        element.value for element in app.error
    ]
    if failures:
        raise PageFailedError(f"{spec.file}: {'; '.join(failures)}")
    return seconds


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def time_pages(pages: tuple[PageSpec, ...], *, runs: int) -> list[PageTiming]:
    """Cold (caches just cleared) and ``runs`` warm render times of every page.

    DASHBOARD_DB_URL and DASHBOARD_CONFIG must be set before the first call. One untimed run comes
    first so that the first page's cold time is not also the time to import pandas and plotly.
    """
    _quiet_streamlit_warnings()
    render_once(pages[0])
    timings = []
    for spec in pages:
        clear_caches()
        cold = render_once(spec)
        warm = tuple(render_once(spec) for _ in range(runs))
        timings.append(PageTiming(spec, cold, warm))
    return timings


def _quiet_streamlit_warnings() -> None:
    """Outside a server every AppTest and cache clear logs "missing ScriptRunContext"; a page's own
    failures still surface through PageFailedError. Setting the option too keeps the level when
    Streamlit first parses its config, which would reset it to the default.
    """
    streamlit_config.set_option("logger.level", "error")
    streamlit.logger.set_log_level("error")
