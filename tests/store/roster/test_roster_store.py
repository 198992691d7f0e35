"""The roster in the store: templates, sign-up rules, check-in windows, automatic settling, hours, staffing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.core.clock import local_moment, recent_months
from db.core.engine import unit_of_work
from db.core.errors import InvalidValue, NotAllowed, NotFound, SignInFailed
from db.core.models import Assignment, Order, Shift, Volunteer
from db.people.accounts import create_volunteer, reset_pin, sign_in_volunteer
from db.people.volunteers import import_volunteers, plan_volunteer_import, update_volunteer
from db.roster.coverage import coverage_frame, gaps_frame, staffing_frame, suggest_headcount
from db.roster.hours import counted_time, hours_frame
from db.roster.shifts import (
    cancel_shift,
    cancel_sign_up,
    check_in,
    check_in_open,
    check_out,
    close_forgotten_check_outs,
    count_unsettled_assignments,
    create_shift,
    create_shift_template,
    generate_shifts,
    list_open_shifts,
    mark_no_shows,
    sign_up,
)
from tests.support.store import World, enrolled_tablet, make_world

MONDAY = dt.date(2026, 11, 30)  # the Monday after NOW (Wednesday 2026-11-25)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return local_moment(day, dt.time(hour, minute))


def shift_on(
    engine: Engine,
    world: World,
    *,
    starts_at: dt.datetime,
    hours: float = 2,
    role: str = "handout",
    max_staff: int = 2,
    min_staff: int = 1,
) -> int:
    with unit_of_work(engine) as session:
        return create_shift(
            session,
            site_id=world.site_id,
            role=role,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=hours),
            min_staff=min_staff,
            max_staff=max_staff,
            now=starts_at - dt.timedelta(days=7),
        ).id


def assign(engine: Engine, *, shift_id: int, volunteer_id: int, now: dt.datetime) -> int:
    with unit_of_work(engine) as session:
        return sign_up(session, shift_id=shift_id, volunteer_id=volunteer_id, now=now).id


def status_of(engine: Engine, assignment_id: int) -> Assignment:
    with unit_of_work(engine) as session:
        return session.get(Assignment, assignment_id)


# --- templates ---


def test_generating_twice_creates_no_duplicates(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        for weekday in range(5):
            for starts, ends, role, low, high in (
                (dt.time(7, 30), dt.time(9, 30), "receiving", 1, 2),
                (dt.time(16, 0), dt.time(18, 30), "handout", 1, 2),
                (dt.time(18, 30), dt.time(21, 0), "handout", 2, 3),
            ):
                create_shift_template(
                    session,
                    site_id=world.site_id,
                    weekday=weekday,
                    starts=starts,
                    ends=ends,
                    role=role,
                    min_staff=low,
                    max_staff=high,
                    now=now,
                )
    with unit_of_work(engine) as session:
        first = generate_shifts(
            session, site_id=world.site_id, first_day=MONDAY, last_day=MONDAY + dt.timedelta(days=13), now=now
        )
    with unit_of_work(engine) as session:
        again = generate_shifts(
            session,
            site_id=world.site_id,
            first_day=MONDAY - dt.timedelta(days=2),
            last_day=MONDAY + dt.timedelta(days=13),
            now=now,
        )
        shifts = session.scalars(select(Shift).order_by(Shift.starts_at)).all()
    assert (first, again, len(shifts)) == (30, 0, 30)
    # Local wall-clock: Monday 07:30 in Shanghai is Sunday 23:30 UTC.
    assert shifts[0].starts_at == dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)
    assert {shift.starts_at.weekday() for shift in shifts} <= {6, 0, 1, 2, 3, 4}


def test_template_and_range_refusals(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    cases = [
        ({"weekday": 7}, "weekday_range"),
        ({"starts": dt.time(10, 0), "ends": dt.time(9, 0)}, "shift_time_order"),
        ({"min_staff": 3, "max_staff": 2}, "staff_range"),
        ({"role": "cook"}, "role_unknown"),
    ]
    for changes, key in cases:
        values = {
            "weekday": 0,
            "starts": dt.time(9, 0),
            "ends": dt.time(10, 0),
            "role": "handout",
            "min_staff": 1,
            "max_staff": 2,
            **changes,
        }
        with pytest.raises(InvalidValue, match=key), unit_of_work(engine) as session:
            create_shift_template(session, site_id=world.site_id, now=now, **values)
    with pytest.raises(InvalidValue, match="date_range_order"), unit_of_work(engine) as session:
        generate_shifts(
            session, site_id=world.site_id, first_day=MONDAY, last_day=MONDAY - dt.timedelta(days=1), now=now
        )


# --- sign-up, sign-out, cancelling ---


def test_refusals_with_their_reasons(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    evening = shift_on(engine, world, starts_at=at(MONDAY, 16), hours=2.5, max_staff=1)
    overlapping = shift_on(engine, world, starts_at=at(MONDAY, 18), hours=3)
    fridge_check = shift_on(engine, world, starts_at=at(MONDAY, 20, 30), hours=0.5, role="cold_check")
    past = shift_on(engine, world, starts_at=now - dt.timedelta(hours=3))
    assign(engine, shift_id=evening, volunteer_id=world.volunteer_id, now=now)

    refusals = [
        (overlapping, world.volunteer_id, "error.shift_overlaps"),
        (evening, world.other_volunteer_id, "error.shift_full"),
        (fridge_check, world.other_volunteer_id, "error.role_not_held"),
        (past, world.other_volunteer_id, "error.shift_over"),
    ]
    for shift_id, volunteer_id, key in refusals:
        with pytest.raises(NotAllowed) as refused, unit_of_work(engine) as session:
            sign_up(session, shift_id=shift_id, volunteer_id=volunteer_id, now=now)
        assert refused.value.key == key
    with unit_of_work(engine) as session:
        open_for_other = list_open_shifts(
            session,
            site_id=world.site_id,
            volunteer_id=world.other_volunteer_id,
            now=now,
            end=now + dt.timedelta(days=14),
        )
    assert [shift.id for shift in open_for_other] == [overlapping]


def test_sign_out_until_the_cutoff(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    starts = at(MONDAY, 16)
    shift_id = shift_on(engine, world, starts_at=starts)
    mine = assign(engine, shift_id=shift_id, volunteer_id=world.volunteer_id, now=now)
    theirs = assign(engine, shift_id=shift_id, volunteer_id=world.other_volunteer_id, now=now)

    # The default cutoff is 12 hours before the start: at 12 h 1 min it is still allowed, at 11 h 59 min not.
    with unit_of_work(engine) as session:
        cancel_sign_up(session, assignment_id=mine, now=starts - dt.timedelta(hours=12, minutes=1))
    with pytest.raises(NotAllowed) as refused, unit_of_work(engine) as session:
        cancel_sign_up(session, assignment_id=theirs, now=starts - dt.timedelta(hours=11, minutes=59))
    assert refused.value.key == "error.sign_out_past_cutoff"
    # An organizer may still rearrange; the place freed can be taken again.
    with unit_of_work(engine) as session:
        cancel_sign_up(session, assignment_id=theirs, now=starts - dt.timedelta(hours=1), ignore_cutoff=True)
    assert status_of(engine, mine).status == status_of(engine, theirs).status == "cancelled"
    assign(engine, shift_id=shift_id, volunteer_id=world.volunteer_id, now=now)
    assert status_of(engine, mine).status == "signed_up"


def test_cancelling_a_shift_lists_who_to_tell(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    shift_id = shift_on(engine, world, starts_at=at(MONDAY, 16))
    assign(engine, shift_id=shift_id, volunteer_id=world.volunteer_id, now=now)
    with unit_of_work(engine) as session:
        session.get(Volunteer, world.volunteer_id).phone = "13812345678"
    with unit_of_work(engine) as session:
        told = cancel_shift(session, shift_id=shift_id, now=now)
    assert [(person.name, person.phone) for person in told] == [("王阿姨", "13812345678")]
    with unit_of_work(engine) as session:
        statuses = session.scalars(select(Assignment.status)).all()
    assert statuses == ["cancelled"]
    with pytest.raises(NotFound), unit_of_work(engine) as session:
        sign_up(session, shift_id=shift_id, volunteer_id=world.other_volunteer_id, now=now)


# --- check-in and check-out ---


@pytest.mark.parametrize(
    ("minutes_from_start", "allowed"),
    [(-31, False), (-30, True), (0, True), (120, True), (121, False)],
)
def test_check_in_window(engine: Engine, now: dt.datetime, minutes_from_start: int, allowed: bool):
    world = make_world(engine, now=now)
    starts = at(MONDAY, 16)
    assignment_id = assign(
        engine, shift_id=shift_on(engine, world, starts_at=starts, hours=2), volunteer_id=world.volunteer_id, now=now
    )
    moment = starts + dt.timedelta(minutes=minutes_from_start)
    # The rule the tablet asks before offering the button is the one check_in enforces.
    assert check_in_open(starts_at=starts, ends_at=starts + dt.timedelta(hours=2), now=moment) is allowed
    if allowed:
        with unit_of_work(engine) as session:
            check_in(session, assignment_id=assignment_id, now=moment)
        assert status_of(engine, assignment_id).checked_in_at == moment
    else:
        with (
            pytest.raises(NotAllowed, match="too_early" if minutes_from_start < 0 else "too_late"),
            unit_of_work(engine) as session,
        ):
            check_in(session, assignment_id=assignment_id, now=moment)


def test_forgotten_check_out_is_closed_an_hour_after_the_end_and_no_shows_marked(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    starts = at(MONDAY, 16)
    shift_id = shift_on(engine, world, starts_at=starts, hours=2)
    came = assign(engine, shift_id=shift_id, volunteer_id=world.volunteer_id, now=now)
    absent = assign(engine, shift_id=shift_id, volunteer_id=world.other_volunteer_id, now=now)
    with unit_of_work(engine) as session:
        check_in(session, assignment_id=came, now=starts - dt.timedelta(minutes=5))

    ends = starts + dt.timedelta(hours=2)
    with unit_of_work(engine) as session:
        # What a page asks first, to write only when there is something to settle.
        assert count_unsettled_assignments(session, site_id=world.site_id, now=ends - dt.timedelta(minutes=1)) == 0
        assert count_unsettled_assignments(session, site_id=world.site_id, now=ends) == 1  # the no-show only
        assert count_unsettled_assignments(session, site_id=world.site_id, now=ends + dt.timedelta(hours=1)) == 2
    with unit_of_work(engine) as session:
        assert close_forgotten_check_outs(session, site_id=world.site_id, now=ends + dt.timedelta(minutes=59)) == 0
        assert mark_no_shows(session, site_id=world.site_id, now=ends - dt.timedelta(minutes=1)) == 0
    with unit_of_work(engine) as session:
        assert close_forgotten_check_outs(session, site_id=world.site_id, now=ends + dt.timedelta(hours=1)) == 1
        assert mark_no_shows(session, site_id=world.site_id, now=ends + dt.timedelta(hours=1)) == 1
    with unit_of_work(engine) as session:
        # Run again (another page renders): nothing more to do.
        assert close_forgotten_check_outs(session, site_id=world.site_id, now=ends + dt.timedelta(hours=2)) == 0
        assert mark_no_shows(session, site_id=world.site_id, now=ends + dt.timedelta(hours=2)) == 0
        assert count_unsettled_assignments(session, site_id=world.site_id, now=ends + dt.timedelta(hours=2)) == 0
    closed = status_of(engine, came)
    assert (closed.status, closed.auto_checked_out, closed.checked_out_at) == (
        "checked_out",
        True,
        ends + dt.timedelta(hours=1),
    )
    assert status_of(engine, absent).status == "no_show"


# --- hours ---


def test_counted_time_is_clipped_to_the_shift():
    starts, ends = dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)
    early_late = counted_time(
        checked_in_at=starts - dt.timedelta(minutes=20),
        checked_out_at=ends + dt.timedelta(minutes=40),
        starts_at=starts,
        ends_at=ends,
    )
    left_early = counted_time(
        checked_in_at=starts + dt.timedelta(minutes=10),
        checked_out_at=ends - dt.timedelta(minutes=30),
        starts_at=starts,
        ends_at=ends,
    )
    assert (early_late, left_early) == (dt.timedelta(hours=2), dt.timedelta(minutes=80))


def test_hours_across_midnight_count_in_the_month_the_shift_starts(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    # 30 November 22:00 to 1 December 01:00 in Shanghai: a night shift (e.g. an overnight delivery).
    starts = at(dt.date(2026, 11, 30), 22)
    night = shift_on(engine, world, starts_at=starts, hours=3)
    evening = shift_on(engine, world, starts_at=at(dt.date(2026, 11, 27), 18, 30), hours=2.5)
    missed = shift_on(engine, world, starts_at=at(dt.date(2026, 11, 28), 18, 30), hours=2.5)
    first = assign(engine, shift_id=night, volunteer_id=world.volunteer_id, now=now)
    second = assign(engine, shift_id=evening, volunteer_id=world.volunteer_id, now=now)
    assign(engine, shift_id=missed, volunteer_id=world.volunteer_id, now=now)
    evening_starts = at(dt.date(2026, 11, 27), 18, 30)
    with unit_of_work(engine) as session:
        check_in(session, assignment_id=first, now=starts - dt.timedelta(minutes=15))
        check_out(session, assignment_id=first, now=starts + dt.timedelta(hours=3, minutes=20))
        check_in(session, assignment_id=second, now=evening_starts + dt.timedelta(minutes=30))
        check_out(session, assignment_id=second, now=evening_starts + dt.timedelta(hours=2))
        mark_no_shows(session, site_id=world.site_id, now=at(dt.date(2026, 12, 2), 9))
    with unit_of_work(engine) as session:
        november = hours_frame(session, site_id=world.site_id, month=dt.date(2026, 11, 1))
        december = hours_frame(session, site_id=world.site_id, month=dt.date(2026, 12, 1))
    assert november.to_dict("records") == [
        {"name": "王阿姨", "phone": "", "shifts": 2, "hours": 4.5, "no_shows": 1, "auto_checked_out": 0}
    ]
    assert december.empty


# --- coverage and staffing ---


def test_coverage_states_and_gaps(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    short = shift_on(engine, world, starts_at=at(MONDAY, 7, 30), min_staff=2, max_staff=3)
    covered = shift_on(engine, world, starts_at=at(MONDAY, 16), min_staff=1, max_staff=2)
    full = shift_on(engine, world, starts_at=at(MONDAY, 18, 30), min_staff=1, max_staff=1)
    assign(engine, shift_id=short, volunteer_id=world.volunteer_id, now=now)
    assign(engine, shift_id=covered, volunteer_id=world.other_volunteer_id, now=now)
    assign(engine, shift_id=full, volunteer_id=world.volunteer_id, now=now)
    with unit_of_work(engine) as session:
        grid = coverage_frame(session, site_id=world.site_id, week_start=MONDAY)
        gaps = gaps_frame(session, site_id=world.site_id, now=now, days=7)
    assert grid[["band", "coverage"]].values.tolist() == [
        ["07:30–09:30", "short"],
        ["16:00–18:00", "covered"],
        ["18:30–20:30", "full"],
    ]
    assert gaps[["missing"]].values.tolist() == [[1]]


def test_suggested_headcount_arithmetic():
    assert [
        suggest_headcount(pickups_per_hour=value, pickups_per_volunteer_hour=30) for value in (0, 0.5, 30, 30.01, 61)
    ] == [0, 1, 1, 2, 3]


def test_staffing_against_a_hand_computed_history(engine: Engine, now: dt.datetime):
    """Two Mondays of history (16, 23 Nov). Monday 17:00–18:00 local: 50 and 40 pickups → 45/h → ceil(45/30) = 2.
    Monday 18:xx: 10 and 0 → 5/h → 1. Monday 07:xx: 0 pickups. On the roster for Monday 30 Nov: one handout
    volunteer 16:00–18:30 → on duty at 16, 17 and 18; 17:00 is short (1 < 2), 18:00 is not (1 = 1)."""
    world = make_world(engine, now=now)
    pickups = [
        (dt.date(2026, 11, 16), 17, 50),
        (dt.date(2026, 11, 23), 17, 40),
        (dt.date(2026, 11, 16), 18, 10),
        # Sunday 23:30 local is still Sunday, though Sunday 15:30 UTC: the bucket is local.
        (dt.date(2026, 11, 22), 23, 3),
    ]
    with unit_of_work(engine) as session:
        number = 0
        for day, hour, count in pickups:
            for minute in range(count):
                number += 1
                session.add(
                    Order(
                        site_id=world.site_id,
                        platform="多多买菜",
                        order_number=f"H{number}",
                        pickup_code=f"P{number}",
                        resident_name="李四",
                        phone="13800138000",
                        phone_tail="8000",
                        delivery_date=day,
                        storage_class="ambient",
                        status="picked_up",
                        created_at=now,
                        picked_up_at=at(day, hour) + dt.timedelta(seconds=minute * 59),
                    )
                )
    assign(
        engine,
        shift_id=shift_on(engine, world, starts_at=at(MONDAY, 16), hours=2.5),
        volunteer_id=world.volunteer_id,
        now=now,
    )
    with unit_of_work(engine) as session:
        frame = staffing_frame(
            session,
            site_id=world.site_id,
            history_first_day=dt.date(2026, 11, 16),
            history_last_day=dt.date(2026, 11, 29),
            week_start=MONDAY,
        )
    rows = {
        (row["weekday"], row["hour"]): (row["avg_pickups"], row["suggested"], row["on_duty"], row["short"])
        for row in frame.to_dict("records")
    }
    assert rows == {
        (0, 16): (0.0, 0, 1, False),
        (0, 17): (45.0, 2, 1, True),
        (0, 18): (5.0, 1, 1, False),
        (6, 23): (1.5, 1, 0, True),
    }


# --- volunteers: edit, PIN reset, CSV import ---


def test_update_volunteer_and_reset_pin(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        update_volunteer(
            session,
            volunteer_id=world.other_volunteer_id,
            name=" 张叔叔 ",
            phone="+86 139-0000-1111",
            roles=["receiving", "cold_check"],
            active=True,
            now=now,
        )
        reset_pin(session, volunteer_id=world.other_volunteer_id, new_pin="1357", now=now)
    with unit_of_work(engine) as session:
        person = session.get(Volunteer, world.other_volunteer_id)
        assert (person.name, person.phone, sorted(role.role for role in person.roles)) == (
            "张叔叔",
            "13900001111",
            ["cold_check", "receiving"],
        )
    tablet = enrolled_tablet(engine, site_id=world.site_id, now=now)
    assert sign_in_volunteer(
        engine, site_id=world.site_id, volunteer_id=world.other_volunteer_id, pin="1357", client=tablet, now=now
    ).roles == {"receiving", "cold_check"}
    with pytest.raises(InvalidValue, match="pin_format"), unit_of_work(engine) as session:
        reset_pin(session, volunteer_id=world.other_volunteer_id, new_pin="12", now=now)
    with pytest.raises(InvalidValue, match="phone_format"), unit_of_work(engine) as session:
        update_volunteer(
            session,
            volunteer_id=world.other_volunteer_id,
            name="张",
            phone="123",
            roles=["handout"],
            active=True,
            now=now,
        )
    with unit_of_work(engine) as session:
        update_volunteer(
            session,
            volunteer_id=world.other_volunteer_id,
            name="张叔叔",
            phone="",
            roles=["handout"],
            active=False,
            now=now,
        )
    with pytest.raises(SignInFailed):
        sign_in_volunteer(
            engine, site_id=world.site_id, volunteer_id=world.other_volunteer_id, pin="1357", client=tablet, now=now
        )


def test_volunteer_import_reports_every_bad_row_and_imports_nothing(engine: Engine, now: dt.datetime):
    world = make_world(engine, now=now)
    with unit_of_work(engine) as session:
        create_volunteer(session, site_id=world.site_id, name="老会员", phone="13700000000", now=now)
    text = (
        "姓名,手机号,岗位,PIN\n"
        "赵大妈,13811112222,收货、发货,2468\n"
        ",13811113333,发货,\n"
        "钱师傅,12345,发货,\n"
        "孙阿姨,13811114444,做饭,\n"
        "李老师,13811115555,测温,12\n"
        "周先生,13700000000,发货,\n"
        "吴女士,138 1111 2222,发货,\n"
    )
    data = text.encode("gb18030")
    with unit_of_work(engine) as session:
        plan = plan_volunteer_import(session, site_id=world.site_id, data=data)
    assert [(row.row, row.key) for row in plan.rejected] == [
        (3, "error.row_missing_value"),
        (4, "error.row_bad_phone"),
        (5, "error.row_bad_role"),
        (6, "error.row_bad_pin"),
        (7, "error.row_volunteer_exists"),
        (8, "error.row_volunteer_exists"),
    ]
    with pytest.raises(InvalidValue, match="volunteer_import_has_errors"), unit_of_work(engine) as session:
        import_volunteers(session, site_id=world.site_id, data=data, now=now)
    with unit_of_work(engine) as session:
        assert session.scalar(select(Volunteer.id).where(Volunteer.name == "赵大妈")) is None

    good = "\ufeffname,phone,roles,pin\n赵大妈,13811112222,receiving;handout,2468\n钱师傅,,发货,\n".encode()
    with unit_of_work(engine) as session:
        assert import_volunteers(session, site_id=world.site_id, data=good, now=now) == 2
    with unit_of_work(engine) as session:
        zhao = session.scalar(select(Volunteer).where(Volunteer.name == "赵大妈"))
        assert sorted(role.role for role in zhao.roles) == ["handout", "receiving"]
    tablet = enrolled_tablet(engine, site_id=world.site_id, now=now)
    assert (
        sign_in_volunteer(engine, site_id=world.site_id, volunteer_id=zhao.id, pin="2468", client=tablet, now=now).name
        == "赵大妈"
    )


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (dt.date(2026, 11, 25), dt.date(2026, 11, 1), dt.date(2025, 12, 1)),
        (dt.date(2026, 1, 31), dt.date(2026, 1, 1), dt.date(2025, 2, 1)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 1), dt.date(2026, 1, 1)),
    ],
)
def test_recent_months_are_twelve_first_days_newest_first(today: dt.date, first: dt.date, last: dt.date):
    months = recent_months(today=today)
    assert len(months) == 12 and months[0] == first and months[-1] == last
    assert all(month.day == 1 for month in months) and months == sorted(set(months), reverse=True)
