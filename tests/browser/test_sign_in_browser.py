"""In Chromium: a sign-in survives a reload, an anonymous browser sees no names, and guessing from another browser
never keeps the tablet's volunteer or a resident out.

One server for the module (`module_server`'s database, with X-Forwarded-For trusted), its tests in order on one
worker: the guessers' addresses are used by no other test, and the tablet's address (the first and third tests')
has one wrong PIN before the third test, fewer than its free tries."""

from __future__ import annotations

import contextlib

import pytest

from db.core.clock import utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.errors import FullPhoneNeeded, SignInFailed
from db.orders.residents import lookup_order_status
from db.people.accounts import Client, sign_in_volunteer_elsewhere
from db.people.throttling import PER_SECRET_AND_CLIENT
from tests.support.app_data import APP_VOLUNTEER_PIN, AppData
from tests.support.browser import IDLE_APP, enroll_as_tablet, open_page, sign_in_on_tablet, streamlit_server, zh

# The app database: 王阿姨 (13812345678) and 李主任 volunteer; 张先生's order 8-123 is for 13700002222.
NAMES = ("王阿姨", "李主任")


# The guesser of the PIN test: an address of its own, guessing 王阿姨's PIN by her mobile number.
GUESSER = Client(address="192.0.2.66")
GUESSED_LOGIN = "13812345678"
FREE_TRIES = PER_SECRET_AND_CLIENT.free_tries


def guess_pins(data: AppData, count: int) -> None:
    """The guesser's first wrong PINs, as the sign-in page sends them to the store."""
    engine = make_engine(data.url)
    try:
        for number in range(count):
            with pytest.raises(SignInFailed):
                sign_in_volunteer_elsewhere(
                    engine, login=GUESSED_LOGIN, pin=f"{number:04d}", client=GUESSER, now=utc_now()
                )
    finally:
        engine.dispose()


def guess_tails(data: AppData, count: int) -> None:
    """Wrong phone tails for 8-123, each from an address of its own, as the status page sends them to the store."""
    engine = make_engine(data.url)
    try:
        for number in range(count):
            with contextlib.suppress(FullPhoneNeeded), unit_of_work(engine) as session:
                found = lookup_order_status(
                    session,
                    site_id=data.site_id,
                    pickup_code="8-123",
                    phone_tail=f"{number:04d}",
                    client=f"10.8.0.{number}",
                    now=utc_now(),
                )
                assert found is None
    finally:
        engine.dispose()


pytestmark = pytest.mark.xdist_group("sign_in_module")


@pytest.fixture(scope="module")
def server(module_app_database: AppData, tmp_path_factory: pytest.TempPathFactory):
    # Behind a proxy each browser has its own address: X-Forwarded-For tells them apart (README).
    log_path = tmp_path_factory.mktemp("sign_in_server") / "streamlit.log"
    with streamlit_server(module_app_database.url, log_path=log_path, env={"TRUST_FORWARDED_FOR": "1"}) as base_url:
        yield base_url


def new_browser(chromium, address: str, *, width: int = 1024, height: int = 768):
    context = chromium.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", extra_http_headers={"X-Forwarded-For": address}
    )
    return context


def new_tab(context):
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    return tab


def test_a_volunteer_mistypes_then_types_the_pin_again_and_a_reload_stays_signed_in(
    chromium,
    server: str,
    module_app_database: AppData,
):
    """Typed as a person types: a wrong PIN is refused, the box is emptied with the cursor in it, so the right PIN
    typed straight away (no tap) signs in; then a reload stays signed in."""
    from playwright.sync_api import expect  # here: without playwright the fixtures skip before this runs

    context = new_browser(chromium, "198.51.100.7")
    enroll_as_tablet(
        context, base_url=server, database_url=module_app_database.url, site_id=module_app_database.site_id
    )
    page = new_tab(context)
    try:
        open_page(page, f"{server}/sign_in", zh("page.sign_in.title"))
        page.get_by_label(zh("sign_in.name")).click()
        page.get_by_role("option", name="王阿姨").click()
        page.get_by_label(zh("sign_in.pin")).click()
        page.keyboard.type("2469")
        page.keyboard.press("Enter")
        page.get_by_text(zh("error.sign_in_failed")).wait_for()
        page.locator(IDLE_APP).wait_for()
        pin = page.get_by_label(zh("sign_in.pin"))
        expect(pin).to_be_focused()
        assert pin.input_value() == ""
        page.keyboard.type(APP_VOLUNTEER_PIN)
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=zh("page.desk.title")).wait_for()
        page.locator(IDLE_APP).wait_for()
        page.locator('[data-testid="stSidebarNavLink"]', has_text=zh("page.arrivals.title")).click()
        page.get_by_role("heading", name=zh("page.arrivals.title")).wait_for()
        page.locator(IDLE_APP).wait_for()
        page.reload()
        page.get_by_role("heading", name=zh("page.arrivals.title")).wait_for()
        page.locator(IDLE_APP).wait_for()
        assert page.get_by_text(zh("guard.sign_in_needed")).count() == 0
        assert page.locator('[data-testid="stSidebar"]').get_by_text("王阿姨", exact=False).count() >= 1
        cookies = {cookie["name"]: cookie for cookie in context.cookies()}
        assert cookies["cb_session"]["sameSite"] == "Strict" and "cb_session" not in page.url
    finally:
        context.close()


