"""Databases for the tests: the fixed clock, throwaway PostgreSQL databases, and skip-or-fail for what is missing."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from db.core.engine import normalize_url

# A fixed moment for store tests: Wednesday 2026-11-25, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def skip_or_fail(reason: str, *, required_by: str) -> None:
    """Skip locally; fail when CI said this kind of test must run."""
    if required(required_by):
        pytest.fail(f"{reason} ({required_by}=1)")
    pytest.skip(reason)


def postgres_server_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalize_url(url) if url else None


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
