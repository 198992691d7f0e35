"""A resident's request: everything the site holds under their phone number, to hand them, or to anonymise now.

Only a site's organizers may find a resident, and each find, download and anonymisation is an access record naming
the household by its random id. The number typed is never stored: not in access_records, not in the event log."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.core.clock import to_local
from db.core.errors import InvalidValue, NotFound, WrongState
from db.core.events import record_event
from db.core.models import OPEN_ORDER_STATUSES, Event, Item, Message, MessageOrder, Order
from db.core.typed import normalize_phone
from db.orders.calls import CALL_ACTION
from db.orders.notices import TOLD_ACTION
from db.privacy.access import record_access, require_organizer
from db.privacy.retention import Anonymised, anonymise_orders, household_id_for

RESIDENT_ANONYMISED_ACTION = "privacy.resident_anonymised"
BAG_COLUMNS = [
    "order_id",
    "platform",
    "order_number",
    "pickup_code",
    "resident_name",
    "address",
    "delivery_date",
    "storage_class",
    "status",
    "received_at",
    "picked_up_at",
    "returned_at",
    "items",
]
EVENT_COLUMNS = ["happened_at", "pickup_code", "action", "before", "after"]
CALL_COLUMNS = ["called_at", "pickup_code", "outcome", "note"]
NOTICE_COLUMNS = ["happened_at", "pickup_code", "action"]
MESSAGE_COLUMNS = ["due_at", "sent_at", "channel", "kind", "status", "recipient", "text"]


@dataclass(frozen=True)
class ResidentData:
    """What the site holds about one resident (one phone number), as the organizer answering them reads it."""

    household_id: str
    # Whole: the organizer is answering this resident.
    phone: str
    bags: pd.DataFrame
    # The bags' events, no volunteer names.
    events: pd.DataFrame
    calls: pd.DataFrame
    # Told / copied notices naming a bag.
    notices: pd.DataFrame
    messages: pd.DataFrame
    # Bags not closed (expected/received/shelved/problem): anonymising waits for them.
    open_bags: int


def resident_phone(phone: str) -> str:
    """The whole number as the store keeps it (db.core.typed.normalize_phone); InvalidValue unless 7–15 digits."""
    whole = normalize_phone(phone)
    if not re.fullmatch(r"\d{7,15}", whole):
        raise InvalidValue("error.phone_format")
    return whole


def find_resident(
    session: Session, *, site_id: int, phone: str, volunteer_id: int, now: dt.datetime
) -> ResidentData | None:
    """The site's bags still naming this whole number, with their events, calls, notices and messages; None when
    the site holds nothing under it. A find is recorded (resident_found, reason resident_request, the household's
    random id and how many bags), never the number; the bags get their household id now if they had none."""
    require_organizer(session, site_id=site_id, volunteer_id=volunteer_id)
    whole = resident_phone(phone)
    order_ids = _resident_order_ids(session, site_id=site_id, phone=whole)
    if not order_ids:
        return None
    household_id = household_id_for(session, site_id=site_id, phone=whole)
    bags = _bags(session, order_ids=order_ids)
    codes = dict(zip(bags["order_id"], bags["pickup_code"], strict=True))
    events = _events(session, site_id=site_id, order_ids=order_ids, codes=codes)
    record_access(
        session,
        site_id=site_id,
        volunteer_id=volunteer_id,
        kind="resident_found",
        reason="resident_request",
        household_id=household_id,
        row_count=len(order_ids),
        now=now,
    )
    return ResidentData(
        household_id=household_id,
        phone=whole,
        bags=bags,
        events=events[EVENT_COLUMNS].reset_index(drop=True),
        calls=_calls(events),
        notices=_notices(events),
        messages=_messages(session, site_id=site_id, order_ids=order_ids),
        open_bags=int(bags["status"].isin(OPEN_ORDER_STATUSES).sum()),
    )


def record_resident_export(
    session: Session, *, site_id: int, household_id: str, volunteer_id: int, row_count: int, now: dt.datetime
) -> None:
    """The organizer downloaded a resident's data for them: recorded as resident_exported with its row count."""
    require_organizer(session, site_id=site_id, volunteer_id=volunteer_id)
    known = session.scalar(
        select(Order.id).where(Order.site_id == site_id, Order.household_id == household_id).limit(1)
    )
    if known is None:
        raise NotFound("error.resident_not_found")
    record_access(
        session,
        site_id=site_id,
        volunteer_id=volunteer_id,
        kind="resident_exported",
        reason="resident_request",
        household_id=household_id,
        row_count=row_count,
        now=now,
    )


