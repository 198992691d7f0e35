"""Manifest import: read a platform's CSV/XLSX delivery list, check every row, import whole orders.

Reading and checking (`read_manifest`, `plan_import`) change nothing, so the page can show a preview;
`apply_import` writes the planned orders in one transaction.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from db.core.errors import ManifestUnreadable
from db.core.models import OPEN_ORDER_STATUSES, Event, Item, Order
from db.core.typed import decode_table_file, normalize_phone
from db.orders.lifecycle import MAX_QUANTITY, coldest_storage_class, normalize_pickup_code
from db.orders.rollups import OrderFacts, add_new_orders

# --- Limits: what a manifest may be. Every one is checked before the work it bounds, so a hostile file is refused
# in well under a second instead of keeping a page (or the command) busy for minutes. A pickup point's morning list
# is a few hundred to a few thousand rows: a 5,000-row export is 0.5 MB as CSV, 0.2 MB as XLSX, 2.7 MB of sheet XML
# unpacked; openpyxl reads about 3 MB of sheet XML a second, so the unpacked limit also bounds the slowest accepted
# read (about 8 s).
MAX_FILE_BYTES = 20 * 1024 * 1024  # the file as uploaded or named on the command line, CSV or XLSX
MAX_ROWS = 20_000  # lines below the header, blank ones included: the last row may be numbered MAX_ROWS + 1
MAX_COLUMNS = 100  # columns read from each line; headings further right are not looked at
MAX_XLSX_UNPACKED_BYTES = 25 * 1024 * 1024  # all parts of an XLSX together once unpacked (declared and real)
MAX_XLSX_PARTS = 1_000  # files inside the XLSX zip; Excel writes about a dozen
# Delivery dates accepted, counted from the importer's local today: a list imported late for bags still on the shelves
# (holds are days, 3 by default) up to pre-sale deliveries announced two weeks ahead. Further out is a typo or a
# wrong file (9999-12-31, 1900-01-01), and such an order would sit among the overdue ones or never show up.
DELIVERY_DAYS_BACK = 30
DELIVERY_DAYS_AHEAD = 14
_INFLATE_CHUNK = 1024 * 1024
# Longest value kept per field (the schema's column sizes).
FIELD_LIMITS = {
    "platform": 30,
    "order_number": 50,
    "pickup_code": 20,
    "resident_name": 50,
    "phone": 40,
    "product": 200,
    "address": 100,
    "quantity": 20,
    "storage_class": 20,
    "delivery_date": 40,
}
REQUIRED_FIELDS = (
    "platform",
    "order_number",
    "pickup_code",
    "resident_name",
    "phone",
    "product",
    "quantity",
    "storage_class",
    "delivery_date",
)
# Header spellings seen in platform exports, after normalizing (NFKC, lower case, no spaces).
HEADER_NAMES = {
    "platform": ("platform", "平台", "平台名称", "来源平台"),
    "order_number": ("ordernumber", "orderno", "orderid", "order", "订单号", "订单编号"),
    "pickup_code": ("pickupcode", "code", "提货码", "取货码"),
    "resident_name": ("residentname", "name", "收货人", "收货人姓名", "姓名"),
    "phone": ("phone", "phonenumber", "mobile", "手机号", "手机", "联系电话", "电话"),
    "product": ("product", "item", "商品", "商品名称", "品名"),
    "quantity": ("quantity", "qty", "数量", "件数"),
    "storage_class": ("storageclass", "storage", "储存", "储存类别", "存储方式", "温层"),
    "delivery_date": ("deliverydate", "date", "到货日期", "配送日期", "日期"),
    "address": ("address", "地址", "楼号房号", "收货地址"),
}
STORAGE_CLASS_NAMES = {
    "常温": "ambient",
    "ambient": "ambient",
    "冷藏": "chilled",
    "chilled": "chilled",
    "冷冻": "frozen",
    "frozen": "frozen",
}
_DATE_PATTERN = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+[\d:]+)?")


@dataclass(frozen=True)
class ManifestRow:
    number: int  # as the spreadsheet numbers it: the header is row 1
    values: dict[str, str]


@dataclass(frozen=True)
class ManifestTable:
    rows: list[ManifestRow]
    encoding: str


@dataclass(frozen=True)
class RejectedRow:
    number: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlannedOrder:
    platform: str
    order_number: str
    pickup_code: str
    resident_name: str
    phone: str
    address: str
    delivery_date: dt.date
    items: list[tuple[str, int, str]]
    rows: list[int]

    @property
    def storage_class(self) -> str:
        return coldest_storage_class([storage_class for _, _, storage_class in self.items])


@dataclass
class ImportPlan:
    orders: list[PlannedOrder]
    already_imported: int
    rejected: list[RejectedRow]

    @property
    def item_count(self) -> int:
        return sum(len(order.items) for order in self.orders)

    @property
    def rejected_rows(self) -> int:
        """How many rows were rejected (a row may have several faults, each in `rejected`)."""
        return len({row.number for row in self.rejected})


@dataclass(frozen=True)
class ImportResult:
    orders: int
    items: int
    already_imported: int
    rejected: list[RejectedRow]

    @property
    def rejected_rows(self) -> int:
        """How many rows were rejected (a row may have several faults, each in `rejected`)."""
        return len({row.number for row in self.rejected})

    @property
    def exit_code(self) -> int:
        """0: every row valid; 1: some rejected, the valid ones imported; 2: nothing could be imported."""
        if not self.rejected:
            return 0
        return 1 if self.orders or self.already_imported else 2


def read_manifest(data: bytes, *, filename: str = "") -> ManifestTable:
    """Decode a CSV (UTF-8 with or without BOM, or GBK/GB18030) or XLSX file into numbered rows.

    Every way a file can be unusable ends in `ManifestUnreadable`, never another exception.
    """
    if not data.strip():
        raise ManifestUnreadable("error.manifest_empty")
    if len(data) > MAX_FILE_BYTES:
        raise ManifestUnreadable("error.manifest_too_large", megabytes=MAX_FILE_BYTES // (1024 * 1024))
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    text, encoding = decode_table_file(data)
    return _table(_csv_lines(text), encoding=encoding)


def plan_import(session: Session, *, site_id: int, table: ManifestTable, today: dt.date) -> ImportPlan:
    """Check every row and group them into orders; orders with any bad row are rejected whole.

    `today` is the importer's local day: delivery dates are accepted from DELIVERY_DAYS_BACK before it to
    DELIVERY_DAYS_AHEAD after it. A row that would import as the same item of the same order as an earlier row is
    reported with that row's number and left out; the order itself is imported once, from its other rows."""
    rejected, grouped = _group_rows(table.rows, today=today)
    # Only orders without a bad row are looked up: a bad row's order number may be anything (10 MB, a NUL).
    whole = [key for key, rows in grouped.items() if not any(values.get("bad") for _, values in rows)]
    existing = _existing_orders(session, site_id=site_id, keys=whole)
    open_codes = _open_pickup_codes(
        session,
        site_id=site_id,
        codes={values["pickup_code"] for rows in grouped.values() for _, values in rows if "pickup_code" in values},
    )
    orders: list[PlannedOrder] = []
    already = 0
    codes_in_file: set[str] = set()
    for (platform, number), rows in grouped.items():
        good = [(row, values) for row, values in rows if not values.get("bad")]
        if len(good) < len(rows):
            rejected.extend(
                RejectedRow(row.number, "error.row_order_has_bad_rows", {"order_number": number}) for row, _ in good
            )
            continue
        if (platform, number) in existing:
            already += 1
            continue
        planned = _plan_order(
            platform=platform, number=number, good=good, open_codes=open_codes, codes_in_file=codes_in_file
        )
        if isinstance(planned, PlannedOrder):
            codes_in_file.add(planned.pickup_code)
            orders.append(planned)
        else:
            rejected.extend(planned)
    rejected.sort(key=lambda r: r.number)  # stable: a row's faults keep their column order
    return ImportPlan(orders=orders, already_imported=already, rejected=rejected)


