"""Alembic environment: the engine comes from data_access.db, never from an ini file.

On SQLite, batch migrations copy a table and drop the original; with foreign keys enforced
(data_access.db turns them on for every connection) SQLite refuses to drop a table other tables
refer to. Enforcement is therefore off while migrating, and the references are checked before the
migration commits instead.
"""

from alembic import context

from data_access.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Outside any transaction, where SQLite honours it.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"migration left broken references: {broken[:5]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