def anonymise_resident(
    session: Session, *, site_id: int, phone: str, volunteer_id: int, now: dt.datetime
) -> Anonymised:
    """At the resident's request, anonymise every bag of the site naming this number now, as the retention rule
    would later (db.privacy.retention.anonymise_orders): WrongState while any of them is open (the bag must be
    handed over or returned first), NotFound when none names it. Recorded as resident_anonymised and as an event
    privacy.resident_anonymised with the counts and the household's random id."""
    require_organizer(session, site_id=site_id, volunteer_id=volunteer_id)
    whole = resident_phone(phone)
    rows = session.execute(
        select(Order.id, Order.status).where(
            Order.site_id == site_id, Order.phone_tail == whole[-4:], Order.phone == whole
        )
    ).all()
    if not rows:
        raise NotFound("error.resident_not_found")
    still_open = sum(1 for _, status in rows if status in OPEN_ORDER_STATUSES)
    if still_open:
        raise WrongState("error.resident_has_open_bags", count=still_open)
    household_id = household_id_for(session, site_id=site_id, phone=whole)
    done = anonymise_orders(session, site_id=site_id, order_ids=[order_id for order_id, _ in rows], now=now)
    record_access(
        session,
        site_id=site_id,
        volunteer_id=volunteer_id,
        kind="resident_anonymised",
        reason="resident_request",
        household_id=household_id,
        row_count=done.orders,
        now=now,
    )
    record_event(
        session,
        site_id=site_id,
        actor_id=volunteer_id,
        action=RESIDENT_ANONYMISED_ACTION,
        entity="site",
        entity_id=site_id,
        now=now,
        after={"household_id": household_id, "bags": done.orders, "events": done.events, "messages": done.messages},
    )
    return done


def _resident_order_ids(session: Session, *, site_id: int, phone: str) -> list[int]:
    """The site's bags naming this number, read by the (site_id, phone_tail) index, then the whole number."""
    query = select(Order.id).where(Order.site_id == site_id, Order.phone_tail == phone[-4:], Order.phone == phone)
    return [int(order_id) for order_id in session.scalars(query.order_by(Order.id))]


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    # The site's wall-clock time without an offset, as the other tables of the app show it.
    return None if moment is None else to_local(moment).replace(tzinfo=None)


def _bags(session: Session, *, order_ids: Sequence[int]) -> pd.DataFrame:
    items: dict[int, list[str]] = defaultdict(list)
    for order_id, product, quantity in session.execute(
        select(Item.order_id, Item.product, Item.quantity).where(Item.order_id.in_(order_ids)).order_by(Item.id)
    ):
        items[order_id].append(f"{product} ×{quantity}")
    # By primary key only (the ids are the site's): with the site in the WHERE, the planner would walk the site's
    # bags by delivery date for the ORDER BY.
    orders = session.scalars(select(Order).where(Order.id.in_(order_ids)).order_by(Order.delivery_date, Order.id))
    rows = [
        {
            "order_id": order.id,
            "platform": order.platform,
            "order_number": order.order_number,
            "pickup_code": order.pickup_code,
            "resident_name": order.resident_name,
            "address": order.address,
            "delivery_date": order.delivery_date,
            "storage_class": order.storage_class,
            "status": order.status,
            "received_at": _local(order.received_at),
            "picked_up_at": _local(order.picked_up_at),
            "returned_at": _local(order.returned_at),
            "items": "; ".join(items[order.id]),
        }
        for order in orders
    ]
    return pd.DataFrame(rows, columns=BAG_COLUMNS)


def _events(session: Session, *, site_id: int, order_ids: Sequence[int], codes: dict[Any, Any]) -> pd.DataFrame:
    """Every event of the bags, oldest first (the (entity, entity_id) index); who did it is left out."""
    query = (
        select(Event.happened_at, Event.entity_id, Event.action, Event.before, Event.after)
        .where(Event.entity == "order", Event.entity_id.in_(order_ids), Event.site_id == site_id)
        .order_by(Event.happened_at, Event.id)
    )
    rows = [
        {
            "happened_at": _local(happened_at),
            "pickup_code": codes[entity_id],
            "action": action,
            "before": before,
            "after": after,
        }
        for happened_at, entity_id, action, before, after in session.execute(query)
    ]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def _calls(events: pd.DataFrame) -> pd.DataFrame:
    calls = events[events["action"] == CALL_ACTION]
    rows = [
        {
            "called_at": happened_at,
            "pickup_code": code,
            "outcome": (after or {}).get("outcome"),
            "note": (after or {}).get("note"),
        }
        for happened_at, code, after in zip(calls["happened_at"], calls["pickup_code"], calls["after"], strict=True)
    ]
    return pd.DataFrame(rows, columns=CALL_COLUMNS)


def _notices(events: pd.DataFrame) -> pd.DataFrame:
    return events.loc[events["action"] == TOLD_ACTION, NOTICE_COLUMNS].reset_index(drop=True)


def _messages(session: Session, *, site_id: int, order_ids: Sequence[int]) -> pd.DataFrame:
    """The messages naming any of the bags, oldest first. A message that also names another resident's bag (a
    notice copied into a building's group) is listed without its text: that text is about the neighbours too."""
    about = select(MessageOrder.message_id).where(MessageOrder.order_id.in_(order_ids)).distinct()
    others = (
        select(MessageOrder.message_id)
        .where(MessageOrder.message_id.in_(about), MessageOrder.order_id.not_in(order_ids))
        .distinct()
    )
    shared = set(session.scalars(others))
    query = (
        select(Message).where(Message.site_id == site_id, Message.id.in_(about)).order_by(Message.due_at, Message.id)
    )
    rows = [
        {
            "due_at": _local(message.due_at),
            "sent_at": _local(message.sent_at),
            "channel": message.channel,
            "kind": message.kind,
            "status": message.status,
            "recipient": message.recipient,
            "text": None if message.id in shared else message.text,
        }
        for message in session.scalars(query)
    ]
    return pd.DataFrame(rows, columns=MESSAGE_COLUMNS)
