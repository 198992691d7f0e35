"""Every registered page for every audience in both languages under AppTest, and the sign-in flows."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
import re

import pytest
from streamlit.testing.v1 import AppTest

from db.core.clock import utc_now
from db.core.engine import make_engine, unit_of_work
from db.people.accounts import reset_pin
from db.people.devices import enroll_tablet
from tests.support.app_data import APP_ORGANIZER_PASSWORD, APP_ORGANIZER_USERNAME, APP_VOLUNTEER_PIN, AppData
from tests.support.pages import new_app, texts
from tests.support.paths import APP, ROOT
from ui.cookies import DEVICE_COOKIE, SESSION_COOKIE
from ui.i18n import LANGUAGES, has_message, load_catalog, translate
from ui.pages_registry import AUDIENCES, HOME, ORGANIZER, PAGES, PUBLIC, SIGN_IN_PAGE, VOLUNTEER, page_spec
from ui.session import LAST_ACTIVE_KEY, SESSION_TOKEN_KEY
from ui.signed_in import AUDIENCE_KEY, SIGNED_IN_KEY


def raw_keys(at: AppTest) -> list[str]:
    namespaces = "|".join(sorted({key.split(".", 1)[0] for key in load_catalog("en")}))
    pattern = re.compile(rf"\b(?:{namespaces})\.[a-z_]+(?:\.[a-z_]+)*\b")
    catalog = load_catalog("en")
    return [
        match
        for text in texts(at._tree)
        for match in pattern.findall(text)
        if match in catalog or has_message("en", match) or match.startswith(("page.", "error.", "column.", "value."))
    ]


def refusal_text(spec, audience: str, language: str) -> str:
    if audience == PUBLIC:
        return translate(language, "guard.sign_in_needed")
    if spec.audiences == {PUBLIC}:
        return translate(language, "guard.already_signed_in")
    return translate(language, "guard.not_for_role", audience=translate(language, f"audience.{audience}"))


def refusals(at: AppTest, language: str) -> list[str]:
    possible = {refusal_text(spec, audience, language) for spec in PAGES for audience in AUDIENCES}
    return [element.value for element in (*at.warning, *at.info) if element.value in possible]


# --- the registry ---


def test_registry_names_every_page_file_once():
    files = sorted(path.name for path in (ROOT / "pages").glob("*.py"))
    assert sorted(pathlib.Path(spec.path).name for spec in PAGES) == files
    assert len({spec.url_path for spec in PAGES}) == len(PAGES)
    for audience in AUDIENCES:
        assert audience in page_spec(HOME[audience]).audiences


def test_every_page_calls_the_guard_first():
    """Before the guard a page may only import and name constants: nothing that reads data or draws."""

    def harmless(statement: ast.stmt) -> bool:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            return True
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            return True  # the docstring
        if isinstance(statement, ast.Assign):
            try:
                ast.literal_eval(statement.value)
            except ValueError:
                return False
            return True
        return False

    for spec in PAGES:
        tree = ast.parse((ROOT / spec.path).read_text(encoding="utf-8"))
        first = next(statement for statement in tree.body if not harmless(statement))
        call = first.value if isinstance(first, ast.Assign | ast.Expr) else None
        assert isinstance(call, ast.Call) and getattr(call.func, "id", "") in {"require_role", "allow_public"}, (
            spec.path
        )


# --- every page for every audience in both languages ---


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.name)
def test_page_renders_or_refuses(app_env: AppData, spec, audience: str, language: str):
    at = new_app(app_env, audience=audience, language=language).switch_page(spec.path).run()

    assert not at.exception, [element.value for element in at.exception]
    assert raw_keys(at) == []
    # The shell ran around the page: its language switch is in the sidebar.
    assert at.radio(key="language_choice").value == language
    titles = [element.value for element in at.title]
    if audience in spec.audiences:
        assert titles == [translate(language, spec.title_key)]
        assert refusals(at, language) == []
    else:
        assert titles == []
        assert refusals(at, language) == [refusal_text(spec, audience, language)]
        assert not at.dataframe and not at.metric and not at.header and not at.text_input
        # No data at all: the page area holds the refusal (and a sign-in link), nothing the page would show.
        assert {element.type for element in at.main.children.values()} <= {"warning", "info", "page_link"}
        assert len(at.main.children) <= 2


@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_start_page_is_the_audience_home(app_env: AppData, audience: str):
    at = new_app(app_env, audience=audience).run()
    assert not at.exception
    assert [element.value for element in at.title] == [translate("zh-CN", page_spec(HOME[audience]).title_key)]


# --- languages ---


def test_language_switch_lasts_across_pages(app_env: AppData):
    at = new_app(app_env, audience=VOLUNTEER).run()
    assert at.title[0].value == translate("zh-CN", "page.desk.title")
    at.radio(key="language_choice").set_value("en").run()
    assert at.title[0].value == translate("en", "page.desk.title")
    at.switch_page("pages/account.py").run()
    assert at.title[0].value == translate("en", "page.account.title")
    assert at.radio(key="language_choice").value == "en"


def test_app_lang_sets_the_default_language(app_env: AppData, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("APP_LANG", "en")
    at = new_app(app_env).switch_page("pages/sign_in.py").run()
    assert at.title[0].value == "Sign in"


# --- sign-in, sign-out, idle sign-out, through the real widgets ---


def sign_in_page(data: AppData) -> AppTest:
    at = new_app(data).switch_page(page_spec(SIGN_IN_PAGE).path).run()
    assert not at.exception
    return at


@pytest.fixture
def cookies(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The cookies the browser sends when it connects (AppTest has no browser): fill the dict before `run()`."""
    sent: dict[str, str] = {}
    monkeypatch.setattr("ui.session.read_cookie", sent.get)
    return sent


