"""The runner (cli/jobs.py) in this process, on a clock the test moves: the channels' limits counted, never waited
for (20 a minute per robot, quiet hours, 50 a day per phone), each provider answer settled, and a dead runner's
claims settled by the next run. Both databases; the providers are the fakes on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, select

from cli.jobs import SETTLE_DAYS, Runner, settle_days
from cli.senders.sms import AliyunSms
from db.core.clock import local_moment, to_local
from db.core.engine import unit_of_work
from db.core.models import Message
from db.outbox.channels import ChannelConfig
from db.outbox.limits import ROBOT_PER_MINUTE, SMS_PER_PHONE_DAY
from db.outbox.messages import claim_due_messages
from db.outbox.opt_outs import record_sms_opt_out
from db.outbox.runs import last_job_run
from tests.support.databases import NOW
from tests.support.fake_sms import FakeSms
from tests.support.fake_wecom import FakeRobot
from tests.support.outbox_runs import FakeClock, phones, queue, site_with_channels, statuses

# A read timeout for the one post a test holds unanswered; every other post has the runner's own.
SHORT = httpx.Timeout(0.3, connect=1.0)


@pytest.fixture
def robot() -> Iterator[FakeRobot]:
    with FakeRobot() as fake:
        yield fake


@pytest.fixture
def sms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSms]:
    with FakeSms() as fake:
        monkeypatch.setenv("CLOUD_BASKET_SMS_ENDPOINT", fake.endpoint)
        fake.send_day = to_local(NOW).date()  # the runners' clock's day, not the machine's
        yield fake


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def runner(
    engine: Engine,
    clock: FakeClock,
    http: httpx.Client,
    name: str = "runner-a",
    robot_timeout: httpx.Timeout | None = None,
) -> Runner:
    return Runner(engine, name=name, clock=clock, http=http, language="en", robot_timeout=robot_timeout)


def message(engine: Engine, message_id: int) -> Message:
    with unit_of_work(engine) as session:
        row = session.scalars(select(Message).where(Message.id == message_id)).one()
        session.expunge(row)
        return row


def test_a_burst_of_100_goes_through_one_robot_20_a_minute(
    engine: Engine, now: dt.datetime, robot: FakeRobot, http: httpx.Client
):
    site = site_with_channels(engine, now=now, webhook_url=robot.webhook_url())
    queue(engine, site_id=site, channel="wecom", due_at=now, recipients=[None] * 100, key="burst")
    clock = FakeClock(now)
    per_minute = []
    for _minute in range(6):
        before = len(robot.arrived)
        report = runner(engine, clock, http).run_once()
        per_minute.append(len(robot.arrived) - before)
        clock.advance(minutes=1)
        assert report.counts["sent"] == per_minute[-1]
    assert per_minute == [ROBOT_PER_MINUTE] * 5 + [0]
    assert set(statuses(engine).values()) == {"sent"}
    assert robot.posts == 100  # never one refused: the runner counted first


def test_130101_puts_the_message_back_and_the_robots_others_wait_without_a_post(
    engine: Engine, now: dt.datetime, robot: FakeRobot, http: httpx.Client
):
    site = site_with_channels(engine, now=now, webhook_url=robot.webhook_url())
    first, *others = queue(engine, site_id=site, channel="wecom", due_at=now, recipients=[None] * 3, key="k")
    robot.answer_next("rate_limited")
    report = runner(engine, FakeClock(now), http).run_once()
    assert robot.posts == 1 and report.counts["held"] == 3
    refused = message(engine, first)
    assert (refused.status, refused.attempts, refused.due_at) == ("due", 0, now + dt.timedelta(minutes=1))
    assert "130101" in (refused.provider_answer or "")
    runner(engine, FakeClock(now + dt.timedelta(minutes=1)), http).run_once()
    assert [arrival.content for arrival in robot.arrived] == ["k 0", "k 1", "k 2"]


def test_a_robot_500_is_tried_again_a_minute_later(
    engine: Engine, now: dt.datetime, robot: FakeRobot, http: httpx.Client
):
    site = site_with_channels(engine, now=now, webhook_url=robot.webhook_url())
    [message_id] = queue(engine, site_id=site, channel="wecom", due_at=now, recipients=["13800001111"], key="k")
    robot.answer_next("error")
    clock = FakeClock(now)
    runner(engine, clock, http).run_once()
    failed = message(engine, message_id)
    assert (failed.status, failed.attempts, failed.provider_answer) == ("failed", 1, "HTTP 500")
    runner(engine, clock, http).run_once()  # the same minute: not yet
    assert robot.arrived == []
    clock.advance(minutes=1)
    runner(engine, clock, http).run_once()
    sent = message(engine, message_id)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert [arrival.mentioned for arrival in robot.arrived] == [["13800001111"]]


def test_a_robot_timeout_is_unknown_and_never_sent_again_by_a_runner(
    engine: Engine, now: dt.datetime, robot: FakeRobot, http: httpx.Client
):
    site = site_with_channels(engine, now=now, webhook_url=robot.webhook_url())
    [message_id] = queue(engine, site_id=site, channel="wecom", due_at=now, recipients=[None], key="k")
    robot.answer_next("hold")
    clock = FakeClock(now)
    report = runner(engine, clock, http, robot_timeout=SHORT).run_once()
    assert report.counts["unknown"] == 1 and message(engine, message_id).status == "unknown"
    robot.release()
    clock.advance(minutes=30)
    runner(engine, clock, http).run_once()
    assert robot.posts == 1


def test_no_sms_in_quiet_hours_it_waits_for_08_00(engine: Engine, now: dt.datetime, sms: FakeSms, http: httpx.Client):
    site = site_with_channels(engine, now=now, sms=True)
    evening = local_moment(now.date(), dt.time(20, 59))
    [message_id] = queue(engine, site_id=site, channel="sms", due_at=evening, recipients=phones(1), key="k")
    clock = FakeClock(local_moment(now.date(), dt.time(21, 5)))  # a runner late by six minutes
    report = runner(engine, clock, http).run_once()
    morning = local_moment(now.date() + dt.timedelta(days=1), dt.time(8))
    held = message(engine, message_id)
    assert (report.counts["held"], held.status, held.due_at, sms.sent) == (1, "due", morning, [])
    clock.now = morning
    runner(engine, clock, http).run_once()
    assert message(engine, message_id).status == "sent" and len(sms.sent) == 1


def test_at_most_50_sms_of_a_kind_a_day_to_one_phone(
    engine: Engine, now: dt.datetime, sms: FakeSms, http: httpx.Client
):
    site = site_with_channels(engine, now=now, sms=True)
    ids = queue(
        engine, site_id=site, channel="sms", due_at=now, recipients=phones(1) * (SMS_PER_PHONE_DAY + 1), key="k"
    )
    report = runner(engine, FakeClock(now), http).run_once()
    assert (report.counts["sent"], report.counts["held"], len(sms.sent)) == (SMS_PER_PHONE_DAY, 1, SMS_PER_PHONE_DAY)
    last = message(engine, ids[-1])
    assert (last.status, last.due_at) == ("due", local_moment(now.date() + dt.timedelta(days=1), dt.time(8)))


def test_an_sms_goes_with_the_sites_signature_and_template_and_its_bizid_is_kept(
    engine: Engine, now: dt.datetime, sms: FakeSms, http: httpx.Client
):
    site = site_with_channels(engine, now=now, sms=True)
    [message_id] = queue(engine, site_id=site, channel="sms", due_at=now, recipients=phones(1), key="k")
    runner(engine, FakeClock(now), http).run_once()
    [arrival] = sms.sent
    sent = message(engine, message_id)
    assert (arrival.sign_name, arrival.template_code, arrival.params, arrival.access_key_id) == (
        "天山二村",
        "SMS_100",
        {"count": "1"},
        "LTAI-test-id",
    )
    assert (sent.status, sent.provider_id, arrival.out_id) == ("sent", arrival.biz_id, sent.request_id)


@pytest.mark.parametrize(("behaviour", "status"), [("refused", "given_up"), ("error", "failed"), ("limit", "due")])
def test_a_provider_refusal_settles_the_sms(
    engine: Engine, now: dt.datetime, sms: FakeSms, http: httpx.Client, behaviour: str, status: str
):
    site = site_with_channels(engine, now=now, sms=True)
    [message_id] = queue(engine, site_id=site, channel="sms", due_at=now, recipients=phones(1), key="k")
    sms.answer_next(behaviour)
    runner(engine, FakeClock(now), http).run_once()
    assert message(engine, message_id).status == status and sms.sent == []


def test_a_resident_who_asked_for_none_gets_none(engine: Engine, now: dt.datetime, sms: FakeSms, http: httpx.Client):
    """The store cancels what waits when the opt-out is recorded; one queued after it is given up at sending."""
    site = site_with_channels(engine, now=now, sms=True)
    with unit_of_work(engine) as session:
        record_sms_opt_out(session, site_id=site, phone=phones(1)[0], volunteer_id=None, now=now)
    [message_id] = queue(engine, site_id=site, channel="sms", due_at=now, recipients=phones(1), key="k")
    report = runner(engine, FakeClock(now), http).run_once()
    assert message(engine, message_id).status == "given_up" and sms.sent == []
    assert any("asked for no more" in line for line in report.lines)


def test_a_dead_runners_claims_are_settled_sms_with_the_provider_the_robot_as_unknown(
    engine: Engine, now: dt.datetime, sms: FakeSms, robot: FakeRobot, http: httpx.Client
):
    """A runner claimed four messages, sent one SMS (its answer lost), and died: ten minutes later the next run asks
    the provider about each SMS by its request id and marks the robot's as unknown; nothing goes out twice."""
    site = site_with_channels(engine, now=now, sms=True, webhook_url=robot.webhook_url())
    arrived, lost = queue(engine, site_id=site, channel="sms", due_at=now, recipients=phones(2), key="s")
    [posted] = queue(engine, site_id=site, channel="wecom", due_at=now, recipients=[None], key="r")
    with unit_of_work(engine) as session:
        claimed = {item.id: item for item in claim_due_messages(session, runner="dead-runner", now=now)}
    AliyunSms(access_key_id="id", access_key_secret="secret").send(
        phone=phones(1)[0],
        sign_name="天山二村",
        template_code="SMS_100",
        values={},
        request_id=claimed[arrived].request_id,
    )
    clock = FakeClock(now + dt.timedelta(minutes=5))
    runner(engine, clock, http).run_once()
    assert set(statuses(engine).values()) == {"sending"}  # not stale yet
    clock.advance(minutes=6)
    report = runner(engine, clock, http).run_once()
    assert statuses(engine) == {arrived: "sent", lost: "sent", posted: "unknown"}
    assert sorted(arrival.phone for arrival in sms.sent) == phones(2) and robot.posts == 0
    assert report.counts["settled_sent"] == 1 and report.counts["settled_resent"] == 1
    assert report.counts["settled_unknown"] == 1
    assert message(engine, lost).attempts == 2


