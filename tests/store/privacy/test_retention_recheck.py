"""The purge reads a batch before it takes the write lock and writes it in a short transaction (db/privacy/
retention.py): what changed in between is re-checked as it writes, on both databases. A bag handed back meanwhile
(an undone handover) keeps its resident; an event or a message about a bag that appeared meanwhile is scrubbed
with it; a household named meanwhile (a resident's request) is the one the bag gets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from db.core.engine import read_only, unit_of_work
from db.core.events import record_event
from db.core.models import Event, Message, Order
from db.orders.lifecycle import hand_over, receive_order, undo_hand_over
from db.outbox.messages import queue_message
from db.privacy.retention import _due, _read_plan, _write_plan, household_id_for
from tests.support.store import World, add_order, make_world

PHONE = "13800138000"  # add_order's resident, normalized


def _closed(engine: Engine, world: World, *, at: dt.datetime, number: str, code: str) -> int:
    order_id = add_order(engine, world, now=at, number=number, code=code)
    with unit_of_work(engine) as session:
        receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=at)
        hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=at)
    return order_id


def _purge_batch(engine: Engine, world: World, *, order_ids: list[int], closed_before: dt.datetime, meanwhile):
    """One batch as the purge runs it, with `meanwhile` run between its read and its write."""
    with read_only(engine) as session:
        plan = _read_plan(session, site_id=world.site_id, order_ids=order_ids)
    meanwhile()
    with unit_of_work(engine) as session:
        return _write_plan(session, plan=plan, now=closed_before, due=(_due(closed_before=closed_before),))


def test_a_bag_handed_back_between_the_read_and_the_write_keeps_its_resident(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now - dt.timedelta(days=1))
    handed_at = now - dt.timedelta(minutes=1)
    back = _closed(engine, world, at=handed_at, number="B1", code="101")
    kept = _closed(engine, world, at=handed_at, number="B2", code="102")

    def hand_back() -> None:
        with unit_of_work(engine) as session:
            undo_hand_over(session, order_id=back, volunteer_id=world.volunteer_id, now=now)

    done = _purge_batch(engine, world, order_ids=[back, kept], closed_before=now, meanwhile=hand_back)
    assert done.orders == 1
    with read_only(engine) as session:
        handed_back = session.get(Order, back)
        anonymised = session.get(Order, kept)
        assert handed_back is not None and anonymised is not None
        assert handed_back.anonymised_at is None and handed_back.phone == PHONE and handed_back.resident_name
        assert handed_back.status != "picked_up"
        assert anonymised.anonymised_at is not None and anonymised.phone == "" and anonymised.resident_name == ""
        unscrubbed = session.scalars(
            select(Event.id).where(Event.entity == "order", Event.entity_id == back, Event.scrubbed_at.is_not(None))
        ).all()
        assert unscrubbed == []


def test_what_appeared_between_the_read_and_the_write_is_scrubbed_too(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now - dt.timedelta(days=1))
    bag = _closed(engine, world, at=now - dt.timedelta(hours=1), number="C1", code="201")
    message_ids: list[int] = []

    def note_and_text() -> None:
        with unit_of_work(engine) as session:
            record_event(
                session,
                site_id=world.site_id,
                actor_id=world.volunteer_id,
                action="order.called",
                entity="order",
                entity_id=bag,
                now=now,
                after={"outcome": "see_note", "note": f"李四说打{PHONE}"},
            )
            message = queue_message(
                session,
                site_id=world.site_id,
                channel="sms",
                audience="resident",
                kind="overdue_reminder",
                values={"name": "李四"},
                text="李四您好",
                due_at=now,
                idempotency_key=f"overdue_reminder:{PHONE}:late",
                now=now,
                recipient=PHONE,
                order_ids=[bag],
            )
            assert message is not None
            message_ids.append(message)

    done = _purge_batch(engine, world, order_ids=[bag], closed_before=now, meanwhile=note_and_text)
    assert done.orders == 1 and done.messages == 1
    with read_only(engine) as session:
        after = session.scalars(
            select(Event.after).where(Event.entity == "order", Event.entity_id == bag, Event.action == "order.called")
        ).one()
        assert after == {"outcome": "see_note"}
        message = session.get(Message, message_ids[0])
        assert message is not None and message.scrubbed_at is not None
        assert message.recipient is None and message.text == "" and message.values == {}


def test_a_household_named_between_the_read_and_the_write_is_the_one_the_bag_gets(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now - dt.timedelta(days=1))
    bag = _closed(engine, world, at=now - dt.timedelta(hours=1), number="D1", code="301")
    open_bag = add_order(engine, world, now=now, number="D2", code="302")
    named: list[str] = []

    def resident_looked_up() -> None:
        with unit_of_work(engine) as session:
            named.append(household_id_for(session, site_id=world.site_id, phone=PHONE))

    _purge_batch(engine, world, order_ids=[bag], closed_before=now, meanwhile=resident_looked_up)
    with read_only(engine) as session:
        households = session.scalars(select(Order.household_id).where(Order.id.in_([bag, open_bag]))).all()
    assert households == [named[0], named[0]]
