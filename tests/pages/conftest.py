"""Page-test fixtures: the app's environment pointed at the shared app database, or at a private copy to write."""

from __future__ import annotations

import pytest

from tests.support.app_data import AppData


@pytest.fixture
def app_env(app_database: AppData, monkeypatch: pytest.MonkeyPatch) -> AppData:
    monkeypatch.setenv("DATABASE_URL", app_database.url)
    monkeypatch.delenv("APP_LANG", raising=False)
    return app_database


@pytest.fixture
def writable_app_env(app_database_copy: AppData, monkeypatch: pytest.MonkeyPatch) -> AppData:
    monkeypatch.setenv("DATABASE_URL", app_database_copy.url)
    monkeypatch.delenv("APP_LANG", raising=False)
    return app_database_copy
