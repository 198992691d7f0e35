"""Storage units and their slots: shelves, fridges and freezers, and which slots are free."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.core.errors import DuplicateValue, InvalidValue, NoFreeSlot, NotAllowed, NotFound
from db.core.events import record_event
from db.core.models import (
    SLOTTED_ORDER_STATUSES,
    UNIT_KIND_FOR_CLASS,
    UNIT_KINDS,
    Order,
    Slot,
    StorageUnit,
    status_among,
)
from db.people.sites import get_site_rules

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
    min_temp_c, max_temp_c = _new_unit_range(
        session, site_id=site_id, kind=kind, min_temp_c=min_temp_c, max_temp_c=max_temp_c
    )
    unit = StorageUnit(
        site_id=site_id,
        code=code,
        name=name.strip() or code,
        kind=kind,
        min_temp_c=min_temp_c,
        max_temp_c=max_temp_c,
        active=True,
    )
    width = max(2, len(str(slot_count)))
    unit.slots = [
        Slot(site_id=site_id, code=f"{code}-{position:0{width}d}", position=position)
        for position in range(1, slot_count + 1)
    ]
    session.add(unit)
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="storage_unit.created",
        entity="storage_unit",
        entity_id=unit.id,
        now=now,
        after={"code": code, "kind": kind, "slots": slot_count, "min_temp_c": min_temp_c, "max_temp_c": max_temp_c},
    )
    return unit


def _new_unit_range(
    session: Session, *, site_id: int, kind: str, min_temp_c: float | None, max_temp_c: float | None
) -> tuple[float | None, float | None]:
    """A shelf has no range; a cold unit takes the site's range for its kind where none is given."""
    if kind == "shelf":
        return None, None
    rules = get_site_rules(session, site_id=site_id)
    default_min, default_max = (
        (rules.chilled_min_c, rules.chilled_max_c) if kind == "fridge" else (rules.frozen_min_c, rules.frozen_max_c)
    )
    min_temp_c = default_min if min_temp_c is None else min_temp_c
    max_temp_c = default_max if max_temp_c is None else max_temp_c
    if min_temp_c >= max_temp_c:
        raise InvalidValue("error.temperature_range_order")
    return min_temp_c, max_temp_c


def free_slots_query(*, site_id: int, storage_class: str) -> Select[Slot]:
    """Free slots of the active units that hold `storage_class`, in hand-out order (unit code, position)."""
    occupied = select(Order.slot_id).where(
        Order.site_id == site_id, Order.slot_id.is_not(None), Order.status.in_(SLOTTED_ORDER_STATUSES)
    )
    return (
        select(Slot)
        .join(StorageUnit, StorageUnit.id == Slot.storage_unit_id)
        .where(
            Slot.site_id == site_id,
            StorageUnit.kind == UNIT_KIND_FOR_CLASS[storage_class],
            StorageUnit.active.is_(True),
            Slot.id.not_in(occupied),
        )
        .order_by(StorageUnit.code, Slot.position)
    )


def find_free_slot(session: Session, *, site_id: int, storage_class: str) -> Slot:
    """The first free slot, by unit code and position, in an active unit that holds `storage_class`.

    A plain read: to put a bag in the slot use `claim_free_slot`, which locks it."""
    slot = session.scalar(free_slots_query(site_id=site_id, storage_class=storage_class).limit(1))
    if slot is None:
        raise NoFreeSlot(kind=UNIT_KIND_FOR_CLASS[storage_class])
    return slot


