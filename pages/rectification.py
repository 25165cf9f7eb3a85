"""整改进度: will the county close its rectification items before each countdown deadline?"""

from datetime import timedelta

import streamlit as st

from dashboard import escaping, formatting
from dashboard.auth import audited_export
from dashboard.charts.rectification import burndown_figure, progress_figure
from dashboard.components.countdown import render_countdown
from dashboard.components.kpi import Kpi, full_day, on_day, render_kpis
from dashboard.components.layout import choose, page_header, row_height, show_table
from dashboard.components.rectification import (
    filters_text,
    item_labels,
    render_history,
    render_item_list,
    render_ledger_filters,
    render_ledger_table,
    render_status_form,
    show_flash,
)
from dashboard.context import current_view
from dashboard.exports.rectification import ledger_workbook
from data_access.overview import upcoming_milestones
from data_access.periods import day_label
from data_access.rectification import (
    Breakdown,
    closing_pace_by_township,
    due_soon_items,
    ledger_items,
    ledger_options,
    ledger_size,
    open_items_history,
    overdue_items,
    pace_line,
    progress_by,
    status_history,
    target_line,
    township_projections,
)

# Days of history the burn-down shows before today.
HISTORY_DAYS = 90

view = current_view()
settings = view.settings
rules = settings.rectification
today = view.reporting_date

page_header(view, f"{settings.county.name}问题整改进度")
show_flash()
milestones = view.fetch(upcoming_milestones, scope=view.scope, today=today)
render_countdown(milestones, rules)

townships = view.fetch(progress_by, scope=view.scope, today=today, breakdown=Breakdown.TOWNSHIP)
overdue = view.fetch(overdue_items, scope=view.scope, today=today)
due_soon = view.fetch(due_soon_items, scope=view.scope, today=today, days=rules.due_soon_days)
total, closed = int(townships["total"].sum()), int(townships["closed"].sum())
render_kpis(
    [
        Kpi(
            "本年度整改任务",
            formatting.count(total),
            None,
            False,
            "今年发现的问题及上年结转未销号的问题。",
            f"{on_day(today)}·含上年结转",
        ),
        Kpi(
            "已销号",
            formatting.count(closed),
            None,
            False,
            f"销号率 {formatting.percent(closed / total if total else None)}。",
            on_day(today),
        ),
        Kpi(
            "未销号",
            formatting.count(total - closed),
            None,
            True,
            "截至今天尚未销号的问题（总览按所选月份的月底计）。",
            on_day(today),
        ),
        Kpi(
            "逾期未销号",
            formatting.count(len(overdue)),
            None,
            True,
            "已过整改时限仍未销号。",
            on_day(today),
        ),
        Kpi(
            f"{rules.due_soon_days}天内到期",
            formatting.count(len(due_soon)),
            None,
            True,
            f"今天起 {rules.due_soon_days} 天内到整改时限、尚未销号的问题。",
            f"{full_day(today)}起{rules.due_soon_days}天",
        ),
    ]
)

progress_tab, overdue_tab, ledger_tab = st.tabs(["进度与预测", "逾期与临期", "整改台账"])

