"""Download buttons for a table: CSV and XLSX with translated headers and formula cells defused (ui.exports)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ui.exports import frame_to_csv_bytes, frame_to_xlsx_bytes
from ui.i18n import current_language, t, translate


def translated_frame(
    frame: pd.DataFrame, *, language: str, codes: dict[str, str] | None = None, first: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A copy for people: without the store's row ids (`id`, `…_id`), the `first` columns leading, headers
    (`column.<name>`) and stored code words in `language`, as plain text for files (a page printing it through
    st.table escapes it there: ui.tables.show_print_table)."""
    kept = [column for column in frame.columns if not is_internal_id(column)]
    leading = [column for column in first if column in kept]
    shown = frame[[*leading, *(column for column in kept if column not in leading)]].copy()
    for column, family in (codes or {}).items():
        shown[column] = shown[column].map(
            lambda code, family=family: translate(language, f"value.{family}.{code}").plain
        )
    shown.columns = [translate(language, f"column.{column}").plain for column in shown.columns]
    return shown


def is_internal_id(column: object) -> bool:
    """A column holding the store's row ids: meaningless to people, left out of what they read and download."""
    return column == "id" or str(column).endswith("_id")


def download_buttons(
    load: Callable[[], pd.DataFrame],
    *,
    key: str,
    file_stem: str,
    codes: dict[str, str] | None = None,
    first: tuple[str, ...] = (),
    labels: tuple[str, str] | None = None,
) -> None:
    """CSV and Excel buttons side by side (`labels` instead of "download CSV / Excel"). `load` runs only when one
    is clicked (on Streamlit's download thread, so it must not use st.*): a long list is not built on every rerun.
    The files leave out row ids and lead with the `first` columns (see translated_frame)."""
    language = current_language()

    def as_csv() -> bytes:
        return frame_to_csv_bytes(translated_frame(load(), language=language, codes=codes, first=first))

    def as_xlsx() -> bytes:
        frame = translated_frame(load(), language=language, codes=codes, first=first)
        return frame_to_xlsx_bytes(frame, sheet_name=file_stem)

    csv_label, xlsx_label = labels or (t("export.csv"), t("export.xlsx"))
    left, right = st.columns(2)
    left.download_button(
        csv_label,
        as_csv,
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
        width="stretch",
        icon=":material/download:",
    )
    right.download_button(
        xlsx_label,
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
