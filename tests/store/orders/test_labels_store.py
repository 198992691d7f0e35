"""db.orders.labels: slot labels of a unit or of every active unit, bag labels of a delivery (SQLite and
PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from db.cold_chain.units import deactivate_storage_unit
from db.core.engine import read_only, unit_of_work
from db.core.models import Order, StorageUnit
from db.orders.labels import list_bag_labels, list_slot_labels
from db.orders.lifecycle import parse_qr_payload, return_order
from tests.support.town import D, Town, at, build_town


@pytest.fixture
def town(engine: Engine) -> Town:
    return build_town(engine)


def unit_id(engine: Engine, town: Town, code: str) -> int:
    with read_only(engine) as session:
        return session.scalar(
            select(StorageUnit.id).where(StorageUnit.site_id == town.site_id, StorageUnit.code == code)
        )


def test_slot_labels_of_one_unit_and_of_every_active_unit(engine: Engine, town: Town):
    with read_only(engine) as session:
        fridge = list_slot_labels(session, site_id=town.site_id, storage_unit_id=unit_id(engine, town, "F2"))
        every = list_slot_labels(session, site_id=town.site_id)
        other = list_slot_labels(session, site_id=town.other_site_id)
    assert [(label.slot_code, label.unit_code, label.storage_class) for label in fridge] == [
        ("F2-01", "F2", "chilled"),
        ("F2-02", "F2", "chilled"),
    ]
    assert [label.payload for label in fridge] == ["F2-01", "F2-02"]
    # The town's units: F1 (5), F2 (2), S1 (10), Z1 (2), in unit and position order.
    assert len(every) == 19
    assert [label.unit_code for label in every] == ["F1"] * 5 + ["F2"] * 2 + ["S1"] * 10 + ["Z1"] * 2
    assert {label.storage_class for label in every if label.unit_code == "Z1"} == {"frozen"}
    assert len(other) == 4
    with unit_of_work(engine) as session:
        deactivate_storage_unit(
            session, storage_unit_id=unit_id(engine, town, "F2"), actor_id=town.organizer_id, now=at(25, 11)
        )
    with read_only(engine) as session:
        assert len(list_slot_labels(session, site_id=town.site_id)) == 17


def test_bag_labels_of_a_delivery_still_on_their_way(engine: Engine, town: Town):
    with read_only(engine) as session:
        day24 = list_bag_labels(session, site_id=town.site_id, delivery_date=D(2026, 11, 24))
        day25 = list_bag_labels(session, site_id=town.site_id, delivery_date=D(2026, 11, 25))
    # The 24th: o3 and o4 were handed over; o5 sits in a slot, o6 never arrived (no slot: last).
    assert [(label.pickup_code, label.slot_code is not None) for label in day24] == [("8-O5", True), ("8-O6", False)]
    assert {label.masked_name for label in day24} == {"李*"}
    assert [parse_qr_payload(label.payload) for label in day24] == [("TS2", "8-O5"), ("TS2", "8-O6")]
    # The 25th: o8 is a problem (not listed), o9 expected.
    assert [label.pickup_code for label in day25] == ["8-O9"]
    with unit_of_work(engine) as session:
        o5 = session.scalar(select(Order.id).where(Order.order_number == "o5"))
        return_order(session, order_id=o5, volunteer_id=town.organizer_id, reason="超期", now=at(25, 11))
    with read_only(engine) as session:
        assert [
            label.pickup_code for label in list_bag_labels(session, site_id=town.site_id, delivery_date=D(2026, 11, 24))
        ] == ["8-O6"]
