"""Browser-test fixtures: one headless Chromium per run, `streamlit run app.py` per test, the counter tablet's page."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from tests.support.app_data import AppData, fill_app_database
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, browser_missing, enroll_as_tablet, streamlit_server
from tests.support.databases import create_postgres_database, drop_postgres_database, skip_or_fail


@pytest.fixture(scope="session")
def chromium():  # a playwright Browser; playwright may not be installed
    """One headless Chromium per test run (per xdist worker); skipped (or failed under REQUIRE_BROWSER=1) when
    unavailable."""
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
    with streamlit_server(app_database_copy.url, log_path=tmp_path / "streamlit.log") as base_url:
        yield base_url


@pytest.fixture
def page(chromium, app_server: str, app_database_copy: AppData):  # playwright objects
    # The counter's 10-inch tablet in landscape, enrolled by the organizer.
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    enroll_as_tablet(
        context, base_url=app_server, database_url=app_database_copy.url, site_id=app_database_copy.site_id
    )
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


@pytest.fixture
def postgres_app_database(postgres_server: str) -> Iterator[AppData]:
    """The app database in a new PostgreSQL database (dropped afterwards), for several app processes at once."""
    url, admin = create_postgres_database(postgres_server)
    try:
        yield fill_app_database(url)
    finally:
        drop_postgres_database(admin, url)
