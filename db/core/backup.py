"""Backup and restore of the whole store: a consistent copy while the app writes, restored into an empty database and
verified table by table against the backup's row counts and checksums."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import functools
import hashlib
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from alembic.util import CommandError
from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, func, inspect, select, text, types
from sqlalchemy.engine import URL
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session

from db.core.clock import utc_now
from db.core.engine import READ_ONLY_OPTION
from db.core.errors import BackupFailed, BackupNotVerified, BackupUnreadable, DatabaseNotEmpty
from db.core.events import record_event
from db.core.migrate import downgrade_to, upgrade_to, upgrade_to_head
from db.core.models import Base

# Rows not worth keeping in a portable archive: failed tries age out within a day; sign-ins must not come back
# to life from an old backup (restoring signs everyone out); the lookup key is made afresh on first use; the
# channels' secrets (webhook keys, SMS access keys) are never written to a file: after a restore, enter them again.
TRANSIENT_TABLES = frozenset({"lookup_attempts", "login_sessions", "app_secrets", "channel_secrets"})
VERSION_TABLE = "alembic_version"
KINDS = ("sqlite", "pg_dump", "portable")
ARCHIVE_FORMAT = "cloudbasket-backup"
ARCHIVE_VERSION = 1
MANIFEST_NAME = "manifest.json"
PG_DUMP_NAME = "database.pgdump"
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"
BATCH_ROWS = 2_000
CHECKSUM_RULE = "sum of the SHA-256 of each row's JSON line, modulo 2**256 (row order does not matter)"
_CHECKSUM_MODULUS = 2**256
# What a broken archive raises while it is read: a bad CRC, a cut-off deflate stream, a damaged JSON line.
_ARCHIVE_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError, OSError)


@dataclass(frozen=True)
class TableCount:
    name: str
    rows: int
    checksum: str


@dataclass(frozen=True)
class BackupSummary:
    kind: str
    path: pathlib.Path
    created_at: dt.datetime
    revision: tuple[str, ...]
    tables: tuple[TableCount, ...]
    skipped: tuple[str, ...]
    size_bytes: int
    seconds: float
    note: str | None = None  # why pg_dump was not used when it was the first choice

    @property
    def total_rows(self) -> int:
        return sum(table.rows for table in self.tables)


@dataclass(frozen=True)
class RestoreSummary:
    kind: str
    revision: tuple[str, ...]  # the backup's schema revision; the database is at `head` afterwards
    head: tuple[str, ...]
    tables: tuple[TableCount, ...]  # verified: the restored rows match these counts and checksums
    skipped: tuple[str, ...]
    replaced_rows: int  # rows the target held before a forced restore
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(table.rows for table in self.tables)


# --- one row as a line of JSON: the archive's format, and what the checksums are taken over ---


def _type_tag(column_type: types.TypeEngine[Any]) -> str:
    for kind, tag in (
        (types.Boolean, "bool"),
        (types.JSON, "json"),
        (types.DateTime, "datetime"),
        (types.Date, "date"),
        (types.Time, "time"),
        (types.Float, "float"),
        (types.Numeric, "decimal"),
        (types.Integer, "int"),
        (types.LargeBinary, "bytes"),
        (types.String, "str"),
    ):
        if isinstance(column_type, kind):
            return tag
    return "plain"


def _encode(tag: str, value: Any) -> Any:
    if value is None:
        return None
    if tag in ("datetime", "date", "time"):
        return value.isoformat()
    if tag == "decimal":
        return str(value)
    if tag == "bytes":
        return base64.b64encode(value).decode("ascii")
    if tag == "float":
        return float(value)
    if tag == "int":
        return int(value)
    if tag == "bool":
        return bool(value)
    return value


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "decimal": decimal.Decimal,
    "bytes": base64.b64decode,
}


def _decode(tag: str, value: Any) -> Any:
    return None if value is None else _DECODERS.get(tag, lambda same: same)(value)


def _line(values: list[Any]) -> bytes:
    # sort_keys orders the keys inside JSON values, so the same row gives the same line on either database.
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class _Tally:
    """Row count and an order-free checksum, so SQLite and PostgreSQL (whose text orders differ) agree."""

    def __init__(self, name: str) -> None:
        self.name, self.rows, self._sum = name, 0, 0

    def add(self, line: bytes) -> None:
        self.rows += 1
        self._sum = (self._sum + int.from_bytes(hashlib.sha256(line).digest(), "big")) % _CHECKSUM_MODULUS

    def result(self) -> TableCount:
        return TableCount(self.name, self.rows, f"{self._sum:064x}")


# --- reading a database ---


def _tables(connection: Connection) -> list[Table]:
    """The app's tables present in this database, in the models' dependency order, then the schema revision."""
    present = set(inspect(connection).get_table_names())
    names = [table.name for table in Base.metadata.sorted_tables if table.name in present]
    if VERSION_TABLE in present:
        names.append(VERSION_TABLE)
    metadata = MetaData()
    metadata.reflect(connection, only=names)
    return [metadata.tables[name] for name in names]


def _columns(table: Table) -> list[tuple[str, str]]:
    return [(column.name, _type_tag(column.type)) for column in table.columns]


def _encoded_lines(connection: Connection, table: Table, columns: list[tuple[str, str]]) -> Iterator[bytes]:
    order = list(table.primary_key.columns) or [table.c[name] for name, _ in columns]
    query = select(*(table.c[name] for name, _ in columns)).order_by(*order).execution_options(yield_per=BATCH_ROWS)
    for row in connection.execute(query):
        yield _line([_encode(tag, value) for (_, tag), value in zip(columns, row, strict=True)])


def _count(connection: Connection, table: Table, columns: list[tuple[str, str]]) -> TableCount:
    tally = _Tally(table.name)
    for line in _encoded_lines(connection, table, columns):
        tally.add(line)
    return tally.result()


def _revision(connection: Connection) -> tuple[str, ...]:
    if VERSION_TABLE not in inspect(connection).get_table_names():
        return ()
    return tuple(sorted(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()))


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction: every table is read as it was at one moment, and no writer waits for it."""
    if engine.dialect.name == "postgresql":
        options: dict[str, Any] = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    else:
        # A plain BEGIN under WAL: the snapshot is fixed at the first read and tablets keep writing.
        options = {READ_ONLY_OPTION: True}
    with engine.connect() as connection:
        connection = connection.execution_options(**options)
        with connection.begin():
            yield connection