@pytest.fixture
def counter_tablet(writable_app_env: AppData, cookies: dict[str, str]) -> AppData:
    """This browser is the site's enrolled counter tablet."""
    store = make_engine(writable_app_env.url)
    with unit_of_work(store) as session:
        cookies[DEVICE_COOKIE] = enroll_tablet(
            session, site_id=writable_app_env.site_id, name="取货台平板 1", actor_id=None, now=utc_now()
        )
    store.dispose()
    return writable_app_env


def test_volunteer_signs_in_with_name_and_pin(counter_tablet: AppData):
    at = sign_in_page(counter_tablet)
    names = at.selectbox(key="sign_in_volunteer").options
    at.selectbox(key="sign_in_volunteer").select_index(names.index("王阿姨"))
    at.text_input(key="sign_in_pin").input(APP_VOLUNTEER_PIN)
    at.button(key="sign_in_volunteer_submit").click().run()

    assert not at.exception
    assert at.session_state[AUDIENCE_KEY] == VOLUNTEER
    assert at.session_state[SIGNED_IN_KEY].name == "王阿姨"
    assert at.title[0].value == translate("zh-CN", "page.desk.title")
    assert translate("zh-CN", "sign_in.welcome", name="王阿姨") in [element.value for element in at.info]


def test_wrong_pin_is_refused_and_said_so(counter_tablet: AppData):
    at = sign_in_page(counter_tablet)
    at.selectbox(key="sign_in_volunteer").select_index(0)
    at.text_input(key="sign_in_pin").input("0000")
    at.button(key="sign_in_volunteer_submit").click().run()

    assert not at.exception
    assert SIGNED_IN_KEY not in at.session_state
    # Why, and what to do next: try again, or ask an organizer for a reset.
    assert [element.value for element in at.error] == [
        f"{translate('zh-CN', 'error.sign_in_failed')}\n\n{translate('zh-CN', 'sign_in.pin_next')}"
    ]
    # The wrong digits are gone (typing the PIN again must not append to them); the name stays picked.
    assert at.text_input(key="sign_in_pin").value == ""
    assert at.selectbox(key="sign_in_volunteer").value is not None


def test_pin_without_a_name_asks_for_the_name(counter_tablet: AppData):
    at = sign_in_page(counter_tablet)
    at.text_input(key="sign_in_pin").input(APP_VOLUNTEER_PIN)
    at.button(key="sign_in_volunteer_submit").click().run()
    assert translate("zh-CN", "sign_in.choose_name") in [element.value for element in at.warning]


def test_a_browser_that_is_not_a_tablet_lists_no_names(writable_app_env: AppData, cookies: dict[str, str]):
    at = sign_in_page(writable_app_env)
    assert not at.selectbox and "王阿姨" not in " ".join(texts(at._tree))
    at.text_input(key="sign_in_login").input("138 1234 5678")
    at.text_input(key="sign_in_pin").input(APP_VOLUNTEER_PIN)
    at.button(key="sign_in_volunteer_submit").click().run()
    assert not at.exception
    assert at.session_state[SIGNED_IN_KEY].name == "王阿姨"
    assert at.title[0].value == translate("zh-CN", "page.desk.title")


