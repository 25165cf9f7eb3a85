"""Access control through the real app (AppTest): who opens which page, what a township user sees,
that tampering cannot widen the scope, that masked fields stay masked, timeout and production mode.

Every test signs in through the login form as one of the demo accounts (tests/login.py).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from streamlit.testing.v1 import AppTest

from dashboard.navigation import PAGES, PROJECT_ROOT, PageSpec
from data_access.auth import Access, Role
from data_access.db import make_engine
from data_access.models import Household, User
from data_access.scope import Scope, county_scope
from tests.clock import WALL_CLOCK, as_production
from tests.login import logged_in

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
REFUSAL = "无权访问此页面"
ADMIN = frozenset({Role.ADMIN})
BY_PATH = {spec.url_path: spec for spec in PAGES}

# Pages only the county office (管理员) opens: users and audit, data import.
ADMIN_ONLY = {"admin", "import"}
# Which demo account opens which page: True opens, False is refused.
OPENS = {
    "admin": {spec.url_path: True for spec in PAGES},
    "leader": {spec.url_path: spec.url_path not in {"inspection", *ADMIN_ONLY} for spec in PAGES},
    "inspector": {spec.url_path: spec.url_path not in ADMIN_ONLY for spec in PAGES},
    "township": {spec.url_path: spec.url_path not in {"inspection", *ADMIN_ONLY} for spec in PAGES},
    "display": {spec.url_path: spec.url_path == "meeting" for spec in PAGES},
}
CASES = [
    pytest.param(user, spec, OPENS[user][spec.url_path], id=f"{user}-{spec.url_path}")
    for user in OPENS
    for spec in PAGES
]


@pytest.fixture
def demo_app_env(monkeypatch, demo_sqlite_path: Path, test_config_path: Path) -> Path:
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    return demo_sqlite_path


def open_as(username: str, spec: PageSpec | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=90)
    if spec is not None and not spec.default:
        app.switch_page(str(spec.path))
    return logged_in(app, username)


def shown_errors(app: AppTest) -> str:
    return "\n".join(element.value for element in app.error)


def figures(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def count(value: str) -> int:
    return int(value.replace(",", ""))


def test_every_registered_page_is_in_the_access_table():
    assert all(set(pages) == set(BY_PATH) for pages in OPENS.values())


@pytest.mark.parametrize(("username", "spec", "opens"), CASES)
def test_each_role_opens_exactly_its_pages(demo_app_env, username, spec, opens):
    app = open_as(username, spec)
    assert not app.exception
    titles = [title.value for title in app.title]
    if opens:
        assert REFUSAL not in shown_errors(app)
        assert titles, "an opened page shows its title"
    elif spec.default:
        # "/" of a user who may not open the default view lands on their own first view.
        assert REFUSAL not in shown_errors(app)
        assert not any(title.startswith(spec.title) for title in titles)
        assert not app.metric
    else:
        assert REFUSAL in shown_errors(app)
        assert titles == [spec.title]
        assert not app.metric
        assert not app.dataframe
        assert not app.get("plotly_chart")


def _township_figures(path: Path, township_code_rank: int = 0) -> tuple[int, str, int, int]:
    """(township id, name, households, overdue items) of the demo township user's township."""
    engine = make_engine(f"sqlite:///{path}")
    on = date(2026, 10, 31)
    with engine.connect() as conn:
        township_id, name = conn.execute(
            text(
                "SELECT t.id, t.name FROM users u JOIN townships t ON t.id = u.township_id "
                "WHERE u.username = 'township'"
            )
        ).one()
        households = conn.execute(
            text(
                "SELECT COUNT(*) FROM households WHERE township_id = :t AND NOT ("
                "household_type = '监测户' AND monitored_since > :on AND lifted_year IS NULL)"
            ),
            {"t": township_id, "on": on},
        ).scalar_one()
        overdue = conn.execute(
            text(
                "SELECT COUNT(*) FROM rectification_items WHERE township_id = :t "
                "AND found_on <= :on AND (closed_on IS NULL OR closed_on > :on) AND deadline < :on"
            ),
            {"t": township_id, "on": on},
        ).scalar_one()
    engine.dispose()
    return township_id, name, households, overdue


