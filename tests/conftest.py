"""Shared fixtures: a fresh migrated store on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import datetime as dt
import logging
import os
import pathlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from db.cold_chain.units import create_storage_unit
from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, normalize_url, unit_of_work
from db.core.migrate import upgrade_to_head
from db.orders.lifecycle import ItemSpec, create_order
from db.people.accounts import SignedIn, create_organizer_account, create_volunteer
from db.people.sites import create_site
from db.roster.shifts import create_shift, sign_up

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


# --- App data for page and browser tests: one small pickup point, built through the store. ---

APP_VOLUNTEER_PIN = "2468"
APP_ORGANIZER_USERNAME = "organizer"
APP_ORGANIZER_PASSWORD = "basket-demo"


@dataclass(frozen=True)
class AppData:
    """A prepared SQLite file and who is in it."""

    url: str
    site_id: int
    volunteer: SignedIn  # handout + receiving, PIN 2468
    organizer: SignedIn  # organizer role, username + password (and PIN 2468)


def build_app_database(path: pathlib.Path) -> AppData:
    """Site TS2 with a fridge, a freezer and a shelf, one volunteer and one organizer, a shift and an order."""
    url = f"sqlite:///{path}"
    store = make_engine(url)
    upgrade_to_head(store)
    with unit_of_work(store) as session:
        site = create_site(session, code="TS2", name="天山二村", address="天山路", now=NOW)
        for code, kind, slots in (("F1", "fridge", 6), ("Z1", "freezer", 4), ("S1", "shelf", 10)):
            create_storage_unit(session, site_id=site.id, code=code, name=code, kind=kind, slot_count=slots, now=NOW)
        volunteer = create_volunteer(
            session,
            site_id=site.id,
            name="王阿姨",
            phone="13812345678",
            roles=("handout", "receiving"),
            pin=APP_VOLUNTEER_PIN,
            now=NOW,
        )
        organizer = create_volunteer(
            session,
            site_id=site.id,
            name="李主任",
            phone="13900001111",
            roles=("organizer", "handout"),
            pin=APP_VOLUNTEER_PIN,
            now=NOW,
        )
        create_organizer_account(
            session,
            volunteer_id=organizer.id,
            username=APP_ORGANIZER_USERNAME,
            password=APP_ORGANIZER_PASSWORD,
            now=NOW,
        )
        create_order(
            session,
            site_id=site.id,
            platform="多多买菜",
            order_number="A-1",
            pickup_code="8-123",
            resident_name="张先生",
            phone="13700002222",
            delivery_date=local_today(),
            items=[ItemSpec(product="鸡蛋", quantity=1, storage_class="chilled")],
            now=NOW,
        )
        # Dated from the real clock, so the pages' "next two weeks" tables have a row to show.
        tomorrow = utc_now() + dt.timedelta(days=1)
        shift = create_shift(
            session,
            site_id=site.id,
            role="handout",
            starts_at=tomorrow,
            ends_at=tomorrow + dt.timedelta(hours=3),
            min_staff=1,
            max_staff=2,
            now=NOW,
        )
        sign_up(session, shift_id=shift.id, volunteer_id=volunteer.id, now=NOW)
        ids = (site.id, volunteer.id, organizer.id)
    store.dispose()  # closes the WAL, so the file can be copied whole
    site_id, volunteer_id, organizer_id = ids
    return AppData(
        url=url,
        site_id=site_id,
        volunteer=SignedIn(
            volunteer_id=volunteer_id, name="王阿姨", site_id=site_id, roles=frozenset({"handout", "receiving"})
        ),
        organizer=SignedIn(
            volunteer_id=organizer_id, name="李主任", site_id=site_id, roles=frozenset({"organizer", "handout"})
        ),
    )


@pytest.fixture(scope="session")
def app_database(tmp_path_factory: pytest.TempPathFactory) -> AppData:
    """Built once per test run; tests that only read share it."""
    return build_app_database(tmp_path_factory.mktemp("app") / "app.db")


@pytest.fixture
def app_database_copy(app_database: AppData, tmp_path: pathlib.Path) -> AppData:
    """A private copy for a test that writes (sign-in attempts, state changes)."""
    target = tmp_path / "app.db"
    shutil.copyfile(app_database.url.removeprefix("sqlite:///"), target)
    return replace(app_database, url=f"sqlite:///{target}")


# --- Real browser: Debian's Chromium through Playwright, and the app served by `streamlit run`. ---


@pytest.fixture(scope="session")
def chromium():  # noqa: ANN201 - a playwright Browser; playwright may not be installed
    """One headless Chromium per test run; skipped (or failed under REQUIRE_BROWSER=1) when unavailable."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS, browser_missing

    reason = browser_missing()
    if reason is not None:
        skip_or_fail(reason, required_by="REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def app_server(app_database_copy: AppData, tmp_path: pathlib.Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port over a private copy of the app database; yields its base URL."""
    from browser_support import streamlit_server

    with streamlit_server(app_database_copy.url, log_path=tmp_path / "streamlit.log") as base_url:
        yield base_url