# --- backup ---


def make_backup(
    engine: Engine, *, path: pathlib.Path, kind: str = "auto", now: dt.datetime | None = None
) -> BackupSummary:
    """Write a backup of the whole store to `path` (which must not exist yet) and return what it holds.

    `kind`: `sqlite` (a copy through SQLite's online backup API, usable as the app's file), `pg_dump` (PostgreSQL's
    own dump in an archive with a manifest), `portable` (a zip of every table as JSON Lines with a manifest; restores
    into either database), or `auto`: portable for a `.zip` path, else the database's own kind (portable when
    pg_dump is missing or of another major version than the server)."""
    path = pathlib.Path(path)
    if path.exists():
        raise BackupFailed("error.backup_exists", path=str(path))
    if not path.parent.is_dir():
        raise BackupFailed("error.backup_no_folder", path=str(path.parent))
    kind, note = _choose_kind(engine, path=path, kind=kind)
    created_at = now or utc_now()
    started = time.perf_counter()
    # Written beside the target and renamed when complete: a cut-off backup never carries the final name.
    # mkstemp makes the file readable by its owner only; the backup holds residents' names and phone numbers.
    handle, partial_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    partial = pathlib.Path(partial_name)
    try:
        writer = {"sqlite": _write_sqlite, "pg_dump": _write_pg_dump, "portable": _write_portable}[kind]
        revision, tables, skipped = writer(engine, partial, created_at)
        os.replace(partial, path)
    except OSError as error:
        raise BackupFailed("error.backup_failed", detail=f"{error.strerror or error}") from error
    finally:
        partial.unlink(missing_ok=True)
    return BackupSummary(
        kind=kind,
        path=path,
        created_at=created_at,
        revision=revision,
        tables=tuple(tables),
        skipped=tuple(skipped),
        size_bytes=path.stat().st_size,
        seconds=time.perf_counter() - started,
        note=note,
    )


