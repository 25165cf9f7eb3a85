"""红黑榜: township and assisting-unit rankings with the reasons behind each rank."""

from functools import partial

import streamlit as st

from dashboard import escaping, formatting
from dashboard.auth import audited_export
from dashboard.charts.rankings import contributions_figure, rank_trend_figure
from dashboard.components.honour_roll import render_placements, render_rolls
from dashboard.components.layout import choose, choose_many, page_header, row_height, show_table
from dashboard.context import current_view
from dashboard.exports.rankings import ranking_workbook
from data_access.overview import townships_in_scope
from data_access.periods import month_label
from data_access.rankings import (
    INDICATOR_DEFINITIONS,
    Level,
    methodology_rows,
    rank_history,
    ranking,
    rolls,
    summon_flags,
    unit_circulars,
    weighed_indicators,
)

view = current_view()
settings = view.settings
published = view.published_scope


def league_table(ranked, entity: str):
    """The ranked rows as the table shown (and exported): rates as percentages."""
    table = ranked.assign(
        change=[formatting.rank_change(change) for change in ranked["rank_change"]],
        completeness=[
            "完整"
            if not missing
            else "缺：" + "、".join(i.label for i in INDICATOR_DEFINITIONS if i.key in missing)
            for missing in ranked["incomplete"]
        ],
    )
    rates = {f"{i.key}_rate": i.label_for(settings) for i in INDICATOR_DEFINITIONS}
    for column in rates:
        table[column] = table[column] * 100
    columns = {
        "rank": st.column_config.NumberColumn("名次", format="%d", width="small"),
        "change": st.column_config.TextColumn("较上月", width="small"),
        "name": st.column_config.TextColumn(entity),
        "composite": st.column_config.ProgressColumn(
            "综合得分", format="%.1f", min_value=0, max_value=100
        ),
        "placement": st.column_config.TextColumn("榜单", width="small"),
        **{
            column: st.column_config.NumberColumn(label, format="%.1f%%")
            for column, label in rates.items()
        },
        "circular_points": st.column_config.NumberColumn("通报加减分", format="%+.1f"),
        "overdue": st.column_config.NumberColumn("逾期未整改", format="%d"),
        "completeness": st.column_config.TextColumn("数据"),
    }
    return table[list(columns)], columns


townships = view.fetch(
    ranking, scope=published, month=view.month, settings=settings, level=Level.TOWNSHIP
)
units = view.fetch(ranking, scope=published, month=view.month, settings=settings, level=Level.UNIT)

page_header(view, "红黑榜")
mode_note = (
    "红绿灯模式：按得分分为绿、黄、红三档"
    if settings.rankings.mode == "traffic_light"
    else f"前 {settings.rankings.list_size} 名列入红榜，后 {settings.rankings.list_size} 名列入黑榜"
)
st.caption(
    f"{month_label(view.month)}全县公开排名（不受侧栏乡镇筛选影响）· {mode_note} · "
    "计分方法见“计分方法”页签"
)

if settings.rankings.mode == "traffic_light":
    render_placements(townships, mode="traffic_light")
township_rolls = rolls(townships, settings)
render_rolls(township_rolls, weighed_indicators(settings))

tab_townships, tab_villages, tab_units, tab_trend, tab_method = st.tabs(
    ["乡镇排名", "村级明细", "帮扶单位", "排名趋势", "计分方法"]
)

with tab_townships:
    st.plotly_chart(
        contributions_figure(townships, indicators=weighed_indicators(settings)),
        width="stretch",
        config={"displayModeBar": False},
        key="township-contributions",
    )
    table, columns = league_table(townships, "乡镇")
    show_table(
        table,
        hide_index=True,
        width="stretch",
        height=row_height(len(table)),
        column_config=columns,
        key="township-table",
    )

