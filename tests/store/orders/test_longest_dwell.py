"""The day rollups' longest dwell: the reports' dwell chart reads it instead of the orders, so after handovers, undos
and two tablets at once it must show what the orders show (the longest per class computed from the orders directly,
as the chart did before), and the kept rollups must equal a recount, on both databases.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.core.clock import local_day_bounds, to_local
from db.core.engine import read_only, unit_of_work
from db.core.local_time import hours_between
from db.core.migrate import downgrade_to, upgrade_to_head
from db.core.models import Order
from db.orders.lifecycle import hand_over, receive_order, undo_hand_over
from db.orders.rollups import MS_PER_HOUR, dwell_ms_sql, rebuild_rollups
from db.reports.figures import dwell_by_class_frame
from tests.support.store import World, add_order, make_world
from tests.support.store_reads import read_rollups

START = dt.datetime(2026, 11, 20, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
HANDED = START + dt.timedelta(hours=8)
DAY = to_local(HANDED).date()


def _direct(session: Session, *, site_id: int) -> list[dict]:
    """The dwell chart's rows of DAY computed from the orders: counts, sums and the longest of the handovers."""
    low, high = local_day_bounds(DAY)
    rows = session.execute(
        select(
            Order.storage_class,
            func.count(),
            func.sum(dwell_ms_sql(Order.received_at, Order.picked_up_at)),
            func.max(hours_between(Order.received_at, Order.picked_up_at)),
        )
        .where(
            Order.site_id == site_id,
            Order.picked_up_at >= low,
            Order.picked_up_at < high,
            Order.received_at.is_not(None),
        )
        .group_by(Order.storage_class)
        .order_by(Order.storage_class)
    ).all()
    return [
        {
            "storage_class": storage_class,
            "pickups": int(count),
            "average_hours": round(int(total) / int(count) / MS_PER_HOUR, 1),
            "longest_hours": round(float(longest), 1),
        }
        for storage_class, count, total, longest in rows
    ]


def _chart(session: Session, *, site_id: int) -> list[dict]:
    frame: pd.DataFrame = dwell_by_class_frame(session, site_id=site_id, start=DAY, end=DAY)
    return frame.to_dict("records")


def _assert_kept_as_the_orders_say(engine: Engine, *, site_id: int) -> list[dict]:
    """The chart equals the direct computation, and the kept rollups a recount; returns the chart's rows."""
    with read_only(engine) as session:
        chart, direct = _chart(session, site_id=site_id), _direct(session, site_id=site_id)
    assert chart == direct
    with unit_of_work(engine) as session:
        kept = read_rollups(session, site_id=site_id)
        rebuild_rollups(session, site_id=site_id)
        assert read_rollups(session, site_id=site_id) == kept
        session.rollback()
    return chart


def _bags(engine: Engine, world: World, *, count: int) -> list[int]:
    """`count` ambient bags, checked in an hour apart from START: the first waits longest when handed over."""
    bags = [add_order(engine, world, now=START, number=f"L{n}", code=f"L{n}") for n in range(count)]
    for number, bag in enumerate(bags):
        with unit_of_work(engine) as session:
            receive_order(
                session, order_id=bag, volunteer_id=world.volunteer_id, now=START + dt.timedelta(hours=number)
            )
    return bags