_Checked = tuple[ManifestRow, dict[str, Any]]


def _group_rows(
    rows: list[ManifestRow], *, today: dt.date
) -> tuple[list[RejectedRow], dict[tuple[str, str], list[_Checked]]]:
    """Each row checked and grouped under its (platform, order number); a bad row is kept in its group as
    {"bad": True}, so its order is rejected whole. A repeat of an earlier row is rejected and left out."""
    rejected: list[RejectedRow] = []
    grouped: dict[tuple[str, str], list[_Checked]] = {}
    first_rows: dict[tuple[tuple[str, Any], ...], int] = {}
    for row in rows:
        checked = _check_row(row, today=today)
        if isinstance(checked, list):
            rejected.extend(checked)
            platform, number = _clean(row.values.get("platform", "")), _clean(row.values.get("order_number", ""))
            grouped.setdefault((platform, number), []).append((row, {"bad": True}))
            continue
        # Compared as checked (cleaned, phone normalized, quantity a number, date parsed): rows that differ only in
        # spacing or full-width digits would still have become a second, identical item.
        first_row = first_rows.setdefault(tuple(sorted(checked.items())), row.number)
        if first_row != row.number:
            rejected.append(RejectedRow(row.number, "error.row_duplicate", {"first": first_row}))
            continue
        grouped.setdefault((checked["platform"], checked["order_number"]), []).append((row, checked))
    return rejected, grouped


