"""The figures' cache per site (ui/store.py): a write at one site makes that site's figures and the district's read
afresh, while every other site's stay cached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

import db.reports.figures as figures
import ui.signed_in
from db.core.engine import make_engine, unit_of_work
from db.core.migrate import upgrade_to_head
from db.people.sites import create_site
from tests.support.databases import NOW
from ui.store import cached_read, session_scope

DAY = dt.date(2026, 11, 25)


@pytest.fixture
def sites(tmp_path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Two sites in a database of this test's own, which the app's store is pointed at."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        first = create_site(session, code="TS2", name="天山二村", now=NOW).id
        second = create_site(session, code="TS3", name="天山三村", now=NOW).id
    engine.dispose()
    return first, second


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, ...]]]:
    """The site ids of every read that reached the database (a cache miss)."""
    calls: list[tuple[int, ...]] = []
    original = figures.list_site_figures

    def counting(session, *, site_ids, day, now):
        calls.append(tuple(site_ids))
        return original(session, site_ids=site_ids, day=day, now=now)

    monkeypatch.setattr(figures, "list_site_figures", counting)
    yield calls


def read(*site_ids: int) -> None:
    # The module's function at the time of the read: the counting one while `reads` patches it.
    cached_read(figures.list_site_figures, site_ids=site_ids, day=DAY, now=NOW)


def read_all(first: int, second: int) -> None:
    read(first)
    read(second)
    read(first, second)


def test_a_write_at_one_site_rereads_that_site_and_the_district_only(sites, reads):
    first, second = sites
    read_all(first, second)
    read_all(first, second)
    assert reads == [(first,), (second,), (first, second)]  # the second round came from the cache

    reads.clear()
    with session_scope(site_id=first):
        pass
    read_all(first, second)
    assert reads == [(first,), (first, second)]  # the second site's figures stayed cached

    reads.clear()
    with session_scope(site_id=second):
        pass
    read_all(first, second)
    assert reads == [(second,), (first, second)]


def test_a_page_write_counts_for_the_site_the_page_works_on(sites, reads, monkeypatch: pytest.MonkeyPatch):
    first, second = sites
    read_all(first, second)
    reads.clear()
    monkeypatch.setattr(ui.signed_in, "current_user", lambda: object())
    monkeypatch.setattr(ui.signed_in, "acting_site_id", lambda: second)
    with session_scope():
        pass
    read_all(first, second)
    assert reads == [(second,), (first, second)]


def test_a_write_at_no_known_site_rereads_every_figure(sites, reads, monkeypatch: pytest.MonkeyPatch):
    first, second = sites
    read_all(first, second)
    reads.clear()
    monkeypatch.setattr(ui.signed_in, "current_user", lambda: None)
    with session_scope():
        pass
    read_all(first, second)
    assert reads == [(first,), (second,), (first, second)]
