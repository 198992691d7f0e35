"""The overdue call list: residents whose bags are past their collect-by day, by building and oldest first, and the
outcome of each call as an event on every bag it was about.

Phone numbers are whole only for those allowed to see them (organizers: `reveal_phone=True`); everyone else gets
them masked here, in the store, so a full number never reaches a volunteer's screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.core.clock import local_today
from db.core.errors import InvalidValue, NotFound
from db.core.events import record_event
from db.core.models import SLOTTED_ORDER_STATUSES, Event, Order, Slot, Volunteer
from db.core.privacy import mask_name, mask_phone
from db.orders.buildings import building_of
from db.orders.lifecycle import class_hold_days, hold_days_of, overdue_condition
from db.orders.notices import TOLD_ACTION, Told
from db.orders.review import days_overdue
from db.people.sites import get_site_rules

CALL_ACTION = "order.called"
CALL_OUTCOMES = ("no_answer", "coming_today", "return_it", "see_note")
MAX_NOTE_LENGTH = 200
# The longest call list: more than this many overdue bags is a day for returns, not calls.
MAX_CALL_BAGS = 1000


@dataclass(frozen=True)
class CallOutcome:
    outcome: str
    note: str
    called_at: dt.datetime
    called_by: str


@dataclass(frozen=True)
class OverdueBag:
    order_id: int
    pickup_code: str
    slot_code: str | None
    delivery_date: dt.date
    days_overdue: int
    last_call: CallOutcome | None


@dataclass(frozen=True)
class OverdueResident:
    """One resident (one phone number) with overdue bags; `phone` is whole or masked, as asked."""

    building: str
    resident_name: str
    phone: str
    phone_is_whole: bool
    address: str
    bags: list[OverdueBag] = field(default_factory=list)

    @property
    def oldest_delivery(self) -> dt.date:
        return min(bag.delivery_date for bag in self.bags)

    @property
    def most_days_overdue(self) -> int:
        return max(bag.days_overdue for bag in self.bags)


def list_overdue_calls(
    session: Session, *, site_id: int, now: dt.datetime, reveal_phone: bool, storage_class: str | None = None
) -> list[OverdueResident]:
    """Residents with bags in a slot past their collect-by day, grouped by building (addresses naming none come
    last), each building's residents oldest bag first; with `storage_class`, only bags of that class (the fridge or
    freezer that will be short of slots tomorrow). One indexed read of the site's slotted bags before the overdue
    cutoff, one read of the calls already made about them."""
    hold_days = class_hold_days(get_site_rules(session, site_id=site_id))
    today = local_today(now)
    rows = session.execute(
        select(Order, Slot.code)
        .outerjoin(Slot, Slot.id == Order.slot_id)
        .where(
            Order.site_id == site_id,
            Order.status.in_(SLOTTED_ORDER_STATUSES),
            overdue_condition(hold_days=hold_days, today=today),
            *([Order.storage_class == storage_class] if storage_class is not None else []),
        )
        .order_by(Order.delivery_date, Order.pickup_code)
        .limit(MAX_CALL_BAGS)
    ).all()
    calls = last_calls(session, order_ids=[order.id for order, _slot in rows])
    residents: dict[str, OverdueResident] = {}
    for order, slot_code in rows:
        resident = residents.get(order.phone)
        if resident is None:
            resident = residents[order.phone] = OverdueResident(
                building=building_of(order.address),
                resident_name=order.resident_name if reveal_phone else mask_name(order.resident_name),
                phone=order.phone if reveal_phone else mask_phone(order.phone),
                phone_is_whole=reveal_phone,
                address=order.address,
            )
        resident.bags.append(
            OverdueBag(
                order_id=order.id,
                pickup_code=order.pickup_code,
                slot_code=slot_code,
                delivery_date=order.delivery_date,
                days_overdue=days_overdue(
                    delivery_date=order.delivery_date,
                    hold_days=hold_days_of(hold_days, order.storage_class),
                    today=today,
                ),
                last_call=calls.get(order.id),
            )
        )
    return sorted(residents.values(), key=_call_order)


def _call_order(resident: OverdueResident) -> tuple[Any, ...]:
    number = resident.building.rstrip("号")
    # Buildings in number order, addresses without one last; within a building the oldest bag first.
    return (resident.building == "", int(number) if number.isdigit() else 0, resident.oldest_delivery)


@dataclass(frozen=True)
class Contact:
    """What a resident was last told about a bag: the latest notice that named it and the latest call."""

    told: Told | None
    call: CallOutcome | None


def last_calls(session: Session, *, order_ids: list[int]) -> dict[int, CallOutcome]:
    """The latest call about each of these orders (one read of the events index by entity)."""
    return {
        order_id: contact.call
        for order_id, contact in last_contacts(session, order_ids=order_ids).items()
        if contact.call is not None
    }


def last_contacts(session: Session, *, order_ids: list[int]) -> dict[int, Contact]:
    """For the desk: per order found, the latest notice and the latest call (one read of the events index by
    entity); orders nobody told are left out."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(Event.entity_id, Event.action, Event.after, Event.happened_at, Volunteer.name)
        .outerjoin(Volunteer, Volunteer.id == Event.actor_id)
        .where(Event.entity == "order", Event.entity_id.in_(order_ids), Event.action.in_((CALL_ACTION, TOLD_ACTION)))
        .order_by(Event.happened_at, Event.id)
    ).all()
    told: dict[int, Told] = {}
    calls: dict[int, CallOutcome] = {}
    for order_id, action, after, happened_at, name in rows:
        details = after or {}
        if action == TOLD_ACTION:
            told[order_id] = Told(kind=str(details.get("notice", "")), told_at=happened_at, told_by=name or "")
        else:
            calls[order_id] = CallOutcome(
                outcome=str(details.get("outcome", "see_note")),
                note=str(details.get("note", "")),
                called_at=happened_at,
                called_by=name or "",
            )
    return {order_id: Contact(told=told.get(order_id), call=calls.get(order_id)) for order_id in {*told, *calls}}


def record_call(
    session: Session,
    *,
    site_id: int,
    order_ids: list[int],
    outcome: str,
    note: str,
    volunteer_id: int,
    now: dt.datetime,
) -> int:
    """One call about these bags of one resident at the site: an event on each, with the outcome and a note
    ("see_note" needs one). Returns how many bags it was recorded on; a bag of another site is not found."""
    if outcome not in CALL_OUTCOMES:
        raise InvalidValue("error.call_outcome_unknown")
    note = note.strip()
    if outcome == "see_note" and not note:
        raise InvalidValue("error.call_note_required")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidValue("error.call_note_too_long", limit=MAX_NOTE_LENGTH)
    orders = session.scalars(select(Order.id).where(Order.site_id == site_id, Order.id.in_(order_ids))).all()
    if not order_ids or len(orders) != len(set(order_ids)):
        raise NotFound("error.order_not_found")
    for order_id in orders:
        record_event(
            session,
            site_id=site_id,
            actor_id=volunteer_id,
            action=CALL_ACTION,
            entity="order",
            entity_id=order_id,
            now=now,
            before=None,
            after={"outcome": outcome, "note": note},
        )
    return len(orders)
