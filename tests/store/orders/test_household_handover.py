"""A household's bags handed over together (all or none, one undo) and who collected them, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from db.core.engine import unit_of_work
from db.core.errors import AlreadyHandedOver, InvalidValue, WrongState
from db.core.models import Order
from db.orders.lifecycle import find_orders, hand_over, hand_over_household, receive_order, undo_hand_over_household
from tests.support.store import World, add_order, make_world
from tests.support.store_reads import order_history


def _bags(engine: Engine, world: World, now: dt.datetime, count: int = 3) -> list[int]:
    """`count` bags of one phone (add_order gives them all the same resident), each in its shelf slot."""
    ids = [add_order(engine, world, now=now, number=f"H{index}", code=f"70{index}") for index in range(count)]
    with unit_of_work(engine) as session:
        for order_id in ids:
            receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
    return ids


def _statuses(engine: Engine, ids: list[int]) -> list[str]:
    with unit_of_work(engine) as session:
        return [session.get(Order, order_id).status for order_id in ids]


def test_a_household_is_found_together_and_handed_over_in_one_go(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    ids = _bags(engine, world, now)
    with unit_of_work(engine) as session:
        found = find_orders(session, site_id=world.site_id, text="8000", now=now, hold_days=3)
    assert sorted(order.id for order in found) == sorted(ids)
    assert len({order.household for order in found}) == 1
    assert all("8000" not in order.household for order in found)  # a key, not the phone

    with unit_of_work(engine) as session:
        hand_over_household(
            session,
            order_ids=ids,
            volunteer_id=world.volunteer_id,
            now=now,
            collected_by="neighbour",
            collector_name=" 隔壁 刘阿姨 ",
        )
    assert _statuses(engine, ids) == ["picked_up"] * 3
    with unit_of_work(engine) as session:
        for order_id in ids:
            handover = order_history(session, order_id=order_id)[-1]
            assert handover.action == "order.picked_up"
            assert handover.after == {
                "status": "picked_up",
                "collected_by": "neighbour",
                "collector_name": "隔壁 刘阿姨",
            }

    later = now + dt.timedelta(minutes=1)
    with unit_of_work(engine) as session:
        undo_hand_over_household(session, order_ids=ids, volunteer_id=world.volunteer_id, now=later)
    assert _statuses(engine, ids) == ["received"] * 3
    with unit_of_work(engine) as session:
        assert [order_history(session, order_id=order_id)[-1].action for order_id in ids] == [
            "order.hand_over_undone"
        ] * 3


def test_one_bag_gone_elsewhere_hands_over_none_and_names_it(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    ids = _bags(engine, world, now)
    # Another tablet handed the middle bag over meanwhile.
    with unit_of_work(engine) as session:
        hand_over(session, order_id=ids[1], volunteer_id=world.other_volunteer_id, now=now)
    with unit_of_work(engine) as session:
        with pytest.raises(AlreadyHandedOver) as refusal:
            hand_over_household(session, order_ids=ids, volunteer_id=world.volunteer_id, now=now)
        # Refused inside the caller's transaction: nothing of it is left to commit either.
        assert [session.get(Order, order_id).status for order_id in (ids[0], ids[2])] == ["received"] * 2
    assert refusal.value.key == "error.household_already_handed_over"
    assert refusal.value.params["code"] == "701"
    assert refusal.value.params["volunteer"] == "张叔叔"
    assert _statuses(engine, ids) == ["received", "picked_up", "received"]
    with unit_of_work(engine) as session:
        assert [event.action for event in order_history(session, order_id=ids[0])][-1] == "order.received"


def test_a_household_undo_is_all_or_none_too(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    ids = _bags(engine, world, now, count=2)
    with unit_of_work(engine) as session:
        hand_over_household(session, order_ids=ids, volunteer_id=world.volunteer_id, now=now)
    # Too late for the undo: neither bag goes back.
    with pytest.raises(WrongState), unit_of_work(engine) as session:
        undo_hand_over_household(
            session, order_ids=ids, volunteer_id=world.volunteer_id, now=now + dt.timedelta(minutes=5)
        )
    assert _statuses(engine, ids) == ["picked_up"] * 2


def test_collected_by_is_checked_and_optional(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    first, second = _bags(engine, world, now, count=2)
    with pytest.raises(InvalidValue) as unknown, unit_of_work(engine) as session:
        hand_over(session, order_id=first, volunteer_id=world.volunteer_id, now=now, collected_by="courier")
    assert unknown.value.key == "error.collector_unknown"
    with pytest.raises(InvalidValue) as too_long, unit_of_work(engine) as session:
        hand_over(
            session,
            order_id=first,
            volunteer_id=world.volunteer_id,
            now=now,
            collected_by="family",
            collector_name="x" * 41,
        )
    assert too_long.value.key == "error.collector_name_too_long"
    with pytest.raises(InvalidValue), unit_of_work(engine) as session:
        hand_over_household(session, order_ids=[], volunteer_id=world.volunteer_id, now=now)
    with unit_of_work(engine) as session:
        hand_over(session, order_id=first, volunteer_id=world.volunteer_id, now=now, collected_by="family")
        hand_over(session, order_id=second, volunteer_id=world.volunteer_id, now=now)
        assert order_history(session, order_id=first)[-1].after == {"status": "picked_up", "collected_by": "family"}
        assert order_history(session, order_id=second)[-1].after == {"status": "picked_up"}