def _choose_kind(engine: Engine, *, path: pathlib.Path, kind: str) -> tuple[str, str | None]:
    dialect = engine.dialect.name
    automatic = kind == "auto"
    if automatic:
        kind = "portable" if path.suffix.lower() == ".zip" else ("sqlite" if dialect == "sqlite" else "pg_dump")
    if kind not in KINDS:
        raise BackupFailed("error.backup_failed", detail=f"unknown kind {kind}")
    if (kind == "sqlite" and dialect != "sqlite") or (kind == "pg_dump" and dialect != "postgresql"):
        raise BackupFailed("error.backup_kind_mismatch", kind=kind, database=dialect)
    if kind == "pg_dump":
        unusable = _pg_dump_unusable(engine)
        if unusable is not None:
            if not automatic:
                raise BackupFailed("error.backup_failed", detail=unusable)
            return "portable", f"{unusable}: wrote a portable archive instead"
    return kind, None


def _write_sqlite(
    engine: Engine, partial: pathlib.Path, created_at: dt.datetime
) -> tuple[tuple[str, ...], list[TableCount], list[str]]:
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupFailed("error.backup_failed", detail="an in-memory database has no file to copy")
    if not pathlib.Path(source_path).is_file():
        # sqlite3.connect would create an empty file and back that up.
        raise BackupFailed("error.backup_failed", detail=f"no database file {source_path}")
    source = sqlite3.connect(source_path, timeout=15)
    try:
        target = sqlite3.connect(partial)
        try:
            # All pages in one step, under one read transaction: a snapshot even while tablets write.
            source.backup(target)
            # One self-contained file: nothing of it lives in a -wal file beside it.
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    except sqlite3.Error as error:
        raise BackupFailed("error.backup_failed", detail=str(error)) from error
    finally:
        source.close()
    # The counts are read back from the copy, so they describe the file that was written.
    with _sqlite_file(partial) as copy, copy.connect() as connection:
        _check_sqlite(connection, partial)
        tables = _tables(connection)
        return _revision(connection), [_count(connection, table, _columns(table)) for table in tables], []


def _write_portable(
    engine: Engine, partial: pathlib.Path, created_at: dt.datetime
) -> tuple[tuple[str, ...], list[TableCount], list[str]]:
    entries, counts = [], []
    with (
        _snapshot(engine) as connection,
        zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
    ):
        tables = _tables(connection)
        revision = _revision(connection)
        for table in tables:
            if table.name in TRANSIENT_TABLES:
                continue
            columns = _columns(table)
            member = f"tables/{table.name}.jsonl"
            tally = _Tally(table.name)
            with archive.open(member, "w", force_zip64=True) as out:
                batch: list[bytes] = []
                for line in _encoded_lines(connection, table, columns):
                    tally.add(line)
                    batch.append(line)
                    if len(batch) >= BATCH_ROWS:
                        out.write(b"\n".join(batch) + b"\n")
                        batch.clear()
                if batch:
                    out.write(b"\n".join(batch) + b"\n")
            counts.append(tally.result())
            entries.append(_manifest_entry(counts[-1], columns=columns, file=member))
        skipped = sorted(TRANSIENT_TABLES & {table.name for table in tables})
        archive.writestr(MANIFEST_NAME, _manifest("portable", engine, created_at, revision, entries, skipped))
    return revision, counts, skipped


