"""Production mode refuses example and short secrets (dashboard/production.py and the entry
script)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.navigation import PROJECT_ROOT
from dashboard.production import secret_problems
from tests.clock import as_production

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
GOOD_SECRET = "9f" * 32
GOOD_URL = "postgresql+psycopg://dashboard:Wq7-long-random@127.0.0.1:5432/dashboard"


def _example_secret() -> str:
    env = (PROJECT_ROOT / "deploy" / "dashboard.env.example").read_text(encoding="utf-8")
    [line] = [line for line in env.splitlines() if line.startswith("STREAMLIT_SERVER_COOKIE")]
    return line.split("=", 1)[1]


def _example_url() -> str:
    env = (PROJECT_ROOT / "deploy" / "dashboard.env.example").read_text(encoding="utf-8")
    [line] = [line for line in env.splitlines() if line.startswith("DASHBOARD_DB_URL=")]
    return line.split("=", 1)[1]


def test_a_long_random_secret_and_a_real_password_pass():
    assert secret_problems(cookie_secret=GOOD_SECRET, database_url=GOOD_URL) == []
    assert secret_problems(cookie_secret=GOOD_SECRET, database_url="sqlite:///x.db") == []


@pytest.mark.parametrize(
    ("secret", "words"),
    [(None, "太短"), ("", "太短"), ("abc123", "6 字节"), ("x" * 31, "31 字节")],
)
def test_a_missing_or_short_cookie_secret_is_refused(secret, words):
    [problem] = secret_problems(cookie_secret=secret, database_url=GOOD_URL)
    assert words in problem


def test_the_example_values_of_the_deployment_file_are_refused():
    problems = secret_problems(cookie_secret=_example_secret(), database_url=_example_url())
    assert len(problems) == 2
    assert "示例值" in problems[0]
    assert "数据库密码" in problems[1]


def test_production_refuses_to_start_with_the_example_cookie_secret(
    monkeypatch, demo_sqlite_path, test_config_path, tmp_path
):
    production = tmp_path / "settings.toml"
    production.write_text(
        as_production(test_config_path.read_text(encoding="utf-8")), encoding="utf-8"
    )
    monkeypatch.setenv("DASHBOARD_DB_URL", f"sqlite:///{demo_sqlite_path}")
    monkeypatch.setenv("DASHBOARD_CONFIG", str(production))
    app = AppTest.from_file(APP, default_timeout=60)
    with monkeypatch.context() as patched:
        import streamlit

        real = streamlit.get_option
        patched.setattr(
            streamlit,
            "get_option",
            lambda key: _example_secret() if key == "server.cookieSecret" else real(key),
        )
        app.run()
    assert not app.exception
    errors = "\n".join(element.value for element in app.error)
    titles = "\n".join(str(element.value) for element in app.markdown)
    assert "部署密钥不安全" in errors + titles
    assert not app.text_input


def test_the_data_grids_own_export_is_off():
    """The grid's "Download as CSV" and copy would export personal data unaudited."""
    import tomllib

    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["client"]["disableDataExport"] is True
