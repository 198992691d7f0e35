"""Cold chain in the store: unit register, readings and their schedule across Shanghai days, sign-off lock,
excursion windows, which bags an excursion touched (through slot moves), dwell times and the inspector's export."""

from __future__ import annotations

import datetime as dt
import io
from functools import partial

import openpyxl
import pytest
from sqlalchemy import Engine, select, update

import db.orders.lifecycle
from db.cold_chain.excursions import list_excursion_bags, list_excursions
from db.cold_chain.temperatures import (
    correct_temperature,
    count_missing_readings,
    list_due_readings,
    list_effective_readings_of_sites,
    month_log_frame,
    parse_reading,
    record_temperature,
    sign_off_day,
)
from db.cold_chain.units import (
    create_storage_unit,
    deactivate_storage_unit,
    list_held_bags,
    update_unit_range,
)
from db.core.clock import local_moment
from db.core.engine import unit_of_work
from db.core.errors import DuplicateValue, InvalidValue, NotAllowed
from db.core.events import record_event
from db.core.models import Order, Slot, StorageUnit, TemperatureReading
from db.orders.excursion_checks import record_excursion_outcome
from db.orders.lifecycle import hand_over, receive_order
from tests.support.store import add_order, make_world
from tests.support.store_reads import order_history
from ui.exports import escape_formula, frame_to_csv_bytes, frame_to_xlsx_bytes

