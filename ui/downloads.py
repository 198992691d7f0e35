"""Download buttons for a table: CSV and XLSX with translated headers and formula cells defused (ui.exports)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ui.exports import frame_to_csv_bytes, frame_to_xlsx_bytes
from ui.i18n import current_language, t, translate


def translated_frame(frame: pd.DataFrame, *, language: str, codes: dict[str, str] | None = None) -> pd.DataFrame:
    """A copy with headers (`column.<name>`) and stored code words in `language`, as plain text for files (a
    page printing it through st.table escapes it there: ui.widgets.show_print_table)."""
    shown = frame.copy()
    for column, family in (codes or {}).items():
        shown[column] = shown[column].map(
            lambda code, family=family: translate(language, f"value.{family}.{code}").plain
        )
    shown.columns = [translate(language, f"column.{column}").plain for column in shown.columns]
    return shown


def download_buttons(
    load: Callable[[], pd.DataFrame],
    *,
    key: str,
    file_stem: str,
    codes: dict[str, str] | None = None,
) -> None:
    """CSV and Excel buttons side by side. `load` runs only when one is clicked (on Streamlit's download thread,
    so it must not use st.*): a long list is not built on every rerun."""
    language = current_language()

    def as_csv() -> bytes:
        return frame_to_csv_bytes(translated_frame(load(), language=language, codes=codes))

    def as_xlsx() -> bytes:
        return frame_to_xlsx_bytes(translated_frame(load(), language=language, codes=codes), sheet_name=file_stem)

    left, right = st.columns(2)
    left.download_button(
        t("export.csv"),
        as_csv,
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
        width="stretch",
        icon=":material/download:",
    )
    right.download_button(
        t("export.xlsx"),
        as_xlsx,
        file_name=f"{file_stem}.xlsx",
        key=f"{key}_xlsx",
        on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        width="stretch",
        icon=":material/download:",
    )


def frame_buttons(
    frame: pd.DataFrame, *, labels: tuple[str, str], keys: tuple[str, str], file_stem: str, sheet_name: str
) -> None:
    """CSV and Excel buttons, one under the other, for a small frame the page already holds with its headers in
    words (an hours sheet, a month of temperatures): built on each run, unlike download_buttons."""
    csv_label, xlsx_label = labels
    csv_key, xlsx_key = keys
    st.download_button(
        csv_label,
        frame_to_csv_bytes(frame),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=csv_key,
        width="stretch",
    )
    st.download_button(
        xlsx_label,
        frame_to_xlsx_bytes(frame, sheet_name=sheet_name),
        file_name=f"{file_stem}.xlsx",
        key=xlsx_key,
        width="stretch",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
