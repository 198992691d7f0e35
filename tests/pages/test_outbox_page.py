"""The outbox and the message channels under AppTest: the list filtered by status, channel and day with recipients
masked, a retry (an unknown message asks first) and a cancel; secrets typed once and never shown again (last four
only, a blank box keeps them), the switches, each kind's text; the runner's warning on the dashboard; what was sent
about a bag; a copied notice in the outbox; a resident's "no more SMS" recorded at the desk."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import ChannelSecret, JobRun, Message, NotificationSwitch, Order, SiteChannel, SmsOptOut
from db.orders.notices import arrivals_notice
from db.outbox.channels import NOTIFICATION_KINDS, set_channel
from tests.support.app_data import (
    CODE,
    RESIDENT_PHONE,
    VOLUNTEER_PHONE,
    AppData,
    add_bag,
    fill_outbox,
    order_row,
    receive,
    stored,
)
from tests.support.pages import new_app, organizer_on, texts
from ui.i18n import translate
from ui.pages_registry import VOLUNTEER
from ui.views.orders.notices import record_copy

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0b1c-SECRET-KEY-7f3e"


def zh(key: str, **params: object) -> str:
    return translate("zh-CN", key, **params)


def status_of(data: AppData, message_id: int) -> str:
    [(status,)] = stored(data, select(Message.status).where(Message.id == message_id))
    return status


def listed(at: AppTest) -> list[str]:
    """The outbox table's status column, in words."""
    return list(at.dataframe[0].value[zh("column.status").plain])


def test_an_organizer_filters_the_outbox_retries_and_cancels(writable_app_env: AppData):
    ids = fill_outbox(writable_app_env)
    at = organizer_on(writable_app_env, "outbox")
    table = at.dataframe[0].value
    assert len(table) == 4
    # Recipients masked everywhere on the page.
    shown = "\n".join([*texts(at._tree), table.to_csv()])
    assert {"137****2222", "王阿姨 138****5678"} <= set(table[zh("column.recipient").plain])
    assert RESIDENT_PHONE not in shown and VOLUNTEER_PHONE not in shown

    at.multiselect(key="outbox_status").select("failed").run()
    assert listed(at) == [zh("value.message_status.failed").plain]
    at.multiselect(key="outbox_status").unselect("failed").run()
    at.selectbox(key="outbox_channel").select("sms").run()
    assert listed(at) == [zh("value.message_status.due").plain]
    at.selectbox(key="outbox_channel").set_value(None)
    at.date_input(key="outbox_day").set_value(local_today() - dt.timedelta(days=1)).run()
    assert zh("outbox.none") in [element.value for element in at.info]
    at.date_input(key="outbox_day").set_value(None).run()

    # The failed one, sent again after a second tap.
    at.selectbox(key="outbox_chosen").set_value(ids["failed"]).run()
    assert '{"errcode": 93000}' in [element.value for element in at.text]
    assert f"outbox_cancel_{ids['failed']}" in {button.key for button in at.button}
    at.button(key=f"outbox_retry_{ids['failed']}").click().run()
    assert zh("outbox.retry_question") in [element.value for element in at.warning]
    assert status_of(writable_app_env, ids["failed"]) == "failed"
    at.button(key=f"outbox_retry_{ids['failed']}_yes").click().run()
    assert not at.exception
    assert status_of(writable_app_env, ids["failed"]) == "due"

    # The unknown one may have arrived: the question says so; "no" leaves it.
    at.selectbox(key="outbox_chosen").set_value(ids["unknown"]).run()
    assert zh("outbox.unknown_help") in [element.value for element in at.warning]
    assert "今日小结 **12 袋**" in [element.value for element in at.text]
    assert f"outbox_cancel_{ids['unknown']}" not in {button.key for button in at.button}
    at.button(key=f"outbox_retry_{ids['unknown']}").click().run()
    assert zh("outbox.retry_unknown_question") in [element.value for element in at.warning]
    at.button(key=f"outbox_retry_{ids['unknown']}_no").click().run()
    assert status_of(writable_app_env, ids["unknown"]) == "unknown"

    # The SMS not yet due: cancelled; a sent one offers neither.
    at.selectbox(key="outbox_chosen").set_value(ids["due"]).run()
    assert f"outbox_retry_{ids['due']}" not in {button.key for button in at.button}
    at.button(key=f"outbox_cancel_{ids['due']}").click().run()
    at.button(key=f"outbox_cancel_{ids['due']}_yes").click().run()
    assert not at.exception
    assert status_of(writable_app_env, ids["due"]) == "cancelled"
    at.selectbox(key="outbox_chosen").set_value(ids["sent"]).run()
    assert not {f"outbox_retry_{ids['sent']}", f"outbox_cancel_{ids['sent']}"} & {button.key for button in at.button}


