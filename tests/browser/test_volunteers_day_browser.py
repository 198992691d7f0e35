"""A volunteer's day on the counter tablet in Chromium, 1024×768 with touch: sign in, check in a delivery and
confirm the slots, hand over one bag by its code + Enter and a family's three bags in one confirm, undo, log an
out-of-range fridge reading with its action, sign out. Taps are counted (scanner-first goals: one bag by code +
Enter in 2 taps, a family's three bags in 2 taps), and after each action the next thing to tap is on screen without
scrolling (bounding boxes against the viewport). Screenshots of each step go to the folder CLOUD_BASKET_SCREENSHOTS
names, when it is set; CI takes none (a failing step's screen is kept anyway, tests/browser/conftest.py)."""

from __future__ import annotations

import pathlib

import pytest
from sqlalchemy import select

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Event, Order
from db.orders.lifecycle import ItemSpec, create_order
from tests.support.app_data import APP_VOLUNTEER_PIN, CODE, AppData, order_row, stored
from tests.support.browser import IDLE_APP, enroll_as_tablet, open_page, screenshot_folder, zh

WIDTH, HEIGHT = 1024, 768
FAMILY_CODES = ("9-101", "9-102")  # with CODE, three bags of one phone (the test order's resident)


def add_family_bags(data: AppData) -> None:
    """Two more bags for the test order's resident, in today's delivery, not yet checked in."""
    store = make_engine(data.url)
    try:
        with unit_of_work(store) as session:
            for number, code in enumerate(FAMILY_CODES):
                create_order(
                    session,
                    site_id=data.site_id,
                    platform="美团优选",
                    order_number=f"F-{number}",
                    pickup_code=code,
                    resident_name="张先生",
                    phone="13700002222",
                    delivery_date=local_today(),
                    items=[ItemSpec(product="大米", quantity=1, storage_class="ambient")],
                    now=utc_now(),
                )
    finally:
        store.dispose()


def focused_on(page, label: str) -> None:  # a playwright Page
    """Waits until the cursor is in the input labelled `label`."""
    page.wait_for_function(
        "label => document.activeElement && document.activeElement.getAttribute('aria-label') === label", arg=label
    )


class Tablet:
    """The touch tablet: taps counted, the next target checked to be in view, a screenshot per step (with a
    folder)."""

    def __init__(self, page, shots: pathlib.Path | None) -> None:  # a playwright Page
        self.page = page
        self.taps = 0
        self.shots = shots
        self.step = 0

    def in_view(self, locator) -> None:  # a playwright Locator
        """On screen as the page stands now: nothing scrolled to reach it."""
        locator.wait_for()
        box = locator.bounding_box()
        assert box is not None
        # Half a pixel either way: an element scrolled just into view ends on a fraction of a pixel.
        assert box["y"] >= -0.5 and box["y"] + box["height"] <= HEIGHT + 0.5, (locator, box)
        assert box["x"] >= -0.5 and box["x"] + box["width"] <= WIDTH + 0.5, (locator, box)

    def tap(self, locator) -> None:
        """One finger tap on a target that is already in view."""
        self.in_view(locator)
        locator.tap()
        self.taps += 1

    def idle(self) -> None:
        self.page.locator(IDLE_APP).wait_for()

    def shot(self, name: str) -> None:
        self.step += 1
        if self.shots is not None:
            self.page.screenshot(path=str(self.shots / f"volunteers_day_{self.step:02d}_{name}.png"))

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def menu(self, title_key: str) -> None:
        """The sidebar's menu, not a URL: a new page load would be a new session. Not counted: moving between
        screens is not part of a task's taps."""
        self.page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=zh(title_key)).tap()
        self.page.get_by_role("heading", name=zh(title_key)).wait_for()
        self.idle()


