"""The retention rule's purge (db/privacy/retention.py) on both databases: a resident whose bags closed 40 days ago
leaves no trace in any table, event, message or backup (nor, on SQLite, in any byte of the files), while their open
bag keeps its data, reports still add up, and sign-ins and browsers are pruned. One seeded store per database."""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine, select, update

from cli.jobs import PURGE_COUNT, Runner
from cli.main import main
from db.core.backup import make_backup
from db.core.engine import make_engine, read_only, unit_of_work
from db.core.models import Device, Event, LoginSession, Message, Order
from db.orders.calls import list_overdue_calls, record_call
from db.orders.lifecycle import (
    ItemSpec,
    class_hold_days,
    create_order,
    find_orders,
    hand_over,
    receive_order,
    return_order,
)
from db.orders.notices import record_notice_copied
from db.orders.proof import check_collector
from db.orders.review import correct_order
from db.outbox.messages import queue_message, record_copied
from db.people.sites import get_site_rules
from db.privacy.retention import KEPT_EVENT_KEYS, PURGED_ACTION, purge_personal_data
from db.reports.reconciliation import reconcile_deliveries
from tests.support.databases import NOW, create_postgres_database, drop_postgres_database
from tests.support.store import World, make_world
from tests.support.traces import backup_holding, columns_holding, files_holding

# The module's tests share one seeded store per database, in order: keep them on one pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("privacy_retention")

NAME = "欧阳娜娜"
PHONE = "13912345678"
TYPO_PHONE = "13912345670"
ADDRESS = "天山二村8号楼3单元1207室"
# What must be gone: the name, the numbers, the address and its room, the SMS's own words.
PURGED = (NAME, PHONE, TYPO_PHONE, ADDRESS, "3单元1207")
OTHER_NAME, OTHER_PHONE = "司马光明", "13700001111"
CLOSED_AT = NOW - dt.timedelta(days=40)
RECENTLY = NOW - dt.timedelta(days=10)
ITEMS = [ItemSpec(product="青菜", quantity=1, storage_class="ambient")]


@dataclass(frozen=True)
class Seeded:
    world: World
    handed_over: int  # the resident's bag handed over 40 days ago
    returned: int  # returned 40 days ago
    still_open: int  # in its slot now
    recent: int  # another resident's bag handed over 10 days ago
    sms: int
    copied: int


def _order(session, world: World, *, number: str, code: str, name: str, phone: str, address: str, at: dt.datetime):
    return create_order(
        session,
        site_id=world.site_id,
        platform="多多买菜",
        order_number=number,
        pickup_code=code,
        resident_name=name,
        phone=phone,
        address=address,
        delivery_date=at.date(),
        items=ITEMS,
        now=at,
    ).id


def seed(engine: Engine) -> Seeded:
    """The resident's bags through the store, with an event of every kind that carries personal data."""
    world = make_world(engine, now=CLOSED_AT - dt.timedelta(days=1))
    volunteer = world.volunteer_id
    at = CLOSED_AT - dt.timedelta(hours=6)
    with unit_of_work(engine) as session:
        kw = dict(name=NAME, phone=TYPO_PHONE, address=ADDRESS, at=at)
        first = _order(session, world, number="P1", code="8-3-1207", **kw)
        second = _order(session, world, number="P2", code="1207", **kw)
        correct_order(session, site_id=world.site_id, order_id=first, actor_id=volunteer, now=at, phone=PHONE)
        correct_order(session, site_id=world.site_id, order_id=second, actor_id=volunteer, now=at, phone=PHONE)
        for order_id in (first, second):
            receive_order(session, order_id=order_id, volunteer_id=volunteer, now=at)
        record_call(
            session,
            site_id=world.site_id,
            order_ids=[first, second],
            outcome="see_note",
            note=f"{NAME}说明天来取，打{PHONE}",
            volunteer_id=volunteer,
            now=at,
        )
        record_notice_copied(
            session, site_id=world.site_id, kind="overdue", order_ids=[first], volunteer_id=volunteer, now=at
        )
        copied = record_copied(
            session,
            site_id=world.site_id,
            kind="overdue_notice",
            values={"names": [NAME]},
            text=f"{NAME}（{ADDRESS}）请来取菜",
            volunteer_id=volunteer,
            now=at,
            order_ids=[first],
        )
        sms = queue_message(
            session,
            site_id=world.site_id,
            channel="sms",
            audience="resident",
            kind="overdue_reminder",
            values={"name": NAME, "pickup_codes": ["8-3-1207", "1207"]},
            text=f"{NAME}您好，您的菜已超期",
            due_at=at,
            idempotency_key=f"overdue_reminder:{PHONE}:{at.date().isoformat()}",
            now=at,
            recipient=PHONE,
            order_ids=[first, second],
        )
        assert sms is not None
        assert not check_collector(session, order_ids=[first], answer="13800000000", volunteer_id=volunteer, now=at)
    with unit_of_work(engine) as session:
        hand_over(
            session,
            order_id=first,
            volunteer_id=volunteer,
            now=CLOSED_AT,
            collected_by="family",
            collector_name=f"{NAME}的女儿",
        )
        return_order(session, order_id=second, volunteer_id=volunteer, reason=f"{NAME}说不要了", now=CLOSED_AT)
        still_open = _order(session, world, number="P3", code="5678", name=NAME, phone=PHONE, address=ADDRESS, at=NOW)
        receive_order(session, order_id=still_open, volunteer_id=volunteer, now=NOW)
        recent = _order(
            session,
            world,
            number="Q1",
            code="9-101",
            name=OTHER_NAME,
            phone=OTHER_PHONE,
            address="9号楼101",
            at=RECENTLY,
        )
        receive_order(session, order_id=recent, volunteer_id=volunteer, now=RECENTLY)
        hand_over(session, order_id=recent, volunteer_id=volunteer, now=RECENTLY)
        _sign_ins(session, world)
    return Seeded(world, first, second, still_open, recent, sms, copied)