def _plan_order(
    *, platform: str, number: str, good: list[_Checked], open_codes: set[str], codes_in_file: set[str]
) -> PlannedOrder | list[RejectedRow]:
    """One new order from its checked rows, or every row rejected: the rows disagree on the order's own fields, or
    its pickup code is held by a bag still at the site or by an earlier order of the file."""
    first = good[0][1]
    conflicting = [
        row
        for row, values in good[1:]
        if any(values[key] != first[key] for key in ("pickup_code", "resident_name", "phone", "delivery_date"))
    ]
    if conflicting:
        return [RejectedRow(row.number, "error.row_order_fields_differ", {"order_number": number}) for row, _ in good]
    code = first["pickup_code"]
    if code in open_codes or code in codes_in_file:
        return [RejectedRow(row.number, "error.row_pickup_code_in_use", {"pickup_code": code}) for row, _ in good]
    return PlannedOrder(
        platform=platform,
        order_number=number,
        pickup_code=code,
        resident_name=first["resident_name"],
        phone=first["phone"],
        address=first["address"],
        delivery_date=first["delivery_date"],
        items=[(values["product"], values["quantity"], values["storage_class"]) for _, values in good],
        rows=[row.number for row, _ in good],
    )


def apply_import(
    session: Session,
    *,
    site_id: int,
    plan: ImportPlan,
    now: dt.datetime,
    actor_id: int | None = None,
    progress: Callable[[float], None] | None = None,
    batch_size: int = 500,
) -> ImportResult:
    """Write the planned orders, their items and one event each, in the caller's transaction."""
    total = len(plan.orders)
    for start in range(0, total, batch_size):
        batch = plan.orders[start : start + batch_size]
        _write_batch(session, site_id=site_id, batch=batch, now=now, actor_id=actor_id)
        if progress is not None:
            progress(min(1.0, (start + len(batch)) / total))
    return ImportResult(
        orders=total, items=plan.item_count, already_imported=plan.already_imported, rejected=plan.rejected
    )


def _write_batch(
    session: Session, *, site_id: int, batch: list[PlannedOrder], now: dt.datetime, actor_id: int | None
) -> None:
    """One batch of orders, then their items and one event each: three multi-row INSERTs."""
    order_rows = [_order_values(order, site_id=site_id, now=now) for order in batch]
    ids = session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True), order_rows).all()
    session.execute(
        insert(Item),
        [
            {
                "site_id": site_id,
                "order_id": order_id,
                "product": product,
                "quantity": quantity,
                "storage_class": storage_class,
            }
            for order_id, order in zip(ids, batch, strict=True)
            for product, quantity, storage_class in order.items
        ],
    )
    session.execute(
        insert(Event),
        [
            {
                "site_id": site_id,
                "actor_id": actor_id,
                "action": "order.imported",
                "entity": "order",
                "entity_id": order_id,
                "happened_at": now,
                "before": None,
                "after": {"status": "expected", "platform": order.platform, "order_number": order.order_number},
            }
            for order_id, order in zip(ids, batch, strict=True)
        ],
    )
    add_new_orders(
        session,
        orders=[
            OrderFacts(
                site_id=site_id,
                platform=order.platform,
                storage_class=order.storage_class,
                delivery_date=order.delivery_date,
                status="expected",
            )
            for order in batch
        ],
    )


