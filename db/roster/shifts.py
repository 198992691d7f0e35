"""The roster: shifts at a site and the volunteers assigned to them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from db.core.clock import local_moment
from db.core.engine import rows_changed
from db.core.errors import InvalidValue, NotAllowed, NotFound, WrongState
from db.core.events import record_event
from db.core.models import ROLES, Assignment, Shift, ShiftTemplate, Volunteer, VolunteerRole
from db.people.sites import get_site_rules

ACTIVE_ASSIGNMENT_STATUSES = ("signed_up", "checked_in", "checked_out")
# A volunteer may check in this long before the shift starts (setting up the counter).
CHECK_IN_EARLY = dt.timedelta(minutes=30)
# A check-out still open this long after the shift ended is closed by the app and flagged.
FORGOTTEN_CHECK_OUT_AFTER = dt.timedelta(hours=1)
# Generating shifts for more days than this at once is almost certainly a typo in the dates.
MAX_GENERATE_DAYS = 93


@dataclass(frozen=True)
class TemplateInfo:
    id: int
    weekday: int
    starts: dt.time
    ends: dt.time
    role: str
    min_staff: int
    max_staff: int
    active: bool


@dataclass(frozen=True)
class ShiftInfo:
    """A dated shift and how many people are on it now."""

    id: int
    role: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    min_staff: int
    max_staff: int
    staffed: int
    from_template: bool
    cancelled: bool


@dataclass(frozen=True)
class ShiftPerson:
    """A volunteer on a shift, with a phone number whole: only organizers see this (contact list)."""

    assignment_id: int
    volunteer_id: int
    name: str
    phone: str
    status: str
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    auto_checked_out: bool


@dataclass(frozen=True)
class MyAssignment:
    assignment_id: int
    shift_id: int
    role: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    auto_checked_out: bool


def _check_shift_rules(*, role: str, starts: Any, ends: Any, min_staff: int, max_staff: int) -> None:
    """What a dated shift and a weekly template both obey: a known role, start before end, 1 ≤ min ≤ max staff."""
    if role not in ROLES:
        raise InvalidValue("error.role_unknown", role=role)
    if starts >= ends:
        raise InvalidValue("error.shift_time_order")
    if not 1 <= min_staff <= max_staff:
        raise InvalidValue("error.staff_range")


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
    _check_shift_rules(role=role, starts=starts_at, ends=ends_at, min_staff=min_staff, max_staff=max_staff)
    shift = Shift(
        site_id=site_id,
        template_id=template_id,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        min_staff=min_staff,
        max_staff=max_staff,
    )
    session.add(shift)
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="shift.created",
        entity="shift",
        entity_id=shift.id,
        now=now,
        after={"role": role, "starts_at": starts_at, "ends_at": ends_at},
    )
    return shift


def sign_up(
    session: Session, *, shift_id: int, volunteer_id: int, now: dt.datetime, actor_id: int | None = None
) -> Assignment:
    """Put a volunteer on a shift: they must hold its role, be free then, and a place must be left."""
    shift = session.get(Shift, shift_id)
    if shift is None or shift.cancelled_at is not None:
        raise NotFound("error.shift_not_found")
    if shift.ends_at <= now:
        raise NotAllowed("error.shift_over")
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None or not volunteer.active:
        raise NotFound("error.volunteer_not_found")
    holds_role = session.get(VolunteerRole, (volunteer_id, shift.site_id, shift.role))
    if holds_role is None:
        raise NotAllowed("error.role_not_held", role=shift.role)
    _check_free_during(session, volunteer_id=volunteer_id, shift=shift)
    _check_place_left(session, shift=shift)
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
        session,
        site_id=shift.site_id,
        actor_id=actor_id or volunteer_id,
        action="assignment.signed_up",
        entity="assignment",
        entity_id=assignment.id,
        now=now,
        after={"shift_id": shift_id, "volunteer_id": volunteer_id},
    )
    return assignment


def _check_free_during(session: Session, *, volunteer_id: int, shift: Shift) -> None:
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


def _check_place_left(session: Session, *, shift: Shift) -> None:
    # Lock the shift row (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes) so two people
    # taking the last place cannot both get it.
    session.execute(select(Shift.id).where(Shift.id == shift.id).with_for_update())
    taken = session.execute(
        select(func.count(Assignment.id)).where(
            Assignment.shift_id == shift.id, Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES)
        )
    ).scalar_one()
    if taken >= shift.max_staff:
        raise NotAllowed("error.shift_full")


def check_in_open(*, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a volunteer may check in on a shift now: from CHECK_IN_EARLY before its start until its end."""
    return starts_at - CHECK_IN_EARLY <= now <= ends_at


