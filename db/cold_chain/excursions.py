"""Temperature excursions and the bags they touched: from an out-of-range reading to the unit's next in-range one.

An excursion whose in-range reading came within the follow-up window (FOLLOW_UP_WITHIN after it began, the time a
volunteer has to read the unit again) is *settled by the re-measure*: a glitch or an open door put right at once.
Its bags are still listed, but none waits for a check. A longer one needs an outcome for every bag, which an
organizer gives for all of them at once, with exceptions (`db.orders.excursion_checks.record_excursion_outcome`:
it acts on the bags, so it sits with the orders, above the cold chain).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.cold_chain.temperatures import FOLLOW_UP_WITHIN
from db.cold_chain.units import temperature_range
from db.core.errors import NotFound
from db.core.models import (
    SLOTTED_ORDER_STATUSES,
    Event,
    ExcursionCheck,
    Order,
    Slot,
    StorageUnit,
    TemperatureReading,
    Volunteer,
)

# Older than any reading: the lower bound when a unit has no in-range reading before a window.
_BEGINNING = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Excursion:
    reading_id: int  # the out-of-range reading that started it: the excursion's name
    storage_unit_id: int
    unit_code: str
    unit_name: str
    started_at: dt.datetime
    ended_at: dt.datetime | None  # the next in-range reading; None while it is still open
    worst_c: float  # the reading furthest outside the range
    readings: int  # out-of-range readings during it
    corrective_actions: tuple[str, ...]
    # Back in range within the follow-up window of its start: no bag needs a check (see the module's note).
    settled_by_remeasure: bool
    remeasured_c: float | None  # the in-range reading that ended it


@dataclass(frozen=True)
class ExcursionBag:
    order_id: int
    pickup_code: str
    slot: str
    entered_at: dt.datetime
    left_at: dt.datetime | None  # None: still in that slot
    status: str
    outcome: str | None  # the latest check, if any
    checked_by: str | None
    checked_at: dt.datetime | None


def list_excursions(session: Session, *, site_id: int, start: dt.datetime, end: dt.datetime) -> list[Excursion]:
    """Excursions of the site's cold units that overlap [start, end), oldest first."""
    units = session.scalars(
        select(StorageUnit)
        .where(StorageUnit.site_id == site_id, StorageUnit.kind != "shelf")
        .order_by(StorageUnit.code)
    ).all()
    found: list[Excursion] = []
    for unit in units:
        # Start from the last in-range reading before the window, so an excursion open since earlier is seen whole.
        anchor = session.scalar(
            select(TemperatureReading.taken_at)
            .where(
                TemperatureReading.storage_unit_id == unit.id,
                TemperatureReading.in_range.is_(True),
                TemperatureReading.taken_at < start,
            )
            .order_by(TemperatureReading.taken_at.desc())
            .limit(1)
        )
        readings = _effective(session, storage_unit_id=unit.id, start=anchor or _BEGINNING, end=end)
        for excursion in _excursions_of(unit, readings):
            if excursion.started_at < end and (excursion.ended_at is None or excursion.ended_at > start):
                found.append(excursion)
    return sorted(found, key=lambda excursion: (excursion.started_at, excursion.unit_code))


def get_excursion(session: Session, *, reading_id: int) -> Excursion:
    """The excursion that `reading_id` started."""
    reading = session.get(TemperatureReading, reading_id)
    if reading is None:
        raise NotFound("error.excursion_not_found")
    unit = session.get(StorageUnit, reading.storage_unit_id)
    if unit is None:
        raise NotFound("error.excursion_not_found")
    readings = _effective(
        session, storage_unit_id=unit.id, start=_BEGINNING, end=dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
    )
    for excursion in _excursions_of(unit, readings):
        if excursion.reading_id == reading_id:
            return excursion
    raise NotFound("error.excursion_not_found")


def _effective(
    session: Session, *, storage_unit_id: int, start: dt.datetime, end: dt.datetime
) -> list[TemperatureReading]:
    readings = list(
        session.scalars(
            select(TemperatureReading)
            .where(
                TemperatureReading.storage_unit_id == storage_unit_id,
                TemperatureReading.taken_at >= start,
                TemperatureReading.taken_at < end,
            )
            .order_by(TemperatureReading.taken_at, TemperatureReading.id)
        )
    )
    replaced = {reading.corrects_id for reading in readings if reading.corrects_id is not None}
    return [reading for reading in readings if reading.id not in replaced]


