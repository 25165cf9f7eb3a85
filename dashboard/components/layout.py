"""Page frame: base style, the header with the 数据截至 stamp, the error page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import streamlit as st

from dashboard import escaping
from dashboard.context import ViewContext
from data_access.periods import month_label

T = TypeVar("T")

# Tighter top padding so a briefing fits one 1920×1080 screen; no external fonts (offline).
_BASE_CSS = """
<style>
.block-container {padding-top: 2.6rem; padding-bottom: 1rem;}
[data-testid="stMetricValue"] {font-size: 2.1rem; font-weight: 600; line-height: 1.2;}
[data-testid="stMetricLabel"] p {font-size: 1rem;}
.page-stamp {color: #5f6673; font-size: 0.95rem; text-align: right; padding-top: 0.9rem;}
</style>
"""


def apply_base_style() -> None:
    st.html(_BASE_CSS)


def stamp_text(view: ViewContext) -> str:
    """'统计月份 … · 数据截至 …' for the header of every page."""
    as_of = (view.data_as_of or "未知").replace("T", " ")
    return f"统计月份 {month_label(view.month)} · 数据截至 {as_of}"


def page_header(view: ViewContext, title: str) -> None:
    """The page title on the left, the period and data stamp on the right."""
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.title(title, anchor=False)
    right.markdown(
        # The stamp is stored text (meta.data_as_of): escaped for the HTML block it sits in.
        f'<div class="page-stamp" data-testid="data-stamp">{escaping.html(stamp_text(view))}</div>',
        unsafe_allow_html=True,
    )


def row_height(rows: int) -> int:
    """Pixel height of an st.dataframe showing ``rows`` rows and its header without scrolling."""
    return (rows + 1) * 35 + 3


def render_error_page(headline: str, detail: str) -> None:
    """A clear Chinese message instead of a traceback."""
    st.title("衔接督导看板", anchor=False)
    st.error(f"**{headline}**\n\n{detail}", icon=":material/error:")


def known_choices(values: Sequence[T], options: Sequence[T], *, label: str) -> list[T]:
    """``values`` of a select widget when every one is among ``options``. A value the page never
    offered can only have been forged in the browser's messages (Streamlit hands it back as the
    text it received): the run stops on a Chinese refusal instead of querying with it."""
    offered = list(options)
    if any(value not in offered for value in values):
        st.error(
            f"**筛选条件无效**\n\n“{escaping.markdown(label)}”收到了页面没有提供的选项，"
            "本次查询已拒绝。请刷新页面后重新选择。",
            icon=":material/block:",
        )
        st.stop()
    return list(values)


# What an empty cell of a data grid shows (Streamlit's default is the English "None").
EMPTY_CELL = "—"


def show_table(data: Any, *, where: Any = st, **kw):
    """``where.dataframe`` with the dashboard's mark for an empty cell: every data grid of the
    pages goes through here."""
    return where.dataframe(data, placeholder=EMPTY_CELL, **kw)


def choose(label: str, options: Sequence[T], *, widget: str = "selectbox", where: Any = st, **kw):
    """``where.selectbox`` (or the ``widget`` named: radio, segmented_control) whose answer is one
    of ``options``, or None when nothing is chosen; a value the page never offered stops the run
    (known_choices). Every choice widget of the pages goes through here or choose_many."""
    offered = list(options)
    value = getattr(where, widget)(label, offered, **kw)
    if value is not None:
        known_choices([value], offered, label=label)
    return value


def choose_many(label: str, options: Sequence[T], *, where: Any = st, **kw) -> list[T]:
    """``where.multiselect`` whose answers are all among ``options`` (known_choices)."""
    offered = list(options)
    return known_choices(where.multiselect(label, offered, **kw), offered, label=label)
