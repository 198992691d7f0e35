"""In Chromium on the counter tablet: a volunteer copies today's arrivals notice with one tap; the clipboard holds
the text as shown, and the bag is recorded as told."""

from __future__ import annotations

from sqlalchemy import select

from db.core.models import Event
from db.orders.notices import TOLD_ACTION
from tests.support.app_data import CODE, AppData, receive, stored
from tests.support.browser import IDLE_APP, sign_in_on_tablet, zh


def test_a_volunteer_copies_todays_notice(page, app_server: str, app_database_copy: AppData):
    receive(app_database_copy)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_server)
    sign_in_on_tablet(page, app_server)
    page.locator('[data-testid="stSidebarNavLink"][href$="/notices"]').click()
    page.get_by_role("heading", name=zh("page.notices.title")).wait_for()
    page.locator(IDLE_APP).wait_for()
    shown = page.locator('[data-testid="stText"]').inner_text()
    assert CODE in shown and "张*生" in shown
    taps = 0
    page.get_by_role("button", name=zh("notices.copy")).click()
    taps += 1
    page.get_by_role("button", name=zh("notices.copied")).wait_for()
    page.get_by_text(zh("notices.recorded", count=1)).first.wait_for()
    assert taps == 1
    assert page.evaluate("navigator.clipboard.readText()") == shown
    told = stored(app_database_copy, select(Event.entity_id, Event.after).where(Event.action == TOLD_ACTION))
    assert [after for _order, after in told] == [{"notice": "arrivals"}]
    # Back on the page, the notice says the bag was told.
    page.locator(IDLE_APP).wait_for()
    page.get_by_text(zh("notices.count", count=1, told=1)).wait_for()