with tab_villages:
    choices = view.fetch(townships_in_scope, scope=view.scope)
    names = dict(zip(choices["township_id"], choices["name"], strict=True))
    chosen = choose(
        "乡镇",
        list(names),
        format_func=names.get,
        key="drill-township",
        index=None,
        placeholder="选择一个乡镇查看各村得分",
    )
    if chosen is not None:
        villages = view.fetch(
            ranking,
            scope=view.scope.narrowed([chosen]),
            month=view.month,
            settings=settings,
            level=Level.VILLAGE,
        )
        st.plotly_chart(
            contributions_figure(villages, indicators=weighed_indicators(settings)),
            width="stretch",
            config={"displayModeBar": False},
            key="village-contributions",
        )
        table, columns = league_table(villages, "村")
        show_table(
            table.drop(columns=["circular_points"]),
            hide_index=True,
            width="stretch",
            height=row_height(len(table)),
            column_config=columns,
            key="village-table",
        )

with tab_units:
    table, columns = league_table(units, "帮扶单位")
    table = table.assign(
        households=units["registers_den"],
        black_circulars=units["black_circulars"],
        summon_circulars=units["summon_circulars"],
        summon=["约谈" if flag else "" for flag in summon_flags(units, settings)],
    )
    leading = ["rank", "change", "name", "composite", "placement"]
    columns = {key: columns[key] for key in leading} | {
        "households": st.column_config.NumberColumn("联系户数", format="%d"),
        "black_circulars": st.column_config.NumberColumn("本年黑榜通报", format="%d"),
        **(
            {}
            if settings.rankings.summon_window == "year"
            else {"summon_circulars": st.column_config.NumberColumn("累计黑榜通报", format="%d")}
        ),
        "summon": st.column_config.TextColumn(f"约谈（{settings.rankings.summon_words}）"),
        **{key: value for key, value in columns.items() if key not in leading},
    }
    summoned = table[table["summon"] != ""]
    if not summoned.empty:
        # A warning, not st.error: errors are reserved for failures of the app itself.
        st.warning(
            f"{settings.rankings.summon_window_words}黑榜通报已达 "
            f"{settings.rankings.summon_limit} 次、应约谈主要领导的单位："
            + "、".join(escaping.markdown(name) for name in summoned["name"]),
            icon=":material/campaign:",
        )
    show_table(
        table[list(columns)],
        hide_index=True,
        width="stretch",
        height=min(row_height(len(table)), 560),
        column_config=columns,
        key="unit-table",
    )
    st.markdown(f"**{view.month.year}年帮扶单位通报记录**")
    show_table(
        view.fetch(unit_circulars, scope=published, year=view.month.year),
        hide_index=True,
        width="stretch",
        column_config={
            "issued_on": st.column_config.DateColumn("日期", format="YYYY-MM-DD"),
            "doc_no": "文号",
            "unit": "帮扶单位",
            "color": "类别",
            "reason": st.column_config.TextColumn("事由", width="large"),
        },
        key="circular-table",
    )

with tab_trend:
    history = view.fetch(rank_history, scope=published, month=view.month, settings=settings)
    default = [name for roll in township_rolls for name in roll.rows["name"]]
    shown = choose_many("乡镇", list(townships["name"]), default=default, key="trend-townships")
    st.plotly_chart(
        rank_trend_figure(history, shown),
        width="stretch",
        config={"displayModeBar": False},
        key="rank-trend",
    )

with tab_method:
    for item, text in methodology_rows(settings, view.month):
        st.markdown(f"**{item}**：{text}")

st.download_button(
    "导出本月排名（Excel）",
    # Built only when clicked (openpyxl work has no place in every rerun of the page), audited.
    data=audited_export(
        "红黑榜",
        partial(
            ranking_workbook,
            townships=townships,
            township_changes=[formatting.rank_change(c) for c in townships["rank_change"]],
            units=units,
            unit_changes=[formatting.rank_change(c) for c in units["rank_change"]],
            settings=settings,
            month=view.month,
            as_of=view.data_as_of or "",
        ),
        rows=len(townships) + len(units),
    ),
    on_click="ignore",
    file_name=f"红黑榜_{view.month:%Y%m}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    key="export-rankings",
)
