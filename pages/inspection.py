"""暗访选点: villages ranked by risk, a reproducible random draw with its log, verification,
the sealed plan for the team, and the findings they bring back."""

import streamlit as st

from dashboard import escaping
from dashboard.auth import audited_export
from dashboard.components.inspection import (
    DRAW_TAB,
    FINDINGS_DRAW_KEY,
    GOTO_TAB_KEY,
    LOG_DRAW_KEY,
    SHOWN_DRAW_KEY,
    TAB_KEY,
    render_conversion_form,
    render_draw_form,
    render_finding_form,
    render_verification,
    show_flash,
)
from dashboard.components.layout import choose, page_header, row_height, show_table
from dashboard.context import current_view
from dashboard.exports.inspection import plan_workbook
from data_access.inspection.draw import TIER_LABELS, inspector_pool, scored_villages
from data_access.inspection.findings import findings_of_draw, rectification_categories
from data_access.inspection.log import draw_log, draw_plan
from data_access.risk import COMPONENT_LABELS, COMPONENT_SHORT_LABELS, risk_formula
from data_access.sampling import METHOD

# The entry script refuses this page to every role but 督查组 and 管理员 (PageSpec.confidential).
view = current_view()
settings = view.settings
signed_in = view.access.display_name
rules = settings.inspection

page_header(view, "暗访选点")
st.warning(
    "本页仅限县委督查组使用：抽取的村、户和检查人员在检查日前保密，不得向乡镇、村透露。"
    "本页及其导出只对督查组和管理员账号开放，每次抽签和导出都记入审计日志。",
    icon=":material/lock:",
)
show_flash()

risk = view.fetch(
    scored_villages,
    scope=view.scope,
    month=view.month,
    today=view.reporting_date,
    settings=settings,
)
pool = view.fetch(inspector_pool)
log = view.fetch(draw_log)
in_force = log[log["replaced_by"] == 0]
recent = risk["days_since_inspected"] < rules.exclusion_days
eligible = int((~recent).sum())

# Tracked tabs: a button inside a tab reruns the page, which must come back to the same tab.
goto = st.session_state.pop(GOTO_TAB_KEY, None)
if goto is not None:
    st.session_state[TAB_KEY] = goto
tab_risk, tab_draw, tab_log, tab_findings = st.tabs(
    ["风险排序", DRAW_TAB, "抽签记录与复核", "检查结果"], key=TAB_KEY, on_change="rerun"
)

with tab_risk:
    st.caption(
        f"{len(risk)} 个村按风险分从高到低排列；近 {rules.exclusion_days} 天内已暗访的 "
        f"{int(recent.sum())} 个村本次不参加抽签。风险分越高，被抽中的概率越大，但不是按名次点名。"
    )
    table = risk.assign(
        score=risk["risk"] * 100,
        inspected=["从未" if day is None else day.isoformat() for day in risk["last_inspected_on"]],
        **{f"pct_{key}": risk[f"c_{key}"] * 100 for key in COMPONENT_LABELS},
    )
    columns = {
        "township": st.column_config.TextColumn("乡镇", width="small"),
        "village": st.column_config.TextColumn("村", width="small"),
        "score": st.column_config.ProgressColumn(
            "风险分", format="%.1f", min_value=0, max_value=100, width="small"
        ),
        "reasons": st.column_config.TextColumn("主要风险", width="large"),
        "inspected": st.column_config.TextColumn("上次暗访", width="small"),
        **{
            f"pct_{key}": st.column_config.NumberColumn(
                COMPONENT_SHORT_LABELS[key],
                help=f"{label}（0–100，越高风险越大）",
                format="%.0f",
                width="small",
            )
            for key, label in COMPONENT_LABELS.items()
        },
    }
    show_table(
        table[list(columns)],
        hide_index=True,
        width="stretch",
        height=min(row_height(len(table)), 520),
        column_config=columns,
        key="insp-risk-table",
    )
    with st.expander("风险分计算方法"):
        st.markdown(
            "各分项先换算为 0–1（0 表示无风险，1 表示风险最高），再按权重加权平均，"
            "乘以 100 即风险分。表中各分项列为换算后的 0–100 值。相对分项（÷ 最高值）在抽签时"
            "只在参加抽签的村之间换算，名单上的风险分可能与本表略有不同。"
        )
        for label, text in risk_formula(rules):
            st.markdown(f"- **{label}**：{text}")

