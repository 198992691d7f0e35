"""What the planner says is due, as data: shift reminders, a cancelled shift, a stand-in wanted, a shift under its
minimum, a missed reading, an excursion without its follow-up, the day's summary, the residents' overdue SMS — each
once (its key queued, a second plan adds nothing), only where the site has the channel and the kind switched on,
and read through indexes (SQLite's query plans)."""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil

from sqlalchemy import Engine, select, update

from db.cold_chain.temperatures import record_temperature
from db.core.clock import local_moment
from db.core.engine import make_engine, unit_of_work
from db.core.models import Message, SiteRules, StorageUnit, Volunteer
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from db.outbox.channels import set_channel, set_notification
from db.outbox.messages import queue_message
from db.outbox.opt_outs import phone_hash, record_sms_opt_out
from db.outbox.plans import Planned, due_notifications
from db.roster.shifts import cancel_shift, cancel_sign_up, create_shift, sign_up
from tests.support.query_plans import full_scans
from tests.support.store import World, make_world

TODAY = dt.date(2026, 11, 25)  # NOW is 10:00 on this day in Shanghai
HOUR = dt.timedelta(hours=1)
AUNT_PHONE = "13911112222"  # 王阿姨's mobile, to @ her


def enable(engine: Engine, world: World, *channels: str, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        for channel in channels:
            secrets = (
                {"webhook_url": "http://127.0.0.1:9/send?key=k"}
                if channel == "wecom"
                else {"access_key_id": "id", "access_key_secret": "secret"}
            )
            settings = (
                {"sign_name": "天山二村", "template_codes": {"overdue_reminder": "SMS_1"}} if channel == "sms" else {}
            )
            set_channel(
                session, site_id=world.site_id, channel=channel, enabled=True, settings=settings, secrets=secrets,
                volunteer_id=world.volunteer_id, now=now,
            )  # fmt: skip
        session.execute(update(Volunteer).where(Volunteer.id == world.volunteer_id).values(phone=AUNT_PHONE))


def without_cold_units(engine: Engine) -> None:
    """No fridge or freezer: no reading is missed in a test about something else."""
    with unit_of_work(engine) as session:
        session.execute(update(StorageUnit).where(StorageUnit.kind != "shelf").values(active=False))


def plan(engine: Engine, *, now: dt.datetime) -> list[Planned]:
    with unit_of_work(engine) as session:
        return due_notifications(session, now=now)


def queue_all(engine: Engine, planned: list[Planned], *, now: dt.datetime) -> None:
    """What the runner does with a plan (its text aside)."""
    with unit_of_work(engine) as session:
        for item in planned:
            queue_message(
                session, site_id=item.site_id, channel=item.channel, audience=item.audience, kind=item.kind,
                values=item.values, text=item.kind, due_at=item.due_at, idempotency_key=item.idempotency_key,
                now=now, recipient=item.recipient, volunteer_id=item.volunteer_id, order_ids=item.order_ids,
                shift_id=item.shift_id, reading_id=item.reading_id, storage_unit_id=item.storage_unit_id,
            )  # fmt: skip


def shift(engine: Engine, world: World, *, starts_at: dt.datetime, now: dt.datetime, min_staff: int = 1) -> int:
    with unit_of_work(engine) as session:
        return create_shift(
            session, site_id=world.site_id, role="handout", starts_at=starts_at, ends_at=starts_at + 2 * HOUR,
            min_staff=min_staff, max_staff=3, now=now,
        ).id  # fmt: skip


def signed_up(engine: Engine, *, shift_id: int, volunteer_id: int, now: dt.datetime) -> int:
    with unit_of_work(engine) as session:
        return sign_up(session, shift_id=shift_id, volunteer_id=volunteer_id, now=now).id


def kinds(planned: list[Planned]) -> list[tuple[str, str]]:
    return sorted((item.kind, item.idempotency_key) for item in planned)


def test_nothing_is_planned_without_a_channel(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    soon = shift(engine, world, starts_at=now + HOUR, now=now, min_staff=2)
    signed_up(engine, shift_id=soon, volunteer_id=world.volunteer_id, now=now)
    assert plan(engine, now=now) == []


def test_shift_reminders_go_24_and_2_hours_before_with_who_else_is_on_and_once(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    enable(engine, world, "wecom", now=now)
    without_cold_units(engine)
    tomorrow = shift(engine, world, starts_at=now + 20 * HOUR, now=now)
    aunt = signed_up(engine, shift_id=tomorrow, volunteer_id=world.volunteer_id, now=now)
    uncle = signed_up(engine, shift_id=tomorrow, volunteer_id=world.other_volunteer_id, now=now)
    soon = shift(engine, world, starts_at=now + 90 * dt.timedelta(minutes=1), now=now)
    aunt_soon = signed_up(engine, shift_id=soon, volunteer_id=world.volunteer_id, now=now - 3 * HOUR)
    later = shift(engine, world, starts_at=now + 30 * HOUR, now=now)
    aunt_later = signed_up(engine, shift_id=later, volunteer_id=world.volunteer_id, now=now)

    planned = plan(engine, now=now)
    assert kinds(planned) == [
        ("shift_reminder_24h", f"shift_reminder_24h:{aunt}"),
        ("shift_reminder_24h", f"shift_reminder_24h:{uncle}"),
        ("shift_reminder_2h", f"shift_reminder_2h:{aunt_soon}"),
    ]
    first = next(item for item in planned if item.idempotency_key == f"shift_reminder_24h:{aunt}")
    assert (first.channel, first.audience, first.recipient, first.volunteer_id, first.shift_id) == (
        "wecom", "volunteer", AUNT_PHONE, world.volunteer_id, tomorrow,
    )  # fmt: skip
    assert first.values["others"] == ["张*叔"] and first.values["volunteer"] == "王*姨"
    assert first.values["starts_at"] == (now + 20 * HOUR).isoformat() and first.values["site"] == "天山二村"
    assert first.due_at == now  # signed up after the 24-hour mark
    two_hours = next(item for item in planned if item.kind == "shift_reminder_2h")
    assert two_hours.due_at == now + 90 * dt.timedelta(minutes=1) - 2 * HOUR
    uncle_item = next(item for item in planned if item.idempotency_key == f"shift_reminder_24h:{uncle}")
    assert uncle_item.recipient is None  # no mobile number to @

    queue_all(engine, planned, now=now)
    assert plan(engine, now=now) == []  # a second run plans nothing new
    later_on = now + 19 * HOUR  # tomorrow's shift is an hour away now
    assert kinds(plan(engine, now=later_on)) == [
        ("shift_reminder_24h", f"shift_reminder_24h:{aunt_later}"),
        ("shift_reminder_2h", f"shift_reminder_2h:{aunt}"),
        ("shift_reminder_2h", f"shift_reminder_2h:{uncle}"),
    ]


def test_a_cancelled_shift_a_stand_in_and_a_shift_under_its_minimum(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    enable(engine, world, "wecom", now=now)
    without_cold_units(engine)
    far = shift(engine, world, starts_at=now + 48 * HOUR, now=now)
    aunt_far = signed_up(engine, shift_id=far, volunteer_id=world.volunteer_id, now=now)
    tonight = shift(engine, world, starts_at=now + 5 * HOUR, now=now)
    signed_up(engine, shift_id=tonight, volunteer_id=world.volunteer_id, now=now)
    uncle_tonight = signed_up(engine, shift_id=tonight, volunteer_id=world.other_volunteer_id, now=now)
    tomorrow = shift(engine, world, starts_at=now + 20 * HOUR, now=now, min_staff=2)
    uncle_tomorrow = signed_up(engine, shift_id=tomorrow, volunteer_id=world.other_volunteer_id, now=now)
    with unit_of_work(engine) as session:
        cancel_shift(session, shift_id=far, now=now, actor_id=world.volunteer_id)
        # Inside the 12-hour cutoff (an organizer may): a stand-in is wanted. Outside it: none.
        cancel_sign_up(session, assignment_id=uncle_tonight, now=now, actor_id=world.volunteer_id, ignore_cutoff=True)
        cancel_sign_up(session, assignment_id=uncle_tomorrow, now=now)
    planned = plan(engine, now=now + dt.timedelta(minutes=1))
    assert [key for kind, key in kinds(planned) if not kind.startswith("shift_reminder")] == [
        f"shift_cancelled:{aunt_far}",
        f"shift_understaffed:{tomorrow}",
        f"stand_in_wanted:{uncle_tonight}",
    ]
    by_kind = {item.kind: item for item in planned}
    told = by_kind["shift_cancelled"]
    assert (told.audience, told.recipient, told.due_at, told.shift_id) == ("volunteer", AUNT_PHONE, now, far)
    stand_in = by_kind["stand_in_wanted"]
    assert (stand_in.audience, stand_in.recipient, stand_in.values["staffed"]) == ("staff", None, 1)
    under = by_kind["shift_understaffed"]
    assert (under.audience, under.values["staffed"], under.values["min_staff"]) == ("organizers", 0, 2)

    with unit_of_work(engine) as session:
        set_notification(
            session, site_id=world.site_id, kind="stand_in_wanted", enabled=False, volunteer_id=None, now=now
        )
    assert "stand_in_wanted" not in {item.kind for item in plan(engine, now=now + dt.timedelta(minutes=1))}


def test_a_missed_reading_and_an_excursion_without_its_follow_up(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    enable(engine, world, "wecom", now=now)
    with unit_of_work(engine) as session:
        fridge, freezer = (
            session.scalar(select(StorageUnit.id).where(StorageUnit.code == code)) for code in ("F1", "Z1")
        )
        assert fridge is not None and freezer is not None
        # The fridge's 08:00 reading was taken (late, out of range, 40 minutes ago); the freezer's never.
        out = record_temperature(
            session, storage_unit_id=fridge, reading_c=11.0, volunteer_id=world.volunteer_id,
            now=now - 40 * dt.timedelta(minutes=1), corrective_action="门没关好，已关上",
        )  # fmt: skip
    planned = plan(engine, now=now)
    eight = local_moment(TODAY, dt.time(8))
    assert kinds(planned) == [
        ("excursion_follow_up", f"excursion_follow_up:{out.id}"),
        ("reading_missed", f"reading_missed:{freezer}:{eight.isoformat()}"),
    ]
    follow_up = planned[0]
    assert (follow_up.audience, follow_up.reading_id, follow_up.storage_unit_id) == ("organizers", out.id, fridge)
    assert follow_up.values["reading_c"] == 11.0 and follow_up.due_at == now - 10 * dt.timedelta(minutes=1)
    assert planned[1].due_at == eight + HOUR and planned[1].values["unit_code"] == "Z1"
    # Ten minutes after it was taken: the follow-up is not late yet. A follow-up in range settles it.
    assert kinds(plan(engine, now=now - 30 * dt.timedelta(minutes=1)))[0][0] == "reading_missed"
    with unit_of_work(engine) as session:
        record_temperature(session, storage_unit_id=fridge, reading_c=4.0, volunteer_id=world.volunteer_id, now=now)
    assert [kind for kind, _ in kinds(plan(engine, now=now))] == ["reading_missed"]


def test_the_days_summary_is_due_at_closing_from_the_figures(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    enable(engine, world, "wecom", now=now)
    with unit_of_work(engine) as session:
        order = create_order(
            session, site_id=world.site_id, platform="多多买菜", order_number="N1", pickup_code="8-1",
            resident_name="李四", phone="13800138000", delivery_date=TODAY, items=[ItemSpec("青菜", 1, "ambient")],
            now=now,
        )  # fmt: skip
        receive_order(session, order_id=order.id, volunteer_id=world.volunteer_id, now=now)
    without_cold_units(engine)
    closing = local_moment(TODAY, dt.time(21))
    assert plan(engine, now=closing - dt.timedelta(minutes=1)) == []
    planned = plan(engine, now=closing + dt.timedelta(minutes=1))
    assert kinds(planned) == [("day_summary", f"day_summary:{world.site_id}:2026-11-25")]
    summary = planned[0]
    assert (summary.audience, summary.due_at) == ("organizers", closing)
    assert {key: summary.values[key] for key in ("received", "handed_over", "overdue", "problems", "day")} == {
        "received": 1, "handed_over": 0, "overdue": 0, "problems": 0, "day": "2026-11-25",
    }  # fmt: skip
    # Tomorrow's lines from the forecast: numbers and codes only, no person in them.
    assert summary.values["tomorrow"] == "2026-11-26"
    assert set(summary.values["tomorrow_bags"]) <= {"ambient", "chilled", "frozen"}
    assert {"tomorrow_short", "tomorrow_hands", "tomorrow_closed"} <= set(summary.values)
    assert "李四" not in repr(summary.values) and "13800138000" not in repr(summary.values)
    queue_all(engine, planned, now=closing)
    assert plan(engine, now=closing + dt.timedelta(minutes=2)) == []


def test_the_overdue_sms_goes_on_the_first_overdue_day_one_per_phone_with_all_its_bags(
    engine: Engine, now: dt.datetime
):
    world = make_world(engine, now=now, shelf_slots=8)
    enable(engine, world, "sms", now=now)
    with unit_of_work(engine) as session:
        session.execute(update(SiteRules).where(SiteRules.site_id == world.site_id).values(chilled_hold_days=1))
    bags = {}
    with unit_of_work(engine) as session:
        for number, (phone, delivered) in enumerate(
            [
                ("13800000001", TODAY - dt.timedelta(days=3)),  # collect by the 24th: overdue from today
                ("13800000001", TODAY - dt.timedelta(days=4)),  # overdue since yesterday
                ("13800000002", TODAY - dt.timedelta(days=4)),  # overdue since yesterday only
                ("13800000003", TODAY - dt.timedelta(days=3)),  # opted out
                ("13800000004", TODAY - dt.timedelta(days=2)),  # not overdue yet
                ("021-62345678", TODAY - dt.timedelta(days=3)),  # a landline: no SMS
                ("13800000005", TODAY - dt.timedelta(days=1)),  # chilled, held a day: overdue from today
            ]
        ):
            order = create_order(
                session, site_id=world.site_id, platform="多多买菜", order_number=f"N{number}",
                pickup_code=f"8-{number}", resident_name="李四", phone=phone, delivery_date=delivered,
                items=[ItemSpec("青菜", 1, "chilled" if number == 6 else "ambient")], now=now,
            )  # fmt: skip
            receive_order(session, order_id=order.id, volunteer_id=world.volunteer_id, now=now)
            bags[number] = order.id
        record_sms_opt_out(session, site_id=world.site_id, phone="13800000003", volunteer_id=None, now=now)
        hashed = phone_hash(session, phone="13800000001", now=now)
        chilled = phone_hash(session, phone="13800000005", now=now)
    planned = plan(engine, now=now)
    assert kinds(planned) == sorted(
        ("overdue_reminder", f"overdue_reminder:{key}:2026-11-25") for key in (hashed, chilled)
    )
    assert next(item for item in planned if item.recipient == "13800000005").order_ids == (bags[6],)
    planned = [item for item in planned if item.recipient == "13800000001"]
    sms = planned[0]
    assert (sms.channel, sms.audience, sms.recipient) == ("sms", "resident", "13800000001")
    assert sorted(sms.order_ids) == [bags[0], bags[1]] and sms.values["bags"] == 2
    assert sms.values["pickup_codes"] == ["8-1", "8-0"] and sms.values["collect_by"] == "2026-11-23"
    assert "13800000001" not in sms.idempotency_key
    queue_all(engine, planned, now=now)
    with unit_of_work(engine) as session:
        queued = session.scalars(select(Message).where(Message.recipient == "13800000001")).one()
    assert queued.due_at == local_moment(TODAY, dt.time(8))  # midnight, in quiet hours: 08:00
    assert [item.recipient for item in plan(engine, now=now + HOUR)] == ["13800000005"]  # not queued above
    with unit_of_work(engine) as session:
        set_notification(
            session, site_id=world.site_id, kind="overdue_reminder", enabled=False, volunteer_id=None, now=now
        )
    assert plan(engine, now=now + dt.timedelta(days=1)) == []


# --- the planner's statements read through indexes (SQLite's query plans) ---

# Tables that grow with the history: a statement must never walk one whole.
GROWING = ("orders", "events", "messages", "shifts", "assignments", "temperature_readings", "message_orders")


def test_the_planner_reads_no_growing_table_whole(
    migrated_sqlite_file: pathlib.Path, tmp_path: pathlib.Path, now: dt.datetime
):
    shutil.copyfile(migrated_sqlite_file, tmp_path / "plans.db")
    store = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    world = make_world(store, now=now)
    enable(store, world, "wecom", "sms", now=now)
    closing = local_moment(TODAY, dt.time(21, 1))
    tonight = shift(store, world, starts_at=closing + 2 * HOUR, now=now, min_staff=2)
    uncle = signed_up(store, shift_id=tonight, volunteer_id=world.other_volunteer_id, now=now)
    signed_up(store, shift_id=tonight, volunteer_id=world.volunteer_id, now=now)
    far = shift(store, world, starts_at=now + 48 * HOUR, now=now)
    signed_up(store, shift_id=far, volunteer_id=world.volunteer_id, now=now)
    with unit_of_work(store) as session:
        cancel_shift(session, shift_id=far, now=now)
        cancel_sign_up(session, assignment_id=uncle, now=closing - HOUR, ignore_cutoff=True)
        order = create_order(
            session, site_id=world.site_id, platform="多多买菜", order_number="N1", pickup_code="8-1",
            resident_name="李四", phone="13800000001", delivery_date=TODAY - dt.timedelta(days=3),
            items=[ItemSpec("青菜", 1, "ambient")], now=now,
        )  # fmt: skip
        receive_order(session, order_id=order.id, volunteer_id=world.volunteer_id, now=now)
    with full_scans(store, tables=GROWING, at_least=11) as scans:
        planned = plan(store, now=closing)
    store.dispose()
    assert {item.kind for item in planned} >= {"shift_cancelled", "stand_in_wanted", "day_summary", "overdue_reminder"}
    # One known exception: the dashboard's own on-duty count (db.reports.figures._on_duty_counts, in the figures the
    # day's summary reads once a day, after its key was found not queued) walks the assignments here, where SQLite
    # has no statistics of them.
    assert [scan for scan in scans if "count(distinct(assignments.volunteer_id))" not in scan] == []
