"""走访覆盖: where visits are not happening — a map of villages by duty coverage, one village's
households and cadres, and the lists townships and units act on."""

from functools import partial

import streamlit as st

from dashboard import escaping, formatting
from dashboard.auth import audit_view, audited_export
from dashboard.charts.visits_map import VILLAGE_LAYER, coverage_deck, legend_entries
from dashboard.components.kpi import Kpi, render_kpis
from dashboard.components.layout import choose, page_header, row_height, show_table
from dashboard.context import current_view
from dashboard.exports.visits import (
    LEADERS_BEHIND,
    MISSED_CADRES,
    MISSING_MEETINGS,
    PERCENT,
    TOWNSHIP_SUMMARY,
    ListSpec,
    list_workbook,
    lowest_villages,
)
from data_access.periods import month_label
from data_access.visits import (
    DUTIES,
    DUTY_BY_KEY,
    cadres_with_unvisited_households,
    lowest_first,
    overall_coverage,
    township_leader_tours,
    township_outlines,
    township_totals,
    village_cadres,
    village_coverage,
    village_households,
    villages_without_meeting_record,
    with_coverage,
    with_duty_rates,
    year_elapsed,
)

# Villages listed on screen as the lowest; the export holds every village.
LOWEST_ROWS = 15
MAP_HEIGHT = 640

view = current_view()
visit_settings = view.settings.visits
coverage = view.fetch(village_coverage, scope=view.scope, month=view.month, settings=visit_settings)
outlines = view.fetch(township_outlines, scope=view.scope)
missed = view.fetch(
    cadres_with_unvisited_households,
    scope=view.scope,
    month=view.month,
    visits_per_month=visit_settings.cadre_visits_per_month,
)
no_meeting = view.fetch(villages_without_meeting_record, scope=view.scope, month=view.month)
leaders = view.fetch(
    township_leader_tours,
    scope=view.scope,
    month=view.month,
    township_roles=visit_settings.township_tour_roles,
)
behind = leaders[leaders["behind"]].sort_values("share")
subtitle = (
    f"统计月份 {month_label(view.month)} · 数据截至 {(view.data_as_of or '').replace('T', ' ')}"
)

page_header(view, "走访覆盖")

this_month = month_label(view.month)
year_to_date = f"{view.month.year}年1—{view.month.month}月"
kpis = []
for duty in DUTIES:
    visited, covered, share = overall_coverage(coverage, duty)
    kpis.append(
        Kpi(
            duty.card_label,
            formatting.percent(share),
            None,
            rise_is_bad=False,
            help=f"{duty.label}：{duty.rule_for(visit_settings)}，"
            f"{formatting.count(visited)} / {formatting.count(covered)} {duty.unit}。",
            basis=year_to_date if duty.year_to_date else this_month,
        )
    )
# Short labels: seven cards share the 1920-pixel meeting screen.
kpis += [
    Kpi(
        "本年无人走访",
        f"{formatting.count(coverage['never_visited'].sum())} 户",
        None,
        rise_is_bad=True,
        help="今年 1 月 1 日至本月底没有任何人入户走访过的户。",
        basis=year_to_date,
    ),
    Kpi(
        "村会议无记录",
        f"{len(no_meeting)} 个",
        None,
        rise_is_bad=True,
        help="本月防返贫动态监测专题研究会未召开或无书面记录的村。",
        basis=this_month,
    ),
    Kpi(
        "遍访滞后领导",
        f"{len(behind)} 人",
        None,
        rise_is_bad=True,
        help="本年已走访本乡镇户数的比例低于全年时间进度的乡镇党委书记、乡镇长。",
        basis=f"{year_to_date}·时间进度 {formatting.percent(year_elapsed(view.month))}",
    ),
]
render_kpis(kpis)

duty_column, village_column = st.columns([3, 2], vertical_alignment="bottom")
duty_key = choose(
    "走访职责",
    [duty.key for duty in DUTIES],
    format_func=lambda key: DUTY_BY_KEY[key].label,
    horizontal=True,
    key="visit-duty",
    widget="radio",
    where=duty_column,
)
duty = DUTY_BY_KEY[duty_key]
villages = with_coverage(coverage, duty)
townships = with_coverage(township_totals(coverage), duty)

