"""End to end in Chromium: a volunteer signs in on the tablet with name and PIN, signs up for a shift starting soon
at the bottom of a long page, finds its check-in button in view, and checks in."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from db.core.clock import utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Assignment
from db.roster.shifts import create_shift, sign_up
from tests.support.app_data import AppData
from tests.support.browser import IDLE_APP, enroll_as_tablet, sign_in_on_tablet, streamlit_server, zh
from ui.views.roster.shifts import shift_label


@pytest.fixture
def shift_starting_soon(app_database_copy: AppData) -> tuple[int, str]:
    """An open handout shift starting in 15 minutes (its check-in window is open), and 王阿姨 signed up for four
    shifts in the days after it (and tomorrow's, as the app data has it), so the open shifts are listed below the
    fold."""
    store = make_engine(app_database_copy.url)
    starts = utc_now() + dt.timedelta(minutes=15)
    volunteer_id = app_database_copy.volunteer.volunteer_id
    with unit_of_work(store) as session:
        shifts = [
            create_shift(
                session,
                site_id=app_database_copy.site_id,
                role="handout",
                starts_at=starts + dt.timedelta(days=day),
                ends_at=starts + dt.timedelta(days=day, hours=2),
                min_staff=1,
                max_staff=2,
                now=utc_now() - dt.timedelta(days=1),
            )
            for day in (0, 2, 3, 4, 5)
        ]
        for later in shifts[1:]:
            sign_up(session, shift_id=later.id, volunteer_id=volunteer_id, now=utc_now() - dt.timedelta(days=1))
        shift = shifts[0]
        found = shift.id, shift_label(starts_at=shift.starts_at, ends_at=shift.ends_at, role="handout")
    store.dispose()
    return found


@pytest.fixture
def tablet(chromium, app_database_copy: AppData, shift_starting_soon, tmp_path: pathlib.Path):
    with streamlit_server(app_database_copy.url, log_path=tmp_path / "streamlit.log") as base_url:
        context = chromium.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
        enroll_as_tablet(
            context, base_url=base_url, database_url=app_database_copy.url, site_id=app_database_copy.site_id
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page, base_url
        context.close()


def test_volunteer_checks_in_on_the_tablet(tablet, app_database_copy: AppData, shift_starting_soon):
    page, base_url = tablet
    shift_id, label = shift_starting_soon
    sign_in_on_tablet(page, base_url)

    # A page URL would start a new browser session; the menu keeps this one.
    page.locator('[data-testid="stSidebarNavLink"]', has_text=zh("page.my_shifts.title")).click()
    page.get_by_role("heading", name=zh("page.my_shifts.title")).wait_for()
    page.locator(IDLE_APP).wait_for()
    page.locator(f".st-key-sign_up_{shift_id} button").click()  # scrolled down to it
    check_in = page.get_by_role("button", name=zh("my_shifts.check_in", shift=label))
    check_in.wait_for()
    page.locator(IDLE_APP).wait_for()
    # The new button is at the top of the page: it is brought into view, not left above the fold.
    expect(check_in).to_be_in_viewport()
    check_in.click()

    page.get_by_text(zh("my_shifts.checked_in", shift=label)).first.wait_for()  # the notice and its toast
    page.locator(IDLE_APP).wait_for()
    assert page.get_by_role("button", name=zh("my_shifts.check_out")).count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    store = make_engine(app_database_copy.url)
    with unit_of_work(store) as session:
        statuses = session.scalars(select(Assignment.status).where(Assignment.shift_id == shift_id)).all()
        assert statuses == ["checked_in"]
    store.dispose()
