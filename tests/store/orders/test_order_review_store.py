"""The organizer's order list, detail, corrections, bulk returns and slot list, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from db.cold_chain.units import find_free_slot
from db.core.clock import local_today
from db.core.engine import unit_of_work
from db.core.errors import AlreadyHandedOver, InvalidValue, NotFound, WrongState
from db.core.models import Order
from db.orders.lifecycle import ItemSpec, create_order, hand_over, receive_order
from db.orders.review import (
    OrderFilter,
    correct_order,
    count_orders,
    days_overdue,
    get_order_detail,
    list_orders,
    list_platforms,
    list_slot_bags,
    return_orders,
)
from db.people.sites import create_site
from db.reports.figures import overdue_cutoff
from tests.support.store import World, make_world
from ui.exports import escape_formula, frame_to_csv_bytes, frame_to_xlsx_bytes


def add(
    engine: Engine,
    world: World,
    *,
    now: dt.datetime,
    number: str,
    delivered: dt.date,
    classes: tuple[str, ...] = ("ambient",),
    platform: str = "多多买菜",
    address: str = "",
    name: str = "李四",
    receive: bool = False,
) -> int:
    with unit_of_work(engine) as session:
        order = create_order(
            session,
            site_id=world.site_id,
            platform=platform,
            order_number=number,
            pickup_code=number,
            resident_name=name,
            phone="13800138000",
            delivery_date=delivered,
            address=address,
            items=[ItemSpec(f"商品{i}", 1, c) for i, c in enumerate(classes)],
            now=now,
        )
        if receive:
            receive_order(session, order_id=order.id, volunteer_id=world.volunteer_id, now=now)
        return order.id


def days_ago(now: dt.datetime, days: int) -> dt.date:
    return local_today(now) - dt.timedelta(days=days)


def test_overdue_is_derived_from_hold_days() -> None:
    today = dt.date(2026, 11, 25)
    # Hold 3 days: delivered the 22nd, collect by the 24th; overdue from the 25th.
    assert overdue_cutoff(day=today, hold_days=3) == dt.date(2026, 11, 23)
    assert days_overdue(delivery_date=dt.date(2026, 11, 22), hold_days=3, today=today) == 1
    assert days_overdue(delivery_date=dt.date(2026, 11, 23), hold_days=3, today=today) == 0
    assert days_overdue(delivery_date=dt.date(2026, 11, 20), hold_days=1, today=today) == 5


def test_filters_run_in_sql_with_paging(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now, fridge_slots=3, shelf_slots=5)
    old = add(engine, world, now=now, number="A1", delivered=days_ago(now, 5), receive=True)
    add(engine, world, now=now, number="A2", delivered=days_ago(now, 1), classes=("chilled",), receive=True)
    add(engine, world, now=now, number="M1", delivered=days_ago(now, 0), platform="美团优选")
    add(engine, world, now=now, number="A3", delivered=days_ago(now, 0), classes=("ambient", "frozen"))

    def numbers(**filters: object) -> list[str]:
        with unit_of_work(engine) as session:
            frame = list_orders(session, site_id=world.site_id, filters=OrderFilter(**filters), now=now)
            assert count_orders(session, site_id=world.site_id, filters=OrderFilter(**filters), now=now) == len(frame)
        return sorted(frame["order_number"])

    assert numbers() == ["A1", "A2", "A3", "M1"]
    assert numbers(delivery_from=days_ago(now, 1)) == ["A2", "A3", "M1"]
    assert numbers(delivery_from=days_ago(now, 5), delivery_to=days_ago(now, 1)) == ["A1", "A2"]
    assert numbers(statuses=("received",)) == ["A1", "A2"]
    assert numbers(platforms=("美团优选",)) == ["M1"]
    assert numbers(storage_classes=("frozen", "chilled")) == ["A2", "A3"]
    assert numbers(overdue_only=True) == ["A1"]
    assert numbers(overdue_only=True, platforms=("美团优选",)) == []
    with unit_of_work(engine) as session:
        assert list_platforms(session, site_id=world.site_id) == ["多多买菜", "美团优选"]
        first = list_orders(session, site_id=world.site_id, filters=OrderFilter(), now=now, limit=3)
        rest = list_orders(session, site_id=world.site_id, filters=OrderFilter(), now=now, limit=3, offset=3)
        overdue = list_orders(session, site_id=world.site_id, filters=OrderFilter(overdue_only=True), now=now)
        whole = list_orders(
            session, site_id=world.site_id, filters=OrderFilter(overdue_only=True), now=now, masked=False
        )
    assert (len(first), len(rest)) == (3, 1)
    # An organizer's unmasked export (recorded by the page) has them whole.
    assert (whole.iloc[0]["resident_name"], whole.iloc[0]["phone"]) == ("李四", "13800138000")
    assert set(first["order_number"]) | set(rest["order_number"]) == {"A1", "A2", "A3", "M1"}
    # Delivered 5 days ago, hold 3 days: collect by 3 days ago, so 3 days overdue; names and phones masked.
    row = overdue.iloc[0]
    assert (row["id"], row["days_overdue"], row["slot"], row["resident_name"], row["phone"]) == (
        old,
        3,
        "S1-01",
        "李*",
        "138****8000",
    )


def test_a_handed_over_bag_is_never_overdue(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add(engine, world, now=now, number="A1", delivered=days_ago(now, 9), receive=True)
    with unit_of_work(engine) as session:
        hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        frame = list_orders(session, site_id=world.site_id, filters=OrderFilter(), now=now)
        assert count_orders(session, site_id=world.site_id, filters=OrderFilter(overdue_only=True), now=now) == 0
    assert (frame.iloc[0]["days_overdue"], frame.iloc[0]["slot"]) == (0, None)


def test_detail_has_the_whole_phone_and_every_event(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add(
        engine,
        world,
        now=now,
        number="A1",
        delivered=days_ago(now, 4),
        address="12号302室",
        classes=("ambient", "chilled"),
        receive=True,
    )
    with unit_of_work(engine) as session:
        detail = get_order_detail(session, site_id=world.site_id, order_id=order_id, now=now)
    assert (detail.phone, detail.resident_name, detail.slot, detail.storage_class, detail.days_overdue) == (
        "13800138000",
        "李四",
        "F1-01",
        "chilled",
        2,
    )
    assert list(detail.items["product"]) == ["商品0", "商品1"]
    assert list(detail.history["action"]) == ["order.created", "order.received"]
    assert list(detail.history["actor"]) == ["", "王阿姨"]
    assert detail.history.iloc[1]["after"]["slot"] == "F1-01"


def test_detail_of_another_sites_order_is_not_found(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add(engine, world, now=now, number="A1", delivered=days_ago(now, 0))
    with unit_of_work(engine) as session:
        other = create_site(session, code="XH1", name="仙霞", now=now).id
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        get_order_detail(session, site_id=other, order_id=order_id, now=now)


def test_corrections_are_checked_like_the_import_and_recorded(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add(engine, world, now=now, number="A1", delivered=days_ago(now, 0))
    with unit_of_work(engine) as session:
        changed = correct_order(
            session,
            site_id=world.site_id,
            order_id=order_id,
            actor_id=world.volunteer_id,
            now=now,
            resident_name="  李 小四 ",
            phone="+86 139-0013-9000",
        )
        assert changed == ["phone", "resident_name"]
        # The same values again change nothing and write no event.
        assert (
            correct_order(
                session,
                site_id=world.site_id,
                order_id=order_id,
                actor_id=world.volunteer_id,
                now=now,
                resident_name="李 小四",
                phone="13900139000",
            )
            == []
        )
    with unit_of_work(engine) as session:
        order = session.get(Order, order_id)
        assert (order.resident_name, order.phone, order.phone_tail) == ("李 小四", "13900139000", "9000")
        detail = get_order_detail(session, site_id=world.site_id, order_id=order_id, now=now)
    assert list(detail.history["action"]) == ["order.created", "order.corrected"]
    assert detail.history.iloc[1]["before"] == {"resident_name": "李四", "phone": "13800138000"}
    for bad, key in (
        (dict(phone="12-34"), "error.phone_format"),
        (dict(resident_name="  "), "error.name_required"),
        (dict(resident_name="名" * 51), "error.name_too_long"),
    ):
        with pytest.raises(InvalidValue) as refused, unit_of_work(engine) as session:
            correct_order(
                session, site_id=world.site_id, order_id=order_id, actor_id=world.volunteer_id, now=now, **bad
            )
        assert refused.value.key == key
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        correct_order(
            session,
            site_id=world.site_id + 1,
            order_id=order_id,
            actor_id=world.volunteer_id,
            now=now,
            phone="13900139000",
        )


def test_bulk_return_frees_slots_and_refuses_each_bag_on_its_own(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now, shelf_slots=2)
    first = add(engine, world, now=now, number="A1", delivered=days_ago(now, 6), receive=True)
    second = add(engine, world, now=now, number="A2", delivered=days_ago(now, 6), receive=True)
    gone = add(engine, world, now=now, number="A3", delivered=days_ago(now, 6), classes=("chilled",), receive=True)
    expected = add(engine, world, now=now, number="A4", delivered=days_ago(now, 0))
    with unit_of_work(engine) as session:
        hand_over(session, order_id=gone, volunteer_id=world.volunteer_id, now=now)
    with pytest.raises(InvalidValue), unit_of_work(engine) as session:
        return_orders(
            session, site_id=world.site_id, order_ids=[first], reason=" ", volunteer_id=world.volunteer_id, now=now
        )
    with unit_of_work(engine) as session:
        outcome = return_orders(
            session,
            site_id=world.site_id,
            order_ids=[first, gone, second, expected, 999_999],
            reason="超过保管期",
            volunteer_id=world.volunteer_id,
            now=now,
        )
    assert outcome.returned == ["A1", "A2"]
    assert [(code, type(error), error.key) for code, error in outcome.refused] == [
        ("A3", AlreadyHandedOver, "error.already_handed_over"),
        ("A4", WrongState, "error.wrong_state"),
        ("999999", NotFound, "error.order_not_found"),
    ]
    with unit_of_work(engine) as session:
        assert [session.get(Order, i).status for i in (first, second, gone, expected)] == [
            "returned",
            "returned",
            "picked_up",
            "expected",
        ]
        # Both shelf slots are free again.
        assert find_free_slot(session, site_id=world.site_id, storage_class="ambient").code == "S1-01"
        history = get_order_detail(session, site_id=world.site_id, order_id=first, now=now).history
        assert history.iloc[-1]["after"]["reason"] == "超过保管期"
        assert count_orders(session, site_id=world.site_id, filters=OrderFilter(overdue_only=True), now=now) == 0


def test_slot_list_by_slot_and_by_building(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now, shelf_slots=4)
    add(
        engine,
        world,
        now=now,
        number="A1",
        delivered=days_ago(now, 0),
        address="12号302室",
        name="王秀英",
        receive=True,
    )
    add(engine, world, now=now, number="A2", delivered=days_ago(now, 0), address="3号101室", receive=True)
    add(engine, world, now=now, number="A3", delivered=days_ago(now, 0), address="", receive=True)
    add(engine, world, now=now, number="A4", delivered=days_ago(now, 0), address="3号502室", receive=True)
    add(engine, world, now=now, number="A5", delivered=days_ago(now, 0), address="1号")  # not received: no slot
    with unit_of_work(engine) as session:
        by_slot = list_slot_bags(session, site_id=world.site_id, now=now)
        by_building = list_slot_bags(session, site_id=world.site_id, now=now, by="building")
        with pytest.raises(InvalidValue):
            list_slot_bags(session, site_id=world.site_id, now=now, by="name")
    assert list(by_slot["slot"]) == ["S1-01", "S1-02", "S1-03", "S1-04"]
    assert list(by_slot["pickup_code"]) == ["A1", "A2", "A3", "A4"]
    assert by_slot.iloc[0]["resident_name"] == "王**"
    assert list(by_building["building"]) == ["3号", "3号", "12号", ""]
    assert list(by_building["slot"]) == ["S1-02", "S1-04", "S1-01", "S1-03"]
    assert by_building.columns[0] == "building"


@pytest.mark.parametrize("value", ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_escape_formula_defuses_each_prefix(value: str) -> None:
    assert escape_formula(value) == "'" + value


def test_exported_orders_have_formula_cells_escaped(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    add(engine, world, now=now, number="A1", delivered=days_ago(now, 0), address='=HYPERLINK("http://x")', name="@李四")
    with unit_of_work(engine) as session:
        frame = list_orders(session, site_id=world.site_id, filters=OrderFilter(), now=now)
    text = frame_to_csv_bytes(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@**" in text
    sheet = load_workbook(io.BytesIO(frame_to_xlsx_bytes(frame))).active
    cells = [cell.value for row in sheet.iter_rows() for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells and "'@**" in cells
    assert not any(isinstance(cell, str) and cell.startswith(("=", "@")) for cell in cells)