# A click on the map picks the village shown below; the select box is the same choice without
# a mouse (and on the projector). A new map pick wins, otherwise the select box keeps its value.
map_state = st.session_state.get("visits-map")
picked = None
if map_state and map_state.get("selection", {}).get("objects", {}).get(VILLAGE_LAYER):
    picked = int(map_state["selection"]["objects"][VILLAGE_LAYER][0]["village_id"])
if picked is not None and picked != st.session_state.get("visits-last-map-pick"):
    st.session_state["visit-village"] = picked
st.session_state["visits-last-map-pick"] = picked
village_names = {
    int(row.village_id): f"{row.township}·{row.village}" for row in villages.itertuples()
}
chosen = choose(
    "查看村",
    list(village_names),
    format_func=village_names.get,
    index=None,
    placeholder="在地图上点选或在此选择一个村",
    key="visit-village",
    where=village_column,
)
st.caption(
    f"**{duty.label}**：{duty.rule_for(visit_settings)}"
    f"（{duty.period_label}，截至{month_label(view.month)}底）。"
    "统计月份在左侧栏选择。"
)

map_column, legend_column = st.columns([5, 1])
with map_column:
    st.pydeck_chart(
        coverage_deck(villages, outlines, selected_village_id=chosen, height=MAP_HEIGHT),
        height=MAP_HEIGHT,
        on_select="rerun",
        selection_mode="single-object",
        key="visits-map",
    )
swatches = "".join(
    f'<div style="display:flex;align-items:center;gap:.5rem;margin:.35rem 0;">'
    f'<span style="display:inline-block;width:1.1rem;height:1.1rem;border-radius:50%;'
    f"background:{color};border:1.5px solid {'#616161' if label == '无数据' else '#fff'};"
    f'box-shadow:0 0 0 1px #cfd8dc;"></span><span>{label}</span></div>'
    for label, color in legend_entries()
)
lowest = lowest_first(villages)
legend_column.html(
    f'<div data-testid="visits-legend" style="font-size:1rem;line-height:1.3;">'
    f"<b>{duty.label}覆盖率</b>{swatches}"
    '<div style="color:#5f6673;font-size:.9rem;margin-top:.6rem;">'
    f"灰色空心点：该村此项职责无应走访{duty.unit}（无数据），不同于 0%。<br/>"
    "悬停村点看详情，点击查看该村农户。</div>"
    "</div>"
)
if not lowest.empty:
    legend_column.markdown(
        "**最低的村**<br/>"
        + "<br/>".join(
            f"{escaping.markdown(row.township)}·{escaping.markdown(row.village)} "
            f"{formatting.percent(row.coverage)}"
            for row in lowest.head(5).itertuples()
        ),
        unsafe_allow_html=True,
    )

if chosen is not None:
    place = villages[villages["village_id"] == chosen].iloc[0]
    st.subheader(
        f"{escaping.markdown(place['township'])}·{escaping.markdown(place['village'])}："
        f"{duty.label} {formatting.percent(place['coverage'])}"
        f"（{formatting.count(place['visited'])} / {formatting.count(place['covered'])} "
        f"{duty.unit}）",
        anchor=False,
    )
    households = view.fetch(
        village_households,
        scope=view.scope,
        village_id=chosen,
        month=view.month,
        settings=visit_settings,
    )
    cadres = view.fetch(
        village_cadres,
        scope=view.scope,
        village_id=chosen,
        month=view.month,
        settings=visit_settings,
    )
    audit_view("村农户走访明细", rows=len(households), detail={"village_id": int(chosen)})
    household_column, cadre_column = st.columns([3, 2])
    household_column.markdown(
        f"**农户**（{len(households)} 户，户主姓名已脱敏）"
        if not view.scope.personal_data
        else f"**农户**（{len(households)} 户）"
    )
    show_table(
        households.drop(columns=["household_id"]),
        where=household_column,
        hide_index=True,
        width="stretch",
        height=min(row_height(len(households)), 420),
        column_config={
            "code": "户编号",
            "head": "户主",
            "household_type": "户类型",
            "helper": "帮扶干部",
            "helper_visits": st.column_config.NumberColumn("本月帮扶干部走访", format="%d"),
            "grid_visits": st.column_config.NumberColumn("本月网格员走访", format="%d"),
            "tour_visits": st.column_config.NumberColumn("本年遍访次数", format="%d"),
            "last_visit": st.column_config.DateColumn("最近一次走访", format="YYYY-MM-DD"),
        },
        key="village-households",
    )
    cadre_column.markdown(f"**有走访职责的干部**（{len(cadres)} 人）")
    show_table(
        cadres.drop(columns=["cadre_id"]),
        where=cadre_column,
        hide_index=True,
        width="stretch",
        height=min(row_height(len(cadres)), 420),
        column_config={
            "cadre": "姓名",
            "role": "职务",
            "unit": "单位",
            "assigned": st.column_config.NumberColumn("联系户", format="%d"),
            "visited_month": st.column_config.NumberColumn("本月走访户数", format="%d"),
            "visited_year": st.column_config.NumberColumn("本年走访户数", format="%d"),
        },
        key="village-cadres",
    )


