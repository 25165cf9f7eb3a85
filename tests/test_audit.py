"""The audit trail (data_access/audit.py): every event type is recorded, the log is filterable on
/admin and exportable, and neither the module nor the app offers a way to change or delete it."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import delete, text
from streamlit.testing.v1 import AppTest

import data_access.audit as audit
from config.settings import read_settings
from dashboard.auth import ExportRefusedError
from dashboard.exports.audit import audit_workbook
from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.audit import AuditAction, audit_entries, record
from data_access.models import AuditEntry
from tests.clock import WALL_CLOCK
from tests.import_helpers import writable_demo
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
BY_PATH = {spec.url_path: spec for spec in PAGES}


@pytest.fixture
def private_demo(monkeypatch, tmp_path: Path, demo_sqlite_path: Path, any_day_config_path: Path):
    """A copy of the demo county with an empty audit trail (these tests count audit entries, and
    other tests sign in to the shared demo database), served to the app, with the wall clock on
    the as-of day and a year later."""
    engine = writable_demo(demo_sqlite_path, tmp_path)
    with engine.begin() as conn:
        conn.execute(delete(AuditEntry))
    monkeypatch.setenv("DASHBOARD_DB_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DASHBOARD_CONFIG", str(any_day_config_path))
    yield engine
    engine.dispose()


def actions(engine, username: str | None = None) -> list[tuple[str, str, int | None]]:
    with engine.connect() as conn:
        entries = audit_entries(conn=conn, username=username)
    return list(zip(entries["action"], entries["target"], entries["rows"], strict=True))


def test_recorded_entries_are_read_back_newest_first_and_filtered(fresh_engine):
    with fresh_engine.begin() as conn:
        record(conn=conn, username="a", action=AuditAction.LOGIN, at=datetime(2026, 11, 1, 8))
        record(
            conn=conn,
            username="b",
            action=AuditAction.EXPORT,
            target="整改台账",
            rows=12,
            detail={"filters": "全部"},
            at=datetime(2026, 11, 2, 8),
        )
        record(conn=conn, username="a", action=AuditAction.LOGOUT, at=datetime(2026, 11, 3, 8))
    with fresh_engine.connect() as conn:
        everything = audit_entries(conn=conn)
        exports = audit_entries(conn=conn, actions=[AuditAction.EXPORT])
        of_a = audit_entries(conn=conn, username="a", since=datetime(2026, 11, 2))
    assert list(everything["action"]) == ["退出登录", "导出", "登录成功"]
    assert exports.iloc[0]["rows"] == 12
    assert exports.iloc[0]["detail"] == {"filters": "全部"}
    assert list(of_a["action"]) == ["退出登录"]


def test_the_audit_module_offers_no_way_to_change_or_delete_entries():
    public = [name for name, _ in inspect.getmembers(audit, inspect.isfunction)]
    assert not [name for name in public if any(w in name for w in ("update", "delete", "remove"))]
    source = inspect.getsource(audit)
    assert "update(" not in source
    assert "delete(" not in source


def test_no_module_of_the_app_updates_or_deletes_audit_entries():
    offenders = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for folder in ("dashboard", "pages", "data_access")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if "update(AuditEntry" in path.read_text(encoding="utf-8")
        or "delete(AuditEntry" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_sign_ins_successful_and_failed_are_recorded(private_demo):
    logged_in(AppTest.from_file(APP, default_timeout=60), "leader", "wrong-password")
    logged_in(AppTest.from_file(APP, default_timeout=60), "leader")
    assert [a for a, _, _ in actions(private_demo, "leader")][:2] == ["登录成功", "登录失败"]


def test_sign_out_is_recorded(private_demo):
    app = logged_in(AppTest.from_file(APP, default_timeout=60), "leader")
    app.button(key="logout").click().run()
    assert actions(private_demo, "leader")[0][0] == "退出登录"


def test_a_household_list_view_is_recorded_once_with_its_row_count(private_demo):
    app = AppTest.from_file(APP, default_timeout=90)
    app.switch_page(str(BY_PATH["income"].path))
    logged_in(app, "leader")
    app.run()
    views = [entry for entry in actions(private_demo, "leader") if entry[0] == "查看户级数据"]
    assert len(views) == 1
    assert views[0][1] == "收入监测户名单"
    assert views[0][2] > 0


def test_a_refused_page_is_recorded(private_demo):
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(str(BY_PATH["inspection"].path))
    logged_in(app, "township")
    assert ("拒绝访问", "inspection", None) in actions(private_demo, "township")


def _deferred_export_script(database_url: str) -> None:
    from types import SimpleNamespace

    import streamlit as st

    from dashboard.auth import audited_export
    from dashboard.context import set_current_view
    from data_access.auth import Access, Role
    from tests.clock import frozen_settings

    settings = frozen_settings()
    access = Access("leader", "演示县领导", frozenset({Role.LEADER}), None)
    st.session_state.setdefault("_auth_username", "leader")
    st.session_state.setdefault("_auth_last_active", settings.clock.now())
    view = SimpleNamespace(
        database_url=database_url, access=access, clock=settings.clock, settings=settings
    )
    set_current_view(view)
    # Kept for the test, to run as Streamlit would: later, on another thread, outside any run.
    st.session_state["produce"] = audited_export("整改台账", lambda: b"workbook", rows=42)


def _deferred_export(database_url: str) -> tuple[AppTest, Callable[[], bytes]]:
    app = AppTest.from_function(_deferred_export_script, args=(database_url,)).run()
    assert not app.exception
    return app, app.session_state["produce"]


def _run_elsewhere(produce: Callable[[], bytes]) -> bytes | Exception:
    """Run ``produce`` on a thread of its own, as Streamlit runs a deferred download."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(produce())
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]


