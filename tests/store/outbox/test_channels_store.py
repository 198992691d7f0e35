"""A site's channels in the store: secrets kept whole for the runner only, shown and logged as their last four;
kept when left empty; the kinds of message switched per site."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, select

from db.core.engine import unit_of_work
from db.core.errors import InvalidValue, NotFound
from db.core.models import Event
from db.outbox.channels import (
    NOTIFICATION_KINDS,
    channel_for_sending,
    channel_views,
    notification_switches,
    remove_channel,
    set_channel,
    set_notification,
)
from db.people.sites import create_site
from tests.support.store import make_world

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0f1e2d3c-aaaa-bbbb-cccc-123456789abc"
KEY_ID = "LTAI5tExampleKeyId9Q2w"
KEY_SECRET = "ExampleSecretValue0123456789zZyY"


def test_a_robot_and_sms_are_set_up_shown_by_last_four_and_read_whole_by_the_runner(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        set_channel(
            session, site_id=world.site_id, channel="wecom", enabled=True, settings={},
            secrets={"webhook_url": WEBHOOK}, volunteer_id=world.volunteer_id, now=now,
        )  # fmt: skip
        set_channel(
            session, site_id=world.site_id, channel="sms", enabled=True,
            settings={"provider": "aliyun", "sign_name": "天山二村", "template_codes": {"overdue_reminder": "SMS_1"}},
            secrets={"access_key_id": KEY_ID, "access_key_secret": KEY_SECRET}, volunteer_id=world.volunteer_id,
            now=now,
        )  # fmt: skip
    with unit_of_work(engine) as session:
        views = channel_views(session, site_id=world.site_id)
        robot = channel_for_sending(session, site_id=world.site_id, channel="wecom")
        sms = channel_for_sending(session, site_id=world.site_id, channel="sms")
        events = session.scalars(select(Event).where(Event.action == "channel.set")).all()
    assert [(v.channel, v.enabled, v.secret_last_fours) for v in views] == [
        ("sms", True, {"access_key_id": "9Q2w", "access_key_secret": "zZyY"}),
        ("wecom", True, {"webhook_url": "9abc"}),
    ]
    assert views[0].settings == {
        "provider": "aliyun",
        "sign_name": "天山二村",
        "template_codes": {"overdue_reminder": "SMS_1"},
    }
    assert robot is not None and robot.secrets == {"webhook_url": WEBHOOK}
    assert sms is not None and sms.secrets == {"access_key_id": KEY_ID, "access_key_secret": KEY_SECRET}
    logged = json.dumps([[e.before, e.after] for e in events], ensure_ascii=False)
    assert WEBHOOK not in logged and KEY_SECRET not in logged and KEY_ID not in logged and "…zZyY" in logged
    assert "0f1e2d3c" not in repr(views)


def test_an_empty_secret_keeps_the_stored_one_and_a_new_one_replaces_it(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    later = now + dt.timedelta(hours=1)
    with unit_of_work(engine) as session:
        set_channel(
            session, site_id=world.site_id, channel="wecom", enabled=True, settings={},
            secrets={"webhook_url": WEBHOOK}, volunteer_id=world.volunteer_id, now=now,
        )  # fmt: skip
        for kept in ("", None, "   "):
            set_channel(
                session, site_id=world.site_id, channel="wecom", enabled=False, settings={},
                secrets={"webhook_url": kept}, volunteer_id=world.volunteer_id, now=later,
            )  # fmt: skip
        assert channel_for_sending(session, site_id=world.site_id, channel="wecom") is None  # switched off
        set_channel(
            session, site_id=world.site_id, channel="wecom", enabled=True, settings={},
            secrets={"webhook_url": "http://127.0.0.1:8765/send?key=new1"}, volunteer_id=world.volunteer_id, now=later,
        )  # fmt: skip
        robot = channel_for_sending(session, site_id=world.site_id, channel="wecom")
        view = channel_views(session, site_id=world.site_id)[0]
    assert robot is not None and robot.secrets["webhook_url"].endswith("key=new1")
    assert (view.secret_last_fours, view.updated_at) == ({"webhook_url": "new1"}, later)


@pytest.mark.parametrize(
    ("channel", "settings", "secrets"),
    [
        ("fax", {}, {}),
        ("wecom", {}, {}),  # enabled without its webhook
        ("wecom", {}, {"webhook_url": "ftp://example/x"}),
        ("wecom", {}, {"webhook_url": "https://a b"}),
        ("wecom", {}, {"password": "x"}),
        ("sms", {"colour": "red"}, {"access_key_id": "a", "access_key_secret": "b"}),
        ("sms", {"provider": "other"}, {"access_key_id": "a", "access_key_secret": "b"}),
        ("sms", {"template_codes": {"no_such_kind": "SMS_1"}}, {"access_key_id": "a", "access_key_secret": "b"}),
        ("sms", {}, {"access_key_id": "a"}),
    ],
)
def test_a_channel_with_an_unknown_or_missing_field_is_refused(
    engine: Engine, now: dt.datetime, channel: str, settings: dict, secrets: dict
):
    world = make_world(engine, now=now)
    with pytest.raises(InvalidValue), unit_of_work(engine) as session:
        set_channel(
            session, site_id=world.site_id, channel=channel, enabled=True, settings=settings, secrets=secrets,
            volunteer_id=world.volunteer_id, now=now,
        )  # fmt: skip


def test_a_removed_channel_takes_its_secrets_with_it(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        set_channel(
            session, site_id=world.site_id, channel="wecom", enabled=True, settings={},
            secrets={"webhook_url": WEBHOOK}, volunteer_id=world.volunteer_id, now=now,
        )  # fmt: skip
        remove_channel(session, site_id=world.site_id, channel="wecom", volunteer_id=world.volunteer_id, now=now)
        assert channel_views(session, site_id=world.site_id) == []
        assert channel_for_sending(session, site_id=world.site_id, channel="wecom") is None
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        remove_channel(session, site_id=world.site_id, channel="wecom", volunteer_id=world.volunteer_id, now=now)


def test_kinds_are_on_until_a_site_switches_one_off_and_two_sites_differ(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        other = create_site(session, code="XH1", name="徐汇一点", now=now).id
        set_notification(
            session, site_id=world.site_id, kind="day_summary", enabled=False, volunteer_id=world.volunteer_id, now=now
        )
        ours, theirs = (notification_switches(session, site_id=site) for site in (world.site_id, other))
        event = session.scalars(select(Event).where(Event.action == "notification.switched")).one()
    assert set(ours) == set(NOTIFICATION_KINDS) and ours["day_summary"] is False
    assert all(theirs.values()) and sum(ours.values()) == len(NOTIFICATION_KINDS) - 1
    assert (event.before, event.after) == (
        {"notification": "day_summary", "enabled": True},
        {"notification": "day_summary", "enabled": False},
    )
    with pytest.raises(InvalidValue), unit_of_work(engine) as session:
        set_notification(session, site_id=world.site_id, kind="nope", enabled=False, volunteer_id=None, now=now)
