"""db.orders.calls: the overdue call list by building, oldest first, phones whole only when revealed, and call
outcomes as events (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from db.core.engine import read_only, unit_of_work
from db.core.errors import InvalidValue, NotFound
from db.core.models import Event, Order
from db.orders.calls import CALL_ACTION, last_calls, list_overdue_calls, record_call
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from tests.support.town import NOW, D, Town, at, build_town

# (name, phone, address, delivery day): all received on their day; the town's hold is 3 days, so on the 25th
# bags delivered before the 23rd are overdue.
RESIDENTS = (
    ("王秀英", "13900000001", "天山二村12号302室", 20),
    ("王秀英", "13900000001", "天山二村12号302室", 22),
    ("赵六", "13900000002", "3号楼101", 21),
    ("钱七", "13900000003", "", 19),
    ("孙八", "13900000004", "5号", 23),  # collect by the 25th: not overdue yet
)


@pytest.fixture
def town(engine: Engine) -> Town:
    town = build_town(engine)
    for number, (name, phone, address, day) in enumerate(RESIDENTS):
        with unit_of_work(engine) as session:
            order = create_order(
                session,
                site_id=town.site_id,
                platform="多多买菜",
                order_number=f"c{number}",
                pickup_code=f"5-{number}",
                resident_name=name,
                phone=phone,
                address=address,
                delivery_date=D(2026, 11, day),
                items=[ItemSpec("米", 1, "ambient")],
                now=at(day, 7),
            )
            receive_order(session, order_id=order.id, volunteer_id=town.organizer_id, now=at(day, 8, number))
    return town


def calls(engine: Engine, town: Town, *, reveal_phone: bool):
    with read_only(engine) as session:
        return list_overdue_calls(session, site_id=town.site_id, now=NOW, reveal_phone=reveal_phone)


def test_residents_by_building_then_oldest_bag_first(engine: Engine, town: Town):
    found = calls(engine, town, reveal_phone=True)
    assert [(resident.building, resident.resident_name) for resident in found] == [
        ("3号", "赵六"),
        ("12号", "王秀英"),
        ("", "钱七"),  # no building: last, oldest first
        ("", "李四"),  # the town's o7, delivered the 21st
    ]
    wang = found[1]
    assert wang.phone == "13900000001" and wang.phone_is_whole
    assert [(bag.pickup_code, bag.delivery_date, bag.days_overdue) for bag in wang.bags] == [
        ("5-0", D(2026, 11, 20), 3),
        ("5-1", D(2026, 11, 22), 1),
    ]
    assert all(bag.slot_code for resident in found for bag in resident.bags)
    assert wang.oldest_delivery == D(2026, 11, 20) and wang.most_days_overdue == 3


def test_volunteers_get_names_and_phones_masked(engine: Engine, town: Town):
    found = calls(engine, town, reveal_phone=False)
    assert [(resident.resident_name, resident.phone, resident.phone_is_whole) for resident in found][:2] == [
        ("赵*", "139****0002", False),
        ("王**", "139****0001", False),
    ]
    assert not any("13900000001" in repr(resident) for resident in found)


def test_a_call_is_an_event_on_each_bag_and_the_last_one_shows(engine: Engine, town: Town):
    wang = calls(engine, town, reveal_phone=True)[1]
    bag_ids = [bag.order_id for bag in wang.bags]
    with unit_of_work(engine) as session:
        assert (
            record_call(
                session,
                site_id=town.site_id,
                order_ids=bag_ids,
                outcome="no_answer",
                note="",
                volunteer_id=town.organizer_id,
                now=at(25, 9),
            )
            == 2
        )
    with unit_of_work(engine) as session:
        record_call(
            session,
            site_id=town.site_id,
            order_ids=bag_ids[:1],
            outcome="see_note",
            note="  女儿下午来取  ",
            volunteer_id=town.organizer_id,
            now=at(25, 9, 30),
        )
    with read_only(engine) as session:
        latest = last_calls(session, order_ids=bag_ids)
        events = session.scalars(select(Event).where(Event.action == CALL_ACTION).order_by(Event.id)).all()
    assert (latest[bag_ids[0]].outcome, latest[bag_ids[0]].note) == ("see_note", "女儿下午来取")
    assert latest[bag_ids[0]].called_by == "李主任" and latest[bag_ids[0]].called_at == at(25, 9, 30)
    assert (latest[bag_ids[1]].outcome, latest[bag_ids[1]].called_at) == ("no_answer", at(25, 9))
    assert [event.entity_id for event in events] == [*bag_ids, bag_ids[0]]
    shown = calls(engine, town, reveal_phone=False)[1]
    assert [bag.last_call.outcome for bag in shown.bags] == ["see_note", "no_answer"]


def test_a_call_needs_a_known_outcome_a_note_for_other_and_bags_of_the_site(engine: Engine, town: Town):
    with read_only(engine) as session:
        other_site_bag = session.scalar(select(Order.id).where(Order.site_id == town.other_site_id))
        own_bag = session.scalar(select(Order.id).where(Order.order_number == "c0"))
    cases = (
        ({"outcome": "shouted"}, InvalidValue, "error.call_outcome_unknown"),
        ({"outcome": "see_note", "note": "   "}, InvalidValue, "error.call_note_required"),
        ({"outcome": "see_note", "note": "长" * 201}, InvalidValue, "error.call_note_too_long"),
        ({"order_ids": [other_site_bag]}, NotFound, "error.order_not_found"),
        ({"order_ids": [own_bag, other_site_bag]}, NotFound, "error.order_not_found"),
        ({"order_ids": []}, NotFound, "error.order_not_found"),
    )
    for change, error, key in cases:
        arguments = {"order_ids": [own_bag], "outcome": "coming_today", "note": ""} | change
        with pytest.raises(error) as raised, unit_of_work(engine) as session:
            record_call(session, site_id=town.site_id, volunteer_id=town.organizer_id, now=NOW, **arguments)
        assert raised.value.key == key
    with read_only(engine) as session:
        assert session.scalar(select(Event.id).where(Event.action == CALL_ACTION)) is None


def test_a_storage_class_lists_only_the_residents_with_overdue_bags_of_that_class(engine: Engine, town: Town):
    with unit_of_work(engine) as session:
        order = create_order(
            session,
            site_id=town.site_id,
            platform="多多买菜",
            order_number="frozen-1",
            pickup_code="5-9",
            resident_name="周九",
            phone="13900000009",
            address="7号楼",
            delivery_date=D(2026, 11, 20),
            items=[ItemSpec("饺子", 1, "frozen")],
            now=at(20, 7),
        )
        receive_order(session, order_id=order.id, volunteer_id=town.organizer_id, now=at(20, 8, 30))
    with read_only(engine) as session:
        frozen = list_overdue_calls(session, site_id=town.site_id, now=NOW, reveal_phone=True, storage_class="frozen")
        ambient = list_overdue_calls(session, site_id=town.site_id, now=NOW, reveal_phone=True, storage_class="ambient")
    assert [(resident.resident_name, [bag.pickup_code for bag in resident.bags]) for resident in frozen] == [
        ("周九", ["5-9"])
    ]
    assert "周九" not in [resident.resident_name for resident in ambient] and len(ambient) == 4
