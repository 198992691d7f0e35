"""Tables on screen and on paper: translated headers, code words in words, times as the catalog spells them, and
people's text shown as typed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from ui.i18n import (
    MarkdownText,
    current_language,
    escape_markdown,
    join_list,
    t,
    translate,
)


def show_table(frame: pd.DataFrame, *, codes: dict[str, str] | None = None) -> None:
    """A read-only table with translated headers (`column.<name>`); `codes` maps a column to its value family.

    The interactive grid shows cells as text, not Markdown: a cell holding a translated message takes its
    `.plain` words (pandas keeps text cells as plain str, so a MarkdownText would arrive escaped)."""
    if frame.empty:
        st.caption(t("table.empty"))
        return
    st.dataframe(_worded(frame, codes=codes), hide_index=True, width="stretch")


def show_print_table(frame: pd.DataFrame) -> None:
    """A static table for paper (already translated, as ui.downloads.translated_frame makes it). st.table reads
    every cell and header as Markdown, so each one is escaped here: names and codes print as typed."""
    shown = frame.map(_printed)
    shown.columns = [escape_markdown(column) for column in shown.columns]
    st.table(shown, border="horizontal", hide_index=True)


def _printed(value: Any) -> Any:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}"  # a reading as typed (5.1), not the static table's 5.1000
    if isinstance(value, dt.datetime | dt.time):
        return _worded_time(value)
    if isinstance(value, bool | int):
        return value
    return escape_markdown(value)


def _worded(frame: pd.DataFrame, *, codes: dict[str, str] | None) -> pd.DataFrame:
    # The language once and each code word once per table: a 200-row list asked for both cell by cell (the session's
    # state read 10,000 times) and spent a quarter of the orders page's run on it.
    language = current_language()
    shown = frame.copy()
    for column, family in (codes or {}).items():
        shown[column] = shown[column].map(_code_words(family, language=language))
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]) or _holds_times(shown[column]):
            # Times as the catalog spells them (`{at:%H:%M}`): no seconds in the roster or the logs.
            shown[column] = shown[column].map(lambda value: _worded_time(value, language=language))
        elif pd.api.types.is_object_dtype(shown[column]) or pd.api.types.is_string_dtype(shown[column]):
            # Missing text (a bag with no slot yet) shows blank, not the table's grey "None".
            shown[column] = shown[column].where(shown[column].notna(), "")
    shown.columns = [translate(language, f"column.{column}").plain for column in shown.columns]
    return shown


def _code_words(family: str, *, language: str) -> Callable[[Any], MarkdownText | None]:
    """A cell's code word(s) → words (translate_codes), each distinct value looked up once."""
    words: dict[Any, MarkdownText] = {}

    def word(value: Any) -> MarkdownText | None:
        if value is None:
            return None
        key = tuple(value) if isinstance(value, list) else value
        if key not in words:
            words[key] = translate_codes(value, family, language=language)
        return words[key]

    return word


def _holds_times(values: pd.Series) -> bool:
    """A column of moments or times of day (object dtype: pandas keeps dt.time and mixed moments as objects)."""
    present = values.dropna()
    return not present.empty and all(isinstance(value, dt.datetime | dt.time) for value in present)


def _worded_time(value: Any, *, language: str | None = None) -> str:
    if value is None or pd.isna(value):
        return ""
    key = "format.time" if isinstance(value, dt.time) else "format.moment"
    return translate(language or current_language(), key, at=value).plain


def translate_codes(value: str | list[str], family: str, *, language: str | None = None) -> MarkdownText:
    """Stored code words (`picked_up`, `fridge`) in the reader's language (or `language`); lists joined. Catalog
    words only, so the result is safe for Markdown as it is."""
    language = language or current_language()
    codes = value if isinstance(value, list) else [value]
    return join_list([translate(language, f"value.{family}.{code}") for code in codes], language=language)
