"""The account page's forms, the event log's filters and the elder-mode switches (account page, sidebar), through the
widgets under AppTest."""

from __future__ import annotations

from sqlalchemy import select

from db.core.clock import utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Event
from db.people.accounts import Client, sign_in_organizer, sign_in_volunteer
from db.people.devices import find_device, tablet_elder_mode
from db.people.volunteers import volunteer_elder_mode
from tests.support.app_data import APP_ORGANIZER_PASSWORD, APP_VOLUNTEER_PIN, AppData, stored
from tests.support.pages import new_app
from tests.support.store import enrolled_tablet
from ui.i18n import translate
from ui.pages_registry import ORGANIZER, VOLUNTEER, page_spec
from ui.session import COOKIES_READ_KEY, DEVICE_KEY, DEVICE_TOKEN_KEY
from ui.style import ELDER_STYLE_SHEET


def zh(key: str, **params: object) -> str:
    return translate("zh-CN", key, **params)


def fill(at, form: str, **values: str):  # AppTest
    for field, value in values.items():
        at.text_input(key=f"{form}_{field}").input(value)
    return at.button(key=f"{form}_submit").click().run()


def test_an_organizer_changes_their_password_and_resets_a_volunteers_pin(writable_app_env: AppData):
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page(page_spec("account").path).run()
    fill(at, "change_password", current="wrong-password", new="new-password", again="new-password")
    assert [element.value for element in at.error] == [zh("error.current_secret_wrong")]
    fill(at, "change_password", current=APP_ORGANIZER_PASSWORD, new="new-password", again="other-password")
    assert [element.value for element in at.error] == [zh("account.new_secrets_differ")]
    fill(at, "change_password", current=APP_ORGANIZER_PASSWORD, new="iloveyou", again="iloveyou")
    assert [element.value for element in at.error] == [zh("error.password_common")]
    fill(at, "change_password", current=APP_ORGANIZER_PASSWORD, new="new-password", again="new-password")
    assert zh("account.password_changed") in [element.value for element in at.success]

    at.selectbox(key="reset_pin_person").select_index(0)  # 王阿姨, the only other person
    fill(at, "reset_pin", new="9876", again="9876")
    assert [element.value for element in at.error] == [zh("error.pin_run")]
    fill(at, "reset_pin", new="97531", again="97531")
    assert zh("account.pin_reset") in [element.value for element in at.success]

    store = make_engine(writable_app_env.url)
    assert sign_in_organizer(
        store, username="organizer", password="new-password", client=Client(address="local"), now=utc_now()
    )
    tablet = enrolled_tablet(store, site_id=writable_app_env.site_id, now=utc_now())
    assert sign_in_volunteer(
        store,
        site_id=writable_app_env.site_id,
        volunteer_id=writable_app_env.volunteer.volunteer_id,
        pin="97531",
        client=tablet,
        now=utc_now(),
    )
    store.dispose()

    # The event log shows the change, and its filter narrows to it.
    at.switch_page(page_spec("audit").path).run()
    at.selectbox(key="audit_action").set_value("account.password_changed").run()
    assert not at.exception
    assert list(at.dataframe[0].value.iloc[:, 2]) == [zh("value.action.account.password_changed")]


def test_a_volunteer_changes_their_pin_and_has_no_reset_forms(writable_app_env: AppData):
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page(page_spec("account").path).run()
    assert not at.exception
    assert [element.key for element in at.selectbox if element.key.startswith("reset_")] == []
    fill(at, "change_pin", current=APP_VOLUNTEER_PIN, new="12", again="12")
    assert [element.value for element in at.error] == [zh("error.pin_format")]
    fill(at, "change_pin", current=APP_VOLUNTEER_PIN, new="1111", again="1111")
    assert [element.value for element in at.error] == [zh("error.pin_repeated")]
    fill(at, "change_pin", current=APP_VOLUNTEER_PIN, new="1357", again="1357")
    assert zh("account.pin_changed") in [element.value for element in at.success]


def test_a_volunteer_switches_elder_mode_on_for_themselves_on_the_account_page(writable_app_env: AppData):
    """The switch keeps the volunteer's own choice in the store; the style sheet follows it at once."""
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page(page_spec("account").path).run()
    assert at.toggle(key="elder_mode_account").value is False
    at.toggle(key="elder_mode_account").set_value(True).run()
    assert not at.exception
    assert at.toggle(key="elder_mode_account").value is True
    assert any(element.proto.body == ELDER_STYLE_SHEET for element in at.get("html"))
    store = make_engine(writable_app_env.url)
    with unit_of_work(store) as session:
        assert volunteer_elder_mode(session, volunteer_id=writable_app_env.volunteer.volunteer_id) is True
    store.dispose()


def test_on_the_sign_in_screen_a_plain_browser_switches_elder_mode_for_its_session_only(writable_app_env: AppData):
    """No tablet and nobody signed in: the sidebar's switch lasts for this browser session and writes nothing."""
    at = new_app(writable_app_env).switch_page(page_spec("sign_in").path).run()
    assert not any(element.proto.body == ELDER_STYLE_SHEET for element in at.get("html"))
    at.toggle(key="elder_mode_switch").set_value(True).run()
    assert not at.exception
    assert any(element.proto.body == ELDER_STYLE_SHEET for element in at.get("html"))
    at.switch_page(page_spec("status").path).run()  # another page, the same session: still on, switch not shown
    assert any(element.proto.body == ELDER_STYLE_SHEET for element in at.get("html"))
    assert not [toggle for toggle in at.toggle if toggle.key == "elder_mode_switch"]
    assert stored(writable_app_env, select(Event.action).where(Event.action.like("%elder_mode%"))) == []


def test_on_the_tablet_the_sidebar_switch_changes_the_signed_in_volunteers_own_not_the_tablets(
    writable_app_env: AppData,
):
    store = make_engine(writable_app_env.url)
    client = enrolled_tablet(store, site_id=writable_app_env.site_id, now=utc_now())
    with unit_of_work(store) as session:
        device = find_device(session, token=client.device_token)
    at = new_app(writable_app_env, audience=VOLUNTEER)
    at.session_state[COOKIES_READ_KEY] = True  # the tablet as its cookie made it known
    at.session_state[DEVICE_TOKEN_KEY] = client.device_token
    at.session_state[DEVICE_KEY] = device
    at.switch_page(page_spec("desk").path).run()
    at.toggle(key="elder_mode_switch").set_value(True).run()
    assert not at.exception
    assert any(element.proto.body == ELDER_STYLE_SHEET for element in at.get("html"))
    with unit_of_work(store) as session:
        assert volunteer_elder_mode(session, volunteer_id=writable_app_env.volunteer.volunteer_id) is True
        assert device is not None and tablet_elder_mode(session, device_id=device.id) is False
    store.dispose()
