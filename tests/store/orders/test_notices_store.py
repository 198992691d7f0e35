"""db.orders.notices: today's arrivals and the overdue reminder by building, masked as a group chat writes names,
with nothing that opens a bag at the desk and nothing a chat app makes tappable; and the record that a notice (the
estate's or one building's) was copied, on its bags only (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import Engine, select, update

from db.core.engine import read_only, unit_of_work
from db.core.errors import InvalidValue, NotFound
from db.core.models import Event, Order, Site
from db.core.privacy import mask_given_name
from db.orders.calls import last_contacts
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from db.orders.notices import (
    TOLD_ACTION,
    NoticeLine,
    arrivals_notice,
    overdue_notice,
    plain_for_chat,
    record_notice_copied,
)
from db.people.site_rules import add_closed_days
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
        building: [(line.masked_name, line.storage_class) for line in lines]
        for building, lines in notice.buildings.items()
    }
    # The town's o8 (the 25th) is a problem and o9 not checked in: neither is ready to collect.
    assert shown == {"3号": [("赵*", "ambient")], "12号": [("王*英", "ambient")], "": [("欧**娜", "ambient")]}
    assert list(notice.buildings) == ["3号", "12号", ""]
    assert {line.collect_by for lines in notice.buildings.values() for line in lines} == {D(2026, 11, 27)}
    assert len(notice.order_ids) == 3


def test_the_overdue_reminder(engine: Engine, town: Town):
    with read_only(engine) as session:
        notice = overdue_notice(session, site_id=town.site_id, now=NOW)
    # 孙八 (the 20th, building 12) and the town's o7 (the 21st, no address).
    assert {
        building: [(line.masked_name, line.collect_by) for line in lines]
        for building, lines in notice.buildings.items()
    } == {"12号": [("孙*", D(2026, 11, 22))], "": [("李*", D(2026, 11, 23))]}


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


def add_ready(engine: Engine, town: Town, *, number: str, name: str, address: str, storage_class: str = "chilled"):
    with unit_of_work(engine) as session:
        order = create_order(
            session,
            site_id=town.site_id,
            platform="多多买菜",
            order_number=number,
            pickup_code=f"7-{number}",
            resident_name=name,
            phone="13912345678",
            address=address,
            delivery_date=D(2026, 11, 25),
            items=[ItemSpec("米", 1, storage_class)],
            now=at(25, 7),
        )
        receive_order(session, order_id=order.id, volunteer_id=town.organizer_id, now=at(25, 8))
        return order.id


def test_a_group_text_carries_no_key_to_a_bag(engine: Engine, town: Town):
    with read_only(engine) as session:
        notices = [
            arrivals_notice(session, site_id=town.site_id, day=D(2026, 11, 25)),
            overdue_notice(session, site_id=town.site_id, now=NOW),
        ]
        codes_and_tails = session.execute(select(Order.pickup_code, Order.phone_tail)).all()
    # What a line may say: the masked name, the storage class, the collect-by day (and the bag's id, to record it).
    assert {field.name for field in dataclasses.fields(NoticeLine)} == {
        "order_id",
        "masked_name",
        "storage_class",
        "collect_by",
    }
    for notice in notices:
        assert notice.order_ids
        lines = [line for lines in notice.buildings.values() for line in lines]
        said = [notice.site_name, *notice.buildings, *(closed.note for closed in notice.closed_days)]
        said += [line.masked_name for line in lines]
        assert not [value for row in codes_and_tails for value in row if any(value in text for text in said)]


def test_addresses_as_typed_make_the_buildings_and_the_unreadable_go_last(engine: Engine, town: Town):
    for number, (name, address) in enumerate(
        (
            ("吴一", "娄山关路88号天山二村7号楼"),
            ("吴二", "12-501"),
            ("吴三", "十二号"),
            ("吴四", "娄山关路88号"),
            ("吴五", "７幢３０１"),
            ("吴六", "3楼301"),
        )
    ):
        add_ready(engine, town, number=f"w{number}", name=name, address=address)
    with read_only(engine) as session:
        notice = arrivals_notice(session, site_id=town.site_id, day=D(2026, 11, 25))
    assert {building: sorted(line.masked_name for line in lines) for building, lines in notice.buildings.items()} == {
        "3号": ["赵*"],
        "7号": ["吴*", "吴*"],
        "12号": ["吴*", "吴*", "王*英"],
        "": ["吴*", "吴*", "欧**娜"],
    }
    assert list(notice.buildings) == ["3号", "7号", "12号", ""]


def test_one_buildings_copy_records_its_bags_only(engine: Engine, town: Town):
    with read_only(engine) as session:
        notice = arrivals_notice(session, site_id=town.site_id, day=D(2026, 11, 25))
    building = notice.of_building("12号")
    assert (list(building.buildings), building.site_name, building.hours) == (["12号"], "天山二村", notice.hours)
    with unit_of_work(engine) as session:
        count = record_notice_copied(
            session,
            site_id=town.site_id,
            kind="arrivals",
            order_ids=building.order_ids,
            volunteer_id=town.organizer_id,
            now=at(25, 10),
        )
    with read_only(engine) as session:
        contacts = last_contacts(session, order_ids=notice.order_ids)
        told = session.scalars(select(Event.entity_id).where(Event.action == TOLD_ACTION)).all()
    assert count == 1
    assert told == building.order_ids
    assert {order_id for order_id, contact in contacts.items() if contact.told is not None} == set(building.order_ids)


HOSTILE = "http://evil.example.com/领奖 www.evil.cn a@evil.cn 13812345678"


def test_data_in_a_notice_is_plain_for_a_chat_app(engine: Engine, town: Town):
    with unit_of_work(engine) as session:
        session.execute(update(Site).where(Site.id == town.site_id).values(name=f"天山二村 {HOSTILE}"))
        add_closed_days(
            session,
            site_id=town.site_id,
            first=D(2026, 11, 26),
            note=f"咨询 021-6234-5678 {HOSTILE}",
            actor_id=town.organizer_id,
            now=NOW,
        )
    add_ready(engine, town, number="h", name="https://t.cn/x", address="12号")
    with read_only(engine) as session:
        notice = arrivals_notice(session, site_id=town.site_id, day=D(2026, 11, 25))
    said = [notice.site_name, *(closed.note for closed in notice.closed_days)]
    said += [line.masked_name for lines in notice.buildings.values() for line in lines]
    assert notice.site_name.startswith("天山二村 http:[//]evil[.]example[.]com/领奖 www[.]evil[.]cn a[at]evil[.]cn")
    assert [closed.note for closed in notice.closed_days] == [
        "咨询 021·6234·5678 http:[//]evil[.]example[.]com/领奖 www[.]evil[.]cn a[at]evil[.]cn 138·1234·5678"
    ]
    for text in said:
        assert "://" not in text and "@" not in text and ".c" not in text
        assert not any(run for run in text.replace("·", " ").split() if sum(char.isdigit() for char in run) >= 5)


@pytest.mark.parametrize(
    ("data", "plain"),
    [
        ("天山二村", "天山二村"),
        ("社区活动 <b>", "社区活动 <b>"),
        ("春节休息，2月1日起正常营业（10:00-12:00）", "春节休息，2月1日起正常营业（10:00-12:00）"),
        ("http://evil.com/a", "http:[//]evil[.]com/a"),
        ("ｈｔｔｐｓ：／／ｅｖｉｌ．ｃｏｍ", "https:[//]evil[.]com"),
        ("WWW.EVIL.COM", "WWW[.]EVIL[.]COM"),
        ("bit.ly/abc", "bit[.]ly/abc"),
        ("evil。com", "evil[.]com"),
        ("evil｡com", "evil[.]com"),
        ("//localhost:8080/x", "[//]localhost:8080/x"),
        ("weixin://dl/chat", "weixin:[//]dl/chat"),
        ("x.y@mail.cn", "x[.]y[at]mail[.]cn"),
        ("13812345678", "138·1234·5678"),
        ("１３８１２３４５６７８", "138·1234·5678"),
        ("+86 138 1234 5678", "+86·138·1234·5678"),
        ("(021) 6234-5678", "(021·6234·5678"),
        ("热线 95588", "热线 9·5588"),
        ("tel:13800000000", "tel:138·0000·0000"),
        ("2026-12-01", "2026·12·01"),
        ("12号楼 1234", "12号楼 1234"),
    ],
)
def test_plain_for_chat_breaks_what_a_chat_app_would_tap(data: str, plain: str):
    assert plain_for_chat(data) == plain
