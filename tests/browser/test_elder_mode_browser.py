"""长辈模式 in Chromium (issue 22): every text and control of the volunteer screens measured in elder mode on the
tablet (1024×768) and the phone (390×844), and the desk at 200 % zoom with its search box and first bag in view.

One server for the module; one browser context per viewport. The tablet's mode is switched on with the sidebar's
switch on the sign-in screen; the volunteer's own through the store, before they sign in."""

from __future__ import annotations

from typing import Any

import pytest

from db.core.clock import utc_now
from db.core.engine import make_engine, unit_of_work
from db.people.volunteers import set_volunteer_elder_mode
from tests.support.app_data import APP_VOLUNTEER_PIN, CODE, AppData, receive
from tests.support.browser import IDLE_APP, enroll_as_tablet, open_page, zh
from tests.support.page_scan import elder_measures
from ui.pages_registry import SIGN_IN_PAGE, VOLUNTEER, pages_for

pytestmark = pytest.mark.xdist_group("elder_mode")

BODY_PX = 24  # 18 pt
CONTROL_PX = 60
LINE_HEIGHT = 1.3
CONTRAST = 4.5
CONTRAST_LARGE = 3.0  # only for text of BODY_PX and more
EXPAND = '[data-testid="stExpandSidebarButton"]'
COLLAPSE = '[data-testid="stSidebarCollapseButton"] button'


def volunteers_elder_mode(data: AppData, *, on: bool) -> None:
    engine = make_engine(data.url)
    try:
        with unit_of_work(engine) as session:
            set_volunteer_elder_mode(session, volunteer_id=data.volunteer.volunteer_id, elder_mode=on, now=utc_now())
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def bag(module_app_database: AppData) -> str:
    """The test order checked in, so the desk finds it in a slot; the volunteer in elder mode."""
    receive(module_app_database)
    volunteers_elder_mode(module_app_database, on=True)
    return CODE


def tablet(chromium, base_url: str, data: AppData, *, width: int, height: int, scale: int = 1):  # playwright
    context = chromium.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale, locale="zh-CN"
    )
    enroll_as_tablet(context, base_url=base_url, database_url=data.url, site_id=data.site_id)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def sign_in(page) -> None:  # a playwright Page on the sign-in screen
    """The name from the list and the PIN. On a narrow screen the list may close again as the page settles (the
    cursor moves into the PIN box): it is opened again until the name can be picked."""
    for _ in range(5):
        page.get_by_label(zh("sign_in.name")).click()
        option = page.get_by_role("option", name="王阿姨")
        try:
            option.click(timeout=2_000)
            break
        except Exception:  # playwright's TimeoutError (playwright may be missing where this module is imported)
            page.keyboard.press("Escape")
    pin = page.get_by_label(zh("sign_in.pin"))
    pin.fill(APP_VOLUNTEER_PIN)
    pin.press("Enter")
    page.get_by_role("heading", name=zh("page.desk.title")).wait_for()
    page.locator(IDLE_APP).wait_for()


def offenders(measures: dict[str, list[dict[str, Any]]]) -> list[str]:
    """What breaks the numbers of elder mode, Streamlit's own chrome set apart."""
    found = []
    for text in measures["texts"]:
        if text["chrome"]:
            continue
        size, contrast, line = text["size"], text["contrast"], text["line"]
        if size < BODY_PX:
            found.append(f"text {size}px: {text['where']} {text['text']!r}")
        if contrast < (CONTRAST_LARGE if size >= BODY_PX else CONTRAST):
            found.append(f"contrast {contrast}: {text['where']} {text['text']!r}")
        if line is not None and line < LINE_HEIGHT - 0.01:
            found.append(f"line height {line:.2f}: {text['where']} {text['text']!r}")
    found.extend(f"status by colour alone: {words!r}" for words in measures["unsigned"])
    if len(measures["primaries"]) > 1:
        found.append(f"primary actions side by side: {measures['primaries']}")
    for control in measures["controls"]:
        if not control["chrome"] and (control["width"] < CONTROL_PX or control["height"] < CONTROL_PX):
            found.append(f"control {control['width']}x{control['height']}: {control['name']}")
    return found


def figures(measures: dict[str, list[dict[str, Any]]]) -> str:
    """The screen's smallest text, lowest contrast and smallest control, for the report."""
    texts = [text for text in measures["texts"] if not text["chrome"]]
    controls = [control for control in measures["controls"] if not control["chrome"]]
    smallest = min(controls, key=lambda c: (min(c["width"], c["height"]), max(c["width"], c["height"])), default=None)
    box = f"{smallest['width']}x{smallest['height']}" if smallest else "-"
    return (
        f"text >= {min((t['size'] for t in texts), default=0)}px, contrast >= "
        f"{min((t['contrast'] for t in texts), default=0)}, control >= {box}"
    )


