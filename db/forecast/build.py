"""The forecast of one site for the next days: each bag in a slot and each bag expected (from the imported
manifests, else the same weekday's history) leaves by its class's pickup-delay distribution; the day's arrivals
and departures are spread over the open hours by the site's hour profiles, which gives the bags held per hour
against the class's slots, and the handovers per hour give the volunteers needed (pickups per volunteer-hour)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.core.clock import to_local
from db.core.models import (
    STORAGE_CLASSES,
    UNIT_KIND_FOR_CLASS,
    DeliveryRollup,
    Site,
    SiteRules,
    Slot,
    StorageUnit,
)
from db.forecast.history import (
    HORIZON_DAYS,
    WINDOW_DAYS,
    Rows,
    SiteHistory,
    Stock,
    read_rows,
)
from db.forecast.learn import DELAY_DAYS, Learned, default_learned, learn
from db.forecast.model import (
    ARRIVALS_HISTORY,
    ARRIVALS_MANIFEST,
    PROFILE_DEFAULT,
    PROFILE_DISTRICT,
    PROFILE_SITE,
    PROFILE_SITE_ALL_WEEKDAYS,
    ClassForecast,
    DayForecast,
    Forecast,
    HourForecast,
)
from db.people.opening_hours import list_closed_days, weekday_rules
from db.people.sites import get_site_rules
from db.roster.coverage import rostered_by_hour

# Fewer days of the site's own history than this: its profile comes from the district (or is pooled, or default).
MIN_SITE_DAYS = 21
# A new site's district profile is learned from at most this many other sites with enough history.
DISTRICT_SITES = 10
# Arrivals from history: the mean of this many last same weekdays (as many as the history holds).
SAME_WEEKDAYS = 4
DAY = dt.timedelta(days=1)
Manifests = dict[tuple[dt.date, str, str], int]


@dataclass(frozen=True)
class Opening:
    day: dt.date
    hours: tuple[int, ...]  # the local hours the site is open in (empty: closed)


@dataclass(frozen=True)
class Origin:
    """What the forecast starts from: its moment, the last complete day its history runs to, the bags in a slot
    then, and the manifests imported by then for the days after (and the origin's own day, not yet checked in)."""

    now: dt.datetime
    observed_until: dt.date
    stock: Stock
    manifests: Manifests


@dataclass(frozen=True)
class Place:
    """What a forecast needs of the site besides its history: the hold per class, pickups per volunteer-hour,
    the open hours of each day, the slots per class."""

    holds: dict[str, int]
    pickups_per_volunteer_hour: int
    openings: dict[dt.date, Opening]
    slots: dict[str, int]


def forecast_site(session: Session, *, site_id: int, now: dt.datetime, days: int = HORIZON_DAYS) -> Forecast:
    """The next `days` days of one site, tomorrow first (see the module's doc)."""
    today = to_local(now).date()
    last = today + days * DAY
    rows = read_rows(session, site_ids=[site_id], first_day=history_start(today - DAY), last_day=last)[site_id]
    origin = Origin(
        now=now,
        observed_until=today - DAY,
        stock=rows.stock(after=today),
        manifests=rows.expected(first=today, last=last),
    )
    place = read_place(session, site_id=site_id, first=today, last=today + (days + DELAY_DAYS) * DAY)
    rostered = rostered_by_hour(session, site_id=site_id, first=today + DAY, last=today + days * DAY)
    return forecast_from(session, site_id=site_id, origin=origin, rows=rows, place=place, rostered=rostered, days=days)


def history_start(observed_until: dt.date) -> dt.date:
    """The first delivery day a forecast learns from: eight weeks back (the delays of the latest deliveries are
    counted as far as they are seen: the hazards in db.forecast.learn)."""
    return observed_until - (WINDOW_DAYS - 1) * DAY


def read_place(session: Session, *, site_id: int, first: dt.date, last: dt.date) -> Place:
    rules = get_site_rules(session, site_id=site_id)
    return Place(
        holds={"ambient": rules.hold_days, "chilled": rules.chilled_hold_days, "frozen": rules.frozen_hold_days},
        pickups_per_volunteer_hour=rules.pickups_per_volunteer_hour,
        openings=_openings(session, rules=rules, first=first, last=last),
        slots=_slots(session, site_id=site_id),
    )


def forecast_from(
    session: Session,
    *,
    site_id: int,
    origin: Origin,
    rows: Rows,
    place: Place,
    rostered: dict[tuple[dt.date, int], int],
    days: int,
) -> Forecast:
    """The forecast as made at `origin`, from the site's rollup rows (only what was known then is used)."""
    today = to_local(origin.now).date()
    first_day = history_start(origin.observed_until)
    own = rows.as_of(observed_until=origin.observed_until, first_day=first_day)
    site_days = (origin.observed_until - own.first_day).days + 1 if own.first_day else 0
    learned, profile = _learned(
        session, site_id=site_id, own=own, site_days=site_days, origin=origin, first_day=first_day, holds=place.holds
    )
    openings = place.openings
    leaving, collected_by_day, start_held, arrivals, arrivals_from = _flows(
        own=own, learned=learned, origin=origin, today=today, days=days, holds=place.holds, openings=openings
    )
    forecast_days = []
    for offset in range(1, days + 1):
        day = today + offset * DAY
        opening = openings[day]
        classes = []
        for storage_class in STORAGE_CLASSES:
            classes.append(
                _class_day(
                    storage_class=storage_class,
                    opening=opening,
                    learned=learned,
                    start=start_held[(day, storage_class)],
                    arriving=arrivals[(day, storage_class)],
                    leaving=leaving[(day, storage_class)],
                    collected=collected_by_day[(day, storage_class)],
                    slots=place.slots.get(storage_class, 0),
                )
            )
        per_volunteer = place.pickups_per_volunteer_hour
        needed = {
            hour: max(1, math.ceil(sum(c.hours[i].collected for c in classes) / per_volunteer - 1e-9))
            for i, hour in enumerate(opening.hours)
        }
        forecast_days.append(
            DayForecast(
                day=day,
                closed=not opening.hours,
                arrivals_from=arrivals_from[day],
                classes=tuple(classes),
                collected=sum(c.collected for c in classes),
                volunteers_needed=needed,
                volunteers_rostered={hour: rostered.get((day, hour), 0) for hour in opening.hours},
            )
        )
    return Forecast(
        site_id=site_id,
        made_at=origin.now,
        history_days=min(site_days, WINDOW_DAYS),
        profile=profile,
        days=tuple(forecast_days),
    )


def _learned(
    session: Session,
    *,
    site_id: int,
    own: SiteHistory,
    site_days: int,
    origin: Origin,
    first_day: dt.date,
    holds: dict[str, int],
) -> tuple[Learned, str]:
    """The site's own profile per weekday with enough history; else the district's (the store's other sites with
    enough of theirs); else the site's few days pooled over the weekdays; else the stated default."""
    if site_days >= MIN_SITE_DAYS:
        return learn([own], observed_until=origin.observed_until, holds=holds, by_weekday=True), PROFILE_SITE
    others = list(session.scalars(select(Site.id).where(Site.id != site_id).order_by(Site.id)))
    # Sites with a delivery on or before the day three weeks back: at most DISTRICT_SITES of them are read.
    seasoned = (
        list(
            session.scalars(
                select(DeliveryRollup.site_id)
                .where(
                    DeliveryRollup.site_id.in_(others),
                    DeliveryRollup.delivery_date >= first_day,
                    DeliveryRollup.delivery_date <= origin.observed_until - (MIN_SITE_DAYS - 1) * DAY,
                )
                .group_by(DeliveryRollup.site_id)
                .order_by(DeliveryRollup.site_id)
                .limit(DISTRICT_SITES)
            )
        )
        if others
        else []
    )
    if seasoned:
        rows = read_rows(session, site_ids=seasoned, first_day=first_day, last_day=origin.observed_until)
        histories = [r.as_of(observed_until=origin.observed_until, first_day=first_day) for r in rows.values()]
        enough = [
            h for h in histories if h.first_day and (origin.observed_until - h.first_day).days + 1 >= MIN_SITE_DAYS
        ]
        if enough:
            return learn(enough, observed_until=origin.observed_until, holds=holds, by_weekday=True), PROFILE_DISTRICT
    if own.checked_in:
        return learn(
            [own], observed_until=origin.observed_until, holds=holds, by_weekday=False
        ), PROFILE_SITE_ALL_WEEKDAYS
    return default_learned(), PROFILE_DEFAULT


def _flows(
    *,
    own: SiteHistory,
    learned: Learned,
    origin: Origin,
    today: dt.date,
    days: int,
    holds: dict[str, int],
    openings: dict[dt.date, Opening],
) -> tuple[
    dict[tuple[dt.date, str], float],
    dict[tuple[dt.date, str], float],
    dict[tuple[dt.date, str], float],
    dict[tuple[dt.date, str], float],
    dict[dt.date, str],
]:
    """Per (day, class): bags leaving (handed over or returned), collected, held at the day's start, arriving;
    and per day where its arrivals came from."""
    rest_of_today = _rest_share(learned, opening=openings[today], now=origin.now)
    # (delivery date, class, bags, first possible delay, weight of that first day)
    groups: list[tuple[dt.date, str, float, int, float]] = []
    for (delivery, storage_class), bags in origin.stock.bags.items():
        groups.append((delivery, storage_class, float(bags), (today - delivery).days, rest_of_today))
    for (delivery, _, storage_class), bags in origin.manifests.items():
        if delivery == today:  # today's bags not yet checked in
            groups.append((today, storage_class, bags * learned.received_share[storage_class], 0, rest_of_today))
    arrivals: dict[tuple[dt.date, str], float] = defaultdict(float)
    arrivals_from: dict[dt.date, str] = {}
    for offset in range(1, days + 1):
        day = today + offset * DAY
        expected, source = _arrivals(own, origin=origin, day=day, open_=bool(openings[day].hours))
        arrivals_from[day] = source
        for storage_class, ordered in expected.items():
            arrivals[(day, storage_class)] = ordered * learned.received_share[storage_class]
            groups.append((day, storage_class, arrivals[(day, storage_class)], 0, 1.0))
    leaving: dict[tuple[dt.date, str], float] = defaultdict(float)
    collected: dict[tuple[dt.date, str], float] = defaultdict(float)
    for delivery, storage_class, group_bags, first, weight in groups:
        shares = learned.delays[(storage_class, delivery.weekday())]
        first = min(max(first, 0), DELAY_DAYS)
        weights = [shares[first] * weight] + list(shares[first + 1 :])
        total = sum(weights)
        if total <= 1e-12:
            weights, total = [0.0, 1.0], 1.0
        for index, share in enumerate(weights):
            k = first + index
            day = openings_next_open(openings, delivery + k * DAY)
            if day <= today:
                continue
            part = group_bags * share / total
            leaving[(day, storage_class)] += part
            late = k >= holds[storage_class]
            collected[(day, storage_class)] += part * (1.0 - learned.returned_share[storage_class] if late else 1.0)
    start_held: dict[tuple[dt.date, str], float] = {}
    for storage_class in STORAGE_CLASSES:
        held = sum(
            bags * (1.0 - _left_today(learned, delivery, storage_class, first, weight))
            for delivery, kind, bags, first, weight in groups
            if kind == storage_class and delivery <= today
        )
        for offset in range(1, days + 1):
            day = today + offset * DAY
            start_held[(day, storage_class)] = held
            held += arrivals[(day, storage_class)] - leaving[(day, storage_class)]
    return leaving, collected, start_held, arrivals, arrivals_from


def _left_today(learned: Learned, delivery: dt.date, storage_class: str, first: int, weight: float) -> float:
    """Of a group known at the origin, the share that leaves in the rest of the origin's day."""
    shares = learned.delays[(storage_class, delivery.weekday())]
    first = min(max(first, 0), DELAY_DAYS)
    total = shares[first] * weight + sum(shares[first + 1 :])
    return shares[first] * weight / total if total > 1e-12 else 0.0


def openings_next_open(openings: dict[dt.date, Opening], day: dt.date) -> dt.date:
    """A bag cannot be collected on a closed day: it leaves on the next open day (within the days known)."""
    while day in openings and not openings[day].hours:
        day += DAY
    return day


def _arrivals(own: SiteHistory, *, origin: Origin, day: dt.date, open_: bool) -> tuple[dict[str, float], str]:
    """A day's bags ordered per class: each platform's imported manifest for that day, else the mean of the last
    same weekdays of that platform (as many as the history holds, up to four); none on a closed day."""
    if not open_:
        return {}, ARRIVALS_HISTORY
    platforms = {platform for (_, platform, _) in own.orders} | {
        platform for (delivery, platform, _) in origin.manifests if delivery == day
    }
    per_class: dict[str, float] = defaultdict(float)
    from_manifest = False
    for platform in platforms:
        listed = {c: n for (d, p, c), n in origin.manifests.items() if d == day and p == platform}
        if listed:
            from_manifest = True
            for storage_class, bags in listed.items():
                per_class[storage_class] += bags
            continue
        weeks: list[dt.date] = []
        back = day - 7 * DAY
        while back > origin.observed_until:
            back -= 7 * DAY
        while own.first_day is not None and back >= own.first_day and len(weeks) < SAME_WEEKDAYS:
            weeks.append(back)
            back -= 7 * DAY
        for storage_class in STORAGE_CLASSES:
            if weeks:
                per_class[storage_class] += sum(own.orders.get((w, platform, storage_class), 0) for w in weeks) / len(
                    weeks
                )
    return dict(per_class), ARRIVALS_MANIFEST if from_manifest else ARRIVALS_HISTORY


def _rest_share(learned: Learned, *, opening: Opening, now: dt.datetime) -> float:
    """The share of the origin day's handovers still to come after `now`."""
    local = to_local(now)
    if not opening.hours:
        return 0.0
    profile = _profile(learned.pickups, weekday=local.weekday(), hours=opening.hours)
    done = local.hour + local.minute / 60
    rest = 0.0
    for share, hour in zip(profile, opening.hours, strict=True):
        rest += share * min(max(hour + 1 - done, 0.0), 1.0)
    return rest


def _profile(profiles: dict[int, tuple[float, ...]], *, weekday: int, hours: tuple[int, ...]) -> list[float]:
    """The shares of the open hours (an even spread when the history has none there)."""
    shares = profiles.get(weekday)
    raw = [shares[h] for h in hours] if shares else [0.0] * len(hours)
    total = sum(raw)
    if total <= 1e-12:
        return [1.0 / len(hours)] * len(hours)
    return [share / total for share in raw]


def _class_day(
    *,
    storage_class: str,
    opening: Opening,
    learned: Learned,
    start: float,
    arriving: float,
    leaving: float,
    collected: float,
    slots: int,
) -> ClassForecast:
    hours: list[HourForecast] = []
    if opening.hours:
        check_ins = _profile(learned.check_ins, weekday=opening.day.weekday(), hours=opening.hours)
        pickups = _profile(learned.pickups, weekday=opening.day.weekday(), hours=opening.hours)
        held = start
        for hour, check_in, pickup in zip(opening.hours, check_ins, pickups, strict=True):
            held += arriving * check_in - leaving * pickup
            hours.append(
                HourForecast(hour=hour, arriving=arriving * check_in, collected=collected * pickup, held=max(held, 0.0))
            )
    peak = max(hours, key=lambda h: h.held) if hours else None
    peak_held = peak.held if peak else start
    return ClassForecast(
        storage_class=storage_class,
        arriving=arriving,
        collected=collected,
        slots=slots,
        hours=tuple(hours),
        peak_hour=peak.hour if peak else 0,
        peak_held=peak_held,
        short_by=max(0, math.ceil(peak_held - slots - 1e-9)),
    )


def _openings(session: Session, *, rules: SiteRules, first: dt.date, last: dt.date) -> dict[dt.date, Opening]:
    """The open hours of each day first..last: closed dates, then the weekday's own hours, then the usual ones."""
    site_id = rules.site_id
    own = weekday_rules(session, site_id=site_id)
    closed = {closed.day for closed in list_closed_days(session, site_id=site_id, first=first, last=last)}
    openings = {}
    day = first
    while day <= last:
        rule = own.get(day.weekday())
        if day in closed or (rule is not None and rule.closed):
            hours: tuple[int, ...] = ()
        else:
            opens = rule.opens_at if rule is not None and rule.opens_at else rules.opens_at
            closes = rule.closes_at if rule is not None and rule.closes_at else rules.closes_at
            end = closes.hour + (1 if closes.minute else 0)
            hours = tuple(range(opens.hour, end))
        openings[day] = Opening(day=day, hours=hours)
        day += DAY
    return openings


def _slots(session: Session, *, site_id: int) -> dict[str, int]:
    """Slots of the site's active units per storage class."""
    class_of_kind = {kind: storage_class for storage_class, kind in UNIT_KIND_FOR_CLASS.items()}
    rows = session.execute(
        select(StorageUnit.kind, func.count(Slot.id))
        .join(Slot, Slot.storage_unit_id == StorageUnit.id)
        .where(StorageUnit.site_id == site_id, StorageUnit.active)
        .group_by(StorageUnit.kind)
    )
    return {class_of_kind[kind]: count for kind, count in rows if kind in class_of_kind}