def check_in(session: Session, *, assignment_id: int, now: dt.datetime) -> None:
    """Start a volunteer's time on a shift: from 30 minutes before the start until the end."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("error.assignment_not_found")
    shift = session.get(Shift, assignment.shift_id)
    if shift is None or shift.cancelled_at is not None:
        raise NotFound("error.shift_not_found")
    if now < shift.starts_at - CHECK_IN_EARLY:
        raise NotAllowed("error.check_in_too_early", opens=shift.starts_at - CHECK_IN_EARLY)
    if now > shift.ends_at:
        raise NotAllowed("error.check_in_too_late", ended=shift.ends_at)
    _move_assignment(
        session,
        assignment_id=assignment_id,
        from_status="signed_up",
        now=now,
        by_volunteer=True,
        values={"status": "checked_in", "checked_in_at": now},
        action="assignment.checked_in",
    )


def check_out(session: Session, *, assignment_id: int, now: dt.datetime, automatic: bool = False) -> None:
    """End a volunteer's time on a shift; `automatic` when the app closes a forgotten check-out."""
    _move_assignment(
        session,
        assignment_id=assignment_id,
        from_status="checked_in",
        now=now,
        by_volunteer=not automatic,
        values={"status": "checked_out", "checked_out_at": now, "auto_checked_out": automatic},
        action="assignment.checked_out",
    )


def mark_no_show(session: Session, *, assignment_id: int, now: dt.datetime) -> None:
    _move_assignment(
        session,
        assignment_id=assignment_id,
        from_status="signed_up",
        now=now,
        by_volunteer=False,
        values={"status": "no_show"},
        action="assignment.no_show",
    )


