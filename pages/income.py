"""收入监测: who is below the line or fell since last year, the bands, "两个高于", the list."""

from functools import partial

import streamlit as st

from dashboard import escaping, formatting
from dashboard.auth import audit_view, audited_export
from dashboard.charts.income import income_histogram_figure, income_structure_figure
from dashboard.components.income import (
    ALL,
    apply_band_selection,
    band_column_config,
    chosen,
    headline_html,
    render_growth_checks,
    sources_sentence,
)
from dashboard.components.layout import choose, page_header, row_height, show_table
from dashboard.context import current_view
from dashboard.exports.income import HOUSEHOLD_COLUMNS, household_table, household_workbook
from data_access.income.bands import (
    band_counts,
    band_labels,
    band_shares,
    band_table,
    income_bands,
    income_histogram,
)
from data_access.income.growth import benchmarks_for_year, two_higher_checks
from data_access.income.households import (
    HouseholdFilter,
    household_list,
    household_list_size,
    villages_in_scope,
)
from data_access.income.projection import BASIS_DESCRIPTION, NO_DATA_BAND, PROJECTION_DESCRIPTIONS
from data_access.income.registers import missing_registers_by_cadre, register_gaps
from data_access.income.structure import income_structure, structure_table
from data_access.income.summary import income_growth, income_headline, income_sources
from data_access.models import HouseholdType
from data_access.overview import townships_in_scope
from data_access.periods import month_label
from data_access.snapshots import township_register_completeness

PAGE_ROWS = 100
# Above this per-capita income the histogram pools households into one bar.
HISTOGRAM_CAP = 30_000.0
HISTOGRAM_BIN = 500.0
CADRE_ROWS = 12

view = current_view()
settings = view.settings
income = settings.income
year = view.month.year
line = income.line_for(year)
scope = view.scope
labels = band_labels(settings=income, year=year)
bands = income_bands(settings=income, year=year)

page_header(view, f"收入监测 · {year}年")
headline = view.fetch(income_headline, scope=scope, month=view.month, settings=income)
st.html(headline_html(headline, line=line, year=year))
st.caption(
    f"推算方法：{PROJECTION_DESCRIPTIONS[income.projection_method]}。"
    f"收入区间边界 {'、'.join(f'{edge:,.0f}' for edge in income.band_edges_for(year))} 元，"
    "恰在边界上的计入较高区间。"
)
sources = view.fetch(income_sources, scope=scope, month=view.month, settings=income)
st.caption(f"{BASIS_DESCRIPTION}。{sources_sentence(sources, year=year)}")

chart_column, growth_column = st.columns([3, 2])
histogram = view.fetch(
    income_histogram, scope=scope, month=view.month, settings=income, bin_width=HISTOGRAM_BIN
)
chart_column.markdown(f"**推算全年人均纯收入分布**（每 {HISTOGRAM_BIN:,.0f} 元一档，红线为监测线）")
chart_column.plotly_chart(
    income_histogram_figure(
        histogram,
        edges=income.band_edges_for(year),
        line=line,
        bin_width=HISTOGRAM_BIN,
        cap=HISTOGRAM_CAP,
    ),
    width="stretch",
    config={"displayModeBar": False},
    key="income-histogram",
)
growth = view.fetch(income_growth, scope=scope, month=view.month, settings=income)
benchmarks = view.fetch(benchmarks_for_year, year=year)
with growth_column:
    render_growth_checks(two_higher_checks(growth, benchmarks), growth=growth, year=year)

# Band table: by township, or by village once a township is chosen; a cell filters the list.
townships = view.fetch(townships_in_scope, scope=scope)
township_names = dict(zip(townships["township_id"], townships["name"], strict=True))
chosen_township = st.session_state.get("income-township", ALL)
if chosen_township not in township_names:
    chosen_township = st.session_state["income-township"] = ALL
