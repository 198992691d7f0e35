"""The manifest import page under AppTest: preview, confirm, the same file again, an unreadable file."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.core.clock import local_today
from db.core.models import Event, Order
from db.orders.manifest import DELIVERY_DAYS_AHEAD, DELIVERY_DAYS_BACK, MAX_XLSX_UNPACKED_BYTES
from tests.support.app_data import AppData, stored
from tests.support.manifest_files import malformed_reference_xlsx, zip_bomb_xlsx
from tests.support.pages import new_app, organizer_on, zh
from ui.i18n import translate
from ui.pages_registry import ORGANIZER

HEADER = "平台,订单号,提货码,收货人,手机号,商品,数量,储存,到货日期,地址"
# The page checks delivery dates against the real local day, so the rows are dated from it.
TODAY = local_today().isoformat()


def manifest(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("gb18030")


@pytest.mark.usefixtures("writable_app_env")
def test_import_preview_then_confirm_then_the_same_file_changes_nothing(app_database_copy: AppData):
    data = manifest(
        f"多多买菜,DD1,1001,李四,+86 138-0013-8000,大米,1,常温,{TODAY},12号302室",
        f"多多买菜,DD1,1001,李四,13800138000,牛奶,2,冷藏,{TODAY},12号302室",
        f"多多买菜,DD2,1002,王五,13900139000,鸡蛋,0,常温,{TODAY},3号101室",
        f"多多买菜,DD3,1003,赵六,,鸡蛋,1,常温,{TODAY},3号102室",
    )
    at = organizer_on(app_database_copy, "manifest")
    at.file_uploader(key="manifest_file").set_value(("到货.csv", data, "text/csv")).run()

    assert not at.exception
    assert at.info[0].value == zh("manifest.preview_summary", orders=1, items=2, already=0, rejected=2)
    preview, rejected = at.dataframe[0].value, at.dataframe[1].value
    assert list(preview[zh("column.order_number")]) == ["DD1"]
    # Reasons name a column by its heading (手机), never by its code word (`phone`).
    assert rejected.to_dict("records") == [
        {zh("column.row"): 4, zh("column.reason"): zh("error.row_quantity_range", value=0, maximum=999)},
        {zh("column.row"): 5, zh("column.reason"): "缺少“手机”。"},
    ]
    # Nothing is written before the confirm.
    assert stored(app_database_copy, select(Order.id).where(Order.order_number == "DD1")) == []

    at.button(key="manifest_confirm").click().run()
    assert not at.exception
    assert at.success[0].value == zh("manifest.summary", orders=1, items=2, already=0, rejected=2)
    # The file is still chosen: the import's outcome is shown, no stale preview of the same file below it, and there
    # is no button to press twice.
    assert not at.info
    assert not [button for button in at.button if button.key == "manifest_confirm"]
    rows = stored(app_database_copy, select(Order.status, Order.phone).where(Order.order_number == "DD1"))
    assert [tuple(row) for row in rows] == [("expected", "13800138000")]
    imported = stored(app_database_copy, select(Event.actor_id).where(Event.action == "order.imported"))
    assert [row.actor_id for row in imported] == [app_database_copy.organizer.volunteer_id]

    # A new session with the same file: told nothing changes, and nothing to confirm.
    again = organizer_on(app_database_copy, "manifest")
    again.file_uploader(key="manifest_file").set_value(
        (
            "到货.csv",
            manifest(
                f"多多买菜,DD1,1001,李四,13800138000,大米,1,常温,{TODAY},12号302室",
                f"多多买菜,DD1,1001,李四,13800138000,牛奶,2,冷藏,{TODAY},12号302室",
            ),
            "text/csv",
        )
    ).run()
    assert again.info[0].value == zh("manifest.nothing_changed", already=1)
    assert not [button for button in again.button if button.key == "manifest_confirm"]


@pytest.mark.usefixtures("writable_app_env")
def test_an_unreadable_file_says_why_and_imports_nothing(app_database_copy: AppData):
    at = organizer_on(app_database_copy, "manifest")
    at.file_uploader(key="manifest_file").set_value(("x.csv", "平台,订单号\n多多买菜,DD9\n".encode(), "text/csv")).run()
    assert not at.exception
    missing = "缺少 7 列：取货码、收货人、手机、商品、数量、储存类别、到货日期"
    assert [element.value for element in at.error] == [missing]
    assert not at.dataframe and not [button for button in at.button if button.key == "manifest_confirm"]
    at.file_uploader(key="manifest_file").set_value(("x.xlsx", b"PK\x03\x04 not really a workbook", "x")).run()
    assert [element.value for element in at.error] == [zh("error.manifest_bad_xlsx")]


def organizer_in(data: AppData, language: str) -> AppTest:
    at = new_app(data, audience=ORGANIZER, language=language).switch_page("pages/manifest.py").run()
    assert not at.exception, [element.value for element in at.exception]
    return at


@pytest.mark.usefixtures("writable_app_env")
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_hostile_workbooks_are_refused_with_a_clear_message(app_database_copy: AppData, language: str):
    row = ["多多买菜", "DD1", "1001", "李四", "13800138000", "大米", 1, "常温", TODAY, ""]
    at = organizer_in(app_database_copy, language)
    for name, data, message in [
        (
            "bomb.xlsx",
            zip_bomb_xlsx(MAX_XLSX_UNPACKED_BYTES, rows=[row]),
            translate(language, "error.manifest_xlsx_too_large", megabytes=MAX_XLSX_UNPACKED_BYTES // 2**20),
        ),
        ("malformed.xlsx", malformed_reference_xlsx([row]), translate(language, "error.manifest_bad_xlsx")),
    ]:
        at.file_uploader(key="manifest_file").set_value((name, data, "application/octet-stream")).run()
        assert not at.exception, name
        assert [element.value for element in at.error] == [message]
        assert not at.dataframe and not [button for button in at.button if button.key == "manifest_confirm"]
    assert stored(app_database_copy, select(Order.id).where(Order.order_number == "DD1")) == []


@pytest.mark.usefixtures("writable_app_env")
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_dates_outside_the_window_and_duplicate_rows_are_named_in_the_preview(
    app_database_copy: AppData, language: str
):
    today = local_today()
    far = today + dt.timedelta(days=DELIVERY_DAYS_AHEAD + 1)
    at = organizer_in(app_database_copy, language)
    at.file_uploader(key="manifest_file").set_value(
        (
            "到货.csv",
            manifest(
                f"多多买菜,DD1,1001,李四,13800138000,大米,1,常温,{TODAY},12号302室",
                f"多多买菜,DD1,1001,李四,13800138000,大米,1,常温,{TODAY},12号302室",
                "多多买菜,DD2,1002,王五,13900139000,鸡蛋,1,常温,1900-01-01,3号101室",
                f"多多买菜,DD3,1003,赵六,13700137000,鸡蛋,1,常温,{far},3号102室",
            ),
            "text/csv",
        )
    ).run()
    assert not at.exception
    assert at.info[0].value == translate(language, "manifest.preview_summary", orders=1, items=1, already=0, rejected=3)
    window = {
        "earliest": (today - dt.timedelta(days=DELIVERY_DAYS_BACK)).isoformat(),
        "latest": (today + dt.timedelta(days=DELIVERY_DAYS_AHEAD)).isoformat(),
        "back": DELIVERY_DAYS_BACK,
        "ahead": DELIVERY_DAYS_AHEAD,
    }
    row, reason = translate(language, "column.row"), translate(language, "column.reason")
    assert at.dataframe[1].value.to_dict("records") == [
        # A table cell is plain text: the values as typed, no Markdown escapes.
        {row: 3, reason: translate(language, "error.row_duplicate", first=2).plain},
        {row: 4, reason: translate(language, "error.row_date_outside_window", value="1900-01-01", **window).plain},
        {row: 5, reason: translate(language, "error.row_date_outside_window", value=far.isoformat(), **window).plain},
    ]
    # Worded for a person: the catalog's text with its values, no placeholder or key left over.
    assert all("{" not in text and "error." not in text for text in at.dataframe[1].value[reason])
