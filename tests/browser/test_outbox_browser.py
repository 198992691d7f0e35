"""In Chromium on the organizer's laptop, in both languages: the outbox lists what was sent, due and failed, and a
failed message is sent again after a second tap; the channel settings take a webhook URL once and never show it
again (its last four characters only).

Screenshots of both pages at 1440x900 and 1024x768 in each language (top, a third down, end) go to the folder
CLOUD_BASKET_SCREENSHOTS names, when it is set: to look at them after a change; CI takes none (about 6 s).
One server for the module (`module_server`): its one test writes only what it reads itself."""

from __future__ import annotations

import contextlib
import pathlib
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from db.core.models import ChannelSecret, Message
from tests.support.app_data import RESIDENT_PHONE, AppData, fill_outbox, stored
from tests.support.browser import IDLE_APP, screenshot_folder, sign_in_as_organizer
from tests.support.markdown_payloads import unescaped
from ui.i18n import LANGUAGE_NAMES, translate

pytestmark = pytest.mark.xdist_group("outbox_module")

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=5d2a-BROWSER-SECRET-c9b1"
SIZES = ((1440, 900), (1024, 768))


def words(language: str, key: str, **params: object) -> str:
    return unescaped(translate(language, key, **params))


def close_toasts(page) -> None:  # a playwright Page
    """The notices' toasts would cover the screenshots' top right: closed, as a reader would."""
    toasts = page.locator('[data-testid="stToast"]')
    with contextlib.suppress(PlaywrightTimeout):
        toasts.first.wait_for(timeout=1_000)
    for close in toasts.locator("button").all():
        with contextlib.suppress(PlaywrightTimeout):
            close.click(timeout=1_000)


def switch_language(page, language: str) -> None:
    """The sidebar's language, and the run it starts finished (its own label in the new language shows it began)."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(LANGUAGE_NAMES[language], exact=True).click()
    sidebar.get_by_text(translate(language, "sidebar.language"), exact=True).wait_for()
    page.locator(IDLE_APP).wait_for()


def open_from_menu(page, name: str, language: str) -> None:
    page.locator(f'[data-testid="stSidebarNavLink"][href$="/{name}"]').click()
    page.get_by_role("heading", name=words(language, f"page.{name}.title")).first.wait_for()
    page.locator(IDLE_APP).wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0, name


def screenshots(page, shots: pathlib.Path | None, name: str) -> None:
    """The page's top, a third of the way down and its end (Streamlit scrolls its main area, not the window), at
    each size; nothing without a folder."""
    if shots is None:
        return
    close_toasts(page)
    main = page.locator('[data-testid="stMain"]')
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.locator(IDLE_APP).wait_for()
        for end, scroll in (("top", "0"), ("middle", "element.scrollHeight / 3"), ("end", "element.scrollHeight")):
            main.evaluate(f"element => element.scrollTo(0, {scroll})")
            page.screenshot(path=str(shots / f"{name}_{width}x{height}_{end}.png"))
    main.evaluate("element => element.scrollTo(0, 0)")
    page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})


def test_outbox_and_channels_in_both_languages(chromium, module_server: str, module_app_database: AppData):
    shots = screenshot_folder()
    ids = fill_outbox(module_app_database)
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in_as_organizer(page, module_server)
        for language in ("zh-CN", "en"):
            if language != "zh-CN":
                switch_language(page, language)
            open_from_menu(page, "outbox", language)
            page.locator('[data-testid="stDataFrame"]').first.wait_for()
            # Recipients masked: the whole number is nowhere in the page.
            assert RESIDENT_PHONE not in page.content()
            screenshots(page, shots, f"outbox_{language}")
            open_from_menu(page, "channels", language)
            # One kind's text unfolded, to read as an organizer does.
            page.locator('[data-testid="stExpander"] summary').filter(
                has_text=words(language, "value.message_kind.shift_reminder_24h")
            ).click()
            screenshots(page, shots, f"channels_{language}")

        # Back in Chinese: the failed message sent again, after the second tap.
        switch_language(page, "zh-CN")
        open_from_menu(page, "outbox", "zh-CN")
        page.get_by_label(words("zh-CN", "outbox.choose")).click()
        page.get_by_role("option", name=re.compile(rf"^#{ids['failed']} ")).click()
        page.get_by_role("button", name=words("zh-CN", "outbox.retry")).wait_for()
        page.locator(IDLE_APP).wait_for()
        screenshots(page, shots, "outbox_detail_zh-CN")
        page.get_by_role("button", name=words("zh-CN", "outbox.retry")).click()
        page.get_by_text(words("zh-CN", "outbox.retry_question")).wait_for()
        page.get_by_role("button", name=words("zh-CN", "confirm.yes")).click()
        page.get_by_text(words("zh-CN", "outbox.retried", id=ids["failed"])).first.wait_for()
        page.locator(IDLE_APP).wait_for()
        assert stored(module_app_database, select(Message.status).where(Message.id == ids["failed"])) == [("due",)]

        # The robot's webhook URL: typed once, saved, never on the page again; its box says its last four.
        open_from_menu(page, "channels", "zh-CN")
        box = page.get_by_role("textbox", name=words("zh-CN", "channels.webhook_url"))
        box.fill(WEBHOOK)
        page.get_by_role("button", name=words("zh-CN", "channels.save_robot")).click()
        page.get_by_text(words("zh-CN", "channels.saved")).first.wait_for()
        page.locator(IDLE_APP).wait_for()
        box = page.get_by_role("textbox", name=words("zh-CN", "channels.webhook_url"))
        assert box.input_value() == ""
        assert box.get_attribute("placeholder") == words("zh-CN", "channels.secret_stored", last_four="c9b1")
        assert "BROWSER-SECRET" not in page.content()
        assert stored(module_app_database, select(ChannelSecret.value)) == [(WEBHOOK,)]
        screenshots(page, shots, "channels_saved_zh-CN")
    finally:
        context.close()
