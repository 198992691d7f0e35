"""Shared fixtures and the layer markers.

Fixtures that more than one layer uses live here (the app database for page and browser tests, the PostgreSQL
server for store and browser tests); the others live in the conftest.py of their layer: store/ (`database_url`,
`engine`, `now`), pages/ (`app_env`), browser/ (`page`, `postgres_app_database`).
Helpers are in tests/support/. Markers are given here by folder and fixture, so a test never has to ask for one.
"""

from __future__ import annotations

import logging
import pathlib
import shutil
from dataclasses import replace

import pytest

from tests.support.app_data import AppData, build_app_database
from tests.support.databases import postgres_server_url, skip_or_fail

# AppTest runs scripts without a browser session; this logger only says so, on every run.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True

TESTS = pathlib.Path(__file__).resolve().parent
# Folder under tests/ → the marker its tests get.
LAYER_MARKERS = {"pages": "page", "browser": "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`browser` for tests/browser/ and whatever drives Chromium, `page` for tests/pages/, `postgres` for a test
    parametrized onto PostgreSQL (any parameter "postgresql") or asking for the server itself."""
    for item in items:
        layer = item.path.relative_to(TESTS).parts[0]
        if layer in LAYER_MARKERS:
            item.add_marker(LAYER_MARKERS[layer])
        if "chromium" in item.fixturenames and layer != "browser":
            item.add_marker("browser")
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and "postgresql" in callspec.params.values()
        if on_postgres or "postgres_server" in item.fixturenames:
            item.add_marker("postgres")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """TEST_DATABASE_URL: a server the tests may create databases on; skipped (failed under REQUIRE_POSTGRES=1)
    when unset."""
    url = postgres_server_url()
    if url is None:
        skip_or_fail("TEST_DATABASE_URL is not set: PostgreSQL tests skipped", required_by="REQUIRE_POSTGRES")
    return url


# --- App data for page and browser tests: one small pickup point, built through the store. ---


@pytest.fixture(scope="session")
def app_database(tmp_path_factory: pytest.TempPathFactory) -> AppData:
    """Built once per test run (once per xdist worker); tests that only read share it."""
    return build_app_database(tmp_path_factory.mktemp("app") / "app.db")


@pytest.fixture
def app_database_copy(app_database: AppData, tmp_path: pathlib.Path) -> AppData:
    """A private copy for a test that writes (sign-in attempts, state changes)."""
    target = tmp_path / "app.db"
    shutil.copyfile(app_database.url.removeprefix("sqlite:///"), target)
    return replace(app_database, url=f"sqlite:///{target}")
