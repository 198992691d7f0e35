"""The append-only event log: every state change writes one row here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from db.core.models import Event


def record_event(
    session: Session,
    *,
    site_id: int | None,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Event:
    event = Event(
        site_id=site_id,
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        happened_at=now,
        before=_plain(before),
        after=_plain(after),
    )
    session.add(event)
    return event


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """JSON-safe copy: dates and times as ISO strings."""
    if values is None:
        return None
    return {
        key: value.isoformat() if isinstance(value, dt.date | dt.datetime | dt.time) else value
        for key, value in values.items()
    }
