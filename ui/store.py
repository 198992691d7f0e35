"""The app's store: one migrated engine per process and database URL, plus a unit of work for pages."""

from __future__ import annotations

import datetime as dt
import os
import threading
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
from ui.signed_in import working_site

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
def session_scope(*, site_id: int | None = None) -> Iterator[Session]:
    """One transaction on the app's store for a change: committed at the end, rolled back on an error.

    Every page writes through here, so this is the one place that tells the cached figures to read afresh: those of
    the site written (`site_id`, else the page's current site) and the district's, not every other site's."""
    with unit_of_work(get_engine()) as session:
        yield session
    changed(site_id=site_id if site_id is not None else working_site())


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


def _report_ttl() -> dt.timedelta:
    """30 s, or CLOUD_BASKET_REPORT_TTL_SECONDS (whole seconds, at least 1): how stale another app process's
    figures may be (a write clears only the cache of the process that made it)."""
    text = os.environ.get("CLOUD_BASKET_REPORT_TTL_SECONDS", "").strip()
    return dt.timedelta(seconds=max(int(text), 1) if text.isdigit() else 30)


# Report figures are read at most this often per site and day; a write in this process clears them sooner.
REPORT_TTL = _report_ttl()
# The generation counters' names besides a site's id: every read (ALL) and the reads of several sites (DISTRICT).
ALL = "all"
DISTRICT = "district"


class Generations:
    """Per site, how many writes this process has made there: part of the cache key of a cached read, so a write
    at one site makes only that site's figures (and the district's) read afresh."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[int | str, int] = {}

    def of(self, *names: int | str) -> tuple[int, ...]:
        with self._lock:
            return tuple(self._counts.get(name, 0) for name in names)

    def bump(self, *names: int | str) -> None:
        with self._lock:
            for name in names:
                self._counts[name] = self._counts.get(name, 0) + 1


@st.cache_resource(show_spinner=False)
def generations(url: str) -> Generations:
    """The generation counters of one database in this process (shared by every browser session)."""
    return Generations()


@st.cache_data(ttl=REPORT_TTL, show_spinner=False, max_entries=500)
def _cached_read(
    url: str,
    name: str,
    arguments: tuple[tuple[str, Any], ...],
    generation: tuple[int, ...],
    _function: Callable[..., Any],
) -> Any:
    # Keyed on the URL too: tests (and a changed DATABASE_URL) in one process must not share figures. `generation`
    # only keys: a write bumps it, and the next read misses the old entry (left to the TTL and max_entries). The
    # function is keyed by its `name` (module and qualified name); Streamlit leaves `_function` out of the key.
    with read_only(_engine_for(url)) as session:
        return _function(session, **dict(arguments))


def cached_read(function: Callable[..., Any], **arguments: Any) -> Any:
    """`function(session, **arguments)` (a reading function of db/) through a short-lived cache shared by every
    browser session; its name and the arguments (site, days, a `now` rounded to the minute) are the key, with the
    generation of the site read (`site_id`, or `site_ids` of one site); a read of several sites or of none depends
    on the district's generation, which every write bumps."""
    url = database_url()
    name = f"{function.__module__}.{function.__qualname__}"
    site = _single_site(arguments)
    generation = generations(url).of(ALL, DISTRICT if site is None else site)
    return _cached_read(url, name, tuple(sorted(arguments.items())), generation, function)


# A forecast is read at most once an hour per site (tomorrow's lines change slowly; a write at the desk every few
# seconds must not rebuild it): keyed on the hour the caller rounds `now` to, not on the site's generation.
HOURLY_TTL = dt.timedelta(hours=1)


@st.cache_data(ttl=HOURLY_TTL, show_spinner=False, max_entries=200)
def _hourly_read(url: str, name: str, arguments: tuple[tuple[str, Any], ...], _function: Callable[..., Any]) -> Any:
    with read_only(_engine_for(url)) as session:
        return _function(session, **dict(arguments))


def hourly_read(function: Callable[..., Any], **arguments: Any) -> Any:
    """`function(session, **arguments)` through a cache kept an hour and shared by every browser session, keyed on
    its name and arguments only (pass a `now` rounded to the hour or day): for the forecast, which writes do not
    clear — a manifest imported for tomorrow shows within the hour."""
    name = f"{function.__module__}.{function.__qualname__}"
    return _hourly_read(database_url(), name, tuple(sorted(arguments.items())), function)


# The forecast's recent error changes once a day and costs a few tenths of a second to work out: read once a day.
DAILY_TTL = dt.timedelta(days=1)


@st.cache_data(ttl=DAILY_TTL, show_spinner=False, max_entries=200)
def _daily_read(url: str, name: str, arguments: tuple[tuple[str, Any], ...], _function: Callable[..., Any]) -> Any:
    with read_only(_engine_for(url)) as session:
        return _function(session, **dict(arguments))


def daily_read(function: Callable[..., Any], **arguments: Any) -> Any:
    """As `hourly_read`, kept a day (pass a `now` rounded to the start of the site's day)."""
    name = f"{function.__module__}.{function.__qualname__}"
    return _daily_read(database_url(), name, tuple(sorted(arguments.items())), function)


def _single_site(arguments: dict[str, Any]) -> int | None:
    if arguments.get("site_id") is not None:
        return int(arguments["site_id"])
    site_ids = arguments.get("site_ids")
    if site_ids is not None and len(site_ids) == 1:
        return int(next(iter(site_ids)))
    return None


def changed(*, site_id: int | None = None) -> None:
    """Cached figures are read afresh on their next use in this process: the site's and the district's, or with no
    site every figure. `session_scope` calls this after each commit; other processes wait out REPORT_TTL."""
    names: tuple[int | str, ...] = (ALL,) if site_id is None else (site_id, DISTRICT)
    generations(database_url()).bump(*names)
