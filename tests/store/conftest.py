"""Store-test fixtures: a fresh migrated store on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from db.core.engine import make_engine
from db.core.migrate import upgrade_to_head
from tests.support.databases import NOW, create_postgres_database, drop_postgres_database


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database's URL: a temp SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    url, admin = create_postgres_database(server)
    try:
        yield url
    finally:
        drop_postgres_database(admin, url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty store on each database."""
    store = make_engine(database_url)
    upgrade_to_head(store)
    yield store
    store.dispose()
