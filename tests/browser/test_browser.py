"""End to end in Chromium against `streamlit run`: a volunteer signs in on the tablet and reaches the desk."""

from __future__ import annotations

import pytest

from tests.support.browser import IDLE_APP, open_page, sign_in_on_tablet, zh
from ui.pages_registry import PUBLIC, VOLUNTEER, pages_for


# These tests read only (their sign-ins and enrolled tablets are their own): the worker's shared server.
@pytest.fixture
def app_server(shared_server: str) -> str:
    return shared_server


@pytest.fixture
def page(shared_tablet):  # a playwright Page: a fresh tablet context per test
    return shared_tablet


def menu(page) -> list[str]:
    # A link's text is its icon's ligature name, then its title.
    links = page.locator('[data-testid="stSidebarNavLink"]').all()
    return [link.inner_text().strip().splitlines()[-1].strip() for link in links]


def test_volunteer_signs_in_with_name_and_pin_and_sees_the_desk(page, app_server: str):
    open_page(page, f"{app_server}/sign_in", zh("page.sign_in.title"))
    assert menu(page) == [zh(spec.title_key) for spec in pages_for(PUBLIC)]

    sign_in_on_tablet(page, app_server)
    # Once at the top of the page (and once more as a toast, for a tap made further down a page).
    assert page.locator('[data-testid="stAlert"]').get_by_text(zh("sign_in.welcome", name="王阿姨")).count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    # The menu lists only the volunteer's pages, each once.
    assert menu(page) == [zh(spec.title_key) for spec in pages_for(VOLUNTEER)]


def test_an_organizer_page_url_refuses_a_resident(page, app_server: str):
    page.goto(f"{app_server}/audit")
    page.get_by_text(zh("guard.sign_in_needed")).wait_for()
    page.locator(IDLE_APP).wait_for()
    assert page.get_by_role("heading", name=zh("page.audit.title")).count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0


@pytest.mark.parametrize("path", ["/status?site=TS2", "/?site=TS2", "/"])
def test_the_residents_page_opens_from_its_own_address_and_from_the_root(page, app_server: str, path: str):
    """A poster's link goes straight to the residents' page, with no "page not found" on the way."""
    page.goto(f"{app_server}{path}")
    page.get_by_role("heading", name=zh("page.status.title")).wait_for()
    page.locator(IDLE_APP).wait_for()
    assert page.get_by_text("Page not found").count() == 0
    assert page.url.split("?")[0].endswith("/status")
    if "site=" in path:
        assert "site=TS2" in page.url  # the site in the link survives the landing
    assert page.locator('[data-testid="stException"]').count() == 0
