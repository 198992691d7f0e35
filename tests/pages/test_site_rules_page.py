"""The site rules page under AppTest: an organizer changes the rules in the form, the hours of a weekday and the
closed dates; a bad range or bad hours are refused with the rule or weekday named and nothing saved; residents then
see the hold time, the week's hours, the closed dates and the rules text as typed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.core.clock import local_today, utc_now
from db.core.models import ClosedDay, Event, SiteRules, WeekdayHours
from tests.support.app_data import AppData, stored
from tests.support.pages import new_app, organizer_on
from ui.i18n import translate

RULES_TEXT = "一、取货请带取货码。\n二、**冷藏**袋当天取走 <b>谢谢</b>"


def test_an_organizer_changes_the_rules_and_residents_see_them(writable_app_env: AppData):
    at = organizer_on(writable_app_env, "site_rules")
    at.number_input(key="rule_hold_days").set_value(5)
    at.text_area(key="rule_text").input(RULES_TEXT)
    # The language the site's messages are written in: a rule like the others, shown in words.
    assert at.selectbox(key="rule_language").value == "zh-CN"
    at.selectbox(key="rule_language").select("en")
    at.button[0].click().run()
    assert not at.exception
    assert stored(writable_app_env, select(SiteRules.hold_days, SiteRules.rules_text, SiteRules.language)) == [
        (5, RULES_TEXT, "en")
    ]
    # The change is in the page's history, in words.
    history = at.dataframe[0].value
    assert len(history) == 1
    field, value = translate("zh-CN", "column.language").plain, translate("zh-CN", "value.language.en").plain
    assert translate("zh-CN", "change.field", field=field, value=value).plain in history.iloc[0, -1]
    status = new_app(writable_app_env).switch_page("pages/status.py").run()
    assert translate("zh-CN", "status.hold_by_class", ambient=5, chilled=3, frozen=3) in [
        caption.value for caption in status.caption
    ]
    assert RULES_TEXT in [element.value for element in status.text]


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_an_organizer_sets_how_long_personal_data_is_kept_and_whom_to_ask(writable_app_env: AppData, language: str):
    at = new_app(writable_app_env, audience="organizer", language=language).switch_page("pages/site_rules.py").run()
    assert at.number_input(key="rule_personal_data_days").value == 30
    assert translate(language, "site_rules.privacy_help") in [caption.value for caption in at.caption]
    at.number_input(key="rule_personal_data_days").set_value(90)
    at.text_input(key="rule_privacy_contact").input("天山二村居委会 **6259 0000**")
    press(at, "site_rules.save", language)
    assert not at.exception and not at.error
    assert stored(writable_app_env, select(SiteRules.personal_data_days, SiteRules.privacy_contact)) == [
        (90, "天山二村居委会 **6259 0000**")
    ]
    [after] = list(at.dataframe[0].value.iloc[:, -1])
    field = translate(language, "column.personal_data_days").plain
    assert translate(language, "change.field", field=field, value="90").plain in after


def test_a_range_upside_down_is_refused_with_the_rule_named(writable_app_env: AppData):
    at = organizer_on(writable_app_env, "site_rules")
    at.number_input(key="rule_chilled_min_c").set_value(9.0)
    at.button[0].click().run()
    rule = translate("zh-CN", "value.rule.chilled_min_c")
    assert [element.value for element in at.error] == [translate("zh-CN", "error.rules_range_order", rule=rule)]
    assert stored(writable_app_env, select(SiteRules.chilled_min_c)) == [(0.0,)]


def press(at: AppTest, key: str, language: str = "zh-CN") -> AppTest:
    """The button labelled with this catalog message (the forms' submit buttons have no keys)."""
    [button] = [button for button in at.button if button.label == translate(language, key).plain]
    return button.click().run()


def week_rows(data: AppData) -> list[tuple[int, dt.time | None, dt.time | None, bool]]:
    query = select(WeekdayHours.weekday, WeekdayHours.opens_at, WeekdayHours.closes_at, WeekdayHours.closed)
    return stored(data, query.order_by(WeekdayHours.weekday))


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_an_organizer_sets_a_weekdays_hours_and_a_closed_date_and_residents_see_them(
    writable_app_env: AppData, language: str
):
    at = new_app(writable_app_env, audience="organizer", language=language).switch_page("pages/site_rules.py").run()
    assert not at.exception
    at.time_input(key="week_opens_6").set_value(dt.time(9, 0))
    at.time_input(key="week_closes_6").set_value(dt.time(12, 0))
    at.checkbox(key="week_closed_0").check()
    press(at, "site_rules.save", language)
    assert not at.exception and not at.error
    assert week_rows(writable_app_env) == [(0, None, None, True), (6, dt.time(9, 0), dt.time(12, 0), False)]
    # The history says it in words.
    field = translate(language, "column.weekday_hours_6").plain
    closed = translate(language, "value.opening.closed").plain
    [after] = list(at.dataframe[0].value.iloc[:, -1])  # the columns: when, who, before, after
    assert translate(language, "change.field", field=field, value="09:00–12:00").plain in after
    assert closed in after

    day = local_today(utc_now()) + dt.timedelta(days=10)
    at.date_input(key="closed_first").set_value(day)
    at.text_input(key="closed_note").input("春节 **休息**")
    press(at, "site_rules.closed_add", language)
    assert not at.exception and not at.error
    assert stored(writable_app_env, select(ClosedDay.day, ClosedDay.note)) == [(day, "春节 **休息**")]

    status = new_app(writable_app_env, language=language).switch_page("pages/status.py").run()
    shown = [element.value for element in status.text]
    monday, tuesday, saturday, sunday = (translate(language, f"value.weekday.{n}").plain for n in (0, 1, 5, 6))
    assert (
        "\n".join(
            [
                translate(language, "status.hours_day", weekday="0", hours=closed).plain,
                translate(language, "status.hours_days", first=tuesday, last=saturday, hours="07:30–21:00").plain,
                translate(language, "status.hours_day", weekday="6", hours="09:00–12:00").plain,
            ]
        )
        in shown
    )
    assert monday in shown[0] and sunday in shown[0]
    weekday = translate(language, f"value.weekday.{day.weekday()}").plain
    # The note as typed: plain text, never Markdown.
    assert f"{day.isoformat()} {weekday} 春节 **休息**" in shown
    assert translate(language, "status.closed_days_head") in [caption.value for caption in status.caption]


def test_hours_that_close_before_they_open_are_refused_with_the_weekday_named(writable_app_env: AppData):
    at = organizer_on(writable_app_env, "site_rules")
    at.number_input(key="rule_hold_days").set_value(5)
    at.time_input(key="week_opens_6").set_value(dt.time(12, 0))
    at.time_input(key="week_closes_6").set_value(dt.time(9, 0))
    press(at, "site_rules.save")
    assert [element.value for element in at.error] == [
        translate("zh-CN", "error.rules_weekday_hours_order", weekday="6")
    ]
    assert "周日" in at.error[0].value
    # Nothing saved: not the weekday, not the hold days that rode along, no event.
    assert week_rows(writable_app_env) == []
    assert stored(writable_app_env, select(SiteRules.hold_days)) == [(3,)]
    assert stored(writable_app_env, select(Event.id).where(Event.action == "site.rules_changed")) == []


def test_a_past_closed_date_is_refused_and_a_closed_date_can_be_removed(writable_app_env: AppData):
    at = organizer_on(writable_app_env, "site_rules")
    today = local_today(utc_now())
    at.date_input(key="closed_first").set_value(today - dt.timedelta(days=1))
    press(at, "site_rules.closed_add")
    assert [element.value for element in at.error] == [
        translate("zh-CN", "error.closed_day_past", day=today - dt.timedelta(days=1))
    ]
    assert stored(writable_app_env, select(ClosedDay.day)) == []
    # Three days at once, then one of them opened again.
    at.date_input(key="closed_first").set_value(today + dt.timedelta(days=3))
    at.date_input(key="closed_last").set_value(today + dt.timedelta(days=5))
    press(at, "site_rules.closed_add")
    assert not at.error
    assert len(stored(writable_app_env, select(ClosedDay.day))) == 3
    at.multiselect(key="closed_remove_days").select(today + dt.timedelta(days=4))
    press(at, "site_rules.closed_remove")
    assert not at.error
    assert stored(writable_app_env, select(ClosedDay.day).order_by(ClosedDay.day)) == [
        (today + dt.timedelta(days=3),),
        (today + dt.timedelta(days=5),),
    ]
