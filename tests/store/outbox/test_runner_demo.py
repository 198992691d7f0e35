"""The runner on the seeded demo (SQLite) with the fake robot and the fake SMS provider: the reminders of the next 24
hours' shifts and the overdue SMS go out once each, however often it runs, and what falls in quiet hours waits."""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, select

from cli.jobs import Runner
from db.core.clock import local_moment, to_local
from db.core.engine import make_engine, unit_of_work
from db.core.models import Message
from db.outbox.channels import set_channel
from db.people.sites import get_site_by_code
from tests.support.databases import NOW
from tests.support.fake_sms import FakeSms
from tests.support.fake_wecom import FakeRobot
from tests.support.outbox_runs import FakeClock

# The seeded demo is built once, by one worker (tests/conftest.py).
pytestmark = pytest.mark.xdist_group("seed_demo")


@pytest.fixture
def demo(demo_sqlite_file: pathlib.Path, tmp_path: pathlib.Path) -> Iterator[Engine]:
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_sqlite_file, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def set_up_channels(engine: Engine, *, robot: FakeRobot) -> None:
    with unit_of_work(engine) as session:
        site_id = get_site_by_code(session, code="TS2").id
        set_channel(
            session, site_id=site_id, channel="wecom", enabled=True, settings={},
            secrets={"webhook_url": robot.webhook_url()}, volunteer_id=None, now=NOW,
        )  # fmt: skip
        set_channel(
            session, site_id=site_id, channel="sms", enabled=True,
            settings={"provider": "aliyun", "sign_name": "天山二村", "template_codes": {"overdue_reminder": "SMS_1"}},
            secrets={"access_key_id": "LTAI-demo", "access_key_secret": "secret"}, volunteer_id=None, now=NOW,
        )  # fmt: skip


def outbox(engine: Engine) -> list[Message]:
    with unit_of_work(engine) as session:
        rows = list(session.scalars(select(Message).order_by(Message.id)))
        session.expunge_all()
        return rows


def drain(runner: Runner, clock: FakeClock) -> Counter[str]:
    """Run once a minute until a run has nothing it holds back for the robot's minute; what all runs did."""
    done: Counter[str] = Counter()
    while True:
        counts = runner.run_once().counts
        done += counts
        clock.advance(minutes=1)
        if not counts["held"] or clock.now > NOW + dt.timedelta(minutes=30):
            return done


def test_the_demos_reminders_and_overdue_sms_go_out_once(demo: Engine, monkeypatch: pytest.MonkeyPatch):
    with FakeRobot() as robot, FakeSms() as sms, httpx.Client() as http:
        monkeypatch.setenv("CLOUD_BASKET_SMS_ENDPOINT", sms.endpoint)
        sms.send_day = to_local(NOW).date()
        set_up_channels(demo, robot=robot)
        clock = FakeClock(NOW)
        runner = Runner(demo, name="demo-runner", clock=clock, http=http, language="en")
        drain(runner, clock)

        messages = outbox(demo)
        kinds = Counter(message.kind for message in messages)
        assert kinds["shift_reminder_24h"] > 0 and kinds["overdue_reminder"] > 0
        sent = [message for message in messages if message.status == "sent"]
        assert {message.status for message in messages} <= {"sent", "due"}
        # Each sent message arrived once: the robot's by their text, the SMS by the request's own id.
        robot_sent = Counter(message.text for message in sent if message.channel == "wecom")
        assert Counter(arrival.content for arrival in robot.arrived) == robot_sent
        sms_sent = sorted(message.request_id or "" for message in sent if message.channel == "sms")
        assert sorted(arrival.out_id for arrival in sms.sent) == sms_sent
        assert all(message.text.startswith("【天山二村】") for message in sent if message.channel == "sms")
        phones = [arrival.phone for arrival in sms.sent]
        assert len(phones) == len(set(phones)) == kinds["overdue_reminder"]
        # No pickup code in a group's text; an @ only by a volunteer's mobile.
        codes = {
            code for message in sent if message.channel == "sms" for code in message.values["pickup_codes"].split("、")
        }
        assert not any(code in arrival.content for code in codes for arrival in robot.arrived)

        # Runs later the same day plan nothing already said.
        posts, texts = robot.posts, len(sms.sent)
        clock.now = NOW + dt.timedelta(minutes=40)
        again = runner.run_once().counts
        assert again["queued"] == len(outbox(demo)) - len(messages)
        assert len(sms.sent) == texts and robot.posts - posts == again["sent"]
        assert not {message.idempotency_key for message in outbox(demo)[: len(messages)]} ^ {
            message.idempotency_key for message in messages
        }

        # At 06:00 the next day the new overdue SMS are queued for 08:00, and none goes before.
        clock.now = local_moment(to_local(NOW).date() + dt.timedelta(days=1), dt.time(6))
        runner.run_once()
        waiting = [m for m in outbox(demo) if m.channel == "sms" and m.status == "due"]
        eight = local_moment(to_local(NOW).date() + dt.timedelta(days=1), dt.time(8))
        assert waiting and {message.due_at for message in waiting} == {eight}
        assert len(sms.sent) == texts
