"""Access records: who saw a resident's whole number or took unmasked data, when, why, about which bag or household.

Only a site's organizers may look beyond the masked default, and each look is one row of `access_records`. A
household is named by its random id, never by the number that was looked up."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pandas as pd
from sqlalchemy import CursorResult, Table, insert, select
from sqlalchemy.orm import Session

from db.core.clock import local_day_bounds, to_local
from db.core.errors import InvalidValue, NotAllowed, NotFound, WrongState
from db.core.models import ACCESS_KINDS, ACCESS_REASONS, AccessRecord, Order, Volunteer
from db.people.login_sessions import roles_at

_ACCESS_RECORDS = cast(Table, AccessRecord.__table__)
MAX_NOTE_LENGTH = 200
MAX_SUBJECT_LENGTH = 40
ACCESS_RECORD_COLUMNS = [
    "happened_at",
    "volunteer_name",
    "kind",
    "reason",
    "note",
    "pickup_code",
    "household_id",
    "subject",
    "row_count",
]


def require_organizer(session: Session, *, site_id: int, volunteer_id: int) -> None:
    """NotAllowed unless the volunteer is an organizer of this site: only they may look beyond the mask."""
    if "organizer" not in roles_at(session, volunteer_id=volunteer_id, site_id=site_id):
        raise NotAllowed()


def record_access(
    session: Session,
    *,
    site_id: int,
    volunteer_id: int,
    kind: str,
    reason: str,
    now: dt.datetime,
    note: str | None = None,
    order_id: int | None = None,
    household_id: str | None = None,
    subject: str | None = None,
    row_count: int | None = None,
) -> int:
    """Write one access record in the caller's transaction and return its id.

    The kind and reason must be known ones, "other" needs a note (at most 200 characters), the bag must be the
    site's, and the volunteer an organizer of the site."""
    if kind not in ACCESS_KINDS:
        raise InvalidValue(field="kind")
    if reason not in ACCESS_REASONS:
        raise InvalidValue(field="reason")
    note = (note or "").strip() or None
    if reason == "other" and note is None:
        raise InvalidValue("error.access_note_needed")
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise InvalidValue("error.call_note_too_long", limit=MAX_NOTE_LENGTH)
    if subject is not None and not 0 < len(subject) <= MAX_SUBJECT_LENGTH:
        raise InvalidValue(field="subject")
    if row_count is not None and row_count < 0:
        raise InvalidValue(field="row_count")
    require_organizer(session, site_id=site_id, volunteer_id=volunteer_id)
    if order_id is not None and _site_order(session, site_id=site_id, order_id=order_id) is None:
        raise NotFound("error.order_not_found")
    result = session.execute(
        insert(_ACCESS_RECORDS).values(
            site_id=site_id,
            volunteer_id=volunteer_id,
            happened_at=now,
            kind=kind,
            reason=reason,
            note=note,
            order_id=order_id,
            household_id=household_id,
            subject=subject,
            row_count=row_count,
        )
    )
    key = cast(CursorResult[Any], result).inserted_primary_key
    assert key is not None
    return int(key[0])


def reveal_phone(
    session: Session,
    *,
    site_id: int,
    order_id: int,
    volunteer_id: int,
    reason: str,
    now: dt.datetime,
    note: str | None = None,
) -> str:
    """A bag's whole phone number for an organizer of its site, recorded as `phone_shown` with the reason given.

    NotAllowed for anyone else (before anything about the bag is read), NotFound for another site's bag,
    WrongState when the bag was anonymised (there is no number left to show)."""
    require_organizer(session, site_id=site_id, volunteer_id=volunteer_id)
    row = _site_order(session, site_id=site_id, order_id=order_id)
    if row is None:
        raise NotFound("error.order_not_found")
    phone, anonymised_at = row
    if anonymised_at is not None:
        raise WrongState("error.order_anonymised")
    record_access(
        session,
        site_id=site_id,
        volunteer_id=volunteer_id,
        kind="phone_shown",
        reason=reason,
        note=note,
        order_id=order_id,
        now=now,
    )
    return phone


def _site_order(session: Session, *, site_id: int, order_id: int) -> tuple[str, dt.datetime | None] | None:
    row = session.execute(
        select(Order.phone, Order.anonymised_at).where(Order.id == order_id, Order.site_id == site_id)
    ).first()
    return None if row is None else (row[0], row[1])


def list_access_records(
    session: Session,
    *,
    site_id: int,
    since: dt.date,
    until: dt.date,
    volunteer_id: int | None = None,
    kind: str | None = None,
) -> pd.DataFrame:
    """The site's access records of the local days since..until (inclusive), newest first, read through the index
    (site, happened_at): when (site clock), who, what, why, which bag (its pickup code) or household, which export
    and how many rows. Data, not words: kinds and reasons stay codes."""
    start, _ = local_day_bounds(since)
    _, end = local_day_bounds(until)
    query = (
        select(AccessRecord, Volunteer.name, Order.pickup_code)
        .join(Volunteer, Volunteer.id == AccessRecord.volunteer_id)
        .outerjoin(Order, Order.id == AccessRecord.order_id)
        .where(
            AccessRecord.site_id == site_id,
            AccessRecord.happened_at >= start,
            AccessRecord.happened_at < end,
        )
        .order_by(AccessRecord.happened_at.desc(), AccessRecord.id.desc())
    )
    if volunteer_id is not None:
        query = query.where(AccessRecord.volunteer_id == volunteer_id)
    if kind is not None:
        query = query.where(AccessRecord.kind == kind)
    rows = [
        {
            "happened_at": to_local(record.happened_at).replace(tzinfo=None),
            "volunteer_name": name,
            "kind": record.kind,
            "reason": record.reason,
            "note": record.note,
            "pickup_code": pickup_code,
            "household_id": record.household_id,
            "subject": record.subject,
            "row_count": record.row_count,
        }
        for record, name, pickup_code in session.execute(query)
    ]
    frame = pd.DataFrame(rows, columns=ACCESS_RECORD_COLUMNS)
    frame["row_count"] = frame["row_count"].astype("Int64")
    return frame


def list_access_volunteers(session: Session, *, site_id: int) -> list[tuple[int, str]]:
    """(id, name) of everyone with an access record at the site, by name: the choices of the list's filter."""
    query = (
        select(Volunteer.id, Volunteer.name)
        .where(Volunteer.id.in_(select(AccessRecord.volunteer_id).where(AccessRecord.site_id == site_id)))
        .order_by(Volunteer.name, Volunteer.id)
    )
    return [(int(volunteer_id), str(name)) for volunteer_id, name in session.execute(query)]
