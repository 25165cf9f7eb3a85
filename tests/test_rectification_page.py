"""The 整改进度 page (pages/rectification.py) through AppTest: figures from the database, filters
that narrow the ledger, the export button, and status changes with their refusals."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from config.settings import read_settings
from dashboard import escaping
from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.db import make_engine
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
PAGE = next(spec for spec in PAGES if spec.url_path == "rectification")
TODAY = date(2026, 11, 29)


def open_page() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(str(PAGE.path))
    return logged_in(app)


def one_row(db: Path, sql: str, **params):
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        row = conn.execute(text(sql), params).one()
    engine.dispose()
    return row


def scalar(db: Path, sql: str, **params):
    return one_row(db, sql, **params)[0]


# The countdowns are reckoned to the reporting date: the same with the wall clock on the as-of
# day and a year later (any_day_config_path).
@pytest.fixture
def demo_app(monkeypatch, demo_sqlite_path: Path, any_day_config_path: Path) -> Path:
    """The shared demo county, read only."""
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(any_day_config_path))
    return demo_sqlite_path


@pytest.fixture
def writable_app(monkeypatch, tmp_path, demo_sqlite_path: Path, any_day_config_path: Path) -> Path:
    """A private copy of the demo county that the test may change."""
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_sqlite_path, copy)
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(any_day_config_path))
    return copy


OPEN_TODAY = "found_on <= :t AND (closed_on IS NULL OR closed_on > :t)"


def test_rectification_page_shows_the_figures_from_the_database(demo_app: Path):
    app = open_page()
    assert not app.exception
    values = {metric.label: metric.value for metric in app.metric}
    overdue = scalar(
        demo_app,
        f"SELECT COUNT(*) FROM rectification_items WHERE {OPEN_TODAY} AND deadline < :t",
        t=TODAY,
    )
    due_soon = scalar(
        demo_app,
        f"SELECT COUNT(*) FROM rectification_items WHERE {OPEN_TODAY} "
        "AND deadline BETWEEN :t AND :end",
        t=TODAY,
        end=date(2026, 12, 6),
    )
    still_open = scalar(
        demo_app, f"SELECT COUNT(*) FROM rectification_items WHERE {OPEN_TODAY}", t=TODAY
    )
    assert values["逾期未销号"] == f"{overdue:,}"
    assert values["7天内到期"] == f"{due_soon:,}"
    assert values["未销号"] == f"{still_open:,}"
    assert any(f"逾期未销号 {overdue:,} 项" in header.value for header in app.subheader)
    assert [tab.label for tab in app.tabs] == ["进度与预测", "逾期与临期", "整改台账"]
    assert any("按目前进度" in element.value for element in app.markdown)
    # The countdown to the next milestone, in days from the reporting date.
    nearest = scalar(demo_app, "SELECT MIN(due_on) FROM milestones WHERE due_on >= :t", t=TODAY)
    days_left = (date.fromisoformat(nearest) - TODAY).days
    banner = next(e.proto.body for e in app.get("html") if "countdown-banner" in e.proto.body)
    assert f"还有 {days_left} 天" in banner or (days_left == 0 and "今天" in banner)


def ledger_count(app: AppTest) -> int:
    line = next(m.value for m in app.markdown if m.value.startswith("**共 "))
    return int(line.split()[1].replace(",", ""))


def test_a_long_ledger_lists_its_first_rows_and_says_how_many_there_are(
    monkeypatch, tmp_path, demo_sqlite_path: Path, test_config_path: Path
):
    config = tmp_path / "settings.toml"
    shipped = test_config_path.read_text(encoding="utf-8")
    assert "ledger_rows = 1000" in shipped
    config.write_text(shipped.replace("ledger_rows = 1000", "ledger_rows = 5"), encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(config))
    app = open_page()
    assert not app.exception
    total = scalar(demo_sqlite_path, "SELECT COUNT(*) FROM rectification_items")
    assert ledger_count(app) == total > 5
    line = next(m.value for m in app.markdown if m.value.startswith("**共 "))
    assert "下表列出前 5 项" in line
    ledger = next(frame.value for frame in app.dataframe if "seq" in frame.value.columns)
    assert len(ledger) == 5
    assert len(app.selectbox(key="rect-item").options) == 5


def test_filters_narrow_the_ledger_and_the_export_is_offered(demo_app: Path):
    app = open_page()
    everything = ledger_count(app)
    assert everything == scalar(demo_app, "SELECT COUNT(*) FROM rectification_items")
    app.multiselect(key="rect-f-source").select("交叉检查").run()
    assert not app.exception
    cross = scalar(demo_app, "SELECT COUNT(*) FROM rectification_items WHERE source = '交叉检查'")
    assert ledger_count(app) == cross < everything
    app.checkbox(key="rect-f-overdue").check().run()
    overdue_cross = scalar(
        demo_app,
        f"SELECT COUNT(*) FROM rectification_items WHERE source = '交叉检查' AND {OPEN_TODAY} "
        "AND deadline < :t",
        t=TODAY,
    )
    assert ledger_count(app) == overdue_cross < cross
    buttons = app.get("download_button")
    assert len(buttons) == 1
    assert "Excel" in buttons[0].proto.label


def open_item(db: Path) -> tuple[int, str]:
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, code FROM rectification_items WHERE status = '整改中' "
                "ORDER BY id LIMIT 1"
            )
        ).one()
    engine.dispose()
    return int(row.id), row.code


def test_closing_an_item_from_the_page_records_it(writable_app: Path, any_day_config_path: Path):
    now = read_settings(any_day_config_path).clock.now()
    item_id, code = open_item(writable_app)
    app = open_page()
    assert any("数据截至 2026-11-29 18:00" in m.value for m in app.markdown)
    app.selectbox(key="rect-item").set_value(item_id).run()
    assert not app.exception
    # The completion date defaults to the wall clock's day and cannot lie after it.
    assert app.date_input(key="rect-completed-on").value == now.date()
    app.selectbox(key="rect-to-status").set_value("已销号")
    app.text_area(key="rect-note").input("已补登并核实，同意销号")
    submit = next(b for b in app.button if b.proto.label == "提交变更")
    submit.click().run()
    assert not app.exception
    # The code is stored text: the message holds it escaped for markdown (shown as typed).
    [saved] = [m.value for m in app.success if escaping.markdown(code) in m.value]
    assert "已销号" in saved
    # Closed after the reporting date: the figures as of that date still count it open.
    assert ("按报告日期统计仍计为未销号" in saved) is (now.date() > TODAY)
    assert scalar(
        writable_app, "SELECT status FROM rectification_items WHERE id = :i", i=item_id
    ) == ("已销号")
    assert (
        scalar(writable_app, "SELECT closed_on FROM rectification_items WHERE id = :i", i=item_id)
        == now.date().isoformat()
    )
    note, changed_at = one_row(
        writable_app,
        "SELECT note, changed_at FROM rectification_status_changes WHERE item_id = :i "
        "ORDER BY id DESC LIMIT 1",
        i=item_id,
    )
    assert note == "已补登并核实，同意销号"
    assert datetime.fromisoformat(changed_at) == now
    # 数据截至 moves to the moment of the change, never past the wall clock.
    assert any(f"数据截至 {now:%Y-%m-%d %H:%M}" in m.value for m in app.markdown)


def test_a_change_saved_by_someone_else_in_between_is_refused_and_the_note_kept(
    writable_app: Path,
):
    item_id, _ = open_item(writable_app)
    app = open_page()
    app.selectbox(key="rect-item").set_value(item_id).run()
    # Someone else changes the item after this user opened the form.
    engine = make_engine(f"sqlite:///{writable_app}")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE rectification_items SET version = version + 1 WHERE id = :i"),
            {"i": item_id},
        )
        conn.execute(text("UPDATE meta SET value = value + 1 WHERE key = 'data_version'"))
    engine.dispose()
    app.selectbox(key="rect-to-status").set_value("已销号")
    app.text_area(key="rect-note").input("我的说明")
    next(b for b in app.button if b.proto.label == "提交变更").click().run()
    assert not app.exception
    assert any("刚被其他人修改" in warning.value for warning in app.warning)
    assert app.text_area(key="rect-note").value == "我的说明"
    assert scalar(
        writable_app, "SELECT status FROM rectification_items WHERE id = :i", i=item_id
    ) == ("整改中")


def test_an_empty_note_is_refused_with_a_message(writable_app: Path):
    item_id, _ = open_item(writable_app)
    app = open_page()
    app.selectbox(key="rect-item").set_value(item_id).run()
    next(b for b in app.button if b.proto.label == "提交变更").click().run()
    assert not app.exception
    assert any("变更说明" in error.value for error in app.error)


def _forged_filter_script() -> None:
    import streamlit as st

    from dashboard.components.layout import known_choices

    # As a tampered browser message would hand it back: a township id the page never offered.
    chosen = known_choices(["999999"], [1, 2, 3], label="责任乡镇")
    st.dataframe({"township_id": chosen})


def test_a_filter_value_the_page_never_offered_stops_on_a_chinese_refusal():
    app = AppTest.from_function(_forged_filter_script).run()
    assert not app.exception
    assert "筛选条件无效" in "\n".join(element.value for element in app.error)
    assert "责任乡镇" in app.error[0].value
    assert not app.dataframe, "the run stops before anything uses the value"
