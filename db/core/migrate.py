"""Schema migrations with Alembic: upgrade to head, and write new revisions from the models."""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS_DIR = pathlib.Path(__file__).resolve().parents[1] / "migrations"
# Any constant works: it only has to be the same for every replica of the app.
PG_MIGRATION_LOCK = 7_242_024


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several app processes start at once."""
    upgrade_to(engine, revision="heads")


def upgrade_to(engine: Engine, *, revision: str) -> None:
    """Bring the schema up to `revision` (a restore stops at the backup's revision before adding its rows)."""
    _run_locked(engine, lambda config: command.upgrade(config, revision))


def downgrade_to(engine: Engine, *, revision: str) -> None:
    """Take the schema back down to `revision`; "base" undoes every migration, dropping the app's tables (and the
    triggers and functions the migrations made), as a restore does before it builds the schema afresh."""
    _run_locked(engine, lambda config: command.downgrade(config, revision))


def _run_locked(engine: Engine, step: Callable[[Config], None]) -> None:
    config = alembic_config(engine)
    if engine.dialect.name == "postgresql":
        # Replicas starting together take turns; the second one finds nothing left to do.
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PG_MIGRATION_LOCK})
            try:
                config.attributes["connection"] = connection
                step(config)
                connection.commit()
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_MIGRATION_LOCK})
                connection.commit()
    else:
        step(config)


def refresh_statistics(engine: Engine) -> None:
    """Fresh planner statistics after many rows were written at once (bulk seeding): without them SQLite guesses
    every index alike and PostgreSQL waits for autovacuum, and either may walk a site's history for the desk.

    On PostgreSQL a VACUUM as well: rows written in bulk are not yet marked all-visible, so a read "from the index
    alone" still fetched every row from the table (the reports' longest dwell at 1M orders: 10,438 heap fetches,
    13 ms; none after it) until autovacuum came by, which a server may run late or not at all."""
    if engine.dialect.name == "postgresql":
        # VACUUM runs outside a transaction only.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        return
    with engine.connect() as connection:
        # A full ANALYZE (PRAGMA optimize only re-analyzes what queries on its own connection touched), also on a
        # pooled connection where a migration bounded it (`PRAGMA analysis_limit` stays set per connection): a
        # sampled ANALYZE of a million orders counted ~1,000 a site instead of 20,000, and the residents'
        # notice then walked the site's history by pickup code (20 ms) instead of reading the day's bags.
        connection.exec_driver_sql("PRAGMA analysis_limit = 0")
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def current_heads(engine: Engine) -> tuple[str, ...]:
    """The revisions the database is at (one per branch of the migration history)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def write_revision(engine: Engine, *, message: str) -> None:
    """Autogenerate a new revision from the difference between the models and `engine`'s schema."""
    command.revision(alembic_config(engine), message=message, autogenerate=True)
