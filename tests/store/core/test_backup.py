"""Backup and restore: consistent while another process writes, verified on restore, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, MetaData, select, text

from cli.main import main
from db.cold_chain.temperatures import record_temperature
from db.core.backup import TRANSIENT_TABLES, make_backup, restore_backup
from db.core.engine import PROJECT_DIR, make_engine, unit_of_work
from db.core.errors import DatabaseNotEmpty, StoreError
from db.core.migrate import upgrade_to_head
from db.core.models import Event, Order
from seed.demo import seed_demo
from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.store import make_world

# Started by module name from the project folder, so it imports db/ and tests/ as the tests do.
WRITER = "tests.support.backup_writer"
DEMO_DAY = dt.date(2026, 11, 25)


# --- helpers ---


@pytest.fixture
def target_url(database_url: str, request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[str]:
    """A second empty database of the same kind as `database_url`, to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url, admin = create_postgres_database(request.getfixturevalue("postgres_server"))
    try:
        yield url
    finally:
        drop_postgres_database(admin, url)


def table_rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table (columns by name, rows sorted), comparable across SQLite and PostgreSQL."""
    with engine.connect() as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        rows = {}
        for table in metadata.sorted_tables:
            if table.name in TRANSIENT_TABLES:
                continue
            names = sorted(table.columns.keys())
            found = connection.execute(select(*(table.c[name] for name in names))).all()
            rows[table.name] = sorted((tuple(_hashable(value) for value in row) for row in found), key=repr)
        return rows


def _hashable(value: object) -> object:
    # JSON values (an event's before/after) as canonical text, so rows can go in sets.
    return json.dumps(value, sort_keys=True, ensure_ascii=False) if isinstance(value, dict | list) else value


def assert_consistent(engine: Engine) -> None:
    """Each order's status is the one its newest event left it in; every item has its order."""
    with unit_of_work(engine) as session:
        if engine.dialect.name == "sqlite":
            assert session.execute(text("PRAGMA foreign_key_check")).all() == []
        orders = {order.id: order.status for order in session.scalars(select(Order))}
        latest: dict[int, str] = {}
        for event in session.scalars(select(Event).where(Event.entity == "order").order_by(Event.id)):
            if event.after and "status" in event.after:
                latest[event.entity_id] = event.after["status"]
        assert {order_id: latest.get(order_id, "expected") for order_id in orders} == orders


class Writer:
    """backup_writer.py in its own OS process, creating and handing over orders until told to stop."""

    def __init__(self, url: str, *, site_id: int, volunteer_id: int, folder: pathlib.Path) -> None:
        self.log, self.stop_file = folder / "committed.log", folder / "stop"
        self.log.touch()
        self.process = subprocess.Popen(
            [sys.executable, "-m", WRITER, url, str(site_id), str(volunteer_id), str(self.log), str(self.stop_file)],
            cwd=PROJECT_DIR,
            stderr=subprocess.PIPE,
            text=True,
        )

    def committed(self) -> set[str]:
        return {line for line in self.log.read_text(encoding="utf-8").splitlines() if line}

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.committed()) < count:
            assert self.process.poll() is None, self.process.stderr.read()
            assert time.monotonic() < deadline, "the writer is not writing"
            time.sleep(0.05)

    def stop(self) -> None:
        self.stop_file.touch()
        _, errors = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, errors


