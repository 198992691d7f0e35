"""End to end in Chromium at a laptop's 1440×900: an organizer opens a bag's detail, sees the number masked, says why
in "show the number", and then sees it whole; the look is an access record."""

from __future__ import annotations

from sqlalchemy import select

from db.core.models import AccessRecord
from tests.support.app_data import CODE, RESIDENT_PHONE, AppData, stored
from tests.support.browser import IDLE_APP, sign_in_as_organizer, zh


def test_an_organizer_says_why_and_then_sees_the_number(chromium, app_server: str, app_database_copy: AppData) -> None:
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in_as_organizer(page, app_server)
        page.locator('[data-testid="stSidebarNavLink"][href$="/orders"]').click()
        page.get_by_role("heading", name=zh("page.orders.title")).wait_for()
        page.locator(IDLE_APP).wait_for()
        # Typing into the combo box opens its list filtered to the bag (a click alone may land before it is ready).
        choose = page.get_by_label(zh("orders.detail_choose"))
        choose.click()
        choose.press_sequentially(CODE)
        page.get_by_role("option").filter(has_text=CODE).click()
        page.locator(IDLE_APP).wait_for()
        resident = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="137****2222")
        resident.wait_for()
        assert RESIDENT_PHONE not in page.content()

        page.get_by_role("button", name=zh("privacy.show_number")).click()
        page.get_by_text(zh("value.access_reason.platform_dispute")).click()
        page.locator('[class*="st-key-show_number_"][class*="_go"] button').click()
        page.get_by_text(zh("privacy.shown_recorded")).wait_for()
        page.locator(IDLE_APP).wait_for()
        page.locator('[data-testid="stMarkdownContainer"]').filter(has_text=RESIDENT_PHONE).wait_for()
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
    rows = stored(app_database_copy, select(AccessRecord.kind, AccessRecord.reason))
    assert [tuple(row) for row in rows] == [("phone_shown", "platform_dispute")]
