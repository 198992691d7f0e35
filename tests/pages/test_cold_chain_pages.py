"""The cold-chain screens under AppTest: the reading form's refusals and follow-ups, the sign-off lock, the unit
register and excursion checks."""

from __future__ import annotations

import datetime as dt

import pyarrow.ipc
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.cold_chain.temperatures import record_temperature
from db.cold_chain.units import list_cold_units
from db.core.clock import local_today, to_local, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import ExcursionCheck, Order, TemperatureReading
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from tests.support.app_data import AppData
from tests.support.pages import chart_specs, new_app
from tests.support.store_reads import order_history
from ui.i18n import LANGUAGES, translate
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
    [
        ("abc", zh("error.reading_not_a_number")),
        ("", zh("error.reading_required")),
        ("999", zh("error.reading_range", low=-40.0, high=40.0)),
    ],
)
def test_the_reading_form_refuses_text_empty_and_999(writable_app_env: AppData, typed: str, message: str):
    at = temperature_form(writable_app_env)
    assert save(at, typed) == [message]
    assert readings(writable_app_env) == []


def test_the_reading_form_refuses_a_future_time(writable_app_env: AppData):
    at = temperature_form(writable_app_env)
    at.checkbox(key="temperature_earlier").check().run()
    at.date_input(key="temperature_date").set_value(local_today() + dt.timedelta(days=1)).run()
    at.text_input(key="temperature_late_reason").input("测试").run()
    assert save(at, "4") == [zh("error.reading_in_future")]
    assert readings(writable_app_env) == []


