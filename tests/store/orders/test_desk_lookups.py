"""Pickup codes are stored as the desk compares them, and the desk searches the bags still on their way."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, event, select

from db.core.engine import make_engine, unit_of_work
from db.core.errors import DuplicateValue
from db.core.migrate import current_heads, downgrade_to, upgrade_to_head
from db.core.models import SLOTTED_ORDER_STATUSES, Order
from db.orders.lifecycle import (
    count_orders_by_status,
    find_expected_order,
    find_orders,
    hand_over,
    normalize_pickup_code,
    receive_order,
    report_problem,
)
from db.orders.rollups import TABLES
from tests.support.store import World, add_order, make_world


def test_one_normalization_for_every_code() -> None:
    assert normalize_pickup_code(" ａｂ-１２\u3000 3\t") == "AB-123"
    assert normalize_pickup_code("") == ""


def test_codes_are_stored_normalized_and_differ_in_more_than_case(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="ａｂ 12")
    with unit_of_work(engine) as session:
        assert session.scalar(select(Order.pickup_code).where(Order.id == order_id)) == "AB12"
        assert [f.id for f in find_orders(session, site_id=world.site_id, text="ab 12", now=now, hold_days=3)] == [
            order_id
        ]
        assert find_expected_order(session, site_id=world.site_id, code="CB1:TS2:ab12").id == order_id
    with pytest.raises(DuplicateValue):
        add_order(engine, world, now=now, number="A2", code="ab12")


def test_the_desk_searches_waiting_bags_newest_first_within_its_limit(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    older = add_order(engine, world, now=now - dt.timedelta(days=1), number="A1", code="1001")
    newer = add_order(engine, world, now=now, number="A2", code="8000")  # its code is the others' phone tail
    newest = add_order(engine, world, now=now, number="A3", code="1003")
    broken = add_order(engine, world, now=now, number="A4", code="1004")
    with unit_of_work(engine) as session:
        report_problem(session, order_id=broken, volunteer_id=world.volunteer_id, reason="袋子破损", now=now)
        receive_order(session, order_id=older, volunteer_id=world.volunteer_id, now=now)

        def ids(text: str, limit: int = 20) -> list[int]:
            found = find_orders(session, site_id=world.site_id, text=text, now=now, hold_days=3, limit=limit)
            return [f.id for f in found]

        # Code and phone tail merged, one hit each; a problem bag is found by code or tail so the desk can say so.
        assert ids("8000") == [broken, newest, newer, older]
        assert ids("李四", limit=2) == [newest, newer]  # a name lists waiting bags only
        assert ids("1004") == [broken]
        found = find_orders(session, site_id=world.site_id, text="1004", now=now, hold_days=3, open_only=False)
        assert [f.id for f in found] == [broken]
        assert count_orders_by_status(session, site_id=world.site_id, statuses=SLOTTED_ORDER_STATUSES) == {
            "received": 1
        }


def test_each_desk_search_is_one_statement_with_slot_and_item_count(engine: Engine, now: dt.datetime) -> None:
    """Code, phone tail, name or QR: one round trip, the slot code and item count read with the hits."""
    world = make_world(engine, now=now)
    waiting = add_order(engine, world, now=now, number="A1", code="1001")
    sent: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    with unit_of_work(engine) as session:
        slot = receive_order(session, order_id=waiting, volunteer_id=world.volunteer_id, now=now)
        event.listen(engine, "before_cursor_execute", remember)
        try:
            for text in ("1001", "8000", "李四", "CB1:TS2:1001"):
                sent.clear()
                (found,) = find_orders(session, site_id=world.site_id, text=text, now=now, hold_days=3)
                assert len(sent) == 1, (text, sent)
                assert (found.id, found.slot, found.item_count) == (waiting, slot, 1), text
            sent.clear()
            count_orders_by_status(session, site_id=world.site_id, statuses=SLOTTED_ORDER_STATUSES)
            assert len(sent) == 1
        finally:
            event.remove(engine, "before_cursor_execute", remember)


def _insert_at_0007(engine: Engine, world_site: int, now: dt.datetime, codes: list[tuple[str, str]]) -> None:
    """Rows as the previous version could leave them: codes as typed."""
    with engine.begin() as connection:
        connection.execute(
            Order.__table__.insert(),
            [
                {
                    "site_id": world_site,
                    "platform": "多多买菜",
                    "order_number": f"M{number}",
                    "pickup_code": code,
                    "resident_name": "李四",
                    "phone": "13800138000",
                    "phone_tail": "8000",
                    "address": "",
                    "delivery_date": now.date(),
                    "storage_class": "ambient",
                    "status": status,
                    "created_at": now,
                    "picked_up_at": now if status == "picked_up" else None,
                    "problem_reason": "袋子破损" if status == "problem" else None,
                }
                for number, (code, status) in enumerate(codes)
            ],
        )


def world_at_0007(engine: Engine, *, now: dt.datetime) -> World:
    """The test world written by today's models, then the schema taken back to 0007 (its rows stay) so an old
    version's orders can be inserted before the upgrade runs."""
    upgrade_to_head(engine)
    world = make_world(engine, now=now)
    downgrade_to(engine, revision="0007_sessions")
    return world


