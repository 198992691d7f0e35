"""An event's before and after in the reader's words (状态：已上架, not status=shelved)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from db.core.privacy import mask_phone
from ui.i18n import (
    current_language,
    join_list,
    load_catalog,
    t,
)
from ui.tables import translate_codes

# Fields of an event's before/after that hold a stored code word, and the value families that name it, tried in
# order (a `status` is a bag's, a sign-up's or a message's; an `outcome` is an excursion check's or a call's; a
# `kind` a unit's, a storage class, an account's secret or a backup's).
CHANGE_VALUE_FAMILIES: dict[str, tuple[str, ...]] = {
    "status": ("status", "message_status"),
    "kind": ("kind",),
    "storage_class": ("kind",),
    "role": ("role",),
    "roles": ("role",),
    "outcome": ("outcome", "call_outcome"),
    "notice": ("notice",),
    "weekday": ("weekday",),
    "collected_by": ("collector",),
    # The language of a site's messages (a rules change): zh-CN → 中文.
    "language": ("language",),
    # The outbox's changes (db/outbox/channels.py): a channel set up or removed, a kind of message switched.
    "channel": ("channel",),
    "provider": ("sms_provider",),
    "notification": ("message_kind",),
    # A weekday's hours in a rules change: "closed" or "usual" in words, other hours as they are ("09:00–12:00").
    **{f"weekday_hours_{weekday}": ("opening",) for weekday in range(7)},
}
# Fields of an event's before/after that hold a phone number (a resident's corrected one, a volunteer's changed
# one, a message's recipient): the event log and a bag's history show them masked, as every list does.
PHONE_FIELDS = frozenset({"phone", "recipient"})


def change_text(values: dict[str, Any] | None) -> str:
    """An event's before or after in the reader's language: 状态：已上架；货位：F1-01 (not status=shelved), phone
    numbers masked. Plain text, for the event tables' cells (never Markdown)."""
    if not values:
        return ""
    catalog = load_catalog(current_language())
    parts = []
    for field_name, value in values.items():
        if value is None:
            continue
        codes = value if isinstance(value, list) else [value]
        family = next(
            (
                family
                for family in CHANGE_VALUE_FAMILIES.get(field_name, ())
                if all(f"value.{family}.{code}" in catalog for code in codes)
            ),
            None,
        )
        shown: str
        if field_name in PHONE_FIELDS and isinstance(value, str):
            shown = mask_phone(value) if value else ""
        elif family:
            shown = translate_codes([str(code) for code in codes], family)
        elif isinstance(value, bool):
            shown = t(f"value.yes_no.{value}")
        elif isinstance(value, list):
            shown = join_list(value)
        else:
            shown = _local_if_moment(value)
        label = catalog.get(f"column.{field_name}", field_name)
        parts.append(t("change.field", field=label, value=shown).plain)
    return t("change.separator").plain.join(parts)


def worded_changes(events: pd.DataFrame) -> pd.DataFrame:
    """An event frame with its before/after (and what it is about, when the frame names it) in words (see
    change_text)."""
    worded = events.assign(before=events["before"].map(change_text), after=events["after"].map(change_text))
    if "subject" in worded.columns:
        worded["subject"] = worded["subject"].map(change_text)
    return worded


def _local_if_moment(value: Any) -> str:
    """Times in events are stored as UTC ISO text; shown in Asia/Shanghai like every other time, as the catalog
    spells a moment (no seconds). A time of day (a template's start) as the catalog spells a time."""
    if isinstance(value, dt.time):
        return t("format.time", at=value).plain
    if isinstance(value, str) and "T" in value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return t("format.moment", at=moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).plain
    return str(value)
