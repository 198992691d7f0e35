"""In Chromium against `streamlit run`: a volunteer on the tablet logs a fridge temperature."""

from __future__ import annotations

from tests.support.browser import IDLE_APP, sign_in_on_tablet, zh


def test_a_volunteer_logs_a_fridge_reading(page, app_server: str):
    sign_in_on_tablet(page, app_server)

    # The menu, not a URL: a new page load would be a new session, signed out.
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=zh("page.temperatures.title")).click()
    page.get_by_role("heading", name=zh("page.temperatures.title")).wait_for()
    page.locator(".st-key-temperature_unit_F1 button").click()
    reading = page.get_by_label(zh("temperatures.reading"))
    reading.wait_for()
    reading.fill("4.5")
    reading.press("Enter")
    page.locator(IDLE_APP).wait_for()
    page.locator(".st-key-temperature_save button").click()

    page.get_by_text(zh("temperatures.saved", reading=4.5, time="")[:8]).first.wait_for()
    page.locator(IDLE_APP).wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    # The form is empty for the next unit, and today's log has a row.
    assert reading.input_value() == ""
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