def _sign_ins(session, world: World) -> None:
    """Sessions ended, expired and live; browsers unseen 31 and 5 days; a tablet unseen 100 days."""
    for name, ended, expires in (
        ("ended", NOW - dt.timedelta(days=2), NOW),
        ("expired", None, NOW),
        ("live", None, None),
    ):
        session.add(
            LoginSession(
                token_hash=f"session-{name}",
                volunteer_id=world.volunteer_id,
                site_id=world.site_id,
                audience="volunteer",
                idle_minutes=10,
                created_at=NOW - dt.timedelta(days=3),
                last_seen_at=NOW - dt.timedelta(days=3),
                expires_at=expires or NOW + dt.timedelta(minutes=10),
                ended_at=ended,
                end_reason="signed_out" if ended else None,
            )
        )
    for name, kind, unseen in (("old", "browser", 31), ("fresh", "browser", 5), ("tablet", "tablet", 100)):
        session.add(
            Device(
                site_id=world.site_id,
                kind=kind,
                name=name,
                volunteer_id=world.volunteer_id if kind == "browser" else None,
                token_hash=f"device-{name}",
                created_at=NOW - dt.timedelta(days=200),
                last_seen_at=NOW - dt.timedelta(days=unseen),
            )
        )


def _reconciliation(engine: Engine, world: World):
    with read_only(engine) as session:
        return reconcile_deliveries(
            session,
            site_id=world.site_id,
            start=CLOSED_AT.date() - dt.timedelta(days=2),
            end=NOW.date(),
            today=NOW.date(),
        )


