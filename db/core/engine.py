"""Engines and sessions: `DATABASE_URL` or the embedded SQLite file, set up the same way everywhere."""

from __future__ import annotations

import os
import pathlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Engine, Executable, create_engine, event
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

PROJECT_DIR = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_DIR / "data" / "cloudbasket.db"
SQLITE_BUSY_TIMEOUT_MS = 15_000
# How often a transaction waiting for SQLite's write lock tries again (`_begin_immediate`).
SQLITE_LOCK_POLL_S = 0.002
READ_ONLY_OPTION = "cloudbasket_read_only"


def default_database_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def database_url() -> str:
    """The configured store: `DATABASE_URL`, else the embedded SQLite file under data/."""
    return normalize_url(os.environ.get("DATABASE_URL") or default_database_url())


def is_embedded_default(url: str) -> bool:
    """True for the SQLite file the app creates and fills with demo data on its own."""
    return normalize_url(url) == default_database_url()


def normalize_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the driver we install."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: `database_url()`); SQLite gets WAL, busy timeout and real BEGINs."""
    url = normalize_url(url or database_url())
    if url.startswith("sqlite"):
        return _make_sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


def _make_sqlite_engine(url: str) -> Engine:
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    if not in_memory:
        path = url.removeprefix("sqlite:///")
        pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    # An in-memory database lives in one connection: share it, or each checkout sees an empty one.
    pool = {"poolclass": StaticPool} if in_memory else {}
    engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (pysqlite notes).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # A deleted or overwritten value (a purged resident's name and phone) is zeroed in the file, not left in a
        # free page (db/privacy/retention.py).
        cursor.execute("PRAGMA secure_delete = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front: a transaction that reads and then writes
        # waits its turn (busy_timeout) instead of failing with "database is locked".
        # Read-only work (see `read_only`) begins plainly and never blocks a writer under WAL.
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            _begin_immediate(connection)

    return engine


def _begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock in short, even steps rather than SQLite's busy handler.

    The handler sleeps 1, 2, 5, 10, … then 100 ms between its tries, so a desk handover waiting behind the retention
    purge (db/privacy/retention.py) can sleep through every short gap the purge leaves between its batches and wait
    behind many of them. Tried every SQLITE_LOCK_POLL_S instead, a waiting writer takes the lock in the first gap.
    It gives up after the connection's own busy timeout, as the handler would (then as "database is locked", the
    error SQLAlchemy raises for the handler's); every other statement keeps the handler."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    timeout_ms = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    break
                time.sleep(SQLITE_LOCK_POLL_S)
            else:
                return
        # The last try (or after another error) through SQLAlchemy, so a failure is raised as it always has been.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commits when the block ends, rolls back when it raises."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_only(engine: Engine) -> Iterator[Session]:
    """A transaction for reading only: on SQLite it does not take the write lock and is rolled back; on PostgreSQL it
    is a READ ONLY transaction (a write in it fails) that ends with COMMIT.

    COMMIT, not ROLLBACK, on PostgreSQL: psycopg forgets every statement it has prepared on a connection at each
    ROLLBACK, and the page reads that end a desk's every rerun would make each handover plan its statements anew
    (the rollups' one statement: 0.9 ms of planning; a committed handover after committed reads is 1.35× the bare
    UPDATE + INSERT, after rolled-back reads 1.9×). A read-only COMMIT writes nothing."""
    options: dict[str, Any] = {READ_ONLY_OPTION: True}
    postgresql = engine.dialect.name == "postgresql"
    if postgresql:
        options["postgresql_readonly"] = True
    with Session(engine.execution_options(**options), expire_on_commit=False) as session:
        yield session
        if postgresql:
            session.commit()


def rows_changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it matched.

    Session.execute is typed as returning a plain Result; for these statements it is a CursorResult, which counts."""
    result = cast("CursorResult[Any]", session.execute(statement))
    return result.rowcount