def test_a_township_user_sees_only_their_township(demo_app_env):
    _, name, households, overdue = _township_figures(demo_app_env)
    app = open_as("township")
    assert not app.exception
    shown = figures(app)
    assert count(shown["脱贫户（含监测户）"]) == households
    assert count(shown["逾期未整改"]) == overdue
    assert app.multiselect(key="townships").options == [name]


def test_a_township_users_household_lists_hold_only_their_villages(demo_app_env):
    _, name, _, _ = _township_figures(demo_app_env)
    app = open_as("township", BY_PATH["income"])
    assert not app.exception
    households = next(frame.value for frame in app.dataframe if "户主" in frame.value.columns)
    assert len(households) > 0
    assert set(households["乡镇"]) == {name}


def test_a_township_users_rectification_ledger_holds_only_their_items(demo_app_env):
    township_id, _, _, _ = _township_figures(demo_app_env)
    engine = make_engine(f"sqlite:///{demo_app_env}")
    with engine.connect() as conn:
        items = conn.execute(
            text("SELECT COUNT(*) FROM rectification_items WHERE township_id = :t"),
            {"t": township_id},
        ).scalar_one()
    engine.dispose()
    app = open_as("township", BY_PATH["rectification"])
    assert not app.exception
    assert any(f"共 {items:,} 项" in markdown.value for markdown in app.markdown)


def test_the_published_rankings_stay_county_wide_for_a_township_user(demo_app_env):
    leader = open_as("leader", BY_PATH["rankings"])
    township = open_as("township", BY_PATH["rankings"])
    assert not township.exception
    assert len(township.dataframe[0].value) == len(leader.dataframe[0].value) > 1


def test_forged_session_values_and_query_params_do_not_widen_the_scope(demo_app_env):
    township_id, _, households, _ = _township_figures(demo_app_env)
    app = open_as("township")
    view = app.session_state["_view_context"]
    county = view.published_scope.township_ids
    # A forged county-wide view with personal data, and URL parameters naming other rights.
    app.session_state["_view_context"] = replace(
        view, scope=Scope(county, personal_data=True), access=replace(view.access, roles=ADMIN)
    )
    app.query_params["township"] = str(max(county - {township_id}))
    app.query_params["role"] = "管理员"
    app.run()
    assert not app.exception
    assert count(figures(app)["脱贫户（含监测户）"]) == households
    view = app.session_state["_view_context"]
    assert view.scope == Scope(frozenset({township_id}), personal_data=False)
    assert view.access.roles == {Role.TOWNSHIP}


def test_the_township_filter_only_narrows(demo_sqlite):
    with demo_sqlite.connect() as conn:
        own = Access("t", "t", frozenset({Role.TOWNSHIP}), 1).scope(conn)
    assert own.narrowed([2, 3]).township_ids == frozenset()
    assert own.narrowed([1, 2]).township_ids == {1}
    assert not own.whole_county


def test_only_the_whole_county_reads_without_a_township_filter(demo_sqlite):
    """county_scope skips the IN list; narrowing it by even one township brings the list back."""
    with demo_sqlite.connect() as conn:
        county = county_scope(conn)
        every = sorted(county.township_ids)
        one_less = county.narrowed(every[1:])

        def households(scope) -> int:
            query = select(func.count()).where(scope.covers(Household.township_id))
            return conn.execute(query).scalar_one()

        counts = {
            "county": households(county),
            "all named": households(county.narrowed(every)),
            "one less": households(one_less),
            "first only": households(county.narrowed(every[:1])),
        }
    assert county.whole_county
    assert county.narrowed(every).whole_county
    assert not one_less.whole_county
    assert counts["county"] == counts["all named"] == counts["one less"] + counts["first only"]
    assert counts["first only"] > 0


