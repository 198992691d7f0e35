"""The volunteer's screens as the 10-inch tablet shows them (1024 × 768, menu open): readable cards, big targets."""

from __future__ import annotations

import pytest

from tests.support.browser import IDLE_APP, open_page, sign_in_on_tablet, zh

# These tests read only (their sign-ins and enrolled tablets are their own): one server for the module, on one worker.
pytestmark = pytest.mark.xdist_group("tablet_module")


@pytest.fixture
def app_server(module_server: str) -> str:
    return module_server


@pytest.fixture
def page(module_tablet):  # a playwright Page: a fresh tablet context per test
    return module_tablet


# A select's field and its open button; Streamlit 1.67 draws selectboxes as react-aria combo boxes.
SELECT_FIELDS = '[data-testid="stSelectbox"] [role="group"]'


def heights(tab, selector: str) -> list[float]:  # a playwright Page
    return [box["height"] for box in (element.bounding_box() for element in tab.locator(selector).all()) if box]


def test_the_sign_in_name_list_is_a_big_target(page, app_server: str):
    open_page(page, f"{app_server}/sign_in", zh("page.sign_in.title"))
    page.get_by_label(zh("sign_in.name")).wait_for()
    fields = heights(page, f'[data-testid="stMain"] {SELECT_FIELDS}')
    assert fields and min(fields) >= 48, fields


def test_the_desk_search_is_in_sight_and_every_card_readable(page, app_server: str):
    sign_in_on_tablet(page, app_server)
    page.locator('[data-testid="stMetric"]').first.wait_for()
    page.locator(IDLE_APP).wait_for()

    # The volunteer's one tool is on the first screen, without scrolling past the day's figures.
    search = page.get_by_label(zh("desk.search")).bounding_box()
    assert search["y"] + search["height"] <= 768, search
    # No card's label or figure is cut to "待…": six fixed columns in this width did that.
    # (a card's label and figure each sit in a markdown container that ends in an ellipsis when too narrow)
    texts = page.locator('[data-testid="stMetric"] [data-testid="stMarkdownContainer"]')
    assert texts.count() == 22
    cut = texts.evaluate_all("elements => elements.filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)")
    assert cut == []
    assert page.locator('[data-testid="stMetric"]').count() == 11  # the waiting bags and the ten cards
