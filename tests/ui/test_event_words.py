"""The event log (audit page, an order's history) shows no stored code word: every code an event's before or after
can hold, for every field that holds one, is worded in both languages (ui.event_words.change_text)."""

from __future__ import annotations

import re

import pytest

from db.core.backup import KINDS as BACKUP_KINDS
from db.core.models import (
    ASSIGNMENT_STATUSES,
    EXCURSION_OUTCOMES,
    MESSAGE_STATUSES,
    ORDER_STATUSES,
    ROLES,
    STORAGE_CLASSES,
    UNIT_KINDS,
)
from db.orders.calls import CALL_OUTCOMES
from db.orders.notices import NOTICE_KINDS
from db.outbox.channels import CHANNEL_SECRETS, NOTIFICATION_KINDS, SMS_PROVIDERS
from db.people.site_rules import CHOICES
from ui.event_words import CHANGE_VALUE_FAMILIES, change_text
from ui.i18n import LANGUAGES, load_catalog

# Every code word the store writes into an event's before/after, by field.
EVENT_CODES = {
    "status": (*ORDER_STATUSES, *ASSIGNMENT_STATUSES, *MESSAGE_STATUSES),
    "kind": (*UNIT_KINDS, *STORAGE_CLASSES, *BACKUP_KINDS, "pin", "password", "organizer", "volunteer"),
    "storage_class": STORAGE_CLASSES,
    "role": ROLES,
    "roles": ROLES,
    "outcome": (*EXCURSION_OUTCOMES, *CALL_OUTCOMES),
    "notice": NOTICE_KINDS,
    "collected_by": ("self", "family", "neighbour"),
    "weekday_hours_0": ("closed", "usual"),
    "language": CHOICES["language"],
    "channel": tuple(CHANNEL_SECRETS),
    "provider": SMS_PROVIDERS,
    "notification": NOTIFICATION_KINDS,
}
# A stored code as it would leak: lower-case ASCII words, joined by underscores.
RAW = re.compile(r"\b[a-z]+(?:_[a-z]+)*\b")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("field", sorted(EVENT_CODES))
def test_every_code_an_event_holds_is_worded(field: str, language: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("ui.event_words.current_language", lambda: language)
    monkeypatch.setattr("ui.tables.current_language", lambda: language)
    monkeypatch.setattr("ui.i18n.current_language", lambda: language)
    catalog = load_catalog(language)
    for code in EVENT_CODES[field]:
        # One of the field's families names the code (English words may equal the code: `shelf`).
        assert any(f"value.{family}.{code}" in catalog for family in CHANGE_VALUE_FAMILIES.get(field, ())), (
            field,
            code,
        )
        worded = change_text({field: code})
        if language == "zh-CN":
            assert RAW.findall(worded) == [], (field, code, worded)
