"""The files under deploy/: the nginx site, the systemd units, the environment file and the
backup scripts, checked with the tools that will read them (nginx -t, systemd-analyze verify,
bash) and, for backup and restore, a real pg_dump/pg_restore round trip on PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import tomllib
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from config.settings import DEFAULT_CONFIG_PATH
from data_access.db import head_revision, make_engine
from tests.clock import AS_OF
from tests.conftest import PG_SKIP_REASON, PG_URL

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT_ROOT / "deploy"
NGINX_SITE = DEPLOY / "nginx" / "dashboard.conf"
UNITS = DEPLOY / "systemd"
ENV_EXAMPLE = DEPLOY / "dashboard.env.example"
INSTALL_DIR = "/opt/dashboard"
SCRIPT_TIMEOUT_S = 300


def _load_pgenv():
    spec = importlib.util.spec_from_file_location("pgenv", DEPLOY / "pgenv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pgenv = _load_pgenv()


def directives(text: str, name: str) -> list[str]:
    """The arguments of every ``name ...;`` directive in an nginx configuration text."""
    return [
        match.group(1).strip()
        for match in re.finditer(rf"(?m)^[ \t]*{name}[ \t]+([^;{{}}\n]*);", text)
    ]


def location_block(text: str, path: str) -> str:
    match = re.search(rf"location\s+(?:=\s+)?{re.escape(path)}\s*\{{(.*?)\n\s*\}}", text, re.S)
    assert match, f"no location {path}"
    return match.group(1)


def nginx_size_mb(value: str) -> int:
    assert value.endswith("m"), value
    return int(value[:-1])


# --- pgenv.py: the URL → PG* variables the backup scripts give pg_dump --------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql+psycopg://dashboard:p%40ss%3Aword@10.0.0.5:5433/dashboard",
            {
                "PGDATABASE": "dashboard",
                "PGHOST": "10.0.0.5",
                "PGPORT": "5433",
                "PGUSER": "dashboard",
                "PGPASSWORD": "p@ss:word",
            },
        ),
        (
            "postgresql://postgres@127.0.0.1/test?options=-csearch_path%3Dcounty&sslmode=require",
            {
                "PGDATABASE": "test",
                "PGHOST": "127.0.0.1",
                "PGUSER": "postgres",
                "PGOPTIONS": "-csearch_path=county",
                "PGSSLMODE": "require",
            },
        ),
        ("postgresql+psycopg:///dashboard", {"PGDATABASE": "dashboard"}),
    ],
)
def test_a_database_url_becomes_libpq_variables(url, expected):
    assert pgenv.pg_environment(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///data/dashboard.db",
        "postgresql+psycopg://dashboard@127.0.0.1:5432/",
        "postgresql://dashboard@127.0.0.1/dashboard?target_session_attrs=any",
    ],
)
def test_urls_the_backup_cannot_use_are_refused_with_a_reason(url):
    with pytest.raises(pgenv.NotPostgresError):
        pgenv.pg_environment(url)


def test_the_password_reaches_the_shell_quoted(tmp_path):
    url = "postgresql+psycopg://dashboard:a%24b%3Bc%20d%27e@127.0.0.1:5432/dashboard"
    result = subprocess.run(
        ["bash", "-c", f'eval "$(python3 {DEPLOY / "pgenv.py"})" && printf %s "$PGPASSWORD"'],
        env={**os.environ, "DASHBOARD_DB_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "a$b;c d'e"


# --- env.sh: the environment file read like systemd reads it ------------------------------------


def read_env_file(path: Path, **preset: str) -> dict[str, str]:
    """What load_dashboard_env exports from ``path``, with ``preset`` set beforehand."""
    script = f". {DEPLOY / 'env.sh'} && load_dashboard_env && env -0"
    environment = {"PATH": os.environ["PATH"], "DASHBOARD_ENV_FILE": str(path), **preset}
    result = subprocess.run(
        ["bash", "-c", script], env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    pairs = (item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)
    return {key: value for key, value in pairs if key not in ("PATH", "PWD", "SHLVL", "_")}


def test_the_sample_environment_file_reads_as_systemd_would(tmp_path):
    values = read_env_file(ENV_EXAMPLE)
    assert make_url(values["DASHBOARD_DB_URL"]).get_backend_name() == "postgresql"
    assert values["DASHBOARD_CONFIG"] == "/etc/dashboard/settings.toml"
    assert set(values) == {
        "DASHBOARD_ENV_FILE",
        "DASHBOARD_DB_URL",
        "DASHBOARD_CONFIG",
        "STREAMLIT_SERVER_COOKIE_SECRET",
        "BACKUP_DIR",
        "BACKUP_KEEP_DAYS",
    }


def test_every_variable_of_the_sample_is_read_by_something():
    values = read_env_file(ENV_EXAMPLE)
    readers = {
        "DASHBOARD_DB_URL": PROJECT_ROOT / "config" / "settings.py",
        "DASHBOARD_CONFIG": PROJECT_ROOT / "config" / "settings.py",
        "BACKUP_DIR": DEPLOY / "backup.sh",
        "BACKUP_KEEP_DAYS": DEPLOY / "backup.sh",
    }
    for name, reader in readers.items():
        assert name in reader.read_text(encoding="utf-8"), f"{name} is not read by {reader}"
    from streamlit import config as streamlit_config

    cookie = streamlit_config._config_options_template["server.cookieSecret"]
    assert cookie.env_var in values


def test_quotes_and_shell_characters_in_the_file_stay_literal(tmp_path):
    env_file = tmp_path / "dashboard.env"
    env_file.write_text(
        "# comment\n\n"
        'DASHBOARD_DB_URL="postgresql://u:p$(touch pwned)@h/db"\n'
        "BACKUP_DIR='/srv/backups'\n"
        "BACKUP_KEEP_DAYS=7\n",
        encoding="utf-8",
    )
    values = read_env_file(env_file, BACKUP_KEEP_DAYS="3")
    assert values["DASHBOARD_DB_URL"] == "postgresql://u:p$(touch pwned)@h/db"
    assert values["BACKUP_DIR"] == "/srv/backups"
    assert values["BACKUP_KEEP_DAYS"] == "3", "a variable already set wins"
    assert not (tmp_path / "pwned").exists()


# --- nginx ---------------------------------------------------------------------------------------


def test_nginx_sends_each_browser_to_one_of_the_dashboard_ports():
    site = NGINX_SITE.read_text(encoding="utf-8")
    assert directives(site, "hash") == ["$remote_addr consistent"]
    assert directives(site, "ip_hash") == []
    servers = [server.split()[0] for server in directives(site, "server")]
    assert len(servers) >= 2
    assert all(re.fullmatch(r"127\.0\.0\.1:85\d\d", server) for server in servers)


def test_nginx_upgrades_the_streamlit_websocket_and_keeps_it_open():
    site = NGINX_SITE.read_text(encoding="utf-8")
    stream = location_block(site, "/_stcore/stream")
    assert "proxy_set_header Upgrade $http_upgrade;" in stream
    assert "proxy_set_header Connection $connection_upgrade;" in stream
    assert directives(site, "proxy_http_version") == ["1.1"]
    # Longer than Streamlit's 30 s WebSocket ping and a whole meeting on the wall.
    for name in ("proxy_read_timeout", "proxy_send_timeout"):
        (value,) = directives(stream, name)
        assert int(value.removesuffix("s")) >= 3600


def test_nginx_accepts_every_workbook_the_import_accepts():
    settings = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    (limit,) = directives(NGINX_SITE.read_text(encoding="utf-8"), "client_max_body_size")
    # One more megabyte than the import's own limit: the multipart envelope around the file.
    assert nginx_size_mb(limit) == settings["imports"]["max_file_mb"] + 1


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_site_configuration(tmp_path):
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'};\n"
        "events {}\n"
        f"http {{\n    access_log off;\n    include {NGINX_SITE};\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["nginx", "-t", "-q", "-c", str(main)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- systemd -------------------------------------------------------------------------------------


def test_the_unit_runs_the_entry_script_on_its_instance_port_from_the_environment_file():
    unit = (UNITS / "dashboard@.service").read_text(encoding="utf-8")
    (exec_start,) = re.findall(r"(?m)^ExecStart=(.*)$", unit)
    # The server entry: the app and its session route (dashboard/server.py).
    assert exec_start.startswith(f"{INSTALL_DIR}/.venv/bin/streamlit run dashboard/server.py ")
    assert "--server.port %i" in exec_start
    assert "--server.headless true" in exec_start
    assert "--server.address 127.0.0.1" in exec_start
    assert f"WorkingDirectory={INSTALL_DIR}\n" in unit
    assert "EnvironmentFile=/etc/dashboard/dashboard.env\n" in unit
    backup = (UNITS / "dashboard-backup.service").read_text(encoding="utf-8")
    assert f"ExecStart={INSTALL_DIR}/deploy/backup.sh\n" in backup
    assert "EnvironmentFile=/etc/dashboard/dashboard.env\n" in backup
    assert "ReadWritePaths=/var/backups/dashboard\n" in backup
    assert "BACKUP_DIR=/var/backups/dashboard\n" in ENV_EXAMPLE.read_text(encoding="utf-8")
    warnings = (UNITS / "dashboard-warnings.service").read_text(encoding="utf-8")
    assert f"ExecStart={INSTALL_DIR}/.venv/bin/python -m data_access check-warnings\n" in warnings
    assert f"WorkingDirectory={INSTALL_DIR}\n" in warnings


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not found")
def test_systemd_accepts_the_units(tmp_path):
    """Verified as installed, with this checkout standing in for /opt/dashboard (systemd checks
    that the commands exist)."""
    for unit in UNITS.iterdir():
        installed = unit.read_text(encoding="utf-8").replace(INSTALL_DIR, str(PROJECT_ROOT))
        (tmp_path / unit.name).write_text(installed, encoding="utf-8")
    names = [
        "dashboard@8501.service",
        "dashboard-backup.service",
        "dashboard-backup.timer",
        "dashboard-warnings.service",
        "dashboard-warnings.timer",
    ]
    (tmp_path / "dashboard@8501.service").symlink_to(tmp_path / "dashboard@.service")
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in names)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_the_scripts_pass_shellcheck():
    scripts = sorted(str(path) for path in DEPLOY.glob("*.sh"))
    result = subprocess.run(
        ["shellcheck", "-x", *scripts], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


# --- backup and restore on PostgreSQL ------------------------------------------------------------


@pytest.fixture
def private_databases(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two new, empty databases on the test server (the live one and a restore target)."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    stem = f"deploy_{uuid.uuid4().hex[:8]}"
    names = (f"{stem}_live", f"{stem}_restored")
    admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield names
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_script(script: str, *args: str, env_file: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("DASHBOARD_", "PG"))
    }
    environment["DASHBOARD_ENV_FILE"] = str(env_file)
    return subprocess.run(
        [str(DEPLOY / script), *args],
        cwd="/",
        env=environment,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )


def row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: conn.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
                for table in inspect(conn).get_table_names()
            }
    finally:
        engine.dispose()


def test_a_nightly_backup_restores_into_a_new_database_with_every_row(
    private_databases, tmp_path: Path, test_config_path: Path
):
    live, restored = private_databases
    live_url = make_url(PG_URL).set(database=live).render_as_string(hide_password=False)
    backups = tmp_path / "backups"
    env_file = tmp_path / "dashboard.env"
    env_file.write_text(
        f"DASHBOARD_DB_URL={live_url}\n"
        f"DASHBOARD_CONFIG={test_config_path}\n"
        f"BACKUP_DIR={backups}\n"
        "BACKUP_KEEP_DAYS=3\n",
        encoding="utf-8",
    )
    seed = run_script(
        "manage.sh", "seed-demo", "--scale", "0.02", "--as-of", AS_OF.isoformat(), env_file=env_file
    )
    assert seed.returncode == 0, seed.stderr

    backups.mkdir()
    expired = backups / f"{live}-20260101-023000.dump"
    recent = backups / f"{live}-20261127-023000.dump"
    other = backups / "another_database-20260101-023000.dump"
    for path, age_days in ((expired, 5), (recent, 2), (other, 9)):
        path.write_bytes(b"")
        stamp = (datetime.now() - timedelta(days=age_days)).timestamp()
        os.utime(path, (stamp, stamp))

    backup = run_script("backup.sh", env_file=env_file)
    assert backup.returncode == 0, backup.stderr
    (dump,) = [path for path in backups.glob(f"{live}-*.dump") if path not in (expired, recent)]
    assert dump.stat().st_size > 0
    assert dump.stat().st_mode & 0o077 == 0, "personal data: readable by the service user only"
    assert not expired.exists(), "older than BACKUP_KEEP_DAYS: pruned"
    assert recent.exists(), "younger than BACKUP_KEEP_DAYS: kept"
    assert other.exists(), "another database's: never touched"
    assert str(dump) in backup.stdout

    restore = run_script("restore.sh", str(dump), restored, env_file=env_file)
    assert restore.returncode == 0, restore.stderr
    restored_url = make_url(live_url).set(database=restored).render_as_string(hide_password=False)
    counts = row_counts(live_url)
    assert counts["households"] > 0
    assert counts["income_registers"] > 0
    assert row_counts(restored_url) == counts
    assert head_revision() in restore.stdout

    again = run_script("restore.sh", str(dump), restored, env_file=env_file)
    assert again.returncode == 1
    assert "已有看板的表" in again.stderr
    clean = run_script("restore.sh", "--clean", str(dump), restored, env_file=env_file)
    assert clean.returncode == 0, clean.stderr
    assert row_counts(restored_url) == counts

    drill = run_script("manage.sh", "--database", restored, "init-db", env_file=env_file)
    assert drill.returncode == 0, drill.stderr
    assert f"数据库结构版本：{head_revision()}" in drill.stdout