def test_a_reload_stays_signed_in_and_sign_out_ends_it(counter_tablet: AppData, cookies: dict[str, str]):
    at = sign_in_page(counter_tablet)
    at.selectbox(key="sign_in_volunteer").select_index(at.selectbox(key="sign_in_volunteer").options.index("王阿姨"))
    at.text_input(key="sign_in_pin").input(APP_VOLUNTEER_PIN)
    at.button(key="sign_in_volunteer_submit").click().run()
    token = at.session_state[SESSION_TOKEN_KEY]
    assert token and token not in str(at.query_params)

    # A reload is a new browser session that sends the cookie again.
    cookies[SESSION_COOKIE] = token
    reloaded = AppTest.from_file(APP, default_timeout=60).switch_page("pages/arrivals.py").run()
    assert not reloaded.exception
    assert reloaded.session_state[SIGNED_IN_KEY].name == "王阿姨"
    assert reloaded.title[0].value == translate("zh-CN", "page.arrivals.title")

    reloaded.button(key="sign_out").click().run()
    again = AppTest.from_file(APP, default_timeout=60).switch_page("pages/arrivals.py").run()
    assert SIGNED_IN_KEY not in again.session_state
    assert translate("zh-CN", "guard.sign_in_needed") in [element.value for element in again.warning]


def test_a_pin_reset_signs_the_person_out_on_their_next_tap(counter_tablet: AppData, cookies: dict[str, str]):
    at = sign_in_page(counter_tablet)
    at.selectbox(key="sign_in_volunteer").select_index(at.selectbox(key="sign_in_volunteer").options.index("王阿姨"))
    at.text_input(key="sign_in_pin").input(APP_VOLUNTEER_PIN)
    at.button(key="sign_in_volunteer_submit").click().run()
    store = make_engine(counter_tablet.url)
    with unit_of_work(store) as session:
        reset_pin(
            session,
            volunteer_id=counter_tablet.volunteer.volunteer_id,
            new_pin="97531",
            actor_id=counter_tablet.organizer.volunteer_id,
            now=utc_now(),
        )
    store.dispose()
    at.switch_page("pages/arrivals.py").run()
    assert SIGNED_IN_KEY not in at.session_state
    assert translate("zh-CN", "session.ended_elsewhere") in [element.value for element in at.info]


def test_organizer_signs_in_with_password_and_sees_the_dashboard(writable_app_env: AppData):
    at = sign_in_page(writable_app_env)
    at.text_input(key="sign_in_username").input(APP_ORGANIZER_USERNAME)
    at.text_input(key="sign_in_password").input(APP_ORGANIZER_PASSWORD)
    at.button(key="sign_in_organizer_submit").click().run()

    assert not at.exception
    assert at.session_state[AUDIENCE_KEY] == ORGANIZER
    assert at.title[0].value == translate("zh-CN", "page.dashboard.title")


def test_wrong_password_is_refused(writable_app_env: AppData):
    at = sign_in_page(writable_app_env)
    at.text_input(key="sign_in_username").input(APP_ORGANIZER_USERNAME)
    at.text_input(key="sign_in_password").input("not-the-password")
    at.button(key="sign_in_organizer_submit").click().run()
    assert SIGNED_IN_KEY not in at.session_state
    assert [element.value for element in at.error] == [
        f"{translate('zh-CN', 'error.sign_in_failed')}\n\n{translate('zh-CN', 'sign_in.password_next')}"
    ]
    assert at.text_input(key="sign_in_password").value == ""
    assert at.text_input(key="sign_in_username").value == APP_ORGANIZER_USERNAME


def test_sign_out_returns_to_the_sign_in_page(app_env: AppData):
    at = new_app(app_env, audience=VOLUNTEER).run()
    at.button(key="sign_out").click().run()
    assert not at.exception
    assert SIGNED_IN_KEY not in at.session_state
    assert at.title[0].value == translate("zh-CN", "page.sign_in.title")
    assert translate("zh-CN", "session.signed_out") in [element.value for element in at.info]


def test_an_idle_volunteer_is_signed_out(app_env: AppData):
    at = new_app(app_env, audience=VOLUNTEER).run()
    # The site's default rule is 10 minutes; the last run was 11 minutes ago.
    at.session_state[LAST_ACTIVE_KEY] = at.session_state[LAST_ACTIVE_KEY] - dt.timedelta(minutes=11)
    at.switch_page("pages/desk.py").run()

    assert not at.exception
    assert SIGNED_IN_KEY not in at.session_state
    assert at.title[0].value == translate("zh-CN", "page.sign_in.title")
    assert translate("zh-CN", "session.idle_signed_out", minutes=10) in [element.value for element in at.info]


