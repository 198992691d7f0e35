"""Opening hours per weekday and closed days (db.people.opening_hours, changed through db.people.site_rules):
validated all or none with the weekday or date named, each change a `site.rules_changed` event with before and
after, the day's hours resolved (closed date > weekday > usual), and seen by the cold-chain schedule and the
residents' notices (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.cold_chain.temperatures import count_missing_readings, list_due_readings, record_temperature
from db.core.clock import local_moment
from db.core.engine import read_only, unit_of_work
from db.core.errors import InvalidValue, NotFound
from db.core.models import ClosedDay, Event, StorageUnit, WeekdayHours
from db.orders.lifecycle import ItemSpec, create_order, receive_order
from db.orders.notices import arrivals_notice, overdue_notice
from db.people.opening_hours import (
    ClosedDate,
    DayHours,
    WeekdayRule,
    WeekdaySpan,
    group_week,
    hours_of_sites_on,
    hours_on,
    upcoming_closed_days,
    week_hours,
)
from db.people.site_rules import add_closed_days, remove_closed_days, update_site_rules
from db.people.sites import get_site_rules
from tests.support.town import NOW, D, Town, at, build_town

# NOW is Wednesday 2026-11-25 10:00 in Shanghai: Sunday is the 29th, Monday the 30th.
MON, WED, SUN = 0, 2, 6
T = dt.time


@pytest.fixture
def town(engine: Engine) -> Town:
    return build_town(engine)


def set_week(engine: Engine, town: Town, weekdays: dict[int, WeekdayRule], **changes) -> list[str]:
    with unit_of_work(engine) as session:
        return update_site_rules(
            session,
            site_id=town.site_id,
            changes={"weekday_hours": weekdays, **changes},
            actor_id=town.organizer_id,
            now=NOW,
        )


def close(engine: Engine, town: Town, first: dt.date, last: dt.date | None = None, note: str = "") -> list[dt.date]:
    with unit_of_work(engine) as session:
        return add_closed_days(
            session, site_id=town.site_id, first=first, last=last, note=note, actor_id=town.organizer_id, now=NOW
        )


def reopen(engine: Engine, town: Town, *days: dt.date) -> list[dt.date]:
    with unit_of_work(engine) as session:
        return remove_closed_days(session, site_id=town.site_id, days=list(days), actor_id=town.organizer_id, now=NOW)


def rules_events(engine: Engine) -> list[tuple[dict | None, dict | None]]:
    with read_only(engine) as session:
        events = session.scalars(select(Event).where(Event.action == "site.rules_changed").order_by(Event.id))
        return [(event.before, event.after) for event in events]


def stored_week(engine: Engine) -> list[tuple[int, dt.time | None, dt.time | None, bool]]:
    with read_only(engine) as session:
        rows = session.scalars(select(WeekdayHours).order_by(WeekdayHours.site_id, WeekdayHours.weekday))
        return [(row.weekday, row.opens_at, row.closes_at, row.closed) for row in rows]


def day_hours(engine: Engine, town: Town, day: dt.date) -> DayHours:
    with read_only(engine) as session:
        return hours_on(session, site_id=town.site_id, day=day)


def test_weekday_hours_are_kept_only_where_they_differ_and_each_change_is_an_event(engine: Engine, town: Town):
    usual = WeekdayRule(opens_at=T(7, 30), closes_at=T(21, 0))
    changed = set_week(
        engine,
        town,
        {MON: WeekdayRule(closed=True), WED: usual, SUN: WeekdayRule(opens_at=T(9, 0, 30), closes_at=T(12, 0))},
    )
    assert changed == ["weekday_hours"]
    # Wednesday was given the usual hours: no row; seconds are dropped like the usual hours'.
    assert stored_week(engine) == [(MON, None, None, True), (SUN, T(9, 0), T(12, 0), False)]
    assert rules_events(engine) == [
        (
            {"weekday_hours_0": "usual", "weekday_hours_6": "usual"},
            {"weekday_hours_0": "closed", "weekday_hours_6": "09:00–12:00"},
        )
    ]
    # The same again: nothing written. Sunday back to the usual hours: its row goes.
    assert set_week(engine, town, {MON: WeekdayRule(closed=True), SUN: WeekdayRule(T(9, 0), T(12, 0))}) == []
    assert set_week(engine, town, {SUN: usual}) == ["weekday_hours"]
    assert stored_week(engine) == [(MON, None, None, True)]
    assert rules_events(engine)[-1] == ({"weekday_hours_6": "09:00–12:00"}, {"weekday_hours_6": "usual"})
    # With other rules in one save: one event naming all of them.
    assert set_week(engine, town, {MON: usual}, hold_days=4) == ["hold_days", "weekday_hours"]
    assert rules_events(engine)[-1] == (
        {"hold_days": 3, "weekday_hours_0": "closed"},
        {"hold_days": 4, "weekday_hours_0": "usual"},
    )
    assert stored_week(engine) == []


@pytest.mark.parametrize(
    ("weekdays", "key", "params"),
    [
        ({SUN: WeekdayRule(opens_at=T(12, 0), closes_at=T(9, 0))}, "error.rules_weekday_hours_order", {"weekday": "6"}),
        ({MON: WeekdayRule(opens_at=T(9, 0), closes_at=T(9, 0))}, "error.rules_weekday_hours_order", {"weekday": "0"}),
        ({WED: WeekdayRule(opens_at=T(9, 0))}, "error.rules_weekday_time", {"weekday": "2"}),
        ({WED: (T(9, 0), T(12, 0))}, "error.rules_weekday_time", {"weekday": "2"}),
        ({7: WeekdayRule(closed=True)}, "error.weekday_range", {}),
    ],
)
def test_bad_weekday_hours_are_refused_whole_with_the_weekday_named(
    engine: Engine, town: Town, weekdays: dict, key: str, params: dict
):
    # Good changes ride along with the bad one: none is saved.
    with pytest.raises(InvalidValue) as refused:
        set_week(engine, town, {MON: WeekdayRule(closed=True), **weekdays}, hold_days=5)
    assert (refused.value.key, refused.value.params) == (key, params)
    assert stored_week(engine) == []
    with read_only(engine) as session:
        assert get_site_rules(session, site_id=town.site_id).hold_days == 3
    assert rules_events(engine) == []


def test_the_days_hours_closed_date_over_weekday_over_usual(engine: Engine, town: Town):
    set_week(engine, town, {MON: WeekdayRule(closed=True), SUN: WeekdayRule(T(9, 0), T(12, 0))})
    close(engine, town, D(2026, 12, 2), note="消防检查")  # a Wednesday
    assert day_hours(engine, town, D(2026, 11, 25)) == DayHours(D(2026, 11, 25), T(7, 30), T(21, 0))
    assert day_hours(engine, town, D(2026, 11, 29)) == DayHours(D(2026, 11, 29), T(9, 0), T(12, 0), usual=False)
    monday = day_hours(engine, town, D(2026, 11, 30))
    assert (monday.closed, monday.opens_at, monday.note) == (True, None, "")
    closed = day_hours(engine, town, D(2026, 12, 2))
    assert (closed.closed, closed.note, closed.usual) == (True, "消防检查", False)
    with read_only(engine) as session:
        week = week_hours(session, site_id=town.site_id)
        both = hours_of_sites_on(session, site_ids=[town.site_id, town.other_site_id], day=D(2026, 11, 30))
        with pytest.raises(NotFound):
            hours_of_sites_on(session, site_ids=[town.site_id, 999_999], day=D(2026, 11, 30))
    assert [(day.weekday, day.opens_at, day.closes_at, day.usual) for day in week] == [
        (0, None, None, False),
        *[(weekday, T(7, 30), T(21, 0), True) for weekday in range(1, 6)],
        (6, T(9, 0), T(12, 0), False),
    ]
    # The other site keeps its usual hours on Monday.
    assert (both[town.site_id].closed, both[town.other_site_id].closed) == (True, False)
    assert group_week(week) == [
        WeekdaySpan(0, 0, None, None),
        WeekdaySpan(1, 5, T(7, 30), T(21, 0)),
        WeekdaySpan(6, 6, T(9, 0), T(12, 0)),
    ]


def test_closed_dates_are_added_as_a_range_renamed_and_removed_each_an_event(engine: Engine, town: Town):
    added = close(engine, town, D(2027, 2, 16), D(2027, 2, 18), note="  春节 休息 ")
    assert added == [D(2027, 2, 16), D(2027, 2, 17), D(2027, 2, 18)]
    # Again with another note: the dates take it; an unchanged date is not written again.
    assert close(engine, town, D(2027, 2, 18), note="春节") == [D(2027, 2, 18)]
    assert close(engine, town, D(2027, 2, 18), note="春节") == []
    assert reopen(engine, town, D(2027, 2, 16)) == [D(2027, 2, 16)]
    assert rules_events(engine) == [
        (None, {"closed_days": ["2027-02-16 春节 休息", "2027-02-17 春节 休息", "2027-02-18 春节 休息"]}),
        ({"closed_days": ["2027-02-18 春节 休息"]}, {"closed_days": ["2027-02-18 春节"]}),
        ({"closed_days": ["2027-02-16 春节 休息"]}, None),
    ]
    with read_only(engine) as session:
        ahead = upcoming_closed_days(session, site_id=town.site_id, today=D(2027, 2, 1), days=17)
        all_ahead = upcoming_closed_days(session, site_id=town.site_id, today=D(2027, 2, 1), days=30)
    assert ahead == [ClosedDate(D(2027, 2, 17), "春节 休息")]  # the 17th is the 17th day from the 1st
    assert all_ahead == [ClosedDate(D(2027, 2, 17), "春节 休息"), ClosedDate(D(2027, 2, 18), "春节")]
    # Today may still be closed (a burst pipe this morning).
    assert close(engine, town, D(2026, 11, 25), note="停水") == [D(2026, 11, 25)]


@pytest.mark.parametrize(
    ("first", "last", "note", "key"),
    [
        (D(2026, 11, 24), None, "", "error.closed_day_past"),
        (D(2026, 11, 20), D(2026, 12, 1), "", "error.closed_day_past"),
        (D(2026, 12, 5), D(2026, 12, 1), "", "error.closed_days_order"),
        (D(2026, 12, 5), None, "长" * 101, "error.closed_day_note_too_long"),
        (D(2026, 12, 1), D(2027, 1, 30), "", "error.closed_days_too_many"),  # 61 days
        (dt.datetime(2026, 12, 1, 8, 0), None, "", "error.closed_day_date"),
    ],
)
def test_bad_closed_dates_are_refused_whole(engine: Engine, town: Town, first, last, note: str, key: str):
    with pytest.raises(InvalidValue) as refused:
        close(engine, town, first, last, note)
    assert refused.value.key == key
    with read_only(engine) as session:
        assert session.scalars(select(ClosedDay)).all() == []
    assert rules_events(engine) == []


def test_no_more_than_60_closed_dates_ahead_and_removing_an_open_day_is_refused(engine: Engine, town: Town):
    assert len(close(engine, town, D(2026, 12, 1), D(2027, 1, 28))) == 59
    with pytest.raises(InvalidValue) as refused:
        close(engine, town, D(2027, 2, 16), D(2027, 2, 17))  # 61 ahead: neither date is added
    assert (refused.value.key, refused.value.params) == ("error.closed_days_too_many", {"limit": 60})
    assert close(engine, town, D(2027, 2, 16)) == [D(2027, 2, 16)]
    # Renaming dates already closed adds none.
    assert len(close(engine, town, D(2026, 12, 1), D(2026, 12, 3), note="装修")) == 3
    with pytest.raises(NotFound) as missing:
        reopen(engine, town, D(2026, 12, 1), D(2027, 3, 1))
    assert (missing.value.key, missing.value.params) == ("error.closed_day_not_found", {"day": D(2027, 3, 1)})
    with read_only(engine) as session:
        assert session.get(ClosedDay, (town.site_id, D(2026, 12, 1))) is not None


def units_of(engine: Engine, town: Town) -> dict[str, int]:
    with read_only(engine) as session:
        rows = session.execute(select(StorageUnit.code, StorageUnit.id).where(StorageUnit.site_id == town.site_id))
        return {code: unit_id for code, unit_id in rows}


def test_a_closed_day_has_no_scheduled_readings_but_follow_ups_still_apply(engine: Engine, town: Town):
    units = units_of(engine, town)
    evening = at(25, 21, 30)

    def due() -> set[tuple[str, str]]:
        with read_only(engine) as session:
            return {
                (item.unit_code, item.kind) for item in list_due_readings(session, site_id=town.site_id, now=evening)
            }

    # Wednesday as usual, two readings a day: F1 and Z1 were read once this morning (Z1 out of range, so it waits
    # for its follow-up), F2 never.
    assert due() == {("F1", "scheduled"), ("F2", "scheduled"), ("Z1", "scheduled"), ("Z1", "follow_up")}
    with unit_of_work(engine) as session:
        record_temperature(
            session,
            storage_unit_id=units["F2"],
            reading_c=12.0,
            volunteer_id=town.organizer_id,
            now=at(25, 21),
            corrective_action="关好门",
        )
    set_week(engine, town, {WED: WeekdayRule(closed=True)})
    assert due() == {("F2", "follow_up"), ("Z1", "follow_up")}
    with read_only(engine) as session:
        assert set(
            count_missing_readings(session, site_id=town.site_id, day=D(2026, 11, 25), now=evening).values()
        ) == {0}
    # A closed date works the same way; the weekday open again.
    set_week(engine, town, {WED: WeekdayRule(T(7, 30), T(21, 0))})
    assert ("Z1", "scheduled") in due()
    close(engine, town, D(2026, 11, 25), note="停电")
    assert due() == {("F2", "follow_up"), ("Z1", "follow_up")}


def test_a_weekday_with_other_hours_spreads_its_readings_over_them(engine: Engine, town: Town):
    set_week(engine, town, {WED: WeekdayRule(T(12, 0), T(18, 0))})

    def due_at(now: dt.datetime) -> dict[str, tuple[dt.datetime, int]]:
        with read_only(engine) as session:
            found = list_due_readings(session, site_id=town.site_id, now=now)
        return {item.unit_code: (item.due_at, item.missing) for item in found if item.kind == "scheduled"}

    # Usual hours would have the first reading due at 08:00; these hours at 12:30 and 18:00.
    assert due_at(at(25, 12, 0)) == {}
    assert due_at(at(25, 12, 30)) == {"F2": (at(25, 12, 30), 1)}  # F1 and Z1 were read this morning
    # The morning's readings count for the day.
    assert due_at(at(25, 18, 0)) == {"F1": (at(25, 18), 1), "F2": (at(25, 18), 2), "Z1": (at(25, 18), 1)}
    # Another Wednesday keeps those hours; a Thursday the usual ones.
    with read_only(engine) as session:
        thursday = local_moment(D(2026, 11, 26), T(8, 0))
        wednesday = local_moment(D(2026, 12, 2), T(8, 0))
        assert set(
            count_missing_readings(session, site_id=town.site_id, day=D(2026, 11, 26), now=thursday).values()
        ) == {1}
        assert set(
            count_missing_readings(session, site_id=town.site_id, day=D(2026, 12, 2), now=wednesday).values()
        ) == {0}


def test_the_notices_carry_the_days_hours_and_the_closed_days_until_collect_by(engine: Engine, town: Town):
    with unit_of_work(engine) as session:
        order = create_order(
            session,
            site_id=town.site_id,
            platform="多多买菜",
            order_number="h1",
            pickup_code="5-1",
            resident_name="王秀英",
            phone="13900000001",
            delivery_date=D(2026, 11, 25),
            items=[ItemSpec("米", 1, "ambient")],
            now=at(25, 7),
        )
        receive_order(session, order_id=order.id, volunteer_id=town.organizer_id, now=at(25, 8))
    set_week(engine, town, {WED: WeekdayRule(T(15, 0), T(19, 0))})
    close(engine, town, D(2026, 11, 26), note="社区活动")  # within the hold: collect by the 27th all the same
    close(engine, town, D(2026, 11, 28), note="周末")  # after the collect-by day: not named
    with read_only(engine) as session:
        notice = arrivals_notice(session, site_id=town.site_id, day=D(2026, 11, 25))
        overdue = overdue_notice(session, site_id=town.site_id, now=NOW)
    assert (notice.hours.opens_at, notice.hours.closes_at) == (T(15, 0), T(19, 0))
    assert notice.closed_days == [ClosedDate(D(2026, 11, 26), "社区活动")]
    assert {line.collect_by for lines in notice.buildings.values() for line in lines} == {D(2026, 11, 27)}
    assert (overdue.hours.opens_at, overdue.closed_days) == (T(15, 0), [])
    close(engine, town, D(2026, 11, 25), note="停水")
    with read_only(engine) as session:
        notice = arrivals_notice(session, site_id=town.site_id, day=D(2026, 11, 25))
    assert (notice.hours.closed, notice.hours.note) == (True, "停水")
    assert [closed.day for closed in notice.closed_days] == [D(2026, 11, 25), D(2026, 11, 26)]
