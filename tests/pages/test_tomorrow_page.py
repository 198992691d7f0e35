"""Tomorrow on the dashboard and on the daily report, in both languages, with a made-up forecast
(tests/support/forecasts.py): a class short of slots is said with what to do and a link to that class's overdue
calls; none when every class fits; an hour short of volunteers links to the roster; too little history is said."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from db.core.models import STORAGE_CLASSES
from db.forecast.model import Accuracy
from tests.support.app_data import AppData
from tests.support.forecasts import day_forecast, made_up_forecast, use_forecast
from tests.support.pages import chart_specs, new_app, texts
from ui.i18n import LANGUAGES, translate
from ui.pages_registry import ORGANIZER

ACCURACY = Accuracy(days=28, mae_collected=6.6, mean_collected=92.0, better_naive_mae=11.0)


def dashboard(data: AppData, language: str) -> AppTest:
    at = new_app(data, audience=ORGANIZER, language=language).switch_page("pages/dashboard.py").run()
    assert not at.exception, [element.value for element in at.exception]
    return at


def links(at: AppTest) -> list[tuple[str, str, str]]:
    return [(link.proto.label, link.proto.page, link.proto.query_string) for link in at.get("page_link")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_class_short_of_slots_is_said_with_what_to_do_and_its_overdue_calls(
    app_env: AppData, monkeypatch, language: str
):
    use_forecast(monkeypatch, made_up_forecast(day_forecast(frozen_held=17.4, short_hands=True)), accuracy=ACCURACY)
    at = dashboard(app_env, language)
    shown = list(texts(at._tree))
    warnings = [warning.value for warning in at.warning]
    assert translate(language, "tomorrow.short", kind="frozen", hour=dt.time(18), count=6) in warnings
    assert translate(language, "tomorrow.short_what_to_do", kind="frozen") in shown
    assert (translate(language, "tomorrow.call_overdue", kind="frozen"), "overdue_calls", "class=frozen") in links(at)
    # Only the class that is short: chilled fits, so no warning names it.
    assert not [warning for warning in warnings if translate(language, "value.kind.chilled") in warning]
    # An hour short of hands: the gap and the roster's link.
    assert (translate(language, "tomorrow.go_roster"), "roster", "") in links(at)
    assert translate(language, "tomorrow.accuracy", count=4, mae=7, mean=92) in shown
    assert len(chart_specs(at)) >= 1  # the outlook, checked against the Vega-Lite schema


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_warning_when_every_class_fits_and_too_little_history_is_said(app_env: AppData, monkeypatch, language: str):
    use_forecast(monkeypatch, made_up_forecast(day_forecast(frozen_held=11.6), history_days=15), accuracy=None)
    at = dashboard(app_env, language)
    # No warning names a storage class (the dashboard's other warnings, such as a fridge's reading due at this hour
    # of the real day, are not tomorrow's).
    classes = [translate(language, f"value.kind.{storage_class}") for storage_class in STORAGE_CLASSES]
    assert [warning.value for warning in at.warning if any(name in warning.value for name in classes)] == []
    assert [page for _label, page, _query in links(at) if page in ("overdue_calls", "roster")] == []
    shown = list(texts(at._tree))
    assert translate(language, "tomorrow.not_enough_history", count=2) in shown
    assert translate(language, "tomorrow.hands_enough", most=2) in shown


@pytest.mark.parametrize("language", LANGUAGES)
def test_todays_daily_report_carries_tomorrows_bags_and_volunteers(app_env: AppData, monkeypatch, language: str):
    use_forecast(monkeypatch, made_up_forecast(day_forecast(frozen_held=17.4, short_hands=True)))
    at = new_app(app_env, audience=ORGANIZER, language=language).switch_page("pages/daily_report.py").run()
    assert not at.exception, [element.value for element in at.exception]
    headers = [header.value for header in at.header]
    assert f"{translate(language, 'daily.part.tomorrow')} (3)" in headers
    assert f"{translate(language, 'daily.part.hands')} (12)" in headers
    tables = {tuple(frame.value.columns): frame.value for frame in at.dataframe}
    bags = tables[tuple(translate(language, f"column.{name}").plain for name in CLASS_COLUMNS)]
    frozen = bags[bags.iloc[:, 0] == translate(language, "value.kind.frozen").plain].iloc[0].tolist()
    assert frozen[1:] == [12, 10, 12, "18:00", 18, 6]
    hands = tables[tuple(translate(language, f"column.{name}").plain for name in HANDS_COLUMNS)]
    assert hands.iloc[:, 3].tolist() == [0] * 10 + [1, 0]
    assert [warning.value for warning in at.warning] == [
        translate(language, "tomorrow.short", kind="frozen", hour="18:00", count=6),
        translate(language, "tomorrow.hands_short", hours=["18:00–19:00"], count=1),
    ]


CLASS_COLUMNS = ("storage_class", "arriving", "collected", "slots", "peak_hour", "peak_held", "short_by")
HANDS_COLUMNS = ("band", "needed", "on_duty", "short_by")