def _order_values(order: PlannedOrder, *, site_id: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "platform": order.platform,
        "order_number": order.order_number,
        "pickup_code": order.pickup_code,
        "resident_name": order.resident_name,
        "phone": order.phone,
        "phone_tail": order.phone[-4:],
        "address": order.address,
        "delivery_date": order.delivery_date,
        "storage_class": order.storage_class,
        "status": "expected",
        "created_at": now,
    }


def _csv_lines(text: str) -> Iterator[list[Any]]:
    if "\x00" in text:
        raise ManifestUnreadable("error.manifest_not_a_table")
    csv.field_size_limit(MAX_FILE_BYTES)
    try:
        sample = text[:4096]
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    try:
        # Lines are handed on one by one, so the row limit stops the reading, not just the import.
        for line in csv.reader(io.StringIO(text, newline=""), dialect):
            yield line[:MAX_COLUMNS]
    except csv.Error as error:
        raise ManifestUnreadable("error.manifest_not_a_table") from error


def _read_xlsx(data: bytes) -> ManifestTable:
    _check_xlsx_size(data)
    from openpyxl import load_workbook

    try:
        # Formulas are kept as their text (never evaluated); exports escape such cells again.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            # Bounds passed in, not taken from the sheet's own <dimension>: a sheet claiming A1:XFD1048576 would
            # otherwise pad every row to 16,384 cells and run on to row 1,048,576.
            lines = workbook.worksheets[0].iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS, values_only=True)
            return _table(lines, encoding="xlsx")
        finally:
            workbook.close()
    except ManifestUnreadable:
        raise
    except Exception as error:
        # openpyxl does not document what it raises on a broken workbook: a malformed cell reference is a
        # ValueError, a missing part a KeyError, a bad shared-string index an IndexError, broken XML a ParseError.
        # Whatever it is, the file cannot be read, and the importer is told so rather than shown a traceback.
        raise ManifestUnreadable("error.manifest_bad_xlsx") from error


