"""What the store keeps, read directly: checks store tests make beside the store's own functions, which the app has
no use for (an order's events, the rollups summed over their shards, the failed tries kept for throttling)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.core.models import Event, LookupAttempt
from db.orders.rollups import LONGEST, TABLES


def order_history(session: Session, *, order_id: int) -> list[Event]:
    """The order's events, oldest first."""
    query = select(Event).where(Event.entity == "order", Event.entity_id == order_id).order_by(Event.id)
    return list(session.scalars(query))


def read_rollups(session: Session, *, site_id: int | None = None) -> dict[str, set[tuple[Any, ...]]]:
    """Every key's counts, summed over its shards (a longest: the largest of them), as tuples (key, then counts)
    where any count is not zero: to compare the kept rollups with a rebuild (db.orders.rollups.rebuild_rollups)."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    for table, keys, counted in TABLES:
        columns = table.__table__.c
        grouped = [columns[name] for name in keys]
        summed = (func.max(columns[name]) if name in LONGEST else func.sum(columns[name]) for name in counted)
        query = select(*grouped, *summed).group_by(*grouped)
        if site_id is not None:
            query = query.where(columns.site_id == site_id)
        found[table.__tablename__] = {
            (*row[: len(keys)], *(int(number) for number in row[len(keys) :]))
            for row in session.execute(query)
            if any(row[len(keys) :])
        }
    return found


def count_stored_tries(session: Session) -> int:
    """The failed tries the throttling keeps (db/people/throttling.py), of every scope and key."""
    return session.scalar(select(func.count(LookupAttempt.id))) or 0
