"""db.people.site_rules: the rules form's store — validated all or none, each change an event with before and
after — and each changed number seen where the app uses it (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.cold_chain.temperatures import count_missing_readings
from db.cold_chain.units import create_storage_unit
from db.core.engine import read_only, unit_of_work
from db.core.errors import InvalidValue
from db.core.models import Event, StorageUnit
from db.orders.calls import list_overdue_calls
from db.orders.lifecycle import ItemSpec, class_hold_days, create_order, find_orders, receive_order
from db.orders.notices import overdue_notice
from db.orders.residents import lookup_order_status
from db.orders.review import OrderFilter, list_orders
from db.people.site_rules import update_site_rules
from db.people.sites import get_site_rules
from db.reports.figures import list_site_figures
from tests.support.town import NOW, D, Town, at, build_town


@pytest.fixture
def town(engine: Engine) -> Town:
    return build_town(engine)


def change(engine: Engine, town: Town, **changes) -> list[str]:
    with unit_of_work(engine) as session:
        return update_site_rules(session, site_id=town.site_id, changes=changes, actor_id=town.organizer_id, now=NOW)


def rules_events(engine: Engine) -> list[Event]:
    with read_only(engine) as session:
        return list(session.scalars(select(Event).where(Event.action == "site.rules_changed").order_by(Event.id)))


def test_a_change_is_one_event_with_before_and_after(engine: Engine, town: Town):
    assert change(engine, town, hold_days=5, rules_text="  一、取货请带取货码。  ", readings_per_day=2) == [
        "hold_days",
        "rules_text",
    ]
    with read_only(engine) as session:
        rules = get_site_rules(session, site_id=town.site_id)
        assert (rules.hold_days, rules.rules_text, rules.readings_per_day) == (5, "一、取货请带取货码。", 2)
    [event] = rules_events(engine)
    assert event.before == {"hold_days": 3, "rules_text": ""}
    assert event.after == {"hold_days": 5, "rules_text": "一、取货请带取货码。"}
    assert (event.actor_id, event.site_id) == (town.organizer_id, town.site_id)
    # The same values again: nothing changes, nothing is written.
    assert change(engine, town, hold_days=5) == []
    assert len(rules_events(engine)) == 1


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"hold_days": 0}, "error.rules_out_of_range"),
        ({"hold_days": 61}, "error.rules_out_of_range"),
        ({"hold_days": 2.5}, "error.rules_not_a_number"),
        ({"readings_per_day": "3"}, "error.rules_not_a_number"),
        ({"chilled_min_c": 9.0}, "error.rules_range_order"),  # above the maximum of 8
        ({"frozen_min_c": -18.0, "frozen_max_c": -20.0}, "error.rules_range_order"),
        ({"opens_at": dt.time(22, 0)}, "error.rules_hours_order"),  # after closing at 21:00
        ({"closes_at": "21:00"}, "error.rules_time"),
        ({"rules_text": "长" * 5001}, "error.rules_text_too_long"),
        ({"holdays": 4}, "error.rules_unknown"),
        ({"language": "fr"}, "error.rules_choice"),
        ({"language": None}, "error.rules_choice"),
        ({"personal_data_days": 0}, "error.rules_out_of_range"),
        ({"personal_data_days": 366}, "error.rules_out_of_range"),
        ({"personal_data_days": "30"}, "error.rules_not_a_number"),
        ({"privacy_contact": "居" * 101}, "error.rules_contact_too_long"),
    ],
)
def test_bad_rules_are_refused_whole(engine: Engine, town: Town, changes: dict, key: str):
    # A good change rides along with the bad one: neither is saved.
    with pytest.raises(InvalidValue) as refused:
        change(engine, town, **({"hold_days": 7} | changes))
    assert refused.value.key == key
    with read_only(engine) as session:
        assert get_site_rules(session, site_id=town.site_id).hold_days == 3
    assert rules_events(engine) == []


def test_the_messages_language_is_a_rule_with_its_event(engine: Engine, town: Town):
    assert change(engine, town, language="en") == ["language"]
    with read_only(engine) as session:
        assert get_site_rules(session, site_id=town.site_id).language == "en"
    [event] = rules_events(engine)
    assert (event.before, event.after) == ({"language": "zh-CN"}, {"language": "en"})


def test_the_privacy_rules_keep_their_days_and_one_line_of_contact(engine: Engine, town: Town):
    with read_only(engine) as session:
        rules = get_site_rules(session, site_id=town.site_id)
        assert (rules.personal_data_days, rules.privacy_contact) == (30, "")
    # The contact is one line on the residents' page: a line break and runs of spaces become one space; 100 fit.
    assert change(engine, town, personal_data_days=365, privacy_contact=" 天山二村居委会\n  6259 0000 ") == [
        "personal_data_days",
        "privacy_contact",
    ]
    [event] = rules_events(engine)
    assert event.before == {"personal_data_days": 30, "privacy_contact": ""}
    assert event.after == {"personal_data_days": 365, "privacy_contact": "天山二村居委会 6259 0000"}
    assert change(engine, town, personal_data_days=1, privacy_contact="居" * 100) == [
        "personal_data_days",
        "privacy_contact",
    ]
    with read_only(engine) as session:
        rules = get_site_rules(session, site_id=town.site_id)
        assert (rules.personal_data_days, rules.privacy_contact) == (1, "居" * 100)


def test_hold_days_decide_what_is_overdue(engine: Engine, town: Town):
    def overdue_codes() -> set[str]:
        with read_only(engine) as session:
            residents = list_overdue_calls(session, site_id=town.site_id, now=NOW, reveal_phone=True)
        return {bag.pickup_code for resident in residents for bag in resident.bags}

    # o7 came on the 21st: with 3 days it was due by the 23rd; with 5 by the 25th (today).
    assert overdue_codes() == {"8-O7"}
    change(engine, town, hold_days=5)
    assert overdue_codes() == set()


def test_readings_per_day_and_hours_decide_what_is_missing(engine: Engine, town: Town):
    def missing_on_f2(now: dt.datetime) -> int:
        with read_only(engine) as session:
            f2 = session.scalar(
                select(StorageUnit.id).where(StorageUnit.code == "F2", StorageUnit.site_id == town.site_id)
            )
            return count_missing_readings(session, site_id=town.site_id, day=D(2026, 11, 25), now=now)[f2]

    evening = at(25, 21, 30)
    assert missing_on_f2(evening) == 2
    change(engine, town, readings_per_day=4)
    assert missing_on_f2(evening) == 4
    # Opening later moves the first reading: at 10:00 none is due yet.
    assert missing_on_f2(NOW) >= 1
    change(engine, town, opens_at=dt.time(10, 0))
    assert missing_on_f2(NOW) == 0


def test_a_new_fridge_takes_the_sites_range(engine: Engine, town: Town):
    change(engine, town, chilled_min_c=1.0, chilled_max_c=6.0)
    with unit_of_work(engine) as session:
        fridge = create_storage_unit(
            session, site_id=town.site_id, code="F9", name="F9", kind="fridge", slot_count=1, now=NOW
        )
        assert (fridge.min_temp_c, fridge.max_temp_c) == (1.0, 6.0)


def test_chilled_bags_may_be_held_fewer_days_everywhere_overdue_is_decided(engine: Engine, town: Town):
    """A chilled bag and an ambient one, both delivered yesterday: with chilled bags held one day, only the chilled
    one is overdue — on the desk, the call list, the notice, the orders list, the KPI card and the residents' page."""
    with unit_of_work(engine) as session:
        chilled = create_order(
            session,
            site_id=town.site_id,
            platform="多多买菜",
            order_number="cold-1",
            pickup_code="7-777",
            resident_name="冯九",
            phone="13700007777",
            delivery_date=D(2026, 11, 24),
            items=[ItemSpec("牛奶", 1, "chilled")],
            now=at(24, 7),
        )
        receive_order(session, order_id=chilled.id, volunteer_id=town.organizer_id, now=at(24, 8, 30))
    with pytest.raises(InvalidValue) as refused:
        change(engine, town, chilled_hold_days=4)  # longer than the ambient 3 days
    assert refused.value.key == "error.rules_class_hold_longer"

    def overdue_everywhere() -> dict[str, set[str]]:
        with read_only(engine) as session:
            rules = get_site_rules(session, site_id=town.site_id)
            holds = class_hold_days(rules)
            found = find_orders(session, site_id=town.site_id, text="7-777", now=NOW, hold_days=holds)
            found += find_orders(session, site_id=town.site_id, text="8-O5", now=NOW, hold_days=holds)
            calls = list_overdue_calls(session, site_id=town.site_id, now=NOW, reveal_phone=True)
            notice = overdue_notice(session, site_id=town.site_id, now=NOW)
            listed = list_orders(session, site_id=town.site_id, filters=OrderFilter(overdue_only=True), now=NOW)
            [card] = list_site_figures(session, site_ids=[town.site_id], day=D(2026, 11, 25), now=NOW)
        with unit_of_work(engine) as session:
            resident = lookup_order_status(
                session, site_id=town.site_id, pickup_code="7-777", phone_tail="7777", client="test", now=NOW
            )
        return {
            "desk": {bag.pickup_code for bag in found if bag.overdue},
            "calls": {bag.pickup_code for person in calls for bag in person.bags},
            # The group text names no code: its masked names.
            "notice": {line.masked_name for lines in notice.buildings.values() for line in lines},
            "orders": set(listed["pickup_code"]),
            "card": {str(card.overdue)},
            "resident": {str(resident.overdue)},
        }

    # Before: 3 days for every class; only the town's o7 (the 21st) is overdue.
    assert overdue_everywhere() == {
        "desk": set(),
        "calls": {"8-O7"},
        "notice": {"李*"},
        "orders": {"8-O7"},
        "card": {"1"},
        "resident": {"False"},
    }
    change(engine, town, chilled_hold_days=1)
    assert overdue_everywhere() == {
        "desk": {"7-777"},
        "calls": {"8-O7", "7-777"},
        "notice": {"李*", "冯*"},
        "orders": {"8-O7", "7-777"},
        "card": {"2"},
        "resident": {"True"},
    }