DAY = dt.date(2026, 11, 24)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Shanghai wall-clock moment, as the UTC moment the store keeps."""
    return local_moment(day, dt.time(hour, minute))


def unit_id(engine: Engine, code: str) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(StorageUnit.id).where(StorageUnit.code == code))


def log(engine: Engine, world, code: str, reading: float, moment: dt.datetime) -> int:
    unit = unit_id(engine, code)
    with unit_of_work(engine) as session:
        return record_temperature(
            session,
            storage_unit_id=unit,
            reading_c=reading,
            volunteer_id=world.volunteer_id,
            now=moment,
            corrective_action="门未关严，已关好",
        ).id


def test_a_unit_range_edited_to_5_degrees_decides_at_its_boundary(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    fridge, shelf = unit_id(engine, "F1"), unit_id(engine, "S1")
    with unit_of_work(engine) as session:
        update_unit_range(
            session, storage_unit_id=fridge, min_temp_c=0, max_temp_c=5, actor_id=world.volunteer_id, now=now
        )
        with pytest.raises(InvalidValue, match="temperature_range_order"):
            update_unit_range(
                session, storage_unit_id=fridge, min_temp_c=5, max_temp_c=5, actor_id=world.volunteer_id, now=now
            )
        with pytest.raises(InvalidValue, match="shelf_has_no_range"):
            update_unit_range(
                session, storage_unit_id=shelf, min_temp_c=0, max_temp_c=5, actor_id=world.volunteer_id, now=now
            )
    verdicts = [
        session_reading.in_range
        for session_reading in (
            _reading(engine, log(engine, world, "F1", value, now)) for value in (5.0, 5.1, 0.0, -0.1)
        )
    ]
    assert verdicts == [True, False, True, False]


def _reading(engine: Engine, reading_id: int) -> TemperatureReading:
    with unit_of_work(engine) as session:
        return session.get(TemperatureReading, reading_id)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4.5", 4.5),
        ("4,5", 4.5),
        ("－３", -3.0),
        (" −18 ℃", -18.0),
        ("-40", -40.0),
        ("40", 40.0),
        # A freezer's reading as keyboards type its minus: ASCII, full-width, U+2212, small hyphen-minus.
        ("-19", -19.0),
        ("－19", -19.0),
        ("\u221219", -19.0),
        ("\ufe6319", -19.0),
        ("-19.5", -19.5),
    ],
)
def test_typed_readings_are_understood(typed: str, expected: float) -> None:
    assert parse_reading(typed) == expected


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("abc", "reading_not_a_number"),
        ("", "reading_required"),
        ("   ", "reading_required"),
        ("999", "reading_range"),
        ("40.1", "reading_range"),
        ("-40.1", "reading_range"),
        ("nan", "reading_range"),
    ],
)
def test_typed_readings_are_refused(typed: str, key: str) -> None:
    with pytest.raises(InvalidValue, match=key):
        parse_reading(typed)


def test_missed_readings_count_per_shanghai_day(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    log(engine, world, "F1", 4.0, at(DAY, 8))
    # 23:30 in Shanghai is still the 24th (15:30 UTC); 00:30 is the 25th (16:30 UTC, the same UTC day).
    log(engine, world, "F1", 4.0, at(DAY, 23, 30))
    log(engine, world, "F1", 4.0, at(DAY + dt.timedelta(days=1), 0, 30))
    log(engine, world, "Z1", -20.0, at(DAY + dt.timedelta(days=1), 0, 30))
    fridge, freezer = unit_id(engine, "F1"), unit_id(engine, "Z1")
    with unit_of_work(engine) as session:
        day_after = count_missing_readings(session, site_id=world.site_id, day=DAY, now=at(DAY, 23, 59))
        assert day_after == {fridge: 0, freezer: 2}
        # Before the day's first reading is due, nothing is missing yet.
        assert count_missing_readings(session, site_id=world.site_id, day=DAY, now=at(DAY, 7, 59)) == {
            fridge: 0,
            freezer: 0,
        }
        # 08:00 is due (opening 07:30 + 30 min), the closing reading (21:00) not yet.
        next_day = DAY + dt.timedelta(days=1)
        assert count_missing_readings(session, site_id=world.site_id, day=next_day, now=at(next_day, 12)) == {
            fridge: 0,
            freezer: 0,
        }
        assert count_missing_readings(session, site_id=world.site_id, day=next_day, now=at(next_day, 21, 1)) == {
            fridge: 1,
            freezer: 1,
        }
        due = list_due_readings(session, site_id=world.site_id, now=at(next_day, 21, 1))
    assert [(item.unit_code, item.kind, item.missing) for item in due] == [
        ("F1", "scheduled", 1),
        ("Z1", "scheduled", 1),
    ]


def test_an_out_of_range_reading_asks_for_a_follow_up_until_it_is_taken(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    log(engine, world, "Z1", -20.0, at(DAY, 7, 45))
    log(engine, world, "F1", 4.0, at(DAY, 7, 45))
    log(engine, world, "F1", 11.0, at(DAY, 9))
    with unit_of_work(engine) as session:
        waiting = list_due_readings(session, site_id=world.site_id, now=at(DAY, 9, 10))
        late = list_due_readings(session, site_id=world.site_id, now=at(DAY, 9, 31))
    assert [(item.unit_code, item.kind, item.due_at, item.overdue) for item in waiting] == [
        ("F1", "follow_up", at(DAY, 9, 30), False)
    ]
    assert [(item.kind, item.overdue) for item in late] == [("follow_up", True)]
    log(engine, world, "F1", 6.0, at(DAY, 9, 35))
    with unit_of_work(engine) as session:
        assert list_due_readings(session, site_id=world.site_id, now=at(DAY, 9, 40)) == []


def test_excursion_windows_several_in_a_day_and_one_still_open(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    for hour, minute, reading in [
        (8, 0, 4.0),
        (9, 0, 10.0),
        (9, 20, 12.5),
        (9, 40, 6.0),
        (12, 0, 9.0),
        (12, 25, 7.0),
        (18, 0, 11.0),
    ]:
        log(engine, world, "F1", reading, at(DAY, hour, minute))
    log(engine, world, "Z1", -17.0, at(DAY - dt.timedelta(days=1), 20))  # open since the day before
    log(engine, world, "Z1", -19.0, at(DAY, 8, 10))
    with unit_of_work(engine) as session:
        found = list_excursions(session, site_id=world.site_id, start=at(DAY, 0), end=at(DAY + dt.timedelta(days=1), 0))
        later = list_excursions(session, site_id=world.site_id, start=at(DAY, 13), end=at(DAY, 23))
    assert [(e.unit_code, e.started_at, e.ended_at, e.worst_c, e.readings) for e in found] == [
        ("Z1", at(DAY - dt.timedelta(days=1), 20), at(DAY, 8, 10), -17.0, 1),
        ("F1", at(DAY, 9), at(DAY, 9, 40), 12.5, 2),
        ("F1", at(DAY, 12), at(DAY, 12, 25), 9.0, 1),
        ("F1", at(DAY, 18), None, 11.0, 1),
    ]
    assert [(e.unit_code, e.started_at) for e in later] == [("F1", at(DAY, 18))]


def move(engine: Engine, *, order_id: int, slot_code: str, volunteer_id: int, moment: dt.datetime) -> None:
    """A slot move as db.orders.lifecycle.move_order records it (before/after slot); used directly while that lands."""
    with unit_of_work(engine) as session:
        mover = getattr(db.orders.lifecycle, "move_order", None)
        if mover is not None:
            mover(session, order_id=order_id, slot_code=slot_code, volunteer_id=volunteer_id, now=moment)
            return
        order = session.get(Order, order_id)
        before = {"status": order.status, "slot": order.slot.code}
        slot_id = session.scalar(select(Slot.id).where(Slot.code == slot_code))
        session.execute(update(Order).where(Order.id == order_id).values(slot_id=slot_id))
        record_event(
            session,
            site_id=order.site_id,
            actor_id=volunteer_id,
            action="order.moved",
            entity="order",
            entity_id=order_id,
            now=moment,
            before=before,
            after={"status": order.status, "slot": slot_code},
        )


def test_an_excursion_lists_every_bag_that_was_in_the_unit_during_it(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now, fridge_slots=3)
    with unit_of_work(engine) as session:
        create_storage_unit(
            session, site_id=world.site_id, code="F2", name="二号冷藏", kind="fridge", slot_count=3, now=now
        )
    bags = {
        name: add_order(engine, world, now=at(DAY, 7), number=name, code=f"8-{name}", classes=("chilled",))
        for name in (
            "stays",
            "moved_out_before",
            "moved_in_during",
            "picked_up_before",
            "picked_up_during",
            "moved_out_during",
            "after",
        )
    }

    def receive(name: str, moment: dt.datetime) -> str:
        with unit_of_work(engine) as session:
            return receive_order(session, order_id=bags[name], volunteer_id=world.volunteer_id, now=moment)

    assert receive("stays", at(DAY, 8)) == "F1-01"
    assert receive("moved_out_before", at(DAY, 8, 1)) == "F1-02"
    assert receive("picked_up_before", at(DAY, 8, 2)) == "F1-03"
    assert receive("moved_in_during", at(DAY, 8, 3)) == "F2-01"
    move(
        engine,
        order_id=bags["moved_out_before"],
        slot_code="F2-02",
        volunteer_id=world.volunteer_id,
        moment=at(DAY, 8, 30),
    )
    with unit_of_work(engine) as session:
        hand_over(session, order_id=bags["picked_up_before"], volunteer_id=world.volunteer_id, now=at(DAY, 8, 40))
    assert receive("picked_up_during", at(DAY, 8, 50)) == "F1-02"
    assert receive("moved_out_during", at(DAY, 8, 55)) == "F1-03"

    excursion_start = log(engine, world, "F1", 11.0, at(DAY, 9))
    move(
        engine,
        order_id=bags["moved_in_during"],
        slot_code="F2-03",
        volunteer_id=world.volunteer_id,
        moment=at(DAY, 9, 1),
    )  # a move within F2 first: still not in F1
    with unit_of_work(engine) as session:
        hand_over(session, order_id=bags["picked_up_during"], volunteer_id=world.volunteer_id, now=at(DAY, 9, 5))
    move(
        engine,
        order_id=bags["moved_out_during"],
        slot_code="F2-01",
        volunteer_id=world.volunteer_id,
        moment=at(DAY, 9, 6),
    )
    move(
        engine,
        order_id=bags["moved_in_during"],
        slot_code="F1-02",
        volunteer_id=world.volunteer_id,
        moment=at(DAY, 9, 10),
    )
    log(engine, world, "F1", 5.0, at(DAY, 9, 30))
    assert receive("after", at(DAY, 9, 45)) == "F1-03"

    with unit_of_work(engine) as session:
        listed = list_excursion_bags(session, reading_id=excursion_start, now=at(DAY, 10))
    by_order = {bag.order_id: bag for bag in listed}
    names = {order_id: name for name, order_id in bags.items()}
    assert sorted(names[order_id] for order_id in by_order) == [
        "moved_in_during",
        "moved_out_during",
        "picked_up_during",
        "stays",
    ]
    assert by_order[bags["moved_out_during"]].left_at == at(DAY, 9, 6)
    assert by_order[bags["moved_in_during"]].entered_at == at(DAY, 9, 10)
    assert by_order[bags["stays"]].left_at is None

    # Handed over after the excursion ended: the list says when it left, not "still there" next to "picked up".
    with unit_of_work(engine) as session:
        hand_over(session, order_id=bags["stays"], volunteer_id=world.volunteer_id, now=at(DAY, 18, 3))
        later = {bag.order_id: bag for bag in list_excursion_bags(session, reading_id=excursion_start, now=at(DAY, 19))}
    assert later.keys() == by_order.keys()
    assert (later[bags["stays"]].left_at, later[bags["stays"]].status) == (at(DAY, 18, 3), "picked_up")


def test_marking_bags_of_an_excursion_shows_in_the_order_history(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    kept = add_order(engine, world, now=at(DAY, 7), number="A", code="8-1", classes=("chilled",))
    spoiled = add_order(engine, world, now=at(DAY, 7), number="B", code="8-2", classes=("chilled",))
    elsewhere = add_order(engine, world, now=at(DAY, 7), number="C", code="8-3", classes=("ambient",))
    with unit_of_work(engine) as session:
        for order_id in (kept, spoiled, elsewhere):
            receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=at(DAY, 8))
    start = log(engine, world, "F1", 14.0, at(DAY, 9))
    with unit_of_work(engine) as session:
        # Through the organizer's one verdict with exceptions, as the storage page gives it.
        verdict = partial(record_excursion_outcome, session, reading_id=start, volunteer_id=world.volunteer_id)
        verdict(
            outcome="checked_ok", exceptions={spoiled: "discarded"}, now=at(DAY, 9, 21), reason="温度偏离 14 °C，已丢弃"
        )
        with pytest.raises(InvalidValue, match="reason_required"):
            verdict(outcome="checked_ok", exceptions={kept: "discarded"}, now=at(DAY, 9, 22))
        with pytest.raises(NotAllowed, match="bag_not_in_excursion"):
            verdict(outcome="checked_ok", exceptions={elsewhere: "checked_ok"}, now=at(DAY, 9, 22))
        with pytest.raises(InvalidValue, match="outcome_unknown"):
            verdict(outcome="fine", exceptions={}, now=at(DAY, 9, 22))
    with unit_of_work(engine) as session:
        record_excursion_outcome(
            session,
            reading_id=start,
            outcome="checked_ok",
            exceptions={kept: "resident_informed"},
            volunteer_id=world.volunteer_id,
            now=at(DAY, 9, 30),
        )
        status = session.get(Order, spoiled).status
        history = [
            (event.action, (event.after or {}).get("outcome")) for event in order_history(session, order_id=spoiled)
        ]
        listed = {
            bag.order_id: bag.outcome for bag in list_excursion_bags(session, reading_id=start, now=at(DAY, 9, 40))
        }
    assert status == "problem"
    assert history[-2:] == [("order.problem", None), ("order.excursion_checked", "discarded")]
    # The discarded bag left the fridge during the excursion, so it is still listed, with its outcome.
    assert listed == {kept: "resident_informed", spoiled: "discarded"}


def test_a_signed_off_day_takes_only_corrections(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    wrong = log(engine, world, "F1", 14.0, at(DAY, 20))
    fridge = unit_id(engine, "F1")
    with unit_of_work(engine) as session:
        sign_off_day(
            session, site_id=world.site_id, day=DAY, volunteer_id=world.other_volunteer_id, now=at(DAY, 21, 30)
        )
        with pytest.raises(DuplicateValue, match="day_already_signed_off"):
            sign_off_day(
                session, site_id=world.site_id, day=DAY, volunteer_id=world.other_volunteer_id, now=at(DAY, 21, 40)
            )
        with pytest.raises(InvalidValue, match="sign_off_future_day"):
            sign_off_day(
                session,
                site_id=world.site_id,
                day=DAY + dt.timedelta(days=1),
                volunteer_id=world.other_volunteer_id,
                now=at(DAY, 21, 40),
            )
    with pytest.raises(NotAllowed, match="day_signed_off"), unit_of_work(engine) as session:
        record_temperature(
            session,
            storage_unit_id=fridge,
            reading_c=4.0,
            volunteer_id=world.volunteer_id,
            now=at(DAY, 21, 50),
            taken_at=at(DAY, 21, 0),
            late_reason="忘记登记",
        )
    # The next day is open.
    log(engine, world, "F1", 4.0, at(DAY + dt.timedelta(days=1), 8))
    with unit_of_work(engine) as session:
        correction = correct_temperature(
            session,
            reading_id=wrong,
            reading_c=4.0,
            volunteer_id=world.volunteer_id,
            reason="读错了小数点：1.4 记成 14",
            now=at(DAY + dt.timedelta(days=1), 9),
        )
        assert (correction.corrects_id, correction.taken_at, correction.in_range) == (wrong, at(DAY, 20), True)
        with pytest.raises(NotAllowed, match="reading_already_corrected"):
            correct_temperature(
                session,
                reading_id=wrong,
                reading_c=5.0,
                volunteer_id=world.volunteer_id,
                reason="再改",
                now=at(DAY + dt.timedelta(days=1), 9),
            )
        with pytest.raises(InvalidValue, match="reason_required"):
            correct_temperature(
                session,
                reading_id=correction.id,
                reading_c=5.0,
                volunteer_id=world.volunteer_id,
                reason=" ",
                now=at(DAY + dt.timedelta(days=1), 9),
            )
        effective = list_effective_readings_of_sites(
            session, site_ids=[world.site_id], start=at(DAY, 0), end=at(DAY + dt.timedelta(days=1), 0)
        )
        excursions = list_excursions(
            session, site_id=world.site_id, start=at(DAY, 0), end=at(DAY + dt.timedelta(days=1), 0)
        )
    assert [reading.id for reading in effective] == [correction.id]
    assert excursions == []  # the corrected reading was never an excursion


def test_a_unit_holding_bags_cannot_be_removed(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A", code="8-1", classes=("chilled",))
    fridge = unit_id(engine, "F1")
    with unit_of_work(engine) as session:
        receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
    with pytest.raises(NotAllowed, match="unit_holds_bags"), unit_of_work(engine) as session:
        deactivate_storage_unit(session, storage_unit_id=fridge, actor_id=world.volunteer_id, now=now)
    with unit_of_work(engine) as session:
        hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        deactivate_storage_unit(session, storage_unit_id=fridge, actor_id=world.volunteer_id, now=now)
        with pytest.raises(NotAllowed, match="unit_already_removed"):
            deactivate_storage_unit(session, storage_unit_id=fridge, actor_id=world.volunteer_id, now=now)
        assert session.get(StorageUnit, fridge).active is False
        # No follow-ups or scheduled readings for a removed unit.
        assert {item.unit_code for item in list_due_readings(session, site_id=world.site_id, now=at(DAY, 22))} == {"Z1"}


def test_dwell_attention_lists_chilled_over_24h_and_frozen_over_72h_oldest_first(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now, fridge_slots=3)
    with unit_of_work(engine) as session:
        create_storage_unit(
            session, site_id=world.site_id, code="Z2", name="冷冻二", kind="freezer", slot_count=3, now=now
        )
    plan = [
        ("chilled_25h", ("chilled",), 25),
        ("chilled_23h", ("chilled",), 23),
        ("frozen_48h", ("frozen",), 48),
        ("frozen_73h", ("frozen",), 73),
        ("ambient_100h", ("ambient",), 100),
    ]
    names = {}
    for name, classes, hours in plan:
        order_id = add_order(engine, world, now=now, number=name, code=name, classes=classes)
        names[order_id] = name
        with unit_of_work(engine) as session:
            # Held for `hours` before now: checked in then, before the delivery date the bag was given (it came early).
            receive_order(
                session,
                order_id=order_id,
                volunteer_id=world.volunteer_id,
                now=now - dt.timedelta(hours=hours),
                early=True,
            )
    with unit_of_work(engine) as session:
        held = list_held_bags(session, site_id=world.site_id, now=now)
    # The attention list as the storage page shows it: chilled over 24 h, frozen over 72 h, oldest first.
    attention = [bag for bag in held if bag.over_limit]
    assert [names[bag.order_id] for bag in attention] == ["frozen_73h", "chilled_25h"]
    assert [(names[bag.order_id], bag.hours_held) for bag in held][:2] == [
        ("ambient_100h", 100.0),
        ("frozen_73h", 73.0),
    ]


def test_month_export_has_the_inspectors_columns_and_defuses_formulas(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    fridge = unit_id(engine, "F1")
    with unit_of_work(engine) as session:
        record_temperature(
            session,
            storage_unit_id=fridge,
            reading_c=9.0,
            volunteer_id=world.volunteer_id,
            now=at(DAY, 9),
            corrective_action='=HYPERLINK("x")',
        )
    log(engine, world, "Z1", -20.0, at(DAY, 9, 5))
    log(engine, world, "Z1", -20.0, at(dt.date(2026, 10, 31), 23, 59))  # October in Shanghai
    with unit_of_work(engine) as session:
        sign_off_day(
            session, site_id=world.site_id, day=DAY, volunteer_id=world.other_volunteer_id, now=at(DAY, 21, 30)
        )
        frame = month_log_frame(session, site_id=world.site_id, year=2026, month=11)
    assert list(frame.columns) == [
        "date",
        "time",
        "unit",
        "reading_c",
        "in_range",
        "initials",
        "corrective_action",
        "sign_off",
        "reading_no",
        "corrects_id",
        "late_reason",
    ]
    assert frame.iloc[:, :8].values.tolist() == [
        ["2026-11-24", "09:00", "F1", 9.0, False, "王阿姨", '=HYPERLINK("x")', "张叔叔 2026-11-24 21:30"],
        ["2026-11-24", "09:05", "Z1", -20.0, True, "王阿姨", "门未关严，已关好", "张叔叔 2026-11-24 21:30"],
    ]
    with unit_of_work(engine) as session:
        first = int(frame["reading_no"].iloc[0])
        correct_temperature(
            session,
            reading_id=first,
            reading_c=7.0,
            volunteer_id=world.other_volunteer_id,
            reason="看错了",
            now=at(DAY + dt.timedelta(days=1), 9),
        )
        corrected = month_log_frame(session, site_id=world.site_id, year=2026, month=11)
    assert corrected[["time", "unit", "reading_c", "in_range", "corrects_id", "late_reason"]].values.tolist()[1] == [
        "09:00",
        "F1",
        7.0,
        True,
        first,
        "看错了",
    ]
    assert "'=HYPERLINK" in frame_to_csv_bytes(frame).decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(frame_to_xlsx_bytes(frame, sheet_name="log"))).active
    assert sheet["G2"].value == '\'=HYPERLINK("x")' and sheet["D2"].value == 9.0
    assert escape_formula(-3.0) == -3.0 and escape_formula("-3") == "'-3" and escape_formula("门") == "门"
