"""The organizer's lists read a site's orders through an index: no statement scans every site's orders (SQLite's
query plan, checked for each statement the store sends). The desk's lookups seek the index shaped for them, on
both databases, among enough rows that a planner would otherwise scan."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from db.cold_chain.excursions import list_excursions
from db.cold_chain.units import create_storage_unit, deactivate_storage_unit, list_held_bags, list_unit_occupancy
from db.core.engine import make_engine, read_only, unit_of_work
from db.core.migrate import refresh_statistics, upgrade_to_head
from db.core.models import SLOTTED_ORDER_STATUSES, Order
from db.orders.lifecycle import count_orders_by_status, find_expected_order, find_orders, receive_order
from db.orders.residents import lookup_order_status
from db.orders.review import OrderFilter, count_orders, list_orders, list_platforms, list_slot_bags
from db.reports.figures import (
    daily_report,
    delivery_funnel_frame,
    dwell_by_class_frame,
    handover_speed_frame,
    list_site_figures,
    overdue_trend_frame,
    pickups_by_day_frame,
    pickups_by_hour_frame,
    pickups_by_weekday_hour_frame,
)
from db.roster.coverage import staffing_frame
from tests.support.query_plans import full_scans
from tests.support.store import World, add_order, make_world


@pytest.fixture
def sqlite_world(tmp_path: pathlib.Path, now: dt.datetime) -> Iterator[tuple[Engine, World]]:
    store = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade_to_head(store)
    world = make_world(store, now=now)
    order_id = add_order(store, world, now=now, number="DD1", code="1001")
    with unit_of_work(store) as session:
        receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
    yield store, world
    store.dispose()


WEEK = dt.timedelta(days=7)
READS: dict[str, Callable[[Session, World, dt.datetime], object]] = {
    "list_unit_occupancy": lambda s, w, now: list_unit_occupancy(s, site_id=w.site_id),
    "list_held_bags": lambda s, w, now: list_held_bags(s, site_id=w.site_id, now=now),
    "count_orders": lambda s, w, now: count_orders(s, site_id=w.site_id, filters=OrderFilter(), now=now),
    "list_orders": lambda s, w, now: list_orders(s, site_id=w.site_id, filters=OrderFilter(), now=now),
    "list_orders overdue": lambda s, w, now: list_orders(
        s, site_id=w.site_id, now=now, filters=OrderFilter(overdue_only=True)
    ),
    "list_platforms": lambda s, w, now: list_platforms(s, site_id=w.site_id),
    "list_slot_bags": lambda s, w, now: list_slot_bags(s, site_id=w.site_id, now=now),
    "list_site_figures": lambda s, w, now: list_site_figures(s, site_ids=[w.site_id], day=now.date(), now=now),
    "pickups_by_day_frame": lambda s, w, now: pickups_by_day_frame(
        s, site_id=w.site_id, start=now.date() - WEEK, end=now.date()
    ),
    "pickups_by_hour_frame": lambda s, w, now: pickups_by_hour_frame(s, site_id=w.site_id, day=now.date()),
    "pickups_by_weekday_hour_frame": lambda s, w, now: pickups_by_weekday_hour_frame(
        s, site_id=w.site_id, start=now.date() - WEEK, end=now.date()
    ),
    "delivery_funnel_frame": lambda s, w, now: delivery_funnel_frame(s, site_id=w.site_id, delivery_date=now.date()),
    "handover_speed_frame": lambda s, w, now: handover_speed_frame(
        s, site_id=w.site_id, start=now.date() - WEEK, end=now.date(), now=now
    ),
    "dwell_by_class_frame": lambda s, w, now: dwell_by_class_frame(
        s, site_id=w.site_id, start=now.date() - WEEK, end=now.date()
    ),
    "overdue_trend_frame": lambda s, w, now: overdue_trend_frame(
        s, site_id=w.site_id, start=now.date() - WEEK, end=now.date(), now=now
    ),
    "daily_report": lambda s, w, now: daily_report(s, site_id=w.site_id, day=now.date(), now=now),
    "list_excursions": lambda s, w, now: list_excursions(s, site_id=w.site_id, start=now - WEEK, end=now),
    "staffing_frame": lambda s, w, now: staffing_frame(
        s, site_id=w.site_id, history_first_day=now.date() - WEEK, history_last_day=now.date(), week_start=now.date()
    ),
}


@pytest.mark.parametrize("name", list(READS))
def test_organizer_reads_use_an_index_on_orders(sqlite_world: tuple[Engine, World], now: dt.datetime, name: str):
    store, world = sqlite_world
    with full_scans(store, tables=("orders",)) as scans, read_only(store) as session:
        READS[name](session, world, now)
    assert scans == []


def test_removing_a_unit_checks_its_bags_through_an_index(sqlite_world: tuple[Engine, World], now: dt.datetime):
    store, world = sqlite_world
    with unit_of_work(store) as session:
        unit = create_storage_unit(
            session, site_id=world.site_id, code="S9", name="空货架", kind="shelf", slot_count=1, now=now
        )
    with full_scans(store, tables=("orders",)) as scans, unit_of_work(store) as session:
        deactivate_storage_unit(session, storage_unit_id=unit.id, actor_id=world.volunteer_id, now=now)
    assert scans == []


# --- The desk's reads on both databases: index seeks among a site's waiting bags, never a walk of its history. ---

HISTORY = 4000
WAITING = 40


@pytest.fixture
def desk_world(engine: Engine, now: dt.datetime) -> World:
    """A site with a long history of handed-over bags and a few waiting ones, statistics refreshed as after
    bulk seeding: enough rows that a planner without the right index would scan or walk the history."""
    world = make_world(engine, now=now)
    rows = []
    for number in range(HISTORY + WAITING):
        waiting = number >= HISTORY
        day = now.date() - dt.timedelta(days=(0 if waiting else 1 + number // 40))
        rows.append(
            {
                "site_id": world.site_id,
                "platform": "美团买菜",
                "order_number": f"P{number:06d}",
                "pickup_code": f"W{number:05d}" if waiting else f"{number:06d}",
                "resident_name": f"居民{number}",
                "phone": f"138{number:08d}",
                "phone_tail": f"{number % 10_000:04d}",
                "address": "",
                "delivery_date": day,
                "storage_class": "ambient",
                "status": "expected" if waiting else "picked_up",
                "created_at": now,
                "picked_up_at": None if waiting else now,
                "picked_up_by": None if waiting else world.volunteer_id,
            }
        )
    with engine.begin() as connection:
        connection.execute(Order.__table__.insert(), rows)
    refresh_statistics(engine)
    return world


@contextmanager
def orders_plans(store: Engine) -> Iterator[list[tuple[str, str]]]:
    """Each SELECT on orders sent meanwhile, with its plan as text (SQLite's steps, PostgreSQL's EXPLAIN)."""
    sent: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and " orders" in statement:
            sent.append((statement, parameters))

    event.listen(store, "before_cursor_execute", remember)
    plans: list[tuple[str, str]] = []
    try:
        yield plans
    finally:
        event.remove(store, "before_cursor_execute", remember)
    with store.connect() as connection:
        for statement, parameters in sent:
            if store.dialect.name == "sqlite":
                raw = connection.connection.driver_connection
                steps = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            else:
                steps = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]
            plans.append((statement, "\n".join(steps)))


def _walks_orders(plan: str) -> bool:
    """A full pass over orders: SQLite's `SCAN orders`, PostgreSQL's `Seq Scan on orders`."""
    return any(
        line.strip() == "SCAN orders" or line.strip().startswith("SCAN orders ") or "Seq Scan on orders" in line
        for line in plan.splitlines()
    )


# Each read, and the index its search may seek (any of them).
DESK_READS: dict[str, tuple[Callable[[Session, World, dt.datetime], object], tuple[str, ...]]] = {
    "find by code": (
        lambda s, w, now: find_orders(s, site_id=w.site_id, text="w04005", now=now, hold_days=3),
        ("ix_orders_waiting_pickup_code",),
    ),
    "find by QR payload": (
        lambda s, w, now: find_orders(s, site_id=w.site_id, text="CB1:TS2:W04005", now=now, hold_days=3),
        ("ix_orders_waiting_pickup_code",),
    ),
    "find by phone tail": (
        lambda s, w, now: find_orders(s, site_id=w.site_id, text="4005", now=now, hold_days=3),
        ("ix_orders_waiting_phone_tail",),
    ),
    # A name is a scan of the site's waiting bags, read through an index of them, never of its history.
    "find by name": (
        lambda s, w, now: find_orders(s, site_id=w.site_id, text="居民", now=now, hold_days=3),
        ("ix_orders_site_status_delivery_date", "ix_orders_waiting_pickup_code", "ix_orders_waiting_phone_tail"),
    ),
    "open counts": (
        lambda s, w, now: count_orders_by_status(s, site_id=w.site_id, statuses=SLOTTED_ORDER_STATUSES),
        # PostgreSQL may read the slotted bags' own partial index (every site's, a few hundred at most).
        ("ix_orders_site_status_delivery_date", "uq_orders_occupied_slot"),
    ),
    "find to check in": (
        lambda s, w, now: find_expected_order(s, site_id=w.site_id, code="w 04005"),
        ("uq_orders_open_pickup_code",),
    ),
    "residents' lookup": (
        lambda s, w, now: lookup_order_status(
            s, site_id=w.site_id, pickup_code="001234", phone_tail="1234", client="203.0.113.9", now=now
        ),
        ("ix_orders_site_pickup_code",),
    ),
}


@pytest.mark.parametrize("name", list(DESK_READS))
def test_desk_reads_seek_an_index(engine: Engine, desk_world: World, now: dt.datetime, name: str):
    read, indexes = DESK_READS[name]
    with orders_plans(engine) as plans, unit_of_work(engine) as session:
        read(session, desk_world, now)
    assert plans
    assert [statement for statement, plan in plans if _walks_orders(plan)] == []
    # The search itself (the statement naming the code, tail or status) seeks the index shaped for it.
    assert any(index in plan for _, plan in plans for index in indexes), plans


def test_held_bags_are_read_without_walking_the_site_history(engine: Engine, desk_world: World, now: dt.datetime):
    """The storage page's held bags: the site's bags in a slot, through their status or their slots, never a walk of
    every order the site had along its check-in times (which spared SQLite a sort of a few hundred bags)."""
    waiting = [f"W{number:05d}" for number in range(HISTORY, HISTORY + 3)]
    with unit_of_work(engine) as session:
        for code in waiting:
            order = find_expected_order(session, site_id=desk_world.site_id, code=code)
            assert order is not None
            receive_order(session, order_id=order.id, volunteer_id=desk_world.volunteer_id, now=now)
    refresh_statistics(engine)
    with orders_plans(engine) as plans, read_only(engine) as session:
        assert len(list_held_bags(session, site_id=desk_world.site_id, now=now)) == len(waiting)
    assert plans
    assert [plan for _, plan in plans if _walks_orders(plan) or "ix_orders_site_received_at" in plan] == []