with tab_draw:
    st.caption(
        f"按风险分加权、不放回随机抽取（{METHOD}）。同一种子、参数和数据必得同一结果；"
        "每次抽签（含作废重抽）都记入日志，不能修改或删除。"
    )
    render_draw_form(
        view, pool=pool, draws_in_force=in_force, eligible_villages=eligible, drawn_by=signed_in
    )
    shown = st.session_state.get(SHOWN_DRAW_KEY)
    if shown is not None and shown in set(log["draw_id"]):
        plan = view.fetch(draw_plan, scope=view.scope, draw_id=int(shown))
        st.markdown(f"#### 抽签 #{plan.draw_id} 密封名单")
        st.markdown(
            f'<div data-testid="insp-seal">种子：<code>{escaping.html(plan.seed)}</code>　'
            f"输入哈希：<code>{escaping.html(plan.input_hash)}</code></div>",
            unsafe_allow_html=True,
        )
        show_table(
            plan.villages.assign(score=plan.villages["risk"].astype(float) * 100)[
                ["order", "township", "village", "score", "reasons", "inspectors"]
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "order": st.column_config.NumberColumn("序号", format="%d", width="small"),
                "township": "乡镇",
                "village": "村",
                "score": st.column_config.NumberColumn("风险分", format="%.1f", width="small"),
                "reasons": st.column_config.TextColumn("主要风险", width="large"),
                "inspectors": "检查组",
            },
            key="insp-plan-villages",
        )
        show_table(
            plan.households[
                [
                    "township",
                    "village",
                    "code",
                    "head_name",
                    "head_id_number",
                    "household_type",
                    "members",
                ]
            ],
            hide_index=True,
            width="stretch",
            height=min(row_height(len(plan.households)), 400),
            column_config={
                "township": "乡镇",
                "village": "村",
                "code": "户编号",
                "head_name": "户主",
                "head_id_number": "身份证号",
                "household_type": "类别",
                "members": st.column_config.NumberColumn("人口", format="%d"),
            },
            key="insp-plan-households",
        )
        st.download_button(
            "导出密封名单（Excel）",
            data=audited_export(
                f"暗访密封名单 #{plan.draw_id}",
                lambda: plan_workbook(plan, county=settings.county.name),
                rows=len(plan.households),
            ),
            file_name=f"暗访名单_{plan.draw_id}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            key="insp-export",
            on_click="ignore",
        )
    st.caption(
        "农户抽取顺序："
        + "、".join(TIER_LABELS.values())
        + "；从未被任何抽签抽中过的户才参加抽取。"
    )

draw_labels = {
    row.draw_id: f"#{row.draw_id} · {row.drawn_at:%Y-%m-%d %H:%M} · {row.drawn_by}"
    for row in log.itertuples()
}

with tab_log:
    show_table(
        log.assign(
            status=[
                "有效" if replaced == 0 else f"已作废（由 #{replaced} 替代）"
                for replaced in log["replaced_by"]
            ],
            replaces=["" if r == 0 else f"#{r}" for r in log["replaces_draw_id"]],
            # The full hash is on the plan and in its export; 16 digits tell draws apart here.
            input_hash=log["input_hash"].str[:16] + "…",
        )[
            [
                "draw_id",
                "drawn_at",
                "drawn_by",
                "planned_on",
                "villages",
                "households",
                "seed",
                "input_hash",
                "status",
                "replaces",
            ]
        ],
        hide_index=True,
        width="stretch",
        height=min(row_height(len(log)), 360),
        column_config={
            "draw_id": st.column_config.NumberColumn("编号", format="%d", width="small"),
            "drawn_at": st.column_config.DatetimeColumn("抽签时间", format="YYYY-MM-DD HH:mm"),
            "drawn_by": "抽签人",
            "planned_on": st.column_config.DateColumn("计划检查日", format="YYYY-MM-DD"),
            "villages": st.column_config.NumberColumn("村数", format="%d", width="small"),
            "households": st.column_config.NumberColumn("户数", format="%d", width="small"),
            "seed": "种子",
            "input_hash": "输入哈希（前16位）",
            "status": st.column_config.TextColumn("状态", width="medium"),
            "replaces": st.column_config.TextColumn("替代", width="small"),
        },
        key="insp-log-table",
    )
    left, middle, right, _ = st.columns([2, 1, 1, 3], vertical_alignment="bottom")
    chosen = choose(
        "抽签记录",
        log["draw_id"].tolist(),
        format_func=draw_labels.get,
        key=LOG_DRAW_KEY,
        where=left,
    )
    if middle.button("复核", key="insp-verify", icon=":material/verified:") and chosen:
        render_verification(view, int(chosen))
    if right.button("查看名单", key="insp-show-plan") and chosen:
        st.session_state[SHOWN_DRAW_KEY] = int(chosen)
        st.session_state[GOTO_TAB_KEY] = DRAW_TAB
        st.rerun()

with tab_findings:
    if in_force.empty:
        st.info("还没有有效的抽签。", icon=":material/info:")
    else:
        draw_id = choose(
            "抽签",
            in_force["draw_id"].tolist(),
            format_func=draw_labels.get,
            key=FINDINGS_DRAW_KEY,
        )
        plan = view.fetch(draw_plan, scope=view.scope, draw_id=int(draw_id))
        render_finding_form(view, plan, recorded_by=signed_in)
        findings = view.fetch(findings_of_draw, scope=view.scope, draw_id=int(draw_id))
        if findings.empty:
            st.caption(f"抽签 #{draw_id} 尚无检查发现。")
        else:
            show_table(
                findings,
                hide_index=True,
                width="stretch",
                column_config={
                    "finding_id": st.column_config.NumberColumn("编号", format="%d", width="small"),
                    "village": "村",
                    "household": "农户",
                    "inspected_on": st.column_config.DateColumn("检查日期", format="YYYY-MM-DD"),
                    "description": st.column_config.TextColumn("发现的问题", width="large"),
                    "item_code": "整改问题编号",
                    "recorded_by": "记录人",
                },
                key="insp-findings-table",
            )
        render_conversion_form(
            view,
            findings,
            categories=view.fetch(rectification_categories),
            changed_by=signed_in,
        )