def test_roles_are_read_from_the_database_on_every_run(demo_app_env, tmp_path, monkeypatch):
    copy = tmp_path / "demo.db"
    shutil.copy(demo_app_env, copy)
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{copy}")
    app = open_as("leader", BY_PATH["income"])
    assert REFUSAL not in shown_errors(app)
    engine = make_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET roles = '大屏' WHERE username = 'leader'"))
    # A change of roles ends the sign-in at the next run (issue: revoked at once)...
    app.run()
    assert app.text_input(key="login_username")
    assert "角色" in "\n".join(info.value for info in app.info)
    # ...and signed in again, the new roles apply.
    logged_in(app, "leader")
    assert REFUSAL in shown_errors(app)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET active = false WHERE username = 'leader'"))
    engine.dispose()
    app.run()
    assert app.text_input(key="login_username")
    assert "账号已停用" in "\n".join(info.value for info in app.info)


def test_a_county_leader_never_receives_full_names_or_id_numbers(demo_app_env):
    app = open_as("leader", BY_PATH["income"])
    households = next(frame.value for frame in app.dataframe if "户主" in frame.value.columns)
    engine = make_engine(f"sqlite:///{demo_app_env}")
    with engine.connect() as conn:
        names = set(conn.execute(text("SELECT head_name FROM households")).scalars())
        ids = set(conn.execute(text("SELECT head_id_number FROM households")).scalars())
    engine.dispose()
    assert len(households) > 0
    assert not set(households["户主"]) & {n for n in names if len(n) > 1}
    assert not set(households["身份证号"]) & ids
    assert all("*" in value for value in households["身份证号"])


def test_a_supervisor_sees_personal_data_in_full(demo_app_env):
    app = open_as("inspector", BY_PATH["income"])
    households = next(frame.value for frame in app.dataframe if "户主" in frame.value.columns)
    assert not any("*" in value for value in households["身份证号"])


@pytest.mark.parametrize(("idle_minutes", "signed_out"), [(29, False), (31, True)])
def test_a_session_idle_past_the_timeout_by_the_clock_is_signed_out(
    demo_app_env, idle_minutes, signed_out
):
    app = open_as("admin")
    assert not app.text_input
    assert app.session_state["_auth_last_active"] == WALL_CLOCK
    # The idle limit is 30 minutes ([auth] idle_timeout_minutes); the test's clock stands still,
    # so the last activity is moved back instead.
    app.session_state["_auth_last_active"] = WALL_CLOCK - timedelta(minutes=idle_minutes)
    app.run()
    assert bool(app.text_input) is signed_out
    assert ("未操作" in "\n".join(info.value for info in app.info)) is signed_out
    assert bool(app.metric) is not signed_out


def test_a_wrong_password_shows_a_chinese_refusal_and_no_data(demo_app_env):
    app = logged_in(AppTest.from_file(APP, default_timeout=60), "admin", "not-the-password")
    assert "用户名或密码错误" in shown_errors(app)
    assert not app.metric


def test_repeated_wrong_passwords_in_the_form_lock_the_account(
    monkeypatch, demo_sqlite_path, test_config_path, tmp_path
):
    copy = tmp_path / "demo.db"
    shutil.copy(demo_sqlite_path, copy)
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{copy}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(test_config_path))
    app = AppTest.from_file(APP, default_timeout=60)
    for _ in range(5):
        logged_in(app, "leader", "not-the-password")
    logged_in(app, "leader")
    # Locked, the right password is refused as a wrong one (nothing tells which accounts exist).
    assert "用户名或密码错误" in shown_errors(app)
    assert not app.metric
    engine = make_engine(f"sqlite:///{copy}")
    with engine.connect() as conn:
        locked = conn.execute(
            select(User.locked_until).where(User.username == "leader")
        ).scalar_one()
    engine.dispose()
    assert locked is not None


def test_logging_out_returns_to_the_login_form(demo_app_env):
    app = open_as("leader")
    app.button(key="logout").click().run()
    assert app.text_input(key="login_username")
    assert not app.metric


def test_production_refuses_to_start_while_demo_passwords_remain(
    monkeypatch, demo_sqlite_path, test_config_path, tmp_path
):
    production = tmp_path / "settings.toml"
    production.write_text(
        as_production(test_config_path.read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(production))
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert "演示密码" in shown_errors(app)
    assert not app.text_input