@pytest.fixture
def tablet(chromium, app_server: str, app_database_copy: AppData):
    # The counter's 10-inch tablet in landscape, a touch screen, enrolled by the organizer.
    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN", has_touch=True)
    enroll_as_tablet(
        context, base_url=app_server, database_url=app_database_copy.url, site_id=app_database_copy.site_id
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield Tablet(page, screenshot_folder())
    context.close()


def search_box_settled(search) -> None:
    """The desk's box, empty, once the rerun is over: emptying it gives the widget a new key, and until the rerun
    ends the old box (with the old text) may stand beside the new one."""
    from playwright.sync_api import expect  # here: without playwright the fixtures skip before this runs

    expect(search).to_have_count(1)
    expect(search).to_have_value("")


def test_a_volunteers_day(tablet: Tablet, app_server: str, app_database_copy: AppData):
    from playwright.sync_api import expect  # here: without playwright the fixtures skip before this runs

    add_family_bags(app_database_copy)
    page = tablet.page

    # Sign in: the name from the list, the PIN on the numeric keypad, Enter.
    open_page(page, f"{app_server}/sign_in", zh("page.sign_in.title"))
    tablet.tap(page.get_by_label(zh("sign_in.name")))
    tablet.tap(page.get_by_role("option", name="王阿姨"))
    pin = page.get_by_label(zh("sign_in.pin"))
    assert pin.get_attribute("inputmode") == "numeric"
    tablet.tap(pin)
    page.keyboard.type("0000")  # a wrong PIN first: the answer says what to do next
    page.keyboard.press("Enter")
    page.get_by_text(zh("sign_in.pin_next")).wait_for()
    tablet.idle()
    tablet.shot("wrong_pin")
    # The cursor is back in the PIN, in view: type it again.
    tablet.in_view(pin)
    focused_on(page, zh("sign_in.pin"))
    pin.fill(APP_VOLUNTEER_PIN)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=zh("page.desk.title")).wait_for()
    tablet.idle()

    # Arrivals: the bag scanned in (code + Enter); its slot and "it is in the slot" in view, then the next scan.
    tablet.menu("page.arrivals.title")
    code_box = page.get_by_label(zh("arrivals.code"))
    tablet.in_view(code_box)
    code_box.fill(CODE)
    code_box.press("Enter")
    slot = "F1-01"
    shelved = tablet.button(zh("arrivals.shelved", slot=slot))
    tablet.in_view(page.get_by_role("heading", name=zh("arrivals.put_in", slot=slot)))
    tablet.shot("arrivals_put_in")
    tablet.tap(shelved)
    page.get_by_text(zh("arrivals.shelved_done", code=CODE, slot=slot)).first.wait_for()
    tablet.idle()
    assert order_row(app_database_copy)[1:3] == ("shelved", slot)
    # The cursor is back in the code box for the next bag.
    focused_on(page, zh("arrivals.code"))
    # The code box for the next bag is in view. The rest of the delivery at once, a section further down (one
    # swipe, not a tap), then all confirmed in their slots; each confirm opens in view.
    tablet.in_view(code_box)
    receive_all = tablet.button(zh("arrivals.receive_all", count=2))
    receive_all.scroll_into_view_if_needed()
    tablet.tap(receive_all)
    tablet.tap(tablet.button(zh("confirm.yes")))
    page.get_by_text(zh("arrivals.received_count", count=2)).wait_for()
    tablet.idle()
    tablet.tap(tablet.button(zh("arrivals.shelve_all", count=2)))
    tablet.tap(tablet.button(zh("confirm.yes")))
    page.get_by_text(zh("arrivals.shelved_count", count=2)).first.wait_for()
    tablet.idle()
    tablet.shot("arrivals_all_shelved")

    # The desk: the cursor is in the search box, so the scanner's code + Enter needs no tap.
    tablet.menu("page.desk.title")
    search = page.get_by_label(zh("desk.search"))
    focused_on(page, zh("desk.search"))
    before = tablet.taps
    page.keyboard.type(CODE)
    page.keyboard.press("Enter")
    tablet.idle()
    tablet.shot("desk_found_by_code")
    tablet.tap(tablet.button(zh("desk.hand_over")))
    resident = tablet.button(zh("desk.confirm_self"))
    resident.wait_for()
    tablet.idle()
    tablet.shot("desk_confirm_one")
    tablet.tap(resident)
    undo = tablet.button(zh("desk.undo"))
    undo.wait_for()
    tablet.idle()
    assert tablet.taps - before == 2  # one bag by code + Enter: hand over, confirm
    assert order_row(app_database_copy)[1] == "picked_up"
    # Ready for the next resident: the box empty, the cursor in it, the handover and its undo in view.
    search_box_settled(search)
    focused_on(page, zh("desk.search"))
    tablet.in_view(undo)
    tablet.shot("desk_handed_over")

    # Undo that one (the resident forgot their bag on the counter), then the family comes for all three.
    tablet.tap(undo)
    page.get_by_text(zh("desk.undone", code=CODE, slot=slot)).first.wait_for()
    tablet.idle()
    assert order_row(app_database_copy)[1] == "shelved"
    search_box_settled(search)  # the undo left the box empty; the bag it put back is shown until the clear
    tablet.tap(tablet.button(zh("desk.clear")))
    # The clear's run has ended once the put-back bag's card is gone: until then the app can read as idle before
    # that run begins, and keys typed into the box it replaces are lost (a volunteer scans once the screen is clear).
    expect(tablet.button(zh("desk.hand_over"))).to_have_count(0)
    tablet.idle()
    search_box_settled(search)
    focused_on(page, zh("desk.search"))
    before = tablet.taps
    page.keyboard.type("2222")  # the phone tail; the cursor is in the box after the clear
    page.keyboard.press("Enter")
    tablet.idle()
    household = page.locator(".st-key-desk_hand_over_household_0 button")
    tablet.in_view(household)
    tablet.shot("desk_household_found")
    tablet.tap(household)
    # Found by the phone tail: the resident says the whole number, typed into the box that has the cursor.
    focused_on(page, zh("desk.proof"))
    # The resident says the number as soon as the cursor is there: a second after quick steps (the undo, the clear,
    # this search) the cursor must still be in this box (it once went back to the search box, see ui/keyboard.py).
    page.keyboard.type("13700002222")
    page.keyboard.press("Enter")
    family = tablet.button(zh("desk.confirm_family"))
    family.wait_for()
    tablet.idle()
    tablet.shot("desk_household_confirm")
    tablet.tap(family)
    undo.wait_for()
    tablet.idle()
    assert tablet.taps - before == 2  # a family's three bags: all of them, (the number typed,) "family collects"
    codes = (CODE, *FAMILY_CODES)
    rows = stored(app_database_copy, select(Order.pickup_code, Order.status).where(Order.pickup_code.in_(codes)))
    assert {row.pickup_code: row.status for row in rows} == dict.fromkeys(codes, "picked_up")
    afters = stored(app_database_copy, select(Event.after).where(Event.action == "order.picked_up"))
    assert [row.after for row in afters][-3:] == [{"status": "picked_up", "collected_by": "family"}] * 3
    tablet.in_view(undo)
    tablet.shot("desk_household_handed_over")
    # One undo takes all three back.
    tablet.tap(undo)
    page.get_by_text(zh("desk.undone_household", count=3)).first.wait_for()
    tablet.idle()
    rows = stored(app_database_copy, select(Order.pickup_code, Order.status).where(Order.pickup_code.in_(codes)))
    assert {row.pickup_code: row.status for row in rows} == dict.fromkeys(codes, "shelved")

    # The fridge reads too warm: the reading on the decimal keypad, the corrective action, saved.
    tablet.menu("page.temperatures.title")
    tablet.tap(page.locator(".st-key-temperature_unit_F1 button"))
    reading = page.get_by_label(zh("temperatures.reading"))
    reading.wait_for()
    assert reading.get_attribute("inputmode") == "decimal"
    focused_on(page, zh("temperatures.reading"))  # the cursor is in it, the form in view
    tablet.in_view(page.locator(".st-key-temperature_save button"))
    page.keyboard.type("9.5")
    page.keyboard.press("Enter")
    action = page.get_by_label(zh("temperatures.corrective_action"))
    action.wait_for()
    tablet.idle()
    # The cursor has moved on to the corrective action: no tap to type it.
    focused_on(page, zh("temperatures.corrective_action"))
    page.keyboard.type("关紧柜门，调低温度")
    save = page.locator(".st-key-temperature_save button")
    tablet.shot("temperature_out_of_range")
    tablet.tap(save)
    page.get_by_text(zh("temperatures.saved", reading=9.5, time="")[:8]).first.wait_for()
    tablet.idle()
    tablet.shot("temperature_saved")

    # Sign out.
    tablet.tap(page.locator(".st-key-sign_out button"))
    page.get_by_role("heading", name=zh("page.sign_in.title")).wait_for()
    tablet.idle()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_residents_phone_tail_opens_the_numeric_keypad(shared_tablet, shared_server: str):
    page = shared_tablet  # reads only: the worker's shared server
    open_page(page, f"{shared_server}/status?site=TS2", zh("page.status.title"))
    tail = page.get_by_label(zh("status.phone_tail"))
    page.wait_for_function(
        "label => document.querySelector(`input[aria-label='${label}']`)?.getAttribute('inputmode') === 'numeric'",
        arg=zh("status.phone_tail"),
    )
    assert tail.get_attribute("inputmode") == "numeric"
    assert page.get_by_label(zh("status.pickup_code")).get_attribute("inputmode") is None  # codes may hold letters
