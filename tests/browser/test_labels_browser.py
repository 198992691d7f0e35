"""In Chromium: the label sheet prints without the app around it, and every QR code on it reads back (zxing-cpp)
as the payload the store gave that label."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from db.core.clock import local_today
from db.core.engine import make_engine, read_only
from db.orders.labels import list_bag_labels, list_slot_labels
from tests.support.app_data import AppData
from tests.support.browser import IDLE_APP, sign_in_as_organizer, zh


def sheet_drawn(page, count: int) -> None:  # a playwright Page
    """Wait until the sheet holds `count` QR images and every one has loaded (images arrive after their cards)."""
    page.wait_for_function(
        """(count) => {
          const images = [...document.querySelectorAll('.st-key-labels_sheet img')];
          return images.length === count && images.every((image) => image.complete && image.naturalWidth > 0);
        }""",
        arg=count,
    )


def decoded(png: bytes) -> list[str]:
    return sorted(result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))


def test_printed_labels_read_back_as_their_payloads(chromium, shared_server: str, shared_app_database: AppData):
    # Reads only (the organizer's sign-in is its own): the worker's shared server.
    app_server, data = shared_server, shared_app_database
    store = make_engine(data.url)
    with read_only(store) as session:
        bags = list_bag_labels(session, site_id=data.site_id, delivery_date=local_today())
        slots = list_slot_labels(session, site_id=data.site_id)
    store.dispose()
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in_as_organizer(page, app_server)
        page.locator('[data-testid="stSidebarNavLink"][href$="/labels"]').click()
        page.get_by_role("heading", name=zh("page.labels.title")).wait_for()
        page.locator(IDLE_APP).wait_for()
        sheet = page.locator(".st-key-labels_sheet")
        sheet_drawn(page, len(bags))
        assert decoded(sheet.screenshot()) == sorted(label.payload for label in bags)
        page.get_by_text(zh("labels.kind_slots")).click()
        page.locator(IDLE_APP).wait_for()
        page.get_by_text("Z1-04").wait_for()
        sheet_drawn(page, len(slots))
        page.emulate_media(media="print")
        # On paper: the sheet, without the menu and the choices above it.
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert not page.locator(".st-key-labels_controls").is_visible()
        assert decoded(sheet.screenshot()) == sorted(label.payload for label in slots)
        assert len(slots) == 20
    finally:
        context.close()