def show_list(frame, spec: ListSpec, *, rows: int | None = None, title: str) -> None:
    """The list on screen (percentages as %) and its Excel download (all rows)."""
    shown = frame if rows is None else frame.head(rows)
    config = {
        column: (
            st.column_config.NumberColumn(header, format="%.1f%%")
            if number_format == PERCENT
            else st.column_config.DateColumn(header, format="YYYY-MM-DD")
            if number_format == "yyyy-mm-dd"
            else st.column_config.Column(header)
        )
        for column, (header, _, number_format) in spec.columns.items()
    }
    percent_columns = [c for c, (_, _, f) in spec.columns.items() if f == PERCENT]
    table = shown[list(spec.columns)].copy()
    table[percent_columns] = table[percent_columns] * 100
    if table.empty:
        st.success("无", icon=":material/check_circle:")
    else:
        show_table(
            table,
            hide_index=True,
            width="stretch",
            height=min(row_height(len(table)), 560),
            column_config=config,
            key=f"list-{spec.key}",
        )
    st.download_button(
        f"导出{spec.sheet}（Excel）",
        # Built only when clicked (five workbooks on every rerun would slow each click), as the
        # signed-in user, audited then.
        data=audited_export(
            spec.sheet,
            partial(list_workbook, frame, spec, title=title, subtitle=subtitle),
            rows=len(frame),
        ),
        on_click="ignore",
        file_name=f"{spec.sheet}_{view.month:%Y%m}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key=f"export-{spec.key}",
    )


county = view.settings.county.name
tabs = st.tabs(
    [
        f"覆盖率最低的村（{duty.label}）",
        f"未走访到户的帮扶干部（{len(missed)}）",
        f"未形成会议记录的村（{len(no_meeting)}）",
        f"遍访滞后的乡镇领导（{len(behind)}）",
        "乡镇汇总",
    ]
)
with tabs[0]:
    st.caption(
        f"按{duty.label}覆盖率从低到高，屏幕显示最低的 {LOWEST_ROWS} 个村，导出含全部 "
        f"{len(lowest)} 个有数据的村。"
    )
    show_list(
        lowest,
        lowest_villages(duty.unit),
        rows=LOWEST_ROWS,
        title=f"{county}{duty.label}覆盖率（{duty.period_label}，{month_label(view.month)}）",
    )
with tabs[1]:
    st.caption(
        f"本月未按要求（每月至少 {visit_settings.cadre_visits_per_month} 次）走访全部联系户的帮扶"
        f"干部，按帮扶单位排列，共 {missed['unit'].nunique()} 个单位、"
        f"{formatting.count(missed['unvisited'].sum())} 户次未走访。"
    )
    show_list(
        missed, MISSED_CADRES, title=f"{county}{MISSED_CADRES.title}（{month_label(view.month)}）"
    )
with tabs[2]:
    show_list(
        no_meeting,
        MISSING_MEETINGS,
        title=f"{county}{MISSING_MEETINGS.title}（{month_label(view.month)}）",
    )
with tabs[3]:
    elapsed = formatting.percent(year_elapsed(view.month))
    st.caption(
        f"本年已走访本乡镇户数的比例低于全年时间进度（截至{month_label(view.month)}底 "
        f"{elapsed}）的乡镇党委书记、乡镇长，进度最慢的在前。"
    )
    show_list(
        behind, LEADERS_BEHIND, title=f"{county}{LEADERS_BEHIND.title}（{month_label(view.month)}）"
    )
with tabs[4]:
    show_list(
        with_duty_rates(township_totals(coverage)),
        TOWNSHIP_SUMMARY,
        title=f"{county}{TOWNSHIP_SUMMARY.title}（{month_label(view.month)}）",
    )
