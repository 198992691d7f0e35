"""Order transitions and their refusals, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from db.core.engine import make_engine, unit_of_work
from db.core.errors import AlreadyHandedOver, DuplicateValue, InvalidValue, NoFreeSlot, WrongState
from db.core.models import Order
from db.core.typed import normalize_phone
from db.orders.lifecycle import (
    ItemSpec,
    collect_by,
    count_orders_by_status,
    create_order,
    find_orders,
    hand_over,
    receive_order,
    report_problem,
    return_order,
    shelve_order,
    undo_hand_over,
)
from tests.support.store import add_order, make_world, run_at_once
from tests.support.store_reads import order_history


def _status(engine: Engine, order_id: int) -> str:
    with unit_of_work(engine) as session:
        return session.get(Order, order_id).status


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("021-62345678", "02162345678"),
    ],
)
def test_normalize_phone(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_full_lifecycle_writes_events(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="1001", classes=("ambient", "chilled"))
    with unit_of_work(engine) as session:
        slot = receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        shelve_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
    assert slot == "F1-01"  # one chilled item sends the bag to the fridge
    with unit_of_work(engine) as session:
        order = session.get(Order, order_id)
        assert (order.status, order.picked_up_by, order.phone, order.phone_tail) == (
            "picked_up",
            world.volunteer_id,
            "13800138000",
            "8000",
        )
        actions = [event.action for event in order_history(session, order_id=order_id)]
    assert actions == ["order.created", "order.received", "order.shelved", "order.picked_up"]


def test_slotting_picks_the_coldest_class_and_refuses_a_full_unit(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    frozen = add_order(engine, world, now=now, number="A1", code="1", classes=("ambient", "chilled", "frozen"))
    second_frozen = add_order(engine, world, now=now, number="A2", code="2", classes=("frozen",))
    shelf = add_order(engine, world, now=now, number="A3", code="3")
    with unit_of_work(engine) as session:
        assert receive_order(session, order_id=frozen, volunteer_id=world.volunteer_id, now=now) == "Z1-01"
        assert receive_order(session, order_id=shelf, volunteer_id=world.volunteer_id, now=now) == "S1-01"
    with pytest.raises(NoFreeSlot), unit_of_work(engine) as session:
        receive_order(session, order_id=second_frozen, volunteer_id=world.volunteer_id, now=now)
    assert _status(engine, second_frozen) == "expected"


def test_hand_over_twice_names_who_and_when(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="1001")
    with unit_of_work(engine) as session:
        receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
    with pytest.raises(AlreadyHandedOver) as refused, unit_of_work(engine) as session:
        hand_over(session, order_id=order_id, volunteer_id=world.other_volunteer_id, now=now)
    # The store gives the moment; the message shows it on the site's clock (10:00 in Shanghai).
    assert refused.value.params == {"at": now, "volunteer": "王阿姨"}


def test_refusals_from_wrong_states(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="1001")
    for operation in (hand_over, shelve_order, undo_hand_over):
        with pytest.raises(WrongState), unit_of_work(engine) as session:
            operation(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
    with pytest.raises(WrongState), unit_of_work(engine) as session:
        return_order(session, order_id=order_id, volunteer_id=world.volunteer_id, reason="超期", now=now)
    with pytest.raises(InvalidValue), unit_of_work(engine) as session:
        report_problem(session, order_id=order_id, volunteer_id=world.volunteer_id, reason=" ", now=now)
    assert _status(engine, order_id) == "expected"


def test_undo_within_two_minutes_restores_the_slot(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="1001")
    late_id = add_order(engine, world, now=now, number="A2", code="1002")
    with unit_of_work(engine) as session:
        for oid in (order_id, late_id):
            receive_order(session, order_id=oid, volunteer_id=world.volunteer_id, now=now)
            shelve_order(session, order_id=oid, volunteer_id=world.volunteer_id, now=now)
            hand_over(session, order_id=oid, volunteer_id=world.volunteer_id, now=now)
        undo_hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now + dt.timedelta(seconds=110))
    with pytest.raises(WrongState) as expired, unit_of_work(engine) as session:
        undo_hand_over(
            session, order_id=late_id, volunteer_id=world.volunteer_id, now=now + dt.timedelta(minutes=2, seconds=1)
        )
    assert expired.value.key == "error.undo_expired"
    with unit_of_work(engine) as session:
        order = session.get(Order, order_id)
        assert (order.status, order.slot.code, order.picked_up_at) == ("shelved", "S1-01", None)
        assert order_history(session, order_id=order_id)[-1].action == "order.hand_over_undone"


def test_returned_and_problem_bags_free_their_slots(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now, shelf_slots=1)
    first = add_order(engine, world, now=now, number="A1", code="1")
    second = add_order(engine, world, now=now, number="A2", code="2")
    third = add_order(engine, world, now=now, number="A3", code="3")
    with unit_of_work(engine) as session:
        receive_order(session, order_id=first, volunteer_id=world.volunteer_id, now=now)
        return_order(session, order_id=first, volunteer_id=world.volunteer_id, reason="超过保管期", now=now)
        assert receive_order(session, order_id=second, volunteer_id=world.volunteer_id, now=now) == "S1-01"
        report_problem(session, order_id=second, volunteer_id=world.volunteer_id, reason="袋子破损", now=now)
        assert receive_order(session, order_id=third, volunteer_id=world.volunteer_id, now=now) == "S1-01"
        assert count_orders_by_status(session, site_id=world.site_id) == {"returned": 1, "problem": 1, "received": 1}


def test_create_order_refuses_duplicates_and_bad_values(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    add_order(engine, world, now=now, number="A1", code="1001")

    def create(**changes: object) -> None:
        values = dict(
            site_id=world.site_id,
            platform="多多买菜",
            order_number="A9",
            pickup_code="9999",
            resident_name="李四",
            phone="13800138000",
            delivery_date=now.date(),
            items=[ItemSpec("大米", 1, "ambient")],
            now=now,
        )
        values.update(changes)
        with unit_of_work(engine) as session:
            create_order(session, **values)

    with pytest.raises(DuplicateValue, match="order_exists"):
        create(order_number="A1")
    with pytest.raises(DuplicateValue, match="pickup_code_in_use"):
        create(pickup_code="1001")
    with pytest.raises(InvalidValue, match="quantity_range"):
        create(items=[ItemSpec("大米", 0, "ambient")])
    with pytest.raises(InvalidValue, match="storage_class_unknown"):
        create(items=[ItemSpec("大米", 1, "warm")])
    with pytest.raises(InvalidValue, match="phone_format"):
        create(phone="12")
    with pytest.raises(InvalidValue, match="order_without_items"):
        create(items=[])


def test_two_tablets_hand_over_one_bag_exactly_one_wins(database_url: str, now: dt.datetime) -> None:
    """Two threads, two connections, the same bag: the store lets exactly one handover through."""
    from db.core.migrate import upgrade_to_head

    engine = make_engine(database_url)
    upgrade_to_head(engine)
    world = make_world(engine, now=now)
    order_ids = [add_order(engine, world, now=now, number=f"A{i}", code=str(1000 + i)) for i in range(3)]
    with unit_of_work(engine) as session:
        for order_id in order_ids:
            receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
    for order_id in order_ids:

        def tablet(volunteer_id: int, order_id: int = order_id) -> str:
            with unit_of_work(engine) as session:
                hand_over(session, order_id=order_id, volunteer_id=volunteer_id, now=now)
            return "won"

        outcomes = run_at_once(lambda: tablet(world.volunteer_id), lambda: tablet(world.other_volunteer_id))
        assert sorted(map(type, outcomes), key=str) == sorted([str, AlreadyHandedOver], key=str), outcomes
        with unit_of_work(engine) as session:
            handovers = [e for e in order_history(session, order_id=order_id) if e.action == "order.picked_up"]
        assert len(handovers) == 1
    engine.dispose()


def test_find_by_code_phone_tail_name_and_qr(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="A-1001", classes=("chilled",))
    add_order(engine, world, now=now, number="A2", code="2002")
    with unit_of_work(engine) as session:
        # Checked in four days before today's delivery date: a bag that came early (the volunteer said so), so it
        # has been held four days and is not overdue.
        receive_order(
            session, order_id=order_id, volunteer_id=world.volunteer_id, now=now - dt.timedelta(days=4), early=True
        )

        def codes(text: str) -> list[str]:
            return [f.pickup_code for f in find_orders(session, site_id=world.site_id, text=text, now=now, hold_days=3)]

        assert codes("a-1001") == ["A-1001"]
        assert codes(" ８０００ ") == ["2002", "A-1001"]  # full-width phone tail
        assert codes("李") == ["2002", "A-1001"]
        assert codes("CB1:TS2:2002") == ["2002"]
        assert codes("9999") == codes("") == codes("%") == []
        found = find_orders(session, site_id=world.site_id, text="A-1001", now=now, hold_days=3)[0]
    assert (found.slot, found.resident_name, found.phone, found.item_count, found.days_held, found.overdue) == (
        "F1-01",
        "李*",
        "138****8000",
        1,
        4,
        False,
    )


def test_the_desk_finds_a_problem_bag_by_code_or_phone_tail_but_not_by_name(engine: Engine, now: dt.datetime) -> None:
    """A resident asking for a bag reported damaged hears so at the desk; the name search lists waiting bags only."""
    world = make_world(engine, now=now)
    broken = add_order(engine, world, now=now, number="A1", code="A-1001")
    add_order(engine, world, now=now, number="A2", code="2002")
    with unit_of_work(engine) as session:
        report_problem(session, order_id=broken, volunteer_id=world.volunteer_id, reason="袋子破损", now=now)

        def found(text: str) -> list[tuple[str, str]]:
            hits = find_orders(session, site_id=world.site_id, text=text, now=now, hold_days=3)
            return [(hit.pickup_code, hit.status) for hit in hits]

        assert found("a-1001") == [("A-1001", "problem")]
        assert found("8000") == [("2002", "expected"), ("A-1001", "problem")]
        assert found("李") == [("2002", "expected")]


def test_overdue_counts_the_delivery_day_as_day_one(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now - dt.timedelta(days=3), number="A1", code="1001")
    with unit_of_work(engine) as session:
        receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        for hold_days, overdue in [(3, True), (4, False)]:
            found = find_orders(session, site_id=world.site_id, text="1001", now=now, hold_days=hold_days)
            assert found[0].overdue is overdue
    assert collect_by(delivery_date=dt.date(2026, 11, 22), hold_days=3) == dt.date(2026, 11, 24)