def test_an_active_volunteer_stays_signed_in(app_env: AppData):
    at = new_app(app_env, audience=VOLUNTEER).run()
    at.session_state[LAST_ACTIVE_KEY] = at.session_state[LAST_ACTIVE_KEY] - dt.timedelta(minutes=9)
    at.switch_page("pages/arrivals.py").run()
    assert at.session_state[AUDIENCE_KEY] == VOLUNTEER
    assert at.title[0].value == translate("zh-CN", "page.arrivals.title")


def test_organizers_are_not_signed_out_for_idling(app_env: AppData):
    at = new_app(app_env, audience=ORGANIZER).run()
    at.session_state[LAST_ACTIVE_KEY] = at.session_state[LAST_ACTIVE_KEY] - dt.timedelta(hours=2)
    at.switch_page("pages/audit.py").run()
    assert at.session_state[AUDIENCE_KEY] == ORGANIZER


# --- tablets and sign-ins (organizers) ---


def test_an_organizer_enrolls_this_browser_and_its_sign_in_then_lists_names(
    writable_app_env: AppData, cookies: dict[str, str]
):
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page(page_spec("devices").path).run()
    assert not at.exception
    at.text_input(key="devices_name").input("取货台平板 2")
    at.button(key="devices_enroll").click().run()
    at.button(key="devices_enroll_yes").click().run()
    assert not at.exception
    assert translate("zh-CN", "devices.enrolled", name="取货台平板 2") in [element.value for element in at.info]
    assert "取货台平板 2" in at.dataframe[0].value.iloc[:, 0].tolist()

    at.button(key="sign_out").click().run()
    assert "王阿姨" in at.selectbox(key="sign_in_volunteer").options


def test_an_organizer_ends_a_persons_sign_ins(writable_app_env: AppData):
    from db.people.login_sessions import resume_login_session, start_login_session

    store = make_engine(writable_app_env.url)
    with unit_of_work(store) as session:
        token = start_login_session(
            session, user=writable_app_env.volunteer, audience=VOLUNTEER, device_id=None, now=utc_now()
        )
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page(page_spec("devices").path).run()
    assert "王阿姨" in at.selectbox(key="devices_person").options
    at.selectbox(key="devices_person").set_value((writable_app_env.volunteer.volunteer_id, "王阿姨")).run()
    at.button(key="devices_end").click().run()
    at.button(key="devices_end_yes").click().run()
    assert not at.exception
    with unit_of_work(store) as session:
        assert resume_login_session(session, token=token, now=utc_now()) is None
    store.dispose()


def test_the_tablets_page_shows_wrong_pins_and_lifts_a_paused_name(writable_app_env: AppData):
    from db.core.models import Account
    from db.people.accounts import Client, _day_key, sign_in_volunteer
    from db.people.throttling import PER_ACCOUNT_DAY, record_failed_try

    store = make_engine(writable_app_env.url)
    volunteer_id = writable_app_env.volunteer.volunteer_id
    with unit_of_work(store) as session:
        token = enroll_tablet(
            session, site_id=writable_app_env.site_id, name="取货台平板 9", actor_id=None, now=utc_now()
        )
        account_id = session.query(Account.id).filter(Account.volunteer_id == volunteer_id).scalar()
        day = _day_key(
            kind="volunteer", account_id=account_id, login="", site_id=writable_app_env.site_id, checked=True
        )
        record_failed_try(session, keys=[day] * (PER_ACCOUNT_DAY.tries - 1), now=utc_now())
    with pytest.raises(Exception, match="sign_in_failed"):
        sign_in_volunteer(
            store,
            site_id=writable_app_env.site_id,
            volunteer_id=volunteer_id,
            pin="0000",
            client=Client(address="local", device_token=token),
            now=utc_now(),
        )
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page(page_spec("devices").path).run()
    assert not at.exception
    wrong, paused = at.dataframe[1].value, at.dataframe[2].value
    assert wrong.iloc[0, :3].tolist() == ["取货台平板 9", "王阿姨", 1]
    assert paused.iloc[0].tolist() == ["王阿姨", translate("zh-CN", "sign_in.pin"), PER_ACCOUNT_DAY.tries]
    at.selectbox(key="devices_paused_person").set_value((volunteer_id, "王阿姨")).run()
    at.button(key="devices_lift").click().run()
    at.button(key="devices_lift_yes").click().run()
    assert not at.exception
    assert "devices_paused_person" not in [box.key for box in at.selectbox]
    store.dispose()
