"""Render time of every registered page through Streamlit's AppTest, cold and warm, signed in,
with the time the render spent in SQL; and the first render of each after each kind of write."""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st
import streamlit.logger
from sqlalchemy import CursorResult, Engine, event
from streamlit import config as streamlit_config
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from bench.environment import PROJECT_ROOT
from config import Settings
from dashboard.navigation import PageSpec
from data_access.caching import forget_decoded
from data_access.db import make_engine
from tests.login import DEMO_PASSWORDS, logged_in

APP_SCRIPT = PROJECT_ROOT / "dashboard" / "app.py"
RUN_TIMEOUT_S = 120
# Holds every role, so every page renders; the figures are the county's (no narrower scope).
BENCH_USER = "admin"
# A script with no data at all: what one AppTest run costs before a page does anything.
_BARE_SCRIPT = """
import streamlit as st
st.set_page_config(page_title="bench", layout="wide")
st.markdown("# 空白页")
"""


_FETCH_METHODS = ("_fetchone_impl", "_fetchmany_impl", "_fetchall_impl")
_ITERATOR = "_fetchiter_impl"


class PageFailedError(RuntimeError):
    """A page raised while being rendered; its timing would mean nothing."""


class SqlClock:
    """Seconds spent in SQL in this process, by every engine: executing statements and fetching
    their rows (SQLite computes a GROUP BY while the rows are fetched, not in ``execute``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.statements = 0
        self._started: dict[int, float] = {}

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        started = self._started.pop(id(cursor), None)
        if started is not None:
            self.seconds += time.perf_counter() - started
            self.statements += 1

    def _timed(self, method):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed

    def _timed_iterator(self, method):
        def timed(*args, **kwargs):
            rows = method(*args, **kwargs)
            while True:
                started = time.perf_counter()
                try:
                    row = next(rows)
                except StopIteration:
                    return
                finally:
                    self.seconds += time.perf_counter() - started
                yield row

        return timed

    @contextmanager
    def listening(self) -> Iterator[SqlClock]:
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)
        # No event marks the end of a fetch: the result's fetch methods are timed instead
        # (SQLAlchemy internals, stable across 2.x; a benchmark may lean on them).
        originals = {name: getattr(CursorResult, name) for name in (*_FETCH_METHODS, _ITERATOR)}
        for name in _FETCH_METHODS:
            setattr(CursorResult, name, self._timed(originals[name]))
        setattr(CursorResult, _ITERATOR, self._timed_iterator(originals[_ITERATOR]))
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self._before)
            event.remove(Engine, "after_cursor_execute", self._after)
            for name, method in originals.items():
                setattr(CursorResult, name, method)


# Streamlit's calls that put something on the page: their time is Streamlit turning figures,
# tables, maps and widgets into messages for the browser, not the page's own work.
_ELEMENTS = (
    "plotly_chart",
    "pydeck_chart",
    "dataframe",
    "data_editor",
    "table",
    "metric",
    "markdown",
    "caption",
    "html",
    "title",
    "header",
    "subheader",
    "divider",
    "info",
    "warning",
    "error",
    "success",
    "progress",
    "download_button",
    "button",
    "form_submit_button",
    "selectbox",
    "multiselect",
    "radio",
    "segmented_control",
    "pills",
    "number_input",
    "text_input",
    "date_input",
    "checkbox",
    "toggle",
    "slider",
    "file_uploader",
    "columns",
    "tabs",
    "expander",
    "container",
    "popover",
    "form",
)


class ElementClock:
    """Seconds spent inside Streamlit's element and widget calls (the outermost call only, so
    that a widget built inside a container is counted once)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0

    def _timed(self, method):
        @functools.wraps(method)
        def timed(*args, **kwargs):
            if self._depth:
                return method(*args, **kwargs)
            self._depth += 1
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self._depth -= 1

        return timed

    @contextmanager
    def listening(self) -> Iterator[ElementClock]:
        # st.plotly_chart and friends are methods of the main DeltaGenerator bound at import;
        # st.sidebar.x and a column's x are looked up on the class.
        own = {name: DeltaGenerator.__dict__.get(name) for name in _ELEMENTS}
        bound = {name: getattr(st, name) for name in _ELEMENTS if hasattr(st, name)}
        for name in _ELEMENTS:
            if hasattr(DeltaGenerator, name):
                setattr(DeltaGenerator, name, self._timed(getattr(DeltaGenerator, name)))
        for name, method in bound.items():
            setattr(st, name, self._timed(method))
        try:
            yield self
        finally:
            for name, method in own.items():
                if method is not None:
                    setattr(DeltaGenerator, name, method)
                elif name in DeltaGenerator.__dict__:
                    delattr(DeltaGenerator, name)
            for name, method in bound.items():
                setattr(st, name, method)


@dataclass(frozen=True)
class Render:
    seconds: float
    sql_seconds: float
    statements: int
    # Inside Streamlit's element and widget calls (ElementClock).
    element_seconds: float = 0.0


@dataclass(frozen=True)
class PageTiming:
    spec: PageSpec
    cold: Render
    warm: tuple[Render, ...]

    @property
    def warm_median(self) -> float:
        return statistics.median(render.seconds for render in self.warm)


