"""Entry script: page config, navigation, the sidebar period and township filter, the view context.

Run with ``streamlit run dashboard/app.py``. Every page is registered in dashboard/navigation.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from config import SettingsError, load_settings
from dashboard.components.layout import apply_base_style, render_error_page
from dashboard.context import ViewContext, set_current_view
from dashboard.data import engine_for
from dashboard.navigation import PAGES
from data_access.overview import townships_in_scope
from data_access.periods import default_period, month_label
from data_access.scope import Scope, county_scope
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


def build_navigation() -> st.Page:
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        page = st.Page(
            spec.path,
            title=spec.title,
            icon=spec.icon,
            url_path=spec.url_path,
            default=spec.default,
        )
        sections.setdefault(spec.section, []).append(page)
    return st.navigation(sections)


def build_view() -> ViewContext | None:
    """Read the data status and the sidebar; None (after an error page) when data is unusable."""
    try:
        settings = load_settings()
    except SettingsError as error:
        render_error_page("配置文件有误，看板无法启动", str(error))
        return None
    try:
        with engine_for(settings.database_url).connect() as conn:
            status = data_status(conn=conn)
            scope = county_scope(conn=conn)
            townships = townships_in_scope(conn=conn, scope=scope)
    except SQLAlchemyError:
        logger.exception("database unavailable")
        render_error_page(
            "无法连接数据库",
            "请确认数据库服务正在运行、DASHBOARD_DB_URL 设置正确，"
            "并已执行 `python -m data_access init-db`（演示环境用 `make run` 会自动准备数据）。",
        )
        return None
    today = settings.today()
    default = default_period(list(status.months), today, settings.app.period_lag_days)
    if default is None:
        render_error_page(
            "数据库中还没有数据",
            "请先导入收支登记等台账，或运行 `python -m data_access seed-demo` 生成演示数据。",
        )
        return None

    with st.sidebar:
        st.markdown(f"### {settings.county.name}衔接督导看板")
        months = sorted(status.months, reverse=True)
        month = st.selectbox(
            "统计月份", months, index=months.index(default), format_func=month_label, key="period"
        )
        names = dict(zip(townships["township_id"], townships["name"], strict=True))
        chosen = st.multiselect(
            "乡镇",
            list(names),
            format_func=names.get,
            placeholder="全部乡镇",
            key="townships",
        )
    return ViewContext(
        settings=settings,
        database_url=settings.database_url,
        scope=scope.narrowed(chosen or None),
        published_scope=Scope(scope.township_ids, personal_data=False),
        month=month,
        today=today,
        data_version=status.version,
        data_as_of=status.as_of,
    )


navigation = build_navigation()
view = build_view()
if view is not None:
    set_current_view(view)
    navigation.run()
