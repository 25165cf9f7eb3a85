"""Sign-in, sign-out, idle timeout, refusal pages and audit helpers for the dashboard.

The session keeps only the signed-in username and the time of the last activity by the clock
(both server-side and not bound to any widget, so a browser cannot set them). Roles, township and
personal-data right are read from the user record on every run (``access_for``): disabling a user
or changing their roles takes effect at their next click, and nothing the browser sends can widen
what they see.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Connection

from config import Clock, Settings
from dashboard import escaping
from dashboard.context import current_view, writing
from dashboard.data import engine_for
from data_access.audit import AuditAction
from data_access.auth import Access, AuthError, LoginRefusedError, access_for, authenticate
from data_access.commands import change

T = TypeVar("T")

_USER_KEY = "_auth_username"
_ACTIVE_KEY = "_auth_last_active"
_NOTICE_KEY = "_auth_notice"
_SEEN_KEY = "_auth_audited_views"


def signed_in_access(*, conn: Connection, settings: Settings) -> Access | None:
    """The signed-in user's access, or None (signed out on idle timeout or a disabled account)."""
    username = st.session_state.get(_USER_KEY)
    if not isinstance(username, str):
        return None
    now = settings.clock.now()
    last_active = st.session_state.get(_ACTIVE_KEY)
    idle_limit = timedelta(minutes=settings.auth.idle_timeout_minutes)
    if not isinstance(last_active, datetime) or now - last_active > idle_limit:
        sign_out(f"超过 {settings.auth.idle_timeout_minutes} 分钟未操作，已自动退出，请重新登录。")
        return None
    access = access_for(conn=conn, username=username)
    if access is None:
        sign_out("账号已停用，请联系管理员。")
        return None
    st.session_state[_ACTIVE_KEY] = now
    return access


def sign_out(notice: str | None = None) -> None:
    for key in (_USER_KEY, _ACTIVE_KEY, _SEEN_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[_NOTICE_KEY] = notice


def _logout(database_url: str, username: str, clock: Clock) -> None:
    with change(engine_for(database_url), by=username, at=clock.now()) as write:
        write.audit(AuditAction.LOGOUT)
    sign_out("已退出登录。")


def render_login(*, settings: Settings) -> None:
    """The sign-in form; on success the session is signed in and the script reruns."""
    _, middle, _ = st.columns([1, 1.2, 1])
    with middle:
        st.title("衔接督导看板", anchor=False)
        st.caption(f"{settings.county.name} · 巩固拓展脱贫攻坚成果同乡村振兴有效衔接")
        notice = st.session_state.pop(_NOTICE_KEY, None)
        if notice:
            st.info(notice, icon=":material/info:")
        with st.form("login", border=True):
            st.subheader("登录", anchor=False)
            username = st.text_input("用户名", key="login_username", autocomplete="username")
            password = st.text_input(
                "密码", type="password", key="login_password", autocomplete="current-password"
            )
            submitted = st.form_submit_button(
                "登录", type="primary", key="login_submit", width="stretch"
            )
        if not settings.auth.production:
            st.caption("演示环境：演示账号及密码见 README“登录与权限”。")
    if not submitted:
        return
    refusal = None
    attempt = change(engine_for(settings.database_url), by=username, at=settings.clock.now())
    with attempt as write:
        # Caught inside the transaction: the failure count and audit entry must be committed.
        try:
            authenticate(
                conn=write.conn,
                username=username,
                password=password,
                now=write.at,
                max_failures=settings.auth.max_failed_logins,
                lockout_minutes=settings.auth.lockout_minutes,
                refuse_weak=settings.auth.production,
            )
        except LoginRefusedError as error:
            refusal = str(error)
    if refusal is not None:
        middle.error(refusal, icon=":material/lock:")
        return
    st.session_state[_USER_KEY] = username.strip()
    st.session_state[_ACTIVE_KEY] = settings.clock.now()
    st.rerun()


def render_user_box(*, access: Access, database_url: str, clock: Clock) -> None:
    """Sidebar: who is signed in, with which roles, and the sign-out button."""
    roles = "、".join(sorted(access.roles)) or "无角色"
    st.caption(
        f"当前用户：{escaping.markdown(access.display_name)}"
        f"（{escaping.markdown(access.username)}）· {escaping.markdown(roles)}"
    )
    st.button(
        "退出登录",
        key="logout",
        icon=":material/logout:",
        on_click=_logout,
        args=(database_url, access.username, clock),
    )


def render_refusal(*, title: str, access: Access) -> None:
    """A refused page: says so in Chinese and shows no data."""
    st.title(title, anchor=False)
    roles = "、".join(sorted(access.roles)) or "无角色"
    st.error(
        f"**无权访问此页面**\n\n您的账号（{escaping.markdown(access.username)}，"
        f"角色：{escaping.markdown(roles)}）无权查看“{title}”。"
        "如需访问，请联系县乡村振兴局管理员。",
        icon=":material/block:",
    )


def _write_audit(**entry: Any) -> None:
    with writing(current_view()) as write:
        write.audit(**entry)


def audit_view(target: str, *, rows: int | None = None, detail: dict | None = None) -> None:
    """Record that household-level data was shown; once per session and distinct view."""
    key = (target, repr(sorted((detail or {}).items())))
    seen = st.session_state.setdefault(_SEEN_KEY, set())
    if key in seen:
        return
    seen.add(key)
    _write_audit(action=AuditAction.VIEW, target=target, rows=rows, detail=detail)


def audit_export(what: str, rows: int | None = None) -> None:
    """A download button's on_click: record what was exported and how many rows."""
    _write_audit(action=AuditAction.EXPORT, target=what, rows=rows)


def audit_refusal(target: str) -> None:
    """Record a refused page once per session."""
    seen = st.session_state.setdefault(_SEEN_KEY, set())
    if ("refused", target) in seen:
        return
    seen.add(("refused", target))
    _write_audit(action=AuditAction.REFUSED, target=target)


def run_change(user_change: Callable[..., None], **kwargs: Any) -> str | None:
    """Run a user-management change as the signed-in user, in one transaction.

    Returns None on success, or the Chinese reason it was refused.
    """
    try:
        with writing(current_view()) as write:
            user_change(conn=write.conn, by=write.by, now=write.at, **kwargs)
    except AuthError as error:
        return str(error)
    return None


def read_now(query: Callable[..., T], **kwargs: Any) -> T:
    """A query run without the cache: users and audit entries change without a data version."""
    with engine_for(current_view().database_url).connect() as conn:
        return query(conn=conn, **kwargs)
