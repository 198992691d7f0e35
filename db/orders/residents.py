"""What a resident may learn about their own order by pickup code and phone tail, under a rate limit."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.core.clock import local_today
from db.core.errors import FullPhoneNeeded, InvalidValue
from db.core.models import Order, Site, SiteRules, Slot
from db.core.typed import normalize_phone
from db.orders.lifecycle import (
    class_hold_days,
    collect_by,
    hold_days_of,
    normalize_pickup_code,
    qr_payload,
)
from db.people.throttling import (
    FULL_PHONE_AFTER,
    FULL_PHONE_WINDOW,
    PER_CLIENT,
    PER_SECRET_AND_CLIENT,
    LimitKey,
    check_not_limited,
    count_failures,
    record_failed_try,
)

# What the status page says, by order status: a resident needs no more than these five answers.
RESIDENT_STATES = {
    "expected": "not_arrived",
    "received": "ready",
    "shelved": "ready",
    "picked_up": "picked_up",
    "returned": "returned",
    "problem": "ask_desk",
}
# Bags still to collect: only these get a collect-by date and a QR code for the desk.
WAITING_STATES = ("not_arrived", "ready")


@dataclass(frozen=True)
class OrderStatus:
    """A resident's own order, as the public page shows it: no name, no phone, no other order."""

    pickup_code: str
    state: str
    slot: str | None
    # Ready since (arrival), handed over at, or returned at; None while not arrived or for a problem.
    since: dt.datetime | None
    delivery_date: dt.date
    collect_by: dt.date | None
    qr_payload: str | None
    # A bag still waiting after its collect-by day (the site's hold days): the desk decides what happens to it.
    overdue: bool
    hold_days: int


def normalize_phone_tail(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw or "").strip()


def lookup_order_status(
    session: Session,
    *,
    site_id: int,
    pickup_code: str,
    phone_tail: str = "",
    phone: str = "",
    client: str,
    now: dt.datetime,
) -> OrderStatus | None:
    """The newest order of the site with this code and phone tail (or whole phone number), or None.

    A wrong code and a wrong phone take the same path and give the same None, so a code cannot be confirmed
    without its phone. Each None counts against the code from this client, the client, and the code; the first
    two slow a guesser down (db/people/throttling.py), the last makes a much-guessed code ask for the whole phone
    number (FullPhoneNeeded) — which its owner knows and a guesser does not, so nobody can lock the owner out.
    """
    code, whole, tail = _lookup_values(pickup_code=pickup_code, phone_tail=phone_tail, phone=phone)
    code_key = LimitKey(scope="code", value=code, site_id=site_id)
    keys = [
        LimitKey(scope="code_client", value=f"{code}\x1f{client}", site_id=site_id, throttle=PER_SECRET_AND_CLIENT),
        LimitKey(scope="client", value=client, throttle=PER_CLIENT),
        code_key,
    ]
    check_not_limited(session, keys=keys, now=now)
    if not whole and count_failures(session, key=code_key, since=now - FULL_PHONE_WINDOW, now=now) >= FULL_PHONE_AFTER:
        raise FullPhoneNeeded()
    query = (
        select(Order, Slot.code, SiteRules, Site.code)
        .join(Site, Site.id == Order.site_id)
        .join(SiteRules, SiteRules.site_id == Order.site_id)
        .outerjoin(Slot, Slot.id == Order.slot_id)
        .where(Order.site_id == site_id, Order.pickup_code == code, Order.phone_tail == tail)
        .order_by(Order.delivery_date.desc(), Order.id.desc())
        .limit(1)
    )
    if whole:
        query = query.where(Order.phone == whole)
    row = session.execute(query).first()
    if row is None:
        record_failed_try(session, keys=keys, now=now)
        return None
    order, slot_code, rules, site_code = row
    # The hold of the bag's own storage class: chilled and frozen bags may be held fewer days.
    hold_days = hold_days_of(class_hold_days(rules), order.storage_class)
    return _order_status(order, slot_code=slot_code, hold_days=hold_days, site_code=site_code, today=local_today(now))


def _lookup_values(*, pickup_code: str, phone_tail: str, phone: str) -> tuple[str, str, str]:
    """(code, whole phone or "", phone tail) as the lookup compares them; InvalidValue when one cannot match."""
    code = normalize_pickup_code(pickup_code)
    if not code or len(code) > 20:
        raise InvalidValue("error.pickup_code_format")
    whole = normalize_phone(phone) if phone.strip() else ""
    tail = whole[-4:] if whole else normalize_phone_tail(phone_tail)
    if whole and not re.fullmatch(r"\d{7,15}", whole):
        raise InvalidValue("error.phone_format")
    if not re.fullmatch(r"\d{4}", tail):
        raise InvalidValue("error.phone_tail_format")
    return code, whole, tail


def _order_status(
    order: Order, *, slot_code: str | None, hold_days: int, site_code: str, today: dt.date
) -> OrderStatus:
    """What a resident is told: the slot only when ready, the pickup deadline and QR only while the bag waits, and
    whether that deadline (the site's local day) has passed."""
    state = RESIDENT_STATES[order.status]
    waiting = state in WAITING_STATES
    last_day = collect_by(delivery_date=order.delivery_date, hold_days=hold_days)
    return OrderStatus(
        pickup_code=order.pickup_code,
        state=state,
        slot=slot_code if state == "ready" else None,
        since={"ready": order.received_at, "picked_up": order.picked_up_at, "returned": order.returned_at}.get(state),
        delivery_date=order.delivery_date,
        collect_by=last_day if waiting else None,
        qr_payload=qr_payload(site_code=site_code, pickup_code=order.pickup_code) if waiting else None,
        overdue=waiting and today > last_day,
        hold_days=hold_days,
    )
