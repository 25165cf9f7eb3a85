"""总览: the one-screen briefing for the county Party secretary."""

import streamlit as st

from dashboard import formatting
from dashboard.auth import audited_export
from dashboard.charts.overview import township_rates_figure
from dashboard.components.countdown import render_countdown
from dashboard.components.honour_roll import render_placements
from dashboard.components.kpi import Kpi, count_kpi, income_basis, on_day, rate_kpi, render_kpis
from dashboard.components.layout import page_header, row_height, show_table
from dashboard.context import current_view
from dashboard.exports.briefing import BriefingInputs, briefing_workbook, summary_paragraph
from data_access.income.bands import band_counts, band_labels, band_table
from data_access.overview import briefing, townships_in_scope
from data_access.periods import month_label
from data_access.rankings import Level, ranking
from data_access.rectification import overdue_items
from data_access.visits import DUTY_BY_KEY
from data_access.warnings.store import headline

# As many townships as fit beside the chart without scrolling on a 1080-pixel screen.
ATTENTION_ROWS = 10

view = current_view()
settings = view.settings
brief = view.fetch(
    briefing, scope=view.scope, month=view.month, today=view.reporting_date, settings=settings
)
line = settings.income.line_for(view.month.year)
alerts = view.fetch(
    headline, scope=view.scope, today=view.reporting_date, settings=settings.warnings
)

page_header(view, f"{settings.county.name}巩固拓展脱贫攻坚成果总览")
render_countdown(brief.milestones, settings.rectification)

income_note = f"按{view.month.year}年已登记月份推算全年人均纯收入。"
render_kpis(
    [
        count_kpi(
            "脱贫户（含监测户）",
            brief.households,
            rise_is_bad=False,
            help=f"脱贫户 {formatting.count(brief.lifted.value)} 户，"
            f"监测户 {formatting.count(brief.monitored.value)} 户。",
            basis=f"{month_label(view.month)}底在册",
        ),
        count_kpi(
            "监测户·风险未消除",
            brief.at_risk,
            rise_is_bad=True,
            help=f"监测户共 {formatting.count(brief.monitored.value)} 户，"
            "其中截至月底风险未消除的户数。",
            basis=f"{month_label(view.month)}底",
        ),
        count_kpi(
            f"低于监测线 {line:,.0f} 元",
            brief.below_line,
            rise_is_bad=True,
            help=income_note + "这是不能突破的底线。",
            basis=income_basis(view.month),
        ),
        *[
            count_kpi(
                f"低于 {threshold:,.0f} 元",
                figure,
                rise_is_bad=True,
                help=income_note,
                basis=income_basis(view.month),
            )
            for threshold, figure in brief.below_thresholds.items()
        ],
        count_kpi(
            "收入不增反降",
            brief.fell,
            rise_is_bad=True,
            help=income_note + "推算全年人均纯收入低于上年的户数。",
            basis=income_basis(view.month),
        ),
    ]
)
render_kpis(
    [
        rate_kpi(
            "收支登记完整率",
            brief.register_rate,
            help="本月收支在月底前录入 APP 的户数占比。",
            basis=f"{month_label(view.month)}·月底前录入",
        ),
        rate_kpi(
            "帮扶干部走访覆盖率",
            brief.visit_rate,
            help=f"{DUTY_BY_KEY['helper'].rule_for(view.settings.visits)}。",
            basis=month_label(view.month),
        ),
        count_kpi(
            "整改未销号",
            brief.open_items,
            rise_is_bad=True,
            unit="项",
            help="统计日（所选月份的月底，本月为今天）尚未销号的整改问题。",
            basis=on_day(brief.as_of),
        ),
        count_kpi(
            "逾期未整改",
            brief.overdue_items,
            rise_is_bad=True,
            unit="项",
            help="统计日已过整改时限仍未销号的问题。",
            basis=on_day(brief.as_of),
        ),
        Kpi(
            "待核实预警",
            f"{formatting.count(alerts.pending)} 条",
            None,
            True,
            "规则比对发现、尚未入户核实的预警；逾期指超过核实期限（见“预警核实”页）。",
            f"{on_day(view.reporting_date)}·逾期 {formatting.count(alerts.overdue)} 条",
        ),
        Kpi(
            "应纳未纳疑似",
            f"{formatting.count(alerts.should_monitor)} 户",
            None,
            True,
            "有待核实的“应纳未纳”预警、尚未纳入监测的户。",
            on_day(view.reporting_date),
        ),
    ]
)

townships = view.fetch(
    ranking,
    scope=view.published_scope,
    month=view.month,
    settings=settings,
    level=Level.TOWNSHIP,
)
render_placements(townships, mode=settings.rankings.mode)

chart_column, table_column = st.columns([3, 2])
chart_column.plotly_chart(
    township_rates_figure(brief.by_township),
    width="stretch",
    config={"displayModeBar": False},
    key="township-rates",
)
attention = brief.by_township.sort_values(["overdue", "below_line", "fell"], ascending=False)
shown = attention.head(ATTENTION_ROWS)
table_column.markdown(
    f"**需要关注的乡镇**（逾期整改最多的 {len(shown)} 个，共 {len(attention)} 个乡镇）"
)
show_table(
    shown[["name", "overdue", "open", "below_line", "fell"]],
    where=table_column,
    hide_index=True,
    width="stretch",
    height=row_height(len(shown)),
    column_config={
        "name": "乡镇",
        "overdue": st.column_config.NumberColumn("逾期整改", format="%d"),
        "open": st.column_config.NumberColumn("未销号", format="%d"),
        "below_line": st.column_config.NumberColumn("低于监测线", format="%d"),
        "fell": st.column_config.NumberColumn("收入不增反降", format="%d"),
    },
)

with st.expander("汇报材料：文字摘要与 Excel 简报", icon=":material/description:"):
    pack = BriefingInputs(
        brief=brief,
        townships=townships,
        overdue=view.fetch(overdue_items, scope=view.scope, today=brief.as_of),
        bands=band_table(
            view.fetch(band_counts, scope=view.scope, month=view.month, settings=settings.income),
            names=view.fetch(townships_in_scope, scope=view.scope),
            bands=band_labels(settings=settings.income, year=view.month.year),
        ),
        month=view.month,
        as_of=view.data_as_of or "",
    )
    st.code(summary_paragraph(pack, settings), language=None, wrap_lines=True)
    st.download_button(
        "下载简报（Excel，A4 横向）",
        data=audited_export("简报", lambda: briefing_workbook(pack, settings)),
        on_click="ignore",
        file_name=f"简报_{view.month:%Y%m}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="briefing-pack",
    )
