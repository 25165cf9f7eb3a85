"""Schema migrations on a database that holds data: every step down and up again keeps it."""

from __future__ import annotations

import shutil

from alembic import command
from sqlalchemy import text

from data_access.db import alembic_config, current_revision, head_revision, init_db, make_engine


def test_the_last_migrations_go_down_and_up_again_on_the_demo_county(demo_sqlite_path, tmp_path):
    copy = tmp_path / "demo.db"
    shutil.copy(demo_sqlite_path, copy)
    engine = make_engine(f"sqlite:///{copy}")
    counts = "SELECT (SELECT COUNT(*) FROM rectification_items), (SELECT COUNT(*) FROM households)"
    with engine.connect() as conn:
        before = conn.execute(text(counts)).one()
    command.downgrade(alembic_config(engine), "0006")
    assert current_revision(engine) == "0006"
    assert init_db(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(text(counts)).one() == before
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
