"""The dashboard end to end on PostgreSQL, the way a shared deployment runs it.

In a private schema of the database in DASHBOARD_TEST_PG_URL: the command line migrates an empty
schema and seeds the demo county, then every view is opened through the real entry script and
login form (AppTest) with DASHBOARD_DB_URL pointing at that schema, and the figures each view shows
are compared with the data_access queries run directly on the same database. An Excel workbook of
收支登记 goes in through the import command and the views show its effect at once. Production mode
refuses to start while demo passwords remain, and starts once they are changed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, Engine, inspect, text, update
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from config import Settings
from config.settings import read_settings
from dashboard import formatting
from dashboard.components.honour_roll import placements_html
from dashboard.components.income import headline_sentence
from dashboard.navigation import PAGES, PROJECT_ROOT, PageSpec
from data_access.auth import (
    DEMO_ACCOUNTS,
    access_for,
    demo_passwords_in_use,
    hash_password,
    reset_password,
    user_table,
)
from data_access.db import current_revision, data_version, head_revision, make_engine
from data_access.importing import import_batches
from data_access.income.summary import income_headline
from data_access.inspection.draw import scored_villages
from data_access.models import User
from data_access.overview import briefing
from data_access.rankings import Level, ranking
from data_access.rectification import Breakdown, due_soon_items, overdue_items, progress_by
from data_access.scope import Scope
from data_access.visits import DUTIES, overall_coverage, village_coverage
from data_access.warnings.store import headline
from tests.clock import AS_OF, WALL_CLOCK, as_production
from tests.conftest import DEMO_SCALE, DEMO_SEED, PG_SKIP_REASON, PG_URL
from tests.income_reference import reference_incomes
from tests.login import logged_in

pytestmark = pytest.mark.postgres

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
# A page renders in a few seconds; the first one also warms the ranking and income snapshots.
RUN_TIMEOUT_S = 120
CLI_TIMEOUT_S = 300


@dataclass(frozen=True)
class Deployment:
    """The seeded schema: what the app is given (url, config) and a direct engine on it."""

    url: str
    config: Path
    engine: Engine
    settings: Settings


def schema_url(url: str, schema: str) -> str:
    """``url`` with the schema first on the search path, as a libpq option in the URL itself:
    the way a deployment that shares a database would set DASHBOARD_DB_URL."""
    parsed = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def cli(deployment_url: str, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m data_access ARGS`` against the deployment, as an administrator runs it."""
    env = {"DASHBOARD_DB_URL": deployment_url, "DASHBOARD_CONFIG": str(config)}
    result = subprocess.run(
        [sys.executable, "-m", "data_access", *args],
        cwd=PROJECT_ROOT,
        env={**_inherited_environment(), **env},
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _inherited_environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("DASHBOARD_")}


@pytest.fixture(scope="module")
def deployment(test_config_path: Path) -> Iterator[Deployment]:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    schema = f"e2e_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, schema=schema)
    url = schema_url(PG_URL, schema)
    try:
        yield Deployment(
            url=url,
            config=test_config_path,
            engine=engine,
            settings=read_settings(test_config_path),
        )
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def seeded(deployment: Deployment) -> Deployment:
    """Migrated and seeded through the command line, as the README's deployment steps do."""
    assert "数据库结构版本" in cli(deployment.url, deployment.config, "init-db").stdout
    assert current_revision(deployment.engine) == head_revision()
    seed = ["seed-demo", "--scale", str(DEMO_SCALE), "--seed", str(DEMO_SEED)]
    cli(deployment.url, deployment.config, *seed, "--as-of", AS_OF.isoformat())
    return deployment


@pytest.fixture
def app_env(monkeypatch, seeded: Deployment) -> Deployment:
    monkeypatch.setenv("DASHBOARD_DB_URL", seeded.url)
    monkeypatch.setenv("DASHBOARD_CONFIG", str(seeded.config))
    return seeded


