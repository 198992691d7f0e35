"""When a pickup point is open: the usual hours (`site_rules.opens_at`/`closes_at`), a weekday's own hours or
closed all day (`weekday_hours`), and closed dates with a note (`closed_days`). Read here; changed only through
db.people.site_rules (validated, each change an event).

A closed date wins over its weekday's hours, a weekday's row over the usual hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Date, Integer, and_, cast, null, select, union_all
from sqlalchemy.orm import Session

from db.core.errors import NotFound
from db.core.models import ClosedDay, SiteRules, WeekdayHours

WEEKDAYS = range(7)  # 0 = Monday … 6 = Sunday, as date.weekday()
# How far ahead the residents' page lists closed dates.
UPCOMING_CLOSED_DAYS = 30


@dataclass(frozen=True)
class WeekdayRule:
    """A weekday's hours as an organizer sets them: opening and closing time, or closed all day."""

    opens_at: dt.time | None = None
    closes_at: dt.time | None = None
    closed: bool = False


@dataclass(frozen=True)
class DayHours:
    """The hours of one site on one day: `opens_at`/`closes_at`, both None when it is closed (a closed weekday, or
    a closed date and its `note`); `usual` when they are the site's usual hours."""

    day: dt.date
    opens_at: dt.time | None
    closes_at: dt.time | None
    usual: bool = True
    note: str = ""

    @property
    def closed(self) -> bool:
        return self.opens_at is None


@dataclass(frozen=True)
class WeekdayOpening:
    """A weekday of the site's week: its hours (None when closed) and whether they are the usual ones."""

    weekday: int
    opens_at: dt.time | None
    closes_at: dt.time | None
    usual: bool

    @property
    def closed(self) -> bool:
        return self.opens_at is None


@dataclass(frozen=True)
class ClosedDate:
    day: dt.date
    note: str


@dataclass(frozen=True)
class OpenDays:
    """The days a site opens, as the calendar in force says: its closed weekdays and closed dates. A collect-by day
    that falls on a closed day runs on to the next open day (db.orders.lifecycle.collect_by). A site closed on every
    weekday has no open day to run on to: its hold stays calendar days."""

    closed_weekdays: frozenset[int] = frozenset()
    closed_dates: frozenset[dt.date] = frozenset()

    def is_open(self, day: dt.date) -> bool:
        return day.weekday() not in self.closed_weekdays and day not in self.closed_dates

    @property
    def _never_open(self) -> bool:
        return len(self.closed_weekdays) >= len(WEEKDAYS)

    def next_open(self, day: dt.date) -> dt.date:
        """`day` when the site opens then, else the first open day after it."""
        if self._never_open:
            return day
        while not self.is_open(day):
            day += dt.timedelta(days=1)
        return day

    def overdue_from(self, today: dt.date) -> dt.date:
        """The day after the last open day before `today`: a bag is overdue today exactly when its calendar
        collect-by day (delivery day + hold − 1) is before it, because next_open(c) < today ⇔ c ≤ that open day.
        So the overdue rule stays one delivery-date cutoff per storage class, with this day in place of today."""
        if self._never_open:
            return today
        day = today - dt.timedelta(days=1)
        while not self.is_open(day):
            day -= dt.timedelta(days=1)
        return day + dt.timedelta(days=1)


# Every day open: hold days are calendar days.
ALWAYS_OPEN = OpenDays()


def open_days_of_sites(session: Session, *, site_ids: list[int]) -> dict[int, OpenDays]:
    """The calendar in force of every site in `site_ids` (a site with no closed weekday or date: ALWAYS_OPEN), in one
    statement: the closed weekdays' rows and the closed dates, a few rows a site."""
    closed_weekdays = select(WeekdayHours.site_id, WeekdayHours.weekday, cast(null(), Date).label("day")).where(
        WeekdayHours.site_id.in_(site_ids), WeekdayHours.closed
    )
    closed_dates = select(ClosedDay.site_id, cast(null(), Integer).label("weekday"), ClosedDay.day).where(
        ClosedDay.site_id.in_(site_ids)
    )
    weekdays: dict[int, set[int]] = {}
    dates: dict[int, set[dt.date]] = {}
    for site_id, weekday, day in session.execute(union_all(closed_weekdays, closed_dates)):
        if day is None:
            weekdays.setdefault(site_id, set()).add(weekday)
        else:
            dates.setdefault(site_id, set()).add(day)
    return {
        site_id: OpenDays(
            closed_weekdays=frozenset(weekdays.get(site_id, ())), closed_dates=frozenset(dates.get(site_id, ()))
        )
        for site_id in site_ids
    }


def open_days(session: Session, *, site_id: int) -> OpenDays:
    """The site's calendar in force (its closed weekdays and closed dates)."""
    return open_days_of_sites(session, site_ids=[site_id])[site_id]


