"""Store-test fixtures: a fresh migrated store on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect

from db.core.engine import make_engine
from db.core.migrate import upgrade_to_head
from tests.support.databases import NOW, create_postgres_database, drop_postgres_database_soon


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database's URL: a temp SQLite file, or a new PostgreSQL database dropped afterwards
    (beside the next tests).

    For a test that also asks for `engine` it is a copy of a database migrated once per run (the migrated
    template fixtures in tests/conftest.py), so the same migrated store is there without migrating it again."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "store.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("migrated_postgres_template") if migrated else None
    url, admin = create_postgres_database(server, template=template)
    try:
        yield url
    finally:
        drop_postgres_database_soon(admin, url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty store on each database."""
    store = make_engine(database_url)
    if not inspect(store).has_table("alembic_version"):  # an empty database (`engine` asked for late): migrate it
        upgrade_to_head(store)
    yield store
    store.dispose()
