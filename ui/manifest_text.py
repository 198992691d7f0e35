"""The words of a manifest import's outcome, shared by the organizer page and `python -m db import-manifest`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from db.core.errors import StoreError
from db.orders.manifest import ImportPlan, ImportResult, RejectedRow
from ui.i18n import MarkdownText, join_list, translate


def import_summary(result: ImportResult | ImportPlan, *, language: str, planned: bool = False) -> MarkdownText:
    """One sentence: what was (or, for a preview, would be) imported, already there, and rejected."""
    orders = len(result.orders) if isinstance(result, ImportPlan) else result.orders
    items = result.item_count if isinstance(result, ImportPlan) else result.items
    if not orders and not result.rejected and result.already_imported:
        return translate(language, "manifest.nothing_changed", already=result.already_imported)
    key = "manifest.preview_summary" if planned else "manifest.summary"
    return translate(
        language, key, orders=orders, items=items, already=result.already_imported, rejected=result.rejected_rows
    )


def rejected_reason(row: RejectedRow, *, language: str) -> MarkdownText:
    return import_message(row.key, row.params, language=language)


def import_error_text(error: StoreError, *, language: str) -> MarkdownText:
    """A file refused as a whole (missing columns, unreadable), with its column names as headings."""
    return import_message(error.key, error.params, language=language)


def import_message(key: str, params: Mapping[str, Any], *, language: str) -> MarkdownText:
    """A manifest or volunteer-list message; the stored field names (`phone`) shown as column headings (手机)."""
    shown = dict(params)
    if "column" in shown:
        shown["column"] = column_heading(shown["column"], language=language)
    if "columns" in shown:
        shown["columns"] = column_list(shown["columns"], language=language)
    return translate(language, key, **shown)


def column_list(names: Iterable[str], *, language: str) -> str:
    return join_list([column_heading(name, language=language) for name in names], language=language).plain


def column_heading(name: str, *, language: str) -> str:
    return translate(language, f"column.{name}")