def backup_while_writing(url: str, tmp_path: pathlib.Path, *, kind: str, name: str) -> tuple[object, set[str]]:
    """A backup taken while another process commits orders; returns it and the orders committed before it."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    world = make_world(engine, now=dt.datetime.now(dt.UTC), shelf_slots=4)
    writer = Writer(url, site_id=world.site_id, volunteer_id=world.volunteer_id, folder=tmp_path)
    try:
        writer.wait_for(15)
        before = writer.committed()
        summary = make_backup(engine, path=tmp_path / name, kind=kind)
        # The writer went on after the backup: the source now holds orders the backup cannot have.
        writer.wait_for(len(writer.committed()) + 5)
    finally:
        writer.stop()
        engine.dispose()
    return summary, before


def restored_order_numbers(engine: Engine) -> set[str]:
    with unit_of_work(engine) as session:
        return set(session.scalars(select(Order.order_number)))


# --- under writes, each kind on each database ---


@pytest.mark.parametrize("kind", ["native", "portable"])
def test_backup_while_another_process_writes_restores_every_committed_order(
    database_url: str, target_url: str, tmp_path: pathlib.Path, kind: str
) -> None:
    native = "sqlite" if database_url.startswith("sqlite") else "pg_dump"
    chosen = native if kind == "native" else "portable"
    summary, committed_before = backup_while_writing(database_url, tmp_path, kind=chosen, name="backup.bin")
    assert summary.kind == chosen and summary.tables

    target = make_engine(target_url)
    source = make_engine(database_url)
    try:
        restored = restore_backup(target, path=summary.path)
        # The restore checked every table against the backup; the counts it verified are the backup's own.
        backed_up = [table for table in summary.tables if table.name not in TRANSIENT_TABLES]
        assert list(restored.tables) == backed_up
        numbers = restored_order_numbers(target)
        assert committed_before <= numbers
        assert numbers < restored_order_numbers(source)
        assert_consistent(target)
        # Row by row against the source: rows never changed after their insert are identical, and every
        # handed-over order (its last state) is the source's row as it is now.
        now_rows, then_rows = table_rows(source), table_rows(target)
        for table in ("events", "items", "sites", "slots", "volunteers", "storage_units"):
            assert set(then_rows[table]) <= set(now_rows[table]), table
        with unit_of_work(target) as session:
            done = {order.id for order in session.scalars(select(Order).where(Order.status == "picked_up"))}
        assert done
        id_at = sorted(Order.__table__.columns.keys()).index("id")
        assert {row for row in then_rows["orders"] if row[id_at] in done} <= set(now_rows["orders"])
        if chosen == "sqlite":
            # The SQLite backup is a database file: the restored store equals it row by row.
            backup_file = make_engine(f"sqlite:///{summary.path}")
            try:
                assert then_rows == table_rows(backup_file)
            finally:
                backup_file.dispose()
        # After a restore the app goes on writing: identity sequences continue after the restored ids.
        with unit_of_work(target) as session:
            session.add(
                Event(
                    site_id=None,
                    actor_id=None,
                    action="backup.made",
                    entity="database",
                    entity_id=None,
                    happened_at=dt.datetime.now(dt.UTC),
                )
            )
    finally:
        target.dispose()
        source.dispose()


# --- exact round trip, across databases ---


def rich_store(url: str) -> Engine:
    """The demo pickup point plus values that are easy to get wrong: microseconds, negative floats, NULLs, emoji."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    seed_demo(engine, today=DEMO_DAY)
    with unit_of_work(engine) as session:
        freezer = session.execute(text("SELECT id FROM storage_units WHERE kind = 'freezer'")).scalar_one()
        volunteer = session.execute(text("SELECT id FROM volunteers ORDER BY id")).scalars().first()
        record_temperature(
            session,
            storage_unit_id=freezer,
            reading_c=-18.25,
            volunteer_id=volunteer,
            corrective_action="关门 🚪，10 分钟后复测",
            taken_at=dt.datetime(2026, 11, 25, 1, 2, 3, 456789, tzinfo=dt.UTC),
            now=dt.datetime(2026, 11, 25, 1, 2, 4, 999, tzinfo=dt.UTC),
        )
    return engine


def test_a_portable_archive_moves_the_store_to_the_other_database_row_for_row(
    database_url: str, request: pytest.FixtureRequest, tmp_path: pathlib.Path
) -> None:
    source = rich_store(database_url)
    if database_url.startswith("sqlite"):
        other_url, admin = create_postgres_database(request.getfixturevalue("postgres_server"))
    else:
        other_url, admin = f"sqlite:///{tmp_path / 'moved.db'}", None
    target = make_engine(other_url)
    try:
        summary = make_backup(source, path=tmp_path / "move.zip")
        assert summary.kind == "portable"
        restored = restore_backup(target, path=summary.path)
        assert restored.tables == summary.tables
        assert table_rows(target) == table_rows(source)
        manifest = json.loads(zipfile.ZipFile(summary.path).read("manifest.json"))
        assert [entry["rows"] for entry in manifest["tables"]] == [table.rows for table in summary.tables]
        assert manifest["skipped_transient"] == sorted(TRANSIENT_TABLES) and manifest["schema_revision"]
    finally:
        target.dispose()
        source.dispose()
        if admin is not None:
            drop_postgres_database(admin, other_url)


# --- refusals ---


def small_backup(engine: Engine, tmp_path: pathlib.Path, *, name: str = "small.zip") -> pathlib.Path:
    make_world(engine, now=dt.datetime(2026, 11, 25, 2, tzinfo=dt.UTC))
    return make_backup(engine, path=tmp_path / name).path


