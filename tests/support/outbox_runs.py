"""Helpers for the runner's tests (tests/store/outbox/test_runner*.py): a clock a test moves, a site with its channels
pointed at the fakes (tests/support/fake_wecom.py, fake_sms.py), messages queued straight into the outbox, and
`python -m db jobs run` as a process."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterable

from sqlalchemy import Engine, select

from db.core.engine import unit_of_work
from db.core.models import Message
from db.outbox.channels import set_channel
from db.outbox.messages import queue_message
from db.people.sites import create_site
from tests.support.paths import ROOT

SMS_KIND = "overdue_reminder"
ROBOT_KIND = "shift_reminder_24h"


class FakeClock:
    """The runner's clock: it says `now` until the test moves it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def site_with_channels(
    engine: Engine, *, now: dt.datetime, webhook_url: str | None = None, sms: bool = False, code: str = "TS2"
) -> int:
    """A site whose staff group robot posts to `webhook_url` and (with `sms`) whose SMS goes to Alibaba Cloud (the
    fake, through CLOUD_BASKET_SMS_ENDPOINT) with a template code for the overdue reminder."""
    with unit_of_work(engine) as session:
        site = create_site(session, code=code, name="天山二村", now=now)
        if webhook_url:
            set_channel(
                session,
                site_id=site.id,
                channel="wecom",
                enabled=True,
                settings={},
                secrets={"webhook_url": webhook_url},
                volunteer_id=None,
                now=now,
            )
        if sms:
            set_channel(
                session,
                site_id=site.id,
                channel="sms",
                enabled=True,
                settings={"provider": "aliyun", "sign_name": "天山二村", "template_codes": {SMS_KIND: "SMS_100"}},
                secrets={"access_key_id": "LTAI-test-id", "access_key_secret": "test-secret"},
                volunteer_id=None,
                now=now,
            )
        return site.id


def queue(
    engine: Engine,
    *,
    site_id: int,
    channel: str,
    due_at: dt.datetime,
    recipients: Iterable[str | None],
    key: str,
    kind: str | None = None,
) -> list[int]:
    """One message per recipient, straight into the outbox (the runner's queue step is tested on its own)."""
    ids = []
    with unit_of_work(engine) as session:
        for number, recipient in enumerate(recipients):
            message_id = queue_message(
                session,
                site_id=site_id,
                channel=channel,
                audience="resident" if channel == "sms" else "volunteer",
                kind=kind or (SMS_KIND if channel == "sms" else ROBOT_KIND),
                values={"count": "1"},
                text=f"{key} {number}",
                due_at=due_at,
                idempotency_key=f"{key}:{number}",
                now=due_at,
                recipient=recipient,
            )
            assert message_id is not None
            ids.append(message_id)
    return ids


def statuses(engine: Engine) -> dict[int, str]:
    with unit_of_work(engine) as session:
        return {row.id: row.status for row in session.execute(select(Message.id, Message.status).order_by(Message.id))}


def phones(count: int, *, first: int = 0) -> list[str]:
    return [f"139{number:08d}" for number in range(first, first + count)]


def jobs_run_process(url: str, *, now: dt.datetime, sms_endpoint: str | None = None) -> subprocess.Popen[str]:
    """`python -m db jobs run` on the store at `url`, its clock at `now`, in a process of its own."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), APP_LANG="en")
    if sms_endpoint:
        environment["CLOUD_BASKET_SMS_ENDPOINT"] = sms_endpoint
    return subprocess.Popen(
        [sys.executable, "-m", "db", "jobs", "run", "--database-url", url, "--now", now.isoformat()],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
