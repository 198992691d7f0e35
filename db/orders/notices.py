"""Residents' notices for a building's group chat: today's arrivals and the overdue reminder, one line per bag,
grouped by building; and the record that a notice was copied, on each bag it named, so the desk can tell whether a
resident was told (db.orders.calls.last_contacts reads it back with the calls).

Only data here (masked names, phone tails, codes, slots, dates, hours); the words around them are the UI's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from db.core.clock import local_today
from db.core.errors import InvalidValue, NotFound
from db.core.events import record_event
from db.core.models import SLOTTED_ORDER_STATUSES, Order, Site, Slot
from db.core.privacy import mask_given_name
from db.orders.lifecycle import class_hold_days, collect_by, hold_days_of, overdue_condition
from db.orders.review import building_of
from db.people.opening_hours import ClosedDate, DayHours, hours_on, list_closed_days
from db.people.sites import get_site_rules

NOTICE_KINDS = ("arrivals", "overdue")
TOLD_ACTION = "order.told"
# A building's chat takes a long message, not an endless one: the rest goes in the next notice.
MAX_NOTICE_BAGS = 500


@dataclass(frozen=True)
class NoticeLine:
    order_id: int
    masked_name: str
    phone_tail: str
    pickup_code: str
    slot_code: str | None
    collect_by: dt.date


@dataclass(frozen=True)
class Notice:
    kind: str
    site_name: str
    day: dt.date
    # The site's hours that day (closed: no times), and for arrivals the closed dates from that day to the latest
    # collect-by day (hold days are calendar days: a closed date does not move the collect-by day).
    hours: DayHours
    closed_days: list[ClosedDate]
    # Building ("" when the address names none, always last) → its bags, by pickup code.
    buildings: dict[str, list[NoticeLine]]

    @property
    def order_ids(self) -> list[int]:
        return [line.order_id for lines in self.buildings.values() for line in lines]


@dataclass(frozen=True)
class Told:
    kind: str
    told_at: dt.datetime
    told_by: str


def arrivals_notice(session: Session, *, site_id: int, day: dt.date) -> Notice:
    """The bags of the day's delivery that are in a slot now, ready to collect."""
    return _notice(session, site_id=site_id, kind="arrivals", day=day, delivered=Order.delivery_date == day)


def overdue_notice(session: Session, *, site_id: int, now: dt.datetime) -> Notice:
    """The bags in a slot past their collect-by day."""
    today = local_today(now)
    hold_days = class_hold_days(get_site_rules(session, site_id=site_id))
    overdue = overdue_condition(hold_days=hold_days, today=today)
    return _notice(session, site_id=site_id, kind="overdue", day=today, delivered=overdue)


def _notice(session: Session, *, site_id: int, kind: str, day: dt.date, delivered: ColumnElement[bool]) -> Notice:
    rules = get_site_rules(session, site_id=site_id)
    site_name = session.scalar(select(Site.name).where(Site.id == site_id)) or ""
    rows = session.execute(
        select(
            Order.id,
            Order.resident_name,
            Order.phone_tail,
            Order.pickup_code,
            Order.address,
            Order.delivery_date,
            Order.storage_class,
            Slot.code,
        )
        .outerjoin(Slot, Slot.id == Order.slot_id)
        .where(Order.site_id == site_id, Order.status.in_(SLOTTED_ORDER_STATUSES), delivered)
        .order_by(Order.pickup_code)
        .limit(MAX_NOTICE_BAGS)
    ).all()
    buildings: dict[str, list[NoticeLine]] = {}
    hold_days = class_hold_days(rules)
    for order_id, name, tail, code, address, delivery_date, storage_class, slot in rows:
        buildings.setdefault(building_of(address), []).append(
            NoticeLine(
                order_id=order_id,
                masked_name=mask_given_name(name),
                phone_tail=tail,
                pickup_code=code,
                slot_code=slot,
                collect_by=collect_by(delivery_date=delivery_date, hold_days=hold_days_of(hold_days, storage_class)),
            )
        )
    ordered = dict(sorted(buildings.items(), key=lambda item: _building_order(item[0])))
    last_day = max((line.collect_by for lines in buildings.values() for line in lines), default=day)
    closed_days = (
        list_closed_days(session, site_id=site_id, first=day, last=last_day) if kind == "arrivals" and buildings else []
    )
    return Notice(
        kind=kind,
        site_name=site_name,
        day=day,
        hours=hours_on(session, site_id=site_id, day=day),
        closed_days=closed_days,
        buildings=ordered,
    )


def _building_order(building: str) -> tuple[bool, int, str]:
    number = building.rstrip("号")
    return (building == "", int(number) if number.isdigit() else 0, building)


def record_notice_copied(
    session: Session, *, site_id: int, kind: str, order_ids: list[int], volunteer_id: int, now: dt.datetime
) -> int:
    """A volunteer copied a notice naming these bags (to paste in the group): an event on each bag of the site.
    Returns how many."""
    if kind not in NOTICE_KINDS:
        raise InvalidValue("error.notice_kind_unknown")
    found = session.scalars(select(Order.id).where(Order.site_id == site_id, Order.id.in_(order_ids))).all()
    if not order_ids or len(found) != len(set(order_ids)):
        raise NotFound("error.order_not_found")
    for order_id in found:
        record_event(
            session,
            site_id=site_id,
            actor_id=volunteer_id,
            action=TOLD_ACTION,
            entity="order",
            entity_id=order_id,
            now=now,
            after={"notice": kind},
        )
    return len(found)