@dataclass(frozen=True)
class Purged:
    url: str
    engine: Engine
    seeded: Seeded
    report: object
    reconciliation_before: object


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def purged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Purged]:
    """The seeded store, purged once at NOW under the site's rule (30 days)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("retention") / "store.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
        url, admin = f"sqlite:///{path}", None
    else:
        template = request.getfixturevalue("migrated_postgres_template")
        url, admin = create_postgres_database(request.getfixturevalue("postgres_server"), template=template)
    engine = make_engine(url)
    try:
        seeded = seed(engine)
        before = _reconciliation(engine, seeded.world)
        report = purge_personal_data(engine, now=NOW)
        yield Purged(url, engine, seeded, report, before)
    finally:
        engine.dispose()
        if admin is not None:
            drop_postgres_database(admin, url)


def _bag(engine: Engine, order_id: int) -> Order:
    with read_only(engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        return order


def test_the_purge_counts_what_it_changed(purged: Purged):
    report = purged.report
    assert (report.orders, report.messages, report.sessions, report.devices) == (2, 2, 2, 1)
    # Corrected (2), called (2), handed over to a named collector, returned with a reason: those held more than codes.
    assert report.events == 6 and report.batches == 1
    with read_only(purged.engine) as session:
        event = session.scalars(select(Event).where(Event.action == PURGED_ACTION)).one()
    assert event.entity == "site" and event.entity_id == purged.seeded.world.site_id and event.actor_id is None
    assert event.after == {
        "bags": 2,
        "events": report.events,
        "messages": 2,
        "sessions": 2,
        "browsers": 1,
        "personal_data_days": 30,
    }


def test_the_resident_is_only_in_their_open_bag(purged: Purged):
    nowhere = {value: set() for value in PURGED}
    assert columns_holding(purged.engine, PURGED, except_rows={"orders": {purged.seeded.still_open}}) == nowhere
    assert columns_holding(purged.engine, PURGED)[PHONE] == {"orders.phone"}


def test_closed_bags_keep_building_dates_and_a_shared_random_household(purged: Purged):
    seeded = purged.seeded
    handed, returned, still_open = (
        _bag(purged.engine, i) for i in (seeded.handed_over, seeded.returned, seeded.still_open)
    )
    for bag in (handed, returned):
        assert (bag.resident_name, bag.phone, bag.phone_tail, bag.address) == ("", "", "", "8号")
        assert bag.anonymised_at == NOW
    assert handed.status == "picked_up" and handed.delivery_date == (CLOSED_AT - dt.timedelta(hours=6)).date()
    # The open bag keeps everything, and already carries the household's id.
    assert (still_open.resident_name, still_open.phone, still_open.address) == (NAME, PHONE, ADDRESS)
    assert still_open.anonymised_at is None
    assert handed.household_id == returned.household_id == still_open.household_id
    assert handed.household_id is not None and len(handed.household_id) == 16
    assert PHONE not in handed.household_id and PHONE[-4:] not in handed.household_id


def test_two_purges_of_the_same_data_give_different_households(purged: Purged, tmp_path: pathlib.Path, request):
    twin_path = tmp_path / "twin.db"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), twin_path)
    twin = make_engine(f"sqlite:///{twin_path}")
    try:
        seeded = seed(twin)
        purge_personal_data(twin, now=NOW)
        assert (
            _bag(twin, seeded.handed_over).household_id != _bag(purged.engine, purged.seeded.handed_over).household_id
        )
    finally:
        twin.dispose()


def test_events_keep_only_codes_and_are_stamped(purged: Purged):
    seeded = purged.seeded
    with read_only(purged.engine) as session:
        events = session.scalars(
            select(Event).where(Event.entity == "order", Event.entity_id.in_([seeded.handed_over, seeded.returned]))
        ).all()
        open_events = session.scalars(
            select(Event).where(Event.entity == "order", Event.entity_id == seeded.still_open)
        ).all()
    actions = {event.action for event in events}
    assert {"order.created", "order.corrected", "order.called", "order.told", "order.picked_up"} <= actions
    assert {"order.returned", "order.collector_check_failed"} <= actions
    for event in events:
        assert set(event.before or {}) | set(event.after or {}) <= KEPT_EVENT_KEYS
    stamped = {event.action for event in events if event.scrubbed_at == NOW}
    assert stamped == {"order.corrected", "order.called", "order.picked_up", "order.returned"}
    assert all(event.scrubbed_at in (None, NOW) for event in events)
    by_action = {event.action: event for event in events}
    assert by_action["order.picked_up"].after == {"status": "picked_up", "collected_by": "family"}
    assert by_action["order.called"].after == {"outcome": "see_note"}
    assert by_action["order.told"].after == {"notice": "overdue"}
    assert all(event.scrubbed_at is None for event in open_events)


def test_messages_about_the_bags_are_emptied(purged: Purged):
    with read_only(purged.engine) as session:
        messages = session.scalars(select(Message).order_by(Message.id)).all()
    assert [message.id for message in messages] == sorted([purged.seeded.sms, purged.seeded.copied])
    for message in messages:
        assert (message.recipient, message.values, message.text) == (None, {}, "")
        assert message.idempotency_key == f"scrubbed:{message.id}" and message.scrubbed_at == NOW
    # The SMS was still due: nothing is left to send, so it is cancelled.
    assert {message.id: message.status for message in messages} == {
        purged.seeded.sms: "cancelled",
        purged.seeded.copied: "copied",
    }


def test_reports_still_add_up_and_the_desk_finds_only_the_open_bag(purged: Purged):
    world = purged.seeded.world
    after = _reconciliation(purged.engine, world)
    assert after.equals(purged.reconciliation_before)
    assert set(after["balance"]) == {"balanced"}
    with read_only(purged.engine) as session:
        holds = class_hold_days(get_site_rules(session, site_id=world.site_id))
        found = find_orders(session, site_id=world.site_id, text=PHONE[-4:], now=NOW, hold_days=holds, open_only=False)
        list_overdue_calls(session, site_id=world.site_id, now=NOW, reveal_phone=True)
    assert [bag.id for bag in found] == [purged.seeded.still_open]


def test_sign_ins_ended_and_browsers_unseen_are_deleted_tablets_stay(purged: Purged):
    with read_only(purged.engine) as session:
        sessions = session.scalars(select(LoginSession.token_hash)).all()
        devices = session.scalars(select(Device.name)).all()
    assert sessions == ["session-live"]
    assert sorted(devices) == ["fresh", "tablet"]


def test_a_second_purge_changes_nothing(purged: Purged):
    again = purge_personal_data(purged.engine, now=NOW + dt.timedelta(minutes=5))
    assert (again.orders, again.events, again.messages, again.sessions, again.devices, again.batches) == (0,) * 6
    with read_only(purged.engine) as session:
        assert len(session.scalars(select(Event.id).where(Event.action == PURGED_ACTION)).all()) == 1


def test_the_scrub_is_the_one_change_the_log_allows(purged: Purged):
    with pytest.raises(Exception, match="append-only"), unit_of_work(purged.engine) as session:
        session.execute(update(Event).where(Event.entity_id == purged.seeded.handed_over).values(scrubbed_at=NOW))


def test_the_runner_purges_at_most_once_an_hour(purged: Purged):
    with httpx.Client() as http:
        runs = [
            Runner(purged.engine, name="test", clock=lambda at=at: at, http=http).run_once().counts
            for at in (NOW + dt.timedelta(minutes=10), NOW + dt.timedelta(minutes=40), NOW + dt.timedelta(minutes=75))
        ]
    assert [counts.get(PURGE_COUNT, 0) for counts in runs] == [1, 0, 1]


def test_older_than_days_overrides_the_rule(purged: Purged, capsys: pytest.CaptureFixture[str]):
    assert _bag(purged.engine, purged.seeded.recent).resident_name == OTHER_NAME
    command = ["privacy", "purge", "--older-than-days", "5", "--now", (NOW + dt.timedelta(hours=2)).isoformat()]
    assert main([*command, "--lang", "en", "--database-url", purged.url]) == 0
    assert "personal data purged: 1 bag," in capsys.readouterr().out
    recent = _bag(purged.engine, purged.seeded.recent)
    assert (recent.resident_name, recent.phone, recent.address) == ("", "", "9号")
    # The open bag waits for its own closing, whatever the days.
    assert _bag(purged.engine, purged.seeded.still_open).phone == PHONE
    assert main([*command, "--lang", "zh-CN", "--database-url", purged.url]) == 0
    assert "已匿名化菜袋 0 袋" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["privacy", "purge", "--older-than-days", "0", "--database-url", purged.url])


def test_once_the_open_bag_is_purged_too_no_table_file_or_backup_holds_the_resident(
    purged: Purged, tmp_path: pathlib.Path
):
    """Last: the open bag is handed over and purged a day later (into the same household), then every table, the
    SQLite file and its write-ahead log, and every kind of backup made afterwards are searched."""
    seeded = purged.seeded
    with unit_of_work(purged.engine) as session:
        hand_over(session, order_id=seeded.still_open, volunteer_id=seeded.world.volunteer_id, now=NOW)
    purge_personal_data(purged.engine, now=NOW + dt.timedelta(days=2), older_than_days=1)
    assert _bag(purged.engine, seeded.still_open).anonymised_at == NOW + dt.timedelta(days=2)
    assert _bag(purged.engine, seeded.still_open).household_id == _bag(purged.engine, seeded.handed_over).household_id
    assert columns_holding(purged.engine, PURGED) == {value: set() for value in PURGED}
    if purged.engine.dialect.name == "sqlite":
        database = pathlib.Path(purged.engine.url.database or "")
        files = files_holding([database, database.with_name(database.name + "-wal")], PURGED)
        assert files and all(found == [] for found in files.values()), files
        kinds = ("sqlite", "portable")
    else:
        kinds = ("pg_dump", "portable")
    for kind in kinds:
        path = tmp_path / f"after-purge-{kind}.{'db' if kind == 'sqlite' else 'zip'}"
        make_backup(purged.engine, path=path, kind=kind, now=NOW)
        found = backup_holding(path, PURGED)
        assert found and all(hits == [] for hits in found.values()), (kind, found)