def test_a_target_holding_data_is_refused_unless_forced(
    engine: Engine, target_url: str, tmp_path: pathlib.Path
) -> None:
    path = small_backup(engine, tmp_path)
    target = make_engine(target_url)
    try:
        restore_backup(target, path=path)
        with unit_of_work(target) as session:
            session.execute(text("UPDATE sites SET name = '改过的名字'"))
        with pytest.raises(DatabaseNotEmpty) as refusal:
            restore_backup(target, path=path)
        assert refusal.value.params["rows"] > 0 and "sites" in refusal.value.params["tables"]
        with unit_of_work(target) as session:
            assert session.execute(text("SELECT name FROM sites")).scalar_one() == "改过的名字"
        # --force drops the tables (events too, whose rows may never be deleted one by one) and restores.
        replaced = restore_backup(target, path=path, force=True)
        assert replaced.replaced_rows > 0
        assert table_rows(target) == table_rows(engine)
    finally:
        target.dispose()


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not_a_backup", "manifest_lies"])
def test_a_damaged_archive_is_refused_and_nothing_is_kept(
    engine: Engine, target_url: str, tmp_path: pathlib.Path, damage: str
) -> None:
    path = small_backup(engine, tmp_path)
    data = path.read_bytes()
    broken = tmp_path / "broken.zip"
    if damage == "truncated":
        broken.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        # A byte inside the events' rows: the member's CRC no longer matches.
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("tables/events.jsonl")
        at = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
        broken.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    elif damage == "not_a_backup":
        broken.write_bytes(b"order,phone\n1,13800000000\n")
    else:
        with zipfile.ZipFile(path) as archive, zipfile.ZipFile(broken, "w") as copy:
            for item in archive.infolist():
                content = archive.read(item)
                if item.filename == "manifest.json":
                    manifest = json.loads(content)
                    manifest["tables"][0]["rows"] += 1
                    content = json.dumps(manifest).encode()
                copy.writestr(item, content)
    target = make_engine(target_url)
    try:
        with pytest.raises(StoreError) as refusal:
            restore_backup(target, path=broken)
        assert refusal.value.key in ("error.backup_unreadable", "error.backup_not_verified")
        with unit_of_work(target) as session:
            tables = (
                session.execute(text("SELECT count(*) FROM sites")).scalar_one()
                if damage in ("flipped", "manifest_lies")
                else 0
            )
        assert tables == 0
    finally:
        target.dispose()


# --- the command line ---


def test_cli_backup_and_restore(
    engine: Engine, database_url: str, target_url: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_world(engine, now=dt.datetime(2026, 11, 25, 2, tzinfo=dt.UTC))
    path = tmp_path / "cli.zip"
    assert main(["backup", str(path), "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    transient = ", ".join(sorted(TRANSIENT_TABLES))
    assert "backup written" in out and "orders" in out and f"not backed up (transient): {transient}" in out
    # The same path twice: refused, the first backup untouched.
    assert main(["backup", str(path), "--database-url", database_url]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["restore", str(path), "--database-url", target_url]) == 0
    assert "every table below matches" in capsys.readouterr().out
    assert main(["restore", str(path), "--database-url", target_url]) == 1
    refused = capsys.readouterr().err
    assert "--force" in refused and "\\" not in refused  # plain text for a terminal: no Markdown escapes
    assert main(["restore", str(path), "--force", "--database-url", target_url]) == 0
    captured = capsys.readouterr()
    assert "--force: dropping" in captured.err and "replaced" in captured.out
    assert main(["restore", str(tmp_path / "missing.zip"), "--database-url", target_url]) == 2
    refused = capsys.readouterr().err
    assert "cannot be read" in refused and f"{tmp_path / 'missing.zip'}" in refused and "\\" not in refused


def test_cli_runs_from_a_shell_and_bad_paths_exit_2_without_a_traceback(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup and its restore from a shell (`python -m db`, which only hands over to cli.main's `main`); the bad
    paths through that same `main` in this process, where an exception would fail the test as a traceback would
    show in a shell (a shell's start costs about 4 s of CPU: the app's imports)."""
    url = f"sqlite:///{tmp_path / 'shell.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    make_world(engine, now=dt.datetime(2026, 11, 25, 2, tzinfo=dt.UTC))
    engine.dispose()
    (tmp_path / "garbage.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "db", *arguments], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60
        )

    done = run("backup", str(tmp_path / "daily.db"), "--database-url", url)
    assert done.returncode == 0, done.stderr
    for arguments in (
        ["backup", str(tmp_path / "no" / "folder.db"), "--database-url", url],
        ["restore", str(tmp_path / "garbage.db"), "--database-url", f"sqlite:///{tmp_path / 'r.db'}"],
        ["restore", str(tmp_path), "--database-url", f"sqlite:///{tmp_path / 'r.db'}"],
    ):
        capsys.readouterr()
        assert main(arguments) == 2, arguments
        refused = capsys.readouterr().err
        assert "Traceback" not in refused and refused.startswith("refused:"), refused
    done = run("restore", str(tmp_path / "daily.db"), "--database-url", f"sqlite:///{tmp_path / 'r.db'}")
    assert done.returncode == 0, done.stderr