# How a slot is taken when several tablets check bags in at once.
#
# The rule: whoever puts a bag into a slot (check-in, move, undoing a handover) holds the slot row's lock
# (FOR NO KEY UPDATE) from before it looks at the slot until its transaction ends, and only then checks, in a
# statement of its own, that no bag occupies the slot. Freeing a slot needs no lock.
#
# Why the check comes after the lock, in a separate statement: on PostgreSQL (READ COMMITTED) a statement sees
# the data committed when it began. `SELECT … WHERE NOT EXISTS (bag in slot) … FOR UPDATE SKIP LOCKED` can
# pick a slot whose taker committed while the statement ran: the lock is free again by then, and since the
# taker changed an order, not the slot row, PostgreSQL does not re-check the NOT EXISTS. The bag would then
# hit the one-bag-per-slot index. A fresh statement after the lock sees every earlier taker (they committed
# or rolled back before we got the lock) and no later one can start (it waits for, or skips, our lock).
# Updating the slot row on every take and free so that PostgreSQL re-checks would also work, but adds a write
# to every transition and relies on re-check rules for joined rows that are easy to get wrong.
#
# SKIP LOCKED: tablets checking in at once pass over each other's slots instead of all queueing for, or
# failing on, the same first free one. A slot found taken after the lock is let go (its savepoint is rolled
# back, which releases the row lock) and passed over; the loop ends when no candidate is left, so there is
# no small fixed number of retries: a bag is refused only when every slot of its kind is taken or being
# taken by another transaction. One gap stays: a slot held by a transaction that later rolls back counts as
# taken for that moment. Taking a slot only ever rolls back on an error, so this is left as is.
#
# SQLite ignores the locking clauses; its writers take turns anyway (BEGIN IMMEDIATE in db/core/engine.py), so
# the first candidate is always free there. REPEATABLE READ would defeat the check after the lock (one
# snapshot for the whole transaction); the store runs at the default READ COMMITTED.


def claim_free_slot(session: Session, *, site_id: int, storage_class: str) -> Slot:
    """The first free slot of the right kind that no other transaction is taking, locked until this
    transaction ends so nobody else can put a bag in it; `NoFreeSlot` when there is none."""
    free = free_slots_query(site_id=site_id, storage_class=storage_class)
    passed_over: list[int] = []
    while True:
        savepoint = session.begin_nested()
        candidates = free.where(Slot.id.not_in(passed_over)) if passed_over else free
        slot = session.scalar(candidates.limit(1).with_for_update(of=Slot, skip_locked=True, key_share=True))
        if slot is None:
            savepoint.rollback()
            raise NoFreeSlot(kind=UNIT_KIND_FOR_CLASS[storage_class])
        if not slot_is_occupied(session, slot_id=slot.id):
            savepoint.commit()  # the lock stays with the enclosing transaction
            return slot
        # Filled by a transaction that committed while our SELECT ran: let go of the lock and look further.
        savepoint.rollback()
        passed_over.append(slot.id)


def lock_slot(session: Session, *, slot_id: int) -> None:
    """Wait for and take the lock on one slot (see above) before putting a bag into it; then check it is free."""
    session.execute(select(Slot.id).where(Slot.id == slot_id).with_for_update(key_share=True))


def slot_is_occupied(session: Session, *, slot_id: int) -> bool:
    """Whether a received or shelved bag is in the slot, as of now (run it after `lock_slot`)."""
    held = select(Order.id).where(Order.slot_id == slot_id, Order.status.in_(SLOTTED_ORDER_STATUSES))
    return session.scalar(held.limit(1)) is not None


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
            id=unit.id,
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
            min_temp_c=unit.min_temp_c,
            max_temp_c=unit.max_temp_c,
            slots=slots,
            used=used_count,
            active=unit.active,
        )
        for unit, slots, used_count in session.execute(query)
    ]


def temperature_range(unit: StorageUnit) -> tuple[float, float]:
    """A cold unit's (lowest, highest) °C; a shelf has no range, so it is not a cold unit."""
    if unit.min_temp_c is None or unit.max_temp_c is None:
        raise NotFound("error.cold_unit_not_found")
    return unit.min_temp_c, unit.max_temp_c


def list_cold_units(session: Session, *, site_id: int) -> list[StorageUnit]:
    """The site's fridges and freezers in use, by code: the units the temperature log covers."""
    return list_cold_units_of_sites(session, site_ids=[site_id])[site_id]


