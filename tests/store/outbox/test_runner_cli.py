"""`python -m db channels set / show` and `jobs run / serve` as commands (cli/main.py), in this process: secrets kept
and shown by their last four characters only, what a run sent printed with the recipient masked."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from cli.main import main
from db.core.engine import unit_of_work
from db.core.models import JobRun
from db.outbox.channels import channel_for_sending, notification_switches
from db.people.sites import create_site
from tests.support.fake_wecom import FakeRobot
from tests.support.outbox_runs import queue, site_with_channels

WEBHOOK_KEY = "0f1e2d3c-robot-key-9a8b"
KEY_SECRET = "sms-secret-XYZW"


@pytest.fixture
def robot() -> Iterator[FakeRobot]:
    with FakeRobot() as fake:
        yield fake


def test_channels_set_keeps_the_secrets_and_show_masks_them(
    engine: Engine, database_url: str, now: dt.datetime, capsys: pytest.CaptureFixture[str], monkeypatch
):
    with unit_of_work(engine) as session:
        site_id = create_site(session, code="TS2", name="天山二村", now=now).id
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY_SECRET + "\n"))
    webhook = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WEBHOOK_KEY}"
    code = main(
        ["channels", "set", "--site", "ts2", "--database-url", database_url, "--wecom-webhook", webhook]
        + ["--sms-access-key-id", "LTAI5tAbCd", "--sms-access-key-secret", "-", "--sms-sign-name", "天山二村"]
        + ["--sms-template", "overdue_reminder=SMS_123", "--notification", "day_summary=off"]
    )
    shown = capsys.readouterr().out
    assert code == 0
    assert WEBHOOK_KEY not in shown and KEY_SECRET not in shown and "LTAI5tAbCd" not in shown
    assert "webhook_url: …9a8b" in shown and "access_key_secret: …XYZW" in shown and "access_key_id: …AbCd" in shown
    assert "template_codes: overdue_reminder=SMS_123" in shown and "day_summary off" in shown
    with unit_of_work(engine) as session:
        sms = channel_for_sending(session, site_id=site_id, channel="sms")
        assert sms is not None and sms.secrets["access_key_secret"] == KEY_SECRET
        assert notification_switches(session, site_id=site_id)["day_summary"] is False

    # A later change names only what changes: the secrets stay, the robot is switched off, then SMS removed.
    assert main(["channels", "set", "--site", "TS2", "--database-url", database_url, "--off", "wecom"]) == 0
    assert main(["channels", "set", "--site", "TS2", "--database-url", database_url, "--remove", "sms"]) == 0
    capsys.readouterr()
    assert main(["channels", "show", "--site", "TS2", "--database-url", database_url]) == 0
    shown = capsys.readouterr().out
    assert "wecom: off" in shown and "webhook_url: …9a8b" in shown and "sms:" not in shown


def test_channels_for_an_unknown_site_are_refused(database_url: str, engine: Engine, capsys):
    assert main(["channels", "show", "--site", "NOPE", "--database-url", database_url]) == 1
    assert "no site has this code" in capsys.readouterr().err


def test_jobs_run_prints_what_it_sent_with_the_recipient_masked(
    engine: Engine, database_url: str, now: dt.datetime, robot: FakeRobot, capsys
):
    site = site_with_channels(engine, now=now, webhook_url=robot.webhook_url())
    queue(engine, site_id=site, channel="wecom", due_at=now, recipients=["13812345678"], key="k")
    code = main(["jobs", "run", "--database-url", database_url, "--now", now.isoformat(), "--lang", "en"])
    out = capsys.readouterr().out
    assert code == 0 and len(robot.arrived) == 1
    assert "sent #1 wecom shift_reminder_24h to 138****5678" in out and "13812345678" not in out
    assert "run finished" in out and "sent 1" in out


def test_jobs_serve_runs_until_told_to_stop(engine: Engine, database_url: str, capsys):
    assert main(["jobs", "serve", "--database-url", database_url, "--every", "0", "--runs", "2", "--lang", "en"]) == 0
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 2
    assert capsys.readouterr().out.count("run finished") == 2