def _hand_over(engine: Engine, world: World, bag: int, *, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        hand_over(session, order_id=bag, volunteer_id=world.volunteer_id, now=now)


def _undo(engine: Engine, world: World, bag: int, *, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        undo_hand_over(session, order_id=bag, volunteer_id=world.volunteer_id, now=now)


def _longest(chart: list[dict]) -> float:
    [row] = chart
    return float(row["longest_hours"])


def test_an_undo_of_the_longest_handover_recounts_the_days_longest(engine: Engine) -> None:
    world = make_world(engine, now=START, shelf_slots=3)
    first, second, third = _bags(engine, world, count=3)
    _hand_over(engine, world, third, now=HANDED)
    _hand_over(engine, world, second, now=HANDED)
    assert _longest(_assert_kept_as_the_orders_say(engine, site_id=world.site_id)) == 7.0
    _hand_over(engine, world, first, now=HANDED + dt.timedelta(minutes=1))
    assert _longest(_assert_kept_as_the_orders_say(engine, site_id=world.site_id)) == 8.0
    # A shorter handover taken back leaves the longest as it is; the longest taken back gives way to the next.
    _undo(engine, world, second, now=HANDED + dt.timedelta(minutes=1))
    assert _longest(_assert_kept_as_the_orders_say(engine, site_id=world.site_id)) == 8.0
    _undo(engine, world, first, now=HANDED + dt.timedelta(minutes=2))
    assert _longest(_assert_kept_as_the_orders_say(engine, site_id=world.site_id)) == 6.0
    _undo(engine, world, third, now=HANDED + dt.timedelta(minutes=2))
    assert _assert_kept_as_the_orders_say(engine, site_id=world.site_id) == []
    _hand_over(engine, world, first, now=HANDED + dt.timedelta(minutes=4))
    assert _longest(_assert_kept_as_the_orders_say(engine, site_id=world.site_id)) == 8.1


@pytest.mark.parametrize("open_first", ["undo", "handover"])
def test_an_undo_of_the_longest_beside_another_tablets_handover_counts_both(engine: Engine, open_first: str) -> None:
    """Tablet A takes back the day's longest handover while tablet B hands over a bag of the same day and class,
    either one's transaction open while the other runs. On PostgreSQL the undo's recount locks the row's shards, so
    the one that comes second may wait for the first's commit (never for long, never for ever); on SQLite writers
    take turns. Either way the chart then shows B's dwell as the longest, as the orders do."""
    world = make_world(engine, now=START, shelf_slots=3)
    first, second, third = _bags(engine, world, count=3)
    _hand_over(engine, world, third, now=HANDED)
    _hand_over(engine, world, first, now=HANDED)
    undo_at = HANDED + dt.timedelta(minutes=1)

    def undo(session: Session) -> None:
        undo_hand_over(session, order_id=first, volunteer_id=world.volunteer_id, now=undo_at)

    def handover(session: Session) -> None:
        hand_over(session, order_id=second, volunteer_id=world.other_volunteer_id, now=undo_at)

    opened, other = (undo, handover) if open_first == "undo" else (handover, undo)

    def tablet_b() -> None:
        with unit_of_work(engine) as session:
            other(session)

    if engine.dialect.name == "postgresql":
        pool = ThreadPoolExecutor(max_workers=1)
        try:
            with Session(engine) as tablet_a, tablet_a.begin():
                opened(tablet_a)
                running = pool.submit(tablet_b)
                with contextlib.suppress(TimeoutError):  # it may finish now, or wait for tablet A's commit
                    running.result(timeout=1)
            running.result(timeout=60)
        finally:
            pool.shutdown()
    else:
        with unit_of_work(engine) as session:
            opened(session)
        tablet_b()
    assert _longest(_assert_kept_as_the_orders_say(engine, site_id=world.site_id)) == 7.0


def test_the_upgrade_fills_the_longest_dwell_from_the_orders(engine: Engine) -> None:
    """Handovers, one of them taken back, the column dropped (back to 0018) and the upgrade run: its backfill equals
    what the store kept change by change."""
    world = make_world(engine, now=START, shelf_slots=3)
    first, second, third = _bags(engine, world, count=3)
    _hand_over(engine, world, second, now=HANDED)
    _hand_over(engine, world, third, now=HANDED + dt.timedelta(days=1))
    _hand_over(engine, world, first, now=HANDED)
    _undo(engine, world, first, now=HANDED + dt.timedelta(minutes=1))
    with unit_of_work(engine) as session:
        kept = read_rollups(session, site_id=world.site_id)["day_rollups"]
    assert sorted(row[-1] for row in kept) == [7 * MS_PER_HOUR, 30 * MS_PER_HOUR]
    downgrade_to(engine, revision="0018_privacy")
    upgrade_to_head(engine)
    with unit_of_work(engine) as session:
        assert read_rollups(session, site_id=world.site_id)["day_rollups"] == kept
