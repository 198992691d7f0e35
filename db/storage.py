"""Storage units and their slots: shelves, fridges and freezers, and which slots are free."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.errors import DuplicateValue, InvalidValue, NoFreeSlot, NotAllowed, NotFound
from db.events import record_event
from db.models import SLOTTED_ORDER_STATUSES, UNIT_KIND_FOR_CLASS, UNIT_KINDS, Order, Slot, StorageUnit
from db.sites import get_site_rules

MAX_SLOTS_PER_UNIT = 500


@dataclass(frozen=True)
class UnitOccupancy:
    id: int
    code: str
    name: str
    kind: str
    min_temp_c: float | None
    max_temp_c: float | None
    slots: int
    used: int
    active: bool = True

    @property
    def free(self) -> int:
        return self.slots - self.used


def create_storage_unit(
    session: Session,
    *,
    site_id: int,
    code: str,
    name: str,
    kind: str,
    slot_count: int,
    now: dt.datetime,
    min_temp_c: float | None = None,
    max_temp_c: float | None = None,
    actor_id: int | None = None,
) -> StorageUnit:
    """A unit with `slot_count` numbered slots (`F1-01`, `F1-02`, …); cold units default to the site's range."""
    code = code.strip().upper()
    if kind not in UNIT_KINDS:
        raise InvalidValue("error.unit_kind_unknown", kind=kind)
    if not code or "-" in code:
        raise InvalidValue("error.unit_code_format")
    if not 1 <= slot_count <= MAX_SLOTS_PER_UNIT:
        raise InvalidValue("error.slot_count_range", maximum=MAX_SLOTS_PER_UNIT)
    if session.scalar(select(StorageUnit.id).where(StorageUnit.site_id == site_id, StorageUnit.code == code)):
        raise DuplicateValue("error.unit_code_taken", code=code)
    if kind == "shelf":
        min_temp_c = max_temp_c = None
    else:
        rules = get_site_rules(session, site_id=site_id)
        default_min, default_max = (
            (rules.chilled_min_c, rules.chilled_max_c) if kind == "fridge" else (rules.frozen_min_c, rules.frozen_max_c)
        )
        min_temp_c = default_min if min_temp_c is None else min_temp_c
        max_temp_c = default_max if max_temp_c is None else max_temp_c
        if min_temp_c >= max_temp_c:
            raise InvalidValue("error.temperature_range_order")
    unit = StorageUnit(
        site_id=site_id, code=code, name=name.strip() or code, kind=kind,
        min_temp_c=min_temp_c, max_temp_c=max_temp_c, active=True,
    )
    width = max(2, len(str(slot_count)))
    unit.slots = [
        Slot(site_id=site_id, code=f"{code}-{position:0{width}d}", position=position)
        for position in range(1, slot_count + 1)
    ]
    session.add(unit)
    session.flush()
    record_event(
        session, site_id=site_id, actor_id=actor_id, action="storage_unit.created", entity="storage_unit",
        entity_id=unit.id, now=now,
        after={"code": code, "kind": kind, "slots": slot_count, "min_temp_c": min_temp_c, "max_temp_c": max_temp_c},
    )
    return unit


def find_free_slot(session: Session, *, site_id: int, storage_class: str) -> Slot:
    """The first free slot, by unit code and position, in an active unit that holds `storage_class`."""
    kind = UNIT_KIND_FOR_CLASS[storage_class]
    occupied = select(Order.slot_id).where(
        Order.site_id == site_id, Order.slot_id.is_not(None), Order.status.in_(SLOTTED_ORDER_STATUSES)
    )
    query = (
        select(Slot)
        .join(StorageUnit, StorageUnit.id == Slot.storage_unit_id)
        .where(
            Slot.site_id == site_id,
            StorageUnit.kind == kind,
            StorageUnit.active.is_(True),
            Slot.id.not_in(occupied),
        )
        .order_by(StorageUnit.code, Slot.position)
        .limit(1)
    )
    slot = session.scalar(query)
    if slot is None:
        raise NoFreeSlot(kind=kind)
    return slot


def list_unit_occupancy(session: Session, *, site_id: int) -> list[UnitOccupancy]:
    """Every unit of the site with its slot count and how many slots hold a bag."""
    used = (
        select(Slot.storage_unit_id, func.count(Order.id).label("used"))
        .join(Order, Order.slot_id == Slot.id)
        # Order.site_id too: the (site_id, status) index, not a scan of every site's orders.
        .where(Slot.site_id == site_id, Order.site_id == site_id, Order.status.in_(SLOTTED_ORDER_STATUSES))
        .group_by(Slot.storage_unit_id)
        .subquery()
    )
    total = (
        select(Slot.storage_unit_id, func.count(Slot.id).label("slots"))
        .where(Slot.site_id == site_id)
        .group_by(Slot.storage_unit_id)
        .subquery()
    )
    query = (
        select(StorageUnit, func.coalesce(total.c.slots, 0), func.coalesce(used.c.used, 0))
        .outerjoin(total, total.c.storage_unit_id == StorageUnit.id)
        .outerjoin(used, used.c.storage_unit_id == StorageUnit.id)
        .where(StorageUnit.site_id == site_id)
        .order_by(StorageUnit.code)
    )
    return [
        UnitOccupancy(
            id=unit.id, code=unit.code, name=unit.name, kind=unit.kind, min_temp_c=unit.min_temp_c,
            max_temp_c=unit.max_temp_c, slots=slots, used=used_count, active=unit.active,
        )
        for unit, slots, used_count in session.execute(query)
    ]


