"""The residents' notices page under AppTest: the text to paste, in both languages, as plain text."""

from __future__ import annotations

import datetime as dt

import pytest

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.people.opening_hours import WeekdayRule
from db.people.site_rules import add_closed_days, update_site_rules
from tests.support.app_data import CODE, AppData, receive
from tests.support.pages import new_app
from ui.i18n import translate
from ui.pages_registry import VOLUNTEER


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_todays_arrivals_notice_names_the_bag_in_its_slot(writable_app_env: AppData, language: str):
    receive(writable_app_env)
    at = new_app(writable_app_env, audience=VOLUNTEER, language=language).switch_page("pages/notices.py").run()
    assert not at.exception
    text = at.text[0].value
    lines = text.splitlines()
    assert lines[0].startswith(translate(language, "notices.arrivals_head", site="天山二村", day="").plain[:3])
    # The one bag: masked name, phone tail, code; nothing escaped, it is pasted as it is.
    assert any("张*生" in line and "2222" in line and CODE in line for line in lines)
    assert "\\" not in text
    assert translate(language, "notices.count", count=1, told=0).plain in [caption.value for caption in at.caption]


def test_no_bag_in_a_slot_yet_says_so(app_env: AppData):
    at = new_app(app_env, audience=VOLUNTEER).switch_page("pages/notices.py").run()
    assert [element.value for element in at.info] == [translate("zh-CN", "notices.arrivals_none")]
    at.radio(key="notices_kind").set_value("overdue").run()
    assert [element.value for element in at.info] == [translate("zh-CN", "notices.overdue_none")]


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_notice_says_the_days_hours_and_the_closed_days_before_the_collect_by_day(
    writable_app_env: AppData, language: str
):
    receive(writable_app_env)
    now = utc_now()
    today = local_today(now)
    tomorrow = today + dt.timedelta(days=1)  # held 3 days: collect by the day after tomorrow, all the same
    store = make_engine(writable_app_env.url)
    try:
        with unit_of_work(store) as session:
            organizer = writable_app_env.organizer.volunteer_id
            site = writable_app_env.site_id
            week = {today.weekday(): WeekdayRule(dt.time(9, 0), dt.time(12, 0))}
            update_site_rules(session, site_id=site, changes={"weekday_hours": week}, actor_id=organizer, now=now)
            add_closed_days(session, site_id=site, first=tomorrow, note="社区活动 <b>", actor_id=organizer, now=now)
    finally:
        store.dispose()
    at = new_app(writable_app_env, audience=VOLUNTEER, language=language).switch_page("pages/notices.py").run()
    assert not at.exception
    lines = at.text[0].value.splitlines()
    hours = translate(language, "notices.open_hours", opens=dt.time(9, 0), closes=dt.time(12, 0)).plain
    assert hours in lines[0]
    assert lines[1] == translate(language, "notices.collect_by", day=today + dt.timedelta(days=2)).plain
    # The closed day's note as typed: the notice is pasted as plain text.
    assert lines[2:4] == [translate(language, "notices.closed_days").plain, f"{tomorrow.isoformat()} 社区活动 <b>"]
