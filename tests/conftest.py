"""Shared fixtures: a fresh migrated store on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from db.engine import make_engine, normalize_url
from db.migrate import upgrade_to_head

# AppTest runs scripts without a browser session; this logger only says so, on every run.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True

# A fixed moment for store tests: Wednesday 2026-11-25, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def skip_or_fail(reason: str, *, required_by: str) -> None:
    """Skip locally; fail when CI said this kind of test must run."""
    if required(required_by):
        pytest.fail(f"{reason} ({required_by}=1)")
    pytest.skip(reason)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


def _postgres_server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalize_url(url) if url else None


@pytest.fixture(scope="session")
def postgres_server() -> str:
    url = _postgres_server_url()
    if url is None:
        skip_or_fail("TEST_DATABASE_URL is not set: PostgreSQL store tests skipped", required_by="REQUIRE_POSTGRES")
    return url


def create_postgres_database(server_url: str) -> tuple[str, Engine]:
    """A new, empty database on the test server; returns its URL and an admin engine to drop it."""
    name = f"cb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False), admin


def drop_postgres_database(admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # noqa: ANN001
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
