"""The figures of the dashboard and the reports: KPIs, pickup volumes, funnels, dwell, overdue, the daily report.

Every figure is counted by the database (GROUP BY over an indexed date range); Python only shapes the few rows
that come back. The charts (pickup volumes, funnel, handover speed, dwell) read the rollups that db.orders.rollups
keeps per delivery day, local day and local hour, so they cost the days asked for, not the orders behind them.
Days, hours and weekdays are the site's wall clock (Asia/Shanghai, see db.core.local_time).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from itertools import accumulate
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnElement

from db.cold_chain.temperatures import list_due_readings_of_sites, temperature_log_frame
from db.cold_chain.units import list_cold_units_of_sites
from db.core.clock import local_day_bounds, local_today, to_local
from db.core.local_time import hours_between
from db.core.models import (
    SLOTTED_ORDER_STATUSES,
    STILL_HELD,
    Assignment,
    DayRollup,
    DeliveryRollup,
    Event,
    HeldRollup,
    HourRollup,
    Order,
    Shift,
    Site,
    SiteRules,
    Slot,
    TemperatureSignOff,
    Volunteer,
)
from db.forecast.build import forecast_site
from db.orders.lifecycle import (
    ClassHolds,
    HoldDays,
    class_hold_days,
    collect_by,
    hold_days_of,
    open_days_of,
    overdue_condition,
)
from db.orders.rollups import MS_PER_HOUR, SPEED_WINDOWS_HOURS, dwell_ms
from db.people.opening_hours import open_days_of_sites
from db.reports.tomorrow import classes_frame, hands_frame

# The longest hold a site may set (site_rules.hold_days ≤ 60): bags delivered earlier are not searched for
# unless they are still in a slot.
LONGEST_HOLD = dt.timedelta(days=60)
# How far back a shift may have started and still cover now.
LONGEST_SHIFT = dt.timedelta(hours=24)
FUNNEL_STAGES = ("expected", "received", "shelved", "picked_up")
SAME_WEEKDAY_WEEKS = 8
# The longest overdue trend, in days.
MAX_TREND_DAYS = 400
DISTRICT_SORTS = (
    "code",
    "expected",
    "handed_over",
    "on_shelves",
    "overdue",
    "overdue_rate",
    "problems",
    "cold_excursion",
    "cold_missing",
)


# --- overdue: one rule, in Python and in SQL ---


def overdue_cutoff(*, day: dt.date, hold_days: int) -> dt.date:
    """Bags delivered before this date are overdue on `day`: their collect-by date has passed (with the site's
    calendar when `hold_days` carries it: db.orders.lifecycle.overdue_condition)."""
    # The inverse of db.orders.lifecycle.collect_by: a bag delivered on the cutoff may last be collected on `day`
    # (or, when `day` is closed, on the next open day), one delivered the day before no later than the open day
    # before it.
    return open_days_of(hold_days).overdue_from(day) - dt.timedelta(days=hold_days - 1)


def _held_at(moment: dt.datetime) -> ColumnElement[bool]:
    """A bag sat in its slot at `moment`: checked in before, not yet handed over, returned or reported."""
    return and_(
        Order.received_at < moment,
        or_(Order.picked_up_at.is_(None), Order.picked_up_at >= moment),
        or_(Order.returned_at.is_(None), Order.returned_at >= moment),
        # A problem has no time of its own: such bags are left out of the past as well.
        Order.status != "problem",
    )


def _hold_days(session: Session, *, site_ids: list[int]) -> dict[int, ClassHolds]:
    """Each site's hold per storage class, with its calendar in force (db.orders.lifecycle.class_hold_days)."""
    rules = session.scalars(select(SiteRules).where(SiteRules.site_id.in_(site_ids))).all()
    calendars = open_days_of_sites(session, site_ids=[rule.site_id for rule in rules])
    return {rule.site_id: class_hold_days(rule, calendar=calendars[rule.site_id]) for rule in rules}


# --- KPI cards and the district table ---


