"""A small pickup point for the privacy store tests (the fixture `pickup` in tests/store/privacy/conftest.py): an
organizer, a volunteer, one resident with a closed and an open bag (a call, a copied notice, an SMS and a group text
about them), a neighbour, and another site."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from db.cold_chain.units import create_storage_unit
from db.core.engine import unit_of_work
from db.orders.calls import record_call
from db.orders.lifecycle import ItemSpec, create_order, hand_over, receive_order
from db.orders.notices import record_notice_copied
from db.outbox.messages import queue_message, record_copied
from db.people.accounts import create_volunteer
from db.people.sites import create_site

RESIDENT_NAME = "林秀英"
RESIDENT_PHONE = "13812345678"
RESIDENT_ADDRESS = "12号楼3单元501"
NEIGHBOUR_PHONE = "13987654321"


@dataclass(frozen=True)
class Pickup:
    site_id: int
    other_site_id: int
    organizer_id: int
    volunteer_id: int
    other_organizer_id: int
    closed_bag: int
    open_bag: int
    neighbour_bag: int
    other_site_bag: int


def build_pickup(engine: Engine, *, now: dt.datetime) -> Pickup:
    earlier = now - dt.timedelta(days=2)
    with unit_of_work(engine) as session:
        site = create_site(session, code="TS2", name="天山二村", now=earlier)
        other = create_site(session, code="TS3", name="天山三村", now=earlier)
        organizer = create_volunteer(session, site_id=site.id, name="李主任", roles=["organizer"], now=earlier)
        volunteer = create_volunteer(session, site_id=site.id, name="王阿姨", roles=["handout"], now=earlier)
        other_organizer = create_volunteer(session, site_id=other.id, name="赵主任", roles=["organizer"], now=earlier)
        for site_id in (site.id, other.id):
            create_storage_unit(
                session, site_id=site_id, code="S1", name="货架", kind="shelf", slot_count=5, now=earlier
            )

        def bag(
            site_id: int, number: str, phone: str, name: str = RESIDENT_NAME, address: str = RESIDENT_ADDRESS
        ) -> int:
            return create_order(
                session,
                site_id=site_id,
                platform="多多买菜",
                order_number=number,
                pickup_code=f"8-{number}",
                resident_name=name,
                phone=phone,
                address=address,
                delivery_date=earlier.date(),
                items=[ItemSpec("大白菜", 2, "ambient"), ItemSpec("鸡蛋", 1, "ambient")],
                now=earlier,
            ).id

        closed, still_open = bag(site.id, "a1", RESIDENT_PHONE), bag(site.id, "a2", RESIDENT_PHONE)
        neighbour = bag(site.id, "b1", NEIGHBOUR_PHONE, name="周大海", address="12号楼1单元202")
        elsewhere = bag(other.id, "x1", RESIDENT_PHONE)
    with unit_of_work(engine) as session:
        for order_id in (closed, still_open, neighbour):
            receive_order(session, order_id=order_id, volunteer_id=volunteer.id, now=earlier + dt.timedelta(hours=1))
        record_call(
            session, site_id=site.id, order_ids=[closed], outcome="see_note", note=f"{RESIDENT_NAME}说明天来",
            volunteer_id=organizer.id, now=earlier + dt.timedelta(hours=2),
        )  # fmt: skip
        record_notice_copied(
            session, site_id=site.id, kind="arrivals", order_ids=[closed, neighbour], volunteer_id=volunteer.id,
            now=earlier + dt.timedelta(hours=2),
        )  # fmt: skip
        queue_message(
            session, site_id=site.id, channel="sms", audience="resident", kind="overdue_reminder",
            values={"bags": 1}, text=f"{RESIDENT_NAME}您好，您的菜袋请尽快来取。", recipient=RESIDENT_PHONE,
            due_at=earlier + dt.timedelta(hours=3), idempotency_key="test-overdue:a1", order_ids=[closed],
            now=earlier + dt.timedelta(hours=3),
        )  # fmt: skip
        record_copied(
            session, site_id=site.id, kind="arrivals", values={}, text="12号楼：林*英、周*海 的菜到了",
            volunteer_id=volunteer.id, now=earlier + dt.timedelta(hours=3), order_ids=[closed, neighbour],
        )  # fmt: skip
        hand_over(session, order_id=closed, volunteer_id=volunteer.id, now=earlier + dt.timedelta(hours=4))
    return Pickup(
        site_id=site.id,
        other_site_id=other.id,
        organizer_id=organizer.id,
        volunteer_id=volunteer.id,
        other_organizer_id=other_organizer.id,
        closed_bag=closed,
        open_bag=still_open,
        neighbour_bag=neighbour,
        other_site_bag=elsewhere,
    )
