"""预警核实: the warnings the rules raised, who must verify them by when, and what is overdue."""

import streamlit as st

from config.settings import WARNING_GROUPS
from dashboard import formatting
from dashboard.auth import audit_view, audited_export
from dashboard.charts.warnings import pending_rate_figure
from dashboard.components.kpi import Kpi, on_day, render_kpis
from dashboard.components.layout import page_header, row_height, show_table
from dashboard.components.warnings import (
    may_verify,
    render_check_button,
    render_filters,
    render_verify_form,
    rule_names,
    show_flash,
)
from dashboard.context import current_view
from dashboard.exports.warnings import warning_workbook
from data_access.overview import townships_in_scope
from data_access.warnings.store import (
    WarningFilter,
    by_rule_and_township,
    headline,
    rule_table,
    township_table,
    villages_with_warnings,
    warning_list,
    worst_villages,
)

PAGE_SIZE = 50
# The most rows one export holds (a township's list is a few hundred).
EXPORT_ROWS = 20_000

view = current_view()
settings = view.settings
warnings = settings.warnings
today = view.reporting_date
names = rule_names(view)
townships = view.fetch(townships_in_scope, scope=view.scope)
one_township = townships["name"].iloc[0] if len(townships) == 1 else None

page_header(view, f"{one_township or settings.county.name}预警核实")
show_flash()
head = view.fetch(headline, scope=view.scope, today=today, settings=warnings)
st.markdown(
    f"#### 待核实预警 {formatting.count(head.pending)} 条，其中逾期 "
    f"{formatting.count(head.overdue)} 条；应纳未纳疑似 {formatting.count(head.should_monitor)} 户"
)
days = "、".join(
    f"{label} {warnings.verify_within_days[key]} 天"
    for key, label in (("high", "高"), ("medium", "中"), ("low", "低"))
)
render_kpis(
    [
        Kpi(
            "待核实预警",
            f"{formatting.count(head.pending)} 条",
            None,
            True,
            "规则比对发现、尚未入户核实且条件仍存在的预警。",
            on_day(today),
        ),
        Kpi(
            "逾期未核实",
            f"{formatting.count(head.overdue)} 条",
            None,
            True,
            f"超过核实期限仍未核实（期限按严重程度：{days}）。",
            on_day(today),
        ),
        Kpi(
            "应纳未纳疑似",
            f"{formatting.count(head.should_monitor)} 户",
            None,
            True,
            "有待核实的“应纳未纳”预警的户：收入接近监测线、收入大幅下降或支出骤增，尚未纳入监测。",
            on_day(today),
        ),
        Kpi(
            "比对规则",
            f"{len(warnings.rules)} 条",
            None,
            False,
            "、".join(rule.name for rule in warnings.rules),
            f"核实期限：{days}",
        ),
    ]
)
render_check_button(view)

by_township, listing = st.tabs(["按乡镇与规则", "预警清单"])

with by_township:
    counts = view.fetch(by_rule_and_township, scope=view.scope, today=today, settings=settings)
    pivot = township_table(counts)
    chart_column, table_column = st.columns([1, 1])
    chart_column.plotly_chart(
        pending_rate_figure(pivot),
        width="stretch",
        config={"displayModeBar": False},
        key="warn-rates",
    )
    table_column.markdown("**各乡镇待核实预警**（条；每千户按本乡镇在册户数计）")
    show_table(
        pivot.sort_values("per_thousand", ascending=False)[
            ["township", "households", "pending", "overdue", "per_thousand", *WARNING_GROUPS]
        ],
        where=table_column,
        hide_index=True,
        width="stretch",
        height=row_height(len(pivot)),
        column_config={
            "township": "乡镇",
            "households": st.column_config.NumberColumn("在册户数", format="%d"),
            "pending": st.column_config.NumberColumn("待核实", format="%d"),
            "overdue": st.column_config.NumberColumn("逾期", format="%d"),
            "per_thousand": st.column_config.NumberColumn("每千户", format="%.1f"),
            **{
                group: st.column_config.NumberColumn(group, format="%d") for group in WARNING_GROUPS
            },
        },
        key="warn-townships",
    )
    by_rule = rule_table(counts)
    worst = view.fetch(worst_villages, scope=view.scope, today=today, settings=warnings)
    rule_column, village_column = st.columns(2)
    rule_column.markdown("**按规则**")
    show_table(
        by_rule.assign(rule=by_rule["rule_id"].map(names))[["rule", "pending", "overdue"]],
        where=rule_column,
        hide_index=True,
        width="stretch",
        height=row_height(len(by_rule)),
        column_config={
            "rule": "预警规则",
            "pending": st.column_config.NumberColumn("待核实", format="%d"),
            "overdue": st.column_config.NumberColumn("逾期", format="%d"),
        },
        key="warn-rules",
    )
    village_column.markdown(f"**待核实预警最多的村**（前 {len(worst)} 个）")
    show_table(
        worst.drop(columns=["village_id"]),
        where=village_column,
        hide_index=True,
        width="stretch",
        height=row_height(len(worst)),
        column_config={
            "village": "行政村",
            "township": "乡镇",
            "pending": st.column_config.NumberColumn("待核实", format="%d"),
            "overdue": st.column_config.NumberColumn("逾期", format="%d"),
        },
        key="warn-villages",
    )

