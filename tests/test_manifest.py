"""Manifest import: encodings, headers, every row checked, whole orders, idempotent, on both databases."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from db.engine import unit_of_work
from db.manifest import ImportResult, ManifestUnreadable, apply_import, plan_import, read_manifest
from db.models import Event, Item, Order
from db.orders import ItemSpec, create_order
from db.sites import create_site

HEADER = "平台,订单号,提货码,收货人,手机号,商品,数量,储存,到货日期,地址"
GOOD_ROWS = [
    "多多买菜,DD001,1001,李四,13800138000,大米,1,常温,2026-11-25,12号302室",
    "多多买菜,DD001,1001,李四,13800138000,牛奶,2,冷藏,2026-11-25,12号302室",
    "美团优选,MT001,2001,王五,13900139000,速冻水饺,1,冷冻,2026-11-25,3号101室",
]


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


@pytest.fixture
def site_id(engine: Engine, now: dt.datetime) -> int:
    with unit_of_work(engine) as session:
        return create_site(session, code="TS2", name="天山二村", now=now).id


def run_import(engine: Engine, site_id: int, data: bytes, now: dt.datetime, filename: str = "m.csv") -> ImportResult:
    table = read_manifest(data, filename=filename)
    with unit_of_work(engine) as session:
        plan = plan_import(session, site_id=site_id, table=table)
        return apply_import(session, site_id=site_id, plan=plan, now=now)


def counts(engine: Engine) -> tuple[int, int]:
    with unit_of_work(engine) as session:
        return session.scalar(select(func.count(Order.id))), session.scalar(select(func.count(Item.id)))


def reasons(result: ImportResult) -> list[tuple[int, str]]:
    return [(row.number, row.key) for row in result.rejected]


def test_utf8_import_groups_rows_into_orders(engine: Engine, site_id: int, now: dt.datetime) -> None:
    result = run_import(engine, site_id, csv_bytes(*GOOD_ROWS), now)
    assert (result.orders, result.items, result.rejected, result.exit_code) == (2, 3, [], 0)
    with unit_of_work(engine) as session:
        order = session.scalar(select(Order).where(Order.order_number == "DD001"))
        assert (order.storage_class, order.status, order.phone_tail, order.address) == (
            "chilled", "expected", "8000", "12号302室")
        assert session.scalar(select(func.count(Event.id)).where(Event.action == "order.imported")) == 2


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_chinese_encodings_and_bom(engine: Engine, site_id: int, now: dt.datetime, encoding: str) -> None:
    result = run_import(engine, site_id, csv_bytes(*GOOD_ROWS, encoding=encoding), now)
    assert (result.orders, result.rejected) == (2, [])
    with unit_of_work(engine) as session:
        assert session.scalar(select(Order.resident_name).where(Order.order_number == "MT001")) == "王五"


def test_english_headers_other_order_extra_columns_and_messy_values(
    engine: Engine, site_id: int, now: dt.datetime
) -> None:
    header = "Note,Delivery Date,Storage,Quantity,Product,Phone,Name,Pickup Code,Order No,Platform"
    rows = [
        "x, 2026/11/25 ,Chilled, ２ ,牛奶,+86 139-0013-9000 , 赵六 ,Ａ１２３,  MT9 ,美团优选",
        "",
        "y,2026年11月25日,frozen,1,汤圆,+86 139-0013-9000,赵六,A123,MT9,美团优选",
    ]
    result = run_import(engine, site_id, csv_bytes(*rows, header=header), now)
    assert (result.orders, result.items, result.rejected) == (1, 2, [])
    with unit_of_work(engine) as session:
        order = session.scalar(select(Order))
        assert (order.pickup_code, order.phone, order.resident_name, order.storage_class) == (
            "A123", "13900139000", "赵六", "frozen")
        assert sorted(item.quantity for item in order.items) == [1, 2]


def test_xlsx_with_dates_numbers_and_formula_text(engine: Engine, site_id: int, now: dt.datetime) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["多多买菜", "DD7", 7001, "=HYPERLINK(\"http://x\")", 13800138000, "@SUM(A1)", 3.0, "常温",
                  dt.datetime(2026, 11, 25), "5号"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run_import(engine, site_id, buffer.getvalue(), now, filename="m.xlsx")
    assert (result.orders, result.rejected) == (1, [])
    with unit_of_work(engine) as session:
        order = session.scalar(select(Order))
        # Formula text is kept as text: never evaluated here, escaped again by exports.
        assert (order.pickup_code, order.resident_name, order.items[0].product, order.items[0].quantity) == (
            "7001", '=HYPERLINK("http://x")', "@SUM(A1)", 3)


def test_same_file_twice_changes_nothing(engine: Engine, site_id: int, now: dt.datetime) -> None:
    data = csv_bytes(*GOOD_ROWS)
    run_import(engine, site_id, data, now)
    before = counts(engine)
    again = run_import(engine, site_id, data, now)
    assert (again.orders, again.already_imported, again.rejected, again.exit_code) == (0, 2, [], 0)
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("bad_row", "key"),
    [
        ("多多买菜,DD002,1002,张三,13800138001,鸡蛋,0,常温,2026-11-25,", "error.row_quantity_range"),
        ("多多买菜,DD002,1002,张三,13800138001,鸡蛋,-2,常温,2026-11-25,", "error.row_quantity_range"),
        ("多多买菜,DD002,1002,张三,13800138001,鸡蛋,两个,常温,2026-11-25,", "error.row_bad_quantity"),
        ("多多买菜,DD002,1002,张三,13800138001,鸡蛋,1,温热,2026-11-25,", "error.row_bad_storage_class"),
        ("多多买菜,DD002,1002,张三,13800138001,鸡蛋,1,常温,2026-02-30,", "error.row_bad_date"),
        ("多多买菜,DD002,1002,张三,12,鸡蛋,1,常温,2026-11-25,", "error.row_bad_phone"),
        ("多多买菜,DD002,,张三,13800138001,鸡蛋,1,常温,2026-11-25,", "error.row_missing_value"),
    ],
)
def test_bad_row_rejects_its_whole_order_only(
    engine: Engine, site_id: int, now: dt.datetime, bad_row: str, key: str
) -> None:
    split_order_good_row = "多多买菜,DD002,1002,张三,13800138001,面条,1,常温,2026-11-25,"
    result = run_import(engine, site_id, csv_bytes(GOOD_ROWS[2], split_order_good_row, bad_row), now)
    assert result.orders == 1 and result.exit_code == 1
    assert reasons(result) == [(3, "error.row_order_has_bad_rows"), (4, key)]
    with unit_of_work(engine) as session:
        assert session.scalars(select(Order.order_number)).all() == ["MT001"]


def test_pickup_code_clash_with_an_open_order(engine: Engine, site_id: int, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        create_order(session, site_id=site_id, platform="美团优选", order_number="OLD", pickup_code="1001",
                     resident_name="旧", phone="13700137000", delivery_date=now.date(),
                     items=[ItemSpec("盐", 1, "ambient")], now=now)
    result = run_import(engine, site_id, csv_bytes(*GOOD_ROWS), now)
    assert result.orders == 1
    assert reasons(result) == [(2, "error.row_pickup_code_in_use"), (3, "error.row_pickup_code_in_use")]


def test_a_ten_megabyte_cell_rejects_that_row(engine: Engine, site_id: int, now: dt.datetime) -> None:
    huge = "多多买菜,DD003,1003,张三,13800138001," + "菜" * (10 * 1024 * 1024 // 3) + ",1,常温,2026-11-25,"
    result = run_import(engine, site_id, csv_bytes(GOOD_ROWS[2], huge), now)
    assert result.orders == 1
    assert reasons(result) == [(3, "error.row_value_too_long")]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "error.manifest_empty"),
        (b"\n\n  \n", "error.manifest_empty"),
        (HEADER.encode() + b"\n", "error.manifest_no_rows"),
        ("平台,订单号,提货码,收货人,商品,数量,储存,到货日期\n多多买菜,1,1,a,b,1,常温,2026-11-25\n".encode(),
         "error.manifest_missing_columns"),
        (bytes(range(256)) * 16, "error.manifest_encoding"),
        (b"PK\x03\x04not really a zip", "error.manifest_bad_xlsx"),
    ],
)
def test_unreadable_files_import_nothing(data: bytes, key: str) -> None:
    with pytest.raises(ManifestUnreadable) as refused:
        read_manifest(data, filename="m.csv")
    assert refused.value.key == key


def test_everything_rejected_is_exit_code_two(engine: Engine, site_id: int, now: dt.datetime) -> None:
    result = run_import(engine, site_id, csv_bytes("多多买菜,DD9,9,张三,13800138001,鸡蛋,0,常温,2026-11-25,"), now)
    assert (result.orders, result.exit_code) == (0, 2)
    assert counts(engine) == (0, 0)
