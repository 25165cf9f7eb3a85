"""Fixtures: a fresh empty database per test, and a small seeded demo county on SQLite and,
when DASHBOARD_TEST_PG_URL is set, on PostgreSQL in a schema of its own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from config import Settings, load_settings
from config.settings import DEFAULT_CONFIG_PATH
from data_access.db import init_db, make_engine

AS_OF = date(2026, 11, 29)
DEMO_SCALE = 0.05
DEMO_SEED = 7
PG_URL = os.environ.get("DASHBOARD_TEST_PG_URL", "").strip()
PG_SKIP_REASON = "DASHBOARD_TEST_PG_URL is not set: PostgreSQL tests skipped"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def fresh_engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated SQLite database for one test."""
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    init_db(engine)
    yield engine
    engine.dispose()


def _seed(engine: Engine, settings: Settings) -> Engine:
    """The demo county with its demo accounts (one per role; passwords in tests/login.py)."""
    from data_access.auth import ensure_demo_users
    from data_access.demo import seed_demo

    seed_demo(engine, settings=settings, scale=DEMO_SCALE, seed=DEMO_SEED, as_of=AS_OF)
    with engine.begin() as conn:
        ensure_demo_users(conn=conn)
    return engine


@pytest.fixture(scope="session")
def demo_weak_township_codes(demo_sqlite) -> frozenset[str]:
    """The townships the generator made weak (the same for every database: same seed)."""
    from data_access.demo.county import build_county

    county = build_county(seed=DEMO_SEED, scale=DEMO_SCALE, as_of=AS_OF, settings=load_settings())
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
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    schema = f"test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, schema=schema)
    try:
        yield _seed(engine, settings)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_engine(request) -> Engine:
    """The seeded demo county, once on each database."""
    name = "demo_sqlite" if request.param == "sqlite" else "demo_postgres"
    return request.getfixturevalue(name)


@pytest.fixture(scope="session")
def test_config_path(tmp_path_factory) -> Path:
    """The shipped settings with the reference date fixed to the demo's as-of date."""
    path = tmp_path_factory.mktemp("config") / "settings.toml"
    shipped = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    assert 'today = ""' in shipped
    path.write_text(shipped.replace('today = ""', f'today = "{AS_OF}"'), encoding="utf-8")
    return path
