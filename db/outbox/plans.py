"""What is due to be said now, as data: the runner (cli/) writes each Planned into its text in the site's language
and queues it (db.outbox.messages.queue_message), whose idempotency key makes a second plan of it add nothing.

Only for a site with the kind's channel set up and switched on, and the kind not switched off. It runs every minute
at district scale, so it reads a window through an index or a rollup, never a site's history: the shifts of the
next day (shifts by site and start), their people (assignments by shift), the events of those few assignments and
shifts (events by entity), each cold unit's latest reading (readings by unit and time), the bags held past their
day (orders by site, status and delivery date), the day's figures from the rollups (db.reports.figures), and what is
already queued (messages by idempotency key) — so nothing already queued is planned again.

Values are JSON-able primitives (moments as ISO strings); names in a text for the staff group are masked as
neighbours write them (王*英); the pickup codes go only to the resident's own phone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from db.cold_chain.temperatures import FOLLOW_UP_WITHIN, latest_reading_id, list_due_readings_of_sites
from db.cold_chain.units import list_cold_units_of_sites
from db.core.clock import local_moment, local_today
from db.core.models import (
    SLOTTED_ORDER_STATUSES,
    Assignment,
    Event,
    Message,
    NotificationSwitch,
    Order,
    Shift,
    Site,
    SiteChannel,
    SiteRules,
    StorageUnit,
    TemperatureReading,
    Volunteer,
)
from db.core.privacy import mask_given_name
from db.core.typed import normalize_phone
from db.forecast.build import forecast_site
from db.orders.lifecycle import ClassHolds, class_hold_days, collect_by, hold_days_of, open_days_of, overdue_condition
from db.outbox.channels import KIND_CHANNELS
from db.outbox.opt_outs import opted_out_among, phone_hashes
from db.people.opening_hours import hours_of_sites_on, open_days_of_sites
from db.reports.figures import list_site_figures
from db.reports.tomorrow import tomorrow_values

# Reminders before a shift, by kind.
REMINDERS = (("shift_reminder_2h", dt.timedelta(hours=2)), ("shift_reminder_24h", dt.timedelta(hours=24)))
# How far ahead the organizers hear of a shift still under its minimum.
UNDERSTAFFED_AHEAD = dt.timedelta(hours=24)
# A cancelled shift is told for this long after it was cancelled (a runner down longer than that missed it).
CANCELLED_TOLD_WITHIN = dt.timedelta(hours=24)
# A scheduled reading not taken this long after it was due is reported to the organizers.
READING_MISSED_AFTER = dt.timedelta(hours=1)
ACTIVE_ASSIGNMENT_STATUSES = ("signed_up", "checked_in", "checked_out")
# Keys asked about at once (bound parameters of one IN).
KEYS_PER_STATEMENT = 500


@dataclass(frozen=True)
class Planned:
    """One message due now: who it is for, what it says as values, and the key that makes it go out once."""

    site_id: int
    channel: str
    audience: str
    kind: str
    values: dict[str, Any]
    recipient: str | None
    volunteer_id: int | None
    due_at: dt.datetime
    idempotency_key: str
    order_ids: tuple[int, ...] = ()
    shift_id: int | None = None
    reading_id: int | None = None
    storage_unit_id: int | None = None


@dataclass
class _Sites:
    """The sites that send something: per site the kinds switched on whose channel is set up, and its name."""

    kinds: dict[int, set[str]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    def sending(self, *kinds: str) -> list[int]:
        return sorted(site_id for site_id, on in self.kinds.items() if on & set(kinds))

    def sends(self, site_id: int, kind: str) -> bool:
        return kind in self.kinds.get(site_id, ())


def due_notifications(session: Session, *, now: dt.datetime) -> list[Planned]:
    """Every message due by `now` and not queued yet, for every site with a channel set up."""
    sites = _sending_sites(session)
    if not sites.kinds:
        return []
    planned = [
        *_shift_messages(session, sites=sites, now=now),
        *_cold_chain_messages(session, sites=sites, now=now),
        *_overdue_reminders(session, sites=sites, now=now),
    ]
    planned = _not_queued(session, planned)
    # The day's summary reads a dozen statements of figures: only once its key is known not to be queued.
    return planned + _not_queued(session, _day_summaries(session, sites=sites, now=now))


def _sending_sites(session: Session) -> _Sites:
    channels: dict[int, set[str]] = defaultdict(set)
    for site_id, channel in session.execute(
        select(SiteChannel.site_id, SiteChannel.channel).where(SiteChannel.enabled.is_(True))
    ):
        channels[site_id].add(channel)
    sites = _Sites()
    if not channels:
        return sites
    switched_off: dict[int, set[str]] = defaultdict(set)
    for site_id, kind in session.execute(
        select(NotificationSwitch.site_id, NotificationSwitch.kind).where(
            NotificationSwitch.site_id.in_(sorted(channels)), NotificationSwitch.enabled.is_(False)
        )
    ):
        switched_off[site_id].add(kind)
    for site_id, on in channels.items():
        kinds = {kind for kind, channel in KIND_CHANNELS.items() if channel in on} - switched_off[site_id]
        if kinds:
            sites.kinds[site_id] = kinds
    sites.names = {
        site_id: name for site_id, name in session.execute(select(Site.id, Site.name).where(Site.id.in_(sites.kinds)))
    }
    return sites


def _queued_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of these idempotency keys are in the outbox (by its unique index)."""
    wanted = sorted(set(keys))
    queued: set[str] = set()
    for start in range(0, len(wanted), KEYS_PER_STATEMENT):
        chunk = wanted[start : start + KEYS_PER_STATEMENT]
        queued |= set(session.scalars(select(Message.idempotency_key).where(Message.idempotency_key.in_(chunk))))
    return queued