def secret_rows(data: AppData) -> dict[str, tuple[str, str]]:
    rows = stored(data, select(ChannelSecret.name, ChannelSecret.value, ChannelSecret.last_four))
    return {name: (value, last_four) for name, value, last_four in rows}


def test_secrets_are_typed_once_and_never_shown_again(writable_app_env: AppData):
    at = organizer_on(writable_app_env, "channels")
    assert zh("channels.not_set_up") in [element.value for element in at.info]
    assert at.text_input(key="channels_wecom_webhook_url").placeholder == zh("channels.secret_none").plain
    # Every kind's text is there to read, one fold each, in the pickup point's language, its placeholders by name.
    assert len(at.expander) == len(NOTIFICATION_KINDS)
    [reminder] = at.expander[0].code
    assert "{starts_at}" in reminder.value and "%" not in reminder.value

    at.text_input(key="channels_wecom_webhook_url").input(WEBHOOK)
    at.button(key="channels_wecom_save").click().run()
    assert not at.exception and not at.error
    assert secret_rows(writable_app_env) == {"webhook_url": (WEBHOOK, "7f3e")}
    # Never again on the page or in the session: only its last four, as the empty box's placeholder.
    assert at.text_input(key="channels_wecom_webhook_url").value == ""
    assert (
        at.text_input(key="channels_wecom_webhook_url").placeholder
        == zh("channels.secret_stored", last_four="7f3e").plain
    )
    assert not [text for text in texts(at._tree) if "SECRET" in text]
    assert not [value for value in at.session_state.to_dict().values() if "SECRET" in str(value)]

    # Paused, the box left empty: the stored URL stays.
    at.toggle(key="channels_wecom_enabled").set_value(False)
    at.button(key="channels_wecom_save").click().run()
    assert not at.error
    assert secret_rows(writable_app_env) == {"webhook_url": (WEBHOOK, "7f3e")}
    assert stored(writable_app_env, select(SiteChannel.channel, SiteChannel.enabled)) == [("wecom", False)]

    # SMS: a bad signature-less save is fine, a bad key is refused naming its box.
    at.text_input(key="channels_sms_access_key_id").input("LTAI-with space")
    at.button(key="channels_sms_save").click().run()
    field = zh("channels.access_key_id")
    assert [element.value for element in at.error] == [zh("channels.invalid_field", field=field)]
    at.text_input(key="channels_sms_access_key_id").input("LTAI5tKeyId0001")
    at.text_input(key="channels_sms_access_key_secret").input("sms-secret-value-9999")
    at.text_input(key="channels_sms_sign_name").input("天山二村")
    at.text_input(key="channels_sms_code_overdue_reminder").input("SMS_123456")
    at.button(key="channels_sms_save").click().run()
    assert not at.error
    [(settings,)] = stored(writable_app_env, select(SiteChannel.settings).where(SiteChannel.channel == "sms"))
    assert settings == {
        "provider": "aliyun",
        "sign_name": "天山二村",
        "template_codes": {"overdue_reminder": "SMS_123456"},
    }
    assert secret_rows(writable_app_env)["access_key_secret"] == ("sms-secret-value-9999", "9999")
    assert not [text for text in texts(at._tree) if "sms-secret" in text or "LTAI5tKeyId" in text]

    # A kind switched off: only that switch is written.
    at.toggle(key="channels_switch_day_summary").set_value(False)
    at.button(key="channels_switches_save").click().run()
    assert stored(writable_app_env, select(NotificationSwitch.kind, NotificationSwitch.enabled)) == [
        ("day_summary", False)
    ]
    assert at.toggle(key="channels_switch_day_summary").value is False

    # The robot removed, asked once more: its secret goes with it.
    at.button(key="channels_wecom_remove").click().run()
    at.button(key="channels_wecom_remove_yes").click().run()
    assert not at.exception and not at.error
    assert stored(writable_app_env, select(SiteChannel.channel)) == [("sms",)]
    assert "webhook_url" not in secret_rows(writable_app_env)


