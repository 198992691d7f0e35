"""The event log as organizers read it: filtered in SQL, newest first, with who did what in plain words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from db.core.clock import to_local
from db.core.models import Event, Volunteer


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    # Tables show the site's wall-clock time without an offset, as the volunteers read it.
    return None if moment is None else to_local(moment).replace(tzinfo=None)


def events_frame(
    session: Session,
    *,
    site_id: int,
    action: str | None = None,
    entity: str | None = None,
    actor_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """The site's newest events first, filtered in SQL: when, who, what, on which entity, before and after.

    A failed sign-in with an unknown username belongs to no site; organizers see those account events too.
    """
    actor = aliased(Volunteer)
    query = (
        select(Event, actor.name)
        .outerjoin(actor, actor.id == Event.actor_id)
        .where(or_(Event.site_id == site_id, and_(Event.site_id.is_(None), Event.entity == "account")))
        .order_by(Event.happened_at.desc(), Event.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(Event.action == action)
    if entity:
        query = query.where(Event.entity == entity)
    if actor_id is not None:
        query = query.where(Event.actor_id == actor_id)
    if start is not None:
        query = query.where(Event.happened_at >= start)
    if end is not None:
        query = query.where(Event.happened_at < end)
    rows = session.execute(query).all()
    return pd.DataFrame(
        [
            {
                "happened_at": _local(event.happened_at),
                "actor": name or "",
                "action": event.action,
                "entity": event.entity,
                "entity_id": event.entity_id,
                "before": event.before,
                "after": event.after,
            }
            for event, name in rows
        ],
        columns=["happened_at", "actor", "action", "entity", "entity_id", "before", "after"],
    )


@dataclass(frozen=True)
class EventFilters:
    """What the event log can be filtered by at a site: the actions, entities and people it holds."""

    actions: list[str]
    entities: list[str]
    actors: list[tuple[int, str]]


def list_event_filters(session: Session, *, site_id: int) -> EventFilters:
    at_site = or_(Event.site_id == site_id, and_(Event.site_id.is_(None), Event.entity == "account"))
    actions = session.scalars(select(Event.action).where(at_site).distinct().order_by(Event.action))
    entities = session.scalars(select(Event.entity).where(at_site).distinct().order_by(Event.entity))
    actors = session.execute(
        select(Volunteer.id, Volunteer.name)
        .where(Volunteer.id.in_(select(Event.actor_id).where(at_site)))
        .order_by(Volunteer.name, Volunteer.id)
    )
    return EventFilters(actions=list(actions), entities=list(entities), actors=[(row.id, row.name) for row in actors])
