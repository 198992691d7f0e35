"""The organizer's view of orders: a filtered, paged list, detail and history, corrections, bulk returns, slot list."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TypeVarTuple

import pandas as pd
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from db.cold_chain.units import slotted_bags_query
from db.core.clock import local_today
from db.core.errors import InvalidValue, NotFound, StoreError
from db.core.events import record_event
from db.core.models import SLOTTED_ORDER_STATUSES, DeliveryRollup, Event, Order, Slot, StorageUnit, Volunteer
from db.core.privacy import mask_name, mask_phone
from db.core.typed import normalize_phone
from db.orders.buildings import building_of
from db.orders.lifecycle import (
    class_hold_days,
    collect_by,
    hold_days_of,
    item_count_column,
    overdue_condition,
    return_order,
)
from db.people.sites import get_site_rules

_Ts = TypeVarTuple("_Ts")
PAGE_SIZE = 100
# An export holds the whole filtered list, up to this many orders.
EXPORT_LIMIT = 50_000
MAX_NAME_LENGTH = 50
ORDER_COLUMNS = [
    "id",
    "delivery_date",
    "platform",
    "order_number",
    "pickup_code",
    "resident_name",
    "phone",
    "address",
    "storage_class",
    "status",
    "slot",
    "items",
    "collect_by",
    "days_overdue",
]
SLOT_LIST_COLUMNS = [
    "slot",
    "unit",
    "kind",
    "building",
    "address",
    "pickup_code",
    "resident_name",
    "phone",
    "delivery_date",
    "collect_by",
    "days_overdue",
]
HISTORY_COLUMNS = ["happened_at", "actor", "action", "before", "after"]


@dataclass(frozen=True)
class OrderFilter:
    """What the organizer narrowed the list to; empty tuples mean "any"."""

    delivery_from: dt.date | None = None
    delivery_to: dt.date | None = None
    statuses: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    storage_classes: tuple[str, ...] = ()
    overdue_only: bool = False


@dataclass(frozen=True)
class OrderDetail:
    id: int
    platform: str
    order_number: str
    pickup_code: str
    resident_name: str
    phone: str  # whole: only organizers see the detail
    address: str
    delivery_date: dt.date
    storage_class: str
    status: str
    slot: str | None
    problem_reason: str | None
    collect_by: dt.date
    days_overdue: int
    items: pd.DataFrame
    history: pd.DataFrame


@dataclass(frozen=True)
class ReturnOutcome:
    """What a bulk return did: the pickup codes sent back, and each refusal with its message key."""

    returned: list[str]
    refused: list[tuple[str, StoreError]] = field(default_factory=list)


def days_overdue(*, delivery_date: dt.date, hold_days: int, today: dt.date) -> int:
    return max(0, (today - collect_by(delivery_date=delivery_date, hold_days=hold_days)).days)


def list_platforms(session: Session, *, site_id: int) -> list[str]:
    """The platforms the site holds orders of, from the delivery rollups (a few rows per day) rather than every
    order the site ever had: the orders page reads it on every run."""
    query = (
        select(DeliveryRollup.platform)
        .where(DeliveryRollup.site_id == site_id)
        .group_by(DeliveryRollup.platform)
        .having(func.sum(DeliveryRollup.orders) > 0)
        .order_by(DeliveryRollup.platform)
    )
    return list(session.scalars(query))


def count_orders(session: Session, *, site_id: int, filters: OrderFilter, now: dt.datetime) -> int:
    """How many orders the filters let through. Without a status or overdue filter the delivery rollups hold the
    count (their `orders` per day, platform and class), so the unfiltered list does not count the site's whole
    history; a status filter counts the orders themselves (ix_orders_site_status_delivery_date)."""
    if not filters.statuses and not filters.overdue_only:
        rollups = select(func.sum(DeliveryRollup.orders)).where(DeliveryRollup.site_id == site_id)
        return int(session.scalar(_with_delivery_filters(rollups, DeliveryRollup, filters=filters)) or 0)
    # count(*): an index that holds the filters' columns answers it alone (see db.orders.lifecycle._count_statement).
    query = _filtered(
        select(func.count()).select_from(Order), session=session, site_id=site_id, filters=filters, now=now
    )
    return session.scalar(query) or 0


def list_orders(
    session: Session,
    *,
    site_id: int,
    filters: OrderFilter,
    now: dt.datetime,
    limit: int = PAGE_SIZE,
    offset: int = 0,
    masked: bool = True,
) -> pd.DataFrame:
    """One page of the site's orders, newest delivery first, filtered in SQL; phones and names masked unless
    `masked=False` (an organizer's unmasked export, which the caller records as an access record)."""
    hold_days = class_hold_days(get_site_rules(session, site_id=site_id))
    today = local_today(now)
    item_count = item_count_column()
    # The slot joined among the site's own (db.cold_chain.units.slotted_bags_query says why).
    query = (
        _filtered(
            select(Order, Slot.code, item_count).outerjoin(
                Slot, and_(Slot.id == Order.slot_id, Slot.site_id == site_id)
            ),
            session=session,
            site_id=site_id,
            filters=filters,
            now=now,
        )
        .order_by(Order.delivery_date.desc(), Order.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = []
    for order, slot_code, items in session.execute(query):
        slotted = order.status in SLOTTED_ORDER_STATUSES
        rows.append(
            {
                "id": order.id,
                "delivery_date": order.delivery_date,
                "platform": order.platform,
                "order_number": order.order_number,
                "pickup_code": order.pickup_code,
                "resident_name": mask_name(order.resident_name) if masked else order.resident_name,
                "phone": mask_phone(order.phone) if masked else order.phone,
                "address": order.address,
                "storage_class": order.storage_class,
                "status": order.status,
                "slot": slot_code if slotted else None,
                "items": items,
                "collect_by": collect_by(
                    delivery_date=order.delivery_date, hold_days=hold_days_of(hold_days, order.storage_class)
                ),
                "days_overdue": days_overdue(
                    delivery_date=order.delivery_date,
                    hold_days=hold_days_of(hold_days, order.storage_class),
                    today=today,
                )
                if slotted
                else 0,
            }
        )
    return pd.DataFrame(rows, columns=ORDER_COLUMNS)


def get_order_detail(session: Session, *, site_id: int, order_id: int, now: dt.datetime) -> OrderDetail:
    """Everything about one order, the whole phone number and its full event history (oldest first)."""
    order = session.get(Order, order_id)
    if order is None or order.site_id != site_id:
        raise NotFound("error.order_not_found")
    hold_days = class_hold_days(get_site_rules(session, site_id=site_id))
    slotted = order.status in SLOTTED_ORDER_STATUSES
    slot_code = session.scalar(select(Slot.code).where(Slot.id == order.slot_id)) if order.slot_id else None
    items = pd.DataFrame(
        [{"product": i.product, "quantity": i.quantity, "storage_class": i.storage_class} for i in order.items],
        columns=["product", "quantity", "storage_class"],
    )
    events = session.execute(
        select(Event, Volunteer.name)
        .outerjoin(Volunteer, Volunteer.id == Event.actor_id)
        .where(Event.entity == "order", Event.entity_id == order_id, Event.site_id == site_id)
        .order_by(Event.id)
    )
    history = pd.DataFrame(
        [
            {
                "happened_at": event.happened_at,  # worded by the page, in the reader's format and local time
                "actor": name or "",
                "action": event.action,
                "before": event.before,
                "after": event.after,
            }
            for event, name in events
        ],
        columns=HISTORY_COLUMNS,
    )
    return OrderDetail(
        id=order.id,
        platform=order.platform,
        order_number=order.order_number,
        pickup_code=order.pickup_code,
        resident_name=order.resident_name,
        phone=order.phone,
        address=order.address,
        delivery_date=order.delivery_date,
        storage_class=order.storage_class,
        status=order.status,
        slot=slot_code if slotted else None,
        problem_reason=order.problem_reason,
        collect_by=collect_by(
            delivery_date=order.delivery_date, hold_days=hold_days_of(hold_days, order.storage_class)
        ),
        days_overdue=days_overdue(
            delivery_date=order.delivery_date,
            hold_days=hold_days_of(hold_days, order.storage_class),
            today=local_today(now),
        )
        if slotted
        else 0,
        items=items,
        history=history,
    )


def correct_order(
    session: Session,
    *,
    site_id: int,
    order_id: int,
    actor_id: int,
    now: dt.datetime,
    resident_name: str | None = None,
    phone: str | None = None,
) -> list[str]:
    """Fix the resident's name and/or phone, checked as the manifest import checks them; returns the changed
    fields (none: nothing written). One `order.corrected` event holds the old and new values."""
    order = session.get(Order, order_id)
    if order is None or order.site_id != site_id:
        raise NotFound("error.order_not_found")
    changes: dict[str, str] = {}
    if resident_name is not None:
        name = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", resident_name)).strip()
        if not name:
            raise InvalidValue("error.name_required")
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidValue("error.name_too_long", limit=MAX_NAME_LENGTH)
        if name != order.resident_name:
            changes["resident_name"] = name
    if phone is not None:
        digits = normalize_phone(phone)
        if not 7 <= len(digits) <= 15:
            raise InvalidValue("error.phone_format")
        if digits != order.phone:
            changes["phone"] = digits
    if not changes:
        return []
    before = {name: getattr(order, name) for name in changes}
    order.resident_name = changes.get("resident_name", order.resident_name)
    if "phone" in changes:
        order.phone, order.phone_tail = changes["phone"], changes["phone"][-4:]
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="order.corrected",
        entity="order",
        entity_id=order.id,
        now=now,
        before=before,
        after=dict(changes),
    )
    return sorted(changes)


def return_orders(
    session: Session,
    *,
    site_id: int,
    order_ids: list[int],
    reason: str,
    volunteer_id: int,
    now: dt.datetime,
) -> ReturnOutcome:
    """Send several bags back to the platform in one transaction; a bag that cannot go (already handed over,
    another site's) is refused on its own and the others still go. Their slots become free."""
    if not reason.strip():
        raise InvalidValue("error.reason_required")
    codes = dict(
        session.execute(
            select(Order.id, Order.pickup_code).where(Order.id.in_(order_ids), Order.site_id == site_id)
        ).all()
    )
    returned: list[str] = []
    refused: list[tuple[str, StoreError]] = []
    for order_id in order_ids:
        if order_id not in codes:
            refused.append((str(order_id), NotFound("error.order_not_found")))
            continue
        try:
            # A savepoint per bag: one refusal must not undo the bags already returned.
            with session.begin_nested():
                return_order(session, order_id=order_id, volunteer_id=volunteer_id, reason=reason, now=now)
            returned.append(codes[order_id])
        except StoreError as error:
            refused.append((codes[order_id], error))
    return ReturnOutcome(returned=returned, refused=refused)


def list_slot_bags(session: Session, *, site_id: int, now: dt.datetime, by: str = "slot") -> pd.DataFrame:
    """Every bag in a slot, for a printed list: by slot (unit, position) or by building, then slot.
    Names and phones masked: a printed sheet lies on the counter."""
    if by not in ("slot", "building"):
        raise InvalidValue("error.invalid_value")
    hold_days = class_hold_days(get_site_rules(session, site_id=site_id))
    today = local_today(now)
    query = slotted_bags_query(site_id=site_id).order_by(StorageUnit.code, Slot.position)
    rows = [
        {
            "slot": slot_code,
            "unit": unit_code,
            "kind": kind,
            "building": building_of(order.address),
            "address": order.address,
            "pickup_code": order.pickup_code,
            "resident_name": mask_name(order.resident_name),
            "phone": mask_phone(order.phone),
            "delivery_date": order.delivery_date,
            "collect_by": collect_by(
                delivery_date=order.delivery_date, hold_days=hold_days_of(hold_days, order.storage_class)
            ),
            "days_overdue": days_overdue(
                delivery_date=order.delivery_date, hold_days=hold_days_of(hold_days, order.storage_class), today=today
            ),
        }
        for order, slot_code, unit_code, kind in session.execute(query)
    ]
    frame = pd.DataFrame(rows, columns=SLOT_LIST_COLUMNS)
    if by == "building" and not frame.empty:
        # Numeric building order (2号 before 10号); bags without a building go last. Stable: slot order stays.
        number = frame["building"].str.extract(r"(\d+)")[0].astype(float)
        frame = frame.assign(_n=number).sort_values("_n", kind="stable", na_position="last").drop(columns="_n")
        frame = frame[["building", *[c for c in SLOT_LIST_COLUMNS if c != "building"]]].reset_index(drop=True)
    return frame


def _with_delivery_filters(
    query: Select[*_Ts], table: type[Order] | type[DeliveryRollup], *, filters: OrderFilter
) -> Select[*_Ts]:
    """The filters that orders and their delivery rollups share (dates, platforms, classes), on `table`'s columns
    of the same names."""
    if filters.delivery_from is not None:
        query = query.where(table.delivery_date >= filters.delivery_from)
    if filters.delivery_to is not None:
        query = query.where(table.delivery_date <= filters.delivery_to)
    if filters.platforms:
        query = query.where(table.platform.in_(filters.platforms))
    if filters.storage_classes:
        query = query.where(table.storage_class.in_(filters.storage_classes))
    return query


def _filtered(
    query: Select[*_Ts], *, session: Session, site_id: int, filters: OrderFilter, now: dt.datetime
) -> Select[*_Ts]:
    query = _with_delivery_filters(query.where(Order.site_id == site_id), Order, filters=filters)
    if filters.statuses:
        query = query.where(Order.status.in_(filters.statuses))
    if filters.overdue_only:
        hold_days = class_hold_days(get_site_rules(session, site_id=site_id))
        query = query.where(
            Order.status.in_(SLOTTED_ORDER_STATUSES),
            overdue_condition(hold_days=hold_days, today=local_today(now)),
        )
    return query