def _not_queued(session: Session, planned: list[Planned]) -> list[Planned]:
    """The planned messages whose key is not in the outbox yet (and each key once)."""
    queued = _queued_keys(session, (item.idempotency_key for item in planned))
    fresh: dict[str, Planned] = {}
    for item in planned:
        if item.idempotency_key not in queued:
            fresh.setdefault(item.idempotency_key, item)
    return list(fresh.values())


def _mobile(phone: str | None) -> str | None:
    """A mainland mobile number to @ or text, else None (a landline, nothing given)."""
    digits = normalize_phone(phone or "")
    return digits if len(digits) == 11 and digits.startswith("1") else None


def _moment(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


# --- the roster: reminders, a cancelled shift, a stand-in wanted, a shift under its minimum ---


def _shift_messages(session: Session, *, sites: _Sites, now: dt.datetime) -> list[Planned]:
    shift_kinds = (
        "shift_reminder_24h",
        "shift_reminder_2h",
        "shift_cancelled",
        "stand_in_wanted",
        "shift_understaffed",
    )
    site_ids = sites.sending(*shift_kinds)
    if not site_ids:
        return []
    cutoffs = {
        site_id: dt.timedelta(hours=hours)
        for site_id, hours in session.execute(
            select(SiteRules.site_id, SiteRules.signout_cutoff_hours).where(SiteRules.site_id.in_(site_ids))
        )
    }
    ahead = max([UNDERSTAFFED_AHEAD, *cutoffs.values()])
    # The shifts still to start within the window, and those cancelled lately whatever their start (a seek of
    # (site_id, starts_at) per site over the shifts to come).
    shifts = session.scalars(
        select(Shift)
        .where(Shift.site_id.in_(site_ids), Shift.starts_at > now)
        .where((Shift.starts_at <= now + ahead) | (Shift.cancelled_at >= now - CANCELLED_TOLD_WITHIN))
        .order_by(Shift.starts_at, Shift.id)
    ).all()
    if not shifts:
        return []
    people: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(
            Assignment.id,
            Assignment.shift_id,
            Assignment.volunteer_id,
            Assignment.status,
            Assignment.signed_up_at,
            Volunteer.name,
            Volunteer.phone,
        )
        .join(Volunteer, Volunteer.id == Assignment.volunteer_id)
        .where(Assignment.shift_id.in_([shift.id for shift in shifts]))
        .order_by(Assignment.id)
    ):
        people[row.shift_id].append(row)
    cancellations = _cancellation_events(session, shifts=shifts, people=people)
    planned: list[Planned] = []
    for shift in shifts:
        on_shift = [person for person in people[shift.id] if person.status in ACTIVE_ASSIGNMENT_STATUSES]
        shift_values = {
            "site": sites.names[shift.site_id],
            "shift_id": shift.id,
            "role": shift.role,
            "starts_at": _moment(shift.starts_at),
            "ends_at": _moment(shift.ends_at),
            "min_staff": shift.min_staff,
            "max_staff": shift.max_staff,
            "staffed": len(on_shift),
        }
        add = _adder(planned, sites=sites, shift=shift)

        if shift.cancelled_at is not None:
            told = cancellations.get(("shift", shift.id), (shift.cancelled_at, []))[1]
            for person in people[shift.id]:
                if person.volunteer_id in told:
                    add(
                        "shift_cancelled",
                        audience="volunteer",
                        values={**shift_values, "volunteer": mask_given_name(person.name)},
                        recipient=_mobile(person.phone),
                        volunteer_id=person.volunteer_id,
                        due_at=shift.cancelled_at,
                        idempotency_key=f"shift_cancelled:{person.id}",
                    )
            continue
        for person in on_shift:
            if person.status != "signed_up":
                continue
            for kind, before in REMINDERS:
                if shift.starts_at - before <= now:
                    others = [mask_given_name(other.name) for other in on_shift if other.id != person.id]
                    add(
                        kind,
                        audience="volunteer",
                        values={**shift_values, "volunteer": mask_given_name(person.name), "others": others},
                        recipient=_mobile(person.phone),
                        volunteer_id=person.volunteer_id,
                        due_at=max(shift.starts_at - before, person.signed_up_at),
                        idempotency_key=f"{kind}:{person.id}",
                    )
                    break
        for person in people[shift.id]:
            cancelled = cancellations.get(("assignment", person.id))
            if person.status == "cancelled" and cancelled is not None:
                cancelled_at = cancelled[0]
                if cancelled_at > shift.starts_at - cutoffs[shift.site_id]:
                    add(
                        "stand_in_wanted",
                        audience="staff",
                        values=shift_values,
                        recipient=None,
                        volunteer_id=None,
                        due_at=cancelled_at,
                        idempotency_key=f"stand_in_wanted:{person.id}",
                    )
        if len(on_shift) < shift.min_staff and shift.starts_at - UNDERSTAFFED_AHEAD <= now:
            add(
                "shift_understaffed",
                audience="organizers",
                values=shift_values,
                recipient=None,
                volunteer_id=None,
                due_at=shift.starts_at - UNDERSTAFFED_AHEAD,
                idempotency_key=f"shift_understaffed:{shift.id}",
            )
    return planned