with listing:
    villages = view.fetch(villages_with_warnings, scope=view.scope)
    filters: WarningFilter = render_filters(view, townships=townships, villages=villages)
    _, total = view.fetch(
        warning_list, scope=view.scope, today=today, settings=warnings, filters=filters, page_size=1
    )
    pages = max(1, -(-total // PAGE_SIZE))
    count_column, page_column, export_column = st.columns([3, 1, 2], vertical_alignment="bottom")
    page = page_column.number_input("页码", min_value=1, max_value=pages, value=1, key="warn-page")
    frame, total = view.fetch(
        warning_list,
        scope=view.scope,
        today=today,
        settings=warnings,
        filters=filters,
        page=int(page) - 1,
        page_size=PAGE_SIZE,
    )
    count_column.markdown(
        f"**共 {formatting.count(total)} 条**，每页 {PAGE_SIZE} 条，第 {int(page)} / {pages} 页"
        "（逾期的排在前面，其次按预警日期）"
    )
    audit_view("预警清单", rows=len(frame), detail={"page": int(page)})
    shown = frame.assign(
        rule=frame["rule_id"].map(names),
        overdue_text=frame["overdue"].map({True: "逾期", False: ""}),
    )
    selection = show_table(
        shown[
            [
                "id",
                "rule",
                "township",
                "village",
                "code",
                "head",
                "helper",
                "helper_phone",
                "first_raised_on",
                "due_on",
                "overdue_text",
                "status",
                "observed",
                "item_code",
                "verified_by",
                "verified_on",
                "note",
            ]
        ],
        hide_index=True,
        width="stretch",
        height=min(row_height(len(shown)), 560),
        column_config={
            "id": st.column_config.NumberColumn("编号", format="%d"),
            "rule": "预警规则",
            "township": "乡镇",
            "village": "行政村",
            "code": "户编号",
            "head": "户主",
            "helper": "帮扶责任人",
            "helper_phone": "联系电话",
            "first_raised_on": st.column_config.DateColumn("预警日期", format="YYYY-MM-DD"),
            "due_on": st.column_config.DateColumn("核实期限", format="YYYY-MM-DD"),
            "overdue_text": "逾期",
            "status": "状态",
            "observed": st.column_config.TextColumn("预警依据", width="large"),
            "item_code": "转办整改问题",
            "verified_by": "核实人",
            "verified_on": st.column_config.DateColumn("核实日期", format="YYYY-MM-DD"),
            "note": "核实说明",
        },
        on_select="rerun",
        selection_mode="multi-row",
        key="warn-list",
    )
    chosen = [int(frame["id"].iloc[row]) for row in selection.selection.rows if row < len(frame)]
    if may_verify(view):
        render_verify_form(view, chosen)
    else:
        st.caption("预警由乡镇用户或县乡村振兴局登记核实；您的角色可以查看。")

    def export_list() -> bytes:
        everything, _ = view.fetch(
            warning_list,
            scope=view.scope,
            today=today,
            settings=warnings,
            filters=filters,
            page_size=EXPORT_ROWS,
        )
        place = one_township or settings.county.name
        return warning_workbook(
            everything.assign(rule=everything["rule_id"].map(names)),
            title=f"{place}预警核实清单",
            subtitle=f"截至 {today:%Y-%m-%d} · 按本页的筛选条件 · 户主"
            + ("为全名" if view.scope.personal_data else "已脱敏"),
        )

    export_column.download_button(
        "导出本清单（Excel，供村工作队核实）",
        data=audited_export("预警核实清单", export_list, rows=total),
        on_click="ignore",
        file_name=f"预警核实清单_{today:%Y%m%d}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="warn-export",
    )
