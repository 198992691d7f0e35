"""The purge reads what it needs through indexes: the bags still naming their resident through the partial index
`ix_orders_identifiable`, their events through the entity index, the messages about them through message_orders —
never a whole table of orders, events or messages (SQLite's query plan of every statement it reads with)."""

from __future__ import annotations

import datetime as dt
import pathlib

from sqlalchemy import Engine, text

from db.core.engine import make_engine, unit_of_work
from db.core.migrate import upgrade_to_head
from db.orders.lifecycle import hand_over, receive_order
from db.privacy.retention import TARGET_BATCH_MS, _Pace, purge_personal_data
from tests.support.query_plans import explained, full_scans
from tests.support.store import add_order, make_world


def test_the_purge_reads_orders_events_and_messages_through_indexes(tmp_path: pathlib.Path, now: dt.datetime):
    store = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    try:
        upgrade_to_head(store)
        long_ago = now - dt.timedelta(days=40)
        world = make_world(store, now=long_ago)
        closed = [add_order(store, world, now=long_ago, number=f"D{n}", code=f"10{n}") for n in range(3)]
        add_order(store, world, now=now, number="OPEN", code="2001")
        with unit_of_work(store) as session:
            for order_id in closed:
                receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=long_ago)
                hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=long_ago)
        with_million_order_statistics(store)
        with (
            explained(store) as plans,
            full_scans(store, tables=("orders", "events", "messages", "message_orders"), at_least=4) as scans,
        ):
            report = purge_personal_data(store, now=now, batch_size=2)
        assert report.orders == 3 and report.batches == 2
        assert scans == [], "\n".join(scans)
        # Every batch's read (the first, and each from where the last ended) seeks the index of identifiable bags.
        # At least two: a batch slower than the pace's target (a busy machine) halves the next, which adds a read.
        batch_reads = [
            plan for statement, plan in plans if "anonymised_at IS NULL" in statement and "LIMIT" in statement
        ]
        assert len(batch_reads) >= 2
        assert all(any("USING INDEX ix_orders_identifiable" in step for step in plan) for plan in batch_reads), (
            batch_reads
        )
    finally:
        store.dispose()


# SQLite's statistics of the orders' indexes on the bench's 1M store (50 sites, 50 days): with those of a few rows the
# planner picks other plans than at scale (the batch read once walked every closed bag of a site there, unseen here).
MILLION_ORDERS_STAT1 = {
    "ix_orders_identifiable": "1059355 21188 416",
    "ix_orders_site_picked_up_at": "1059355 21188 2 1 1",
    "ix_orders_site_received_at": "1059355 21188 1",
    "ix_orders_waiting_pickup_code": "52151 1044 1",
    "ix_orders_waiting_phone_tail": "52151 1044 3",
    "ix_orders_site_status_delivery_date": "1059355 21188 3532 138",
    "uq_orders_open_pickup_code": "66359 1328 1",
    "uq_orders_occupied_slot": "27597 1",
    "ix_orders_site_pickup_code": "1059355 21188 1",
    "ix_orders_site_phone_tail": "1059355 21188 28",
    "ix_orders_site_delivery_date": "1059355 21188 416",
    "sqlite_autoindex_orders_1": "1059355 21188 10594 1",
}


def with_million_order_statistics(store: Engine) -> None:
    """The orders' planner statistics of a million orders, read by every connection opened afterwards."""
    with store.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'orders'")
        for index, stat in MILLION_ORDERS_STAT1.items():
            connection.execute(
                text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('orders', :index, :stat)"),
                {"index": index, "stat": stat},
            )
    store.dispose()


def test_a_slow_batch_shrinks_the_next_in_proportion_and_fast_ones_grow_it_at_most_twofold():
    pace = _Pace(largest=50, size=50)
    sizes = []
    aimed = TARGET_BATCH_MS / 2
    for took in (aimed * 12, aimed * 2, aimed / 10, aimed / 10, aimed / 10, aimed / 10, aimed * 1.5):
        pace.took(took)
        sizes.append(pace.size)
    assert sizes == [4, 2, 4, 8, 16, 32, 21]
