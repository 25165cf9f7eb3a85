"""Building the demo database and measuring it: seed time, size on disk, rows per table."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import MetaData, create_engine, func, select
from sqlalchemy.engine import make_url

from bench.child_rss import MARKER
from bench.environment import PROJECT_ROOT
from config.settings import WARNING_RULES
from data_access.db import make_engine
from data_access.models import HouseholdWarning

# The PostgreSQL server the benchmark may create scratch databases on (as the tests do).
PG_URL_VARIABLE = "DASHBOARD_TEST_PG_URL"


class SeedError(RuntimeError):
    """``python -m data_access seed-demo`` failed."""


@dataclass(frozen=True)
class SeedResult:
    seconds: float
    peak_rss_kib: int


def _peak_rss_kib(stderr: str) -> int:
    lines = [line for line in stderr.splitlines() if line.startswith(MARKER)]
    return int(lines[-1].removeprefix(MARKER)) if lines else 0


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def seed_demo(
    *, database_url: str, config: Path, scale: float, seed: int, as_of: date
) -> SeedResult:
    """Seed through the CLI users run, in a child process, so the seeder's memory is measured on
    its own and does not count towards the page rendering's peak RSS.

    Raises SeedError with the command's output when it fails.
    """
    # GNU time is not always installed: the child reports its own peak through a wrapper.
    command = [sys.executable, "-m", "bench.child_rss", "data_access", "seed-demo"]
    command += ["--scale", str(scale), "--seed", str(seed), "--as-of", as_of.isoformat()]
    env = {**os.environ, "DASHBOARD_DB_URL": database_url, "DASHBOARD_CONFIG": str(config)}
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SeedError(f"{' '.join(command)} exited with {result.returncode}:\n{result.stderr}")
    return SeedResult(seconds, _peak_rss_kib(result.stderr))


def database_size(database_url: str) -> int:
    """Bytes the database takes: the SQLite file with its WAL, or PostgreSQL's database size."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        main = Path(url.database or "")
        files = [main, main.with_name(main.name + "-wal")]
        return sum(path.stat().st_size for path in files if path.exists())
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
    finally:
        engine.dispose()


def table_row_counts(database_url: str) -> dict[str, int]:
    """Rows in every table of the schema (Alembic's bookkeeping aside), largest first."""
    engine = make_engine(database_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            counts = {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()
                if name != "alembic_version"
            }
    finally:
        engine.dispose()
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def warnings_by_rule(database_url: str) -> dict[str, int]:
    """Warnings per rule, every configured rule listed (0 where it raised none)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            found = dict(
                conn.execute(
                    select(HouseholdWarning.rule_id, func.count()).group_by(
                        HouseholdWarning.rule_id
                    )
                ).all()
            )
    finally:
        engine.dispose()
    return {rule: found.get(rule, 0) for rule in WARNING_RULES}


@contextmanager
def scratch_database(backend: str, *, workdir: Path, name: str) -> Iterator[str]:
    """A new, empty database for one benchmark run, removed afterwards: a SQLite file in
    ``workdir``, or a PostgreSQL database created next to DASHBOARD_TEST_PG_URL's (its user needs
    the CREATEDB right). Yields the URL."""
    if backend == "sqlite":
        yield sqlite_url(workdir / f"{name}.db")
        return
    server = make_url(os.environ[PG_URL_VARIABLE])
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