def _write_pg_dump(
    engine: Engine, partial: pathlib.Path, created_at: dt.datetime
) -> tuple[tuple[str, ...], list[TableCount], list[str]]:
    with _snapshot(engine) as connection, tempfile.TemporaryDirectory() as scratch:
        # pg_dump reads the very snapshot this transaction sees, so the manifest's counts describe the dump.
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        dump = pathlib.Path(scratch) / PG_DUMP_NAME
        _run_pg_tool(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={dump}",
                *(f"--exclude-table-data={name}" for name in sorted(TRANSIENT_TABLES)),
            ],
            url=engine.url,
            failure_key="error.backup_failed",
        )
        tables = _tables(connection)
        revision = _revision(connection)
        counts, entries = [], []
        for table in tables:
            if table.name in TRANSIENT_TABLES:
                continue
            columns = _columns(table)
            counts.append(_count(connection, table, columns))
            entries.append(_manifest_entry(counts[-1], columns=columns, file=None))
        skipped = sorted(TRANSIENT_TABLES & {table.name for table in tables})
        with zipfile.ZipFile(partial, "w") as archive:
            archive.write(dump, PG_DUMP_NAME, compress_type=zipfile.ZIP_STORED)  # already compressed
            archive.writestr(
                MANIFEST_NAME,
                _manifest("pg_dump", engine, created_at, revision, entries, skipped),
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return revision, counts, skipped


def _manifest_entry(count: TableCount, *, columns: list[tuple[str, str]], file: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": count.name,
        "rows": count.rows,
        "checksum": count.checksum,
        "columns": [[name, tag] for name, tag in columns],
    }
    if file is not None:
        entry["file"] = file
    return entry


def _manifest(
    kind: str,
    engine: Engine,
    created_at: dt.datetime,
    revision: tuple[str, ...],
    entries: list[dict[str, Any]],
    skipped: list[str],
) -> str:
    return json.dumps(
        {
            "format": ARCHIVE_FORMAT,
            "version": ARCHIVE_VERSION,
            "kind": kind,
            "created_at": created_at.astimezone(dt.UTC).isoformat(),
            "source": engine.dialect.name,
            "schema_revision": list(revision),
            "checksum": CHECKSUM_RULE,
            "skipped_transient": skipped,
            "tables": entries,
        },
        ensure_ascii=False,
        indent=1,
    )


# --- PostgreSQL's own tools ---


def _pg_dump_unusable(engine: Engine) -> str | None:
    """Why pg_dump cannot make this backup, or None: it must be installed and of the server's major version."""
    executable = shutil.which("pg_dump")
    if executable is None:
        return "pg_dump is not installed"
    version = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", version)
    with engine.connect() as connection:
        server = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10_000
    if match is None or int(match.group(1)) != server:
        return f"pg_dump {match.group(1) if match else '?'} does not match the server's version {server}"
    return None


def _run_pg_tool(arguments: list[str], *, url: URL, failure_key: str) -> None:
    executable = shutil.which(arguments[0])
    if executable is None:
        raise BackupFailed(failure_key, detail=f"{arguments[0]} is not installed")
    # The password goes through the environment, not the command line other users of the machine can read.
    environment = {**os.environ}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    dbname = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run(
        [executable, *arguments[1:], f"--dbname={dbname}"], env=environment, capture_output=True, text=True
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        last = lines[-1] if lines else f"exit {done.returncode}"
        first_error = next((line for line in lines if "error:" in line), last)
        raise BackupFailed(failure_key, detail=first_error)


# --- restore ---


def describe_target(engine: Engine) -> dict[str, int]:
    """Tables of the target database that hold rows (rows a forced restore would replace), by name."""
    with _snapshot(engine) as connection:
        occupied = {}
        for table in _tables(connection):
            if table.name in TRANSIENT_TABLES or table.name == VERSION_TABLE:
                continue
            rows = connection.scalar(select(func.count()).select_from(table)) or 0
            if rows:
                occupied[table.name] = rows
        return occupied


def restore_backup(engine: Engine, *, path: pathlib.Path, force: bool = False) -> RestoreSummary:
    """Restore the backup at `path` into the database of `engine`, which must hold no rows unless `force`.

    The target's schema is taken down (forced: its rows are lost) and built again by the migrations up to the
    backup's revision; the rows go in, in dependency order, in one transaction that is undone unless every table
    matches the backup's row count and checksum; then the migrations bring the schema to the newest revision."""
    path = pathlib.Path(path)
    started = time.perf_counter()
    try:
        with path.open("rb") as file:
            magic = file.read(16)
    except OSError as error:
        raise BackupUnreadable(path=str(path), detail=error.strerror or str(error)) from error
    if magic.startswith(SQLITE_MAGIC):
        restored = _restore_sqlite_file(engine, path=path, force=force)
    elif magic.startswith(ZIP_MAGIC):
        restored = _restore_archive(engine, path=path, force=force)
    else:
        raise BackupUnreadable(path=str(path), detail="neither a SQLite file nor a backup archive")
    upgrade_to_head(engine)
    with engine.connect() as connection:
        head = _revision(connection)
    return RestoreSummary(
        kind=restored.kind,
        revision=restored.revision,
        head=head,
        tables=tuple(restored.verified),
        skipped=tuple(restored.skipped),
        replaced_rows=restored.replaced,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class _Restored:
    """What one kind of backup put back, before the migrations bring the schema to the newest revision."""

    kind: str
    revision: tuple[str, ...]
    skipped: list[str]
    verified: list[TableCount]
    replaced: int


def _restore_sqlite_file(engine: Engine, *, path: pathlib.Path, force: bool) -> _Restored:
    """A backup that is a copy of a SQLite database: its tables are read as they are."""
    with _sqlite_file(path) as source, source.connect() as connection:
        _check_sqlite(connection, path)
        revision = _revision(connection)
        if not revision:
            raise BackupUnreadable(path=str(path), detail="not a Cloud Basket database (no schema revision)")
        tables = [table for table in _tables(connection) if table.name not in TRANSIENT_TABLES]
        plan = [
            _Incoming(
                table.name, _columns(table), None, functools.partial(_encoded_lines, connection, table, _columns(table))
            )
            for table in tables
        ]
        skipped = sorted(TRANSIENT_TABLES & set(inspect(connection).get_table_names()))
        verified, replaced = _restore_rows(engine, path=path, revision=revision, plan=plan, force=force)
    return _Restored("sqlite", revision, skipped, verified, replaced)


def _restore_archive(engine: Engine, *, path: pathlib.Path, force: bool) -> _Restored:
    """A backup archive: a pg_dump, or per-table lines with the manifest's counts and checksums."""
    with _open_archive(path) as (archive, manifest):
        revision = tuple(manifest["schema_revision"])
        skipped = list(manifest["skipped_transient"])
        kind = manifest["kind"]
        if kind == "pg_dump":
            verified, replaced = _restore_pg_dump(engine, path=path, archive=archive, manifest=manifest, force=force)
        else:
            plan = [
                _Incoming(
                    entry["name"],
                    [tuple(column) for column in entry["columns"]],
                    TableCount(entry["name"], entry["rows"], entry["checksum"]),
                    functools.partial(_archive_lines, archive, path, entry["file"]),
                )
                for entry in manifest["tables"]
            ]
            verified, replaced = _restore_rows(engine, path=path, revision=revision, plan=plan, force=force)
    return _Restored(kind, revision, skipped, verified, replaced)


@dataclass(frozen=True)
class _Incoming:
    """One table of the backup: its columns, the manifest's count (None: take it from the rows read) and its lines."""

    name: str
    columns: list[tuple[str, str]]
    expected: TableCount | None
    lines: Callable[[], Iterator[bytes]]


def _restore_rows(
    engine: Engine, *, path: pathlib.Path, revision: tuple[str, ...], plan: list[_Incoming], force: bool
) -> tuple[list[TableCount], int]:
    replaced = _clear_target(engine, force=force)
    _migrate_to(engine, revision=revision)
    failed = []
    with engine.connect() as connection, connection.begin():
        target = {table.name: table for table in _tables(connection)}
        verified = []
        for incoming in plan:
            table = target.get(incoming.name)
            missing = [name for name, _ in incoming.columns if table is None or name not in table.c]
            if table is None or missing:
                raise BackupNotVerified(tables=f"{incoming.name} ({', '.join(missing)})")
            read = _Tally(incoming.name)
            # The migrations wrote the schema revision; its rows are only compared.
            if incoming.name != VERSION_TABLE:
                _insert(connection, table, incoming, read, path=path)
            else:
                for line in incoming.lines():
                    read.add(line)
            expected = incoming.expected or read.result()
            actual = _count(connection, table, incoming.columns)
            if actual != expected or read.result() != expected:
                failed.append(incoming.name)
            verified.append(expected)
        if failed:
            # Raised inside the transaction: nothing of the restore is kept.
            raise BackupNotVerified(tables=", ".join(failed))
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, list(target.values()))
    return verified, replaced


def _insert(connection: Connection, table: Table, incoming: _Incoming, read: _Tally, *, path: pathlib.Path) -> None:
    batch: list[dict[str, Any]] = []
    try:
        for line in incoming.lines():
            read.add(line)
            values = json.loads(line)
            batch.append(
                {name: _decode(tag, value) for (name, tag), value in zip(incoming.columns, values, strict=True)}
            )
            if len(batch) >= BATCH_ROWS:
                connection.execute(table.insert(), batch)
                batch.clear()
        if batch:
            connection.execute(table.insert(), batch)
    except _ARCHIVE_DAMAGE as error:
        raise BackupUnreadable(path=str(path), detail=f"{incoming.name}: {error}") from error
    except IntegrityError as error:
        # Rows the schema refuses were not written by this app's backup as they are now.
        raise BackupNotVerified(tables=f"{incoming.name} ({error.orig})") from error


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """Rows came in with their ids; the identity sequences must start after the largest, or the next insert fails."""
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": quote(table.name), "column": column.name},
            )
            if sequence is not None:
                connection.execute(
                    text(
                        f"SELECT setval(:sequence, COALESCE(MAX({quote(column.name)}), 0) + 1, false)"
                        f" FROM {quote(table.name)}"
                    ),
                    {"sequence": sequence},
                )


def _clear_target(engine: Engine, *, force: bool) -> int:
    """Refuse a target holding rows unless forced; then take its schema down so the migrations build it afresh."""
    occupied = describe_target(engine)
    if occupied and not force:
        raise DatabaseNotEmpty(rows=sum(occupied.values()), tables=", ".join(sorted(occupied)))
    try:
        # The migrations' own downgrades also drop what they made besides tables (the events trigger function).
        downgrade_to(engine, revision="base")
    except CommandError as error:
        raise BackupFailed("error.restore_failed", detail=f"the target database: {error}") from error
    # Alembic leaves its empty version table behind; a pg_dump brings its own.
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
    return sum(occupied.values())


def _migrate_to(engine: Engine, *, revision: tuple[str, ...]) -> None:
    try:
        for each in revision:
            upgrade_to(engine, revision=each)
    except CommandError as error:
        raise BackupUnreadable("error.backup_unknown_revision", revision=", ".join(revision)) from error


def _restore_pg_dump(
    engine: Engine, *, path: pathlib.Path, archive: zipfile.ZipFile, manifest: dict[str, Any], force: bool
) -> tuple[list[TableCount], int]:
    if engine.dialect.name != "postgresql":
        raise BackupUnreadable("error.backup_needs_postgres", path=str(path))
    with tempfile.TemporaryDirectory() as scratch:
        try:
            dump = archive.extract(PG_DUMP_NAME, scratch)
        except _ARCHIVE_DAMAGE as error:
            raise BackupUnreadable(path=str(path), detail=str(error)) from error
        replaced = _clear_target(engine, force=force)
        _run_pg_tool(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", dump],
            url=engine.url,
            failure_key="error.restore_failed",
        )
    expected = [TableCount(entry["name"], entry["rows"], entry["checksum"]) for entry in manifest["tables"]]
    with _snapshot(engine) as connection:
        tables = {table.name: table for table in _tables(connection)}
        failed = [
            entry["name"]
            for entry, count in zip(manifest["tables"], expected, strict=True)
            if entry["name"] not in tables
            or _count(connection, tables[entry["name"]], [tuple(c) for c in entry["columns"]]) != count
        ]
    if failed:
        # pg_restore has committed: take the unverified rows out again rather than leave them.
        downgrade_to(engine, revision="base")
        raise BackupNotVerified(tables=", ".join(failed))
    return expected, replaced


# --- reading backup files ---


@contextmanager
def _sqlite_file(path: pathlib.Path) -> Iterator[Engine]:
    """A read-only engine on a SQLite file (a backup, or the copy just written)."""
    engine = create_engine(f"sqlite:///file:{pathlib.Path(path).resolve()}?mode=ro&uri=true")
    try:
        yield engine
    finally:
        engine.dispose()


def _check_sqlite(connection: Connection, path: pathlib.Path) -> None:
    try:
        result = connection.exec_driver_sql("PRAGMA quick_check").scalars().all()
    except DatabaseError as error:
        raise BackupUnreadable(path=str(path), detail=str(error.orig)) from error
    if result != ["ok"]:
        raise BackupUnreadable(path=str(path), detail="; ".join(result[:3]))


@contextmanager
def _open_archive(path: pathlib.Path) -> Iterator[tuple[zipfile.ZipFile, dict[str, Any]]]:
    try:
        archive = zipfile.ZipFile(path)
    except _ARCHIVE_DAMAGE as error:
        raise BackupUnreadable(path=str(path), detail=str(error)) from error
    with archive:
        try:
            manifest = json.loads(archive.read(MANIFEST_NAME))
        except KeyError as error:
            raise BackupUnreadable(path=str(path), detail=f"no {MANIFEST_NAME}: not a Cloud Basket backup") from error
        except _ARCHIVE_DAMAGE as error:
            raise BackupUnreadable(path=str(path), detail=f"{MANIFEST_NAME}: {error}") from error
        problem = _manifest_problem(manifest, names=set(archive.namelist()))
        if problem is not None:
            raise BackupUnreadable(path=str(path), detail=problem)
        yield archive, manifest


def _manifest_problem(manifest: Any, *, names: set[str]) -> str | None:
    if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
        return "not a Cloud Basket backup"
    if manifest.get("version") != ARCHIVE_VERSION:
        return f"archive version {manifest.get('version')} is not {ARCHIVE_VERSION}"
    if manifest.get("kind") not in ("portable", "pg_dump") or not manifest.get("schema_revision"):
        return "the manifest names no kind or schema revision"
    if manifest["kind"] == "pg_dump" and PG_DUMP_NAME not in names:
        return f"{PG_DUMP_NAME} is missing"
    for entry in manifest.get("tables") or []:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("rows"), int)
            and entry.get("checksum")
            and entry.get("columns")
        ):
            return "a table in the manifest has no count, checksum or columns"
        if manifest["kind"] == "portable" and entry.get("file") not in names:
            return f"{entry.get('name')}: its rows are missing from the archive"
    if not manifest.get("tables"):
        return "the manifest lists no tables"
    return None


def _archive_lines(archive: zipfile.ZipFile, path: pathlib.Path, member: str) -> Iterator[bytes]:
    try:
        with archive.open(member) as rows:
            for line in rows:
                if line.strip():
                    yield line.rstrip(b"\n")
    except _ARCHIVE_DAMAGE as error:
        raise BackupUnreadable(path=str(path), detail=f"{member}: {error}") from error


# --- the organizer page's record of who took the residents' data home ---


def record_backup_download(
    session: Session, *, site_id: int, actor_id: int, summary: BackupSummary, now: dt.datetime
) -> None:
    """An event: a backup holds every resident's name and phone number, so who made one is on the record."""
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="backup.made",
        entity="database",
        entity_id=None,
        now=now,
        after={"count": summary.total_rows, "kind": summary.kind},
    )
