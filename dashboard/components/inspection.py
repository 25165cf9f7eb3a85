"""Forms of the 暗访 page: the draw, verification, findings. Each writes through data_access in
one transaction, then reruns the page with a message (the data version has changed)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import escaping
from dashboard.components.layout import choose, choose_many
from dashboard.context import ViewContext
from dashboard.data import engine_for
from data_access.inspection.draw import DrawParameters, make_draw, new_seed
from data_access.inspection.errors import InspectionError
from data_access.inspection.findings import (
    finding_to_rectification,
    record_finding,
    record_village_inspected,
)
from data_access.inspection.log import DrawPlan, verify_draw
from data_access.sampling import SamplingError

SHOWN_DRAW_KEY = "insp-shown-draw"
TAB_KEY = "insp-tab"
# A tab to open on the next run (the tabs' own state cannot change once they are drawn).
GOTO_TAB_KEY = "insp-goto-tab"
DRAW_TAB = "抽签"
LOG_DRAW_KEY = "insp-log-draw"
FINDINGS_DRAW_KEY = "insp-findings-draw"
_FLASH_KEY = "insp-flash"


def show_flash() -> None:
    """The message of a change saved on the run before (it triggered a rerun)."""
    message = st.session_state.pop(_FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def render_draw_form(
    view: ViewContext,
    *,
    pool: pd.DataFrame,
    draws_in_force: pd.DataFrame,
    eligible_villages: int,
    drawn_by: str,
) -> None:
    """Parameters, seed and (optionally) the draw it replaces; on submit, draw and log."""
    rules = view.settings.inspection
    with st.form("insp-draw-form", border=True):
        first, second, third, fourth = st.columns(4)
        villages = first.number_input(
            "抽取村数",
            min_value=1,
            max_value=max(1, eligible_villages),
            value=min(rules.villages_per_draw, max(1, eligible_villages)),
            key="insp-villages",
        )
        min_per_township = second.number_input(
            "每乡镇至少（村）",
            min_value=0,
            max_value=10,
            value=0,
            help="0 表示不限；大于 0 时先在每个乡镇按风险各抽该数量，再在全县抽余下的村。",
            key="insp-min-per-township",
        )
        households = third.number_input(
            "每村抽取户数",
            min_value=1,
            max_value=200,
            value=rules.households_per_village,
            key="insp-households",
        )
        team_size = fourth.number_input(
            "每组检查人员", min_value=1, max_value=10, value=rules.team_size, key="insp-team-size"
        )
        first, second, third, fourth = st.columns(4)
        exclusion_days = first.number_input(
            "排除近期已暗访的村（天）",
            min_value=0,
            max_value=730,
            value=rules.exclusion_days,
            key="insp-exclusion-days",
        )
        band = second.number_input(
            "低收入脱贫户线（元/人）",
            min_value=1000,
            max_value=100000,
            value=int(rules.lifted_income_band),
            step=500,
            help="监测户优先；不足时抽取预计人均纯收入低于此线的脱贫户，再不足时抽取其他脱贫户。",
            key="insp-band",
        )
        today = view.clock.wall_date()
        planned_on = third.date_input(
            "计划检查日期",
            value=today + timedelta(days=3),
            min_value=today,
            format="YYYY-MM-DD",
            key="insp-planned-on",
        )
        replaced_options = [0, *draws_in_force["draw_id"].tolist()]
        replaces = choose(
            "重抽（作废原抽签）",
            replaced_options,
            format_func=lambda d: "否，新的抽签" if d == 0 else f"作废并替代 #{d}",
            key="insp-replaces",
            where=fourth,
        )
        names = dict(
            zip(pool["inspector_id"], pool["name"] + "（" + pool["unit"] + "）", strict=True)
        )
        absent = choose_many(
            "本次不参加的检查人员（请假、出差等）",
            list(names),
            format_func=names.get,
            placeholder="人员库全部参加",
            key="insp-absent",
        )
        seed = st.text_input(
            "随机种子",
            max_chars=64,
            placeholder="可在会上当场商定后输入（如双色球开奖号码）；留空则由系统随机生成",
            key="insp-seed",
        )
        submitted = st.form_submit_button("抽签", type="primary", icon=":material/casino:")
    if not submitted:
        return
    parameters = DrawParameters(
        as_of=view.reporting_date,
        month=view.month,
        township_ids=tuple(sorted(view.scope.township_ids)),
        villages=int(villages),
        min_per_township=int(min_per_township),
        households_per_village=int(households),
        exclusion_days=int(exclusion_days),
        lifted_income_band=float(band),
        team_size=int(team_size),
        inspector_ids=tuple(sorted(int(i) for i in pool["inspector_id"] if i not in set(absent))),
        weights=dict(rules.weights),
        inspection_full_days=rules.inspection_full_days,
        circular_window_days=rules.circular_window_days,
    )
    try:
        with view.write(author=drawn_by) as write:
            logged = make_draw(
                write,
                parameters=parameters,
                seed=seed.strip() or new_seed(),
                planned_on=planned_on,
                settings=view.settings,
                replaces_draw_id=replaces or None,
            )
    except (InspectionError, SamplingError) as error:
        st.warning(str(error), icon=":material/block:")
        return
    st.session_state[SHOWN_DRAW_KEY] = logged.draw_id
    # The new draw is the one the team wants to verify and record findings for next.
    st.session_state[LOG_DRAW_KEY] = logged.draw_id
    st.session_state[FINDINGS_DRAW_KEY] = logged.draw_id
    st.session_state[GOTO_TAB_KEY] = DRAW_TAB
    replaced = f"（已作废并替代 #{replaces}）" if replaces else ""
    st.session_state[_FLASH_KEY] = f"抽签 #{logged.draw_id} 已完成并记入日志{replaced}。"
    st.rerun()


def render_verification(view: ViewContext, draw_id: int) -> None:
    """Re-run the draw on the current data and say whether it matches the log."""
    try:
        with engine_for(view.database_url).connect() as conn:
            outcome = verify_draw(conn=conn, draw_id=draw_id, settings=view.settings)
    except (InspectionError, SamplingError) as error:
        # May quote a key of the stored parameters.
        st.warning(escaping.markdown(error), icon=":material/help:")
        return
    if outcome.matches:
        st.success(outcome.sentence(), icon=":material/verified:")
    else:
        st.warning(outcome.sentence(), icon=":material/sync_problem:")


def render_finding_form(view: ViewContext, plan: DrawPlan, *, recorded_by: str) -> None:
    """A finding at a drawn village or household, or just "inspected" for the village."""
    villages = dict(
        zip(
            plan.villages["village_id"],
            plan.villages["township"] + plan.villages["village"],
            strict=True,
        )
    )
    with st.container(border=True):
        st.markdown("**录入检查结果**")
        left, middle, right = st.columns([2, 3, 2])
        village_id = choose(
            "检查村",
            list(villages),
            format_func=villages.get,
            key="insp-finding-village",
            where=left,
        )
        in_village = plan.households[plan.households["village_id"] == village_id]
        households = {0: "村级问题（不针对某户）"} | dict(
            zip(
                in_village["household_id"],
                in_village["head_name"] + "（" + in_village["code"] + "）",
                strict=True,
            )
        )
        household_id = choose(
            "农户",
            list(households),
            format_func=households.get,
            key="insp-finding-household",
            where=middle,
        )
        today = view.clock.wall_date()
        inspected_on = right.date_input(
            "检查日期",
            value=today,
            max_value=today,
            format="YYYY-MM-DD",
            key="insp-finding-date",
        )
        description = st.text_area(
            "发现的问题",
            height=80,
            placeholder="如：户主不清楚帮扶干部姓名和帮扶措施",
            key="insp-finding-text",
        )
        record, inspected_only, _ = st.columns([1, 2, 5])
        save = record.button("记录发现", type="primary", key="insp-finding-save")
        visited = inspected_only.button(
            "仅登记已检查（未发现问题）",
            key="insp-finding-visited",
            help="更新该村的“上次暗访日期”，用于排除窗口和风险评分。",
        )
    if not (save or visited):
        return
    try:
        with view.write(author=recorded_by) as write:
            if save:
                record_finding(
                    write,
                    draw_id=plan.draw_id,
                    village_id=int(village_id),
                    household_id=int(household_id) or None,
                    inspected_on=inspected_on,
                    description=description,
                )
            else:
                record_village_inspected(
                    write,
                    draw_id=plan.draw_id,
                    village_id=int(village_id),
                    inspected_on=inspected_on,
                )
    except InspectionError as error:
        st.warning(str(error), icon=":material/block:")
        return
    st.session_state[_FLASH_KEY] = (
        f"已记录：{escaping.markdown(villages[village_id])}的检查结果，上次暗访日期已更新。"
    )
    if save:
        del st.session_state["insp-finding-text"]
    st.rerun()


def render_conversion_form(
    view: ViewContext, findings: pd.DataFrame, *, categories: list[str], changed_by: str
) -> None:
    """Turn one finding not yet in the ledger into a rectification item."""
    open_findings = findings[findings["item_code"] == ""]
    if open_findings.empty:
        if not findings.empty:
            st.caption("本次抽签的发现均已转为整改问题。")
        return
    labels = dict(
        zip(
            open_findings["finding_id"],
            open_findings["village"] + " · " + open_findings["description"],
            strict=True,
        )
    )
    left, middle, right = st.columns([4, 2, 1], vertical_alignment="bottom")
    finding_id = choose(
        "发现", list(labels), format_func=labels.get, key="insp-convert-finding", where=left
    )
    category = choose("问题类别", categories, key="insp-convert-category", where=middle)
    if not right.button("转为整改问题", type="primary", key="insp-convert"):
        return
    try:
        with view.write(author=changed_by) as write:
            code = finding_to_rectification(
                write,
                finding_id=int(finding_id),
                category=category or "",
                deadline_days=view.settings.inspection.rectification_deadline_days,
            )
    except InspectionError as error:
        st.warning(str(error), icon=":material/block:")
        return
    st.session_state[_FLASH_KEY] = (
        f"已转为整改问题 {escaping.markdown(code)}（来源：督查暗访，状态：未整改，限期 "
        f"{view.settings.inspection.rectification_deadline_days} 天）。"
    )
    st.rerun()
