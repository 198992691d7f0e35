"""The app's data for page and browser tests: one small pickup point, built through the store, and reads of it."""

from __future__ import annotations

import datetime as dt
import pathlib
from dataclasses import dataclass
from typing import TypeVarTuple

from sqlalchemy import Row, Select, select

from db.cold_chain.units import create_storage_unit
from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.migrate import upgrade_to_head
from db.core.models import Event, Order
from db.orders.calls import record_call
from db.orders.lifecycle import ItemSpec, create_order, hand_over, receive_order, return_order
from db.orders.notices import record_notice_copied
from db.outbox.messages import claim_due_messages, mark_failed, mark_sent, mark_unknown, queue_message
from db.people.accounts import create_organizer_account, create_volunteer
from db.people.login_sessions import SignedIn
from db.people.sites import create_site
from db.roster.shifts import create_shift, sign_up
from tests.support.databases import NOW

Columns = TypeVarTuple("Columns")

APP_VOLUNTEER_PIN = "2468"
APP_ORGANIZER_USERNAME = "organizer"
APP_ORGANIZER_PASSWORD = "basket-demo"


@dataclass(frozen=True)
class AppData:
    """A prepared database (a SQLite file, or PostgreSQL for the district tests) and who is in it."""

    url: str
    site_id: int
    volunteer: SignedIn  # handout + receiving, PIN 2468
    organizer: SignedIn  # organizer role, username + password (and PIN 2468)


def build_app_database(path: pathlib.Path) -> AppData:
    """Site TS2 with a fridge, a freezer and a shelf, one volunteer and one organizer, a shift and an order."""
    return fill_app_database(f"sqlite:///{path}")


def fill_app_database(url: str) -> AppData:
    """The app database of `build_app_database` in an empty database of either kind (migrated here)."""
    store = make_engine(url)
    upgrade_to_head(store)
    with unit_of_work(store) as session:
        site = create_site(session, code="TS2", name="天山二村", address="天山路", now=NOW)
        for code, kind, slots in (("F1", "fridge", 6), ("Z1", "freezer", 4), ("S1", "shelf", 10)):
            create_storage_unit(session, site_id=site.id, code=code, name=code, kind=kind, slot_count=slots, now=NOW)
        volunteer = create_volunteer(
            session,
            site_id=site.id,
            name="王阿姨",
            phone="13812345678",
            roles=("handout", "receiving"),
            pin=APP_VOLUNTEER_PIN,
            now=NOW,
        )
        organizer = create_volunteer(
            session,
            site_id=site.id,
            name="李主任",
            phone="13900001111",
            roles=("organizer", "handout"),
            pin=APP_VOLUNTEER_PIN,
            now=NOW,
        )
        create_organizer_account(
            session,
            volunteer_id=organizer.id,
            username=APP_ORGANIZER_USERNAME,
            password=APP_ORGANIZER_PASSWORD,
            now=NOW,
        )
        create_order(
            session,
            site_id=site.id,
            platform="多多买菜",
            order_number="A-1",
            pickup_code="8-123",
            resident_name="张先生",
            phone="13700002222",
            delivery_date=local_today(),
            items=[ItemSpec(product="鸡蛋", quantity=1, storage_class="chilled")],
            now=NOW,
        )
        # Dated from the real clock, so the pages' "next two weeks" tables have a row to show.
        tomorrow = utc_now() + dt.timedelta(days=1)
        shift = create_shift(
            session,
            site_id=site.id,
            role="handout",
            starts_at=tomorrow,
            ends_at=tomorrow + dt.timedelta(hours=3),
            min_staff=1,
            max_staff=2,
            now=NOW,
        )
        sign_up(session, shift_id=shift.id, volunteer_id=volunteer.id, now=NOW)
        ids = (site.id, volunteer.id, organizer.id)
    store.dispose()  # closes the WAL, so the file can be copied whole
    site_id, volunteer_id, organizer_id = ids
    return AppData(
        url=url,
        site_id=site_id,
        volunteer=SignedIn(
            volunteer_id=volunteer_id, name="王阿姨", site_id=site_id, roles=frozenset({"handout", "receiving"})
        ),
        organizer=SignedIn(
            volunteer_id=organizer_id, name="李主任", site_id=site_id, roles=frozenset({"organizer", "handout"})
        ),
    )


# --- reads and writes of the app database, as the pages would make them ---

CODE = "8-123"  # the one order in the page tests' database: chilled, delivered today
RESIDENT_PHONE = "13700002222"  # its resident's
VOLUNTEER_PHONE = "13812345678"  # 王阿姨's


def order_row(data: AppData) -> tuple[int, str, str | None, list[str], str | None]:
    """The test order as the store has it: id, status, slot, its event actions, problem reason."""
    store = make_engine(data.url)
    try:
        with unit_of_work(store) as session:
            order = session.scalars(select(Order).where(Order.pickup_code == CODE)).one()
            actions = session.scalars(
                select(Event.action).where(Event.entity == "order", Event.entity_id == order.id).order_by(Event.id)
            ).all()
            return order.id, order.status, order.slot.code if order.slot else None, list(actions), order.problem_reason
    finally:
        store.dispose()


def receive(data: AppData) -> str:
    """Check the test order in through the store, as the arrivals page would have."""
    store = make_engine(data.url)
    try:
        with unit_of_work(store) as session:
            order_id = session.scalars(select(Order.id).where(Order.pickup_code == CODE)).one()
            return receive_order(session, order_id=order_id, volunteer_id=data.volunteer.volunteer_id, now=utc_now())
    finally:
        store.dispose()


