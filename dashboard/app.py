"""Entry script: page config, the login gate, navigation, the sidebar filters, the view context.

Run with ``streamlit run dashboard/app.py``. Every page is registered in dashboard/navigation.py.
Every page is registered with st.navigation whoever is signed in, so every URL stays stable; a page
the user may not open runs a refusal instead of its script, and the sidebar menu lists only the
pages they may open. The scope is computed here, on every run, from the user's database record.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from config import SettingsError, load_settings
from dashboard.auth import (
    audit_refusal,
    hand_over_session,
    render_login,
    render_refusal,
    render_user_box,
    signed_in_access,
)
from dashboard.components.layout import apply_base_style, choose, choose_many, render_error_page
from dashboard.components.localize import localize_streamlit
from dashboard.context import ViewContext, set_current_view
from dashboard.data import engine_for
from dashboard.navigation import PAGES, PageSpec
from dashboard.production import secret_problems
from data_access.auth import Access, demo_passwords_in_use, user_count
from data_access.overview import townships_in_scope
from data_access.periods import default_period, month_label
from data_access.status import data_status

logger = logging.getLogger("dashboard")

st.set_page_config(
    page_title="衔接督导看板",
    # A local file: a material icon as favicon would be fetched from the internet.
    page_icon=str(Path(__file__).parent / "static" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
)
apply_base_style()
localize_streamlit()


def _refusal(spec: PageSpec, access: Access | None, allowed: list[st.Page]):
    def refuse() -> None:
        if access is None:
            return
        if spec.default and allowed:
            # "/" of a user who may not open the default view: go to their first view instead.
            st.switch_page(allowed[0])
        audit_refusal(spec.url_path)
        render_refusal(title=spec.title, access=access)

    refuse.__name__ = f"refused_{spec.url_path}"
    return refuse


def build_navigation(access: Access | None) -> tuple[st.Page, dict[str, list[st.Page]]]:
    """Every page registered (refusals for those ``access`` may not open) and the allowed menu."""
    allowed: list[st.Page] = []
    sections: dict[str, list[st.Page]] = {}
    menu: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        may_open = access is not None and access.may_open(
            spec.roles, confidential=spec.confidential
        )
        page = st.Page(
            spec.path if may_open else _refusal(spec, access, allowed),
            title=spec.title,
            icon=spec.icon,
            url_path=spec.url_path,
            default=spec.default,
        )
        if may_open:
            allowed.append(page)
            menu.setdefault(spec.section, []).append(page)
        sections.setdefault(spec.section, []).append(page)
    return st.navigation(sections, position="hidden"), menu


def render_menu(menu: dict[str, list[st.Page]]) -> None:
    for section, pages in menu.items():
        st.caption(section)
        for page in pages:
            st.page_link(page)


def sign_in() -> tuple[Access, dict[str, list[st.Page]], st.Page] | None:
    """The signed-in user, their menu and the navigation; None after a login or error page."""
    try:
        settings = load_settings()
    except SettingsError as error:
        build_navigation(None)
        render_error_page("配置文件有误，看板无法启动", str(error))
        return None
    try:
        with engine_for(settings.database_url).connect() as conn:
            has_data = bool(data_status(conn=conn).months)
            demo_left = demo_passwords_in_use(conn=conn)
            users = user_count(conn=conn)
            access = signed_in_access(conn=conn, settings=settings)
    except SQLAlchemyError:
        logger.exception("database unavailable")
        build_navigation(None)
        render_error_page(
            "无法连接数据库",
            "请确认数据库服务正在运行、DASHBOARD_DB_URL 设置正确，"
            "并已执行 `python -m data_access init-db`（演示环境用 `make run` 会自动准备数据）。",
        )
        return None
    navigation, menu = build_navigation(access)
    weak_secrets = settings.auth.production and secret_problems(
        cookie_secret=st.get_option("server.cookieSecret"), database_url=settings.database_url
    )
    if weak_secrets:
        render_error_page(
            "部署密钥不安全，看板拒绝在生产模式下启动",
            "；".join(weak_secrets) + "。改好 /etc/dashboard/dashboard.env 后重启服务。",
        )
        return None
    if settings.auth.production and demo_left:
        render_error_page(
            "仍有账号使用演示密码，看板拒绝在生产模式下启动",
            f"有 {demo_left} 个账号仍在使用 README 中公开的演示密码。请管理员用 "
            "`python -m data_access users reset-password <用户名>` 重设密码，"
            "或用 `python -m data_access users disable <用户名>` 停用这些账号，然后刷新页面。",
        )
        return None
    if not has_data:
        render_error_page(
            "数据库中还没有数据",
            "请先导入收支登记等台账，或运行 `python -m data_access seed-demo` 生成演示数据。",
        )
        return None
    if users == 0:
        render_error_page(
            "还没有任何用户",
            "请先创建管理员：`python -m data_access users add <用户名> --role 管理员`"
            "（演示环境：`python -m data_access ensure-demo` 会创建演示账号）。",
        )
        return None
    if access is None:
        render_login(settings=settings)
        return None
    return access, menu, navigation


def build_view(access: Access, menu: dict[str, list[st.Page]]) -> ViewContext | None:
    """Read the data status and the sidebar; None (after an error page) when data is unusable."""
    settings = load_settings()
    try:
        with engine_for(settings.database_url).connect() as conn:
            status = data_status(conn=conn)
            scope = access.scope(conn)
            published_scope = access.published_scope(conn)
            townships = townships_in_scope(conn=conn, scope=scope)
    except SQLAlchemyError:
        logger.exception("database unavailable")
        render_error_page("无法连接数据库", "请确认数据库服务正在运行，然后刷新页面。")
        return None
    reporting_date = settings.clock.reporting_date()
    default = default_period(list(status.months), reporting_date, settings.app.period_lag_days)
    with st.sidebar:
        st.markdown(f"### {settings.county.name}衔接督导看板")
        render_menu(menu)
        render_user_box(access=access, database_url=settings.database_url, clock=settings.clock)
        hand_over_session()
    if default is None:
        render_error_page(
            "数据库中还没有数据",
            "请先导入收支登记等台账，或运行 `python -m data_access seed-demo` 生成演示数据。",
        )
        return None

    with st.sidebar:
        months = sorted(status.months, reverse=True)
        month = choose(
            "统计月份", months, index=months.index(default), format_func=month_label, key="period"
        )
        names = dict(zip(townships["township_id"], townships["name"], strict=True))
        chosen = choose_many(
            "乡镇",
            list(names),
            format_func=names.get,
            placeholder="全部乡镇" if len(names) > 1 else "本乡镇",
            key="townships",
        )
    return ViewContext(
        access=access,
        settings=settings,
        database_url=settings.database_url,
        # narrowed() only intersects: a tampered filter value can drop townships, never add one.
        scope=scope.narrowed(chosen or None),
        published_scope=published_scope,
        month=month,
        clock=settings.clock,
        reporting_date=reporting_date,
        data_version=status.version,
        data_as_of=status.as_of,
    )


signed_in = sign_in()
if signed_in is not None:
    access, menu, navigation = signed_in
    view = build_view(access, menu)
    if view is not None:
        set_current_view(view)
        navigation.run()