def test_the_upgrade_normalizes_stored_codes(database_url: str, now: dt.datetime) -> None:
    engine = make_engine(database_url)
    try:
        world = world_at_0007(engine, now=now)
        stored = [("ab 1", "expected"), ("ＣＤ２", "shelved"), ("ab1", "picked_up"), ("x\u3000y", "problem")]
        _insert_at_0007(engine, world.site_id, now, stored)
        upgrade_to_head(engine)
        with unit_of_work(engine) as session:
            codes = session.scalars(select(Order.pickup_code).order_by(Order.id)).all()
        assert codes == ["AB1", "CD2", "AB1", "XY"]
    finally:
        engine.dispose()


def test_the_upgrade_stops_when_two_open_codes_would_become_one(database_url: str, now: dt.datetime) -> None:
    engine = make_engine(database_url)
    try:
        world = world_at_0007(engine, now=now)
        _insert_at_0007(engine, world.site_id, now, [("ab1", "expected"), ("AB1", "shelved")])
        with pytest.raises(RuntimeError, match="AB1"):
            upgrade_to_head(engine)
        assert current_heads(engine) == ("0007_sessions",)
    finally:
        engine.dispose()


def test_a_handover_reads_the_order_once_and_writes_it_once(engine: Engine, now: dt.datetime) -> None:
    """The desk's hot write: one read of the order with its slot, the guarded UPDATE, the rollups and one event
    INSERT; the order is not loaded again to write the event. An Order the session had loaded shows the new state."""
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="1001")
    sent: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(" ".join(statement.split()).lower())

    with unit_of_work(engine) as session:
        receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
    with unit_of_work(engine) as session:
        loaded = session.get(Order, order_id)
        assert loaded is not None and loaded.status == "received"
        event.listen(engine, "before_cursor_execute", remember)
        try:
            hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
            session.flush()
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        assert loaded.status == "picked_up"
    rollup_tables = tuple(table.__tablename__ for table, _keys, _counts in TABLES)
    reads = [s for s in sent if s.startswith("select") and " from orders" in s]
    writes = [s for s in sent if s.startswith("update orders")]
    events = [s for s in sent if s.startswith("insert into events")]
    # The rollups' own statements (on PostgreSQL also the server pid for a shard, asked once per connection).
    machinery = (*rollup_tables, "pg_backend_pid")
    others = [s for s in sent if s not in reads + writes + events and not any(t in s for t in machinery)]
    assert (len(reads), len(writes), len(events)) == (1, 1, 1), sent
    assert "join slots" in reads[0]
    assert sent.index(reads[0]) < sent.index(writes[0]) < sent.index(events[0])
    assert others == [], others
    if engine.dialect.name == "sqlite":
        # One upsert per rollup table (PostgreSQL first looks for a shard row no other writer holds).
        assert len(sent) == 3 + len(rollup_tables), sent
