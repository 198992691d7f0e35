"""Check-in of a delivery, the arrivals list, finding a bag by code, and moving a bag between slots."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from db.core.engine import unit_of_work
from db.core.errors import DuplicateValue, InvalidValue, NotDueYet, NotFound, WrongState
from db.core.models import Order
from db.orders.lifecycle import (
    find_expected_order,
    hand_over,
    list_expected_orders,
    list_free_slot_codes,
    move_order,
    qr_payload,
    receive_delivery,
    receive_order,
    report_problem,
    shelve_delivery,
    shelve_order,
    undo_receive,
)
from tests.support.store import add_order, make_world
from tests.support.store_reads import order_history


def _slot_and_status(engine: Engine, order_id: int) -> tuple[str | None, str]:
    with unit_of_work(engine) as session:
        order = session.get(Order, order_id)
        return (order.slot.code if order.slot else None), order.status


def test_receive_delivery_fills_free_slots_and_refuses_a_full_unit(engine: Engine, now: dt.datetime) -> None:
    # The freezer has one slot: the second frozen bag is refused, everything else still goes in.
    world = make_world(engine, now=now, fridge_slots=2, shelf_slots=3)
    frozen_a = add_order(engine, world, now=now, number="A1", code="101", classes=("frozen",))
    frozen_b = add_order(engine, world, now=now, number="A2", code="102", classes=("ambient", "frozen"))
    chilled = add_order(engine, world, now=now, number="A3", code="103", classes=("chilled",))
    shelf = add_order(engine, world, now=now, number="A4", code="104")
    tomorrow = add_order(engine, world, now=now + dt.timedelta(days=1), number="A5", code="105")

    with unit_of_work(engine) as session:
        outcome = receive_delivery(
            session, site_id=world.site_id, delivery_date=now.date(), volunteer_id=world.volunteer_id, now=now
        )

    assert outcome.received == {"101": "Z1-01", "103": "F1-01", "104": "S1-01"}
    assert [(r.pickup_code, r.key, r.params) for r in outcome.refused] == [
        ("102", "error.no_free_slot", {"kind": "freezer"})
    ]
    assert _slot_and_status(engine, frozen_a) == ("Z1-01", "received")
    assert _slot_and_status(engine, frozen_b) == (None, "expected")
    assert _slot_and_status(engine, chilled) == ("F1-01", "received")
    assert _slot_and_status(engine, shelf) == ("S1-01", "received")
    assert _slot_and_status(engine, tomorrow) == (None, "expected")
    with unit_of_work(engine) as session:
        assert [e.action for e in order_history(session, order_id=shelf)] == ["order.created", "order.received"]

    # Running it again takes in nothing new and refuses only the bag that still has no room.
    with unit_of_work(engine) as session:
        again = receive_delivery(
            session, site_id=world.site_id, delivery_date=now.date(), volunteer_id=world.volunteer_id, now=now
        )
    assert again.received == {} and [r.pickup_code for r in again.refused] == ["102"]


def test_list_expected_orders_shows_one_delivery_day_with_masked_names(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    first = add_order(engine, world, now=now, number="A1", code="202", classes=("chilled", "ambient"))
    add_order(engine, world, now=now, number="A2", code="201")
    add_order(engine, world, now=now + dt.timedelta(days=1), number="A3", code="203")
    with unit_of_work(engine) as session:
        receive_order(session, order_id=first, volunteer_id=world.volunteer_id, now=now)
        rows = list_expected_orders(session, site_id=world.site_id, delivery_date=now.date())

    assert [(r.pickup_code, r.status, r.slot, r.item_count, r.storage_class) for r in rows] == [
        ("201", "expected", None, 1, "ambient"),
        ("202", "received", "F1-01", 2, "chilled"),
    ]
    assert {r.resident_name for r in rows} == {"李*"}
    with unit_of_work(engine) as session:
        assert (
            list_expected_orders(session, site_id=world.site_id, delivery_date=now.date() - dt.timedelta(days=1)) == []
        )


def test_find_expected_order_by_code_or_qr_payload(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="8-3-1207")
    with unit_of_work(engine) as session:
        assert find_expected_order(session, site_id=world.site_id, code=" 8-3-1207 ").id == order_id
        assert (
            find_expected_order(
                session, site_id=world.site_id, code=qr_payload(site_code="TS2", pickup_code="8-3-1207")
            ).id
            == order_id
        )
        with pytest.raises(NotFound) as missing:
            find_expected_order(session, site_id=world.site_id, code="9-9-9999")
        assert missing.value.key == "error.pickup_code_not_found"
        with pytest.raises(InvalidValue):
            find_expected_order(session, site_id=world.site_id, code="  ")
        # A bag handed over is no longer an open order with that code.
        receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        with pytest.raises(NotFound):
            find_expected_order(session, site_id=world.site_id, code="8-3-1207")


def test_move_order_to_a_free_slot_of_its_kind_records_before_and_after(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now, fridge_slots=3)
    order_id = add_order(engine, world, now=now, number="A1", code="301", classes=("chilled",))
    with unit_of_work(engine) as session:
        receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        assert list_free_slot_codes(session, site_id=world.site_id, storage_class="chilled") == ["F1-02", "F1-03"]
        assert (
            move_order(session, order_id=order_id, slot_code="f1-03", volunteer_id=world.other_volunteer_id, now=now)
            == "F1-03"
        )
    assert _slot_and_status(engine, order_id) == ("F1-03", "received")
    with unit_of_work(engine) as session:
        moved = order_history(session, order_id=order_id)[-1]
        assert list_free_slot_codes(session, site_id=world.site_id, storage_class="chilled") == ["F1-01", "F1-02"]
    assert (moved.action, moved.actor_id) == ("order.moved", world.other_volunteer_id)
    assert (moved.before["slot"], moved.after["slot"], moved.after["status"]) == ("F1-01", "F1-03", "received")


def test_move_order_refusals(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now, fridge_slots=3)
    chilled = add_order(engine, world, now=now, number="A1", code="401", classes=("chilled",))
    neighbour = add_order(engine, world, now=now, number="A2", code="402", classes=("chilled",))
    waiting = add_order(engine, world, now=now, number="A3", code="403", classes=("chilled",))
    with unit_of_work(engine) as session:
        receive_order(session, order_id=chilled, volunteer_id=world.volunteer_id, now=now)
        receive_order(session, order_id=neighbour, volunteer_id=world.volunteer_id, now=now)

    refusals = [
        (chilled, "F1-02", DuplicateValue, "error.slot_occupied"),
        (chilled, "S1-01", InvalidValue, "error.slot_wrong_kind"),  # a chilled bag does not go on a shelf
        (chilled, "Z1-01", InvalidValue, "error.slot_wrong_kind"),
        (chilled, "F9-01", NotFound, "error.slot_not_found"),
        (chilled, "F1-01", InvalidValue, "error.slot_unchanged"),
        (waiting, "F1-03", WrongState, "error.wrong_state"),  # not checked in yet: it has no slot to leave
    ]
    for order_id, slot_code, error, key in refusals:
        with pytest.raises(error) as refused, unit_of_work(engine) as session:
            move_order(session, order_id=order_id, slot_code=slot_code, volunteer_id=world.volunteer_id, now=now)
        assert refused.value.key == key, slot_code
    assert _slot_and_status(engine, chilled) == ("F1-01", "received")

    # A bag that left the normal flow cannot be moved either.
    with unit_of_work(engine) as session:
        report_problem(session, order_id=neighbour, volunteer_id=world.volunteer_id, reason="破损", now=now)
    with pytest.raises(WrongState), unit_of_work(engine) as session:
        move_order(session, order_id=neighbour, slot_code="F1-03", volunteer_id=world.volunteer_id, now=now)
    with unit_of_work(engine) as session:
        assert [e.action for e in order_history(session, order_id=chilled)] == ["order.created", "order.received"]


def test_shelve_delivery_moves_only_that_days_checked_in_bags(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    received = add_order(engine, world, now=now, number="A1", code="101")
    handed = add_order(engine, world, now=now, number="A2", code="102")
    expected = add_order(engine, world, now=now, number="A3", code="103")
    other_day = add_order(engine, world, now=now + dt.timedelta(days=1), number="A4", code="104")
    with unit_of_work(engine) as session:
        for order_id in (received, handed):
            receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        # Tomorrow's bag came a day early and the volunteer said so.
        receive_order(session, order_id=other_day, volunteer_id=world.volunteer_id, now=now, early=True)
        hand_over(session, order_id=handed, volunteer_id=world.volunteer_id, now=now)
        assert (
            shelve_delivery(
                session, site_id=world.site_id, delivery_date=now.date(), volunteer_id=world.volunteer_id, now=now
            )
            == 1
        )
        assert (
            shelve_delivery(
                session, site_id=world.site_id, delivery_date=now.date(), volunteer_id=world.volunteer_id, now=now
            )
            == 0
        )
    assert [_slot_and_status(engine, oid)[1] for oid in (received, handed, expected, other_day)] == [
        "shelved",
        "picked_up",
        "expected",
        "received",
    ]


def test_undo_receive_makes_the_order_expected_again_and_frees_its_slot(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    wrong = add_order(engine, world, now=now, number="A1", code="101")
    right = add_order(engine, world, now=now, number="A2", code="102")
    with unit_of_work(engine) as session:
        assert receive_order(session, order_id=wrong, volunteer_id=world.volunteer_id, now=now) == "S1-01"
    with unit_of_work(engine) as session:
        undo_receive(session, order_id=wrong, volunteer_id=world.volunteer_id, now=now + dt.timedelta(seconds=90))

    assert _slot_and_status(engine, wrong) == (None, "expected")
    with unit_of_work(engine) as session:
        assert session.get(Order, wrong).received_at is None
        events = order_history(session, order_id=wrong)
        assert [e.action for e in events] == ["order.created", "order.received", "order.receive_undone"]
        assert (events[-1].before["slot"], events[-1].after["status"]) == ("S1-01", "expected")
        # The freed slot is the next bag's, and the undone bag can be checked in again.
        assert receive_order(session, order_id=right, volunteer_id=world.volunteer_id, now=now) == "S1-01"
        assert receive_order(session, order_id=wrong, volunteer_id=world.volunteer_id, now=now) == "S1-02"


def test_a_bag_of_a_later_delivery_day_is_checked_in_only_when_the_volunteer_says_it_came_early(
    engine: Engine, now: dt.datetime
) -> None:
    # Tomorrow's bag scanned this morning (a code from tomorrow's label sheet, or a bag truly come a day early):
    # refused with its day, left expected and without a slot, until the volunteer says it is here.
    world = make_world(engine, now=now)
    tomorrows = add_order(engine, world, now=now + dt.timedelta(days=1), number="A1", code="301")
    with pytest.raises(NotDueYet) as refused, unit_of_work(engine) as session:
        receive_order(session, order_id=tomorrows, volunteer_id=world.volunteer_id, now=now)
    assert refused.value.key == "error.delivery_not_due"
    assert refused.value.params == {"code": "301", "day": (now + dt.timedelta(days=1)).date()}
    assert _slot_and_status(engine, tomorrows) == (None, "expected")

    with unit_of_work(engine) as session:
        assert receive_order(session, order_id=tomorrows, volunteer_id=world.volunteer_id, now=now, early=True) == (
            "S1-01"
        )
        events = order_history(session, order_id=tomorrows)
    assert _slot_and_status(engine, tomorrows) == ("S1-01", "received")
    assert events[-1].action == "order.received" and events[-1].after["early"] is True
    # On its own day the bag needs no answer, and its event says nothing about coming early.
    on_time = add_order(engine, world, now=now, number="A2", code="302")
    with unit_of_work(engine) as session:
        receive_order(session, order_id=on_time, volunteer_id=world.volunteer_id, now=now)
        assert "early" not in order_history(session, order_id=on_time)[-1].after


def test_undo_receive_refusals(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    late = add_order(engine, world, now=now, number="A1", code="101")
    shelved = add_order(engine, world, now=now, number="A2", code="102")
    never = add_order(engine, world, now=now, number="A3", code="103")
    with unit_of_work(engine) as session:
        for order_id in (late, shelved):
            receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        shelve_order(session, order_id=shelved, volunteer_id=world.volunteer_id, now=now)

    with pytest.raises(WrongState) as expired, unit_of_work(engine) as session:
        undo_receive(
            session, order_id=late, volunteer_id=world.volunteer_id, now=now + dt.timedelta(minutes=2, seconds=1)
        )
    assert expired.value.key == "error.undo_expired"
    for order_id, status in ((shelved, "shelved"), (never, "expected")):
        with pytest.raises(WrongState) as refused, unit_of_work(engine) as session:
            undo_receive(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        assert refused.value.params == {"status": status}
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        undo_receive(session, order_id=999_999, volunteer_id=world.volunteer_id, now=now)
    assert [_slot_and_status(engine, oid) for oid in (late, shelved, never)] == [
        ("S1-01", "received"),
        ("S1-02", "shelved"),
        (None, "expected"),
    ]
