"""Downloaded workbooks open ready to read: header frozen, columns as wide as their words, people's columns first,
no row ids."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import load_workbook

from ui.downloads import translated_frame
from ui.exports import frames_to_xlsx_bytes, text_width
from ui.i18n import translate


def orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [17, 18],
            "delivery_date": [dt.date(2026, 11, 28), dt.date(2026, 11, 29)],
            "platform": ["美团优选", "多多买菜"],
            "pickup_code": ["8-123", "9-999"],
            "resident_name": ["张*", "欧阳**"],
            "address": ["天山二村 12号 302室，靠北的那个门洞", "3号"],
            "status": ["shelved", "received"],
            "shift_id": [1, 2],
        }
    )


def workbook(frame: pd.DataFrame):
    return load_workbook(io.BytesIO(frames_to_xlsx_bytes({"订单": frame})))["订单"]


def test_a_translated_frame_leaves_out_row_ids_and_leads_with_the_chosen_columns():
    shown = translated_frame(
        orders(), language="zh-CN", codes={"status": "status"}, first=("pickup_code", "resident_name", "missing")
    )
    headers = [translate("zh-CN", f"column.{name}").plain for name in ("pickup_code", "resident_name")]
    assert list(shown.columns[:2]) == headers
    assert translate("zh-CN", "column.id").plain not in shown.columns
    assert not any("shift_id" in column or "编号" in column for column in shown.columns)
    assert list(shown[translate("zh-CN", "column.status").plain]) == [
        translate("zh-CN", "value.status.shelved").plain,
        translate("zh-CN", "value.status.received").plain,
    ]


def test_the_workbook_freezes_its_header_and_filters_it():
    sheet = workbook(translated_frame(orders(), language="en"))
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions
    expected = [translate("en", f"column.{name}").plain for name in ("delivery_date", "platform")]
    assert [cell.value for cell in sheet[1]][:2] == expected


def test_each_column_is_as_wide_as_its_longest_words_within_bounds():
    frame = translated_frame(orders(), language="zh-CN")
    sheet = workbook(frame)
    widths = {cell.value: sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]}
    address = translate("zh-CN", "column.address").plain
    # Chinese characters count twice: the long address decides its column's width.
    assert widths[address] == text_width("天山二村 12号 302室，靠北的那个门洞") + 2
    assert all(6 <= width <= 60 for width in widths.values())
    assert widths[address] > widths[translate("zh-CN", "column.pickup_code").plain]


def test_a_very_long_cell_does_not_make_a_column_wider_than_the_screen():
    sheet = workbook(pd.DataFrame({"note": ["字" * 200]}))
    assert sheet.column_dimensions["A"].width == 60


def test_text_width_counts_wide_characters_twice():
    assert text_width("ab") == 2
    assert text_width("天山") == 4
    assert text_width("，") == 2
