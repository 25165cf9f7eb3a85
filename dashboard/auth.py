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
from streamlit.runtime.scriptrunner import get_script_run_ctx

from config import Clock, Settings
from dashboard import escaping
from dashboard.context import ViewContext, current_view, writing
from dashboard.data import engine_for
from data_access import sessions
from data_access.audit import AuditAction
from data_access.auth import (
    Access,
    AuthError,
    LoginRefusedError,
    Role,
    access_for,
    authenticate,
)
from data_access.commands import change

T = TypeVar("T")

_USER_KEY = "_auth_username"
_ACTIVE_KEY = "_auth_last_active"
_NOTICE_KEY = "_auth_notice"
_SEEN_KEY = "_auth_audited_views"
_SESSION_KEY = "_auth_session"
_TICKET_KEY = "_auth_ticket"


def lifetime_for(settings: Settings, roles: frozenset[Role]) -> sessions.Lifetime:
    """How long a sign-in of a user with ``roles`` lasts: the wall's idle limit is its own."""
    auth = settings.auth
    idle = auth.display_idle_minutes if Role.DISPLAY in roles else auth.idle_timeout_minutes
    return sessions.Lifetime(
        idle=timedelta(minutes=idle), absolute=timedelta(days=auth.session_days)
    )


def _lifetime_of(settings: Settings, conn: Connection):
    def lifetime(username: str) -> sessions.Lifetime:
        access = access_for(conn=conn, username=username)
        return lifetime_for(settings, access.roles if access else frozenset())

    return lifetime


_ENDED_NOTICES = {
    sessions.Ended.LOGOUT: "已退出登录。",
    sessions.Ended.EXPIRED: "登录已超过有效期，请重新登录。",
    sessions.Ended.DISABLED: "账号已停用，请联系管理员。",
    sessions.Ended.PASSWORD_RESET: "密码已被重设，请用新密码登录。",
    sessions.Ended.ROLES_CHANGED: "账号的角色或所属乡镇已变更，请重新登录。",
}


def cookie_session(settings: Settings, token: object) -> sessions.Resumed | None:
    """The server-side session a browser's session cookie (``token``) names, when it still
    holds: read by a new Streamlit session (a reload, a deep link, a new tab, a restarted wall)
    and by the server before it hands out a generated file (dashboard/server.py)."""
    if not isinstance(token, str) or not token:
        return None
    now = settings.clock.now()
    with change(engine_for(settings.database_url), by="", at=now) as write:
        return sessions.resume(
            write.conn, token=token, now=now, lifetime_of=_lifetime_of(settings, write.conn)
        )


def _resume(settings: Settings) -> None:
    """Sign this Streamlit session in from the browser's session cookie, when it names a
    session that still holds."""
    now = settings.clock.now()
    resumed = cookie_session(settings, st.context.cookies.get(SESSION_COOKIE))
    if resumed is not None:
        st.session_state[_USER_KEY] = resumed.username
        st.session_state[_SESSION_KEY] = resumed.session_id
        st.session_state[_ACTIVE_KEY] = now


def _state_value(state: Any, key: str) -> Any:
    """``key`` of a session state (st.session_state, or the state captured for a deferred
    export, which has no ``get``); None when absent."""
    try:
        return state[key]
    except KeyError:
        return None


def session_ended(settings: Settings, access: Access, state: Any = st.session_state) -> str | None:
    """Why the sign-in held in ``state`` no longer holds (None: it holds): idle here, or its
    server-side session ended, expired or was revoked (checked on every run, every turn of the
    wall and every deferred export). Records the run as activity of the session."""
    now = settings.clock.now()
    lifetime = lifetime_for(settings, access.roles)
    last_active = _state_value(state, _ACTIVE_KEY)
    if not isinstance(last_active, datetime) or now - last_active > lifetime.idle:
        return sessions.Ended.IDLE
    session_id = _state_value(state, _SESSION_KEY)
    if session_id is None:
        return None
    with change(engine_for(settings.database_url), by=access.username, at=now) as write:
        return sessions.check(write.conn, session_id=session_id, now=now, lifetime=lifetime)


def _view_ended(view: ViewContext, state: Any) -> str | None:
    """Why the view's sign-in no longer holds in ``state``: another (or no) user signed in
    there, the account changed (disabled, other roles or township), or session_ended."""
    if _state_value(state, _USER_KEY) != view.access.username:
        return "signed_out"
    with engine_for(view.database_url).connect() as conn:
        if access_for(conn=conn, username=view.access.username) != view.access:
            return "account_changed"
    return session_ended(view.settings, view.access, state)


