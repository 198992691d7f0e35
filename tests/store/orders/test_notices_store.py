"""db.orders.notices: today's arrivals and the overdue reminder by building, masked as a group chat writes names,
and the record that a notice was copied (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.core.engine import read_only, unit_of_work
from db.core.errors import InvalidValue, NotFound
from db.core.models import Event, Order
from db.core.privacy import mask_given_name
from db.orders.calls import last_contacts
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from db.orders.notices import TOLD_ACTION, arrivals_notice, overdue_notice, record_notice_copied
from tests.support.town import NOW, D, Town, at, build_town

# (name, phone, address, delivery day, received): on the 25th, hold 3 days.
BAGS = (
    ("王秀英", "13900000001", "天山二村12号302室", 25, True),
    ("赵六", "13900000002", "3号楼101", 25, True),
    ("欧阳娜娜", "13900000003", "", 25, True),
    ("钱七", "13900000004", "5号", 25, False),  # not checked in yet: not announced
    ("孙八", "13900000005", "12号", 20, True),  # overdue
)


@pytest.fixture
def town(engine: Engine) -> Town:
    town = build_town(engine)
    for number, (name, phone, address, day, received) in enumerate(BAGS):
        with unit_of_work(engine) as session:
            order = create_order(
                session,
                site_id=town.site_id,
                platform="多多买菜",
                order_number=f"n{number}",
                pickup_code=f"6-{number}",
                resident_name=name,
                phone=phone,
                address=address,
                delivery_date=D(2026, 11, day),
                items=[ItemSpec("米", 1, "ambient")],
                now=at(day, 7),
            )
            if received:
                receive_order(session, order_id=order.id, volunteer_id=town.organizer_id, now=at(day, 8, number))
    return town


def test_names_are_masked_as_a_group_chat_writes_them():
    assert [mask_given_name(name) for name in ("王秀英", "赵六", "欧阳娜娜", "李", " 周 星 ")] == [
        "王*英",
        "赵*",
        "欧**娜",
        "李",
        "周*星",
    ]


def test_todays_arrivals_by_building(engine: Engine, town: Town):
    with read_only(engine) as session:
        notice = arrivals_notice(session, site_id=town.site_id, day=D(2026, 11, 25))
    assert (notice.kind, notice.site_name, notice.hours.opens_at, notice.hours.closes_at, notice.closed_days) == (
        "arrivals",
        "天山二村",
        dt.time(7, 30),
        dt.time(21, 0),
        [],
    )
    shown = {
        building: [(line.masked_name, line.phone_tail, line.pickup_code, line.slot_code is not None) for line in lines]
        for building, lines in notice.buildings.items()
    }
    # The town's o8 (the 25th) is a problem and o9 not checked in: neither is ready to collect.
    assert shown == {
        "3号": [("赵*", "0002", "6-1", True)],
        "12号": [("王*英", "0001", "6-0", True)],
        "": [("欧**娜", "0003", "6-2", True)],
    }
    assert list(notice.buildings) == ["3号", "12号", ""]
    assert {line.collect_by for lines in notice.buildings.values() for line in lines} == {D(2026, 11, 27)}
    assert len(notice.order_ids) == 3


def test_the_overdue_reminder(engine: Engine, town: Town):
    with read_only(engine) as session:
        notice = overdue_notice(session, site_id=town.site_id, now=NOW)
    # 孙八 (the 20th, building 12) and the town's o7 (the 21st, no address).
    assert {
        building: [(line.pickup_code, line.collect_by) for line in lines]
        for building, lines in notice.buildings.items()
    } == {"12号": [("6-4", D(2026, 11, 22))], "": [("8-O7", D(2026, 11, 23))]}


def test_a_copied_notice_is_recorded_on_each_bag(engine: Engine, town: Town):
    with read_only(engine) as session:
        notice = arrivals_notice(session, site_id=town.site_id, day=D(2026, 11, 25))
    with unit_of_work(engine) as session:
        count = record_notice_copied(
            session,
            site_id=town.site_id,
            kind="arrivals",
            order_ids=notice.order_ids,
            volunteer_id=town.organizer_id,
            now=at(25, 10),
        )
    assert count == 3
    with read_only(engine) as session:
        told = {
            order_id: contact.told
            for order_id, contact in last_contacts(session, order_ids=[*notice.order_ids, 999_999]).items()
        }
        events = session.scalars(select(Event).where(Event.action == TOLD_ACTION)).all()
    assert set(told) == set(notice.order_ids)
    assert {(item.kind, item.told_by, item.told_at) for item in told.values()} == {("arrivals", "李主任", at(25, 10))}
    assert len(events) == 3


def test_a_notice_names_bags_of_its_own_site_only(engine: Engine, town: Town):
    with read_only(engine) as session:
        other = session.scalar(select(Order.id).where(Order.site_id == town.other_site_id))
        own = session.scalar(select(Order.id).where(Order.order_number == "n0"))
    for kind, ids, error in (
        ("arrivals", [other], NotFound),
        ("arrivals", [], NotFound),
        ("gossip", [own], InvalidValue),
    ):
        with pytest.raises(error), unit_of_work(engine) as session:
            record_notice_copied(
                session, site_id=town.site_id, kind=kind, order_ids=ids, volunteer_id=town.organizer_id, now=NOW
            )
    with read_only(engine) as session:
        assert session.scalar(select(Event.id).where(Event.action == TOLD_ACTION)) is None