def stored(data: AppData, query: Select[*Columns]) -> list[Row[*Columns]]:
    """What `query` reads from the app's database now."""
    store = make_engine(data.url)
    try:
        with unit_of_work(store) as session:
            return list(session.execute(query))
    finally:
        store.dispose()


def add_bag(
    data: AppData,
    *,
    code: str,
    phone: str,
    delivered: dt.date,
    name: str = "赵女士",
    address: str = "",
    received: bool = True,
) -> int:
    """Another resident's bag of rice in the app database, checked into a slot unless `received` is False; its id."""
    store = make_engine(data.url)
    try:
        with unit_of_work(store) as session:
            order = create_order(
                session,
                site_id=data.site_id,
                platform="美团优选",
                order_number=f"N-{code}",
                pickup_code=code,
                resident_name=name,
                phone=phone,
                address=address,
                delivery_date=delivered,
                items=[ItemSpec(product="大米", quantity=1, storage_class="ambient")],
                now=utc_now(),
            )
            if received:
                receive_order(session, order_id=order.id, volunteer_id=data.volunteer.volunteer_id, now=utc_now())
            return order.id
    finally:
        store.dispose()


def fill_outbox(data: AppData) -> dict[str, int]:
    """Four messages as a runner would have left them: failed, due (an SMS about the bag), unknown, sent."""
    now = utc_now()
    order_id = order_row(data)[0]
    robot_due, sms_due = now - dt.timedelta(minutes=5), now + dt.timedelta(hours=1)
    ids: dict[str, int] = {}
    store = make_engine(data.url)
    try:
        for name, channel, audience, kind, text, recipient, due_at in (
            ("failed", "wecom", "volunteer", "shift_reminder_2h", "王阿姨 明天 9:00 值班", VOLUNTEER_PHONE, robot_due),
            ("unknown", "wecom", "staff", "day_summary", "今日小结 **12 袋**", None, robot_due),
            ("sent", "wecom", "organizers", "reading_missed", "F1 漏记温度", None, robot_due),
            # Due in an hour: not claimed below.
            ("due", "sms", "resident", "overdue_reminder", "您的菜袋已超期", RESIDENT_PHONE, sms_due),
        ):
            with unit_of_work(store) as session:
                message_id = queue_message(
                    session,
                    site_id=data.site_id,
                    channel=channel,
                    audience=audience,
                    kind=kind,
                    values={},
                    text=text,
                    due_at=due_at,
                    idempotency_key=f"test:{name}",
                    now=now,
                    recipient=recipient,
                    volunteer_id=data.volunteer.volunteer_id if audience == "volunteer" else None,
                    order_ids=[order_id] if channel == "sms" else (),
                )
                assert message_id is not None
                ids[name] = message_id
            if name == "due":
                continue
            with unit_of_work(store) as session:
                [claimed] = claim_due_messages(session, runner="test-runner", now=now)
                held, runner = claimed.id, "test-runner"
                if name == "failed":
                    later, answer = now + dt.timedelta(hours=1), '{"errcode": 93000}'
                    mark_failed(session, message_id=held, runner=runner, now=now, answer=answer, retry_at=later)
                elif name == "unknown":
                    mark_unknown(session, message_id=held, runner=runner, now=now, answer="runner stopped")
                else:
                    mark_sent(session, message_id=held, runner=runner, now=now, answer='{"errcode": 0}')
    finally:
        store.dispose()
    return ids


# A resident whose two bags are closed (the resident's-data page finds and anonymises them).
CLOSED_RESIDENT_PHONE = "13912340000"
CLOSED_RESIDENT_NAME = "钱阿姨"
CLOSED_RESIDENT_CODES = ("7-001", "7-002")


def add_closed_resident(data: AppData) -> None:
    """钱阿姨's two bags: 7-001 told in an arrivals notice and handed over; 7-002 called about (a note), sent an
    overdue SMS, and returned to the platform."""
    phone, name, address = CLOSED_RESIDENT_PHONE, CLOSED_RESIDENT_NAME, "天山二村12号501室"
    handed, returned = (
        add_bag(data, code=code, phone=phone, name=name, address=address, delivered=local_today())
        for code in CLOSED_RESIDENT_CODES
    )
    now, volunteer_id = utc_now(), data.organizer.volunteer_id
    store = make_engine(data.url)
    try:
        with unit_of_work(store) as session:
            record_notice_copied(
                session, site_id=data.site_id, kind="arrivals", order_ids=[handed], volunteer_id=volunteer_id, now=now
            )
            hand_over(session, order_id=handed, volunteer_id=volunteer_id, now=now)
            record_call(
                session,
                site_id=data.site_id,
                order_ids=[returned],
                outcome="see_note",
                note="说下周来",
                volunteer_id=volunteer_id,
                now=now,
            )
            queue_message(
                session,
                site_id=data.site_id,
                channel="sms",
                audience="resident",
                kind="overdue_reminder",
                values={},
                text="您的菜袋已超期",
                due_at=now,
                idempotency_key="test:closed-resident-sms",
                now=now,
                recipient=phone,
                order_ids=[returned],
            )
            return_order(session, order_id=returned, volunteer_id=volunteer_id, reason="超期", now=now)
    finally:
        store.dispose()