@dataclass(frozen=True)
class SiteFigures:
    """One site's cards for a day. Delivery figures are about that day's delivery; stock, overdue, cold and duty
    figures are as they stand now."""

    site_id: int
    code: str
    name: str
    expected: int  # the day's orders not yet checked in
    received: int  # the day's orders checked in
    on_shelves: int  # bags in a slot now (received or shelved), whatever their delivery day
    handed_over: int  # bags handed over during the day
    overdue: int  # bags in a slot past their collect-by date
    problems: int  # problems reported during the day
    cold_in_range: int
    cold_excursion: int  # cold units whose latest reading is out of range
    cold_missing: int  # cold units in range but with a reading due and not taken
    on_duty: int  # volunteers checked in on a shift that covers now

    @property
    def overdue_rate(self) -> float:
        return self.overdue / self.on_shelves if self.on_shelves else 0.0


COUNTED = tuple(f.name for f in fields(SiteFigures) if f.name not in ("site_id", "code", "name"))


def list_site_figures(session: Session, *, site_ids: list[int], day: dt.date, now: dt.datetime) -> list[SiteFigures]:
    """The KPI cards of several sites, in the order of `site_ids`: a fixed number of grouped statements whatever the
    number of sites, units and readings (tests/store/reports counts them)."""
    if not site_ids:
        return []
    sites = {row.id: row for row in session.execute(select(Site.id, Site.code, Site.name).where(Site.id.in_(site_ids)))}
    counts: dict[int, dict[str, int]] = {site_id: dict.fromkeys(COUNTED, 0) for site_id in sites}

    def add(rows: Iterable[Sequence[Any]], *names: str) -> None:
        for site_id, *numbers in rows:
            for name, number in zip(names, numbers, strict=True):
                counts[site_id][name] = int(number or 0)

    in_sites = list(sites)
    start, end = local_day_bounds(day)
    add(_delivery_counts(session, site_ids=in_sites, day=day), "expected", "received")
    add(_stock_counts(session, site_ids=in_sites, day=day), "on_shelves", "overdue")
    add(_handed_over_counts(session, site_ids=in_sites, day=day), "handed_over")
    add(_problem_counts(session, site_ids=in_sites, start=start, end=end), "problems")
    add(_on_duty_counts(session, site_ids=in_sites, now=now), "on_duty")
    for site_id, cold in count_cold_units(session, site_ids=in_sites, now=now).items():
        counts[site_id].update(cold)
    return [
        SiteFigures(site_id=site_id, code=sites[site_id].code, name=sites[site_id].name, **counts[site_id])
        for site_id in site_ids
        if site_id in sites
    ]


# The grouped counts of list_site_figures: rows of (site_id, number, ...).


def _delivery_counts(session: Session, *, site_ids: list[int], day: dt.date) -> Iterable[Sequence[Any]]:
    """The day's delivery, expected and received: the expected bags by the index (site_id, status, delivery_date)
    alone, the checked-in ones from the delivery rollups."""
    expected = dict(
        session.execute(
            select(Order.site_id, func.count())
            .where(Order.site_id.in_(site_ids), Order.status == "expected", Order.delivery_date == day)
            .group_by(Order.site_id)
        ).all()
    )
    received = dict(
        session.execute(
            select(DeliveryRollup.site_id, func.sum(DeliveryRollup.received))
            .where(DeliveryRollup.site_id.in_(site_ids), DeliveryRollup.delivery_date == day)
            .group_by(DeliveryRollup.site_id)
        ).all()
    )
    return [(site_id, expected.get(site_id, 0), received.get(site_id, 0)) for site_id in site_ids]


def _stock_counts(session: Session, *, site_ids: list[int], day: dt.date) -> Iterable[Sequence[Any]]:
    """The bags in a slot now and how many of them are overdue on `day` (each site's own hold per storage class):
    the held rollups' rows of bags not yet gone, a few per delivery day."""
    holds = _hold_days(session, site_ids=site_ids)
    counts = {site_id: [0, 0] for site_id in site_ids}
    rows = session.execute(
        select(HeldRollup.site_id, HeldRollup.storage_class, HeldRollup.delivery_date, func.sum(HeldRollup.bags))
        .where(HeldRollup.site_id.in_(site_ids), HeldRollup.left_day == STILL_HELD)
        .group_by(HeldRollup.site_id, HeldRollup.storage_class, HeldRollup.delivery_date)
    )
    for site_id, storage_class, delivered, bags in rows:
        counts[site_id][0] += bags
        hold = hold_days_of(holds[site_id], storage_class) if holds.get(site_id) else 1
        if delivered < overdue_cutoff(day=day, hold_days=hold):
            counts[site_id][1] += bags
    return [(site_id, *numbers) for site_id, numbers in counts.items()]


