"""The app's store: one migrated engine per process and database URL, plus a unit of work for pages."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.core.clock import local_today
from db.core.engine import (
    DEFAULT_SQLITE_PATH,
    database_url,
    is_embedded_default,
    make_engine,
    read_only,
    unit_of_work,
)
from db.core.migrate import upgrade_to_head
from db.people.sites import count_sites

# URLs whose engine this process has built (migrated, and seeded when it is the demo file): the shell shows the
# first page and a progress message before it builds one, instead of a blank screen.
_READY: set[str] = set()


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    # Keyed on the URL so tests (and a changed DATABASE_URL) get their own engine in the same process.
    engine = make_engine(url)
    upgrade_to_head(engine)
    if is_embedded_default(url):
        _fill_demo_if_empty(engine)
    _READY.add(url)
    return engine


def engine_ready() -> bool:
    """The store is migrated (and the demo built) in this process: `get_engine()` returns at once."""
    return database_url() in _READY


def builds_demo() -> bool:
    """The first start of the embedded database: no file yet, so `get_engine()` will build the demo (seconds)."""
    return is_embedded_default(database_url()) and not DEFAULT_SQLITE_PATH.exists()


def _fill_demo_if_empty(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        empty = count_sites(session) == 0
    if empty:
        # Imported here: only the embedded demo database needs the seed (and Faker).
        from seed.demo import seed_demo_if_empty

        seed_demo_if_empty(engine, today=local_today())


def get_engine() -> Engine:
    """The engine for `DATABASE_URL` (or the embedded file), migrated to head on first use."""
    return _engine_for(database_url())


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction on the app's store for a change: committed at the end, rolled back on an error.

    Every page writes through here, so this is the one place that tells the cached figures to read afresh."""
    with unit_of_work(get_engine()) as session:
        yield session
    changed()


@contextmanager
def bookkeeping_scope() -> Iterator[Session]:
    """A transaction for writes that change no figure (failed tries, sign-in sessions): cached figures stay, so
    a stream of lookups or tablet heartbeats cannot keep every dashboard cold."""
    with unit_of_work(get_engine()) as session:
        yield session


@contextmanager
def read_scope() -> Iterator[Session]:
    """A transaction for reading only: never takes SQLite's write lock, so it never makes a tablet wait."""
    with read_only(get_engine()) as session:
        yield session


# Report figures are read at most this often per site and day; a write through `changed()` clears them sooner.
REPORT_TTL = dt.timedelta(seconds=30)


@st.cache_data(ttl=REPORT_TTL, show_spinner=False, max_entries=500)
def _cached_read(url: str, function: str, arguments: tuple[tuple[str, Any], ...]) -> Any:
    # Keyed on the URL too: tests (and a changed DATABASE_URL) in one process must not share figures.
    module, name = function.rsplit(".", 1)
    with read_only(_engine_for(url)) as session:
        return getattr(importlib.import_module(module), name)(session, **dict(arguments))


def cached_read(function: Callable[..., Any], **arguments: Any) -> Any:
    """`function(session, **arguments)` (a reading function of db/) through a short-lived cache shared by every
    browser session; its name and the arguments (site, days, a `now` rounded to the minute) are the key."""
    name = f"{function.__module__}.{function.__qualname__}"
    return _cached_read(database_url(), name, tuple(sorted(arguments.items())))


def changed() -> None:
    """Cached figures are read afresh on their next use; `session_scope` calls this after each commit."""
    _cached_read.clear()
