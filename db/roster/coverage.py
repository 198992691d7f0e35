"""How well the roster covers the week, and how many volunteers the pickups of past weeks call for."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.core.clock import local_moment, to_local
from db.core.models import Assignment, Order, Shift
from db.people.sites import get_site_rules
from db.roster.shifts import ACTIVE_ASSIGNMENT_STATUSES, list_shift_infos

COVERAGE_STATES = ("short", "covered", "full")
# The role whose headcount follows the pickups: the people at the counter handing bags over.
DEMAND_ROLE = "handout"


def coverage_state(*, staffed: int, min_staff: int, max_staff: int) -> str:
    """short: below the minimum; full: at the maximum; covered in between."""
    if staffed < min_staff:
        return "short"
    return "full" if staffed >= max_staff else "covered"


def coverage_frame(session: Session, *, site_id: int, week_start: dt.date) -> pd.DataFrame:
    """Every shift of the local week from `week_start`: day, band (start–end), role, staffing and its state."""
    start = local_moment(week_start, dt.time(0, 0))
    shifts = list_shift_infos(session, site_id=site_id, start=start, end=start + dt.timedelta(days=7))
    return pd.DataFrame(
        [
            {
                "shift_id": shift.id,
                "day": to_local(shift.starts_at).date(),
                "band": f"{to_local(shift.starts_at):%H:%M}–{to_local(shift.ends_at):%H:%M}",
                "role": shift.role,
                "staffed": shift.staffed,
                "min_staff": shift.min_staff,
                "max_staff": shift.max_staff,
                "coverage": coverage_state(staffed=shift.staffed, min_staff=shift.min_staff, max_staff=shift.max_staff),
            }
            for shift in shifts
        ],
        columns=["shift_id", "day", "band", "role", "staffed", "min_staff", "max_staff", "coverage"],
    )


def gaps_frame(session: Session, *, site_id: int, now: dt.datetime, days: int = 7) -> pd.DataFrame:
    """Shifts not yet over in the next `days` days with fewer people than their minimum: who is missing where."""
    shifts = list_shift_infos(
        session, site_id=site_id, start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=days)
    )
    return pd.DataFrame(
        [
            {
                "starts_at": to_local(shift.starts_at).replace(tzinfo=None),
                "ends_at": to_local(shift.ends_at).replace(tzinfo=None),
                "role": shift.role,
                "staffed": shift.staffed,
                "min_staff": shift.min_staff,
                "missing": shift.min_staff - shift.staffed,
            }
            for shift in shifts
            if shift.ends_at > now and shift.staffed < shift.min_staff
        ],
        columns=["starts_at", "ends_at", "role", "staffed", "min_staff", "missing"],
    )


def suggest_headcount(*, pickups_per_hour: float, pickups_per_volunteer_hour: int) -> int:
    """One handout volunteer for every N pickups an hour, rounded up; none when nobody comes."""
    if pickups_per_hour <= 0:
        return 0
    return math.ceil(pickups_per_hour / pickups_per_volunteer_hour - 1e-9)


def staffing_frame(
    session: Session, *, site_id: int, history_first_day: dt.date, history_last_day: dt.date, week_start: dt.date
) -> pd.DataFrame:
    """Per local weekday × hour: average pickups over the history days, the suggested handout headcount, and the
    handout volunteers on the roster in the week from `week_start`; `short` where the roster has fewer.

    Pickups are bucketed in Python over the bounded history (one site, a few weeks: a few thousand rows), which
    gives the same local hours on SQLite and PostgreSQL without dialect-specific time-zone SQL."""
    per_volunteer = get_site_rules(session, site_id=site_id).pickups_per_volunteer_hour
    pickups = _pickups_by_hour(session, site_id=site_id, first_day=history_first_day, last_day=history_last_day)
    days_of_weekday = [0] * 7
    day = history_first_day
    while day <= history_last_day:
        days_of_weekday[day.weekday()] += 1
        day += dt.timedelta(days=1)
    on_duty = _roster_by_hour(session, site_id=site_id, week_start=week_start)
    rows = []
    for weekday, hour in sorted(set(pickups) | set(on_duty)):
        days = days_of_weekday[weekday]
        average = pickups.get((weekday, hour), 0) / days if days else 0.0
        suggested = suggest_headcount(pickups_per_hour=average, pickups_per_volunteer_hour=per_volunteer)
        duty = on_duty.get((weekday, hour), 0)
        rows.append(
            {
                "weekday": weekday,
                "hour": hour,
                "avg_pickups": round(average, 2),
                "suggested": suggested,
                "on_duty": duty,
                "short": duty < suggested,
            }
        )
    return pd.DataFrame(rows, columns=["weekday", "hour", "avg_pickups", "suggested", "on_duty", "short"])


def _pickups_by_hour(
    session: Session, *, site_id: int, first_day: dt.date, last_day: dt.date
) -> dict[tuple[int, int], int]:
    """Bags picked up on the local days first_day..last_day, per local (weekday, hour)."""
    history_start = local_moment(first_day, dt.time(0, 0))
    history_end = local_moment(last_day + dt.timedelta(days=1), dt.time(0, 0))
    pickups: dict[tuple[int, int], int] = {}
    for (moment,) in session.execute(
        select(Order.picked_up_at).where(
            Order.site_id == site_id, Order.picked_up_at >= history_start, Order.picked_up_at < history_end
        )
    ):
        if moment is None:  # never: the range above leaves out bags not picked up
            continue
        local = to_local(moment)
        pickups[(local.weekday(), local.hour)] = pickups.get((local.weekday(), local.hour), 0) + 1
    return pickups


def _roster_by_hour(session: Session, *, site_id: int, week_start: dt.date) -> dict[tuple[int, int], int]:
    """Handout volunteers signed up or checked in, per local (weekday, hour) of the week from `week_start`."""
    by_day = rostered_by_hour(session, site_id=site_id, first=week_start, last=week_start + dt.timedelta(days=6))
    return {(day.weekday(), hour): count for (day, hour), count in by_day.items()}


def rostered_by_hour(
    session: Session, *, site_id: int, first: dt.date, last: dt.date
) -> dict[tuple[dt.date, int], int]:
    """Handout volunteers signed up, checked in or out, per local (day, hour) of the shifts starting on the days
    first..last (the staffing chart's week, the forecast's coming days)."""
    begins = local_moment(first, dt.time(0, 0))
    ends = local_moment(last + dt.timedelta(days=1), dt.time(0, 0))
    on_duty: dict[tuple[dt.date, int], int] = {}
    for starts_at, ends_at in session.execute(
        select(Shift.starts_at, Shift.ends_at)
        .join(Assignment, Assignment.shift_id == Shift.id)
        .where(
            Shift.site_id == site_id,
            Shift.role == DEMAND_ROLE,
            Shift.cancelled_at.is_(None),
            Shift.starts_at >= begins,
            Shift.starts_at < ends,
            Assignment.status.in_(ACTIVE_ASSIGNMENT_STATUSES),
        )
    ):
        for band in _hour_bands(starts_at, ends_at):
            on_duty[band] = on_duty.get(band, 0) + 1
    return on_duty


def _hour_bands(starts_at: dt.datetime, ends_at: dt.datetime) -> list[tuple[dt.date, int]]:
    """The local (day, hour) bands a shift overlaps, e.g. 16:00–18:30 → 16, 17, 18."""
    bands = []
    hour = to_local(starts_at).replace(minute=0, second=0, microsecond=0)
    end = to_local(ends_at)
    while hour < end:
        bands.append((hour.date(), hour.hour))
        hour += dt.timedelta(hours=1)
    return bands
