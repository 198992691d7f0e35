"""End to end in Chromium: an organizer signs in and downloads the orders list; formula cells arrive escaped."""

from __future__ import annotations

import pytest

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.orders.lifecycle import ItemSpec, create_order
from tests.support.app_data import AppData
from tests.support.browser import IDLE_APP, sign_in_as_organizer
from ui.i18n import translate


def zh(key: str, **params: object) -> str:
    return translate("zh-CN", key, **params)


@pytest.fixture
def server_with_a_formula_order(app_database_copy: AppData, request: pytest.FixtureRequest) -> str:
    """The app over a copy holding one more order whose address a spreadsheet would run as a formula."""
    store = make_engine(app_database_copy.url)
    with unit_of_work(store) as session:
        create_order(
            session,
            site_id=app_database_copy.site_id,
            platform="美团优选",
            order_number="M-9",
            pickup_code="9-999",
            resident_name="赵六",
            phone="13600136000",
            address='=HYPERLINK("http://x","12号")',
            delivery_date=local_today(),
            items=[ItemSpec(product="大米", quantity=1, storage_class="ambient")],
            now=utc_now(),
        )
    store.dispose()
    return request.getfixturevalue("app_server")


def test_organizer_downloads_the_orders_csv_with_formulas_escaped(
    chromium,  # a playwright Browser
    server_with_a_formula_order: str,
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in_as_organizer(page, server_with_a_formula_order)
        # Through the menu: a fresh page load would start a new, signed-out session.
        page.locator('[data-testid="stSidebarNavLink"][href$="/orders"]').click()
        page.get_by_role("heading", name=zh("page.orders.title")).wait_for()
        page.locator(IDLE_APP).wait_for()
        with page.expect_download() as download_info:
            page.locator(".st-key-orders_export_csv button").click()
        text = download_info.value.path().read_bytes().decode("utf-8-sig")
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
    header, *rows = text.splitlines()
    # Whose bag and its code first; the store's row id is not in the file.
    assert header.split(",")[:3] == [zh("column.pickup_code"), zh("column.resident_name"), zh("column.phone")]
    assert zh("column.id") not in header.split(",")
    assert len(rows) == 2 and "9-999" in text and "8-123" in text
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text