def signed_in_access(*, conn: Connection, settings: Settings) -> Access | None:
    """The signed-in user's access, or None (signed out on idle timeout, a disabled account or
    an ended session)."""
    if not isinstance(st.session_state.get(_USER_KEY), str):
        _resume(settings)
    username = st.session_state.get(_USER_KEY)
    if not isinstance(username, str):
        return None
    access = access_for(conn=conn, username=username)
    if access is None:
        sign_out("账号已停用，请联系管理员。")
        return None
    ended = session_ended(settings, access)
    if ended is not None:
        minutes = int(lifetime_for(settings, access.roles).idle.total_seconds() // 60)
        sign_out(_ENDED_NOTICES.get(ended, f"超过 {minutes} 分钟未操作，已自动退出，请重新登录。"))
        return None
    st.session_state[_ACTIVE_KEY] = settings.clock.now()
    return access


def still_signed_in(view: ViewContext) -> bool:
    """For a fragment's own reruns (the wall's timer), which skip the entry script: whether
    the view's user may still see it (same account, active, same roles, session holding)."""
    return _view_ended(view, st.session_state) is None


def sign_out(notice: str | None = None) -> None:
    for key in (_USER_KEY, _ACTIVE_KEY, _SEEN_KEY, _SESSION_KEY, _TICKET_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[_NOTICE_KEY] = notice


def _logout(database_url: str, username: str, clock: Clock) -> None:
    session_id = st.session_state.get(_SESSION_KEY)
    with change(engine_for(database_url), by=username, at=clock.now()) as write:
        if session_id is not None:
            sessions.end(
                write.conn, session_id=session_id, now=write.at, reason=sessions.Ended.LOGOUT
            )
        write.audit(AuditAction.LOGOUT)
    sign_out("已退出登录。")


# The browser's session cookie (HttpOnly: no script of the page can read it), set by the
# server's session route (dashboard/server.py) in exchange for the one-time ticket.
SESSION_COOKIE = "dashboard_session"
SESSION_ROUTE = "_session"
# Hands the ticket to the server from the page itself; the answer sets the cookie.
_HANDOVER_JS = """
export default function (component) {
  const { data } = component;
  if (!data || !data.ticket) return;
  const url = new URL(data.route, document.baseURI);
  fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "text/plain" },
    body: data.ticket,
  }).catch(() => {});
}
"""
_handover = st.components.v2.component("session_handover", js=_HANDOVER_JS)


def hand_over_session() -> None:
    """Once after sign-in: let the browser exchange its ticket for the session cookie."""
    ticket = st.session_state.pop(_TICKET_KEY, None)
    if ticket:
        _handover(key="session_handover", data={"ticket": ticket, "route": SESSION_ROUTE}, height=0)


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
            access = authenticate(
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
        else:
            started = sessions.start(
                write.conn,
                username=access.username,
                now=write.at,
                lifetime=lifetime_for(settings, access.roles),
                user_agent=st.context.headers.get("User-Agent") or "",
            )
    if refusal is not None:
        middle.error(refusal, icon=":material/lock:")
        return
    st.session_state[_USER_KEY] = username.strip()
    st.session_state[_ACTIVE_KEY] = settings.clock.now()
    st.session_state[_SESSION_KEY], st.session_state[_TICKET_KEY] = started
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


class ExportRefusedError(RuntimeError):
    """A deferred export asked for after its session ended or its user changed."""


def audited_export(what: str, build: Callable[[], bytes], *, rows: int | None = None):
    """A download button's ``data=`` callable that makes the file when the user asks for it, as
    the signed-in user of this run, only while that still holds.

    Streamlit runs it outside the page's script (no rerun, no session state of its own), so the
    session and the user are captured now and checked again then: still signed in on this
    session, not idle beyond the limit, the account active with the same roles and township.
    The export is audited when its bytes are made, or refused and audited as refused (the
    download then fails, with nothing in it).
    """
    view = current_view()
    context = get_script_run_ctx()
    session = context.session_state if context is not None else None

    def produce() -> bytes:
        engine, clock = engine_for(view.database_url), view.clock
        username = view.access.username
        reason = "no_session" if session is None else _view_ended(view, session)
        if reason is not None:
            with change(engine, by=username, at=clock.now()) as write:
                write.audit(AuditAction.REFUSED, target=what, detail={"export": reason})
            raise ExportRefusedError(reason)
        content = build()
        with change(engine, by=username, at=clock.now()) as write:
            write.audit(AuditAction.EXPORT, target=what, rows=rows)
        return content

    return produce


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
