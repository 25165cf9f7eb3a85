"""The 暗访选点 page (pages/inspection.py) through AppTest, on a private copy of the demo county."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from dashboard.navigation import PAGES, PROJECT_ROOT
from data_access.db import make_engine
from data_access.models import AuditEntry, InspectionDraw
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
INSPECTION_PAGE = next(spec for spec in PAGES if spec.url_path == "inspection")
DRAW_BUTTON = "FormSubmitter:insp-draw-form-抽签"


@pytest.fixture
def demo_copy_path(tmp_path: Path, demo_sqlite_path) -> Path:
    # The page writes (draws, findings): never into the shared session database.
    copy = tmp_path / "demo.db"
    shutil.copy(demo_sqlite_path, copy)
    return copy


@pytest.fixture
def inspection_app(monkeypatch, demo_copy_path, test_config_path) -> AppTest:
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_copy_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(str(INSPECTION_PAGE.path))
    return logged_in(app, "inspector")


def _table(app: AppTest, column: str):
    """The first dataframe shown with ``column`` (AppTest finds dataframes by position only)."""
    return next(frame.value for frame in app.dataframe if column in frame.value.columns)


def _seal(app: AppTest) -> str:
    return next((m.value for m in app.markdown if "insp-seal" in m.value), "")


def test_the_page_ranks_every_village_and_says_it_is_confidential(inspection_app):
    assert not inspection_app.exception
    assert not inspection_app.error
    assert any("仅限县委督查组" in w.value for w in inspection_app.warning)
    risk = _table(inspection_app, "score")
    assert risk["score"].is_monotonic_decreasing
    assert len(risk) == 10


def test_a_draw_with_a_typed_seed_shows_the_seed_and_hash_and_verifies(
    inspection_app, demo_copy_path
):
    inspection_app.text_input(key="insp-seed").set_value("推进会当场商定-0917")
    inspection_app.button(key=DRAW_BUTTON).click().run()
    assert not inspection_app.exception
    assert any("已完成并记入日志" in s.value for s in inspection_app.success)
    seal = _seal(inspection_app)
    assert "推进会当场商定-0917" in seal
    assert len(seal.split("输入哈希：<code>")[1].split("</code>")[0]) == 64
    households = _table(inspection_app, "head_name")
    assert all("*" in name for name in households["head_name"])

    inspection_app.button(key="insp-verify").click().run()
    assert not inspection_app.exception
    assert any("复核一致" in s.value for s in inspection_app.success)

    engine = make_engine(f"sqlite:///{demo_copy_path}")
    with engine.connect() as conn:
        audited = conn.execute(
            select(AuditEntry.username, AuditEntry.target).where(AuditEntry.action == "暗访抽取")
        ).all()
        draw_id = conn.execute(select(func.max(InspectionDraw.id))).scalar_one()
    engine.dispose()
    assert audited == [("inspector", f"抽签 #{draw_id}")]


def _latest_draw_households(path: Path) -> list[int]:
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        result = conn.execute(
            select(InspectionDraw.result).order_by(InspectionDraw.id.desc()).limit(1)
        ).scalar_one()
    engine.dispose()
    return result["households"][str(result["village_ids"][0])]


def test_a_finding_becomes_a_rectification_item_from_the_page(inspection_app, demo_copy_path):
    inspection_app.button(key=DRAW_BUTTON).click().run()
    # set_value with an id: select_index trips over the widget's format_func in AppTest.
    household = _latest_draw_households(demo_copy_path)[0]
    inspection_app.selectbox(key="insp-finding-household").set_value(household)
    inspection_app.text_area(key="insp-finding-text").set_value("《政策受益明白卡》未上墙")
    inspection_app.button(key="insp-finding-save").click().run()
    assert not inspection_app.exception
    assert any("已记录" in s.value for s in inspection_app.success)
    findings = _table(inspection_app, "item_code")
    assert findings["description"].tolist() == ["《政策受益明白卡》未上墙"]

    inspection_app.button(key="insp-convert").click().run()
    assert not inspection_app.exception
    assert any("已转为整改问题" in s.value for s in inspection_app.success)
    findings = _table(inspection_app, "item_code")
    assert findings["item_code"].str.startswith("ZG").all()