def _adder(planned: list[Planned], *, sites: _Sites, shift: Shift) -> Any:
    """A function that plans a message of a kind about `shift` when the site sends that kind."""

    def add(kind: str, **message: Any) -> None:
        if sites.sends(shift.site_id, kind):
            planned.append(
                Planned(site_id=shift.site_id, channel=KIND_CHANNELS[kind], kind=kind, shift_id=shift.id, **message)
            )

    return add


def _cancellation_events(
    session: Session, *, shifts: Sequence[Shift], people: dict[int, list[Any]]
) -> dict[tuple[str, int], tuple[dt.datetime, list[int]]]:
    """When each cancelled shift and each cancelled sign-up was cancelled (and for a shift, whom it told): the
    events of those few entities, by the (entity, entity_id) index."""
    cancelled_shifts = [shift.id for shift in shifts if shift.cancelled_at is not None]
    cancelled_people = [
        person.id
        for shift in shifts
        if shift.cancelled_at is None
        for person in people[shift.id]
        if person.status == "cancelled"
    ]
    found: dict[tuple[str, int], tuple[dt.datetime, list[int]]] = {}
    for entity, action, ids in (
        ("shift", "shift.cancelled", cancelled_shifts),
        ("assignment", "assignment.cancelled", cancelled_people),
    ):
        if not ids:
            continue
        for entity_id, happened_at, after in session.execute(
            select(Event.entity_id, Event.happened_at, Event.after)
            .where(Event.entity == entity, Event.entity_id.in_(ids), Event.action == action)
            .order_by(Event.id)
        ):
            found[(entity, entity_id)] = (happened_at, list((after or {}).get("told", [])))
    return found


# --- the cold chain: a scheduled reading missed, an excursion without its follow-up ---


def _cold_chain_messages(session: Session, *, sites: _Sites, now: dt.datetime) -> list[Planned]:
    planned: list[Planned] = []
    follow_up_sites = sites.sending("excursion_follow_up")
    if follow_up_sites:
        planned += _excursions_without_follow_up(session, site_ids=follow_up_sites, sites=sites, now=now)
    missed_sites = sites.sending("reading_missed")
    if missed_sites:
        # The readings due an hour ago or earlier today and still not taken (taken late counts as taken).
        due = list_due_readings_of_sites(session, site_ids=missed_sites, now=now - READING_MISSED_AFTER)
        for site_id, readings in due.items():
            for reading in readings:
                if reading.kind != "scheduled":
                    continue
                planned.append(
                    Planned(
                        site_id=site_id,
                        channel=KIND_CHANNELS["reading_missed"],
                        audience="organizers",
                        kind="reading_missed",
                        values={
                            "site": sites.names[site_id],
                            "unit_code": reading.unit_code,
                            "unit_name": reading.unit_name,
                            "due_at": _moment(reading.due_at),
                            "missing": reading.missing,
                        },
                        recipient=None,
                        volunteer_id=None,
                        due_at=reading.due_at + READING_MISSED_AFTER,
                        idempotency_key=f"reading_missed:{reading.storage_unit_id}:{_moment(reading.due_at)}",
                        storage_unit_id=reading.storage_unit_id,
                    )
                )
    return planned


