"""Files people download: CSV and XLSX from a DataFrame, with spreadsheet formulas defused; a workbook's sheets
open ready to read (header row frozen, columns as wide as their words, a filter on the header)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Mapping
from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# A cell starting with one of these is run as a formula by Excel/WPS (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and header) passed through `escape_formula`."""
    escaped = frame.map(escape_formula)
    escaped.columns = [escape_formula(str(column)) for column in frame.columns]
    return escaped


def frame_to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on a Chinese Windows opens it without garbling."""
    return escape_frame(frame).to_csv(index=False).encode("utf-8-sig")


def frame_to_xlsx_bytes(frame: pd.DataFrame, *, sheet_name: str = "Sheet1") -> bytes:
    return frames_to_xlsx_bytes({sheet_name: frame})


def frames_to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """One workbook, one sheet per frame (names cut to Excel's 31 characters)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet_name, frame in sheets.items():
            escaped = escape_frame(frame)
            escaped.to_excel(writer, index=False, sheet_name=sheet_name[:31])
            lay_out(writer.sheets[sheet_name[:31]], escaped)
    return buffer.getvalue()


# Column widths in Excel's units (about one Latin character); a Chinese character takes two.
MIN_WIDTH = 6
MAX_WIDTH = 60


def lay_out(sheet: Worksheet, frame: pd.DataFrame) -> None:
    """The header row stays in view while scrolling and filters the table; each column fits its longest text."""
    sheet.freeze_panes = "A2"
    if frame.columns.empty:
        return
    sheet.auto_filter.ref = sheet.dimensions
    for number, column in enumerate(frame.columns, start=1):
        texts = [str(column), *(_cell_text(value) for value in frame[column])]
        width = max(text_width(text) for text in texts) + 2
        sheet.column_dimensions[get_column_letter(number)].width = min(max(width, MIN_WIDTH), MAX_WIDTH)


def text_width(text: str) -> int:
    """How many Latin characters wide `text` prints: wide (CJK) and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def _cell_text(value: Any) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    return str(value)
