"""The 预警核实 page's filters, its verification form and its check button."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config.settings import WARNING_RULES
from dashboard import escaping
from dashboard.components.layout import choose, choose_many
from dashboard.context import ViewContext
from data_access.auth import Role
from data_access.models import WarningStatus
from data_access.warnings.store import (
    LIST_STATUSES,
    VERIFIED,
    WarningError,
    WarningFilter,
    check,
    verify,
)

_FLASH_KEY = "warn-flash"
NOTE_KEY = "warn-note"
# Who verifies warnings: the township's own users and the county office.
VERIFYING_ROLES = frozenset({Role.TOWNSHIP, Role.ADMIN})


def may_verify(view: ViewContext) -> bool:
    return bool(view.access.roles & VERIFYING_ROLES)


def rule_names(view: ViewContext) -> dict[str, str]:
    """Every rule id a warning may carry, with its name (a rule switched off keeps its id)."""
    named = {rule.id: rule.name for rule in view.settings.warnings.rules}
    return {rule_id: named.get(rule_id, rule_id) for rule_id in WARNING_RULES}


def show_flash() -> None:
    flash = st.session_state.pop(_FLASH_KEY, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")


def render_filters(
    view: ViewContext, *, townships: pd.DataFrame, villages: pd.DataFrame
) -> WarningFilter:
    """Two rows of filters above the list; an empty choice means all."""
    names = rule_names(view)
    first = st.columns([3, 2, 2])
    rule_ids = choose_many(
        "预警规则",
        list(names),
        format_func=names.get,
        placeholder="全部规则",
        key="warn-f-rule",
        where=first[0],
    )
    statuses = choose_many(
        "状态",
        list(LIST_STATUSES),
        default=[WarningStatus.PENDING.value],
        placeholder="全部状态",
        key="warn-f-status",
        where=first[1],
    )
    township_names = dict(zip(townships["township_id"], townships["name"], strict=True))
    township_ids = choose_many(
        "乡镇",
        list(township_names),
        format_func=township_names.get,
        placeholder="全部乡镇",
        key="warn-f-township",
        where=first[2],
    )
    second = st.columns([5, 2], vertical_alignment="bottom")
    shown = villages[villages["township_id"].isin(township_ids)] if township_ids else villages
    village_names = dict(zip(shown["village_id"], shown["village"], strict=True))
    village_ids = choose_many(
        "行政村",
        list(village_names),
        format_func=village_names.get,
        placeholder="全部村",
        key="warn-f-village",
        where=second[0],
    )
    overdue_only = second[1].checkbox("只看逾期未核实", key="warn-f-overdue")
    return WarningFilter(
        rule_ids=tuple(rule_ids),
        statuses=tuple(statuses),
        township_ids=tuple(int(i) for i in township_ids),
        village_ids=tuple(int(i) for i in village_ids),
        overdue_only=overdue_only,
    )


def render_verify_form(view: ViewContext, chosen: list[int]) -> None:
    """Record the verification of the chosen warnings, with a required note."""
    with st.form("warn-verify-form", border=True):
        st.markdown(f"**登记核实结果**（已选 {len(chosen)} 条；在上表勾选要登记的预警，可多选）")
        left, right = st.columns([1, 2])
        outcome = choose(
            "核实结果", [status.value for status in VERIFIED], key="warn-outcome", where=left
        )
        right.text_area(
            "核实说明（必填）",
            placeholder="入户核实了什么、依据什么材料；纳入监测的写明纳入日期。",
            height=90,
            key=NOTE_KEY,
        )
        submitted = st.form_submit_button("登记核实", type="primary", disabled=not chosen)
    if not submitted:
        return
    try:
        with view.write(author=view.access.display_name) as write:
            count = verify(
                write,
                scope=view.scope,
                may_verify=may_verify(view),
                warning_ids=chosen,
                to_status=WarningStatus(outcome),
                note=st.session_state.get(NOTE_KEY, ""),
                today=view.reporting_date,
            )
    except WarningError as error:
        st.error(escaping.markdown(error), icon=":material/error:")
        return
    st.session_state[_FLASH_KEY] = f"已登记 {count} 条预警的核实结果：{outcome}。"
    del st.session_state[NOTE_KEY]
    st.rerun()


def render_check_button(view: ViewContext) -> None:
    """The county office checks every rule now (the daily timer does it too)."""
    if Role.ADMIN not in view.access.roles:
        return
    if st.button("现在比对", icon=":material/sync:", key="warn-check"):
        with view.write() as write:
            report = check(write, settings=view.settings, today=view.reporting_date)
        st.session_state[_FLASH_KEY] = f"预警比对完成：{report.sentence()}。"
        st.rerun()
