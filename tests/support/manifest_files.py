"""Manifest files built by the tests, never committed: a valid workbook, and the broken and hostile ones.

The hostile ones are the attacker's findings in issue 11 rebuilt small: a malformed cell reference, a zip bomb
(a few KB that unpack to more than the limit of sheet XML), and a zip whose directory understates a part's size.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

HEADER = ["平台", "订单号", "提货码", "收货人", "手机号", "商品", "数量", "储存", "到货日期", "地址"]
SHEET = "xl/worksheets/sheet1.xml"


def xlsx_bytes(rows: Sequence[Sequence[Any]], *, header: Sequence[Any] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_part(data: bytes, name: str = SHEET) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def replace_part(data: bytes, content: bytes, *, name: str = SHEET) -> bytes:
    """The same workbook with one part's content replaced (a fresh zip: sizes and checksums are right)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            target.writestr(part.filename, content if part.filename == name else source.read(part))
    return out.getvalue()


def malformed_reference_xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    """A workbook whose second row's first cell is `1A` instead of `A2`: openpyxl raises ValueError on it."""
    data = xlsx_bytes(rows)
    sheet = read_part(data)
    assert b'r="A2"' in sheet
    return replace_part(data, sheet.replace(b'r="A2"', b'r="1A"', 1))


def zip_bomb_xlsx(unpacked_bytes: int, rows: Sequence[Sequence[Any]] = ()) -> bytes:
    """A valid workbook whose sheet XML is padded with `unpacked_bytes` of blanks inside <sheetData>: highly
    compressible, so the file stays small. Streamed into the zip, never held whole in memory."""
    data = xlsx_bytes(rows)
    head, tail = read_part(data).split(b"<sheetData>", 1)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            if part.filename != SHEET:
                target.writestr(part.filename, source.read(part))
                continue
            with target.open(SHEET, "w") as sheet:
                sheet.write(head + b"<sheetData>")
                blanks = b" " * (1024 * 1024)
                for _ in range(unpacked_bytes // len(blanks) + 1):
                    sheet.write(blanks)
                sheet.write(tail)
    return out.getvalue()


def understate_size(data: bytes, declared: int, *, name: str = SHEET) -> bytes:
    """The zip with one part's uncompressed size rewritten to `declared` in its local header and in the central
    directory: a zip that lies about how much it holds."""
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = archive.getinfo(name)
    # Local file header: the uncompressed size is at byte 22.
    assert patched[part.header_offset : part.header_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<I", patched, part.header_offset + 22, declared)
    # Central directory entry: the uncompressed size at byte 24, the name's length at 28, the name from 46.
    start = 0
    while (start := patched.find(b"PK\x01\x02", start)) != -1:
        (name_length,) = struct.unpack_from("<H", patched, start + 28)
        if patched[start + 46 : start + 46 + name_length] == name.encode():
            struct.pack_into("<I", patched, start + 24, declared)
            return bytes(patched)
        start += 4
    raise AssertionError(f"{name} not in the central directory")