def test_a_run_is_recorded_with_what_it_did(engine: Engine, now: dt.datetime, robot: FakeRobot, http: httpx.Client):
    site = site_with_channels(engine, now=now, webhook_url=robot.webhook_url())
    queue(engine, site_id=site, channel="wecom", due_at=now, recipients=[None] * 2, key="k")
    runner(engine, FakeClock(now), http).run_once()
    with unit_of_work(engine) as session:
        run = last_job_run(session)
    assert run is not None and run.started_at == now and run.counts.get("sent") == 2


def test_an_sms_whose_answer_timed_out_is_asked_about_not_sent_again(
    engine: Engine, now: dt.datetime, sms: FakeSms, http: httpx.Client
):
    site = site_with_channels(engine, now=now, sms=True)
    [message_id] = queue(engine, site_id=site, channel="sms", due_at=now, recipients=phones(1), key="k")
    sms.answer_next("hold")

    def impatient(config: ChannelConfig) -> AliyunSms:
        secrets = config.secrets
        return AliyunSms(
            access_key_id=secrets["access_key_id"], access_key_secret=secrets["access_key_secret"], read_timeout_ms=300
        )

    clock = FakeClock(now)
    first = Runner(engine, name="runner-a", clock=clock, http=http, language="en", sms_providers=impatient)
    assert first.run_once().counts["left_sending"] == 1 and message(engine, message_id).status == "sending"
    sms.release()
    clock.advance(minutes=11)
    report = runner(engine, clock, http, name="runner-b").run_once()
    assert report.counts["settled_sent"] == 1 and message(engine, message_id).status == "sent"
    assert len(sms.sent) == 1


def test_a_message_for_a_channel_the_site_removed_is_given_up(
    engine: Engine, now: dt.datetime, robot: FakeRobot, http: httpx.Client
):
    site = site_with_channels(engine, now=now)
    [message_id] = queue(engine, site_id=site, channel="wecom", due_at=now, recipients=[None], key="k")
    report = runner(engine, FakeClock(now), http).run_once()
    assert report.counts["given_up"] == 1 and message(engine, message_id).status == "given_up"
    assert robot.posts == 0


def test_an_sms_left_sending_is_looked_for_from_its_due_day_to_today_at_most_three_days():
    due = dt.datetime(2026, 11, 25, 15, 55, tzinfo=dt.UTC)  # 23:55 in Shanghai
    assert settle_days(due + dt.timedelta(minutes=11), due) == [dt.date(2026, 11, 26), dt.date(2026, 11, 25)]
    assert settle_days(due + dt.timedelta(minutes=1), due) == [dt.date(2026, 11, 25)]
    assert len(settle_days(due + dt.timedelta(days=9), due)) == SETTLE_DAYS
