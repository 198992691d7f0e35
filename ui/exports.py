"""Files people download: CSV and XLSX from a DataFrame, with spreadsheet formulas defused."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

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


def frames_to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One workbook, one sheet per frame (names cut to Excel's 31 characters)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet_name, frame in sheets.items():
            escape_frame(frame).to_excel(writer, index=False, sheet_name=sheet_name[:31])
    return buffer.getvalue()