def show_sidebar(page, shown: bool) -> None:  # a playwright Page
    """On the phone the sidebar is folded: opened to reach the menu and the switch, folded again to measure."""
    if shown and page.locator(EXPAND).is_visible():
        page.locator(EXPAND).click()
        page.locator(COLLAPSE).wait_for()
    elif not shown and page.locator(EXPAND).count() == 0 and page.viewport_size["width"] < 640:
        page.locator(COLLAPSE).click()
        page.locator(EXPAND).wait_for()


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (390, 844)], ids=["tablet", "phone"])
def test_in_elder_mode_every_volunteer_screen_has_large_text_strong_contrast_and_large_controls(
    chromium, module_server: str, module_app_database: AppData, bag: str, width: int, height: int
) -> None:
    context, page = tablet(chromium, module_server, module_app_database, width=width, height=height)
    try:
        open_page(page, f"{module_server}/sign_in", zh("page.sign_in.title"))
        show_sidebar(page, True)
        page.get_by_text(zh("elder.switch")).click()  # the tablet's own mode, kept for the tablet
        page.locator(IDLE_APP).wait_for()
        page.wait_for_function("getComputedStyle(document.documentElement).fontSize === '24px'")
        show_sidebar(page, False)
        measured = {SIGN_IN_PAGE: elder_measures(page)}

        sign_in(page)
        for spec in pages_for(VOLUNTEER):
            if spec.name == SIGN_IN_PAGE:
                continue
            show_sidebar(page, True)
            # Through the menu: a fresh page load would start a new, signed-out session.
            page.locator(f'[data-testid="stSidebarNavLink"][href$="/{spec.url_path}"]').click()
            page.get_by_role("heading", name=zh(spec.title_key)).first.wait_for()
            page.locator(IDLE_APP).wait_for()
            show_sidebar(page, False)
            if spec.name == "desk":  # with a bag found: its card, its slot and its buttons
                page.get_by_label(zh("desk.search")).click()
                page.keyboard.type(bag)
                page.keyboard.press("Enter")
                page.get_by_role("button", name=zh("desk.hand_over")).wait_for()
                page.locator(IDLE_APP).wait_for()
            measured[spec.name] = elder_measures(page)
            if spec.name == "desk":  # the next step: who collects, one primary action among four buttons; backed out
                page.get_by_role("button", name=zh("desk.hand_over")).click()
                page.locator(".st-key-desk_cancel button").wait_for()
                page.locator(IDLE_APP).wait_for()
                measured["desk (confirm)"] = elder_measures(page)
                page.locator(".st-key-desk_cancel button").click()
                page.locator(".st-key-desk_cancel").wait_for(state="detached")
    finally:
        context.close()

    for name, measures in measured.items():
        print(f"{width}x{height} {name}: {figures(measures)}")
    assert set(measured) == {SIGN_IN_PAGE, "desk (confirm)", *(spec.name for spec in pages_for(VOLUNTEER))}
    assert {name: found for name, measures in measured.items() if (found := offenders(measures))} == {}


def in_view(page, selector: str) -> bool:  # a playwright Page
    """Whether the first element matching `selector` is wholly on screen, below Streamlit's fixed header."""
    return page.evaluate(
        """(selector) => {
            const element = document.querySelector(selector);
            const header = document.querySelector('[data-testid="stHeader"]').getBoundingClientRect();
            const box = element.getBoundingClientRect();
            return box.top >= header.bottom - 1 && box.bottom <= window.innerHeight + 1;
        }""",
        selector,
    )


def test_at_200_percent_zoom_the_desks_search_box_and_first_bag_are_in_view(
    chromium, module_server: str, module_app_database: AppData, bag: str
) -> None:
    """The tablet at 200 % zoom is 512×384 CSS px: after a scan the search box, the slot found and its handover
    button are on screen at once, in elder mode and out of it."""
    context, page = tablet(chromium, module_server, module_app_database, width=512, height=384, scale=2)
    seen = {}
    try:
        for elder in (True, False):
            volunteers_elder_mode(module_app_database, on=elder)
            open_page(page, f"{module_server}/sign_in", zh("page.sign_in.title"))
            show_sidebar(page, False)
            sign_in(page)
            page.locator(".st-key-desk_query input").wait_for()
            arrived = in_view(page, ".st-key-desk_query input")
            page.keyboard.type(bag)  # the cursor is in the search box, as for the scanner
            page.keyboard.press("Enter")
            page.get_by_role("button", name=zh("desk.hand_over")).wait_for()
            page.locator(IDLE_APP).wait_for()
            # The row goes to the top once the page has settled (ui.keyboard's `pin`).
            page.wait_for_function(
                "document.querySelector('.st-key-desk_search_row').getBoundingClientRect().top < 150", timeout=5_000
            )
            seen[elder] = (
                arrived,
                in_view(page, ".st-key-desk_query input"),
                in_view(page, '[data-testid="stMarkdownContainer"] h2'),
                in_view(page, '[class*="st-key-desk_hand_over_"] button'),
            )
            page.locator(EXPAND).click()
            page.get_by_role("button", name=zh("sidebar.sign_out")).click()
            page.get_by_role("heading", name=zh("page.sign_in.title")).wait_for()
    finally:
        context.close()
        volunteers_elder_mode(module_app_database, on=True)
    assert seen == {True: (True, True, True, True), False: (True, True, True, True)}
