"""The store's command line: schema upgrade, and init-site as the documented start of a real pickup point."""

from __future__ import annotations

import io
import os
import pathlib
import subprocess
import sys
import time

import pytest
from sqlalchemy import delete, inspect, select

from cli.main import main
from db.core.clock import local_today, utc_now
from db.core.engine import PROJECT_DIR, make_engine, unit_of_work
from db.core.migrate import current_heads
from db.core.models import DeliveryRollup, Order, Site, Volunteer
from db.orders.manifest import MAX_FILE_BYTES, MAX_XLSX_UNPACKED_BYTES
from db.people.accounts import Client, sign_in_organizer
from tests.support.manifest_files import malformed_reference_xlsx, zip_bomb_xlsx
from tests.support.store_reads import read_rollups
from ui.i18n import translate

PASSWORD = "a-long-secret"


def init_site(
    database_url: str, monkeypatch: pytest.MonkeyPatch, *, code: str, username: str, password: str = PASSWORD
) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(
        [
            "init-site",
            "--code",
            code,
            "--name",
            "天山二村买菜点",
            "--organizer-name",
            "王秀英",
            "--username",
            username,
            "--phone",
            "13800138000",
            "--password-stdin",
            "--database-url",
            database_url,
        ]
    )


def test_upgrade_creates_the_schema(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upgrade", "--database-url", database_url]) == 0
    engine = make_engine(database_url)
    try:
        assert "orders" in inspect(engine).get_table_names()
        assert ", ".join(current_heads(engine)) in capsys.readouterr().out
    finally:
        engine.dispose()


def test_init_site_then_the_organizer_signs_in(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init_site(database_url, monkeypatch, code="ts2", username="Wang") == 0
    assert "TS2" in capsys.readouterr().out
    engine = make_engine(database_url)
    try:
        signed_in = sign_in_organizer(
            engine, username="wang", password=PASSWORD, client=Client(address="local"), now=utc_now()
        )
        assert signed_in.roles == {"organizer", "receiving", "handout", "cold_check"}
        with unit_of_work(engine) as session:
            assert session.scalar(select(Site.code)) == "TS2"
            assert session.scalar(select(Volunteer.name)) == "王秀英"
    finally:
        engine.dispose()


def test_init_site_refuses_a_taken_code_or_a_short_password(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
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
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda _prompt="": next(answers))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    code = main(
        [
            "init-site",
            "--code",
            "TS2",
            "--name",
            "点",
            "--organizer-name",
            "王",
            "--username",
            "wang",
            "--database-url",
            url,
        ]
    )
    assert code == 1
    assert "differ" in capsys.readouterr().err


def test_module_runs_from_a_shell_and_usage_errors_exit_2(tmp_path) -> None:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'shell.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "db", "upgrade"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "schema at revision" in done.stdout
    with pytest.raises(SystemExit) as exit_info:
        main(["init-site", "--code", "X"])
    assert exit_info.value.code == 2


MANIFEST_HEADER = "平台,订单号,提货码,收货人,手机号,商品,数量,储存,到货日期"
# The command checks delivery dates against the real local day, so the rows are dated from it.
TODAY = local_today().isoformat()
MANIFEST_ROWS = [
    f"多多买菜,DD1,1001,李四,13800138000,大米,1,常温,{TODAY}",
    f"多多买菜,DD2,1002,王五,13900139000,牛奶,2,冷藏,{TODAY}",
]


def import_manifest(database_url: str, tmp_path, *rows: str, lang: str = "en") -> int:
    path = tmp_path / "manifest.csv"
    path.write_text("\n".join([MANIFEST_HEADER, *rows]) + "\n", encoding="gbk")
    return main(["import-manifest", str(path), "--site", "ts2", "--database-url", database_url, "--lang", lang])


def test_import_manifest_exit_codes(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert init_site(database_url, monkeypatch, code="TS2", username="wang") == 0
    capsys.readouterr()
    assert import_manifest(database_url, tmp_path, *MANIFEST_ROWS) == 0
    assert "Imported 2 orders (2 items)" in capsys.readouterr().out
    # The same file again: nothing changes, and it says so.
    assert import_manifest(database_url, tmp_path, *MANIFEST_ROWS) == 0
    assert "nothing changed" in capsys.readouterr().out
    # One good new order and one bad row: 1, and the bad row is named with its number and reason.
    bad = f"多多买菜,DD4,1004,赵六,13700137000,鸡蛋,0,常温,{TODAY}"
    assert (
        import_manifest(
            database_url, tmp_path, f"多多买菜,DD3,1003,钱七,13600136000,面条,1,常温,{TODAY}", bad, lang="zh-CN"
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "已导入 1 个订单" in out and "第 3 行：数量 0 应在 1 到 999 之间。" in out
    # A missing value is named by its heading in the reader's language.
    assert import_manifest(database_url, tmp_path, f"多多买菜,DD5,1005,孙八,,面条,1,常温,{TODAY}", lang="zh-CN") == 2
    assert "第 2 行：缺少“手机”。" in capsys.readouterr().out
    assert import_manifest(database_url, tmp_path, f"多多买菜,DD5,1005,孙八,,面条,1,常温,{TODAY}") == 2
    assert "“Phone” is missing." in capsys.readouterr().out
    # Every row rejected: 2.
    assert import_manifest(database_url, tmp_path, bad) == 2
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            assert sorted(session.scalars(select(Order.order_number))) == ["DD1", "DD2", "DD3"]
    finally:
        engine.dispose()


def test_import_manifest_unreadable_file_or_unknown_site_exits_2(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert init_site(database_url, monkeypatch, code="TS2", username="wang") == 0
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["import-manifest", str(empty), "--site", "TS2", "--database-url", database_url, "--lang", "en"]) == 2
    assert "The file is empty." in capsys.readouterr().err
    missing = tmp_path / "columns.csv"
    missing.write_text("平台,订单号\n多多买菜,DD1\n", encoding="utf-8")
    assert (
        main(["import-manifest", str(missing), "--site", "TS2", "--database-url", database_url, "--lang", "zh-CN"]) == 2
    )
    # Columns are named as the file's headings are, never as code words (`pickup_code`).
    assert "缺少 7 列：取货码、收货人、手机、商品、数量、储存类别、到货日期" in capsys.readouterr().err
    assert import_manifest(database_url, tmp_path, *MANIFEST_ROWS) == 0
    capsys.readouterr()
    assert (
        main(["import-manifest", str(tmp_path / "manifest.csv"), "--site", "NOPE", "--database-url", database_url]) == 2
    )
    assert (
        main(["import-manifest", str(tmp_path / "no-such.csv"), "--site", "TS2", "--database-url", database_url]) == 2
    )


def run_module(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """`python -m db …` from a shell: what an organizer sees, traceback or not."""
    return subprocess.run(
        [sys.executable, "-m", "db", *args, "--database-url", database_url],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.xdist_group("timed")  # a time limit: with the other timed tests on one pytest-xdist worker
def test_import_manifest_hostile_workbooks_exit_2_with_a_message_and_no_traceback(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
) -> None:
    # One language per store: the refusal comes before anything is written and its words depend on the language
    # alone, so English on SQLite and Chinese on PostgreSQL show both languages and both stores in four shells, not
    # eight (each shell costs the app's imports, about 4 s of CPU).
    lang = "en" if database_url.startswith("sqlite") else "zh-CN"
    assert init_site(database_url, monkeypatch, code="TS2", username="wang") == 0
    row = ["多多买菜", "DD1", "1001", "李四", "13800138000", "大米", 1, "常温", TODAY, ""]
    files = {
        "malformed.xlsx": (malformed_reference_xlsx([row]), translate(lang, "error.manifest_bad_xlsx")),
        "bomb.xlsx": (
            zip_bomb_xlsx(MAX_XLSX_UNPACKED_BYTES, rows=[row]),
            translate(lang, "error.manifest_xlsx_too_large", megabytes=MAX_XLSX_UNPACKED_BYTES // 2**20),
        ),
    }
    for name, (data, message) in files.items():
        (tmp_path / name).write_bytes(data)
        started = time.perf_counter()
        done = run_module(
            "import-manifest", str(tmp_path / name), "--site", "TS2", "--lang", lang, database_url=database_url
        )
        seconds = time.perf_counter() - started
        assert (done.returncode, done.stdout, done.stderr.strip()) == (2, "", message), name
        assert "Traceback" not in done.stderr
        assert seconds < 30, (name, seconds)  # the interpreter's start dominates; the refusal itself is milliseconds
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            assert list(session.scalars(select(Order.id))) == []
    finally:
        engine.dispose()


def test_import_manifest_unopenable_or_huge_file_is_refused_in_the_chosen_language(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert init_site(database_url, monkeypatch, code="TS2", username="wang") == 0
    capsys.readouterr()

    def run(path: pathlib.Path, lang: str) -> int:
        return main(["import-manifest", str(path), "--site", "TS2", "--database-url", database_url, "--lang", lang])

    assert run(tmp_path / "no-such.csv", "zh-CN") == 2
    assert capsys.readouterr().err.startswith(f"无法打开 {tmp_path / 'no-such.csv'}：")
    assert run(tmp_path, "en") == 2  # a folder
    assert capsys.readouterr().err.startswith(f"Cannot open {tmp_path}: ")
    # A sparse 1 GB file: refused after reading one byte past the limit, not the whole gigabyte.
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.truncate(2**30)
    assert run(huge, "en") == 2
    assert capsys.readouterr().err.strip() == translate(
        "en", "error.manifest_too_large", megabytes=MAX_FILE_BYTES // 2**20
    )


def test_import_manifest_dates_and_duplicates_are_named_per_row(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert init_site(database_url, monkeypatch, code="TS2", username="wang") == 0
    capsys.readouterr()
    assert (
        import_manifest(
            database_url,
            tmp_path,
            MANIFEST_ROWS[0],
            MANIFEST_ROWS[0],
            "多多买菜,DD9,1009,孙八,13500135000,面条,1,常温,9999-12-31",
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "Imported 1 order (1 item)" in out
    assert "row 3: Same as row 2: a repeated row is not imported a second time." in out
    assert "row 4: The delivery date 9999-12-31 is outside " in out


def test_rebuild_rollups_recounts_every_site_or_one_and_refuses_an_unknown_code(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert init_site(database_url, monkeypatch, code="TS2", username="wang") == 0
    assert import_manifest(database_url, tmp_path, *MANIFEST_ROWS) == 0
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            kept = read_rollups(session)
            # Lost rows (a bulk load, a hand edit) are what the command repairs. Two rows: ambient and chilled.
            session.execute(delete(DeliveryRollup))
        capsys.readouterr()
        assert main(["rebuild-rollups", "--database-url", database_url]) == 0
        assert "every site: delivery_rollups 2 rows, day_rollups 0 rows, hour_rollups 0 rows" in capsys.readouterr().out
        assert main(["rebuild-rollups", "--site", "ts2", "--database-url", database_url]) == 0
        assert "site TS2: delivery_rollups 2 rows" in capsys.readouterr().out
        with unit_of_work(engine) as session:
            assert read_rollups(session) == kept and kept["delivery_rollups"]
        assert main(["rebuild-rollups", "--site", "XX9", "--database-url", database_url]) == 1
        assert "no site has this code" in capsys.readouterr().err
    finally:
        engine.dispose()