def _handed_over_counts(session: Session, *, site_ids: list[int], day: dt.date) -> Iterable[Sequence[Any]]:
    """Bags handed over during the local `day`: the day rollups."""
    return session.execute(
        select(DayRollup.site_id, func.sum(DayRollup.picked_up))
        .where(DayRollup.site_id.in_(site_ids), DayRollup.day == day)
        .group_by(DayRollup.site_id)
    )


def _problem_counts(
    session: Session, *, site_ids: list[int], start: dt.datetime, end: dt.datetime
) -> Iterable[Sequence[Any]]:
    return session.execute(
        select(Event.site_id, func.count())
        .where(
            Event.site_id.in_(site_ids),
            Event.happened_at >= start,
            Event.happened_at < end,
            Event.action == "order.problem",
        )
        .group_by(Event.site_id)
    )


def _on_duty_counts(session: Session, *, site_ids: list[int], now: dt.datetime) -> Iterable[Sequence[Any]]:
    """Volunteers checked in on a shift running now."""
    return session.execute(
        select(Assignment.site_id, func.count(func.distinct(Assignment.volunteer_id)))
        .join(Shift, Shift.id == Assignment.shift_id)
        .where(
            Assignment.site_id.in_(site_ids),
            Assignment.status == "checked_in",
            Shift.cancelled_at.is_(None),
            Shift.starts_at <= now,
            Shift.starts_at > now - LONGEST_SHIFT,
            Shift.ends_at > now,
        )
        .group_by(Assignment.site_id)
    )


def count_cold_units(session: Session, *, site_ids: list[int], now: dt.datetime) -> dict[int, dict[str, int]]:
    """Per site: active cold units in range, in an excursion, or with a reading missing (the cold-chain rules of
    db.cold_chain.temperatures decide what is due, for all the sites in a fixed number of statements)."""
    units = list_cold_units_of_sites(session, site_ids=site_ids)
    due_by_site = list_due_readings_of_sites(session, site_ids=site_ids, now=now)
    counts: dict[int, dict[str, int]] = {}
    for site_id, due in due_by_site.items():
        excursion = {item.storage_unit_id for item in due if item.kind == "follow_up"}
        missing = {item.storage_unit_id for item in due if item.kind == "scheduled" and item.overdue} - excursion
        counts[site_id] = {
            "cold_in_range": len(units[site_id]) - len(excursion) - len(missing),
            "cold_excursion": len(excursion),
            "cold_missing": len(missing),
        }
    return counts


def total_figures(figures: list[SiteFigures]) -> SiteFigures:
    """The district's total: every count summed (the overdue rate follows from the sums)."""
    total = SiteFigures(site_id=0, code="", name="", **dict.fromkeys(COUNTED, 0))
    return replace(total, **{name: sum(getattr(site, name) for site in figures) for name in COUNTED})


DISTRICT_COLUMNS = [
    "code",
    "name",
    "expected",
    "received",
    "handed_over",
    "on_shelves",
    "overdue",
    "overdue_rate",
    "problems",
    "cold_in_range",
    "cold_excursion",
    "cold_missing",
    "on_duty",
]


def district_frame(figures: list[SiteFigures], *, sort_by: str = "code", descending: bool = False) -> pd.DataFrame:
    """One row per site, sorted as asked, and the total as the last row (its code empty)."""
    if sort_by not in DISTRICT_SORTS:
        sort_by = "code"
    ordered = sorted(figures, key=lambda site: getattr(site, sort_by), reverse=descending)
    rows = [*ordered, total_figures(figures)] if figures else []
    return pd.DataFrame(
        [
            {
                name: (round(site.overdue_rate, 3) if name == "overdue_rate" else getattr(site, name))
                for name in DISTRICT_COLUMNS
            }
            for site in rows
        ],
        columns=DISTRICT_COLUMNS,
    )


