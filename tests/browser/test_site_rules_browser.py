"""In Chromium: an organizer shortens the hold days on the site rules page, and the volunteer's desk on the
counter tablet shows a bag delivered two days ago as overdue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import SiteRules
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from tests.support.app_data import AppData, stored
from tests.support.browser import IDLE_APP, sign_in_as_organizer, sign_in_on_tablet, zh

CODE = "2-202"


def add_bag_of_two_days_ago(data: AppData) -> None:
    store = make_engine(data.url)
    with unit_of_work(store) as session:
        order = create_order(
            session,
            site_id=data.site_id,
            platform="多多买菜",
            order_number="R-2",
            pickup_code=CODE,
            resident_name="钱七",
            phone="13600009999",
            delivery_date=local_today() - dt.timedelta(days=2),
            items=[ItemSpec(product="面条", quantity=1, storage_class="ambient")],
            now=utc_now(),
        )
        receive_order(session, order_id=order.id, volunteer_id=data.volunteer.volunteer_id, now=utc_now())
    store.dispose()


def desk_search(tab) -> None:  # a playwright Page
    box = tab.get_by_label(zh("desk.search"))
    box.fill(CODE)
    box.press("Enter")
    tab.get_by_role("button", name=zh("desk.hand_over")).wait_for()
    tab.locator(IDLE_APP).wait_for()


def test_shorter_hold_days_make_the_desk_say_overdue(chromium, page, app_server: str, app_database_copy: AppData):
    add_bag_of_two_days_ago(app_database_copy)
    # The tablet: with the default 3 days the bag may be collected until today.
    sign_in_on_tablet(page, app_server)
    desk_search(page)
    assert page.get_by_text(zh("desk.overdue")).count() == 0

    laptop = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    organizer = laptop.new_page()
    organizer.set_default_timeout(30_000)
    try:
        sign_in_as_organizer(organizer, app_server)
        organizer.locator('[data-testid="stSidebarNavLink"][href$="/site_rules"]').click()
        organizer.get_by_role("heading", name=zh("page.site_rules.title")).wait_for()
        organizer.locator(IDLE_APP).wait_for()
        # Chilled and frozen bags may not be held longer than ambient ones: all three to 2 days.
        for rule in ("hold_days", "chilled_hold_days", "frozen_hold_days"):
            field = organizer.get_by_label(zh(f"value.rule.{rule}"))
            field.fill("2")
            field.press("Tab")  # a number field takes its value when it loses the cursor
        organizer.get_by_role("button", name=zh("site_rules.save")).click()
        organizer.get_by_text(zh("site_rules.saved")).first.wait_for()
    finally:
        laptop.close()
    holds = select(SiteRules.hold_days, SiteRules.chilled_hold_days, SiteRules.frozen_hold_days)
    assert stored(app_database_copy, holds) == [(2, 2, 2)]

    # Back at the counter, the same search: the bag was due yesterday.
    page.get_by_role("button", name=zh("desk.clear")).click()
    page.get_by_role("button", name=zh("desk.hand_over")).wait_for(state="detached")
    page.locator(IDLE_APP).wait_for()
    desk_search(page)
    page.get_by_text(zh("desk.overdue")).first.wait_for()