def _excursions_without_follow_up(
    session: Session, *, site_ids: list[int], sites: _Sites, now: dt.datetime
) -> list[Planned]:
    """Units whose latest reading is out of range and older than FOLLOW_UP_WITHIN: nobody took the follow-up. One
    statement, a seek of the (storage_unit_id, taken_at) index per unit."""
    units = [
        unit for site_units in list_cold_units_of_sites(session, site_ids=site_ids).values() for unit in site_units
    ]
    if not units:
        return []
    by_id = {unit.id: unit for unit in units}
    rows = session.execute(
        select(
            TemperatureReading.id,
            TemperatureReading.storage_unit_id,
            TemperatureReading.reading_c,
            TemperatureReading.taken_at,
        )
        .select_from(StorageUnit)
        .join(TemperatureReading, TemperatureReading.id == latest_reading_id(now=now))
        .where(
            StorageUnit.id.in_(sorted(by_id)),
            TemperatureReading.in_range.is_(False),
            TemperatureReading.taken_at < now - FOLLOW_UP_WITHIN,
        )
        .order_by(TemperatureReading.id)
    ).all()
    planned = []
    for reading_id, unit_id, reading_c, taken_at in rows:
        unit = by_id[unit_id]
        planned.append(
            Planned(
                site_id=unit.site_id,
                channel=KIND_CHANNELS["excursion_follow_up"],
                audience="organizers",
                kind="excursion_follow_up",
                values={
                    "site": sites.names[unit.site_id],
                    "unit_code": unit.code,
                    "unit_name": unit.name,
                    "reading_c": reading_c,
                    "taken_at": _moment(taken_at),
                },
                recipient=None,
                volunteer_id=None,
                due_at=taken_at + FOLLOW_UP_WITHIN,
                idempotency_key=f"excursion_follow_up:{reading_id}",
                reading_id=reading_id,
                storage_unit_id=unit_id,
            )
        )
    return planned


# --- the day's summary at closing, from the rollups ---


def _day_summaries(session: Session, *, sites: _Sites, now: dt.datetime) -> list[Planned]:
    site_ids = sites.sending("day_summary")
    if not site_ids:
        return []
    today = local_today(now)
    hours = hours_of_sites_on(session, site_ids=site_ids, day=today)
    closed = {
        site_id: local_moment(today, day.closes_at)
        for site_id, day in hours.items()
        if day.closes_at is not None and local_moment(today, day.closes_at) <= now
    }
    keys = {site_id: f"day_summary:{site_id}:{today.isoformat()}" for site_id in closed}
    queued = _queued_keys(session, keys.values())
    wanted = [site_id for site_id in sorted(closed) if keys[site_id] not in queued]
    if not wanted:
        return []
    return [
        Planned(
            site_id=figures.site_id,
            channel=KIND_CHANNELS["day_summary"],
            audience="organizers",
            kind="day_summary",
            values={
                "site": sites.names[figures.site_id],
                "day": today.isoformat(),
                "received": figures.received,
                "expected": figures.expected,
                "handed_over": figures.handed_over,
                "on_shelves": figures.on_shelves,
                "overdue": figures.overdue,
                "problems": figures.problems,
                # Tomorrow's lines: bags by storage class, classes short of slots, hours short of hands.
                **_tomorrow(session, site_id=figures.site_id, now=now),
            },
            recipient=None,
            volunteer_id=None,
            due_at=closed[figures.site_id],
            idempotency_key=keys[figures.site_id],
        )
        for figures in list_site_figures(session, site_ids=wanted, day=today, now=now)
    ]


def _tomorrow(session: Session, *, site_id: int, now: dt.datetime) -> dict[str, Any]:
    """The forecast's first day as the summary's values (numbers and codes: no person in them); none without one."""
    forecast = forecast_site(session, site_id=site_id, now=now, days=1)
    return tomorrow_values(forecast.days[0]) if forecast.days else {}


