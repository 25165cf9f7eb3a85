"""Widgets of 整改进度: item tables, the ledger filters, an item's history and the status form."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import escaping
from dashboard.components.layout import choose, choose_many, row_height, show_table
from dashboard.context import ViewContext
from data_access.models import RectificationKind, RectificationStatus
from data_access.rectification import (
    LEDGER_COLUMNS,
    LedgerFilter,
    LedgerOptions,
    StaleItemError,
    StatusChangeError,
    change_status,
)

# Session keys: the version of the item the form showed on the last run, and a message that
# must survive the rerun after a successful change.
_SHOWN_VERSION_KEY = "rect-shown-version"
_FLASH_KEY = "rect-flash"
NOTE_KEY = "rect-note"

_DATE = st.column_config.DateColumn
_TEXT = st.column_config.TextColumn
_NUMBER = st.column_config.NumberColumn

# Pixel widths: the eleven columns fit the main area at 1920 px with the sidebar open.
ITEM_LIST_COLUMNS = {
    "code": _TEXT("问题编号", width=110),
    "township": _TEXT("责任乡镇", width=70),
    "unit": _TEXT("责任单位", width=110),
    "responsible_person": _TEXT("责任人", width=65),
    "kind": _TEXT("整改类型", width=75),
    "category": _TEXT("问题类别", width=170),
    "description": _TEXT("问题描述", width=380),
    "deadline": _DATE("整改时限", format="YYYY-MM-DD", width=95),
    "status": _TEXT("整改状态", width=70),
    "days_since_change": _NUMBER(
        "状态未变（天）", format="%d", width=105, help="距上次状态变更的天数"
    ),
}


def render_item_list(items: pd.DataFrame, *, days_column: str, days_label: str, key: str) -> None:
    """Overdue or due-soon items with who answers for them; at most ~12 rows before scrolling."""
    config = {days_column: _NUMBER(days_label, format="%d", width=75), **ITEM_LIST_COLUMNS}
    show_table(
        items[list(config)],
        hide_index=True,
        width="stretch",
        height=row_height(min(len(items), 12)) if len(items) else "auto",
        column_config=config,
        key=key,
    )


def render_ledger_filters(options: LedgerOptions) -> LedgerFilter:
    """Two rows of filters above the ledger; an empty choice means all."""
    first = st.columns([2, 3, 2, 2])
    sources = choose_many(
        "问题来源", options.sources, placeholder="全部来源", key="rect-f-source", where=first[0]
    )
    categories = choose_many(
        "问题类别",
        options.categories,
        placeholder="全部类别",
        key="rect-f-category",
        where=first[1],
    )
    statuses = choose_many(
        "整改状态",
        [s.value for s in RectificationStatus],
        placeholder="全部状态",
        key="rect-f-status",
        where=first[2],
    )
    kinds = choose_many(
        "整改类型",
        [k.value for k in RectificationKind],
        placeholder="全部类型",
        key="rect-f-kind",
        where=first[3],
    )
    second = st.columns([3, 3, 1], vertical_alignment="bottom")
    townships = choose_many(
        "责任乡镇",
        list(options.townships),
        format_func=options.townships.get,
        placeholder="全部乡镇",
        key="rect-f-township",
        where=second[0],
    )
    units = choose_many(
        "责任单位",
        list(options.units),
        format_func=options.units.get,
        placeholder="全部单位",
        key="rect-f-unit",
        where=second[1],
    )
    overdue_only = second[2].checkbox("只看逾期", key="rect-f-overdue")
    return LedgerFilter(
        sources=tuple(sources),
        categories=tuple(categories),
        statuses=tuple(statuses),
        township_ids=tuple(townships),
        unit_ids=tuple(units),
        kinds=tuple(kinds),
        overdue_only=overdue_only,
    )


def filters_text(filters: LedgerFilter, options: LedgerOptions) -> str:
    """The filters in words, for the exported workbook ('筛选：全部' when none)."""
    parts = [
        ("问题来源", list(filters.sources)),
        ("问题类别", list(filters.categories)),
        ("整改状态", list(filters.statuses)),
        ("责任乡镇", [options.townships.get(i, str(i)) for i in filters.township_ids]),
        ("责任单位", [options.units.get(i, str(i)) for i in filters.unit_ids]),
        ("整改类型", list(filters.kinds)),
    ]
    words = [f"{label}：{'、'.join(values)}" for label, values in parts if values]
    if filters.overdue_only:
        words.append("仅逾期")
    return "筛选：" + ("；".join(words) if words else "全部")


# Pixel widths that fit all fourteen columns in the main area at 1920 px with the sidebar open.
LEDGER_TABLE_COLUMNS = {
    "seq": _NUMBER(LEDGER_COLUMNS["seq"], format="%d", width=45),
    "code": _TEXT("问题编号", width=110),
    "source": _TEXT(LEDGER_COLUMNS["source"], width=80),
    "category": _TEXT(LEDGER_COLUMNS["category"], width=150),
    "description": _TEXT(LEDGER_COLUMNS["description"], width=300),
    "township": _TEXT(LEDGER_COLUMNS["township"], width=65),
    "village": _TEXT(LEDGER_COLUMNS["village"], width=65),
    "unit": _TEXT(LEDGER_COLUMNS["unit"], width=100),
    "responsible_person": _TEXT(LEDGER_COLUMNS["responsible_person"], width=60),
    "measure": _TEXT(LEDGER_COLUMNS["measure"], width=170),
    "deadline": _DATE(LEDGER_COLUMNS["deadline"], format="YYYY-MM-DD", width=95),
    "status": _TEXT(LEDGER_COLUMNS["status"], width=65),
    "closed_on": _DATE(LEDGER_COLUMNS["closed_on"], format="YYYY-MM-DD", width=95),
    "overdue": st.column_config.CheckboxColumn("逾期", width=50),
}


def render_ledger_table(ledger: pd.DataFrame) -> None:
    show_table(
        ledger[list(LEDGER_TABLE_COLUMNS)],
        hide_index=True,
        width="stretch",
        height=row_height(min(len(ledger), 12)) if len(ledger) else "auto",
        column_config=LEDGER_TABLE_COLUMNS,
        key="rect-ledger",
    )


def item_labels(ledger: pd.DataFrame) -> dict[int, str]:
    """'ZG2026-00012 · 马庄镇 · 整改中 · 问题描述…' per item id, for the item picker."""
    return {
        int(item_id): f"{code} · {township} · {status} · {_shortened(description, 28)}"
        for item_id, code, township, status, description in zip(
            ledger["id"],
            ledger["code"],
            ledger["township"],
            ledger["status"],
            ledger["description"],
            strict=True,
        )
    }


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


HISTORY_COLUMNS = {
    "changed_at": st.column_config.DatetimeColumn("变更时间", format="YYYY-MM-DD HH:mm"),
    "changed_by": _TEXT("操作人"),
    "from_status": _TEXT("原状态"),
    "to_status": _TEXT("新状态"),
    "note": _TEXT("说明", width="large"),
    "completed_on": _DATE("完成日期", format="YYYY-MM-DD"),
}


def render_history(history: pd.DataFrame) -> None:
    show_table(
        history[list(HISTORY_COLUMNS)],
        hide_index=True,
        width="stretch",
        height=row_height(len(history)),
        column_config=HISTORY_COLUMNS,
        key="rect-history",
    )


def show_flash() -> None:
    """The message of a change saved on the run before (it triggered a rerun)."""
    message = st.session_state.pop(_FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def render_status_form(view: ViewContext, item: pd.Series, *, changed_by: str) -> None:
    """Change the item's status with a required note; a stale edit is refused, not applied.

    The version checked is the one shown when the user filled in the form (kept in the session
    from the run that drew it), not the one just re-read: otherwise a change someone else
    saved in between would be silently overwritten.
    """
    item_id, version_now = int(item["id"]), int(item["version"])
    shown = st.session_state.get(_SHOWN_VERSION_KEY, {})
    targets = [s.value for s in RectificationStatus if s.value != item["status"]]
    with st.form("rect-status-form", border=True):
        st.markdown(
            f"**变更 {escaping.markdown(item['code'])} 的整改状态**"
            f"（当前：{escaping.markdown(item['status'])}）"
        )
        left, middle = st.columns([1, 1])
        to_status = choose("变更为", targets, key="rect-to-status", where=left)
        # A completion is a fact of the calendar: it cannot lie after today (the wall clock's
        # date), whatever reporting date the figures are reckoned to.
        today = view.clock.wall_date()
        completed_on = middle.date_input(
            "完成（销号）日期",
            value=today,
            max_value=today,
            format="YYYY-MM-DD",
            help="仅在变更为“已销号”时记录，不能晚于今天。",
            key="rect-completed-on",
        )
        st.text_area(
            "变更说明（必填）",
            placeholder="整改做了什么、依据什么材料；重新打开时说明原因。",
            height=90,
            key=NOTE_KEY,
        )
        submitted = st.form_submit_button("提交变更", type="primary")
    if submitted:
        closing = to_status == RectificationStatus.CLOSED
        # A refusal names the item by its stored code: its message is shown as text.
        try:
            with view.write(author=changed_by) as write:
                result = change_status(
                    write,
                    scope=view.scope,
                    item_id=item_id,
                    expected_version=shown.get(item_id, version_now),
                    to_status=RectificationStatus(to_status),
                    note=st.session_state.get(NOTE_KEY, ""),
                    completed_on=completed_on if closing else None,
                )
        except StaleItemError as error:
            st.warning(escaping.markdown(error), icon=":material/sync_problem:")
        except StatusChangeError as error:
            st.error(escaping.markdown(error), icon=":material/error:")
        else:
            message = (
                f"已保存：{escaping.markdown(result.code)} 由“{result.from_status}”"
                f"变更为“{result.to_status}”。"
            )
            if closing and completed_on > view.reporting_date:
                # The figures are reckoned to a fixed reporting date that the closing lies after.
                message += (
                    f"完成日期 {completed_on:%Y-%m-%d} 晚于报告日期 "
                    f"{view.reporting_date:%Y-%m-%d}，按报告日期统计仍计为未销号。"
                )
            st.session_state[_FLASH_KEY] = message
            # Deleting the widget's state empties the note for the next change.
            del st.session_state[NOTE_KEY]
            st.session_state[_SHOWN_VERSION_KEY] = {}
            st.rerun()
    st.session_state[_SHOWN_VERSION_KEY] = {item_id: version_now}
