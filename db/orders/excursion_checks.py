"""An organizer's verdict on the bags a temperature excursion touched (db/cold_chain/excursions.py finds them):
checked OK, discarded (the order becomes a problem) or resident informed. It acts on orders, so it lives here,
above the cold chain it reads."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.cold_chain.excursions import Excursion, get_excursion, list_excursion_bags
from db.core.errors import InvalidValue, NotAllowed
from db.core.events import record_event
from db.core.models import EXCURSION_OUTCOMES, ExcursionCheck, StorageUnit
from db.orders.lifecycle import report_problem


def record_excursion_outcome(
    session: Session,
    *,
    reading_id: int,
    outcome: str,
    exceptions: dict[int, str],
    volunteer_id: int,
    now: dt.datetime,
    reason: str | None = None,
) -> int:
    """One verdict for every bag of the excursion not checked yet, except the bags in `exceptions` ({order id:
    outcome}), which get their own (checked or not). One check and one event per bag, as a single check writes;
    a bag whose latest check already says its outcome is left alone. Returns how many bags were checked now."""
    for given in (outcome, *exceptions.values()):
        _check_outcome(given)
    # Refused before any bag is written: a discard needs its reason.
    if "discarded" in (outcome, *exceptions.values()) and not (reason or "").strip():
        raise InvalidValue("error.reason_required")
    excursion = get_excursion(session, reading_id=reading_id)
    bags = list_excursion_bags(session, reading_id=reading_id, now=now)
    if set(exceptions) - {bag.order_id for bag in bags}:
        raise NotAllowed("error.bag_not_in_excursion")
    checked = 0
    for bag in bags:
        wanted = exceptions.get(bag.order_id, outcome if bag.outcome is None else None)
        if wanted is None or wanted == bag.outcome:
            continue
        _check_bag(
            session,
            excursion=excursion,
            order_id=bag.order_id,
            outcome=wanted,
            volunteer_id=volunteer_id,
            now=now,
            reason=reason if wanted == "discarded" else None,
        )
        checked += 1
    return checked


def _check_outcome(outcome: str) -> None:
    if outcome not in EXCURSION_OUTCOMES:
        raise InvalidValue("error.excursion_outcome_unknown", outcome=outcome)


def _check_bag(
    session: Session,
    *,
    excursion: Excursion,
    order_id: int,
    outcome: str,
    volunteer_id: int,
    now: dt.datetime,
    reason: str | None,
) -> ExcursionCheck:
    """The check of one bag known to be in the excursion, and its event; a discarded bag becomes a problem."""
    reason = (reason or "").strip() or None
    if outcome == "discarded":
        if reason is None:
            raise InvalidValue("error.reason_required")
        report_problem(session, order_id=order_id, volunteer_id=volunteer_id, reason=reason, now=now)
    check = ExcursionCheck(
        site_id=session.scalar(select(StorageUnit.site_id).where(StorageUnit.id == excursion.storage_unit_id)),
        storage_unit_id=excursion.storage_unit_id,
        reading_id=excursion.reading_id,
        order_id=order_id,
        outcome=outcome,
        volunteer_id=volunteer_id,
        checked_at=now,
        note=reason,
    )
    session.add(check)
    session.flush()
    record_event(
        session,
        site_id=check.site_id,
        actor_id=volunteer_id,
        action="order.excursion_checked",
        entity="order",
        entity_id=order_id,
        now=now,
        after={
            "outcome": outcome,
            "unit": excursion.unit_code,
            "excursion_started_at": excursion.started_at,
            "worst_c": excursion.worst_c,
            "reason": reason,
        },
    )
    return check