# --- pickup volumes ---


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[first moment of `start`, first moment after `end`) in UTC: both days included."""
    return local_day_bounds(start)[0], local_day_bounds(end)[1]


def pickups_by_day_frame(session: Session, *, site_id: int, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Bags handed over per local day and platform, days `start`…`end` included (from the day rollups)."""
    picked = func.sum(DayRollup.picked_up)
    rows = session.execute(
        select(DayRollup.day, DayRollup.platform, picked.label("pickups"))
        .where(DayRollup.site_id == site_id, DayRollup.day >= start, DayRollup.day <= end)
        .group_by(DayRollup.day, DayRollup.platform)
        .having(picked > 0)
        .order_by(DayRollup.day, DayRollup.platform)
    ).all()
    return pd.DataFrame(
        [(day, platform, int(count)) for day, platform, count in rows], columns=["day", "platform", "pickups"]
    )


def district_pickups_by_day_frame(
    session: Session, *, site_ids: Sequence[int], start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Bags handed over per local day and site, days `start`…`end` included: one grouped read of the day rollups
    for all the sites, however many."""
    if not site_ids:
        return pd.DataFrame(columns=["day", "code", "pickups"])
    picked = func.sum(DayRollup.picked_up)
    rows = session.execute(
        select(DayRollup.day, Site.code, picked)
        .join(Site, Site.id == DayRollup.site_id)
        .where(DayRollup.site_id.in_(list(site_ids)), DayRollup.day >= start, DayRollup.day <= end)
        .group_by(DayRollup.day, Site.code)
        .having(picked > 0)
        .order_by(DayRollup.day, Site.code)
    ).all()
    return pd.DataFrame([(day, code, int(count)) for day, code, count in rows], columns=["day", "code", "pickups"])


def _pickups_by_day_hour(session: Session, *, site_id: int, days: Any) -> list[tuple[dt.date, int, int]]:
    """(day, hour, bags handed over) of the hour rollups, for days matching `days` (a condition on the day)."""
    picked = func.sum(HourRollup.picked_up)
    rows = session.execute(
        select(HourRollup.day, HourRollup.hour, picked)
        .where(HourRollup.site_id == site_id, days)
        .group_by(HourRollup.day, HourRollup.hour)
        .having(picked > 0)
    ).all()
    return [(day, hour, int(count)) for day, hour, count in rows]


def pickups_by_hour_frame(
    session: Session, *, site_id: int, day: dt.date, weeks: int = SAME_WEEKDAY_WEEKS
) -> pd.DataFrame:
    """Bags handed over per local hour on `day`, and the average of the same weekday over the `weeks` before it
    (averaged over those weekdays that had any pickups)."""
    on_day = _pickups_by_day_hour(session, site_id=site_id, days=HourRollup.day == day)
    today = {hour: count for _day, hour, count in on_day}
    same_weekdays = [day - dt.timedelta(weeks=back) for back in range(1, weeks + 1)]
    earlier = _pickups_by_day_hour(session, site_id=site_id, days=HourRollup.day.in_(same_weekdays))
    days_seen = {row[0] for row in earlier}
    totals: dict[int, int] = {}
    for _day, earlier_hour, count in earlier:
        totals[earlier_hour] = totals.get(earlier_hour, 0) + count
    seen = set(today) | set(totals)
    # Every hour from the first to the last, quiet ones as 0: a line from 13 h straight to 17 h would hide them.
    hours = range(min(seen), max(seen) + 1) if seen else range(0)
    return pd.DataFrame(
        [
            {
                "hour": h,
                "pickups": today.get(h, 0),
                "average": round(totals.get(h, 0) / len(days_seen), 2) if days_seen else 0.0,
            }
            for h in hours
        ],
        columns=["hour", "pickups", "average"],
    )


def pickups_by_weekday_hour_frame(session: Session, *, site_id: int, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Bags handed over per local weekday (Monday = 0) and hour, days `start`…`end` included."""
    counted: dict[tuple[int, int], int] = {}
    for day, hour, count in _pickups_by_day_hour(
        session, site_id=site_id, days=and_(HourRollup.day >= start, HourRollup.day <= end)
    ):
        counted[day.weekday(), hour] = counted.get((day.weekday(), hour), 0) + count
    return pd.DataFrame(
        [(weekday, hour, count) for (weekday, hour), count in sorted(counted.items())],
        columns=["weekday", "hour", "pickups"],
    )


# --- one delivery, speed, dwell, overdue ---


def delivery_funnel_frame(session: Session, *, site_id: int, delivery_date: dt.date) -> pd.DataFrame:
    """How far the bags of one delivery got: expected → received → shelved → handed over (each stage counts
    the bags that reached it or a later one; a bag handed over straight from check-in has passed the shelf)."""
    row = session.execute(
        select(
            func.sum(DeliveryRollup.orders),
            func.sum(DeliveryRollup.received),
            func.sum(DeliveryRollup.shelved),
            func.sum(DeliveryRollup.picked_up),
        ).where(DeliveryRollup.site_id == site_id, DeliveryRollup.delivery_date == delivery_date)
    ).one()
    if not row[0]:
        return pd.DataFrame(columns=["stage", "orders", "share"])
    counts = [int(value or 0) for value in row]
    return pd.DataFrame(
        [
            {"stage": stage, "orders": count, "share": round(count / counts[0], 3)}
            for stage, count in zip(FUNNEL_STAGES, counts, strict=True)
        ],
        columns=["stage", "orders", "share"],
    )


def handover_speed_frame(
    session: Session, *, site_id: int, start: dt.date, end: dt.date, now: dt.datetime
) -> pd.DataFrame:
    """Per delivery date: bags checked in, and the share handed over within 24 h and 48 h of check-in. A share
    counts only bags whose window has passed by `now`, so today's delivery does not look slow.

    The delivery rollups count every checked-in bag; the bags checked in less than 48 hours before `now` (an
    index range of (site, received_at)) are read from the orders, a few hundred rows, and taken out of the windows
    not yet passed. They are counted per delivery date here, not grouped in the read: a GROUP BY or a range of
    delivery dates sent SQLite along the (site, delivery date) index instead, every bag delivered in the chart's
    days (11,000 at 28 days of history, 2,000 at 5)."""
    rows = session.execute(
        select(
            DeliveryRollup.delivery_date,
            func.sum(DeliveryRollup.received),
            func.sum(DeliveryRollup.picked_up_24h),
            func.sum(DeliveryRollup.picked_up_48h),
        )
        .where(
            DeliveryRollup.site_id == site_id,
            DeliveryRollup.delivery_date >= start,
            DeliveryRollup.delivery_date <= end,
        )
        .group_by(DeliveryRollup.delivery_date)
        .having(func.sum(DeliveryRollup.received) > 0)
        .order_by(DeliveryRollup.delivery_date)
    ).all()
    # Per delivery date: [checked in within 24 h, of them handed over within 24 h, the same for 48 h].
    recent: dict[dt.date, list[int]] = {}
    for day, received_at, picked_up_at in session.execute(
        select(Order.delivery_date, Order.received_at, Order.picked_up_at).where(
            Order.site_id == site_id, Order.received_at > now - dt.timedelta(hours=max(SPEED_WINDOWS_HOURS))
        )
    ):
        if received_at is None:  # never: the read's range excludes it, for the type checker
            continue
        counts = recent.setdefault(day, [0] * (2 * len(SPEED_WINDOWS_HOURS)))
        for index, hours in enumerate(SPEED_WINDOWS_HOURS):
            if received_at > now - dt.timedelta(hours=hours):
                counts[2 * index] += 1
                if picked_up_at is not None and dwell_ms(received_at, picked_up_at) <= hours * MS_PER_HOUR:
                    counts[2 * index + 1] += 1

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    table = []
    for day, received, in24, in48 in rows:
        open24, open_in24, open48, open_in48 = recent.get(day, [0, 0, 0, 0])
        table.append(
            {
                "delivery_date": day,
                "received": int(received),
                "within_24h": share(int(in24) - open_in24, int(received) - open24),
                "within_48h": share(int(in48) - open_in48, int(received) - open48),
            }
        )
    return pd.DataFrame(table, columns=["delivery_date", "received", "within_24h", "within_48h"])


def dwell_by_class_frame(session: Session, *, site_id: int, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Hours from check-in to handover per storage class, for bags handed over on days `start`…`end`: counts, sums
    and the longest from the day rollups (a few rows a day, however long the site's history)."""
    count, total = func.sum(DayRollup.dwell_count), func.sum(DayRollup.dwell_ms)
    sums = session.execute(
        select(DayRollup.storage_class, count, total, func.max(DayRollup.dwell_max_ms))
        .where(DayRollup.site_id == site_id, DayRollup.day >= start, DayRollup.day <= end)
        .group_by(DayRollup.storage_class)
        .having(count > 0)
        .order_by(DayRollup.storage_class)
    ).all()
    if not sums:
        return pd.DataFrame(columns=["storage_class", "pickups", "average_hours", "longest_hours"])
    return pd.DataFrame(
        [
            {
                "storage_class": storage_class,
                "pickups": int(pickups),
                "average_hours": round(int(summed) / int(pickups) / MS_PER_HOUR, 1),
                "longest_hours": round(int(longest) / MS_PER_HOUR, 1),
            }
            for storage_class, pickups, summed, longest in sums
        ],
        columns=["storage_class", "pickups", "average_hours", "longest_hours"],
    )


def _held_groups(
    session: Session, *, site_id: int, first_day: dt.date, last_day: dt.date
) -> dict[tuple[dt.date, dt.date, dt.date | None, str], int]:
    """Bags that sat in a slot at the end of some day of [first_day, last_day], counted per (local day checked in,
    delivery date, local day they left or None, storage class): the held rollups, a few rows per day however many
    bags."""
    rows = session.execute(
        select(
            HeldRollup.received_day,
            HeldRollup.delivery_date,
            HeldRollup.left_day,
            HeldRollup.storage_class,
            func.sum(HeldRollup.bags),
        )
        .where(
            HeldRollup.site_id == site_id,
            HeldRollup.left_day > first_day,
            HeldRollup.received_day <= last_day,
        )
        .group_by(HeldRollup.received_day, HeldRollup.delivery_date, HeldRollup.left_day, HeldRollup.storage_class)
    )
    groups: dict[tuple[dt.date, dt.date, dt.date | None, str], int] = {}
    for received, delivered, left, storage_class, count in rows:
        if count:
            key = (received, delivered, None if left == STILL_HELD else left, storage_class)
            groups[key] = groups.get(key, 0) + int(count)
    return groups


def overdue_trend_frame(
    session: Session, *, site_id: int, start: dt.date, end: dt.date, now: dt.datetime
) -> pd.DataFrame:
    """Per day (not after today): bags in a slot at the end of the day (now, for today) and how many of them were
    past their collect-by date; no rows when no bag was held on any of the days. Bags reported as a problem
    have no time of their own for it and are left out."""
    end = min(end, to_local(now).date())
    days = [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)][-MAX_TREND_DAYS:]
    if not days:
        return pd.DataFrame(columns=["day", "held", "overdue"])
    holds: HoldDays = _hold_days(session, site_ids=[site_id]).get(site_id, {})
    groups = _held_groups(session, site_id=site_id, first_day=days[0], last_day=days[-1])
    if not groups:
        return pd.DataFrame(columns=["day", "held", "overdue"])
    # Each group adds its count to a run of days: where it starts and where it stops, summed along the days once
    # (a group per day and class tried on every day of the range cost groups × days: 541 × 28 at 50 days of history).
    held_steps = [0] * (len(days) + 1)
    overdue_steps = [0] * (len(days) + 1)
    cutoffs: dict[str, list[dt.date]] = {}
    for (received, delivered, left, storage_class), count in groups.items():
        # In a slot at the end of day X when checked in by then and gone only on a later day.
        first = max((received - days[0]).days, 0)
        stop = len(days) if left is None else min((left - days[0]).days, len(days))
        if first >= stop:
            continue
        held_steps[first] += count
        held_steps[stop] -= count
        if storage_class not in cutoffs:
            hold = hold_days_of(holds, storage_class) if holds else 1
            cutoffs[storage_class] = [overdue_cutoff(day=day, hold_days=hold) for day in days]
        # Overdue from the first day whose cutoff is past its delivery date (the cutoff never moves back).
        late = max(first, bisect_right(cutoffs[storage_class], delivered))
        if late < stop:
            overdue_steps[late] += count
            overdue_steps[stop] -= count
    held = list(accumulate(held_steps[:-1]))
    overdue = list(accumulate(overdue_steps[:-1]))
    return pd.DataFrame(
        [{"day": day, "held": held[index], "overdue": overdue[index]} for index, day in enumerate(days)],
        columns=["day", "held", "overdue"],
    )


# --- the daily report ---


@dataclass(frozen=True)
class DailyReport:
    """One site's day on paper: each part a small table, times on the site's clock."""

    site_name: str
    site_code: str
    day: dt.date
    arrived: pd.DataFrame
    handed_over: pd.DataFrame
    overdue: pd.DataFrame
    problems: pd.DataFrame
    temperatures: pd.DataFrame
    on_duty: pd.DataFrame
    signed_off_by: str | None
    signed_off_at: dt.datetime | None
    # Tomorrow's forecast, on today's report only (empty on an earlier day's: it was not kept then).
    tomorrow: pd.DataFrame
    hands: pd.DataFrame

    PARTS = ("arrived", "handed_over", "overdue", "problems", "temperatures", "on_duty", "tomorrow", "hands")

    def parts(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in self.PARTS}


def _clock(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{to_local(moment):%H:%M}"


def daily_report(session: Session, *, site_id: int, day: dt.date, now: dt.datetime) -> DailyReport:
    """What arrived, was handed over, is overdue, went wrong; the temperature log and who was on duty; on today's
    report, tomorrow's bags by storage class against the slots and the volunteers needed against rostered."""
    site = session.execute(select(Site.code, Site.name).where(Site.id == site_id)).one()
    low, high = local_day_bounds(day)
    sign_off = session.execute(
        select(Volunteer.name, TemperatureSignOff.signed_at)
        .join(Volunteer, Volunteer.id == TemperatureSignOff.volunteer_id)
        .where(TemperatureSignOff.site_id == site_id, TemperatureSignOff.day == day)
    ).first()
    return DailyReport(
        site_name=site.name,
        site_code=site.code,
        day=day,
        arrived=_arrived_part(session, site_id=site_id, day=day, low=low, high=high),
        handed_over=_handed_over_part(session, site_id=site_id, low=low, high=high),
        overdue=_overdue_part(session, site_id=site_id, day=day, moment=min(high, now)),
        problems=_problems_part(session, site_id=site_id, low=low, high=high),
        temperatures=_temperatures_part(session, site_id=site_id, low=low, high=high),
        on_duty=_on_duty_part(session, site_id=site_id, low=low, high=high),
        signed_off_by=sign_off[0] if sign_off else None,
        signed_off_at=sign_off[1] if sign_off else None,
        **_tomorrow_parts(session, site_id=site_id, day=day, now=now),
    )


def _tomorrow_parts(session: Session, *, site_id: int, day: dt.date, now: dt.datetime) -> dict[str, pd.DataFrame]:
    """The forecast's first day as the report's last two parts, when the report is today's and the site opens
    tomorrow; empty parts (with their columns) otherwise."""
    forecast = forecast_site(session, site_id=site_id, now=now, days=1) if day == local_today(now) else None
    tomorrow = forecast.days[0] if forecast is not None and forecast.days else None
    if tomorrow is not None and tomorrow.closed:
        tomorrow = None
    return {"tomorrow": classes_frame(tomorrow), "hands": hands_frame(tomorrow)}


def _arrived_part(session: Session, *, site_id: int, day: dt.date, low: dt.datetime, high: dt.datetime) -> pd.DataFrame:
    slot = aliased(Slot)
    arrived = session.execute(
        select(
            Order.pickup_code,
            Order.platform,
            Order.order_number,
            Order.storage_class,
            Order.received_at,
            slot.code,
            Order.status,
        )
        .outerjoin(slot, slot.id == Order.slot_id)
        .where(
            Order.site_id == site_id,
            Order.delivery_date.between(day - LONGEST_HOLD, day),
            Order.received_at >= low,
            Order.received_at < high,
        )
        .order_by(Order.received_at, Order.id)
    ).all()
    return pd.DataFrame(
        [
            (code, platform, number, storage_class, _clock(at), slot_code or "", status)
            for code, platform, number, storage_class, at, slot_code, status in arrived
        ],
        columns=["pickup_code", "platform", "order_number", "storage_class", "received_at", "slot", "status"],
    )


def _handed_over_part(session: Session, *, site_id: int, low: dt.datetime, high: dt.datetime) -> pd.DataFrame:
    handed = session.execute(
        select(
            Order.pickup_code,
            Order.platform,
            Order.delivery_date,
            Order.picked_up_at,
            Volunteer.name,
            hours_between(Order.received_at, Order.picked_up_at),
        )
        .outerjoin(Volunteer, Volunteer.id == Order.picked_up_by)
        .where(Order.site_id == site_id, Order.picked_up_at >= low, Order.picked_up_at < high)
        .order_by(Order.picked_up_at, Order.id)
    ).all()
    return pd.DataFrame(
        [
            (code, platform, delivered, _clock(at), name or "", None if hours is None else round(float(hours), 1))
            for code, platform, delivered, at, name, hours in handed
        ],
        columns=["pickup_code", "platform", "delivery_date", "picked_up_at", "volunteer", "dwell_hours"],
    )


def _overdue_part(session: Session, *, site_id: int, day: dt.date, moment: dt.datetime) -> pd.DataFrame:
    """Bags overdue at `moment` (the day's end, or now on the current day)."""
    slot = aliased(Slot)
    hold = _hold_days(session, site_ids=[site_id]).get(site_id) or 1
    oldest = day - LONGEST_HOLD
    overdue = sorted(
        (
            row
            for bounded in (
                Order.delivery_date >= oldest,
                and_(Order.delivery_date < oldest, Order.status.in_(SLOTTED_ORDER_STATUSES)),
            )
            for row in session.execute(
                select(
                    Order.pickup_code,
                    Order.platform,
                    Order.delivery_date,
                    Order.resident_name,
                    Order.phone,
                    slot.code,
                    Order.storage_class,
                )
                .outerjoin(slot, slot.id == Order.slot_id)
                .where(
                    Order.site_id == site_id,
                    overdue_condition(hold_days=hold, today=day),
                    _held_at(moment),
                    bounded,
                )
            )
        ),
        key=lambda row: (row.delivery_date, row.pickup_code),
    )
    return pd.DataFrame(
        [
            (
                code,
                platform,
                delivered,
                collect_by(delivery_date=delivered, hold_days=hold_days_of(hold, storage_class)),
                resident,
                phone,
                slot_code or "",
            )
            for code, platform, delivered, resident, phone, slot_code, storage_class in overdue
        ],
        columns=["pickup_code", "platform", "delivery_date", "collect_by", "resident_name", "phone", "slot"],
    )


def _problems_part(session: Session, *, site_id: int, low: dt.datetime, high: dt.datetime) -> pd.DataFrame:
    problems = session.execute(
        select(Event.happened_at, Order.pickup_code, Order.platform, Order.problem_reason, Volunteer.name)
        .join(Order, Order.id == Event.entity_id)
        .outerjoin(Volunteer, Volunteer.id == Event.actor_id)
        .where(
            Event.site_id == site_id,
            Event.happened_at >= low,
            Event.happened_at < high,
            Event.action == "order.problem",
            Event.entity == "order",
        )
        .order_by(Event.happened_at, Event.id)
    ).all()
    return pd.DataFrame(
        [(_clock(at), code, platform, reason or "", name or "") for at, code, platform, reason, name in problems],
        columns=["reported_at", "pickup_code", "platform", "reason", "volunteer"],
    )


def _temperatures_part(session: Session, *, site_id: int, low: dt.datetime, high: dt.datetime) -> pd.DataFrame:
    readings = temperature_log_frame(session, site_id=site_id, start=low, end=high)
    return pd.DataFrame(
        [
            (row.time, row.unit, row.reading_c, row.in_range, row.corrective_action, row.volunteer, row.corrected)
            for row in readings.assign(corrected=readings["corrects_id"].notna()).itertuples()
        ],
        columns=["taken_at", "unit", "reading_c", "in_range", "corrective_action", "volunteer", "correction"],
    )


def _on_duty_part(session: Session, *, site_id: int, low: dt.datetime, high: dt.datetime) -> pd.DataFrame:
    duty = session.execute(
        select(
            Shift.starts_at,
            Shift.ends_at,
            Shift.role,
            Volunteer.name,
            Assignment.status,
            Assignment.checked_in_at,
            Assignment.checked_out_at,
        )
        .join(Assignment, Assignment.shift_id == Shift.id)
        .join(Volunteer, Volunteer.id == Assignment.volunteer_id)
        .where(
            Shift.site_id == site_id,
            Shift.starts_at >= low,
            Shift.starts_at < high,
            Shift.cancelled_at.is_(None),
            Assignment.status != "cancelled",
        )
        .order_by(Shift.starts_at, Shift.role, Volunteer.name)
    ).all()
    return pd.DataFrame(
        [
            (_clock(starts), _clock(ends), role, name, status, _clock(checked_in), _clock(checked_out))
            for starts, ends, role, name, status, checked_in, checked_out in duty
        ],
        columns=["starts_at", "ends_at", "role", "volunteer", "status", "checked_in_at", "checked_out_at"],
    )