def open_view(spec: PageSpec, *, username: str = "admin", **query: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    if not spec.default:
        app.switch_page(str(spec.path))
    for key, value in query.items():
        app.query_params[key] = value
    return logged_in(app, username)


def page_html(app: AppTest) -> str:
    """Markdown, HTML blocks and captions the page showed, as one text."""
    parts = [element.value for element in (*app.markdown, *app.caption)]
    parts += [element.proto.body for element in app.get("html")]
    return "\n".join(parts)


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


# --- per view: what it must show, computed by data_access on the same database ----------------


@dataclass(frozen=True)
class Shown:
    """What a check needs: the rendered app, a connection, and the view's inputs."""

    app: AppTest
    conn: Connection
    settings: Settings
    month: date
    scope: Scope
    published: Scope


def check_overview(shown: Shown) -> None:
    brief = briefing(
        conn=shown.conn,
        scope=shown.scope,
        month=shown.month,
        today=AS_OF,
        settings=shown.settings,
    )
    values = metrics(shown.app)
    assert values["脱贫户（含监测户）"] == formatting.count(brief.households.value)
    assert values["收入不增反降"] == formatting.count(brief.fell.value)
    assert values["整改未销号"] == formatting.count(brief.open_items.value)
    assert values["逾期未整改"] == formatting.count(brief.overdue_items.value)
    assert values["收支登记完整率"] == formatting.percent(brief.register_rate.value)
    townships = ranking(
        conn=shown.conn,
        scope=shown.published,
        month=shown.month,
        settings=shown.settings,
        level=Level.TOWNSHIP,
    )
    assert placements_html(townships, mode=shown.settings.rankings.mode) in page_html(shown.app)


def check_rankings(shown: Shown) -> None:
    townships = ranking(
        conn=shown.conn,
        scope=shown.published,
        month=shown.month,
        settings=shown.settings,
        level=Level.TOWNSHIP,
    )
    html = page_html(shown.app)
    red = townships[townships["placement"] == "红榜"]
    assert not red.empty
    for row in red.itertuples():
        assert (
            f'<span class="roll-name">{row.name}</span>'
            f'<span class="roll-score">{row.composite:.1f} 分</span>'
        ) in html
    listed = [frame.value for frame in shown.app.dataframe]
    assert any(len(frame) == len(townships) for frame in listed)


def check_rectification(shown: Shown) -> None:
    rules = shown.settings.rectification
    by_township = progress_by(
        conn=shown.conn, scope=shown.scope, today=AS_OF, breakdown=Breakdown.TOWNSHIP
    )
    overdue = overdue_items(conn=shown.conn, scope=shown.scope, today=AS_OF)
    due_soon = due_soon_items(
        conn=shown.conn, scope=shown.scope, today=AS_OF, days=rules.due_soon_days
    )
    total, closed = int(by_township["total"].sum()), int(by_township["closed"].sum())
    values = metrics(shown.app)
    assert values["本年度整改任务"] == formatting.count(total)
    assert values["未销号"] == formatting.count(total - closed)
    assert values["逾期未销号"] == formatting.count(len(overdue))
    assert values[f"{rules.due_soon_days}天内到期"] == formatting.count(len(due_soon))


def check_income(shown: Shown) -> None:
    headline = income_headline(
        conn=shown.conn, scope=shown.scope, month=shown.month, settings=shown.settings.income
    )
    assert headline.households > 0
    assert headline_sentence(headline, emphasis=("<b>", "</b>")) in page_html(shown.app)


def check_inspection(shown: Shown) -> None:
    risk = scored_villages(
        conn=shown.conn,
        scope=shown.scope,
        month=shown.month,
        today=AS_OF,
        settings=shown.settings,
    )
    assert any(
        caption.value.startswith(f"{len(risk)} 个村按风险分从高到低排列")
        for caption in shown.app.caption
    )


def check_meeting(shown: Shown) -> None:
    brief = briefing(
        conn=shown.conn,
        scope=shown.published,
        month=shown.month,
        today=AS_OF,
        settings=shown.settings,
    )
    overdue = formatting.count(brief.overdue_items.value)
    assert re.search(rf'逾期未整改</div><div class="value"[^>]*>{overdue}<', page_html(shown.app))


def check_visits(shown: Shown) -> None:
    coverage = village_coverage(
        conn=shown.conn, scope=shown.scope, month=shown.month, settings=shown.settings.visits
    )
    values = metrics(shown.app)
    for duty in DUTIES:
        _, _, share = overall_coverage(coverage, duty)
        assert values[duty.card_label] == formatting.percent(share)


def check_import(shown: Shown) -> None:
    batches = import_batches(conn=shown.conn)
    if batches.empty:
        assert any(info.value == "还没有导入记录。" for info in shown.app.info)
    else:
        assert any(len(frame.value) == len(batches) for frame in shown.app.dataframe)


def check_admin(shown: Shown) -> None:
    users = user_table(conn=shown.conn)
    assert len(users) == len(DEMO_ACCOUNTS)
    assert any(len(frame.value) == len(users) for frame in shown.app.dataframe)


def check_warnings(shown: Shown) -> None:
    head = headline(
        conn=shown.conn, scope=shown.scope, today=AS_OF, settings=shown.settings.warnings
    )
    assert head.pending > 0
    values = metrics(shown.app)
    assert values["待核实预警"] == f"{formatting.count(head.pending)} 条"
    assert values["逾期未核实"] == f"{formatting.count(head.overdue)} 条"
    assert values["应纳未纳疑似"] == f"{formatting.count(head.should_monitor)} 户"


CHECKS: dict[str, Callable[[Shown], None]] = {
    "overview": check_overview,
    "rankings": check_rankings,
    "rectification": check_rectification,
    "income": check_income,
    "inspection": check_inspection,
    "meeting": check_meeting,
    "visits": check_visits,
    "import": check_import,
    "admin": check_admin,
    "warnings": check_warnings,
}
# The meeting wall holds its overview panel, so the check knows which figures are on screen.
QUERIES = {"meeting": {"panel": "overview", "pause": "1"}}


def test_every_view_has_a_postgres_check():
    assert set(CHECKS) == {spec.url_path for spec in PAGES}


def test_the_command_line_migrated_the_private_schema_only(seeded: Deployment):
    schema = make_url(seeded.url).query["options"].removeprefix("-csearch_path=")
    tables = set(inspect(seeded.engine).get_table_names(schema=schema))
    assert {"alembic_version", "households", "income_registers", "users"} <= tables
    with seeded.engine.connect() as conn:
        assert conn.execute(text("SELECT current_schema()")).scalar_one() == schema
        assert conn.execute(text("SELECT COUNT(*) FROM households")).scalar_one() > 0


@pytest.mark.parametrize("spec", PAGES, ids=[spec.url_path for spec in PAGES])
def test_every_view_shows_what_data_access_computes_on_postgres(app_env: Deployment, spec):
    app = open_view(spec, **QUERIES.get(spec.url_path, {}))
    assert not app.exception, [element.value for element in app.exception]
    assert not app.error, [element.value for element in app.error]
    assert app.title, "every view has a title"
    month = app.selectbox(key="period").value
    with app_env.engine.connect() as conn:
        access = access_for(conn=conn, username="admin")
        assert access is not None
        shown = Shown(
            app=app,
            conn=conn,
            settings=app_env.settings,
            month=month,
            scope=access.scope(conn),
            published=access.published_scope(conn),
        )
        CHECKS[spec.url_path](shown)


OCTOBER = date(2026, 10, 1)
RAISED_HOUSEHOLDS = 2
RAISED_WAGE = 100_000.0


def fill_template(path: Path, rows: list[dict[str, object]]) -> None:
    """Write ``rows`` (header → value) into the template at ``path`` under its instruction row,
    as someone filling it in Excel would."""
    book = load_workbook(path)
    sheet = book.worksheets[0]
    header_row = next(
        cells[0].row for cells in sheet.iter_rows(max_row=10) if cells[0].value == "户编号"
    )
    headers = [cell.value for cell in sheet[header_row]]
    for offset, row in enumerate(rows):
        for title, value in row.items():
            sheet.cell(row=header_row + 2 + offset, column=headers.index(title) + 1, value=value)
    book.save(path)


def raised_registers(engine: Engine, settings: Settings) -> list[dict[str, object]]:
    """October's 收支登记 of a few households projected below the line, with a large wage added:
    rows that move them above the line once imported."""
    incomes = reference_incomes(engine, month=OCTOBER, settings=settings.income)
    below = [int(household) for household in incomes.loc[incomes["below_line"], "household_id"]]
    with engine.connect() as conn:
        registers = conn.execute(
            text(
                "SELECT h.code, r.wage, r.business, r.property, r.transfer, r.production_cost, "
                "r.expenditure FROM income_registers r JOIN households h ON h.id = r.household_id "
                "WHERE r.month = :month AND h.id = ANY(:ids) ORDER BY h.code LIMIT :n"
            ),
            {"month": OCTOBER, "ids": below, "n": RAISED_HOUSEHOLDS},
        ).all()
    assert len(registers) == RAISED_HOUSEHOLDS
    return [
        {
            "户编号": register.code,
            "月份": OCTOBER.strftime("%Y-%m"),
            "工资性收入（元）": register.wage + RAISED_WAGE,
            "经营性收入（元）": register.business,
            "财产性收入（元）": register.property,
            "转移性收入（元）": register.transfer,
            "生产经营性支出（元）": register.production_cost,
            "生活消费支出（元）": register.expenditure,
        }
        for register in registers
    ]


def test_an_imported_workbook_shows_on_the_views_at_once(app_env: Deployment, tmp_path: Path):
    income_view = next(spec for spec in PAGES if spec.url_path == "income")
    with app_env.engine.connect() as conn:
        scope = access_for(conn=conn, username="admin").scope(conn)
        before = income_headline(
            conn=conn, scope=scope, month=OCTOBER, settings=app_env.settings.income
        )
        version = data_version(conn)
    shown_before = open_view(income_view)  # also fills the page caches at this data version
    assert shown_before.selectbox(key="period").value == OCTOBER
    assert headline_sentence(before, emphasis=("<b>", "</b>")) in page_html(shown_before)

    workbook = tmp_path / "收支登记.xlsx"
    cli(app_env.url, app_env.config, "import-template", "registers", str(workbook))
    fill_template(workbook, raised_registers(app_env.engine, app_env.settings))
    dry_run = cli(app_env.url, app_env.config, "import", str(workbook), "--kind", "registers")
    assert "试导入（未写入）" in dry_run.stdout
    with app_env.engine.connect() as conn:
        assert data_version(conn) == version, "a dry run writes nothing"
    committed = cli(
        app_env.url,
        app_env.config,
        *("import", str(workbook), "--kind", "registers", "--commit", "--user", "admin"),
    )
    assert "已导入，批次" in committed.stdout

    with app_env.engine.connect() as conn:
        assert data_version(conn) > version
        batch = import_batches(conn=conn).iloc[0]
        after = income_headline(
            conn=conn, scope=scope, month=OCTOBER, settings=app_env.settings.income
        )
    assert (batch["username"], batch["updated"], batch["rejected"]) == (
        "admin",
        RAISED_HOUSEHOLDS,
        0,
    )
    assert after.below_line == before.below_line - RAISED_HOUSEHOLDS
    shown_after = open_view(income_view)
    assert not shown_after.exception
    assert headline_sentence(after, emphasis=("<b>", "</b>")) in page_html(shown_after)
    assert f"<b>{after.below_line:,}</b> 户（共" in page_html(shown_after)


def test_production_mode_refuses_demo_passwords_until_they_are_changed(
    monkeypatch, seeded: Deployment, tmp_path: Path
):
    production = tmp_path / "settings.toml"
    production.write_text(
        as_production(seeded.config.read_text(encoding="utf-8")), encoding="utf-8"
    )
    monkeypatch.setenv("DASHBOARD_DB_URL", seeded.url)
    monkeypatch.setenv("DASHBOARD_CONFIG", str(production))
    refused = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S).run()
    assert not refused.exception
    assert "拒绝在生产模式下启动" in refused.error[0].value

    changed = {account.username: f"{account.username}-Prod-2026!" for account in DEMO_ACCOUNTS}
    try:
        # The administrator's password through the command line the refusal page names; the
        # other accounts' directly (the same function).
        cli(seeded.url, production, "users", "reset-password", "admin", "--password", "x" * 12)
        with seeded.engine.begin() as conn:
            still = demo_passwords_in_use(conn=conn)
            for username, password in changed.items():
                reset_password(
                    conn=conn, username=username, password=password, by="test", now=WALL_CLOCK
                )
        assert still == len(DEMO_ACCOUNTS) - 1
        started = logged_in(
            AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S), "admin", changed["admin"]
        )
        assert not started.exception
        assert not started.error
        assert "脱贫户（含监测户）" in metrics(started)
    finally:
        # Put the demo passwords back for any test of this module that runs after this one
        # (directly: reset_password refuses a published demo password).
        with seeded.engine.begin() as conn:
            for account in DEMO_ACCOUNTS:
                conn.execute(
                    update(User)
                    .where(User.username == account.username)
                    .values(password_hash=hash_password(account.password), is_demo_password=True)
                )
