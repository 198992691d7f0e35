"""The store's command line: schema upgrade, and init-site as the documented start of a real pickup point."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from sqlalchemy import inspect, select

from db.__main__ import main
from db.accounts import sign_in_organizer
from db.clock import utc_now
from db.engine import PROJECT_DIR, make_engine, unit_of_work
from db.migrate import current_heads
from db.models import Site, Volunteer

PASSWORD = "a-long-secret"


def init_site(database_url: str, monkeypatch: pytest.MonkeyPatch, *, code: str, username: str,
              password: str = PASSWORD) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main([
        "init-site", "--code", code, "--name", "天山二村买菜点", "--organizer-name", "王秀英", "--username", username,
        "--phone", "13800138000", "--password-stdin", "--database-url", database_url,
    ])


def test_upgrade_creates_the_schema(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upgrade", "--database-url", database_url]) == 0
    engine = make_engine(database_url)
    try:
        assert "orders" in inspect(engine).get_table_names()
        assert ", ".join(current_heads(engine)) in capsys.readouterr().out
    finally:
        engine.dispose()


def test_init_site_then_the_organizer_signs_in(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert init_site(database_url, monkeypatch, code="ts2", username="Wang") == 0
    assert "TS2" in capsys.readouterr().out
    engine = make_engine(database_url)
    try:
        signed_in = sign_in_organizer(engine, username="wang", password=PASSWORD, now=utc_now())
        assert signed_in.roles == {"organizer", "receiving", "handout", "cold_check"}
        with unit_of_work(engine) as session:
            assert session.scalar(select(Site.code)) == "TS2"
            assert session.scalar(select(Volunteer.name)) == "王秀英"
    finally:
        engine.dispose()


def test_init_site_refuses_a_taken_code_or_a_short_password(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert init_site(database_url, monkeypatch, code="TS2", username="wang") == 0
    assert init_site(database_url, monkeypatch, code="TS2", username="liming") == 1
    assert "TS2 is already taken" in capsys.readouterr().err
    assert init_site(database_url, monkeypatch, code="TS3", username="liming", password="short") == 1
    assert "at least 8 characters" in capsys.readouterr().err
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            # Refusals leave nothing behind: not the site, not the volunteer.
            assert list(session.scalars(select(Site.code))) == ["TS2"]
            assert len(list(session.scalars(select(Volunteer.id)))) == 1
    finally:
        engine.dispose()


def test_init_site_asks_twice_and_refuses_different_passwords(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]  # noqa: ANN001
) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt="": next(answers))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    code = main(["init-site", "--code", "TS2", "--name", "点", "--organizer-name", "王", "--username", "wang",
                 "--database-url", url])
    assert code == 1
    assert "differ" in capsys.readouterr().err


def test_module_runs_from_a_shell_and_usage_errors_exit_2(tmp_path) -> None:  # noqa: ANN001
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'shell.db'}"}
    done = subprocess.run([sys.executable, "-m", "db", "upgrade"], cwd=PROJECT_DIR, env=environment,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "schema at revision" in done.stdout
    with pytest.raises(SystemExit) as exit_info:
        main(["init-site", "--code", "X"])
    assert exit_info.value.code == 2