def _check_xlsx_size(data: bytes) -> None:
    """Refuse a zip bomb before openpyxl parses anything: the declared sizes first (free), then the real ones, by
    inflating every part with a budget, since a zip may declare small sizes and hold far more."""
    _check_zip_directory(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_XLSX_PARTS:
                raise ManifestUnreadable("error.manifest_bad_xlsx")
            if sum(part.file_size for part in parts) > MAX_XLSX_UNPACKED_BYTES:
                raise _unpacked_too_large()
            budget = MAX_XLSX_UNPACKED_BYTES
            for part in parts:
                budget -= _inflated_size(archive, part, budget=budget)
    except ManifestUnreadable:
        raise
    except Exception as error:
        # zipfile and zlib raise BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError … on a damaged zip.
        raise ManifestUnreadable("error.manifest_bad_xlsx") from error


def _check_zip_directory(data: bytes) -> None:
    """Count the parts from the zip's end record before zipfile reads its whole directory: 20 MB of empty parts
    (240,000 of them) would take zipfile seconds. zipfile reads as many bytes of directory as the record says, so
    that size is bounded too (a kilobyte per part is generous: Excel's entries are under a hundred bytes)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) < end + 22:
        return  # no end record: zipfile will say the file is damaged
    parts, directory_bytes = struct.unpack_from("<HI", data, end + 10)
    if parts > MAX_XLSX_PARTS or directory_bytes > MAX_XLSX_PARTS * 1024:
        raise ManifestUnreadable("error.manifest_bad_xlsx")


def _inflated_size(archive: zipfile.ZipFile, part: zipfile.ZipInfo, *, budget: int) -> int:
    """The real unpacked size of one part, inflating its raw bytes ourselves: zipfile would stop at the declared
    size. Refuses as soon as the budget is spent, and a part whose real size or checksum differs from the zip's
    directory (a zip that lies)."""
    if part.flag_bits & 0x1 or part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ManifestUnreadable("error.manifest_bad_xlsx")  # encrypted, or a method Excel never writes
    raw = copy.copy(part)
    # CRC None: zipfile must not check the raw bytes; the inflated ones are checked below.
    raw.compress_type, raw.file_size, raw.CRC = zipfile.ZIP_STORED, part.compress_size, None  # type: ignore[assignment]
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if part.compress_type == zipfile.ZIP_DEFLATED else None
    size = crc = 0
    with archive.open(raw) as stream:
        while chunk := stream.read(_INFLATE_CHUNK):
            while chunk:
                if inflater is None:
                    out, chunk = chunk, b""
                else:
                    out = inflater.decompress(chunk, _INFLATE_CHUNK)
                    chunk = inflater.unconsumed_tail
                size += len(out)
                if size > budget:
                    raise _unpacked_too_large()
                crc = zlib.crc32(out, crc)
    if inflater is not None:
        out = inflater.flush()  # the input is all consumed, so at most a few bytes are left
        size, crc = size + len(out), zlib.crc32(out, crc)
        if not inflater.eof or size > budget:
            raise ManifestUnreadable("error.manifest_bad_xlsx")
    if size != part.file_size or crc != part.CRC:
        raise ManifestUnreadable("error.manifest_bad_xlsx")
    return size


def _unpacked_too_large() -> ManifestUnreadable:
    return ManifestUnreadable("error.manifest_xlsx_too_large", megabytes=MAX_XLSX_UNPACKED_BYTES // (1024 * 1024))


def _normalize_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    return re.sub(r"[\s_\-*()（）:：]", "", text)


def _table(lines: Iterable[Iterable[Any]], *, encoding: str) -> ManifestTable:
    """Find the header (the first line with anything in it), check its columns, then number the rows below it.

    Lines are consumed one at a time: a file without the needed columns is refused at its header, and one with
    too many lines as soon as the line after the limit is reached."""
    numbered = enumerate((list(cells) for cells in lines), start=1)
    header: list[Any] | None = None
    for number, cells in numbered:
        if number > MAX_ROWS + 1:
            raise ManifestUnreadable("error.manifest_too_many_rows", maximum=MAX_ROWS)
        if any(_cell(v) for v in cells):
            header = cells
            break
    if header is None:
        raise ManifestUnreadable("error.manifest_empty")
    lookup = {name: field_name for field_name, names in HEADER_NAMES.items() for name in names}
    columns: dict[str, int] = {}
    for position, heading in enumerate(header):
        field_name = lookup.get(_normalize_header(heading))
        if field_name and field_name not in columns:
            columns[field_name] = position
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        raise ManifestUnreadable("error.manifest_missing_columns", columns=tuple(missing), count=len(missing))
    rows = []
    for number, cells in numbered:
        if number > MAX_ROWS + 1:
            raise ManifestUnreadable("error.manifest_too_many_rows", maximum=MAX_ROWS)
        if not any(_cell(v) for v in cells):
            continue  # blank lines in exports carry nothing
        values = {name: _cell(cells[position]) if position < len(cells) else "" for name, position in columns.items()}
        rows.append(ManifestRow(number=number, values=values))
    if not rows:
        raise ManifestUnreadable("error.manifest_no_rows")
    return ManifestTable(rows=rows, encoding=encoding)


def _cell(value: Any) -> str:
    """Cells as text; spreadsheets hand dates and numbers as Python values."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clean(value: str) -> str:
    """Full-width digits and letters to ASCII, stray and non-breaking spaces collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip()


def _check_row(row: ManifestRow, *, today: dt.date) -> dict[str, Any] | list[RejectedRow]:
    """The row's values as they will be stored, or every fault found in it (each column checked on its own, so the
    organizer fixes the row once, not once per fault)."""
    # Text as read; quantity and delivery_date become an int and a date once checked.
    values: dict[str, Any] = {name: _clean(value) for name, value in row.values.items()}
    values.setdefault("address", "")
    # Stored as the desk compares it; checked for length as stored.
    values["pickup_code"] = normalize_pickup_code(values.get("pickup_code", ""))
    faults: list[RejectedRow] = []
    unchecked: set[str] = set()  # too long or missing: not checked further
    for name, limit in FIELD_LIMITS.items():
        if len(values.get(name, "")) > limit:
            faults.append(RejectedRow(row.number, "error.row_value_too_long", {"column": name, "limit": limit}))
            unchecked.add(name)
    for name in REQUIRED_FIELDS:
        if not values[name] and name not in unchecked:
            faults.append(RejectedRow(row.number, "error.row_missing_value", {"column": name}))
            unchecked.add(name)
    for name, check in _COLUMN_CHECKS:
        if name not in unchecked:
            checked = check(values[name], today=today)
            if isinstance(checked, tuple):
                key, params = checked
                faults.append(RejectedRow(row.number, key, params))
            else:
                values[name] = checked
    return faults or values


def _check_phone(text: str, *, today: dt.date) -> str | tuple[str, dict[str, Any]]:
    phone = normalize_phone(text)
    return phone if 7 <= len(phone) <= 15 else ("error.row_bad_phone", {"value": text})


def _check_quantity(text: str, *, today: dt.date) -> int | tuple[str, dict[str, Any]]:
    quantity_text = text.replace(" ", "")
    if not re.fullmatch(r"-?\d+(\.0+)?", quantity_text):
        return ("error.row_bad_quantity", {"value": text})
    quantity = int(float(quantity_text))
    if not 1 <= quantity <= MAX_QUANTITY:
        return ("error.row_quantity_range", {"value": quantity, "maximum": MAX_QUANTITY})
    return quantity


def _check_storage_class(text: str, *, today: dt.date) -> str | tuple[str, dict[str, Any]]:
    storage_class = STORAGE_CLASS_NAMES.get(text.lower())
    return storage_class if storage_class is not None else ("error.row_bad_storage_class", {"value": text})


def _check_delivery_date(text: str, *, today: dt.date) -> dt.date | tuple[str, dict[str, Any]]:
    delivery_date = _parse_date(text)
    if delivery_date is None:
        return ("error.row_bad_date", {"value": text})
    earliest, latest = today - dt.timedelta(days=DELIVERY_DAYS_BACK), today + dt.timedelta(days=DELIVERY_DAYS_AHEAD)
    if not earliest <= delivery_date <= latest:
        return (
            "error.row_date_outside_window",
            {
                "value": delivery_date.isoformat(),
                "earliest": earliest.isoformat(),
                "latest": latest.isoformat(),
                "back": DELIVERY_DAYS_BACK,
                "ahead": DELIVERY_DAYS_AHEAD,
            },
        )
    return delivery_date


# Each column's own check, in the manifest's column order: its stored value, or (message key, parameters).
_COLUMN_CHECKS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("phone", _check_phone),
    ("quantity", _check_quantity),
    ("storage_class", _check_storage_class),
    ("delivery_date", _check_delivery_date),
)


def _parse_date(text: str) -> dt.date | None:
    match = _DATE_PATTERN.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None  # 2026-02-30 and the like


def _existing_orders(session: Session, *, site_id: int, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(Order.platform, Order.order_number).where(
            Order.site_id == site_id, tuple_(Order.platform, Order.order_number).in_(chunk)
        )
        found.update((platform, number) for platform, number in session.execute(query))
    return found


def _open_pickup_codes(session: Session, *, site_id: int, codes: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(codes)
    for start in range(0, len(ordered), 500):
        query = select(Order.pickup_code).where(
            Order.site_id == site_id,
            Order.status.in_(OPEN_ORDER_STATUSES),
            Order.pickup_code.in_(ordered[start : start + 500]),
        )
        found.update(session.scalars(query))
    return found
