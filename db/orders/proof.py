"""What proves the person at the counter is the resident, for a bag the desk found by phone tail or name alone.

The group notice names a bag's resident (masked), building and class; anyone in the group can read it. So a bag
found by what the notice carries asks for one thing it does not: the bag's pickup code or QR, or the whole phone
number it was ordered with, typed by the volunteer and compared here (never shown). A bag found by its code or QR
hands over as it is. Wrong answers are recorded as events on the bag (the order's history and the event log show
who tried, when) and after a few in a day the desk stops asking: the resident brings the code."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.core.errors import CollectorCheckExhausted, InvalidValue, NotFound
from db.core.events import record_event
from db.core.models import Event, Order
from db.core.typed import normalize_phone
from db.orders.lifecycle import normalize_pickup_code, parse_qr_payload

# Wrong answers a bag may draw in a day at the desk before only its code (scanned in the search box) opens it.
WRONG_ANSWERS_ALLOWED = 3
WRONG_ANSWERS_WINDOW = dt.timedelta(hours=24)


def names_the_bag(*, text: str, pickup_codes: Sequence[str]) -> bool:
    """Whether `text` (typed, or a scanned QR payload) is one of these pickup codes."""
    scanned = parse_qr_payload(text or "")
    code = normalize_pickup_code(scanned[1] if scanned is not None else text)
    return bool(code) and code in {normalize_pickup_code(known) for known in pickup_codes}


def check_collector(
    session: Session, *, order_ids: Sequence[int], answer: str, volunteer_id: int, now: dt.datetime
) -> bool:
    """True when `answer` is the pickup code (or QR) of one of these bags — a household's — or the whole phone
    number they were ordered with. False records the wrong answer on each bag. CollectorCheckExhausted once any
    of the bags drew WRONG_ANSWERS_ALLOWED wrong answers within a day; InvalidValue (nothing counted) for an empty
    answer or a phone tail, which the group text may already give away."""
    if not order_ids:
        raise NotFound()
    if not (answer or "").strip():
        raise InvalidValue("error.collector_answer_empty")
    wrong = session.scalars(
        select(func.count(Event.id))
        .where(
            Event.entity == "order",
            Event.entity_id.in_(order_ids),
            Event.action == "order.collector_check_failed",
            Event.happened_at > now - WRONG_ANSWERS_WINDOW,
        )
        .group_by(Event.entity_id)
    ).all()
    # The most-tried bag counts: asking for a household does not give a bag tried alone fresh answers.
    if max(wrong, default=0) >= WRONG_ANSWERS_ALLOWED:
        raise CollectorCheckExhausted(tries=WRONG_ANSWERS_ALLOWED)
    bags = session.execute(
        select(Order.id, Order.site_id, Order.pickup_code, Order.phone).where(Order.id.in_(order_ids))
    ).all()
    if len(bags) != len(set(order_ids)):
        raise NotFound()
    if names_the_bag(text=answer, pickup_codes=[bag.pickup_code for bag in bags]):
        return True
    phone = normalize_phone(answer)
    if re.fullmatch(r"\d{4}", phone):
        raise InvalidValue("error.collector_answer_tail")
    # Every bag of the household must carry the number; compare_digest keeps the time the same for any wrong one.
    if phone and all(hmac.compare_digest(phone, normalize_phone(bag.phone or "")) for bag in bags):
        return True
    for bag in bags:
        record_event(
            session,
            site_id=bag.site_id,
            actor_id=volunteer_id,
            action="order.collector_check_failed",
            entity="order",
            entity_id=bag.id,
            now=now,
        )
    return False
