"""Manifest import: read a platform's CSV/XLSX delivery list, check every row, import whole orders.

Reading and checking (`read_manifest`, `plan_import`) change nothing, so the page can show a preview;
`apply_import` writes the planned orders in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from db.errors import StoreError
from db.models import OPEN_ORDER_STATUSES, Event, Item, Order
from db.orders import MAX_QUANTITY, coldest_storage_class, normalize_phone

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# Longest value kept per field (the schema's column sizes).
FIELD_LIMITS = {
    "platform": 30, "order_number": 50, "pickup_code": 20, "resident_name": 50, "phone": 40,
    "product": 200, "address": 100, "quantity": 20, "storage_class": 20, "delivery_date": 40,
}
REQUIRED_FIELDS = (
    "platform", "order_number", "pickup_code", "resident_name", "phone", "product", "quantity",
    "storage_class", "delivery_date",
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
    "常温": "ambient", "ambient": "ambient", "冷藏": "chilled", "chilled": "chilled",
    "冷冻": "frozen", "frozen": "frozen",
}
_DATE_PATTERN = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+[\d:]+)?")


class ManifestUnreadable(StoreError):
    """The file as a whole cannot be used: nothing is imported."""

    key = "error.manifest_unreadable"


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


@dataclass(frozen=True)
class ImportResult:
    orders: int
    items: int
    already_imported: int
    rejected: list[RejectedRow]

    @property
    def exit_code(self) -> int:
        """0: every row valid; 1: some rejected, the valid ones imported; 2: nothing could be imported."""
        if not self.rejected:
            return 0
        return 1 if self.orders or self.already_imported else 2


def read_manifest(data: bytes, *, filename: str = "") -> ManifestTable:
    """Decode a CSV (UTF-8 with or without BOM, or GBK/GB18030) or XLSX file into numbered rows."""
    if not data.strip():
        raise ManifestUnreadable("error.manifest_empty")
    if len(data) > MAX_FILE_BYTES:
        raise ManifestUnreadable("error.manifest_too_large", megabytes=MAX_FILE_BYTES // (1024 * 1024))
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        grid, encoding = _read_xlsx(data), "xlsx"
    else:
        text, encoding = _decode(data)
        grid = _read_csv(text)
    return _table(grid, encoding=encoding)


def plan_import(session: Session, *, site_id: int, table: ManifestTable) -> ImportPlan:
    """Check every row and group them into orders; orders with any bad row are rejected whole."""
    rejected: list[RejectedRow] = []
    grouped: dict[tuple[str, str], list[tuple[ManifestRow, dict[str, Any]]]] = {}
    for row in table.rows:
        checked = _check_row(row)
        if isinstance(checked, RejectedRow):
            rejected.append(checked)
            platform, number = _clean(row.values.get("platform", "")), _clean(row.values.get("order_number", ""))
            grouped.setdefault((platform, number), []).append((row, {"bad": True}))
            continue
        grouped.setdefault((checked["platform"], checked["order_number"]), []).append((row, checked))

    existing = _existing_orders(session, site_id=site_id, keys=list(grouped))
    open_codes = _open_pickup_codes(session, site_id=site_id, codes={
        values["pickup_code"] for rows in grouped.values() for _, values in rows if "pickup_code" in values
    })
    orders: list[PlannedOrder] = []
    already = 0
    codes_in_file: set[str] = set()
    for (platform, number), rows in grouped.items():
        good = [(row, values) for row, values in rows if not values.get("bad")]
        if len(good) < len(rows):
            rejected.extend(
                RejectedRow(row.number, "error.row_order_has_bad_rows", {"order_number": number})
                for row, _ in good
            )
            continue
        if (platform, number) in existing:
            already += 1
            continue
        first = good[0][1]
        conflicting = [
            row for row, values in good[1:]
            if any(values[key] != first[key] for key in ("pickup_code", "resident_name", "phone", "delivery_date"))
        ]
        if conflicting:
            rejected.extend(
                RejectedRow(row.number, "error.row_order_fields_differ", {"order_number": number}) for row, _ in good
            )
            continue
        code = first["pickup_code"]
        if code in open_codes or code in codes_in_file:
            rejected.extend(
                RejectedRow(row.number, "error.row_pickup_code_in_use", {"pickup_code": code}) for row, _ in good
            )
            continue
        codes_in_file.add(code)
        orders.append(PlannedOrder(
            platform=platform, order_number=number, pickup_code=code, resident_name=first["resident_name"],
            phone=first["phone"], address=first["address"], delivery_date=first["delivery_date"],
            items=[(values["product"], values["quantity"], values["storage_class"]) for _, values in good],
            rows=[row.number for row, _ in good],
        ))
    rejected.sort(key=lambda r: r.number)
    return ImportPlan(orders=orders, already_imported=already, rejected=rejected)


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
        order_rows = [
            {
                "site_id": site_id, "platform": o.platform, "order_number": o.order_number,
                "pickup_code": o.pickup_code, "resident_name": o.resident_name, "phone": o.phone,
                "phone_tail": o.phone[-4:], "address": o.address, "delivery_date": o.delivery_date,
                "storage_class": o.storage_class, "status": "expected", "created_at": now,
            }
            for o in batch
        ]
        ids = session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True), order_rows).all()
        session.execute(insert(Item), [
            {"site_id": site_id, "order_id": order_id, "product": product, "quantity": quantity,
             "storage_class": storage_class}
            for order_id, order in zip(ids, batch, strict=True)
            for product, quantity, storage_class in order.items
        ])
        session.execute(insert(Event), [
            {"site_id": site_id, "actor_id": actor_id, "action": "order.imported", "entity": "order",
             "entity_id": order_id, "happened_at": now, "before": None,
             "after": {"status": "expected", "platform": order.platform, "order_number": order.order_number}}
            for order_id, order in zip(ids, batch, strict=True)
        ])
        if progress is not None:
            progress(min(1.0, (start + len(batch)) / total))
    return ImportResult(
        orders=total, items=plan.item_count, already_imported=plan.already_imported, rejected=plan.rejected
    )


def _decode(data: bytes) -> tuple[str, str]:
    # Strict and in this order: UTF-8 (a BOM is dropped), then GB18030, which covers GBK exports.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ManifestUnreadable("error.manifest_encoding")


def _read_csv(text: str) -> list[list[Any]]:
    if "\x00" in text:
        raise ManifestUnreadable("error.manifest_not_a_table")
    csv.field_size_limit(MAX_FILE_BYTES)
    try:
        sample = text[:4096]
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise ManifestUnreadable("error.manifest_not_a_table") from error


def _read_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        # Formulas are kept as their text (never evaluated); exports escape such cells again.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ManifestUnreadable("error.manifest_bad_xlsx") from error
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for _, row in zip(range(MAX_ROWS + 2), sheet.iter_rows(values_only=True), strict=False)]
    finally:
        workbook.close()


def _normalize_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    return re.sub(r"[\s_\-*()（）:：]", "", text)


def _table(grid: list[list[Any]], *, encoding: str) -> ManifestTable:
    header_index = next((i for i, row in enumerate(grid) if any(_cell(v) for v in row)), None)
    if header_index is None:
        raise ManifestUnreadable("error.manifest_empty")
    lookup = {name: field_name for field_name, names in HEADER_NAMES.items() for name in names}
    columns: dict[str, int] = {}
    for position, header in enumerate(grid[header_index]):
        field_name = lookup.get(_normalize_header(header))
        if field_name and field_name not in columns:
            columns[field_name] = position
    missing = [name for name in REQUIRED_FIELDS if name not in columns]
    if missing:
        raise ManifestUnreadable("error.manifest_missing_columns", columns=tuple(missing), count=len(missing))
    rows = []
    for index in range(header_index + 1, len(grid)):
        cells = grid[index]
        if not any(_cell(v) for v in cells):
            continue  # blank lines in exports carry nothing
        values = {name: _cell(cells[position]) if position < len(cells) else "" for name, position in columns.items()}
        rows.append(ManifestRow(number=index + 1, values=values))
    if len(rows) > MAX_ROWS:
        raise ManifestUnreadable("error.manifest_too_many_rows", maximum=MAX_ROWS)
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


def _check_row(row: ManifestRow) -> dict[str, Any] | RejectedRow:
    values = {name: _clean(value) for name, value in row.values.items()}
    values.setdefault("address", "")
    for name, limit in FIELD_LIMITS.items():
        if len(values.get(name, "")) > limit:
            return RejectedRow(row.number, "error.row_value_too_long", {"column": name, "limit": limit})
    for name in REQUIRED_FIELDS:
        if not values[name]:
            return RejectedRow(row.number, "error.row_missing_value", {"column": name})
    values["pickup_code"] = values["pickup_code"].replace(" ", "")
    phone = normalize_phone(values["phone"])
    if not 7 <= len(phone) <= 15:
        return RejectedRow(row.number, "error.row_bad_phone", {"value": values["phone"]})
    values["phone"] = phone
    quantity_text = values["quantity"].replace(" ", "")
    if not re.fullmatch(r"-?\d+(\.0+)?", quantity_text):
        return RejectedRow(row.number, "error.row_bad_quantity", {"value": values["quantity"]})
    quantity = int(float(quantity_text))
    if not 1 <= quantity <= MAX_QUANTITY:
        return RejectedRow(row.number, "error.row_quantity_range", {"value": quantity, "maximum": MAX_QUANTITY})
    values["quantity"] = quantity
    storage_class = STORAGE_CLASS_NAMES.get(values["storage_class"].lower())
    if storage_class is None:
        return RejectedRow(row.number, "error.row_bad_storage_class", {"value": values["storage_class"]})
    values["storage_class"] = storage_class
    delivery_date = _parse_date(values["delivery_date"])
    if delivery_date is None:
        return RejectedRow(row.number, "error.row_bad_date", {"value": values["delivery_date"]})
    values["delivery_date"] = delivery_date
    return values


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
            Order.site_id == site_id, Order.status.in_(OPEN_ORDER_STATUSES),
            Order.pickup_code.in_(ordered[start : start + 500]),
        )
        found.update(session.scalars(query))
    return found
