"""In Chromium: payload data (tests/support/markdown_payloads.py) on the desk, arrivals, order detail, slot list,
daily print view and residents' page renders as text: no link, image, emphasis, colour, icon or emoji from it, no
request to its host, and no stray backslash a person would see."""

from __future__ import annotations

import pathlib

import pytest

from tests.support.browser import IDLE_APP, sign_in_as_organizer, streamlit_server, zh
from tests.support.markdown_payloads import (
    CODE_EXPECTED,
    CODE_PROBLEM,
    CODE_READY,
    EVIL_HOST,
    NAME,
    PHONE,
    PLATFORM,
    REASON,
    WORD_JOINER,
    build_payload_database,
)

# The inner text of each piece of markup the payloads would make, if rendered.
MARKUP_TEXTS = ["粗B", "斜E", "删S", "码K", "H", "链L", "红R", "蓝B", "橙O"]
MARKUP = (
    "strong, em, del, code, b, i, a, span.stMarkdownColoredText, span.stMarkdownColoredBackground, span.stMarkdownBadge"
)


@pytest.fixture
def payload_server(tmp_path: pathlib.Path):  # yields the base URL
    data = build_payload_database(tmp_path / "app.db")
    with streamlit_server(data.app.url, log_path=tmp_path / "streamlit.log") as base_url:
        yield base_url


@pytest.fixture
def browser_context(chromium):  # playwright objects
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    yield context, requested
    context.close()


def assert_shown_as_text(page, *, shows: list[str]) -> None:  # a playwright Page
    page.locator(IDLE_APP).wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(f'a[href*="{EVIL_HOST}"], img[src*="{EVIL_HOST}"]').count() == 0
    made = [text.strip() for text in page.locator(MARKUP).all_inner_texts() if text.strip() in MARKUP_TEXTS]
    assert made == []
    assert page.locator('[aria-label="bug_report icon"], .katex, [data-testid="stMarkdownContainer"] img').count() == 0
    text = page.locator('[data-testid="stMain"]').inner_text().replace(WORD_JOINER, "")
    assert "\\" not in text  # no stray Markdown escapes
    assert "😄" not in text and "甲 → 乙" not in text  # no emoji shortcode, no typographic arrow
    for value in shows:
        assert " ".join(value.split()) in " ".join(text.split()), value


def open_from_menu(page, path: str, title_key: str) -> None:
    # Through the menu: a fresh page load would start a new, signed-out session.
    page.locator(f'[data-testid="stSidebarNavLink"][href$="/{path}"]').click()
    page.get_by_role("heading", name=zh(title_key)).wait_for()
    page.locator(IDLE_APP).wait_for()


def test_payload_data_renders_as_text_on_every_surface(payload_server: str, browser_context):
    context, requested = browser_context
    page = context.new_page()
    page.set_default_timeout(30_000)

    sign_in_as_organizer(page, payload_server)

    open_from_menu(page, "desk", "page.desk.title")
    box = page.get_by_label(zh("desk.search"))
    box.fill(PHONE[-4:])
    box.press("Enter")
    # A payload's text is split by invisible word joiners where it would autolink: wait for the app's words.
    page.get_by_text(zh("desk.result_resident", name="", phone="", count=1).split(" · ")[-1]).first.wait_for()
    assert_shown_as_text(page, shows=[CODE_READY, PLATFORM])

    open_from_menu(page, "arrivals", "page.arrivals.title")
    code = page.get_by_label(zh("arrivals.code"))
    code.fill(CODE_EXPECTED)
    code.press("Enter")
    # The code is told in the caption under the slot it went to.
    page.locator('[data-testid="stCaptionContainer"]').get_by_text("红R").wait_for()
    assert_shown_as_text(page, shows=[CODE_EXPECTED])

    open_from_menu(page, "orders", "page.orders.title")
    # Typing into the combo box opens its list filtered to the bag (a click alone may land before it is ready).
    choose = page.get_by_label(zh("orders.detail_choose"))
    choose.click()
    choose.press_sequentially("码K")
    # Enter takes the bag the list shows first, as a person typing would: a click on the option can keep missing it
    # while a busy machine redraws the list under the pointer.
    page.get_by_role("option").filter(has_text=CODE_PROBLEM).wait_for()
    choose.press("Enter")
    page.locator('[data-testid="stAlert"]').first.wait_for()
    assert_shown_as_text(page, shows=[CODE_PROBLEM, NAME, REASON])

    open_from_menu(page, "slot_list", "page.slot_list.title")
    page.locator('[data-testid="stTable"]').wait_for()
    assert_shown_as_text(page, shows=[CODE_READY, CODE_EXPECTED])

    open_from_menu(page, "daily_report", "page.daily_report.title")
    page.get_by_text(zh("daily.print_view")).click()
    page.locator('[data-testid="stTable"]').first.wait_for()
    assert_shown_as_text(page, shows=[PLATFORM, CODE_PROBLEM, REASON])

    # The residents' page, on a phone with no session.
    resident = context.new_page()
    resident.set_default_timeout(30_000)
    resident.goto(f"{payload_server}/status?site=TS2")
    resident.get_by_label(zh("status.pickup_code")).fill(CODE_READY)
    tail = resident.get_by_label(zh("status.phone_tail"))
    tail.fill(PHONE[-4:])
    tail.press("Enter")
    resident.locator('[data-testid="stImage"]').wait_for()
    assert_shown_as_text(resident, shows=[CODE_READY])

    assert [url for url in requested if EVIL_HOST in url] == []
