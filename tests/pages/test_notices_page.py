"""The residents' notices page under AppTest: the text to paste, in both languages, as plain text, with no pickup
code or phone tail; a copy button for the whole estate and one per building, each with its own text."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Order
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from db.orders.notices import record_notice_copied
from db.people.opening_hours import WeekdayRule
from db.people.site_rules import add_closed_days, update_site_rules
from tests.support.app_data import CODE, AppData, receive
from tests.support.pages import new_app
from ui.i18n import translate
from ui.pages_registry import VOLUNTEER


def copy_buttons(at) -> dict[str, dict[str, str]]:  # an AppTest after a run
    """The page's copy buttons by key (`notice_copy_arrivals_12`): the label each shows and the text it copies."""
    return {
        element.proto.id.rsplit("-", 1)[-1]: json.loads(element.proto.json)
        for element in at.get("bidi_component")
        if element.proto.component_name == "cloudbasket_copy"
    }


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_todays_arrivals_notice_names_the_bag_without_what_opens_it(writable_app_env: AppData, language: str):
    receive(writable_app_env)
    at = new_app(writable_app_env, audience=VOLUNTEER, language=language).switch_page("pages/notices.py").run()
    assert not at.exception
    text = at.text[0].value
    lines = text.splitlines()
    assert lines[0].startswith(translate(language, "notices.arrivals_head", site="天山二村", day="").plain[:3])
    # The one bag (no building in its address): masked name and storage class; never its code or phone tail, which
    # open it at the desk. Nothing escaped, it is pasted as it is.
    chilled = translate(language, "value.kind.chilled").plain
    assert lines[-2:] == [
        translate(language, "notices.no_building").plain,
        translate(language, "notices.arrivals_line", name="张*生", kind="chilled").plain,
    ]
    assert chilled in lines[-1]
    assert CODE not in text and "2222" not in text
    assert "\\" not in text
    assert translate(language, "notices.count", count=1, told=0).plain in [caption.value for caption in at.caption]
    # One group only: the estate's button, saying what it holds, copies what is shown.
    assert copy_buttons(at) == {
        "notice_copy_arrivals_all": {
            "text": text,
            "label": translate(language, "notices.copy_all_no_building", count=1).plain,
            "done": translate(language, "notices.copied").plain,
            "failed": translate(language, "notices.copy_failed").plain,
        }
    }


def test_one_copy_button_per_building_each_with_its_own_bags(writable_app_env: AppData):
    receive(writable_app_env)
    store = make_engine(writable_app_env.url)
    try:
        with unit_of_work(store) as session:
            for number, (name, address) in enumerate(
                (("王秀英", "天山二村12号501"), ("赵六", "娄山关路88号天山二村7号楼"))
            ):
                order = create_order(
                    session,
                    site_id=writable_app_env.site_id,
                    platform="多多买菜",
                    order_number=f"B-{number}",
                    pickup_code=f"9-40{number}",
                    resident_name=name,
                    phone=f"1360000555{number}",
                    address=address,
                    delivery_date=local_today(),
                    items=[ItemSpec(product="米", quantity=1, storage_class="ambient")],
                    now=utc_now(),
                )
                receive_order(
                    session, order_id=order.id, volunteer_id=writable_app_env.volunteer.volunteer_id, now=utc_now()
                )
    finally:
        store.dispose()
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/notices.py").run()
    assert not at.exception
    buttons = copy_buttons(at)
    assert {key: button["label"] for key, button in buttons.items()} == {
        "notice_copy_arrivals_all": translate("zh-CN", "notices.copy_all_unknown", count=3, buildings=2).plain,
        "notice_copy_arrivals_7": translate("zh-CN", "notices.copy_building", number="7", count=1).plain,
        "notice_copy_arrivals_12": translate("zh-CN", "notices.copy_building", number="12", count=1).plain,
        "notice_copy_arrivals_unknown": translate("zh-CN", "notices.copy_no_building", count=1).plain,
    }
    shown = at.text[0].value
    assert buttons["notice_copy_arrivals_all"]["text"] == shown
    # The road's number (88) is no building; 7, 12, then the address without one.
    headings = [translate("zh-CN", "notices.building", number=n).plain for n in ("7", "12")]
    headings.append(translate("zh-CN", "notices.no_building").plain)
    assert [line for line in shown.splitlines() if line in headings] == headings
    building = buttons["notice_copy_arrivals_12"]["text"].splitlines()
    assert building[:2] == shown.splitlines()[:2]  # the same heading, hours and collect-by day
    assert building[-2:] == [headings[1], "王*英 常温"]
    assert not [line for line in building if "赵*" in line or "张*生" in line]
    assert not [code for code in ("9-400", "9-401", CODE, "5550", "5551", "2222") if code in shown]
    # Building 12's text copied: its button says its bags were told, the others do not.
    store = make_engine(writable_app_env.url)
    try:
        with unit_of_work(store) as session:
            twelve = session.scalar(select(Order.id).where(Order.pickup_code == "9-400"))
            record_notice_copied(
                session,
                site_id=writable_app_env.site_id,
                kind="arrivals",
                order_ids=[twelve],
                volunteer_id=writable_app_env.volunteer.volunteer_id,
                now=utc_now(),
            )
    finally:
        store.dispose()
    labels = {key: button["label"] for key, button in copy_buttons(at.run()).items()}
    assert labels["notice_copy_arrivals_12"] == translate("zh-CN", "notices.copy_building_told", number="12", count=1)
    assert labels["notice_copy_arrivals_7"] == translate("zh-CN", "notices.copy_building", number="7", count=1)
    assert translate("zh-CN", "notices.count", count=3, told=1).plain in [caption.value for caption in at.caption]
    # Chilled bags held one day: the bags no longer share a collect-by day, so each line says its own.
    store = make_engine(writable_app_env.url)
    try:
        with unit_of_work(store) as session:
            update_site_rules(
                session,
                site_id=writable_app_env.site_id,
                changes={"chilled_hold_days": 1},
                actor_id=writable_app_env.organizer.volunteer_id,
                now=utc_now(),
            )
    finally:
        store.dispose()
    lines = at.run().text[0].value.splitlines()
    today = local_today(utc_now())
    assert translate("zh-CN", "notices.collect_by", day=today).plain not in lines
    assert (
        lines[-1]
        == translate("zh-CN", "notices.arrivals_line_by", name="张*生", kind="chilled", collect_by=today).plain
    )
    assert (
        translate(
            "zh-CN", "notices.arrivals_line_by", name="王*英", kind="ambient", collect_by=today + dt.timedelta(days=2)
        ).plain
        in lines
    )


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
