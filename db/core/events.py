"""The append-only event log: every state change writes one row here."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, Table, insert
from sqlalchemy.orm import Session

from db.core.models import Event

_EVENTS = cast(Table, Event.__table__)


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
) -> int:
    """Write the event now (one INSERT in the session's transaction, not kept in the session) and return its id."""
    result = session.execute(
        insert(_EVENTS).values(
            site_id=site_id,
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            happened_at=now,
            before=_plain(before),
            after=_plain(after),
        )
    )
    key = cast(CursorResult[Any], result).inserted_primary_key
    assert key is not None
    return int(key[0])


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """JSON-safe copy: dates and times as ISO strings."""
    if values is None:
        return None
    return {
        key: value.isoformat() if isinstance(value, dt.date | dt.datetime | dt.time) else value
        for key, value in values.items()
    }