def test_an_anonymous_browser_sees_no_names(chromium, server: str):
    context = new_browser(chromium, "203.0.113.9", width=390, height=844)
    page = new_tab(context)
    try:
        open_page(page, f"{server}/sign_in", zh("page.sign_in.title"))
        page.get_by_label(zh("sign_in.login")).wait_for()
        shown = page.locator('[data-testid="stApp"]').inner_text()
        assert not [name for name in NAMES if name in shown]
        assert page.get_by_label(zh("sign_in.name")).count() == 0
    finally:
        context.close()


def test_twenty_wrong_pins_from_another_browser_do_not_stop_the_tablet(
    chromium,
    server: str,
    module_app_database: AppData,
):
    """The guesser's first five wrong PINs (the free ones) go in through the store, as the sign-in page sends them;
    the browser then guesses on until the page refuses it (at most twenty wrong PINs in all), and the tablet still
    signs its volunteer in."""
    guess_pins(module_app_database, FREE_TRIES)
    guesser_context = new_browser(chromium, GUESSER.address)
    guesser = new_tab(guesser_context)
    tablet_context = new_browser(chromium, "198.51.100.7")
    enroll_as_tablet(
        tablet_context, base_url=server, database_url=module_app_database.url, site_id=module_app_database.site_id
    )
    tablet = new_tab(tablet_context)
    try:
        open_page(guesser, f"{server}/sign_in", zh("page.sign_in.title"))
        guesser.get_by_label(zh("sign_in.login")).fill(GUESSED_LOGIN)
        refusals = 0
        for number in range(FREE_TRIES, 20):
            pin = guesser.get_by_label(zh("sign_in.pin"))
            pin.fill(f"{number:04d}")
            pin.press("Enter")
            guesser.locator('[data-testid="stAlert"]').first.wait_for()
            guesser.locator(IDLE_APP).wait_for()
            refusals += guesser.get_by_text(zh("error.too_many_attempts").split("{")[0][:6]).count() > 0
            if refusals:
                break
        assert refusals > 0  # the guesser was slowed down

        sign_in_on_tablet(tablet, server)
        assert tablet.get_by_role("heading", name=zh("page.desk.title")).count() == 1
    finally:
        guesser_context.close()
        tablet_context.close()


def test_twenty_wrong_tails_do_not_stop_the_owner_who_gives_the_whole_number(
    chromium, server: str, module_app_database: AppData
):
    """Nineteen wrong phone tails for 8-123, each from its own address, go in through the store as the status page
    sends them; the twentieth from one more browser, then the owner's browser gives the whole number."""
    guess_tails(module_app_database, 19)
    context = new_browser(chromium, "10.8.0.19", width=390, height=844)
    page = new_tab(context)
    try:
        open_page(page, f"{server}/status?site=TS2", zh("page.status.title"))
        page.get_by_label(zh("status.pickup_code")).fill("8-123")
        tail = page.get_by_label(zh("status.phone_tail"))
        tail.fill("0019")
        tail.press("Enter")
        page.locator('[data-testid="stAlert"]').first.wait_for()
        page.locator(IDLE_APP).wait_for()
    finally:
        context.close()

    owner_context = new_browser(chromium, "100.64.0.8", width=390, height=844)
    owner = new_tab(owner_context)
    try:
        open_page(owner, f"{server}/status?site=TS2", zh("page.status.title"))
        owner.get_by_label(zh("status.pickup_code")).fill("8-123")
        tail = owner.get_by_label(zh("status.phone_tail"))
        tail.fill("2222")
        tail.press("Enter")
        owner.get_by_text(zh("error.full_phone_needed")).wait_for()
        owner.get_by_role("button", name=zh("status.enter_full_phone")).click()
        owner.get_by_label(zh("status.phone")).wait_for()
        owner.get_by_label(zh("status.pickup_code")).fill("8-123")
        phone = owner.get_by_label(zh("status.phone"))
        phone.fill("13700002222")
        phone.press("Enter")
        owner.get_by_text(zh("status.state.not_arrived")).wait_for()
        assert owner.locator('[data-testid="stException"]').count() == 0
    finally:
        owner_context.close()
