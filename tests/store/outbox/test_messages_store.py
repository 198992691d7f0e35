"""The outbox's rows in the store: queued once per key, claimed by one runner, settled by the runner that holds
them, retried or cancelled by an organizer; what the pages list (recipients masked) and the counts the limits read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from db.core.clock import local_moment
from db.core.engine import unit_of_work
from db.core.errors import InvalidValue, NotFound, WrongState
from db.core.models import Event, Message
from db.outbox.messages import (
    MAX_ATTEMPTS,
    cancel_message,
    claim_due_messages,
    list_messages,
    mark_failed,
    mark_sent,
    mark_unknown,
    messages_about,
    put_back,
    queue_message,
    record_copied,
    retry_message,
    sent_lately,
    sms_sent_today,
    stale_sending,
)
from tests.support.store import World, add_order, make_world

PHONE = "13800138000"
MINUTE = dt.timedelta(minutes=1)


def queue(engine: Engine, world: World, *, key: str, due_at: dt.datetime, now: dt.datetime, **extra: Any) -> int | None:
    arguments: dict[str, Any] = dict(
        site_id=world.site_id,
        channel="wecom",
        audience="staff",
        kind="day_summary",
        values={"bags_in": 3},
        text="今日汇总",
        due_at=due_at,
        idempotency_key=key,
        now=now,
    )
    arguments.update(extra)
    with unit_of_work(engine) as session:
        return queue_message(session, **arguments)


def status_of(engine: Engine, message_id: int) -> Message:
    with unit_of_work(engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        session.expunge(message)
        return message


def claim(engine: Engine, *, runner: str, now: dt.datetime, limit: int = 50) -> list[Any]:
    with unit_of_work(engine) as session:
        return claim_due_messages(session, runner=runner, now=now, limit=limit)


def test_a_key_is_queued_once_and_names_its_bags(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    bags = [add_order(engine, world, now=now, number=f"N{i}", code=f"8-{i}") for i in range(2)]
    first = queue(engine, world, key="overdue:x:2026-11-25", due_at=now, now=now, order_ids=bags)
    again = queue(engine, world, key="overdue:x:2026-11-25", due_at=now, now=now, order_ids=bags)
    assert first is not None and again is None
    with unit_of_work(engine) as session:
        assert len(session.scalars(select(Message)).all()) == 1
        assert messages_about(session, order_id=bags[1])["id"].tolist() == [first]
    with pytest.raises(InvalidValue), unit_of_work(engine) as session:
        queue_message(
            session, site_id=world.site_id, channel="fax", audience="staff", kind="k", values={}, text="",
            due_at=now, idempotency_key="x", now=now,
        )  # fmt: skip


def test_an_sms_due_in_quiet_hours_waits_for_eight_and_a_robot_message_does_not(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    late = local_moment(dt.date(2026, 11, 25), dt.time(21, 30))
    sms = queue(engine, world, key="sms", due_at=late, now=now, channel="sms", audience="resident", recipient=PHONE)
    robot = queue(engine, world, key="robot", due_at=late, now=now)
    assert sms is not None and robot is not None
    assert status_of(engine, sms).due_at == local_moment(dt.date(2026, 11, 26), dt.time(8))
    assert status_of(engine, robot).due_at == late


def test_a_claim_takes_what_is_due_oldest_first_and_counts_the_attempt(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    older = queue(engine, world, key="a", due_at=now - 2 * MINUTE, now=now)
    newer = queue(engine, world, key="b", due_at=now - MINUTE, now=now)
    later = queue(engine, world, key="c", due_at=now + MINUTE, now=now)
    claimed = claim(engine, runner="r1", now=now, limit=1)
    assert [m.id for m in claimed] == [older]
    assert claimed[0].attempts == 1 and claimed[0].claimed_by == "r1" and len(claimed[0].request_id or "") == 32
    assert [m.id for m in claim(engine, runner="r2", now=now)] == [newer]
    assert claim(engine, runner="r3", now=now) == []  # `later` is not due yet; the others are held
    assert status_of(engine, later).status == "due"
    row = status_of(engine, older)
    assert (row.status, row.claimed_by, row.claimed_at, row.attempts) == ("sending", "r1", now, 1)


def test_only_the_runner_holding_a_message_settles_it(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    message_id = queue(engine, world, key="a", due_at=now, now=now)
    assert message_id is not None
    claim(engine, runner="r1", now=now)
    with pytest.raises(WrongState), unit_of_work(engine) as session:
        mark_sent(session, message_id=message_id, runner="r2", now=now)
    with unit_of_work(engine) as session:
        mark_sent(session, message_id=message_id, runner="r1", now=now, provider_id="biz-1", answer="OK")
    row = status_of(engine, message_id)
    assert (row.status, row.sent_at, row.provider_id, row.provider_answer) == ("sent", now, "biz-1", "OK")
    with pytest.raises(WrongState), unit_of_work(engine) as session:
        mark_sent(session, message_id=message_id, runner="r1", now=now)  # a second settlement
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        mark_unknown(session, message_id=message_id + 99, runner="r1", now=now, answer="?")


def test_a_failure_is_tried_again_at_its_time_until_the_fifth_attempt_gives_up(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    message_id = queue(engine, world, key="a", due_at=now, now=now)
    assert message_id is not None
    moment = now
    for attempt in range(1, MAX_ATTEMPTS + 1):
        claimed = claim(engine, runner="r1", now=moment)
        assert [(m.id, m.attempts) for m in claimed] == [(message_id, attempt)]
        request_id = claimed[0].request_id
        with unit_of_work(engine) as session:
            status = mark_failed(
                session, message_id=message_id, runner="r1", now=moment, answer="HTTP 500", retry_at=moment + MINUTE
            )
        assert status == ("given_up" if attempt == MAX_ATTEMPTS else "failed")
        assert claim(engine, runner="r1", now=moment) == []  # not before its retry time
        moment += MINUTE
    assert claim(engine, runner="r1", now=moment + dt.timedelta(hours=1)) == []
    assert status_of(engine, message_id).request_id == request_id  # the same request id on every attempt


def test_a_failure_without_a_retry_time_gives_up_at_once(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    message_id = queue(engine, world, key="a", due_at=now, now=now)
    assert message_id is not None
    claim(engine, runner="r1", now=now)
    with unit_of_work(engine) as session:
        assert mark_failed(session, message_id=message_id, runner="r1", now=now, answer="bad template", retry_at=None)
    assert status_of(engine, message_id).status == "given_up"


def test_put_back_is_not_an_attempt_and_waits_for_its_new_time(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    message_id = queue(engine, world, key="a", due_at=now, now=now)
    assert message_id is not None
    claim(engine, runner="r1", now=now)
    with unit_of_work(engine) as session:
        put_back(session, message_id=message_id, runner="r1", due_at=now + MINUTE, answer="130101")
    row = status_of(engine, message_id)
    assert (row.status, row.attempts, row.due_at, row.provider_answer) == ("due", 0, now + MINUTE, "130101")
    assert claim(engine, runner="r1", now=now) == []
    assert [m.attempts for m in claim(engine, runner="r2", now=now + MINUTE)] == [1]


def test_a_claim_left_sending_is_stale_after_ten_minutes_and_is_settled_naming_its_runner(
    engine: Engine, now: dt.datetime
):
    world = make_world(engine, now=now)
    message_id = queue(engine, world, key="a", due_at=now, now=now)
    assert message_id is not None
    claim(engine, runner="dead", now=now)
    with unit_of_work(engine) as session:
        assert stale_sending(session, now=now + 10 * MINUTE) == []
        stale = stale_sending(session, now=now + 11 * MINUTE)
    assert [(m.id, m.claimed_by) for m in stale] == [(message_id, "dead")]
    with unit_of_work(engine) as session:
        mark_unknown(session, message_id=message_id, runner="dead", now=now + 11 * MINUTE, answer="runner died")
    with pytest.raises(WrongState), unit_of_work(engine) as session:  # the other runner settling it too
        mark_unknown(session, message_id=message_id, runner="dead", now=now + 11 * MINUTE, answer="runner died")
    assert status_of(engine, message_id).status == "unknown"


def test_an_organizer_retries_what_failed_or_is_unknown_and_cancels_what_is_due(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    unknown = queue(engine, world, key="a", due_at=now, now=now)
    due = queue(engine, world, key="b", due_at=now + MINUTE, now=now)
    assert unknown is not None and due is not None
    claim(engine, runner="r1", now=now)
    with unit_of_work(engine) as session:
        mark_unknown(session, message_id=unknown, runner="r1", now=now, answer="?")
    later = now + dt.timedelta(hours=1)
    with unit_of_work(engine) as session:
        retry_message(session, message_id=unknown, volunteer_id=world.volunteer_id, now=later)
        cancel_message(session, message_id=due, volunteer_id=world.volunteer_id, now=later)
    row = status_of(engine, unknown)
    assert (row.status, row.due_at, row.attempts, row.claimed_by) == ("due", later, 0, None)
    assert status_of(engine, due).status == "cancelled"
    for refused in (
        lambda session: retry_message(session, message_id=due, volunteer_id=world.volunteer_id, now=later),
        lambda session: cancel_message(session, message_id=due, volunteer_id=world.volunteer_id, now=later),
    ):
        with pytest.raises(WrongState), unit_of_work(engine) as session:
            refused(session)
    with unit_of_work(engine) as session:
        events = session.scalars(select(Event).where(Event.entity == "message").order_by(Event.id)).all()
    assert [(e.action, e.entity_id, e.before, e.after, e.actor_id) for e in events] == [
        ("message.retried", unknown, {"status": "unknown"}, {"status": "due"}, world.volunteer_id),
        ("message.cancelled", due, {"status": "due"}, {"status": "cancelled"}, world.volunteer_id),
    ]


def test_the_outbox_lists_a_sites_messages_by_day_status_and_channel_with_recipients_masked(
    engine: Engine, now: dt.datetime
):
    world = make_world(engine, now=now)
    bag = add_order(engine, world, now=now, number="N1", code="8-1")
    tomorrow = now + dt.timedelta(days=1)
    sms = queue(engine, world, key="s", due_at=now, now=now, channel="sms", audience="resident", recipient=PHONE)
    robot = queue(engine, world, key="r", due_at=tomorrow, now=now, volunteer_id=world.volunteer_id)
    with unit_of_work(engine) as session:
        copied = record_copied(
            session, site_id=world.site_id, kind="overdue_notice", values={}, text="逾期提醒", order_ids=[bag],
            volunteer_id=world.volunteer_id, now=now,
        )  # fmt: skip
        everything = list_messages(session, site_id=world.site_id)
        today = list_messages(session, site_id=world.site_id, day=dt.date(2026, 11, 25))
        sms_only = list_messages(session, site_id=world.site_id, channel="sms", statuses=["due"])
        copies = list_messages(session, site_id=world.site_id, statuses=["copied"])
        about_bag = messages_about(session, order_id=bag)
    assert everything["id"].tolist()[0] == robot and set(everything["id"]) == {sms, robot, copied}
    assert set(today["id"]) == {sms, copied}
    assert sms_only["recipient"].tolist() == ["138****8000"]
    assert PHONE not in everything.to_string()
    assert everything.set_index("id").loc[robot, "volunteer"] == "王阿姨"
    assert copies[["channel", "audience", "status"]].values.tolist() == [["copy", "resident", "copied"]]
    assert about_bag["id"].tolist() == [copied]


def test_counts_for_the_limits_read_what_was_sent(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    ids = [
        queue(engine, world, key=f"s{i}", due_at=now, now=now, channel="sms", audience="resident", recipient=PHONE,
              kind="overdue_reminder")
        for i in range(3)
    ]  # fmt: skip
    ids.append(queue(engine, world, key="r", due_at=now, now=now))
    claim(engine, runner="r1", now=now)
    yesterday = now - dt.timedelta(days=1)
    with unit_of_work(engine) as session:
        mark_sent(session, message_id=ids[0], runner="r1", now=yesterday)
        mark_sent(session, message_id=ids[1], runner="r1", now=now)
        mark_sent(session, message_id=ids[2], runner="r1", now=now)
        mark_sent(session, message_id=ids[3], runner="r1", now=now - 2 * MINUTE)
    with unit_of_work(engine) as session:
        assert sms_sent_today(session, recipient=PHONE, kind="overdue_reminder", now=now) == 2
        assert sms_sent_today(session, recipient=PHONE, kind="other", now=now) == 0
        assert sent_lately(session, site_id=world.site_id, channel="wecom", since=now - MINUTE) == 0
        assert sent_lately(session, site_id=world.site_id, channel="wecom", since=now - 3 * MINUTE) == 1
        assert sent_lately(session, site_id=world.site_id, channel="sms", since=now - MINUTE) == 2


# PostgreSQL only: on SQLite a second claim waits for the write lock (BEGIN IMMEDIATE) by design, which the
# multi-process test covers; no SQLite case that would only skip.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_second_runner_takes_the_next_rows_without_waiting_for_the_first(
    engine: Engine, now: dt.datetime
):
    """FOR UPDATE SKIP LOCKED: while one runner's claim is still open, another claims the rows after it at once."""
    world = make_world(engine, now=now)
    ids = [queue(engine, world, key=f"k{number}", due_at=now - number * MINUTE, now=now) for number in range(4)]
    with unit_of_work(engine) as first:
        held = claim_due_messages(first, runner="r1", now=now, limit=2)
        with unit_of_work(engine) as second:
            second.execute(text("SET LOCAL lock_timeout = '2s'"))  # a wait would fail, not hang
            taken = claim_due_messages(second, runner="r2", now=now, limit=10)
    assert [m.id for m in held] == [ids[3], ids[2]] and [m.id for m in taken] == [ids[1], ids[0]]
