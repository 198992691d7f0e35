"""The app's store: one migrated engine per process and database URL, plus a unit of work for pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.clock import local_today
from db.engine import database_url, is_embedded_default, make_engine, read_only, unit_of_work
from db.migrate import upgrade_to_head
from db.sites import count_sites


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    # Keyed on the URL so tests (and a changed DATABASE_URL) get their own engine in the same process.
    engine = make_engine(url)
    upgrade_to_head(engine)
    if is_embedded_default(url):
        _fill_demo_if_empty(engine)
    return engine


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
    """One transaction on the app's store for a change: committed at the end, rolled back on an error."""
    with unit_of_work(get_engine()) as session:
        yield session


@contextmanager
def read_scope() -> Iterator[Session]:
    """A transaction for reading only: never takes SQLite's write lock, so it never makes a tablet wait."""
    with read_only(get_engine()) as session:
        yield session