def _timed_run(app: AppTest, spec: PageSpec) -> Render:
    clock, elements = SqlClock(), ElementClock()
    with clock.listening(), elements.listening():
        started = time.perf_counter()
        app.run()
        seconds = time.perf_counter() - started
    # The entry script answers a broken database or settings file with st.error, not a raise.
    failures = [element.message for element in app.exception] + [
        element.value for element in app.error
    ]
    if failures:
        raise PageFailedError(f"{spec.file}: {'; '.join(failures)}")
    return Render(seconds, clock.seconds, clock.statements, elements.seconds)


def signed_in_app(spec: PageSpec) -> AppTest:
    """A new session on ``spec``, signed in through the login form as BENCH_USER."""
    app = AppTest.from_file(str(APP_SCRIPT), default_timeout=RUN_TIMEOUT_S)
    if not spec.default:
        app.switch_page(str(spec.path))
    logged_in(app, BENCH_USER)
    if app.exception:
        raise PageFailedError(f"{spec.file}: {app.exception[0].message}")
    return app


def time_sign_in(spec: PageSpec, *, runs: int) -> float:
    """Median seconds from pressing 登录 on the form to the first page drawn, in a new session
    each time: the password check (Argon2id), the server-side session and the page's render."""
    _quiet_streamlit_warnings()
    seconds = []
    for _ in range(max(runs, 3)):
        app = AppTest.from_file(str(APP_SCRIPT), default_timeout=RUN_TIMEOUT_S)
        app.run()
        app.text_input(key="login_username").input(BENCH_USER)
        app.text_input(key="login_password").input(DEMO_PASSWORDS[BENCH_USER])
        button = app.button(key="login_submit").click()
        started = time.perf_counter()
        button.run()
        seconds.append(time.perf_counter() - started)
        if app.exception or not app.get("metric"):
            raise PageFailedError(f"{spec.file}: signing in did not reach the page")
    return statistics.median(seconds)


def clear_caches() -> None:
    """Every cache a process keeps in memory; the snapshots in the database stay."""
    st.cache_data.clear()
    st.cache_resource.clear()
    forget_decoded()


def time_pages(pages: tuple[PageSpec, ...], *, runs: int) -> list[PageTiming]:
    """Cold (caches just cleared) and warm render times of every page, each in a session of its
    own that signed in first (the sign-in run is not timed); the median of ``runs`` of each.

    DASHBOARD_DB_URL and DASHBOARD_CONFIG must be set before the first call. Every page is
    rendered once untimed first, so that a cold time is the page's own work on empty caches
    rather than the process importing pandas, plotly or pydeck for the first time (the
    database snapshots stay: they are shared by every process and filled by the seed).
    """
    _quiet_streamlit_warnings()
    for spec in pages:
        signed_in_app(spec).run()
    timings = []
    for spec in pages:
        app = signed_in_app(spec)
        colds = []
        for _ in range(runs):
            clear_caches()
            colds.append(_timed_run(app, spec))
        warm = tuple(_timed_run(app, spec) for _ in range(runs))
        timings.append(PageTiming(spec, _median(colds), warm))
    return timings


def time_after_writes(
    pages: tuple[PageSpec, ...],
    *,
    writes: Mapping[str, Callable[[Engine, Settings], None]],
    database_url: str,
    settings: Settings,
) -> dict[str, dict[str, float]]:
    """Seconds of each page's first render after each kind of write, by page url path and write:
    for every (write, page), the page rendered until its stored summaries are current, one write
    through the door, this process's caches emptied (another process would hold none of the new
    versions either), then the page again, timed."""
    _quiet_streamlit_warnings()
    apps = {spec.url_path: signed_in_app(spec) for spec in pages}
    engine = make_engine(database_url)
    seconds: dict[str, dict[str, float]] = {spec.url_path: {} for spec in pages}
    try:
        for name, write in writes.items():
            for spec in pages:
                _timed_run(apps[spec.url_path], spec)
                write(engine, settings)
                clear_caches()
                seconds[spec.url_path][name] = _timed_run(apps[spec.url_path], spec).seconds
    finally:
        engine.dispose()
    return seconds


def _median(renders: list[Render]) -> Render:
    """The render with the median time (the lower middle one of an even count)."""
    ordered = sorted(renders, key=lambda render: render.seconds)
    return ordered[(len(ordered) - 1) // 2]


def streamlit_overhead(*, runs: int) -> float:
    """Median seconds of one AppTest run of a script that reads no data: the fixed cost every
    page pays before its own work."""
    _quiet_streamlit_warnings()
    app = AppTest.from_string(_BARE_SCRIPT, default_timeout=RUN_TIMEOUT_S)
    app.run()
    seconds = []
    for _ in range(max(runs, 3)):
        started = time.perf_counter()
        app.run()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def _quiet_streamlit_warnings() -> None:
    """Outside a server every AppTest and cache clear logs "missing ScriptRunContext"; a page's own
    failures still surface through PageFailedError. Setting the option too keeps the level when
    Streamlit first parses its config, which would reset it to the default.
    """
    streamlit_config.set_option("logger.level", "error")
    streamlit.logger.set_log_level("error")
