"""`python -m db jobs run` as real processes on a SQLite file and on PostgreSQL: three at once never send a message
twice, and one killed with SIGKILL mid-send leaves each message sent once, settled with the SMS provider by the
request's id, or unknown (the robot) after the next run. A few seconds per database, most of it the processes' start.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from cli.jobs import Runner
from db.core.clock import to_local
from tests.support.databases import NOW
from tests.support.fake_sms import FakeSms
from tests.support.fake_wecom import FakeRobot
from tests.support.outbox_runs import FakeClock, jobs_run_process, phones, queue, site_with_channels, statuses

# Processes racing: on one pytest-xdist worker with the other timed tests (README).
pytestmark = pytest.mark.xdist_group("timed")

RUNNERS = 3
PROCESS_TIMEOUT_S = 120


@pytest.fixture
def sms(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSms]:
    with FakeSms() as fake:
        monkeypatch.setenv("CLOUD_BASKET_SMS_ENDPOINT", fake.endpoint)
        fake.send_day = to_local(NOW).date()
        yield fake


@pytest.fixture
def robot() -> Iterator[FakeRobot]:
    with FakeRobot() as fake:
        yield fake


def test_three_runners_at_once_send_each_message_once(
    engine: Engine, database_url: str, sms: FakeSms, robot: FakeRobot
):
    site = site_with_channels(engine, now=NOW, webhook_url=robot.webhook_url(), sms=True)
    texts = queue(engine, site_id=site, channel="sms", due_at=NOW, recipients=phones(12), key="s")
    posts = queue(engine, site_id=site, channel="wecom", due_at=NOW, recipients=[None] * 6, key="r")
    engine.dispose()

    runners = [jobs_run_process(database_url, now=NOW, sms_endpoint=sms.endpoint) for _ in range(RUNNERS)]
    outputs = [runner.communicate(timeout=PROCESS_TIMEOUT_S) for runner in runners]

    assert [runner.returncode for runner in runners] == [0] * RUNNERS, [error for _out, error in outputs]
    assert Counter(arrival.phone for arrival in sms.sent) == Counter(phones(12))
    assert Counter(arrival.content for arrival in robot.arrived) == Counter(f"r {number}" for number in range(6))
    assert set(statuses(engine).values()) == {"sent"} and len(statuses(engine)) == len(texts) + len(posts)
    said = [line for out, _error in outputs for line in out.splitlines() if line.startswith("sent #")]
    assert len(said) == 18


def test_a_runner_killed_mid_send_is_settled_by_the_next_never_sending_twice(
    engine: Engine, database_url: str, sms: FakeSms, robot: FakeRobot
):
    site = site_with_channels(engine, now=NOW, webhook_url=robot.webhook_url(), sms=True)
    first, held, never = queue(engine, site_id=site, channel="sms", due_at=NOW, recipients=phones(3), key="s")
    [post] = queue(engine, site_id=site, channel="wecom", due_at=NOW, recipients=[None], key="r")
    engine.dispose()
    sms.answer_next("ok", "hold")  # the second SMS reaches the provider, whose answer never comes back

    killed = jobs_run_process(database_url, now=NOW, sms_endpoint=sms.endpoint)
    try:
        assert sms.held.wait(timeout=PROCESS_TIMEOUT_S), killed.stderr.read() if killed.stderr else ""
        os.kill(killed.pid, signal.SIGKILL)
    finally:
        killed.wait(timeout=PROCESS_TIMEOUT_S)
        sms.release()
    assert killed.returncode == -signal.SIGKILL
    assert statuses(engine) == {first: "sent", held: "sending", never: "sending", post: "sending"}

    with httpx.Client() as http:
        later = FakeClock(NOW + dt.timedelta(minutes=11))
        report = Runner(engine, name="next-runner", clock=later, http=http, language="en").run_once()

    assert statuses(engine) == {first: "sent", held: "sent", never: "sent", post: "unknown"}
    assert Counter(arrival.phone for arrival in sms.sent) == Counter(phones(3))
    assert robot.posts == 0
    assert (report.counts["settled_sent"], report.counts["settled_resent"], report.counts["settled_unknown"]) == (
        1,
        1,
        1,
    )
