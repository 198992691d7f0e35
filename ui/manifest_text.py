"""The words of a manifest import's outcome, shared by the organizer page and `python -m db import-manifest`."""

from __future__ import annotations

from db.manifest import ImportPlan, ImportResult, RejectedRow
from ui.i18n import translate


def import_summary(result: ImportResult | ImportPlan, *, language: str, planned: bool = False) -> str:
    """One sentence: what was (or, for a preview, would be) imported, already there, and rejected."""
    orders = len(result.orders) if isinstance(result, ImportPlan) else result.orders
    items = result.item_count if isinstance(result, ImportPlan) else result.items
    if not orders and not result.rejected and result.already_imported:
        return translate(language, "manifest.nothing_changed", already=result.already_imported)
    key = "manifest.preview_summary" if planned else "manifest.summary"
    return translate(language, key, orders=orders, items=items, already=result.already_imported,
                     rejected=len(result.rejected))


def rejected_reason(row: RejectedRow, *, language: str) -> str:
    return translate(language, row.key, **row.params)
