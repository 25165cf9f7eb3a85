"""Fixtures: a fresh empty database per test, and a small seeded demo county on SQLite and,
when DASHBOARD_TEST_PG_URL is set, on PostgreSQL in a schema of its own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from config import Settings
from config.settings import read_settings
from data_access.db import init_db, make_engine
from tests.clock import A_YEAR_LATER, AS_OF, WALL_CLOCK, write_test_config

DEMO_SCALE = 0.05
DEMO_SEED = 7
PG_URL = os.environ.get("DASHBOARD_TEST_PG_URL", "").strip()
PG_SKIP_REASON = "DASHBOARD_TEST_PG_URL is not set: PostgreSQL tests skipped"


@pytest.fixture(scope="session")
def test_config_path(tmp_path_factory) -> Path:
    """The shipped settings with both readings of the clock frozen (AS_OF, WALL_CLOCK)."""
    return write_test_config(tmp_path_factory.mktemp("config") / "settings.toml")


@pytest.fixture(
    scope="session",
    params=[WALL_CLOCK, A_YEAR_LATER],
    ids=["wall-clock-on-the-as-of-day", "wall-clock-a-year-later"],
)
def any_day_config_path(request, tmp_path_factory) -> Path:
    """The test settings with the wall clock on the as-of day, and again a year later (the
    reporting date stays AS_OF): for what must not depend on the day the suite runs."""
    folder = tmp_path_factory.mktemp(f"config-{request.param:%Y%m%d}")
    return write_test_config(folder / "settings.toml", wall_clock=request.param)


@pytest.fixture(scope="session")
def settings(test_config_path) -> Settings:
    return read_settings(test_config_path)


@pytest.fixture
def fresh_engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated SQLite database for one test."""
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    init_db(engine)
    yield engine
    engine.dispose()


@contextmanager
def private_schema() -> Iterator[Engine]:
    """An engine on a new schema of the test PostgreSQL database, dropped afterwards (skips the
    test when no PostgreSQL is configured)."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    schema = f"test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def fresh_postgres() -> Iterator[Engine]:
    """An empty, migrated private schema of the test PostgreSQL database for one test."""
    with private_schema() as engine:
        init_db(engine)
        yield engine


def _seed(engine: Engine, settings: Settings) -> Engine:
    """The demo county with its demo accounts (one per role; passwords in tests/login.py)."""
    from data_access.auth import ensure_demo_users
    from data_access.demo import seed_demo

    seed_demo(engine, settings=settings, scale=DEMO_SCALE, seed=DEMO_SEED, as_of=AS_OF)
    with engine.begin() as conn:
        ensure_demo_users(conn=conn, now=settings.clock.now())
    return engine


@pytest.fixture(scope="session")
def demo_weak_township_codes(demo_sqlite, settings) -> frozenset[str]:
    """The townships the generator made weak (the same for every database: same seed)."""
    from data_access.demo.county import build_county

    county = build_county(seed=DEMO_SEED, scale=DEMO_SCALE, as_of=AS_OF, settings=settings)
    return frozenset(county.weak_township_codes)


@pytest.fixture(scope="session")
def demo_sqlite_path(tmp_path_factory, settings) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = _seed(make_engine(f"sqlite:///{path}"), settings)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def demo_sqlite(demo_sqlite_path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{demo_sqlite_path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_postgres(settings) -> Iterator[Engine]:
    with private_schema() as engine:
        yield _seed(engine, settings)


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_engine(request) -> Engine:
    """The seeded demo county, once on each database."""
    name = "demo_sqlite" if request.param == "sqlite" else "demo_postgres"
    return request.getfixturevalue(name)
