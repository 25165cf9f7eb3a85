"""Engine creation and schema management (SQLite by default, PostgreSQL through psycopg 3)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url

from data_access.models import Meta

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be reached or is not initialised."""


def normalise_url(url: str) -> str:
    """Route plain postgresql:// URLs through psycopg 3, the driver this project installs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout.

    ``schema`` (PostgreSQL only) puts that schema first on the search path, so a test can work in
    a private schema of a shared database.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def init_db(engine: Engine) -> str:
    """Create or upgrade the schema to the newest migration; returns the revision now in force."""
    command.upgrade(alembic_config(engine), "head")
    return current_revision(engine) or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head() or ""


def is_empty(engine: Engine) -> bool:
    """True when the database has no households table or no households in it."""
    if not inspect(engine).has_table("households"):
        return True
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT 1 FROM households LIMIT 1").first() is None


def read_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(Meta.value).where(Meta.key == key)).scalar_one_or_none()


def write_meta(conn: Connection, key: str, value: str) -> None:
    if conn.execute(select(Meta.key).where(Meta.key == key)).first() is None:
        conn.execute(Meta.__table__.insert().values(key=key, value=value))
    else:
        conn.execute(Meta.__table__.update().where(Meta.key == key).values(value=value))


def data_version(conn: Connection) -> int:
    """The overall version of the data, raised by every write (data_access.versions); 0 for a
    database never written to."""
    return int(read_meta(conn, "data_version") or 0)


def refresh_statistics(engine: Engine, table: str) -> None:
    """After a bulk load into ``table``, on PostgreSQL: VACUUM (ANALYZE) it now rather than when
    autovacuum comes by, so that the planner knows how many rows it holds and a count can read
    the index alone. SQLite keeps no visibility map and plans well without: nothing to do."""
    if engine.dialect.name != "postgresql":
        return
    name = engine.dialect.identifier_preparer.quote(table)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text(f"VACUUM (ANALYZE) {name}"))
