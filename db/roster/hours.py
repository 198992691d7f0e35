"""Volunteer hours per month: time checked in, counted only within the shift's window, and no-shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from db.core.clock import local_moment
from db.core.models import Assignment, Shift, Volunteer


def counted_time(
    *, checked_in_at: dt.datetime, checked_out_at: dt.datetime, starts_at: dt.datetime, ends_at: dt.datetime
) -> dt.timedelta:
    """Time on duty clipped to [starts_at, ends_at]: arriving early or staying late is thanked, not counted."""
    counted = min(checked_out_at, ends_at) - max(checked_in_at, starts_at)
    return max(counted, dt.timedelta(0))


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of the local calendar month containing `month`."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return local_moment(first, dt.time(0, 0)), local_moment(following, dt.time(0, 0))


def hours_frame(session: Session, *, site_id: int, month: dt.date) -> pd.DataFrame:
    """One row per volunteer with a shift starting in the local month: shifts done, hours, no-shows, and how many
    check-outs the app closed for them. A shift belongs to the month it starts in, even if it ends after midnight."""
    people: dict[int, dict[str, Any]] = {}
    for row in _month_assignments(session, site_id=site_id, month=month):
        person = people.setdefault(
            row.id,
            {
                "name": row.name,
                "phone": row.phone,
                "shifts": 0,
                "time": dt.timedelta(0),
                "no_shows": 0,
                "auto_checked_out": 0,
            },
        )
        if row.status == "no_show":
            person["no_shows"] += 1
            continue
        person["shifts"] += 1
        person["auto_checked_out"] += int(row.auto_checked_out)
        person["time"] += counted_time(
            checked_in_at=row.checked_in_at,
            checked_out_at=row.checked_out_at,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
        )
    return pd.DataFrame(
        [
            {
                "name": person["name"],
                "phone": person["phone"],
                "shifts": person["shifts"],
                "hours": round(person["time"].total_seconds() / 3600, 2),
                "no_shows": person["no_shows"],
                "auto_checked_out": person["auto_checked_out"],
            }
            for person in sorted(people.values(), key=lambda person: person["name"])
        ],
        columns=["name", "phone", "shifts", "hours", "no_shows", "auto_checked_out"],
    )


def _month_assignments(session: Session, *, site_id: int, month: dt.date) -> Sequence[Row[*tuple[Any, ...]]]:
    """The settled assignments (checked out or no-show) on the site's shifts starting in the local month."""
    start, end = month_bounds(month)
    return session.execute(
        select(
            Volunteer.id,
            Volunteer.name,
            Volunteer.phone,
            Assignment.status,
            Assignment.checked_in_at,
            Assignment.checked_out_at,
            Assignment.auto_checked_out,
            Shift.starts_at,
            Shift.ends_at,
        )
        .join(Assignment, Assignment.volunteer_id == Volunteer.id)
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.site_id == site_id,
            Shift.starts_at >= start,
            Shift.starts_at < end,
            Shift.cancelled_at.is_(None),
            Assignment.status.in_(("checked_out", "no_show")),
        )
    ).all()