def hours_of_sites_on(session: Session, *, site_ids: list[int], day: dt.date) -> dict[int, DayHours]:
    """The hours of every site in `site_ids` on the local `day`: one statement whatever their number (the usual
    hours, joined with the day's weekday row and closed date)."""
    rows = session.execute(
        select(
            SiteRules.site_id,
            SiteRules.opens_at,
            SiteRules.closes_at,
            WeekdayHours.weekday,
            WeekdayHours.opens_at,
            WeekdayHours.closes_at,
            WeekdayHours.closed,
            ClosedDay.day,
            ClosedDay.note,
        )
        .outerjoin(WeekdayHours, and_(WeekdayHours.site_id == SiteRules.site_id, WeekdayHours.weekday == day.weekday()))
        .outerjoin(ClosedDay, and_(ClosedDay.site_id == SiteRules.site_id, ClosedDay.day == day))
        .where(SiteRules.site_id.in_(site_ids))
    ).all()
    hours: dict[int, DayHours] = {}
    for site_id, opens_at, closes_at, weekday, own_opens, own_closes, own_closed, closed_day, note in rows:
        if closed_day is not None:
            hours[site_id] = DayHours(day=day, opens_at=None, closes_at=None, usual=False, note=note)
        elif weekday is not None:
            shut = bool(own_closed)
            hours[site_id] = DayHours(
                day=day, opens_at=None if shut else own_opens, closes_at=None if shut else own_closes, usual=False
            )
        else:
            hours[site_id] = DayHours(day=day, opens_at=opens_at, closes_at=closes_at)
    if any(site_id not in hours for site_id in site_ids):
        raise NotFound("error.site_not_found")
    return hours


def hours_on(session: Session, *, site_id: int, day: dt.date) -> DayHours:
    """The site's hours on the local `day` (closed: both times None)."""
    return hours_of_sites_on(session, site_ids=[site_id], day=day)[site_id]


def week_hours(session: Session, *, site_id: int) -> list[WeekdayOpening]:
    """Monday to Sunday: each weekday's hours (its own row, else the usual hours)."""
    rules = session.get(SiteRules, site_id)
    if rules is None:
        raise NotFound("error.site_not_found")
    own = weekday_rules(session, site_id=site_id)
    week = []
    for weekday in WEEKDAYS:
        rule = own.get(weekday)
        if rule is None:
            week.append(WeekdayOpening(weekday=weekday, opens_at=rules.opens_at, closes_at=rules.closes_at, usual=True))
        elif rule.closed:
            week.append(WeekdayOpening(weekday=weekday, opens_at=None, closes_at=None, usual=False))
        else:
            week.append(WeekdayOpening(weekday=weekday, opens_at=rule.opens_at, closes_at=rule.closes_at, usual=False))
    return week


def weekday_rules(session: Session, *, site_id: int) -> dict[int, WeekdayRule]:
    """The weekdays whose hours differ from the usual ones, as stored."""
    rows = session.scalars(select(WeekdayHours).where(WeekdayHours.site_id == site_id))
    return {row.weekday: WeekdayRule(opens_at=row.opens_at, closes_at=row.closes_at, closed=row.closed) for row in rows}


def list_closed_days(session: Session, *, site_id: int, first: dt.date, last: dt.date) -> list[ClosedDate]:
    """The site's closed dates from `first` to `last` (both included), in date order."""
    rows = session.execute(
        select(ClosedDay.day, ClosedDay.note)
        .where(ClosedDay.site_id == site_id, ClosedDay.day >= first, ClosedDay.day <= last)
        .order_by(ClosedDay.day)
    )
    return [ClosedDate(day=day, note=note) for day, note in rows]


def upcoming_closed_days(
    session: Session, *, site_id: int, today: dt.date, days: int = UPCOMING_CLOSED_DAYS
) -> list[ClosedDate]:
    """The closed dates from `today` on, for the next `days` days."""
    return list_closed_days(session, site_id=site_id, first=today, last=today + dt.timedelta(days=days - 1))


@dataclass(frozen=True)
class WeekdaySpan:
    """Consecutive weekdays with the same hours (first = last for one day); times None when closed."""

    first: int
    last: int
    opens_at: dt.time | None
    closes_at: dt.time | None


def group_week(week: list[WeekdayOpening]) -> list[WeekdaySpan]:
    """Monday to Sunday as runs of consecutive weekdays with equal hours (Mon–Fri 07:30–21:00, Sat–Sun …)."""
    spans: list[WeekdaySpan] = []
    for day in week:
        last = spans[-1] if spans else None
        if last is not None and (last.opens_at, last.closes_at) == (day.opens_at, day.closes_at):
            spans[-1] = WeekdaySpan(first=last.first, last=day.weekday, opens_at=day.opens_at, closes_at=day.closes_at)
        else:
            spans.append(
                WeekdaySpan(first=day.weekday, last=day.weekday, opens_at=day.opens_at, closes_at=day.closes_at)
            )
    return spans
