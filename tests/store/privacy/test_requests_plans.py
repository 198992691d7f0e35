"""A resident's request and the access records read through indexes (SQLite's query plan of every statement): a
resident's bags by (site, phone tail), their events, calls and messages by the bags, the access records by (site,
time) — never a whole table, however many bags and records the site keeps."""

from __future__ import annotations

import datetime as dt
import pathlib

from db.core.engine import make_engine, read_only, unit_of_work
from db.core.migrate import upgrade_to_head
from db.privacy.access import list_access_records, list_access_volunteers
from db.privacy.requests import find_resident
from tests.support.privacy_pickup import RESIDENT_PHONE, build_pickup
from tests.support.query_plans import explained, full_scans

TABLES = ("orders", "events", "messages", "message_orders", "access_records", "items")


def test_a_find_and_the_access_list_read_through_indexes(tmp_path: pathlib.Path, now: dt.datetime):
    store = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    try:
        upgrade_to_head(store)
        pickup = build_pickup(store, now=now)
        with (
            explained(store) as plans,
            full_scans(store, tables=TABLES, at_least=6) as scans,
            unit_of_work(store) as session,
        ):
            found = find_resident(
                session, site_id=pickup.site_id, phone=RESIDENT_PHONE, volunteer_id=pickup.organizer_id, now=now
            )
        assert found is not None and len(found.bags) == 2
        with full_scans(store, tables=TABLES, at_least=2) as listing, read_only(store) as session:
            records = list_access_records(session, site_id=pickup.site_id, since=now.date(), until=now.date())
            list_access_volunteers(session, site_id=pickup.site_id)
        assert len(records) == 1
        assert scans == [] and listing == [], "\n".join(scans + listing)
        # Each read of orders seeks the phone tail's index or the bags' ids: none walks the site's bags.
        order_steps = [step for _, plan in plans for step in plan if step.startswith("SEARCH orders")]
        assert any("ix_orders_site_phone_tail" in step for step in order_steps)
        assert all("phone_tail" in step or "PRIMARY KEY" in step for step in order_steps), order_steps
    finally:
        store.dispose()