def list_cold_units(session: Session, *, site_id: int) -> list[StorageUnit]:
    query = (
        select(StorageUnit)
        .where(StorageUnit.site_id == site_id, StorageUnit.kind != "shelf", StorageUnit.active.is_(True))
        .order_by(StorageUnit.code)
    )
    return list(session.scalars(query))


def update_unit_range(
    session: Session, *, storage_unit_id: int, min_temp_c: float, max_temp_c: float, actor_id: int,
    now: dt.datetime,
) -> None:
    """A cold unit's allowed range (e.g. 0–5 °C for FDA-style cold holding); earlier readings keep their verdict."""
    unit = _unit(session, storage_unit_id=storage_unit_id)
    if unit.kind == "shelf":
        raise InvalidValue("error.shelf_has_no_range")
    if not (-40 <= min_temp_c <= 40 and -40 <= max_temp_c <= 40):
        raise InvalidValue("error.reading_range", low=-40, high=40)
    if min_temp_c >= max_temp_c:
        raise InvalidValue("error.temperature_range_order")
    before = {"min_temp_c": unit.min_temp_c, "max_temp_c": unit.max_temp_c}
    unit.min_temp_c, unit.max_temp_c = float(min_temp_c), float(max_temp_c)
    record_event(
        session, site_id=unit.site_id, actor_id=actor_id, action="storage_unit.range_changed",
        entity="storage_unit", entity_id=unit.id, now=now, before=before,
        after={"min_temp_c": unit.min_temp_c, "max_temp_c": unit.max_temp_c},
    )


def deactivate_storage_unit(session: Session, *, storage_unit_id: int, actor_id: int, now: dt.datetime) -> None:
    """Take a unit out of use (its slots stay for the orders' history); refused while it holds a bag."""
    unit = _unit(session, storage_unit_id=storage_unit_id)
    if not unit.active:
        raise NotAllowed("error.unit_already_removed", code=unit.code)
    # receive_order picks active units only, so once the flag is set no new bag arrives here.
    held = session.scalar(
        select(func.count(Order.id))
        .join(Slot, Slot.id == Order.slot_id)
        .where(Slot.storage_unit_id == unit.id, Order.site_id == unit.site_id,
               Order.status.in_(SLOTTED_ORDER_STATUSES))
    )
    if held:
        raise NotAllowed("error.unit_holds_bags", code=unit.code, count=held)
    unit.active = False
    record_event(
        session, site_id=unit.site_id, actor_id=actor_id, action="storage_unit.removed", entity="storage_unit",
        entity_id=unit.id, now=now, before={"active": True}, after={"active": False},
    )


def _unit(session: Session, *, storage_unit_id: int) -> StorageUnit:
    unit = session.get(StorageUnit, storage_unit_id)
    if unit is None:
        raise NotFound("error.unit_not_found")
    return unit


@dataclass(frozen=True)
class HeldBag:
    order_id: int
    pickup_code: str
    unit: str
    slot: str
    kind: str
    storage_class: str
    held_since: dt.datetime
    hours_held: float
    over_limit: bool


def list_held_bags(session: Session, *, site_id: int, now: dt.datetime) -> list[HeldBag]:
    """Every bag in a slot, oldest first, with how long it has been held and whether that is over the site's
    dwell limit (chilled and frozen bags only)."""
    rules = get_site_rules(session, site_id=site_id)
    limits = {"chilled": rules.chilled_dwell_hours, "frozen": rules.frozen_dwell_hours}
    query = (
        select(Order, Slot.code, StorageUnit.code, StorageUnit.kind)
        .join(Slot, Slot.id == Order.slot_id)
        .join(StorageUnit, StorageUnit.id == Slot.storage_unit_id)
        .where(Order.site_id == site_id, Order.status.in_(SLOTTED_ORDER_STATUSES))
        .order_by(Order.received_at, Order.id)
    )
    bags = []
    for order, slot_code, unit_code, kind in session.execute(query):
        held_since = order.received_at or order.created_at
        hours = (now - held_since).total_seconds() / 3600
        limit = limits.get(order.storage_class)
        bags.append(HeldBag(
            order_id=order.id, pickup_code=order.pickup_code, unit=unit_code, slot=slot_code, kind=kind,
            storage_class=order.storage_class, held_since=held_since, hours_held=round(hours, 1),
            over_limit=limit is not None and hours > limit,
        ))
    return bags


def list_dwell_attention(session: Session, *, site_id: int, now: dt.datetime) -> list[HeldBag]:
    """Chilled bags held over the site's chilled limit (24 h) and frozen over the frozen one (72 h), oldest first."""
    return [bag for bag in list_held_bags(session, site_id=site_id, now=now) if bag.over_limit]