with progress_tab:
    if milestones.empty:
        st.info("没有即将到来的时间节点，无法测算完成日期。")
    else:
        names = list(milestones["name"])
        chosen = choose(
            "对标时间节点",
            range(len(names)),
            format_func=lambda i: f"{names[i]}（{day_label(milestones['due_on'].iloc[i])}）",
            key="rect-milestone",
            where=st.columns([2, 3])[0],
        )
        milestone = milestones.iloc[chosen]
        pace = view.fetch(
            closing_pace_by_township,
            scope=view.scope,
            today=today,
            due_by=milestone["due_on"],
            window_days=rules.pace_window_days,
        )
        projections = township_projections(
            pace,
            today=today,
            deadline=milestone["due_on"],
            window_days=rules.pace_window_days,
            county_name="全县" if len(pace) > 1 else pace["name"].iloc[0],
        )
        history = view.fetch(
            open_items_history,
            scope=view.scope,
            since=today - timedelta(days=HISTORY_DAYS),
            until=today,
        )
        open_now = int(history["open"].iloc[-1])
        county_pace = projections["pace"].iloc[0]
        chart_column, table_column = st.columns([3, 2])
        with chart_column:
            st.plotly_chart(
                burndown_figure(
                    history,
                    target_line(
                        today=today, open_now=open_now, milestones=milestones[: chosen + 1]
                    ),
                    pace_line(
                        today=today,
                        open_now=open_now,
                        pace=county_pace,
                        until=milestone["due_on"] + timedelta(days=30),
                    ),
                    today=today,
                ),
                width="stretch",
                config={"displayModeBar": False},
                key="rect-burndown",
            )
        with table_column:
            headline = projections.iloc[0]
            # Coloured text, not st.error: a late projection is a finding, not a failure. The
            # sentence names a township: escaped as a whole (it is plain text).
            color = "red" if headline["late"] else "green"
            st.markdown(f"#### :{color}[{escaping.markdown(headline['sentence'])}]")
            st.caption(
                f"“{escaping.markdown(milestone['name'])}”前到期（含已逾期）的未销号问题，"
                f"按近 {rules.pace_window_days} 天日均销号数测算；红色为赶不上期限。"
            )
            shown = projections.iloc[1:]
            show_table(
                shown[["name", "open_due", "pace", "finish_text", "late_text"]].style.apply(
                    lambda row: (
                        ["color: #c62828; font-weight: 600" if shown.loc[row.name, "late"] else ""]
                        * len(row)
                    ),
                    axis=1,
                ),
                hide_index=True,
                width="stretch",
                height=row_height(min(len(shown), 10)),
                column_config={
                    "name": "乡镇",
                    "open_due": st.column_config.NumberColumn("须销号", format="%d"),
                    "pace": st.column_config.NumberColumn("日均销号", format="%.2f"),
                    "finish_text": "预计完成",
                    "late_text": "比期限",
                },
                key="rect-projections",
            )
            late = shown[shown["late"]]
            if not late.empty:
                st.markdown(
                    "\n".join(
                        f"- :red[{escaping.markdown(sentence)}]"
                        for sentence in late["sentence"].head(3)
                    )
                )

    st.divider()
    breakdown = Breakdown(
        choose(
            "分组",
            [b.value for b in Breakdown],
            widget="radio",
            horizontal=True,
            key="rect-breakdown",
            label_visibility="collapsed",
        )
    )
    progress = view.fetch(progress_by, scope=view.scope, today=today, breakdown=breakdown)
    chart_column, table_column = st.columns([3, 2])
    chart_column.plotly_chart(
        progress_figure(
            progress.head(20),
            title=f"本年度整改任务销号情况（按{breakdown.value}，销号率最低的 20 个）",
        ),
        width="stretch",
        config={"displayModeBar": False},
        key="rect-progress",
    )
    show_table(
        progress[["name", "total", "closed", "open", "overdue", "closed_share"]],
        where=table_column,
        hide_index=True,
        width="stretch",
        height=row_height(min(len(progress), 14)),
        column_config={
            "name": breakdown.value,
            "total": st.column_config.NumberColumn("任务", format="%d"),
            "closed": st.column_config.NumberColumn("已销号", format="%d"),
            "open": st.column_config.NumberColumn("未销号", format="%d"),
            "overdue": st.column_config.NumberColumn("逾期", format="%d"),
            "closed_share": st.column_config.ProgressColumn(
                "销号率", format="percent", min_value=0.0, max_value=1.0
            ),
        },
        key="rect-progress-table",
    )

with overdue_tab:
    st.subheader(f"逾期未销号 {len(overdue):,} 项（逾期最久的在上）", anchor=False)
    render_item_list(
        overdue, days_column="days_overdue", days_label="逾期（天）", key="rect-overdue"
    )
    st.subheader(f"{rules.due_soon_days} 天内到期 {len(due_soon):,} 项", anchor=False)
    render_item_list(
        due_soon.assign(days_left=-due_soon["days_overdue"]),
        days_column="days_left",
        days_label="剩余（天）",
        key="rect-due-soon",
    )

with ledger_tab:
    options = view.fetch(ledger_options, scope=view.scope)
    filters = render_ledger_filters(options)
    shown_rows = settings.rectification.ledger_rows
    ledger = view.fetch(
        ledger_items, scope=view.scope, today=today, filters=filters, limit=shown_rows
    )
    total = view.fetch(ledger_size, scope=view.scope, today=today, filters=filters)
    count_column, export_column = st.columns([4, 1], vertical_alignment="bottom")
    shown = ""
    if total > len(ledger):
        shown = f"；下表列出前 {len(ledger):,} 项，筛选可缩小范围，导出含全部"
    count_column.markdown(
        f"**共 {total:,} 项**（{escaping.markdown(filters_text(filters, options))}{shown}）"
    )
    export_column.download_button(
        "导出 Excel 台账",
        # Built only when clicked (every item the filters keep, not only the rows shown), as
        # the signed-in user, audited then.
        data=audited_export(
            "整改台账",
            lambda: ledger_workbook(
                view.fetch(ledger_items, scope=view.scope, today=today, filters=filters),
                county=settings.county.name,
                as_of=today,
                filters_text=filters_text(filters, options),
            ),
            rows=total,
        ),
        file_name=f"{settings.county.name}整改台账_{today:%Y%m%d}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        on_click="ignore",
        key="rect-export",
    )
    render_ledger_table(ledger)

    labels = item_labels(ledger)
    item_id = choose(
        "查看整改记录、变更状态",
        list(labels),
        index=None,
        format_func=labels.get,
        placeholder="选择问题编号（可输入编号或乡镇名搜索）",
        key="rect-item",
    )
    if item_id is not None:
        item = ledger.set_index("id").loc[item_id]
        item["id"] = item_id
        history_column, form_column = st.columns([3, 2])
        with history_column:
            st.markdown(
                f"**{escaping.markdown(item['code'])}**　{escaping.markdown(item['description'])}"
            )
            render_history(view.fetch(status_history, scope=view.scope, item_id=item_id))
        with form_column:
            render_status_form(view, item, changed_by=view.access.display_name)
