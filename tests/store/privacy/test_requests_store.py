"""A resident's request: an organizer finds everything the site holds under a whole number, hands it over, and
anonymises it once no bag is open; the number typed is stored nowhere, and afterwards the resident's name, phone
and address are in no table but another site's own bag."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from db.core.engine import read_only, unit_of_work
from db.core.errors import InvalidValue, NotAllowed, NotFound, WrongState
from db.core.models import AccessRecord, Event, Order
from db.orders.lifecycle import hand_over
from db.privacy.requests import anonymise_resident, find_resident, record_resident_export
from tests.support.privacy_pickup import RESIDENT_ADDRESS, RESIDENT_NAME, RESIDENT_PHONE, Pickup
from tests.support.traces import columns_holding


def test_finding_a_resident_gathers_the_sites_bags_events_calls_notices_and_messages(
    engine: Engine, pickup: Pickup, now: dt.datetime
):
    with unit_of_work(engine) as session:
        # As a person reads it out: the country code and dashes go, as everywhere in the store.
        data = find_resident(
            session, site_id=pickup.site_id, phone="+86 138-1234-5678", volunteer_id=pickup.organizer_id, now=now
        )
    assert data is not None and data.phone == RESIDENT_PHONE and data.open_bags == 1
    assert list(data.bags["order_id"]) == [pickup.closed_bag, pickup.open_bag]  # not the neighbour's, not TS3's
    assert set(data.bags["resident_name"]) == {RESIDENT_NAME} and set(data.bags["address"]) == {RESIDENT_ADDRESS}
    assert list(data.bags["status"]) == ["picked_up", "received"]
    assert data.bags["items"].iloc[0] == "大白菜 ×2; 鸡蛋 ×1"
    actions = list(data.events["action"])
    assert actions.count("order.created") == 2 and "order.picked_up" in actions and "order.called" in actions
    assert "actor_id" not in data.events.columns and "volunteer_name" not in data.events.columns
    assert data.calls[["pickup_code", "outcome", "note"]].values.tolist() == [
        ["8-A1", "see_note", f"{RESIDENT_NAME}说明天来"]
    ]
    assert data.notices[["pickup_code", "action"]].values.tolist() == [["8-A1", "order.told"]]
    messages = data.messages.set_index("channel")
    assert messages.loc["sms", "recipient"] == RESIDENT_PHONE and RESIDENT_NAME in messages.loc["sms", "text"]
    # The group text names the neighbour's bag too: listed, without its text.
    assert messages.loc["copy", "status"] == "copied" and pd.isna(messages.loc["copy", "text"])
    with read_only(engine) as session:
        record = session.scalars(select(AccessRecord)).one()
        households = dict(session.execute(select(Order.id, Order.household_id)).all())
    assert (record.kind, record.reason, record.row_count, record.volunteer_id) == (
        "resident_found", "resident_request", 2, pickup.organizer_id,
    )  # fmt: skip
    assert record.household_id == data.household_id == households[pickup.closed_bag] == households[pickup.open_bag]
    assert households[pickup.neighbour_bag] is None and households[pickup.other_site_bag] is None
    # The number typed is kept nowhere: not with the record, not in the event log.
    holding = columns_holding(engine, [RESIDENT_PHONE, "12345678"])
    assert holding[RESIDENT_PHONE] == {"orders.phone", "messages.recipient"}
    assert not {column for column in holding["12345678"] if column.startswith(("access_records.", "events."))}
    assert data.household_id not in RESIDENT_PHONE and len(data.household_id) == 16


def test_a_number_the_site_does_not_hold_finds_nothing_and_records_nothing(
    engine: Engine, pickup: Pickup, now: dt.datetime
):
    with unit_of_work(engine) as session:
        assert find_resident(
            session, site_id=pickup.site_id, phone="13700001111", volunteer_id=pickup.organizer_id, now=now
        ) is None  # fmt: skip
        # The other site's organizer finds only what their site holds.
        found = find_resident(
            session, site_id=pickup.other_site_id, phone=RESIDENT_PHONE, volunteer_id=pickup.other_organizer_id,
            now=now,
        )  # fmt: skip
    assert found is not None and list(found.bags["order_id"]) == [pickup.other_site_bag]
    with read_only(engine) as session:
        assert [record.site_id for record in session.scalars(select(AccessRecord))] == [pickup.other_site_id]


def test_only_an_organizer_of_the_site_finds_a_resident_and_a_number_must_be_whole(
    engine: Engine, pickup: Pickup, now: dt.datetime
):
    for volunteer_id in (pickup.volunteer_id, pickup.other_organizer_id):
        for step in (find_resident, anonymise_resident):
            with pytest.raises(NotAllowed), unit_of_work(engine) as session:
                step(session, site_id=pickup.site_id, phone=RESIDENT_PHONE, volunteer_id=volunteer_id, now=now)
    for typed in ("5678", "138-123", "", "一三八"):
        with pytest.raises(InvalidValue) as refused, unit_of_work(engine) as session:
            find_resident(session, site_id=pickup.site_id, phone=typed, volunteer_id=pickup.organizer_id, now=now)
        assert refused.value.key == "error.phone_format"
    with read_only(engine) as session:
        assert session.scalars(select(AccessRecord)).all() == []


def test_a_download_for_the_resident_is_recorded_with_its_rows(engine: Engine, pickup: Pickup, now: dt.datetime):
    with unit_of_work(engine) as session:
        data = find_resident(
            session, site_id=pickup.site_id, phone=RESIDENT_PHONE, volunteer_id=pickup.organizer_id, now=now
        )
        assert data is not None
        record_resident_export(
            session, site_id=pickup.site_id, household_id=data.household_id, volunteer_id=pickup.organizer_id,
            row_count=9, now=now,
        )  # fmt: skip
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        record_resident_export(
            session, site_id=pickup.other_site_id, household_id=data.household_id,
            volunteer_id=pickup.other_organizer_id, row_count=9, now=now,
        )  # fmt: skip
    with read_only(engine) as session:
        records = session.execute(select(AccessRecord.kind, AccessRecord.household_id, AccessRecord.row_count)).all()
    assert sorted(records) == [("resident_exported", data.household_id, 9), ("resident_found", data.household_id, 2)]


def test_anonymising_waits_for_open_bags_then_leaves_the_resident_in_no_table(
    engine: Engine, pickup: Pickup, now: dt.datetime
):
    with pytest.raises(WrongState) as refused, unit_of_work(engine) as session:
        anonymise_resident(
            session, site_id=pickup.site_id, phone=RESIDENT_PHONE, volunteer_id=pickup.organizer_id, now=now
        )
    assert (refused.value.key, refused.value.params) == ("error.resident_has_open_bags", {"count": 1})
    with unit_of_work(engine) as session:
        hand_over(session, order_id=pickup.open_bag, volunteer_id=pickup.volunteer_id, now=now, collector_name="")
    with unit_of_work(engine) as session:
        done = anonymise_resident(
            session, site_id=pickup.site_id, phone=RESIDENT_PHONE, volunteer_id=pickup.organizer_id, now=now
        )
    assert done.orders == 2 and done.events > 0 and done.messages == 2
    with read_only(engine) as session:
        record = session.scalars(select(AccessRecord)).one()
        event = session.scalars(select(Event).where(Event.action == "privacy.resident_anonymised")).one()
        bags = session.execute(select(Order.id, Order.address, Order.household_id, Order.anonymised_at)).all()
    assert (record.kind, record.row_count) == ("resident_anonymised", 2)
    assert event.after == {
        "household_id": record.household_id, "bags": 2, "events": done.events, "messages": done.messages,
    }  # fmt: skip
    anonymised = {bag.id: bag for bag in bags if bag.anonymised_at is not None}
    assert set(anonymised) == {pickup.closed_bag, pickup.open_bag}
    assert {bag.address for bag in anonymised.values()} == {"12号"}  # its building only (db.orders.buildings)
    assert {bag.household_id for bag in anonymised.values()} == {record.household_id}
    # Only the other site's own bag still names the resident (a request is answered per pickup point).
    holding = columns_holding(engine, [RESIDENT_PHONE, RESIDENT_NAME, "3单元501", "12345678"])
    assert holding == {RESIDENT_PHONE: {"orders.phone"}, RESIDENT_NAME: {"orders.resident_name"},
                       "3单元501": {"orders.address"}, "12345678": {"orders.phone"}}  # fmt: skip
    elsewhere = {"orders": {pickup.other_site_bag}}
    assert not any(columns_holding(engine, [RESIDENT_PHONE, RESIDENT_NAME, "3单元501"], except_rows=elsewhere).values())
    # Nothing left to find; a second request finds nothing and records nothing.
    with unit_of_work(engine) as session:
        assert find_resident(
            session, site_id=pickup.site_id, phone=RESIDENT_PHONE, volunteer_id=pickup.organizer_id, now=now
        ) is None  # fmt: skip
        with pytest.raises(NotFound):
            anonymise_resident(
                session, site_id=pickup.site_id, phone=RESIDENT_PHONE, volunteer_id=pickup.organizer_id, now=now
            )
