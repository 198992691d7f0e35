"""End to end in Chromium: a volunteer signs in on the tablet, finds a bag by its code and hands it over; the
tablet says where the bag is and how many were handed over (the voice at the counter, ui/voice.py, with the
browser's speech and sound stubbed: tests/support/speech.py).

Screenshots of the desk with its sidebar at 1024x768 and 390x844 in each language go to the folder
CLOUD_BASKET_SCREENSHOTS names, when it is set; CI takes none."""

from __future__ import annotations

import re

import pytest

from db.core.clock import local_today, utc_now
from tests.support.app_data import CODE, RESIDENT_PHONE, AppData, add_bag, order_row, receive
from tests.support.browser import IDLE_APP, screenshot_folder, sign_in_on_tablet, zh
from tests.support.markdown_payloads import unescaped
from tests.support.speech import SPEECH_STUBS, heard
from ui.i18n import LANGUAGE_NAMES, translate


@pytest.fixture
def received_order(app_database_copy: AppData) -> str:
    """The order checked in (in the server's own copy of the database); returns its slot."""
    return receive(app_database_copy)


def assert_tablet_sized(tab) -> None:  # a playwright Page
    """On the 1024 px tablet every target in the page is at least 48 px tall, and buttons span the column."""
    main = tab.locator('[data-testid="stMain"]')
    # A toggle's or checkbox's target is its whole label, not the small native box inside.
    targets = main.locator(
        "button:visible, input:not([type=checkbox]):not([type=radio]):visible, [data-baseweb='select']:visible,"
        " label:has(input[type=checkbox]):visible, label:has(input[type=radio]):visible"
    ).all()
    assert targets
    for target in targets:
        box = target.bounding_box()
        assert box["height"] >= 48, (target.inner_text() or target.get_attribute("aria-label"), box)
    # Each button spans its column: the page's, or the one it shares a row in (the search box's clear button).
    for button in main.locator(".stButton button:visible").all():
        column = button.locator("xpath=ancestor::div[@data-testid='stVerticalBlock'][1]")
        assert button.bounding_box()["width"] >= 0.9 * column.bounding_box()["width"], button.inner_text()


def search(tab, text: str) -> None:  # a playwright Page
    box = tab.get_by_label(zh("desk.search"))
    box.fill(text)
    box.press("Enter")


def screenshots(page, name: str) -> None:  # a playwright Page
    shots = screenshot_folder()
    if shots is None:
        return
    for width, height in ((1024, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.locator(IDLE_APP).wait_for()
        page.screenshot(path=str(shots / f"{name}_{width}x{height}.png"))
    page.set_viewport_size({"width": 1024, "height": 768})


def test_volunteer_finds_a_bag_by_code_and_hands_it_over(
    page,
    app_server: str,
    received_order: str,
    app_database_copy: AppData,
):
    # The same resident's two more bags: a household, found by the phone's last four digits.
    for code in ("8-124", "8-125"):
        add_bag(app_database_copy, code=code, phone=RESIDENT_PHONE, delivered=local_today(utc_now()))
    page.add_init_script(SPEECH_STUBS)
    sign_in_on_tablet(page, app_server)
    # Elder mode is off, so the voice is too (signing in said nothing); switched on, its rerun says nothing either.
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_role("button", name=zh("voice.test")).is_disabled()
    sidebar.get_by_text(zh("voice.on"), exact=True).click()
    sidebar.get_by_role("button", name=zh("voice.test")).and_(page.locator(":enabled")).wait_for()
    assert heard(page, expect=False) == []

    search(page, CODE)
    page.get_by_role("heading", name=zh("desk.slot", slot=received_order)).wait_for()
    # Each announcement cancels a running one first; the words only the class and the slot.
    assert heard(page) == [("cancel",), ("tone", "success"), ("speak", f"冷藏，{received_order}", "zh-CN")]
    assert_tablet_sized(page)
    page.get_by_role("button", name=zh("desk.hand_over")).click()
    page.get_by_text(zh("desk.confirm_hand_over", code=CODE, slot=received_order)).wait_for()
    assert order_row(app_database_copy)[1] == "received"  # nothing happens before the confirm
    assert heard(page, expect=False) == []
    page.get_by_role("button", name=zh("desk.confirm_self")).click()

    page.get_by_role("button", name=zh("desk.undo")).wait_for()
    page.locator(IDLE_APP).wait_for()
    assert order_row(app_database_copy)[1] == "picked_up"
    assert heard(page) == [("cancel",), ("tone", "success"), ("speak", "共一袋，已交", "zh-CN")]
    # It has left the open list: searching again finds no bag to hand over (the other tone, no words).
    search(page, f"CB1:TS2:{CODE}")
    page.get_by_text(zh("desk.nothing_found", text=f"CB1:TS2:{CODE}")).wait_for()
    page.locator(IDLE_APP).wait_for()
    assert page.get_by_role("button", name=zh("desk.hand_over")).count() == 0
    assert heard(page) == [("cancel",), ("tone", "alert")]

    # A household by its phone tail: how many bags and their slots, never the resident's name or phone.
    search(page, RESIDENT_PHONE[-4:])
    said = heard(page)
    assert said[:2] == [("cancel",), ("tone", "success")] and len(said) == 3, said
    assert re.fullmatch(r"两袋：S1-\d\d、S1-\d\d", str(said[2][1])) and said[2][2] == "zh-CN", said
    assert page.get_by_text(zh("voice.no_voice")).count() == 0
    screenshots(page, "desk_voice_zh-CN")

    # English, where the stub has no voice: the language's rerun says nothing, the page says why there is no voice,
    # and the test plays its tone without words.
    sidebar.get_by_text(LANGUAGE_NAMES["en"], exact=True).click()
    sidebar.get_by_text(unescaped(translate("en", "voice.no_voice"))).wait_for()
    assert heard(page, expect=False) == []
    sidebar.get_by_role("button", name=unescaped(translate("en", "voice.test"))).click()
    assert heard(page) == [("cancel",), ("tone", "success")]
    screenshots(page, "desk_voice_en")
    assert page.locator('[data-testid="stException"]').count() == 0
