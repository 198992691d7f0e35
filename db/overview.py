"""Read-only tables the pages show: volunteers, shifts, assignments and the event log, as DataFrames."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from db.clock import to_local
from db.models import Account, Assignment, Event, Shift, Volunteer, VolunteerRole


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    # Tables show the site's wall-clock time without an offset, as the volunteers read it.
    return None if moment is None else to_local(moment).replace(tzinfo=None)


def volunteers_frame(session: Session, *, site_id: int) -> pd.DataFrame:
    """One row per volunteer of the site: name, phone (whole: organizers only), roles, credentials."""
    people = session.execute(
        select(Volunteer.id, Volunteer.name, Volunteer.phone, Volunteer.active, Account.username, Account.pin_hash)
        .outerjoin(Account, Account.volunteer_id == Volunteer.id)
        .where(Volunteer.site_id == site_id)
        .order_by(Volunteer.name, Volunteer.id)
    ).all()
    roles: dict[int, list[str]] = {}
    for volunteer_id, role in session.execute(
        select(VolunteerRole.volunteer_id, VolunteerRole.role)
        .where(VolunteerRole.site_id == site_id)
        .order_by(VolunteerRole.role)
    ):
        roles.setdefault(volunteer_id, []).append(role)
    return pd.DataFrame(
        [
            {"name": row.name, "phone": row.phone, "roles": roles.get(row.id, []), "active": row.active,
             "has_pin": row.pin_hash is not None, "username": row.username or ""}
            for row in people
        ],
        columns=["name", "phone", "roles", "active", "has_pin", "username"],
    )


def shifts_frame(session: Session, *, site_id: int, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Shifts starting in [start, end) with how many are signed up against the staffing limits."""
    shifts = session.scalars(
        select(Shift)
        .where(Shift.site_id == site_id, Shift.starts_at >= start, Shift.starts_at < end, Shift.cancelled_at.is_(None))
        .order_by(Shift.starts_at, Shift.role)
    ).all()
    staffed: dict[int, int] = {}
    for (shift_id,) in session.execute(
        select(Assignment.shift_id).where(
            Assignment.shift_id.in_([shift.id for shift in shifts]),
            Assignment.status.in_(("signed_up", "checked_in", "checked_out")),
        )
    ):
        staffed[shift_id] = staffed.get(shift_id, 0) + 1
    return pd.DataFrame(
        [
            {"starts_at": _local(shift.starts_at), "ends_at": _local(shift.ends_at), "role": shift.role,
             "staffed": staffed.get(shift.id, 0), "min_staff": shift.min_staff, "max_staff": shift.max_staff}
            for shift in shifts
        ],
        columns=["starts_at", "ends_at", "role", "staffed", "min_staff", "max_staff"],
    )


def assignments_frame(session: Session, *, volunteer_id: int, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """One volunteer's shifts starting in [start, end) and where each assignment stands."""
    rows = session.execute(
        select(Shift.starts_at, Shift.ends_at, Shift.role, Assignment.status)
        .join(Assignment, Assignment.shift_id == Shift.id)
        .where(Assignment.volunteer_id == volunteer_id, Shift.starts_at >= start, Shift.starts_at < end)
        .order_by(Shift.starts_at)
    ).all()
    return pd.DataFrame(
        [{"starts_at": _local(row.starts_at), "ends_at": _local(row.ends_at), "role": row.role,
          "status": row.status} for row in rows],
        columns=["starts_at", "ends_at", "role", "status"],
    )


def events_frame(
    session: Session, *, site_id: int, action: str | None = None, entity: str | None = None,
    actor_id: int | None = None, start: dt.datetime | None = None, end: dt.datetime | None = None, limit: int = 200,
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
            {"happened_at": _local(event.happened_at), "actor": name or "", "action": event.action,
             "entity": f"{event.entity} #{event.entity_id}" if event.entity_id is not None else event.entity,
             "before": _describe(event.before), "after": _describe(event.after)}
            for event, name in rows
        ],
        columns=["happened_at", "actor", "action", "entity", "before", "after"],
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


def _describe(values: dict | None) -> str:
    if not values:
        return ""
    return ", ".join(f"{key}={value}" for key, value in values.items())
