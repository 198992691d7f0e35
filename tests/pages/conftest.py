"""Page-test fixtures: the app's environment pointed at the shared app database, or at a private copy to write."""

from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from tests.support.app_data import AppData
from tests.support.pages import Downloads


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


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Downloads:
    """Keeps each deferred download's function (see tests.support.pages.Downloads)."""
    kept = Downloads()
    register = MediaFileManager.add_deferred

    def add_deferred(manager: MediaFileManager, data_callable, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
        file_id = register(manager, data_callable, *args, **kwargs)
        kept.makers[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return kept
