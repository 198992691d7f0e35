"""In Chromium on the counter tablet: a volunteer copies one building's arrivals notice with one tap; the clipboard
holds that building's text (no pickup code, no phone tail), and only that building's bag is recorded as told."""

from __future__ import annotations

from sqlalchemy import select

from db.core.clock import local_today
from db.core.models import Event, Order
from db.orders.notices import TOLD_ACTION
from tests.support.app_data import CODE, AppData, add_bag, receive, stored
from tests.support.browser import IDLE_APP, sign_in_on_tablet, zh


def test_a_volunteer_copies_one_buildings_notice(page, app_server: str, app_database_copy: AppData):
    receive(app_database_copy)
    add_bag(
        app_database_copy,
        code="9-412",
        phone="13600005512",
        name="王秀英",
        address="娄山关路88号天山二村12号501",
        delivered=local_today(),
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_server)
    sign_in_on_tablet(page, app_server)
    page.locator('[data-testid="stSidebarNavLink"][href$="/notices"]').click()
    page.get_by_role("heading", name=zh("page.notices.title")).wait_for()
    page.locator(IDLE_APP).wait_for()
    shown = page.locator('[data-testid="stText"]').inner_text()
    assert "张*生" in shown and "王*英" in shown
    assert not [secret for secret in (CODE, "9-412", "2222", "5512") if secret in shown]
    page.get_by_role("button", name=zh("notices.copy_all_unknown", count=2, buildings=1)).wait_for()
    # A volunteer taps once the screen has settled: idle, and still idle half a second later (on a busy machine a
    # run can start just after the first idle reading and redraw the button under the tap).
    page.wait_for_timeout(500)
    page.locator(IDLE_APP).wait_for()
    taps = 0
    page.get_by_role("button", name=zh("notices.copy_building", number="12", count=1)).click()
    taps += 1
    page.get_by_role("button", name=zh("notices.copied")).wait_for()
    page.get_by_text(zh("notices.recorded", count=1)).first.wait_for()
    assert taps == 1
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.splitlines()[-2:] == [zh("notices.building", number="12"), "王*英 常温"]
    assert "张*生" not in copied
    told = stored(
        app_database_copy,
        select(Order.pickup_code, Event.after)
        .join(Order, Order.id == Event.entity_id)
        .where(Event.action == TOLD_ACTION),
    )
    assert [tuple(row) for row in told] == [("9-412", {"notice": "arrivals"})]
    # Back on the page, the notice says one of its two bags was told.
    page.locator(IDLE_APP).wait_for()
    page.get_by_text(zh("notices.count", count=2, told=1)).wait_for()
