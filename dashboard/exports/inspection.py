"""The sealed 暗访 plan as a workbook for the team: villages, households, inspectors, and how it
was drawn (seed and input hash, so anyone can verify the plan afterwards)."""

from __future__ import annotations

from dashboard.exports.workbook import Column, add_table_sheet, new_workbook, to_bytes
from data_access.inspection.log import DrawPlan
from data_access.sampling import METHOD

CONFIDENTIAL = "密封件：检查前不得向乡镇、村透露；仅限县委督查组使用"


def _stamp(plan: DrawPlan) -> str:
    planned = plan.planned_on.isoformat() if plan.planned_on else "未定"
    return (
        f"抽签 #{plan.draw_id} · {plan.drawn_at:%Y-%m-%d %H:%M} {plan.drawn_by} · "
        f"计划检查日 {planned} · {CONFIDENTIAL}"
    )


def plan_workbook(plan: DrawPlan, *, county: str) -> bytes:
    """Four sheets: 抽中村 (with risk reasons and team), 抽查农户 (identity masked), 检查人员,
    抽签信息 (seed, hash, method)."""
    workbook = new_workbook()
    subtitle = _stamp(plan)
    add_table_sheet(
        workbook,
        name="抽中村",
        title=f"{county}暗访抽查名单（密封）",
        subtitle=subtitle,
        columns=[
            Column("序号", 6),
            Column("乡镇", 12),
            Column("行政村", 12),
            Column("风险分", 9, "0.0"),
            Column("主要风险", 60, wrap=True),
            Column("检查组", 24, wrap=True),
        ],
        rows=(
            (
                row.order,
                row.township,
                row.village,
                None if row.risk is None else row.risk * 100,
                row.reasons,
                row.inspectors,
            )
            for row in plan.villages.itertuples()
        ),
    )
    add_table_sheet(
        workbook,
        name="抽查农户",
        title=f"{county}暗访抽查农户（密封）",
        subtitle=subtitle,
        columns=[
            Column("序号", 6),
            Column("乡镇", 12),
            Column("行政村", 12),
            Column("户编号", 20),
            Column("组/网格", 8),
            Column("户主", 10),
            Column("身份证号", 22),
            Column("类别", 10),
            Column("人口", 6),
            Column("检查情况", 40, wrap=True),
        ],
        rows=(
            (
                number,
                row.township,
                row.village,
                row.code,
                row.grid_no,
                row.head_name,
                row.head_id_number,
                row.household_type,
                row.members,
                "",
            )
            for number, row in enumerate(plan.households.itertuples(), start=1)
        ),
        footer="检查情况栏由检查组现场填写，返回后录入看板“检查结果”。",
    )
    add_table_sheet(
        workbook,
        name="检查人员",
        title=f"{county}暗访检查人员",
        subtitle=subtitle,
        columns=[Column("姓名", 12), Column("单位", 24), Column("检查村", 20)],
        rows=((row.name, row.unit, row.village) for row in plan.inspectors.itertuples()),
        footer="已按回避规则排除：不派往本人籍贯（居住）乡镇，不派往本单位定点帮扶村。",
    )
    add_table_sheet(
        workbook,
        name="抽签信息",
        title="抽签信息（用于事后复核）",
        subtitle=subtitle,
        columns=[Column("项目", 16), Column("内容", 80, wrap=True)],
        rows=[
            ("抽签编号", f"#{plan.draw_id}"),
            ("种子", plan.seed),
            ("输入哈希", plan.input_hash),
            ("抽样方法", METHOD),
            ("替代抽签", f"#{plan.replaces_draw_id}" if plan.replaces_draw_id else "无"),
        ],
    )
    return to_bytes(workbook)
