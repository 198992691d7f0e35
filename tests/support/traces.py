"""Where a value (a purged resident's name, phone, address) still lives: in any column of any table of the store, in
the bytes of a file, or in a backup (tests/store/privacy/). A value is looked for as typed and as JSON writes it
with ASCII escapes (`\\u6b27…`, how SQLAlchemy stores a JSON column), so a name inside an event's before/after is
found too."""

from __future__ import annotations

import json
import pathlib
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, MetaData, select

from db.core.backup import MANIFEST_NAME, PG_DUMP_NAME


def _as_text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def columns_holding(
    engine: Engine, values: Iterable[str], *, except_rows: dict[str, set[int]] | None = None
) -> dict[str, set[str]]:
    """For each value, the `table.column` names of every table in the database (reflected, so a table the models
    forgot is read too) where some row's value contains it as text; rows named in `except_rows` (table → ids) are
    passed over. Empty sets: the value is nowhere."""
    wanted = list(values)
    passed_over = except_rows or {}
    found: dict[str, set[str]] = {value: set() for value in wanted}
    with engine.connect() as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        for table in metadata.sorted_tables:
            names = list(table.columns.keys())
            for row in connection.execute(select(*table.columns)):
                if row._mapping.get("id") in passed_over.get(table.name, set()):
                    continue
                for name, cell in zip(names, row, strict=True):
                    if cell is None:
                        continue
                    text = _as_text(cell)
                    for value in wanted:
                        if value in text:
                            found[value].add(f"{table.name}.{name}")
    return found


def encodings(value: str) -> list[bytes]:
    """The byte strings a stored value may take: UTF-8, and JSON's ASCII escapes of it."""
    forms = [value.encode("utf-8"), json.dumps(value)[1:-1].encode("ascii")]
    return list(dict.fromkeys(forms))


def bytes_holding(data: bytes, values: Iterable[str]) -> list[str]:
    """The values found in `data`, in any of their encodings."""
    return [value for value in values if any(form in data for form in encodings(value))]


def files_holding(paths: Iterable[pathlib.Path], values: Iterable[str]) -> dict[str, list[str]]:
    """For each file that exists, the values found in its raw bytes (a SQLite file, its -wal, a backup)."""
    wanted = list(values)
    return {path.name: bytes_holding(path.read_bytes(), wanted) for path in paths if path.exists()}


def backup_holding(path: pathlib.Path, values: Iterable[str]) -> dict[str, list[str]]:
    """The values found in a backup made by db.core.backup.make_backup: a SQLite file's bytes; each member of a zip
    archive uncompressed (a portable archive's tables, its manifest); a pg_dump archive's dump as the SQL
    `pg_restore` writes from it (the custom format compresses its data)."""
    wanted = list(values)
    data = path.read_bytes()
    if not zipfile.is_zipfile(path):
        return {path.name: bytes_holding(data, wanted)}
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            content = archive.read(member)
            if member == PG_DUMP_NAME:
                content = _restored_sql(content)
            found[member] = bytes_holding(content, wanted)
        assert MANIFEST_NAME in found
    return found


def _restored_sql(dump: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        dump_path = pathlib.Path(scratch) / PG_DUMP_NAME
        dump_path.write_bytes(dump)
        return subprocess.run(
            ["pg_restore", "--file=-", str(dump_path)], check=True, capture_output=True, timeout=60
        ).stdout
