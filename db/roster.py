"""The roster: shifts at a site and the volunteers assigned to them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.errors import InvalidValue, NotAllowed, NotFound, WrongState
from db.events import record_event
from db.models import ROLES, Assignment, Shift, VolunteerRole

ACTIVE_ASSIGNMENT_STATUSES = ("signed_up", "checked_in", "checked_out")


def create_shift(
    session: Session,
    *,
    site_id: int,
    role: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    min_staff: int,
    max_staff: int,
    now: dt.datetime,
    template_id: int | None = None,
    actor_id: int | None = None,
) -> Shift:
    if role not in ROLES:
        raise InvalidValue("error.role_unknown", role=role)
    if starts_at >= ends_at:
        raise InvalidValue("error.shift_time_order")
    if not 1 <= min_staff <= max_staff:
        raise InvalidValue("error.staff_range")
    shift = Shift(
        site_id=site_id, template_id=template_id, role=role, starts_at=starts_at, ends_at=ends_at,
        min_staff=min_staff, max_staff=max_staff,
    )
    session.add(shift)
    session.flush()
    record_event(
        session, site_id=site_id, actor_id=actor_id, action="shift.created", entity="shift", entity_id=shift.id,
        now=now, after={"role": role, "starts_at": starts_at, "ends_at": ends_at},
    )
    return shift


def sign_up(
    session: Session, *, shift_id: int, volunteer_id: int, now: dt.datetime, actor_id: int | None = None
) -> Assignment:
    """Put a volunteer on a shift: they must hold its role, be free then, and a place must be left."""
    shift = session.get(Shift, shift_id)
    if shift is None or shift.cancelled_at is not None:
        raise NotFound("error.shift_not_found")
    holds_role = session.get(VolunteerRole, (volunteer_id, shift.site_id, shift.role))
    if holds_role is None:
        raise NotAllowed("error.role_not_held", role=shift.role)
    overlapping = session.scalar(
        select(func.count(Assignment.id))
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.volunteer_id == volunteer_id,
            Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES),
            Shift.cancelled_at.is_(None),
            Shift.starts_at < shift.ends_at,
            Shift.ends_at > shift.starts_at,
        )
    )
    if overlapping:
        raise NotAllowed("error.shift_overlaps")
    # Lock the shift row (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes) so two people
    # taking the last place cannot both get it.
    session.execute(select(Shift.id).where(Shift.id == shift_id).with_for_update())
    taken = session.scalar(
        select(func.count(Assignment.id)).where(
            Assignment.shift_id == shift_id, Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES)
        )
    )
    if taken >= shift.max_staff:
        raise NotAllowed("error.shift_full")
    assignment = session.scalar(
        select(Assignment).where(Assignment.shift_id == shift_id, Assignment.volunteer_id == volunteer_id)
    )
    if assignment is None:
        assignment = Assignment(site_id=shift.site_id, shift_id=shift_id, volunteer_id=volunteer_id, signed_up_at=now)
        session.add(assignment)
    elif assignment.status in ACTIVE_ASSIGNMENT_STATUSES:
        raise WrongState("error.already_signed_up")
    assignment.status = "signed_up"
    assignment.signed_up_at = now
    session.flush()
    record_event(
        session, site_id=shift.site_id, actor_id=actor_id or volunteer_id, action="assignment.signed_up",
        entity="assignment", entity_id=assignment.id, now=now, after={"shift_id": shift_id,
                                                                       "volunteer_id": volunteer_id},
    )
    return assignment


def check_in(session: Session, *, assignment_id: int, now: dt.datetime) -> None:
    _move_assignment(
        session, assignment_id=assignment_id, from_status="signed_up", now=now, by_volunteer=True,
        values={"status": "checked_in", "checked_in_at": now}, action="assignment.checked_in",
    )


def check_out(session: Session, *, assignment_id: int, now: dt.datetime, automatic: bool = False) -> None:
    """End a volunteer's time on a shift; `automatic` when the app closes a forgotten check-out."""
    _move_assignment(
        session, assignment_id=assignment_id, from_status="checked_in", now=now, by_volunteer=not automatic,
        values={"status": "checked_out", "checked_out_at": now, "auto_checked_out": automatic},
        action="assignment.checked_out",
    )


def mark_no_show(session: Session, *, assignment_id: int, now: dt.datetime) -> None:
    _move_assignment(
        session, assignment_id=assignment_id, from_status="signed_up", now=now, by_volunteer=False,
        values={"status": "no_show"}, action="assignment.no_show",
    )


def _move_assignment(
    session: Session, *, assignment_id: int, from_status: str, values: dict, action: str, now: dt.datetime,
    by_volunteer: bool,
) -> None:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("error.assignment_not_found")
    result = session.execute(
        update(Assignment)
        .where(Assignment.id == assignment_id, Assignment.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise WrongState(status=assignment.status)
    session.expire(assignment)
    record_event(
        session, site_id=assignment.site_id, actor_id=assignment.volunteer_id if by_volunteer else None,
        action=action, entity="assignment", entity_id=assignment_id, now=now,
        before={"status": from_status}, after={key: value for key, value in values.items() if key == "status"},
    )


def list_shifts(session: Session, *, site_id: int, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    query = (
        select(Shift)
        .where(Shift.site_id == site_id, Shift.starts_at >= start, Shift.starts_at < end)
        .order_by(Shift.starts_at, Shift.role)
    )
    return list(session.scalars(query))
