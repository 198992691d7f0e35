"""In Chromium against `streamlit run`: a volunteer on the tablet logs a fridge and then a freezer temperature,
typing right after tapping each unit (no tap into the box): the keys land in the box, each box has its own keypad."""

from __future__ import annotations

from tests.support.browser import IDLE_APP, sign_in_on_tablet, zh


def test_a_volunteer_types_a_fridge_then_a_freezer_reading_right_after_each_tap(page, app_server: str):
    sign_in_on_tablet(page, app_server)

    # The menu, not a URL: a new page load would be a new session, signed out.
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=zh("page.temperatures.title")).click()
    page.get_by_role("heading", name=zh("page.temperatures.title")).wait_for()
    page.locator(IDLE_APP).wait_for()
    reading = page.get_by_label(zh("temperatures.reading"))
    saved = zh("temperatures.saved", reading=0, time="")[:4]

    for unit, typed, mode in (("F1", "4.5", "decimal"), ("Z1", "-19", "text")):
        # The first tap (no box drawn yet), then the next unit (the box is there, holding nothing): type at once.
        page.locator(f".st-key-temperature_unit_{unit} button").click()
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        page.locator(IDLE_APP).wait_for()
        reading.wait_for()
        assert reading.input_value() == typed
        # A freezer's box is not left with the fridge's keypad (waited for: the page can read as idle just before
        # the run that sets it has started).
        page.wait_for_function(
            "([label, mode]) => "
            "document.querySelector(`input[aria-label=\"${label}\"]`)?.getAttribute('inputmode') === mode",
            arg=[zh("temperatures.reading"), mode],
        )
        page.locator(".st-key-temperature_save button").click()
        page.get_by_text(f"{saved}{float(typed)} °C").first.wait_for()
        page.locator(IDLE_APP).wait_for()
        assert page.locator('[data-testid="stException"]').count() == 0
        assert reading.input_value() == ""  # the form is empty for the next unit
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