def list_cold_units_of_sites(session: Session, *, site_ids: list[int]) -> dict[int, list[StorageUnit]]:
    """Each site's fridges and freezers in use, by code (an empty list for a site without any): one statement."""
    query = (
        select(StorageUnit)
        .where(StorageUnit.site_id.in_(site_ids), StorageUnit.kind != "shelf", StorageUnit.active.is_(True))
        .order_by(StorageUnit.site_id, StorageUnit.code)
    )
    units: dict[int, list[StorageUnit]] = {site_id: [] for site_id in site_ids}
    for unit in session.scalars(query):
        units[unit.site_id].append(unit)
    return units


def update_unit_range(
    session: Session,
    *,
    storage_unit_id: int,
    min_temp_c: float,
    max_temp_c: float,
    actor_id: int,
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
        session,
        site_id=unit.site_id,
        actor_id=actor_id,
        action="storage_unit.range_changed",
        entity="storage_unit",
        entity_id=unit.id,
        now=now,
        before=before,
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
        .where(Slot.storage_unit_id == unit.id, Order.site_id == unit.site_id, Order.status.in_(SLOTTED_ORDER_STATUSES))
    )
    if held:
        raise NotAllowed("error.unit_holds_bags", code=unit.code, count=held)
    unit.active = False
    record_event(
        session,
        site_id=unit.site_id,
        actor_id=actor_id,
        action="storage_unit.removed",
        entity="storage_unit",
        entity_id=unit.id,
        now=now,
        before={"active": True},
        after={"active": False},
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


def slotted_bags_query(*, site_id: int) -> Select[Order, str, str, str]:
    """Every bag in a slot with its slot code, unit code and unit kind; the caller orders it.

    Slot.site_id too (a bag's slot is of its own site): PostgreSQL then reads the site's slots through their
    (site_id, code) index, where it hashed every site's slots (48,751 of them at 50 sites: 7–11 ms of the storage
    page's run), its estimate of the site's slotted bags too low to loop over them one slot at a time."""
    return (
        select(Order, Slot.code, StorageUnit.code, StorageUnit.kind)
        .join(Slot, Slot.id == Order.slot_id)
        .join(StorageUnit, StorageUnit.id == Slot.storage_unit_id)
        .where(Order.site_id == site_id, Slot.site_id == site_id, status_among(SLOTTED_ORDER_STATUSES))
    )


def list_held_bags(session: Session, *, site_id: int, now: dt.datetime) -> list[HeldBag]:
    """Every bag in a slot, oldest first, with how long it has been held and whether that is over the site's
    dwell limit (chilled and frozen bags only)."""
    rules = get_site_rules(session, site_id=site_id)
    limits = {"chilled": rules.chilled_dwell_hours, "frozen": rules.frozen_dwell_hours}
    # Sorted here, not in SQL: to skip a sort of a few hundred bags, SQLite walked the site's whole history along
    # (site_id, received_at) and read each order's status (4.5 ms at 5 days of history, 20.7 ms at 50); unsorted it
    # reads the site's slotted bags alone, through their status or their slots (1.6 and 2.1 ms).
    rows = sorted(
        session.execute(slotted_bags_query(site_id=site_id)),
        key=lambda row: (row[0].received_at or row[0].created_at, row[0].id),
    )
    bags = []
    for order, slot_code, unit_code, kind in rows:
        held_since = order.received_at or order.created_at
        hours = (now - held_since).total_seconds() / 3600
        limit = limits.get(order.storage_class)
        bags.append(
            HeldBag(
                order_id=order.id,
                pickup_code=order.pickup_code,
                unit=unit_code,
                slot=slot_code,
                kind=kind,
                storage_class=order.storage_class,
                held_since=held_since,
                hours_held=round(hours, 1),
                over_limit=limit is not None and hours > limit,
            )
        )
    return bags