# --- residents: the overdue reminder by SMS on a bag's first overdue day ---


def _overdue_reminders(session: Session, *, sites: _Sites, now: dt.datetime) -> list[Planned]:
    """One SMS per phone and day, naming all the phone's bags held past their day at the site, when one of them is
    overdue for the first day today; none to a phone that opted out or already has today's.

    Every minute this reads only the bags whose first overdue day is today (one delivery-date range per storage
    class); a phone's other overdue bags are read once, for a reminder not queued yet."""
    site_ids = sites.sending("overdue_reminder")
    if not site_ids:
        return []
    today = local_today(now)
    rules = {rule.site_id: rule for rule in session.scalars(select(SiteRules).where(SiteRules.site_id.in_(site_ids)))}
    calendars = open_days_of_sites(session, site_ids=site_ids)
    holds = {site_id: class_hold_days(rules[site_id], calendar=calendars[site_id]) for site_id in site_ids}
    phones_of: dict[int, set[str]] = {}
    for site_id in site_ids:
        phones_of[site_id] = {
            phone
            for raw in session.scalars(
                select(Order.phone)
                .where(
                    Order.site_id == site_id,
                    Order.status.in_(SLOTTED_ORDER_STATUSES),
                    _first_overdue_today(holds[site_id], today=today),
                )
                .distinct()
            )
            if (phone := _mobile(raw)) is not None
        }
    every_phone = set().union(*phones_of.values())
    if not every_phone:
        return []
    hashes = phone_hashes(session, phones=every_phone, now=now)
    keys = {phone: f"overdue_reminder:{hashes[phone]}:{today.isoformat()}" for phone in every_phone}
    queued = _queued_keys(session, keys.values())
    opted_out = opted_out_among(session, phone_hashes=hashes.values())
    planned: list[Planned] = []
    for site_id, phones in phones_of.items():
        wanted = sorted(phone for phone in phones if keys[phone] not in queued and hashes[phone] not in opted_out)
        if not wanted:
            continue
        bags_of: dict[str, list[Any]] = defaultdict(list)
        for bag in session.execute(
            select(Order.id, Order.phone, Order.pickup_code, Order.storage_class, Order.delivery_date)
            .where(
                Order.site_id == site_id,
                Order.phone_tail.in_(sorted({phone[-4:] for phone in wanted})),
                Order.phone.in_(wanted),
                Order.status.in_(SLOTTED_ORDER_STATUSES),
                overdue_condition(hold_days=holds[site_id], today=today),
            )
            .order_by(Order.delivery_date, Order.pickup_code)
        ):
            bags_of[bag.phone].append(bag)
        for phone in wanted:
            bags = bags_of[phone]
            planned.append(
                Planned(
                    site_id=site_id,
                    channel=KIND_CHANNELS["overdue_reminder"],
                    audience="resident",
                    kind="overdue_reminder",
                    values={
                        "site": sites.names[site_id],
                        "bags": len(bags),
                        "pickup_codes": [bag.pickup_code for bag in bags],
                        "storage_classes": sorted({bag.storage_class for bag in bags}),
                        "collect_by": min(
                            collect_by(
                                delivery_date=bag.delivery_date,
                                hold_days=hold_days_of(holds[site_id], bag.storage_class),
                            )
                            for bag in bags
                        ).isoformat(),
                    },
                    recipient=phone,
                    volunteer_id=None,
                    due_at=local_moment(today, dt.time(0)),
                    idempotency_key=keys[phone],
                    order_ids=tuple(bag.id for bag in bags),
                )
            )
    return planned


def _first_overdue_today(holds: ClassHolds, *, today: dt.date) -> ColumnElement[bool]:
    """SQL: the bag's first overdue day is `today` — overdue today (db.orders.lifecycle.overdue_condition) and not
    yesterday: per storage class one range of delivery dates, inside one overall range the (site_id, status,
    delivery_date) index reads."""
    calendar = open_days_of(holds)
    ranges = {
        storage_class: (
            calendar.overdue_from(today - dt.timedelta(days=1)) - dt.timedelta(days=days - 1),
            calendar.overdue_from(today) - dt.timedelta(days=days - 1),
        )
        for storage_class, days in sorted(holds.items())
    }
    return and_(
        Order.delivery_date >= min(low for low, _high in ranges.values()),
        Order.delivery_date < max(high for _low, high in ranges.values()),
        or_(
            *(
                and_(Order.storage_class == storage_class, Order.delivery_date >= low, Order.delivery_date < high)
                for storage_class, (low, high) in ranges.items()
            )
        ),
    )
