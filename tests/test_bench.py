"""The benchmark's own arithmetic: which targets a measurement meets, and the SQL clock."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st
from sqlalchemy import create_engine, text
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from bench import targets
from bench.database import SeedResult
from bench.rendering import ElementClock, SqlClock
from bench.results import Measured


def _page(title: str, cold: float, sql: float, warm: float) -> dict:
    return {
        "url_path": title,
        "title": title,
        "cold_seconds": cold,
        "cold_sql_seconds": sql,
        "cold_statements": 10,
        "warm_seconds": warm,
        "warm_sql_seconds": 0.0,
    }


def _measured(scale: float, pages: list[dict], *, seed_seconds: float = 30.0) -> Measured:
    return Measured(
        backend="sqlite",
        scale=scale,
        seed=SeedResult(seconds=seed_seconds, peak_rss_kib=300 * 1024),
        size_bytes=0,
        rows={},
        pages={page["url_path"]: page for page in pages},
        overhead_seconds=0.05,
        peak_rss_bytes=400 * 1024**2,
    )


def _results(checks: list[targets.Check]) -> dict[str, bool]:
    return {check.name: check.met for check in checks}


def test_scale_one_is_held_to_the_absolute_limits_and_names_the_worst_page():
    small = _measured(1, [_page("总览", 0.8, 0.4, 0.1), _page("收入监测", 1.6, 0.9, 0.2)])
    checks = targets.checks(small, small)
    assert _results(checks) == {
        "cold render": False,
        "warm render": True,
        "seed": True,
        "cold ≤ 2 × SQL + overhead": True,
    }
    assert checks[0].measured == "收入监测 1.60 s"


def test_a_larger_scale_is_held_to_its_growth_over_the_smallest():
    small = _measured(1, [_page("总览", 0.5, 0.2, 0.1), _page("红黑榜", 0.4, 0.1, 0.1)])
    large = _measured(10, [_page("总览", 1.4, 0.6, 0.2), _page("红黑榜", 1.6, 0.2, 0.6)])
    checks = _results(targets.checks(large, small))
    assert checks["cold vs scale 1"] is False  # 红黑榜 grew 4×
    assert checks["warm render"] is False  # 0.6 s > 0.5 s
    assert checks["peak memory (seed, render)"] is True
    # 红黑榜 spends 1.6 s with 0.2 s of SQL: far more than twice its SQL plus the overhead.
    assert checks["cold ≤ 2 × SQL + overhead"] is False


def test_the_sql_clock_counts_statements_and_the_time_to_fetch_their_rows():
    engine = create_engine("sqlite://")
    clock = SqlClock()
    with engine.connect() as conn, clock.listening():
        rows = conn.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
                "SELECT count(*) FROM n"
            )
        ).all()
    outside = clock.seconds
    with engine.connect() as conn:
        conn.execute(text("SELECT 1")).all()
    assert rows == [(200000,)]
    assert clock.statements == 1
    assert clock.seconds > 0
    # Not listening any more: nothing else is counted.
    assert clock.seconds == outside


def test_the_element_clock_counts_streamlit_calls_once_and_leaves_them_as_they_were():
    script = """
import time
import streamlit as st
time.sleep(0.2)  # the page's own work: not Streamlit's
with st.container():
    st.dataframe({"a": list(range(1000))})
    st.columns(2)[0].markdown("x")
"""
    before = (st.dataframe, DeltaGenerator.__dict__.get("dataframe"))
    clock = ElementClock()
    app = AppTest.from_string(script)
    app.run()  # imports pyarrow and compiles the script, untimed
    with clock.listening():
        app.run()
    assert not app.exception
    assert 0 < clock.seconds < 0.2
    assert (st.dataframe, DeltaGenerator.__dict__.get("dataframe")) == before
    assert "dataframe" not in DeltaGenerator.__dict__


def test_signing_in_is_held_to_two_seconds():
    page = [_page("总览", 0.5, 0.2, 0.1)]
    quick = replace(_measured(1, page), sign_in_seconds=1.2)
    slow = replace(_measured(1, page), sign_in_seconds=2.4)
    assert _results(targets.checks(quick, quick))["sign-in to the first page"] is True
    assert _results(targets.checks(slow, slow))["sign-in to the first page"] is False