villages = (
    view.fetch(villages_in_scope, scope=scope, township_id=chosen_township)
    if chosen_township != ALL
    else None
)
grouping = "village" if villages is not None else "township"
names = villages if villages is not None else townships
st.subheader(
    f"收入区间分布 · {escaping.markdown(township_names[chosen_township])}各村"
    if villages is not None
    else "收入区间分布 · 各乡镇",
    anchor=False,
)
type_column, measure_column, hint_column = st.columns([2, 1, 3], vertical_alignment="center")
household_type = choose(
    "户类型",
    ["全部", *HouseholdType],
    widget="segmented_control",
    default="全部",
    key="income-band-type",
    where=type_column,
)
measure = choose(
    "显示",
    ["户数", "占比"],
    widget="segmented_control",
    default="户数",
    key="income-band-measure",
    where=measure_column,
)
hint_column.caption("点击表中的格子（某乡镇/村 × 某收入区间）即在下方名单中列出这些农户。")
counts = view.fetch(band_counts, scope=scope, month=view.month, settings=income, grouping=grouping)
table = band_table(
    counts,
    names=names,
    bands=labels,
    household_type=None if household_type in (None, "全部") else household_type,
)
shown = band_shares(table) if measure == "占比" else table
id_column = f"{grouping}_id"
show_table(
    shown,
    hide_index=True,
    width="stretch",
    height=row_height(len(shown)),
    column_order=[c for c in shown.columns if c != id_column],
    column_config=band_column_config(list(labels.values()), shares=measure == "占比"),
    on_select=partial(
        apply_band_selection,
        table_key=f"income-bands-{grouping}",
        ids=list(table[id_column]),
        bands={label: number for number, label in labels.items()},
        grouping=grouping,
    ),
    selection_mode="single-cell",
    key=f"income-bands-{grouping}",
)

# The household list, filtered in SQL and read one page at a time.
st.subheader("农户名单", anchor=False)
filter_columns = st.columns([2, 2, 2, 2, 1.4, 1.4])
choose(
    "乡镇",
    [ALL, *township_names],
    format_func=lambda key: "全部乡镇" if key == ALL else township_names[key],
    key="income-township",
    where=filter_columns[0],
)
village_names = (
    {} if villages is None else dict(zip(villages["village_id"], villages["name"], strict=True))
)
if st.session_state.get("income-village") not in village_names:
    st.session_state["income-village"] = ALL
choose(
    "行政村",
    [ALL, *village_names],
    format_func=lambda key: "全部行政村" if key == ALL else village_names[key],
    key="income-village",
    disabled=villages is None,
    where=filter_columns[1],
)
band_options = [ALL, *(band.number for band in bands), NO_DATA_BAND]
if st.session_state.get("income-band", ALL) not in band_options:
    st.session_state["income-band"] = ALL
