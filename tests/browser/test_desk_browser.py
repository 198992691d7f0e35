"""End to end in Chromium: a volunteer signs in on the tablet, finds a bag by its code and hands it over."""

from __future__ import annotations

import pytest

from tests.support.app_data import CODE, AppData, order_row, receive
from tests.support.browser import IDLE_APP, sign_in_on_tablet, zh


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


def test_volunteer_finds_a_bag_by_code_and_hands_it_over(
    page,
    app_server: str,
    received_order: str,
    app_database_copy: AppData,
):
    sign_in_on_tablet(page, app_server)

    search(page, CODE)
    page.get_by_role("heading", name=zh("desk.slot", slot=received_order)).wait_for()
    assert_tablet_sized(page)
    page.get_by_role("button", name=zh("desk.hand_over")).click()
    page.get_by_text(zh("desk.confirm_hand_over", code=CODE, slot=received_order)).wait_for()
    assert order_row(app_database_copy)[1] == "received"  # nothing happens before the confirm
    page.get_by_role("button", name=zh("desk.confirm_self")).click()

    page.get_by_role("button", name=zh("desk.undo")).wait_for()
    page.locator(IDLE_APP).wait_for()
    assert order_row(app_database_copy)[1] == "picked_up"
    # It has left the open list: searching again finds no bag to hand over.
    search(page, f"CB1:TS2:{CODE}")
    page.get_by_text(zh("desk.nothing_found", text=f"CB1:TS2:{CODE}")).wait_for()
    page.locator(IDLE_APP).wait_for()
    assert page.get_by_role("button", name=zh("desk.hand_over")).count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
