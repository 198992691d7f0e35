"""The print views on paper (print media): the list alone, without the sidebar, menu, controls, buttons or toasts.

The three views only read: one server for the module (`module_server`, its tests on one worker), its lists filled once
before any page runs."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from tests.support.app_data import AppData, receive
from tests.support.browser import IDLE_APP, sign_in_as_organizer, zh

# What paper must not show: the app's chrome and everything one taps.
NOT_ON_PAPER = (
    '[data-testid="stSidebar"]',
    '[data-testid="stHeader"]',
    '[data-testid="stToast"]',
    ".stButton",
    ".stDownloadButton",
    ".stRadio",
    ".stCheckbox",  # a toggle is drawn as a checkbox
    ".stDateInput",
    '.stTabs [role="tablist"]',
)


def visible(page, selector: str) -> int:
    return sum(1 for element in page.locator(selector).all() if element.is_visible())


pytestmark = pytest.mark.xdist_group("print_module")


@pytest.fixture(scope="module")
def lists(module_app_database: AppData) -> AppData:
    """The test order received into a slot and one more bag overdue (so the lists have rows)."""
    receive(module_app_database)
    add_overdue_bag(module_app_database)
    return module_app_database


@pytest.fixture
def organizer(chromium, lists: AppData, module_server: str):  # a playwright Page
    """The organizer on a laptop, a browser context of its own."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    laptop = context.new_page()
    laptop.set_default_timeout(30_000)
    sign_in_as_organizer(laptop, module_server)
    yield laptop
    context.close()


def add_overdue_bag(data: AppData) -> None:
    store = make_engine(data.url)
    try:
        with unit_of_work(store) as session:
            order = create_order(
                session,
                site_id=data.site_id,
                platform="多多买菜",
                order_number="OLD-1",
                pickup_code="5-001",
                resident_name="赵六",
                phone="13600136000",
                delivery_date=local_today() - dt.timedelta(days=10),
                items=[ItemSpec(product="大米", quantity=1, storage_class="ambient")],
                now=utc_now() - dt.timedelta(days=10),
            )
            receive_order(session, order_id=order.id, volunteer_id=data.volunteer.volunteer_id, now=utc_now())
    finally:
        store.dispose()


def open_from_menu(page, url_path: str, title_key: str) -> None:
    page.emulate_media(media="screen")
    page.locator(f'[data-testid="stSidebarNavLink"][href$="/{url_path}"]').click()
    page.get_by_role("heading", name=zh(title_key)).first.wait_for()
    page.locator(IDLE_APP).wait_for()


def on_paper(page) -> dict[str, int]:
    """How many of each thing paper must not show are visible under print media (the page's title still is)."""
    page.emulate_media(media="print")
    assert page.locator("h1").first.is_visible()
    return {selector: count for selector in NOT_ON_PAPER if (count := visible(page, selector))}


def test_the_slot_list_prints_without_sidebar_controls_or_buttons(organizer):
    open_from_menu(organizer, "slot_list", "page.slot_list.title")
    # Its two downloads are drawn last: seen missing once when read right as the page first said it was idle.
    organizer.locator(".stDownloadButton").nth(1).wait_for()
    assert visible(organizer, '[data-testid="stSidebar"]') == 1 and visible(organizer, ".stDownloadButton") == 2
    assert on_paper(organizer) == {}
    assert organizer.locator('[data-testid="stTable"]').first.is_visible()


def test_the_overdue_list_prints_without_the_tabs_and_the_return_form(organizer):
    open_from_menu(organizer, "orders", "page.orders.title")
    organizer.get_by_role("tab", name=zh("orders.tab_overdue")).click()
    organizer.locator(IDLE_APP).wait_for()
    # The tab's contents show once the switch has gone through: wait for the return form's switch itself.
    organizer.get_by_text(zh("orders.overdue_all")).wait_for()
    assert visible(organizer, ".stCheckbox") >= 1  # the return form's "choose all"
    assert on_paper(organizer) == {}
    assert organizer.locator('[data-testid="stTable"]').first.is_visible()


def test_the_daily_report_prints_its_parts_only(organizer):
    open_from_menu(organizer, "daily_report", "page.daily_report.title")
    organizer.locator(".st-key-daily_print label").click()
    organizer.locator(IDLE_APP).wait_for()
    organizer.get_by_role("heading", name=zh("daily.part.arrived")).first.wait_for()
    # On screen the print view keeps its switch, once its run has redrawn the page (the heading is on both views).
    expect(organizer.locator(".stCheckbox:visible")).to_have_count(1)
    assert on_paper(organizer) == {}