def runner_warnings(at: AppTest) -> list[str]:
    return [element.value for element in at.warning if "发送程序" in element.value]  # the runner, in Chinese


def test_the_dashboard_warns_when_the_runner_has_not_run(writable_app_env: AppData):
    # No channel set up: nothing is said about the runner.
    at = organizer_on(writable_app_env, "dashboard")
    assert runner_warnings(at) == []
    store = make_engine(writable_app_env.url)
    now = utc_now()
    with unit_of_work(store) as session:
        set_channel(
            session,
            site_id=writable_app_env.site_id,
            channel="wecom",
            enabled=True,
            settings={},
            secrets={"webhook_url": WEBHOOK},
            volunteer_id=None,
            now=now,
        )
    at.run()
    assert runner_warnings(at) == [zh("outbox.runner_never")]
    late = now - dt.timedelta(minutes=11)
    with unit_of_work(store) as session:
        session.add(JobRun(runner="cron", started_at=late, finished_at=late, counts={}))
    at.run()
    assert runner_warnings(at) == [zh("outbox.runner_late", minutes=11, at=late)]
    ran = utc_now()
    with unit_of_work(store) as session:
        session.add(JobRun(runner="cron", started_at=ran, finished_at=ran, counts={}))
    store.dispose()
    at.run()
    assert runner_warnings(at) == []
    assert zh("outbox.runner_ran", at=ran) in [element.value for element in at.caption]


def test_a_bag_shows_what_was_sent_and_copied_about_it(writable_app_env: AppData):
    fill_outbox(writable_app_env)
    receive(writable_app_env)
    # A volunteer copies today's arrivals notice (the copy button's callback, as ui/views/orders/notices.py runs it).
    store = make_engine(writable_app_env.url)
    with unit_of_work(store) as session:
        notice = arrivals_notice(session, site_id=writable_app_env.site_id, day=local_today())
    with unit_of_work(store) as session:
        assert (
            record_copy(
                session,
                site_id=writable_app_env.site_id,
                notice=notice,
                text="到货了",
                volunteer_id=writable_app_env.volunteer.volunteer_id,
                now=utc_now(),
            )
            == 1
        )
    store.dispose()
    at = organizer_on(writable_app_env, "outbox")
    at.selectbox(key="outbox_channel").select("copy").run()
    assert listed(at) == [zh("value.message_status.copied").plain]

    at.switch_page("pages/orders.py").run()
    at.selectbox(key="orders_detail").select_index(0).run()
    assert not at.exception
    about = at.dataframe[-1].value  # the last table of the detail: the messages about the bag
    assert list(about[zh("column.message_kind").plain]) == [
        zh("value.message_kind.overdue_reminder").plain,
        zh("value.message_kind.arrivals_notice").plain,
    ]
    assert list(about[zh("column.recipient").plain]) == ["137****2222", ""]


def test_the_desk_records_a_residents_no_more_sms(writable_app_env: AppData):
    receive(writable_app_env)
    order_id = order_row(writable_app_env)[0]
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/desk.py").run()
    at.text_input(key="desk_query").input(CODE).run()
    at.button(key=f"desk_no_sms_{order_id}").click().run()
    assert stored(writable_app_env, select(SmsOptOut.site_id)) == []
    at.button(key=f"desk_no_sms_{order_id}_yes").click().run()
    assert not at.exception and not at.error
    assert stored(writable_app_env, select(SmsOptOut.site_id, SmsOptOut.recorded_by)) == [
        (writable_app_env.site_id, writable_app_env.volunteer.volunteer_id)
    ]
    assert zh("desk.no_more_sms_recorded", name="张**") in [element.value for element in at.info]
    # The whole number never reached the page.
    assert RESIDENT_PHONE not in "\n".join(texts(at._tree))
    assert stored(writable_app_env, select(Order.status).where(Order.id == order_id)) == [("received",)]

    # A landline gets no SMS anyway: said so, nothing recorded.
    landline = add_bag(writable_app_env, code="6-606", phone="02162345678", delivered=local_today())
    at.text_input(key="desk_query").input("6-606").run()
    at.button(key=f"desk_no_sms_{landline}").click().run()
    at.button(key=f"desk_no_sms_{landline}_yes").click().run()
    assert zh("desk.no_more_sms_not_mobile") in [element.value for element in at.info]
    assert len(stored(writable_app_env, select(SmsOptOut.phone_hash))) == 1