def test_a_deferred_export_is_audited_when_its_bytes_are_made(private_demo):
    _, produce = _deferred_export(str(private_demo.url))
    assert actions(private_demo, "leader") == [], "nothing is exported before it is asked for"
    assert _run_elsewhere(produce) == b"workbook"
    assert actions(private_demo, "leader") == [("导出", "整改台账", 42)]


def test_a_deferred_export_after_the_account_is_disabled_is_refused_and_audited(private_demo):
    _, produce = _deferred_export(str(private_demo.url))
    with private_demo.begin() as conn:
        conn.execute(text("UPDATE users SET active = false WHERE username = 'leader'"))
    outcome = _run_elsewhere(produce)
    assert isinstance(outcome, ExportRefusedError)
    [(action, target, _)] = actions(private_demo, "leader")
    assert (action, target) == ("拒绝访问", "整改台账")


@pytest.mark.parametrize(
    ("ending", "reason"),
    [("sign_out", "signed_out"), ("idle", "idle"), ("roles", "account_changed")],
)
def test_a_deferred_export_after_its_session_ended_is_refused(private_demo, ending, reason):
    app, produce = _deferred_export(str(private_demo.url))
    if ending == "sign_out":
        del app.session_state["_auth_username"]
    elif ending == "idle":
        app.session_state["_auth_last_active"] = WALL_CLOCK - timedelta(minutes=31)
    else:
        with private_demo.begin() as conn:
            conn.execute(text("UPDATE users SET roles = '督查组' WHERE username = 'leader'"))
    outcome = _run_elsewhere(produce)
    assert isinstance(outcome, ExportRefusedError)
    assert str(outcome) == reason
    assert [action for action, _, _ in actions(private_demo, "leader")] == ["拒绝访问"]


def test_every_download_button_makes_its_file_through_the_audited_export():
    sources = [spec.path for spec in PAGES] + [PROJECT_ROOT / "dashboard/components/imports.py"]
    for path in sources:
        source = path.read_text(encoding="utf-8")
        # The import template holds no data: the one download without an audit.
        templates = source.count('导入模板",')
        buttons = source.count("download_button(") - templates
        assert buttons == source.count("audited_export("), path


def test_user_changes_on_the_admin_page_are_recorded(private_demo):
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(str(BY_PATH["admin"].path))
    logged_in(app, "admin")
    assert not app.exception
    app.text_input(key="admin-add-username").input("zhang")
    app.text_input(key="admin-add-name").input("张科长")
    app.multiselect(key="admin-add-roles").select("县领导")
    app.text_input(key="admin-add-password").input("a-long-password")
    app.button(key="admin-add-submit").click().run()
    assert not app.exception
    app.selectbox(key="admin-disable-user").set_value("zhang")
    app.button(key="admin-disable-submit").click().run()
    assert not app.exception
    recorded = actions(private_demo, "admin")
    assert ("新增用户", "zhang", None) in recorded
    assert ("停用用户", "zhang", None) in recorded
    with private_demo.connect() as conn:
        active = conn.execute(text("SELECT active FROM users WHERE username = 'zhang'")).scalar()
    assert not active


def test_the_admin_page_filters_the_log_and_a_non_admin_is_refused(
    private_demo, any_day_config_path
):
    now = read_settings(any_day_config_path).clock.now()
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(str(BY_PATH["admin"].path))
    logged_in(app, "admin")
    # The default range is the last 30 days of the wall clock, whatever the reporting date.
    assert app.date_input(key="audit-dates").value == (
        now.date() - timedelta(days=30),
        now.date(),
    )
    app.multiselect(key="audit-actions").select("登录成功").run()
    assert not app.exception
    shown = next(frame.value for frame in app.dataframe if "操作" in frame.value.columns)
    assert set(shown["操作"]) == {"登录成功"}
    # Stamped with the county's local time of the wall clock, and shown as such.
    assert pd.Timestamp(shown["时间"].iloc[0]) == pd.Timestamp(now)
    leader = AppTest.from_file(APP, default_timeout=60)
    leader.switch_page(str(BY_PATH["admin"].path))
    logged_in(leader, "leader")
    assert "无权访问此页面" in leader.error[0].value
    assert not leader.dataframe


def test_the_audit_workbook_holds_every_entry(fresh_engine):
    from io import BytesIO

    from openpyxl import load_workbook

    with fresh_engine.begin() as conn:
        for number in range(3):
            record(conn=conn, username="a", action=AuditAction.EXPORT, rows=number, at=WALL_CLOCK)
    with fresh_engine.connect() as conn:
        entries = audit_entries(conn=conn)
    workbook = load_workbook(BytesIO(audit_workbook(entries, county="云岭县", filters_text="全部")))
    sheet = workbook["审计日志"]
    assert sheet.cell(row=3, column=3).value == "操作"
    assert [sheet.cell(row=r, column=3).value for r in range(4, 7)] == ["导出"] * 3
