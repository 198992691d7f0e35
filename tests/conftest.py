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
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from argon2 import PasswordHasher
from sqlalchemy import make_url

import db.people.accounts as accounts
from db.core.engine import make_engine
from seed.demo import seed_demo
from tests.support.app_data import AppData, build_app_database
from tests.support.databases import (
    DEMO_DAY,
    create_postgres_database,
    drop_postgres_database,
    migrate_once,
    postgres_server_url,
    skip_or_fail,
    wait_for_dropped_databases,
)

# AppTest runs scripts without a browser session; this logger only says so, on every run.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True

TESTS = pathlib.Path(__file__).resolve().parent
# Folder under tests/ → the marker its tests get.
LAYER_MARKERS = {"pages": "page", "browser": "browser"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
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
    if getattr(config.option, "loadgroup", False):  # set on a pytest-xdist worker under --dist loadgroup
        group_by_xdist_group(items)


def group_by_xdist_group(items: list[pytest.Item]) -> None:
    """What pytest-xdist 3.8 means to do for `xdist_group`: suffix each test's id with its group, by which
    --dist loadgroup sends a group to one worker. Its own hook writes the id where pytest 9 no longer reads it
    (`_nodeid`; pytest 9 keeps it in `_id`), so without this every group was silently spread over the workers."""
    from _pytest.nodeid import coerce_node_id  # pytest 9's id type; xdist has no public way either

    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        nodeid = item.nodeid
        if names and nodeid.rfind("@") <= nodeid.rfind("]"):  # not yet suffixed (by a fixed xdist)
            item._id = coerce_node_id(f"{nodeid}@{'_'.join(sorted(names))}")  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def keep_the_main_module() -> Iterator[None]:
    """AppTest runs a page as the module `__main__` and leaves it in sys.modules. multiprocessing's spawn re-runs the
    parent's `__main__` in each child, so a test spawning processes after a page test on the same worker had each
    child run that page (app.py: three children migrating the default database at once, one crashing on a table
    already there, the others waiting for it at their start barrier until the test's 300 s ran out). The worker's own
    main module is put back after every test."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """TEST_DATABASE_URL: a server the tests may create databases on; skipped (failed under REQUIRE_POSTGRES=1)
    when unset. At the end of the run it waits until the databases the tests left to drop are gone."""
    url = postgres_server_url()
    if url is None:
        skip_or_fail("TEST_DATABASE_URL is not set: PostgreSQL tests skipped", required_by="REQUIRE_POSTGRES")
    yield url
    wait_for_dropped_databases()


# --- Migrated databases to copy: the migrations run once per test run (per xdist worker), not once per test. ---


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A SQLite file at the newest revision and nothing else in it; copy it (`shutil.copyfile`), never open it."""
    path = tmp_path_factory.mktemp("migrated") / "store.db"
    migrate_once(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres_template(postgres_server: str) -> Iterator[str]:
    """The name of a PostgreSQL database at the newest revision, for `create_postgres_database(template=...)`;
    nobody connects to it after it is migrated (a template must have no connections), and it is dropped at the end."""
    url, admin = create_postgres_database(postgres_server)
    try:
        migrate_once(url)
        yield str(make_url(url).database)
    finally:
        drop_postgres_database(admin, url)


@pytest.fixture(scope="session")
def demo_sqlite_file(migrated_sqlite_file: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The seeded demo (`seed_demo`, seed 0, for DEMO_DAY) in a SQLite file, built once per run; copy it, never open
    it. Its tests share an `xdist_group` ("seed_demo"), so that one worker builds it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(migrated_sqlite_file, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        seed_demo(engine, today=DEMO_DAY, seed=0)
    finally:
        engine.dispose()
    return path


# --- Passwords and PINs: argon2 at its lowest cost in tests, production's cost in the one test that asks for it. ---

PRODUCTION_HASHER = accounts._hasher
# The smallest parameters argon2 accepts (memory_cost is in KiB, at least 8 per lane): ~0.1 ms a hash instead of
# ~0.2-0.8 s. A hash carries its own parameters, so checking one made here costs as little, in any process
# (the `streamlit run` of the browser tests verifies these hashes with its own production-cost hasher).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", CHEAP_HASHER)
        accounts._dummy_hash.cache_clear()
        yield
    accounts._dummy_hash.cache_clear()


@pytest.fixture
def production_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[PasswordHasher]:
    """The hasher production builds (`PasswordHasher()`, argon2's defaults), for a test that checks its cost."""
    monkeypatch.setattr(accounts, "_hasher", PRODUCTION_HASHER)
    accounts._dummy_hash.cache_clear()
    yield PRODUCTION_HASHER
    accounts._dummy_hash.cache_clear()


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
