"""Databases for the tests: the fixed clock, throwaway PostgreSQL databases, and skip-or-fail for what is missing."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from db.core.engine import make_engine, normalize_url
from db.core.migrate import upgrade_to_head

# A fixed moment for store tests: Wednesday 2026-11-25, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
# The day of the seeded demo the tests share (seed 0): NOW's day.
DEMO_DAY = dt.date(2026, 11, 25)


def required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def skip_or_fail(reason: str, *, required_by: str) -> None:
    """Skip locally; fail when CI said this kind of test must run."""
    if required(required_by):
        pytest.fail(f"{reason} ({required_by}=1)")
    pytest.skip(reason)


# Every connection the tests make (their own, the app's under `streamlit run`, the workers they spawn: all take the
# URL) commits without waiting for the WAL to reach the disk. What a test can see is the same (visibility, locks and
# isolation do not change; only a crash of the server could lose the last commits); the PostgreSQL tests take about
# half the time, most of which was spent waiting for fsync on a shared disk.
TEST_CONNECTION_OPTIONS = "-csynchronous_commit=off"


def postgres_server_url() -> str | None:
    """TEST_DATABASE_URL (None when unset), with TEST_CONNECTION_OPTIONS unless it names its own `options`."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    parsed = make_url(normalize_url(url))
    if "options" not in parsed.query:
        parsed = parsed.update_query_dict({"options": TEST_CONNECTION_OPTIONS})
    return parsed.render_as_string(hide_password=False)


def create_postgres_database(server_url: str, *, template: str | None = None) -> tuple[str, Engine]:
    """A new database on the test server, empty or a copy of the database named `template` (which nobody may be
    connected to); returns its URL and an admin engine to drop it."""
    name = f"cb_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False), admin


def migrate_once(url: str) -> None:
    """Bring the database at `url` to the newest revision and close every connection to it, so that it can be
    copied: a SQLite file with `shutil.copyfile`, a PostgreSQL database as the TEMPLATE of `create_postgres_database`.
    A copy takes milliseconds where running the migrations takes half a second or more per test."""
    store = make_engine(url)
    try:
        upgrade_to_head(store)
    finally:
        store.dispose()  # also closes SQLite's WAL, so the file can be copied whole


def drop_postgres_database(admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# PostgreSQL 15 drops a database only after a checkpoint (a second or more on a busy disk): the store tests'
# databases are dropped beside the tests, several at once so that one checkpoint serves them, and the run waits for
# the last of them at its end.
_droppers: ThreadPoolExecutor | None = None
_drops: list[Future[None]] = []


def drop_postgres_database_soon(admin: Engine, url: str) -> None:
    """`drop_postgres_database` on a background thread; `wait_for_dropped_databases` waits for every one."""
    global _droppers
    if _droppers is None:
        _droppers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="drop-test-database")
    _drops.append(_droppers.submit(drop_postgres_database, admin, url))


def wait_for_dropped_databases() -> None:
    """Wait for the drops `drop_postgres_database_soon` started; the first that failed raises here."""
    global _droppers
    if _droppers is not None:
        _droppers.shutdown(wait=True)
        _droppers = None
    drops = list(_drops)
    _drops.clear()
    for drop in drops:
        drop.result()