def _move_assignment(
    session: Session,
    *,
    assignment_id: int,
    from_status: str,
    values: dict[str, Any],
    action: str,
    now: dt.datetime,
    by_volunteer: bool,
) -> None:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("error.assignment_not_found")
    changed = rows_changed(
        session,
        update(Assignment)
        .where(Assignment.id == assignment_id, Assignment.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        raise WrongState(status=assignment.status)
    session.expire(assignment)
    record_event(
        session,
        site_id=assignment.site_id,
        actor_id=assignment.volunteer_id if by_volunteer else None,
        action=action,
        entity="assignment",
        entity_id=assignment_id,
        now=now,
        before={"status": from_status},
        after={key: value for key, value in values.items() if key == "status"},
    )


def cancel_sign_up(
    session: Session,
    *,
    assignment_id: int,
    now: dt.datetime,
    actor_id: int | None = None,
    ignore_cutoff: bool = False,
) -> None:
    """Take a volunteer off a shift; they may do it themselves until the site's cutoff before the start.

    `ignore_cutoff` is for organizers, who rearrange the roster at any time before the shift."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("error.assignment_not_found")
    shift = session.get(Shift, assignment.shift_id)
    if shift is None:
        raise NotFound("error.shift_not_found")
    if shift.starts_at <= now:
        raise NotAllowed("error.shift_started")
    cutoff = shift.starts_at - dt.timedelta(hours=get_site_rules(session, site_id=shift.site_id).signout_cutoff_hours)
    if now > cutoff and not ignore_cutoff:
        raise NotAllowed("error.sign_out_past_cutoff", cutoff=cutoff)
    changed = rows_changed(
        session,
        update(Assignment)
        .where(Assignment.id == assignment_id, Assignment.status == "signed_up")
        .values(status="cancelled")
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        raise WrongState(status=assignment.status)
    session.expire(assignment)
    record_event(
        session,
        site_id=shift.site_id,
        actor_id=actor_id or assignment.volunteer_id,
        action="assignment.cancelled",
        entity="assignment",
        entity_id=assignment_id,
        now=now,
        before={"status": "signed_up"},
        after={"status": "cancelled"},
    )


def cancel_shift(
    session: Session, *, shift_id: int, now: dt.datetime, actor_id: int | None = None
) -> list[ShiftPerson]:
    """Call off a shift that has not started; returns who was signed up, with phones, to tell them."""
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("error.shift_not_found")
    if shift.starts_at <= now:
        raise NotAllowed("error.shift_started")
    changed = rows_changed(
        session,
        update(Shift)
        .where(Shift.id == shift_id, Shift.cancelled_at.is_(None))
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        raise WrongState("error.shift_already_cancelled")
    session.expire(shift)
    to_tell = [person for person in list_shift_people(session, shift_id=shift_id) if person.status == "signed_up"]
    session.execute(
        update(Assignment)
        .where(Assignment.shift_id == shift_id, Assignment.status == "signed_up")
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    record_event(
        session,
        site_id=shift.site_id,
        actor_id=actor_id,
        action="shift.cancelled",
        entity="shift",
        entity_id=shift_id,
        now=now,
        after={"told": [person.volunteer_id for person in to_tell]},
    )
    return to_tell


def create_shift_template(
    session: Session,
    *,
    site_id: int,
    weekday: int,
    starts: dt.time,
    ends: dt.time,
    role: str,
    min_staff: int,
    max_staff: int,
    now: dt.datetime,
    actor_id: int | None = None,
) -> TemplateInfo:
    """A weekly recurring shift (weekday 0 = Monday) at the site's wall-clock times."""
    if not 0 <= weekday <= 6:
        raise InvalidValue("error.weekday_range")
    _check_shift_rules(role=role, starts=starts, ends=ends, min_staff=min_staff, max_staff=max_staff)
    template = ShiftTemplate(
        site_id=site_id,
        weekday=weekday,
        starts=starts,
        ends=ends,
        role=role,
        min_staff=min_staff,
        max_staff=max_staff,
        active=True,
    )
    session.add(template)
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="shift_template.created",
        entity="shift_template",
        entity_id=template.id,
        now=now,
        after={
            "weekday": weekday,
            "starts": starts,
            "ends": ends,
            "role": role,
            "min_staff": min_staff,
            "max_staff": max_staff,
        },
    )
    return _template_info(template)


def set_template_active(
    session: Session, *, template_id: int, active: bool, now: dt.datetime, actor_id: int | None = None
) -> None:
    """Pause or resume a weekly shift; shifts already generated stay as they are."""
    template = session.get(ShiftTemplate, template_id)
    if template is None:
        raise NotFound("error.template_not_found")
    before = template.active
    template.active = active
    record_event(
        session,
        site_id=template.site_id,
        actor_id=actor_id,
        action="shift_template.active_set",
        entity="shift_template",
        entity_id=template_id,
        now=now,
        before={"active": before},
        after={"active": active},
    )


def list_shift_templates(session: Session, *, site_id: int) -> list[TemplateInfo]:
    query = (
        select(ShiftTemplate)
        .where(ShiftTemplate.site_id == site_id)
        .order_by(ShiftTemplate.weekday, ShiftTemplate.starts, ShiftTemplate.role, ShiftTemplate.id)
    )
    return [_template_info(template) for template in session.scalars(query)]


def generate_shifts(
    session: Session,
    *,
    site_id: int,
    first_day: dt.date,
    last_day: dt.date,
    now: dt.datetime,
    actor_id: int | None = None,
) -> int:
    """Dated shifts from the active weekly templates for local days first_day..last_day; returns how many are new.

    A shift already made from the same template at the same start is skipped (also after it was cancelled), so
    generating a range again adds nothing."""
    if last_day < first_day:
        raise InvalidValue("error.date_range_order")
    if (last_day - first_day).days + 1 > MAX_GENERATE_DAYS:
        raise InvalidValue("error.date_range_too_long", days=MAX_GENERATE_DAYS)
    # Locking the site's templates makes two organizers generating at once take turns (PostgreSQL; SQLite's
    # BEGIN IMMEDIATE already does), so neither trips over the other's rows.
    templates = list(
        session.scalars(
            select(ShiftTemplate)
            .where(ShiftTemplate.site_id == site_id, ShiftTemplate.active.is_(True))
            .order_by(ShiftTemplate.id)
            .with_for_update()
        )
    )
    existing = _generated_starts(session, site_id=site_id, first_day=first_day, last_day=last_day)
    new_shifts = _shifts_from_templates(
        site_id=site_id, templates=templates, existing=existing, first_day=first_day, last_day=last_day
    )
    session.add_all(new_shifts)
    created = len(new_shifts)
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="shift.generated",
        entity="shift",
        entity_id=None,
        now=now,
        after={"first_day": first_day, "last_day": last_day, "created": created},
    )
    return created


def _generated_starts(
    session: Session, *, site_id: int, first_day: dt.date, last_day: dt.date
) -> set[tuple[int | None, dt.datetime]]:
    """(template, start) of the shifts already made from templates on these local days, cancelled ones too."""
    start, end = local_moment(first_day, dt.time(0, 0)), local_moment(last_day + dt.timedelta(days=1), dt.time(0, 0))
    return {
        (template_id, starts_at)
        for template_id, starts_at in session.execute(
            select(Shift.template_id, Shift.starts_at).where(
                Shift.site_id == site_id,
                Shift.template_id.is_not(None),
                Shift.starts_at >= start,
                Shift.starts_at < end,
            )
        )
    }