def _excursions_of(unit: StorageUnit, readings: list[TemperatureReading]) -> list[Excursion]:
    """Runs of out-of-range readings, each closed by the next in-range reading."""
    excursions: list[Excursion] = []
    run: list[TemperatureReading] = []

    def close(ended_by: TemperatureReading | None) -> None:
        # Only a unit with a range has out-of-range readings, so this runs for cold units only.
        min_temp_c, max_temp_c = temperature_range(unit)

        def outside(reading: TemperatureReading) -> float:
            return max(min_temp_c - reading.reading_c, reading.reading_c - max_temp_c)

        excursions.append(
            Excursion(
                reading_id=run[0].id,
                storage_unit_id=unit.id,
                unit_code=unit.code,
                unit_name=unit.name,
                started_at=run[0].taken_at,
                ended_at=ended_by.taken_at if ended_by else None,
                worst_c=max(run, key=outside).reading_c,
                readings=len(run),
                corrective_actions=tuple(r.corrective_action for r in run if r.corrective_action),
                settled_by_remeasure=ended_by is not None and ended_by.taken_at - run[0].taken_at <= FOLLOW_UP_WITHIN,
                remeasured_c=ended_by.reading_c if ended_by else None,
            )
        )

    for reading in readings:
        if not reading.in_range:
            run.append(reading)
        elif run:
            close(reading)
            run = []
    if run:
        close(None)
    return excursions


def list_excursion_bags(session: Session, *, reading_id: int, now: dt.datetime) -> list[ExcursionBag]:
    """Every bag that sat in the excursion's unit at any moment of it (moves in and out count), by slot."""
    excursion = get_excursion(session, reading_id=reading_id)
    end = excursion.ended_at or now
    unit_slots = set(session.scalars(select(Slot.code).where(Slot.storage_unit_id == excursion.storage_unit_id)))
    site_id = session.scalar(select(StorageUnit.site_id).where(StorageUnit.id == excursion.storage_unit_id))
    candidates = _bags_maybe_there(session, site_id=site_id, started_at=excursion.started_at, end=end)
    if not candidates:
        return []
    history = _order_histories(session, order_ids=list(candidates))
    checks = _latest_checks(session, reading_id=reading_id)
    bags = []
    for order_id, order_events in history.items():
        for slot, entered_at, left_at in slot_stays(order_events):
            overlaps = entered_at < end and (left_at is None or left_at > excursion.started_at)
            if slot in unit_slots and overlaps:
                outcome, checked_by, checked_at = checks.get(order_id, (None, None, None))
                order = candidates[order_id]
                bags.append(
                    ExcursionBag(
                        order_id=order_id,
                        pickup_code=order.pickup_code,
                        slot=slot,
                        entered_at=entered_at,
                        left_at=left_at,
                        status=order.status,
                        outcome=outcome,
                        checked_by=checked_by,
                        checked_at=checked_at,
                    )
                )
                break
    return sorted(bags, key=lambda bag: (bag.slot, bag.entered_at))


def _bags_maybe_there(
    session: Session, *, site_id: int | None, started_at: dt.datetime, end: dt.datetime
) -> dict[int, Order]:
    """Bags received before `end` that are still slotted, or whose history changed during or after the excursion."""
    touched = select(Event.entity_id).where(
        Event.site_id == site_id, Event.entity == "order", Event.happened_at >= started_at
    )
    return {
        order.id: order
        for order in session.scalars(
            select(Order).where(
                Order.site_id == site_id,
                Order.received_at.is_not(None),
                Order.received_at < end,
                or_(Order.status.in_(SLOTTED_ORDER_STATUSES), Order.id.in_(touched)),
            )
        )
    }


def _order_histories(session: Session, *, order_ids: list[int]) -> dict[int, list[Event]]:
    """Each order's events in order. The whole history, not only up to the excursion's end: a bag taken out later
    shows when it left."""
    events = session.scalars(
        select(Event)
        .where(Event.entity == "order", Event.entity_id.in_(order_ids))
        .order_by(Event.entity_id, Event.happened_at, Event.id)
    ).all()
    history: dict[int, list[Event]] = {}
    for event in events:
        if event.entity_id is not None:  # always set here: the query asked for these orders' ids
            history.setdefault(event.entity_id, []).append(event)
    return history


def slot_stays(events: list[Event]) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
    """(slot, from, until) for each stay of a bag in a slot, rebuilt from its events' before/after."""
    stays: list[tuple[str, dt.datetime, dt.datetime | None]] = []
    status: str | None = None
    slot: str | None = None
    current: tuple[str, dt.datetime] | None = None
    for event in events:
        before, after = event.before or {}, event.after or {}
        status = after.get("status", before.get("status", status))
        if "slot" in after:
            slot = after["slot"]
        elif "slot" in before:
            slot = before["slot"]
        occupied = slot if status in SLOTTED_ORDER_STATUSES else None
        if current is not None and current[0] != occupied:
            stays.append((current[0], current[1], event.happened_at))
            current = None
        if current is None and occupied is not None:
            current = (occupied, event.happened_at)
    if current is not None:
        stays.append((current[0], current[1], None))
    return stays


def _latest_checks(session: Session, *, reading_id: int) -> dict[int, tuple[str, str, dt.datetime]]:
    rows = session.execute(
        select(ExcursionCheck.order_id, ExcursionCheck.outcome, Volunteer.name, ExcursionCheck.checked_at)
        .join(Volunteer, Volunteer.id == ExcursionCheck.volunteer_id)
        .where(ExcursionCheck.reading_id == reading_id)
        .order_by(ExcursionCheck.checked_at, ExcursionCheck.id)
    )
    return {order_id: (outcome, name, checked_at) for order_id, outcome, name, checked_at in rows}
