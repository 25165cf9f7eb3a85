"""用户与审计: users (add, disable, reset password) and the audit log (filter, Excel export)."""

from datetime import datetime, time, timedelta

import streamlit as st

from dashboard import escaping
from dashboard.auth import audited_export, read_now, run_change
from dashboard.components.layout import choose, choose_many, page_header, row_height, show_table
from dashboard.context import current_view
from dashboard.exports.audit import audit_workbook, detail_text
from data_access.audit import AUDIT_COLUMNS, AuditAction, audit_entries
from data_access.auth import (
    MIN_PASSWORD_LENGTH,
    USER_COLUMNS,
    Role,
    add_user,
    disable_user,
    reset_password,
    user_table,
)
from data_access.overview import townships_in_scope

view = current_view()
page_header(view, "用户与审计")

users_tab, audit_tab = st.tabs(["用户", "审计日志"])

with users_tab:
    users = read_now(user_table)
    show_table(
        users.rename(columns=USER_COLUMNS),
        hide_index=True,
        width="stretch",
        height=row_height(min(len(users), 12)),
    )
    # The notices and refusals name users by what was typed or stored: kept as text.
    notice = st.session_state.pop("admin-notice", None)
    if notice:
        st.success(notice, icon=":material/check_circle:")
    townships = view.fetch(townships_in_scope, scope=view.published_scope)
    township_names = dict(zip(townships["township_id"], townships["name"], strict=True))
    add_column, disable_column, reset_column = st.columns(3)
    with add_column, st.form("admin-add", clear_on_submit=True):
        st.subheader("新增用户", anchor=False)
        username = st.text_input("用户名", key="admin-add-username")
        display_name = st.text_input("姓名", key="admin-add-name")
        roles = choose_many(
            "角色", [role.value for role in Role], placeholder="请选择角色", key="admin-add-roles"
        )
        township = choose(
            "所属乡镇（乡镇用户必填）",
            list(township_names),
            format_func=township_names.get,
            index=None,
            placeholder="请选择乡镇",
            key="admin-add-township",
        )
        password = st.text_input(
            f"初始密码（至少 {MIN_PASSWORD_LENGTH} 位）", type="password", key="admin-add-password"
        )
        if st.form_submit_button("新增", key="admin-add-submit"):
            error = run_change(
                add_user,
                username=username,
                display_name=display_name,
                password=password,
                roles=roles,
                township_id=township,
            )
            if error:
                st.error(escaping.markdown(error))
            else:
                st.session_state["admin-notice"] = f"已新增用户 {escaping.markdown(username)}"
                st.rerun()
    active = users.loc[users["active"], "username"].tolist()
    with disable_column, st.form("admin-disable"):
        st.subheader("停用用户", anchor=False)
        target = choose(
            "用户", active, index=None, placeholder="请选择用户", key="admin-disable-user"
        )
        if st.form_submit_button("停用", key="admin-disable-submit") and target:
            if target == view.access.username:
                st.error("不能停用自己的账号")
            else:
                error = run_change(disable_user, username=target)
                if error:
                    st.error(escaping.markdown(error))
                else:
                    st.session_state["admin-notice"] = f"已停用用户 {escaping.markdown(target)}"
                    st.rerun()
    with reset_column, st.form("admin-reset", clear_on_submit=True):
        st.subheader("重设密码", anchor=False)
        target = choose(
            "用户",
            users["username"].tolist(),
            index=None,
            placeholder="请选择用户",
            key="admin-reset-user",
        )
        password = st.text_input("新密码", type="password", key="admin-reset-password")
        st.caption("重设后账号同时启用、解锁，且不再算作演示密码。")
        if st.form_submit_button("重设", key="admin-reset-submit") and target:
            error = run_change(reset_password, username=target, password=password)
            if error:
                st.error(escaping.markdown(error))
            else:
                st.session_state["admin-notice"] = f"已重设用户 {escaping.markdown(target)} 的密码"
                st.rerun()

with audit_tab:
    # When things happened, not the reporting date: the log's default is the last 30 days.
    today = view.clock.wall_date()
    filter_columns = st.columns([2, 1, 2])
    period = filter_columns[0].date_input(
        "日期", (today - timedelta(days=30), today), key="audit-dates"
    )
    who = choose(
        "用户",
        users["username"].tolist(),
        index=None,
        placeholder="全部",
        key="audit-user",
        where=filter_columns[1],
    )
    actions = choose_many(
        "操作",
        [action.value for action in AuditAction],
        placeholder="全部",
        key="audit-actions",
        where=filter_columns[2],
    )
    start, end = (period[0], period[-1]) if period else (None, None)
    entries = read_now(
        audit_entries,
        since=datetime.combine(start, time.min) if start else None,
        until=datetime.combine(end + timedelta(days=1), time.min) if end else None,
        username=who,
        actions=actions,
    )

    def filters_words(user: str) -> str:
        return (
            f"日期 {start or '不限'} 至 {end or '不限'} · 用户 {user} · "
            f"操作 {'、'.join(actions) or '全部'}"
        )

    # The workbook gets the username as it is; the caption (markdown) as text.
    filters_text = filters_words(who or "全部")
    shown_filters = filters_words(escaping.markdown(who) if who else "全部")
    st.caption(f"{shown_filters} · 共 {len(entries):,} 条（最多显示 5,000 条，按时间倒序）")
    shown = entries.assign(detail=entries["detail"].map(detail_text))
    show_table(
        shown.rename(columns=AUDIT_COLUMNS),
        hide_index=True,
        width="stretch",
        height=row_height(min(max(len(entries), 1), 15)),
    )
    st.download_button(
        "导出审计日志（Excel）",
        data=audited_export(
            "审计日志",
            lambda: audit_workbook(
                entries, county=view.settings.county.name, filters_text=filters_text
            ),
            rows=len(entries),
        ),
        file_name=f"审计日志_{today:%Y%m%d}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        on_click="ignore",
        key="audit-export",
    )