def _shifts_from_templates(
    *,
    site_id: int,
    templates: list[ShiftTemplate],
    existing: set[tuple[int | None, dt.datetime]],
    first_day: dt.date,
    last_day: dt.date,
) -> list[Shift]:
    """The shifts the templates give on each day, day by day, except those in `existing`."""
    shifts: list[Shift] = []
    day = first_day
    while day <= last_day:
        for template in templates:
            if template.weekday != day.weekday():
                continue
            starts_at = local_moment(day, template.starts)
            if (template.id, starts_at) in existing:
                continue
            shifts.append(
                Shift(
                    site_id=site_id,
                    template_id=template.id,
                    role=template.role,
                    starts_at=starts_at,
                    ends_at=local_moment(day, template.ends),
                    min_staff=template.min_staff,
                    max_staff=template.max_staff,
                )
            )
        day += dt.timedelta(days=1)
    return shifts


def _forgotten_check_outs(*, site_id: int, now: dt.datetime) -> Select[int, dt.datetime]:
    return (
        select(Assignment.id, Shift.ends_at)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.site_id == site_id,
            Assignment.status == "checked_in",
            Shift.ends_at <= now - FORGOTTEN_CHECK_OUT_AFTER,
        )
    )


def _no_shows(*, site_id: int, now: dt.datetime) -> Select[int]:
    return (
        select(Assignment.id)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.site_id == site_id,
            Assignment.status == "signed_up",
            Shift.cancelled_at.is_(None),
            Shift.ends_at <= now,
        )
    )


def count_unsettled_assignments(session: Session, *, site_id: int, now: dt.datetime) -> int:
    """How many assignments settle_assignments would change now (forgotten check-outs and no-shows): a reading page
    writes only when there is one, so its views leave the site's cached figures alone."""
    forgotten = session.scalar(
        select(func.count()).select_from(_forgotten_check_outs(site_id=site_id, now=now).subquery())
    )
    absent = session.scalar(select(func.count()).select_from(_no_shows(site_id=site_id, now=now).subquery()))
    return int(forgotten or 0) + int(absent or 0)


def close_forgotten_check_outs(session: Session, *, site_id: int, now: dt.datetime) -> int:
    """Check out, flagged as automatic, everyone still checked in an hour after their shift ended."""
    rows = session.execute(_forgotten_check_outs(site_id=site_id, now=now)).all()
    closed = 0
    for assignment_id, ends_at in rows:
        closed += _settle(
            session,
            site_id=site_id,
            assignment_id=assignment_id,
            from_status="checked_in",
            now=now,
            values={
                "status": "checked_out",
                "checked_out_at": ends_at + FORGOTTEN_CHECK_OUT_AFTER,
                "auto_checked_out": True,
            },
            action="assignment.auto_checked_out",
        )
    return closed


def mark_no_shows(session: Session, *, site_id: int, now: dt.datetime) -> int:
    """Everyone still only signed up for a shift that has ended did not come: a no-show."""
    rows = session.scalars(_no_shows(site_id=site_id, now=now)).all()
    return sum(
        _settle(
            session,
            site_id=site_id,
            assignment_id=assignment_id,
            from_status="signed_up",
            now=now,
            values={"status": "no_show"},
            action="assignment.no_show",
        )
        for assignment_id in rows
    )


def _settle(
    session: Session,
    *,
    site_id: int,
    assignment_id: int,
    from_status: str,
    values: dict[str, Any],
    action: str,
    now: dt.datetime,
) -> int:
    # Two pages may settle the same rows at once; the one that finds the row already moved just skips it.
    changed = rows_changed(
        session,
        update(Assignment)
        .where(Assignment.id == assignment_id, Assignment.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False),
    )
    if changed != 1:
        return 0
    record_event(
        session,
        site_id=site_id,
        actor_id=None,
        action=action,
        entity="assignment",
        entity_id=assignment_id,
        now=now,
        before={"status": from_status},
        after={"status": values["status"]},
    )
    return 1