choose(
    "收入区间",
    band_options,
    format_func=lambda key: "全部区间" if key == ALL else labels[key],
    key="income-band",
    where=filter_columns[2],
)
choose(
    "户类型",
    [ALL, *HouseholdType],
    format_func=lambda key: "全部" if key == ALL else key,
    key="income-type",
    where=filter_columns[3],
)
filter_columns[4].checkbox("只看收入不增反降", key="income-fell")
filter_columns[5].checkbox(f"只看低于监测线 {line:,.0f} 元", key="income-below-line")
filters = HouseholdFilter(
    township_id=chosen(st.session_state["income-township"]),
    village_id=chosen(st.session_state["income-village"]),
    band=chosen(st.session_state["income-band"]),
    household_type=chosen(st.session_state["income-type"]),
    fell_only=st.session_state["income-fell"],
    below_line_only=st.session_state["income-below-line"],
)
size = view.fetch(
    household_list_size, scope=scope, month=view.month, settings=income, filters=filters
)
pages = max(1, -(-size // PAGE_ROWS))
if st.session_state.get("income-page", 1) > pages:
    st.session_state["income-page"] = 1
count_column, page_column, export_column = st.columns([3, 1, 1], vertical_alignment="bottom")
page = page_column.number_input("页码", min_value=1, max_value=pages, step=1, key="income-page")
count_column.markdown(
    f"符合条件 **{formatting.count(size)}** 户，按推算人均纯收入从低到高排列"
    f"（第 {page}/{pages} 页，每页 {PAGE_ROWS} 户）。"
    + ("" if scope.personal_data else "户主姓名与身份证号已脱敏。")
)
rows = view.fetch(
    household_list,
    scope=scope,
    month=view.month,
    settings=income,
    filters=filters,
    limit=PAGE_ROWS,
    offset=(page - 1) * PAGE_ROWS,
)
show_table(
    household_table(rows, band_labels=labels),
    hide_index=True,
    width="stretch",
    height=row_height(min(len(rows), 15)),
    column_config={
        HOUSEHOLD_COLUMNS[key][0]: st.column_config.NumberColumn(format="localized")
        for key in ("ytd_per_capita", "projected_per_capita", "last_year_per_capita")
    }
    | {HOUSEHOLD_COLUMNS["change_per_capita"][0]: st.column_config.NumberColumn(format="%+.0f")},
    key="income-households",
)
# The audit log names the filters as the page shows them, in words.
shown_filters = {
    "乡镇": township_names.get(filters.township_id, "全部乡镇"),
    "行政村": village_names.get(filters.village_id, "全部行政村"),
    "收入区间": labels.get(filters.band, "全部区间"),
    "户类型": filters.household_type or "全部",
    "只看收入不增反降": "是" if filters.fell_only else "否",
    "只看低于监测线": "是" if filters.below_line_only else "否",
}
audit_view("收入监测户名单", rows=len(rows), detail={"筛选": shown_filters, "页码": page})


def export_workbook() -> bytes:
    """The whole filtered list (not just this page), built only when the button is clicked."""
    everything = view.fetch(
        household_list,
        scope=scope,
        month=view.month,
        settings=income,
        filters=filters,
        limit=max(size, 1),
    )
    return household_workbook(
        household_table(everything, band_labels=labels),
        title=f"{settings.county.name}{year}年脱贫户（含监测户）收入监测名单",
        subtitle=f"统计月份 {month_label(view.month)}，数据截至 {view.data_as_of or '未知'}",
        generated_on=view.clock.wall_date(),
        masked=not scope.personal_data,
    )


export_column.download_button(
    "导出 Excel",
    audited_export("收入监测户名单", export_workbook, rows=size),
    on_click="ignore",
    file_name=f"收入监测名单_{view.month:%Y%m}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    icon=":material/download:",
    disabled=size == 0,
    key="income-export",
)

structure_column, register_column = st.columns([3, 2])
structure = view.fetch(income_structure, scope=scope, month=view.month)
structure_column.markdown(
    f"**收入结构**（{year}年1月至{view.month.month}月已登记收入，占纯收入比重）"
)
structure_column.plotly_chart(
    income_structure_figure(
        structure_table(structure, names=townships), height=90 + 30 * (len(structure) + 1)
    ),
    width="stretch",
    config={"displayModeBar": False},
    key="income-structure",
)

completeness = view.fetch(
    township_register_completeness, scope=scope, month=view.month, settings=settings
)
gaps = register_gaps(completeness, names=townships)
register_column.markdown(
    f"**{month_label(view.month)}收支登记缺登**（月底"
    + (f"后 {settings.registers.grace_days} 天" if settings.registers.grace_days else "")
    + f"前未录入）：共 {formatting.count(gaps['missing'].sum())} 户"
)
show_table(
    gaps,
    where=register_column,
    hide_index=True,
    width="stretch",
    height=row_height(min(len(gaps), 12)),
    column_order=["name", "households", "missing", "rate"],
    column_config={
        "name": "乡镇",
        "households": st.column_config.NumberColumn("户数", format="localized"),
        "missing": st.column_config.NumberColumn("缺登户数", format="localized"),
        "rate": st.column_config.ProgressColumn(
            "登记完整率", format="percent", min_value=0.0, max_value=1.0
        ),
    },
    key="income-register-gaps",
)
cadres = view.fetch(
    missing_registers_by_cadre,
    scope=scope,
    month=view.month,
    grace_days=settings.registers.grace_days,
)
register_column.markdown(
    f"**缺登最多的帮扶干部**（共 {formatting.count(len(cadres))} 名干部的联系户有缺登，"
    f"列出前 {min(len(cadres), CADRE_ROWS)} 名）"
)
show_table(
    cadres.head(CADRE_ROWS).assign(township=lambda f: f["township_id"].map(township_names)),
    where=register_column,
    hide_index=True,
    width="stretch",
    height=row_height(min(len(cadres), CADRE_ROWS)),
    column_order=["cadre", "unit", "township", "households", "missing"],
    column_config={
        "cadre": "帮扶干部",
        "unit": "帮扶单位",
        "township": "联系乡镇",
        "households": st.column_config.NumberColumn("联系户", format="%d"),
        "missing": st.column_config.NumberColumn("缺登户数", format="%d"),
    },
    key="income-register-cadres",
)
