"""Browser-test fixtures: one headless Chromium per run, `streamlit run app.py` per test over a private copy of the
app database (`app_server`), one per module for a module whose tests write only what the others do not read
(`module_server`), and one per pytest-xdist worker for tests that only read (`shared_server`); the counter tablet's
page on each. A browser test that fails keeps a screenshot of each tab open at that moment."""

from __future__ import annotations

import pathlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from tests.support.app_data import AppData, fill_app_database
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_missing,
    enroll_as_tablet,
    screenshot_folder,
    streamlit_server,
)
from tests.support.databases import create_postgres_database, drop_postgres_database, skip_or_fail

# Where a failing test's screenshots go when CLOUD_BASKET_SCREENSHOTS is unset: the run's temporary folders.
FAILURE_SHOTS = pytest.StashKey[pytest.TempPathFactory]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """A test (or its fixtures) failing in Chromium: each open tab as it stands, before the fixtures close them. The
    step screenshots a test takes only when CLOUD_BASKET_SCREENSHOTS is set; this one is always there, and the
    report names the files."""
    report = yield
    browser = getattr(item, "funcargs", {}).get("chromium")
    if report.failed and report.when in ("setup", "call") and browser is not None:
        folder = screenshot_folder() or item.config.stash[FAILURE_SHOTS].mktemp("failed", numbered=True)
        kept = []
        for number, tab in enumerate(tab for context in browser.contexts for tab in context.pages):
            path = folder / f"{item.name[:80]}_{report.when}_{number}.png".replace("/", "_")
            try:
                tab.screenshot(path=str(path), timeout=10_000)
            except Exception as error:  # a tab that cannot draw any more: said, and the test's own failure stands
                kept.append(f"{path.name}: none ({type(error).__name__})")
            else:
                kept.append(str(path))
        report.sections.append(("screenshots of the open tabs", "\n".join(kept) or "no tab was open"))
    return report


@pytest.fixture(scope="session")
def chromium(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory):  # a playwright Browser
    """One headless Chromium per test run (per xdist worker); skipped (or failed under REQUIRE_BROWSER=1) when
    unavailable (playwright may not be installed)."""
    pytestconfig.stash[FAILURE_SHOTS] = tmp_path_factory
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


@contextmanager
def tablet_tab(chromium, base_url: str, data: AppData):  # playwright objects
    """The counter's 10-inch tablet in landscape, enrolled by the organizer: a browser context of its own."""
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    enroll_as_tablet(context, base_url=base_url, database_url=data.url, site_id=data.site_id)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(chromium, app_server: str, app_database_copy: AppData):  # playwright objects
    with tablet_tab(chromium, app_server, app_database_copy) as tab:
        yield tab


@pytest.fixture(scope="module")
def module_app_database(app_database: AppData, tmp_path_factory: pytest.TempPathFactory) -> AppData:
    """A copy of the app database shared by one module's tests (each adds only what the others do not read)."""
    target = tmp_path_factory.mktemp("module_app") / "app.db"
    shutil.copyfile(app_database.url.removeprefix("sqlite:///"), target)
    return replace(app_database, url=f"sqlite:///{target}")


@pytest.fixture(scope="module")
def module_server(module_app_database: AppData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `streamlit run app.py` for a whole module, over `module_app_database`. A module using it marks its
    tests with one `xdist_group`, so that they run on one pytest-xdist worker and start the server once."""
    log_path = tmp_path_factory.mktemp("module_server") / "streamlit.log"
    with streamlit_server(module_app_database.url, log_path=log_path) as base_url:
        yield base_url


@pytest.fixture
def module_tablet(chromium, module_server: str, module_app_database: AppData):  # playwright objects
    """The `page` fixture's counter tablet (a browser context of its own) on the module's server."""
    with tablet_tab(chromium, module_server, module_app_database) as tab:
        yield tab


@pytest.fixture(scope="session")
def shared_app_database(app_database: AppData, tmp_path_factory: pytest.TempPathFactory) -> AppData:
    """A copy of the app database for `shared_server`: the tests on it change nothing another test reads (their
    sign-ins and enrolled tablets are their own; nobody switches 长辈模式, hands over a bag or logs a reading there)."""
    target = tmp_path_factory.mktemp("shared_app") / "app.db"
    shutil.copyfile(app_database.url.removeprefix("sqlite:///"), target)
    return replace(app_database, url=f"sqlite:///{target}")


@pytest.fixture(scope="session")
def shared_server(shared_app_database: AppData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `streamlit run app.py` per pytest-xdist worker, started when a test first asks for it, for the tests that
    only read: each saves a server's start and its first page run (the app's imports), about 4 to 5 s of CPU.
    A test that writes what it or another test then reads takes `app_server` (or `module_server`) instead. The
    touch-target walk and the tablet's screens measure sizes as the sign-in page opens and keep servers of their
    own: on this one, after other tests, the walk once found the sign-in page's controls at their sizes without the
    app's style sheet (not seen on a server of its own), a cause not yet understood."""
    log_path = tmp_path_factory.mktemp("shared_server") / "streamlit.log"
    with streamlit_server(shared_app_database.url, log_path=log_path) as base_url:
        yield base_url


@pytest.fixture
def shared_tablet(chromium, shared_server: str, shared_app_database: AppData):  # playwright objects
    """The `page` fixture's counter tablet (a browser context of its own, a tablet enrolled for it) on the worker's
    shared server."""
    with tablet_tab(chromium, shared_server, shared_app_database) as tab:
        yield tab


@pytest.fixture
def postgres_app_database(postgres_server: str) -> Iterator[AppData]:
    """The app database in a new PostgreSQL database (dropped afterwards), for several app processes at once."""
    url, admin = create_postgres_database(postgres_server)
    try:
        yield fill_app_database(url)
    finally:
        drop_postgres_database(admin, url)