def list_shift_infos(
    session: Session, *, site_id: int, start: dt.datetime, end: dt.datetime, include_cancelled: bool = False
) -> list[ShiftInfo]:
    """Shifts starting in [start, end), each with the number of people signed up, checked in or out."""
    staffed = (
        select(Assignment.shift_id, func.count(Assignment.id).label("staffed"))
        .where(Assignment.site_id == site_id, Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES))
        .group_by(Assignment.shift_id)
        .subquery()
    )
    query = (
        select(Shift, func.coalesce(staffed.c.staffed, 0))
        .outerjoin(staffed, staffed.c.shift_id == Shift.id)
        .where(Shift.site_id == site_id, Shift.starts_at >= start, Shift.starts_at < end)
        .order_by(Shift.starts_at, Shift.role, Shift.id)
    )
    if not include_cancelled:
        query = query.where(Shift.cancelled_at.is_(None))
    return [
        ShiftInfo(
            id=shift.id,
            role=shift.role,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            min_staff=shift.min_staff,
            max_staff=shift.max_staff,
            staffed=count,
            from_template=shift.template_id is not None,
            cancelled=shift.cancelled_at is not None,
        )
        for shift, count in session.execute(query)
    ]


def list_shift_people(session: Session, *, shift_id: int) -> list[ShiftPerson]:
    """Everyone ever put on the shift (cancelled sign-ups included), by name."""
    query = (
        select(Assignment, Volunteer.name, Volunteer.phone)
        .join(Volunteer, Volunteer.id == Assignment.volunteer_id)
        .where(Assignment.shift_id == shift_id)
        .order_by(Volunteer.name, Volunteer.id)
    )
    return [
        ShiftPerson(
            assignment_id=assignment.id,
            volunteer_id=assignment.volunteer_id,
            name=name,
            phone=phone,
            status=assignment.status,
            checked_in_at=assignment.checked_in_at,
            checked_out_at=assignment.checked_out_at,
            auto_checked_out=assignment.auto_checked_out,
        )
        for assignment, name, phone in session.execute(query)
    ]


def list_my_assignments(
    session: Session, *, volunteer_id: int, start: dt.datetime, end: dt.datetime
) -> list[MyAssignment]:
    """One volunteer's shifts that end after `start` and start before `end`, not cancelled, by start."""
    query = (
        select(Assignment, Shift)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.volunteer_id == volunteer_id,
            Assignment.status != "cancelled",
            Shift.cancelled_at.is_(None),
            Shift.ends_at > start,
            Shift.starts_at < end,
        )
        .order_by(Shift.starts_at)
    )
    return [
        MyAssignment(
            assignment_id=assignment.id,
            shift_id=shift.id,
            role=shift.role,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            status=assignment.status,
            auto_checked_out=assignment.auto_checked_out,
        )
        for assignment, shift in session.execute(query)
    ]


def list_open_shifts(
    session: Session, *, site_id: int, volunteer_id: int, now: dt.datetime, end: dt.datetime
) -> list[ShiftInfo]:
    """Shifts not yet over, before `end`, in a role the volunteer holds, with a place left, not already theirs."""
    roles = set(
        session.scalars(
            select(VolunteerRole.role).where(
                VolunteerRole.volunteer_id == volunteer_id, VolunteerRole.site_id == site_id
            )
        )
    )
    mine = set(
        session.scalars(
            select(Assignment.shift_id).where(
                Assignment.volunteer_id == volunteer_id, Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES)
            )
        )
    )
    return [
        shift
        for shift in list_shift_infos(session, site_id=site_id, start=now - dt.timedelta(days=1), end=end)
        if shift.ends_at > now and shift.role in roles and shift.staffed < shift.max_staff and shift.id not in mine
    ]


def _template_info(template: ShiftTemplate) -> TemplateInfo:
    return TemplateInfo(
        id=template.id,
        weekday=template.weekday,
        starts=template.starts,
        ends=template.ends,
        role=template.role,
        min_staff=template.min_staff,
        max_staff=template.max_staff,
        active=template.active,
    )


def settle_assignments(session: Session, *, site_id: int, now: dt.datetime) -> None:
    """What the roster pages do before they show anything: close forgotten check-outs, mark no-shows."""
    close_forgotten_check_outs(session, site_id=site_id, now=now)
    mark_no_shows(session, site_id=site_id, now=now)


def list_volunteers_for_role(session: Session, *, site_id: int, role: str) -> list[tuple[int, str]]:
    """Active volunteers of the site holding `role`, as (id, name) by name: whom an organizer may assign."""
    query = (
        select(Volunteer.id, Volunteer.name)
        .join(VolunteerRole, VolunteerRole.volunteer_id == Volunteer.id)
        .where(VolunteerRole.site_id == site_id, VolunteerRole.role == role, Volunteer.active.is_(True))
        .order_by(Volunteer.name, Volunteer.id)
    )
    return [(row.id, row.name) for row in session.execute(query)]