def test_an_out_of_range_reading_needs_an_action_and_asks_for_a_follow_up(writable_app_env: AppData):
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
    # Cut at a word, not a punctuation mark: a parameter's punctuation comes back escaped for Markdown.
    marker = zh("due.follow_up", unit="F1", name="F1", time="TIME").split("TIME")[0]
    assert follow_ups(at, marker)
    assert follow_ups(new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/desk.py").run(), marker)

    save(at, "5")
    assert readings(writable_app_env)[-1] == (5.0, True, None)
    assert follow_ups(at, marker) == []
    assert follow_ups(new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/desk.py").run(), marker) == []


def test_a_freezer_reading_without_its_minus_asks_before_it_becomes_an_excursion(writable_app_env: AppData):
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/temperatures.py").run()
    at.button(key="temperature_unit_Z1").click().run()
    at.text_input(key="temperature_reading").input("19").run()
    question = zh("temperatures.minus_question", reading="\u221219")
    assert question == "是 \u221219 吗？"
    excursion = zh("temperatures.out_of_range", low=0, high=0)[:6]
    assert asked(at, question, excursion) == [question]  # no excursion warning yet
    # Saving first does not save: the question stays.
    at.button(key="temperature_save").click().run()
    assert readings(writable_app_env) == []
    assert asked(at, question, excursion) == [question]
    # "Yes, −19": the box says -19, and it saves in range.
    at.button(key="temperature_minus_yes").click().run()
    assert at.text_input(key="temperature_reading").value == "-19"
    at.button(key="temperature_save").click().run()
    assert not at.exception and not at.error
    assert readings(writable_app_env) == [(-19.0, True, None)]

    # "No, it is 19": then it is an excursion, with its corrective action.
    at.text_input(key="temperature_reading").input("19").run()
    at.button(key="temperature_minus_no").click().run()
    assert [warning[:6] for warning in asked(at, question, excursion)] == [excursion]
    at.text_area(key="temperature_action").input("门没关严，已关好").run()
    at.button(key="temperature_save").click().run()
    assert readings(writable_app_env)[-1] == (19.0, False, "门没关严，已关好")
    # English asks the same.
    assert translate("en", "temperatures.minus_question", reading="\u221219") == "Is it \u221219?"


def asked(at: AppTest, question: str, excursion: str) -> list[str]:
    """The form's own warnings (the minus question, the excursion), without the readings due."""
    return [element.value for element in at.warning if element.value == question or element.value.startswith(excursion)]


def follow_ups(at: AppTest, marker: str) -> list[str]:
    assert not at.exception
    return [element.value for element in (*at.warning, *at.error) if element.value.startswith(marker)]


def test_a_signed_off_day_refuses_new_readings_on_the_tablet(writable_app_env: AppData):
    organizer = new_app(writable_app_env, audience=ORGANIZER).switch_page("pages/temperatures.py").run()
    organizer.button(key="temperature_sign_off").click().run()
    assert not organizer.exception
    assert any(zh("temperatures.day_is_signed", who="")[:4] in element.value for element in organizer.success)

    at = temperature_form(writable_app_env)
    today = to_local(utc_now()).date()
    assert save(at, "4") == [zh("error.day_signed_off", day=today)]
    assert readings(writable_app_env) == []


def prepare_excursion(data: AppData, *, more_bags: int = 0, remeasured_c: float | None = None) -> tuple[int, int]:
    """The app's chilled order (and `more_bags` others) received into F1, then an out-of-range reading of F1, and
    a re-measure a minute later when asked: (reading id, the app order's id)."""
    engine = make_engine(data.url)
    now = utc_now()
    try:
        with unit_of_work(engine) as session:
            order_id = session.scalar(select(Order.id).where(Order.pickup_code == "8-123"))
            others = [
                create_order(
                    session,
                    site_id=data.site_id,
                    platform="多多买菜",
                    order_number=f"X{number}",
                    pickup_code=f"9-{number}",
                    resident_name="李四",
                    phone="13800138000",
                    delivery_date=local_today(),
                    items=[ItemSpec("牛奶", 1, "chilled")],
                    now=now - dt.timedelta(hours=2),
                ).id
                for number in range(more_bags)
            ]
            for bag in (order_id, *others):
                receive_order(
                    session, order_id=bag, volunteer_id=data.volunteer.volunteer_id, now=now - dt.timedelta(hours=1)
                )
            fridge = next(unit for unit in list_cold_units(session, site_id=data.site_id) if unit.code == "F1")
            reading = record_temperature(
                session,
                storage_unit_id=fridge.id,
                reading_c=13.0,
                volunteer_id=data.volunteer.volunteer_id,
                now=now,
                taken_at=now - dt.timedelta(minutes=2),
                corrective_action="压缩机停了，已报修",
            )
            if remeasured_c is not None:
                record_temperature(
                    session,
                    storage_unit_id=fridge.id,
                    reading_c=remeasured_c,
                    volunteer_id=data.volunteer.volunteer_id,
                    now=now,
                    taken_at=now - dt.timedelta(minutes=1),
                )
            return reading.id, order_id
    finally:
        engine.dispose()


def outcomes(data: AppData) -> dict[str, tuple[str, str]]:
    """Each checked bag's pickup code → (latest outcome, order status)."""
    engine = make_engine(data.url)
    try:
        with unit_of_work(engine) as session:
            rows = session.execute(
                select(Order.pickup_code, ExcursionCheck.outcome, Order.status)
                .join(ExcursionCheck, ExcursionCheck.order_id == Order.id)
                .order_by(ExcursionCheck.checked_at, ExcursionCheck.id)
            ).all()
    finally:
        engine.dispose()
    return {code: (outcome, status) for code, outcome, status in rows}


def test_an_organizer_adds_a_5_degree_fridge_and_cannot_remove_one_holding_bags(writable_app_env: AppData):
    prepare_excursion(writable_app_env)
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page("pages/storage.py").run()
    at.text_input(key="unit_code").input("f2").run()
    at.text_input(key="unit_name").input("FDA 冷藏").run()
    at.selectbox(key="unit_kind").set_value("fridge").run()
    at.number_input(key="unit_slot_count").set_value(12).run()
    at.text_input(key="unit_max").input("5").run()
    at.button(key="unit_add").click().run()
    assert not at.exception and not at.error
    register = at.dataframe[0].value
    added = register[register[translate("zh-CN", "column.unit")] == "F2"].iloc[0]
    assert (added[zh("column.min_temp_c")], added[zh("column.max_temp_c")], added[zh("column.slots")]) == ("0", "5", 12)
    shelf = register[register[translate("zh-CN", "column.unit")] == "S1"].iloc[0]
    assert (shelf[zh("column.min_temp_c")], shelf[zh("column.max_temp_c")]) == ("", "")  # no range, not "None"

    remove = at.selectbox(key="unit_remove_id")
    remove.select_index([option.startswith("F1") for option in remove.options].index(True)).run()
    at.button(key="unit_remove").click().run()
    at.button(key="unit_remove_yes").click().run()
    assert [element.value for element in at.error] == [zh("error.unit_holds_bags", code="F1", count=1)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_outcome_for_every_bag_of_an_excursion_with_an_exception(
    writable_app_env: AppData, language: str, monkeypatch: pytest.MonkeyPatch
):
    # The language by APP_LANG: AppTest formats a selectbox's options outside the script run, where only that counts.
    monkeypatch.setenv("APP_LANG", language)
    reading_id, order_id = prepare_excursion(writable_app_env, more_bags=3)
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page("pages/storage.py").run()
    [expander] = [expander for expander in at.expander if expander.label.startswith("F1")]
    assert "4" in expander.label and expander.proto.expanded
    at.selectbox(key=f"excursion_{reading_id}_{order_id}").set_value("discarded")
    at.radio(key=f"excursion_{reading_id}_outcome").set_value("checked_ok")
    at.button(key=f"excursion_{reading_id}_apply").click().run()
    assert not at.exception and not at.error
    assert outcomes(writable_app_env) == {
        "8-123": ("discarded", "problem"),
        "9-0": ("checked_ok", "received"),
        "9-1": ("checked_ok", "received"),
        "9-2": ("checked_ok", "received"),
    }
    assert translate(language, "storage.outcome_applied", count=4) in [element.value for element in at.info]
    engine = make_engine(writable_app_env.url)
    try:
        with unit_of_work(engine) as session:
            actions = [event.action for event in order_history(session, order_id=order_id)]
    finally:
        engine.dispose()
    assert actions[-2:] == ["order.problem", "order.excursion_checked"]
    [expander] = [expander for expander in at.expander if expander.label.startswith("F1")]
    assert not expander.proto.expanded  # nothing left unchecked


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_excursion_settled_by_a_remeasure_asks_for_no_checks(
    writable_app_env: AppData, language: str, monkeypatch: pytest.MonkeyPatch
):
    # The language by APP_LANG: AppTest formats a selectbox's options outside the script run, where only that counts.
    monkeypatch.setenv("APP_LANG", language)
    prepare_excursion(writable_app_env, more_bags=2, remeasured_c=5.0)
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page("pages/storage.py").run()
    assert not at.exception
    [expander] = [expander for expander in at.expander if expander.label.startswith("F1")]
    assert not expander.proto.expanded
    assert expander.label.endswith(translate(language, "storage.excursion_title_settled", count=3).split("·")[-1])
    assert translate(language, "storage.excursion_settled", remeasured=5.0) in [item.value for item in at.caption]
    assert outcomes(writable_app_env) == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_chart_shades_the_band_marks_the_excursion_and_speaks_the_language(
    writable_app_env: AppData,
    language: str,
):
    prepare_excursion(writable_app_env)
    at = new_app(writable_app_env, audience=ORGANIZER, language=language).switch_page("pages/temperatures.py").run()
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1  # F1 has readings, Z1 none
    spec = chart_specs(at)[0]
    band, excursion, line, dots = spec["layer"]
    assert (band["mark"]["type"], excursion["mark"]["type"], dots["mark"]["type"]) == ("rect", "rect", "point")
    assert line["encoding"]["x"]["axis"]["title"] == translate(language, "chart.time")
    assert line["encoding"]["y"]["title"] == translate(language, "chart.temperature")
    assert line["encoding"]["x"]["scale"]["type"] == "utc"
    data = {
        dataset.name: pyarrow.ipc.open_stream(dataset.data.data).read_pandas() for dataset in charts[0].proto.datasets
    }
    assert data[band["data"]["name"]].to_dict("records") == [{"low": 0.0, "high": 8.0}]
    assert len(data[excursion["data"]["name"]]) == 1  # the open excursion, drawn until now
    assert data[dots["data"]["name"]]["verdict"].tolist() == [translate(language, "chart.out_of_range")]


def test_the_sign_off_table_leaves_corrects_blank_on_original_entries(writable_app_env: AppData):
    prepare_excursion(writable_app_env)
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page("pages/temperatures.py").run()
    assert not at.exception
    logs = [element.value for element in at.dataframe if zh("column.corrects_id") in element.value.columns]
    assert logs and all(list(log[zh("column.corrects_id")]) == [""] * len(log) for log in logs)
