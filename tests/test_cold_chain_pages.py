"""The cold-chain screens under AppTest: the reading form's refusals and follow-ups, the sign-off lock, the unit
register and excursion checks."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import AppData
from sqlalchemy import select
from streamlit.testing.v1 import AppTest
from test_pages import new_app, writable_app_env  # noqa: F401 - a fixture, reused

from db.clock import local_today, to_local, utc_now
from db.engine import make_engine, unit_of_work
from db.models import TemperatureReading
from ui.i18n import translate
from ui.pages_registry import ORGANIZER, VOLUNTEER


def zh(key: str, **params: object) -> str:
    return translate("zh-CN", key, **params)


def readings(data: AppData) -> list[tuple[float, bool, str | None]]:
    engine = make_engine(data.url)
    try:
        with unit_of_work(engine) as session:
            rows = session.scalars(select(TemperatureReading).order_by(TemperatureReading.id)).all()
            return [(row.reading_c, row.in_range, row.corrective_action) for row in rows]
    finally:
        engine.dispose()


def temperature_form(data: AppData, *, audience: str = VOLUNTEER) -> AppTest:
    at = new_app(data, audience=audience).switch_page("pages/temperatures.py").run()
    at.button(key="temperature_unit_F1").click().run()
    assert not at.exception
    return at


def save(at: AppTest, typed: str) -> list[str]:
    at.text_input(key="temperature_reading").input(typed).run()
    at.button(key="temperature_save").click().run()
    assert not at.exception
    return [element.value for element in at.error]


@pytest.mark.parametrize(
    ("typed", "message"),
    [("abc", zh("error.reading_not_a_number")), ("", zh("error.reading_required")),
     ("999", zh("error.reading_range", low=-40.0, high=40.0))],
)
def test_the_reading_form_refuses_text_empty_and_999(writable_app_env: AppData, typed: str, message: str):  # noqa: F811
    at = temperature_form(writable_app_env)
    assert save(at, typed) == [message]
    assert readings(writable_app_env) == []


def test_the_reading_form_refuses_a_future_time(writable_app_env: AppData):  # noqa: F811
    at = temperature_form(writable_app_env)
    at.checkbox(key="temperature_earlier").check().run()
    at.date_input(key="temperature_date").set_value(local_today() + dt.timedelta(days=1)).run()
    at.text_input(key="temperature_late_reason").input("测试").run()
    assert save(at, "4") == [zh("error.reading_in_future")]
    assert readings(writable_app_env) == []


def test_an_out_of_range_reading_needs_an_action_and_asks_for_a_follow_up(writable_app_env: AppData):  # noqa: F811
    at = temperature_form(writable_app_env)
    at.text_input(key="temperature_reading").input("12").run()
    assert zh("temperatures.out_of_range", low=0.0, high=8.0) in [element.value for element in at.warning]
    at.button(key="temperature_save").click().run()
    assert [element.value for element in at.error] == [zh("error.corrective_action_required")]

    at.text_area(key="temperature_action").input("门没关严，已关好").run()
    at.button(key="temperature_save").click().run()
    assert not at.exception and not at.error
    assert readings(writable_app_env) == [(12.0, False, "门没关严，已关好")]
    # The form is empty again, and the follow-up shows here and on the desk until it is taken.
    assert at.text_input(key="temperature_reading").value == ""
    marker = zh("due.follow_up", unit="F1", name="F1", time="@").split("@")[0]
    assert follow_ups(at, marker)
    assert follow_ups(new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/desk.py").run(), marker)

    save(at, "5")
    assert readings(writable_app_env)[-1] == (5.0, True, None)
    assert follow_ups(at, marker) == []
    assert follow_ups(new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/desk.py").run(), marker) == []


def follow_ups(at: AppTest, marker: str) -> list[str]:
    assert not at.exception
    return [element.value for element in (*at.warning, *at.error) if element.value.startswith(marker)]


def test_a_signed_off_day_refuses_new_readings_on_the_tablet(writable_app_env: AppData):  # noqa: F811
    organizer = new_app(writable_app_env, audience=ORGANIZER).switch_page("pages/temperatures.py").run()
    organizer.button(key="temperature_sign_off").click().run()
    assert not organizer.exception
    assert any(zh("temperatures.day_is_signed", who="")[:4] in element.value for element in organizer.success)

    at = temperature_form(writable_app_env)
    today = to_local(utc_now()).date().isoformat()
    assert save(at, "4") == [zh("error.day_signed_off", day=today)]
    assert readings(writable_app_env) == []
