"""Every registered page through AppTest: it runs without exception and shows the right figures."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard.navigation import PAGES, PROJECT_ROOT, PageSpec
from data_access.db import init_db, make_engine
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")


@pytest.fixture
def demo_app_env(monkeypatch, demo_sqlite_path: Path, test_config_path: Path) -> Path:
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    return demo_sqlite_path


def run_signed_out() -> AppTest:
    """The app before anyone signs in (error pages come before the login form)."""
    return AppTest.from_file(APP, default_timeout=60).run()


def run(spec: PageSpec | None = None) -> AppTest:
    """The app signed in as the demo admin, on ``spec`` (default: the landing page)."""
    app = AppTest.from_file(APP, default_timeout=60)
    if spec is not None and not spec.default:
        app.switch_page(str(spec.path))
    return logged_in(app)


def metric_values(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


@pytest.mark.parametrize("spec", PAGES, ids=[spec.url_path for spec in PAGES])
def test_every_page_renders_without_exception(demo_app_env, spec: PageSpec):
    app = run(spec)
    assert not app.exception
    assert app.title, "every page has a title"


def test_overview_shows_the_headline_figures_from_the_database(demo_app_env: Path):
    app = run()
    assert not app.exception
    values = metric_values(app)
    engine = make_engine(f"sqlite:///{demo_app_env}")
    with engine.connect() as conn:
        overdue = conn.execute(
            text(
                "SELECT COUNT(*) FROM rectification_items WHERE found_on <= :on "
                "AND (closed_on IS NULL OR closed_on > :on) AND deadline < :on"
            ),
            {"on": date(2026, 10, 31)},
        ).scalar_one()
        households = conn.execute(
            text(
                "SELECT COUNT(*) FROM households WHERE NOT (household_type = '监测户' "
                "AND monitored_since > :on AND lifted_year IS NULL)"
            ),
            {"on": date(2026, 10, 31)},
        ).scalar_one()
    engine.dispose()
    assert values["逾期未整改"] == f"{overdue:,}"
    assert values["脱贫户（含监测户）"] == f"{households:,}"
    assert {"收支登记完整率", "帮扶干部走访覆盖率", "收入不增反降", "整改未销号"} <= set(values)
    assert any(label.startswith("低于监测线") for label in values)
    assert all(value not in ("", "—") for value in values.values())


def test_overview_follows_the_sidebar_period(demo_app_env: Path):
    app = run()
    app.selectbox(key="period").set_value(date(2026, 9, 1)).run()
    assert not app.exception
    assert any("统计月份 2026年9月" in element.value for element in app.markdown)


def test_choosing_a_township_narrows_every_figure(demo_app_env: Path):
    app = run()
    everyone = metric_values(app)["脱贫户（含监测户）"]
    engine = make_engine(f"sqlite:///{demo_app_env}")
    with engine.connect() as conn:
        first = conn.execute(text("SELECT MIN(id) FROM townships")).scalar_one()
    engine.dispose()
    app.multiselect(key="townships").select(first).run()
    assert not app.exception
    one = metric_values(app)["脱贫户（含监测户）"]
    assert int(one.replace(",", "")) < int(everyone.replace(",", ""))


def test_an_unreachable_database_gets_a_chinese_message_not_a_traceback(
    monkeypatch, test_config_path
):
    monkeypatch.setenv("DASHBOARD_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = run_signed_out()
    assert not app.exception
    assert "无法连接数据库" in app.error[0].value


def test_an_empty_database_asks_for_data(monkeypatch, tmp_path, test_config_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    init_db(engine)
    engine.dispose()
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = run_signed_out()
    assert not app.exception
    assert "还没有数据" in app.error[0].value


def test_a_broken_settings_file_names_the_key(monkeypatch, tmp_path, test_config_path):
    broken = tmp_path / "settings.toml"
    broken.write_text(
        test_config_path.read_text(encoding="utf-8").replace("list_size = 3", "list_size = 0"),
        encoding="utf-8",
    )
    monkeypatch.setenv("DASHBOARD_CONFIG", str(broken))
    app = run_signed_out()
    assert not app.exception
    assert "rankings.list_size" in app.error[0].value


CARD_PAGES = {"overview", "rectification", "visits"}
# A month ("2026年11月"), a day ("截至2026年11月30日") or months of a year ("2026年1—11月").
_NAMES_A_TIME = re.compile(r"\d{4}年\d{1,2}(月|—)")


def _blocks(node):
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        yield node
        for child in children.values():
            yield from _blocks(child)


@pytest.mark.parametrize(
    "spec", [s for s in PAGES if s.url_path in CARD_PAGES], ids=lambda s: s.url_path
)
def test_every_card_names_its_month_or_day_under_the_figure(demo_app_env: Path, spec: PageSpec):
    app = run(spec)
    assert not app.exception
    cards = [
        list(block.children.values())
        for block in _blocks(app._tree)
        if any(getattr(child, "type", None) == "metric" for child in block.children.values())
    ]
    assert len(cards) == len(app.metric) >= 4, "one card (block) per metric"
    for card in cards:
        label = next(child.label for child in card if child.type == "metric")
        bases = [child.value for child in card if child.type == "caption"]
        assert len(bases) == 1, (label, bases)
        assert _NAMES_A_TIME.search(bases[0]), (label, bases)
