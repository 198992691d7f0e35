"""One verdict for every bag of an excursion with per-bag exceptions, and an excursion settled by a re-measure
back in range within the follow-up window (store, both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from db.cold_chain.excursions import get_excursion, list_excursion_bags
from db.cold_chain.temperatures import FOLLOW_UP_WITHIN, list_due_readings, record_temperature
from db.core.clock import local_moment
from db.core.engine import unit_of_work
from db.core.errors import InvalidValue, NotAllowed
from db.core.models import Event, ExcursionCheck, Order, StorageUnit
from db.orders.excursion_checks import record_excursion_outcome
from db.orders.lifecycle import receive_order
from tests.support.store import add_order, make_world

DAY = dt.date(2026, 11, 24)


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """A Shanghai wall-clock moment of DAY, as the UTC moment the store keeps."""
    return local_moment(DAY, dt.time(hour, minute, second))


def log(engine: Engine, world, reading: float, moment: dt.datetime) -> int:
    with unit_of_work(engine) as session:
        fridge = session.scalar(select(StorageUnit.id).where(StorageUnit.code == "F1"))
        return record_temperature(
            session,
            storage_unit_id=fridge,
            reading_c=reading,
            volunteer_id=world.volunteer_id,
            now=moment,
            corrective_action="门未关严，已关好",
        ).id


def fridge_bags(engine: Engine, world, count: int) -> list[int]:
    ids = [
        add_order(engine, world, now=at(7), number=f"N{n}", code=f"8-{n}", classes=("chilled",)) for n in range(count)
    ]
    with unit_of_work(engine) as session:
        for order_id in ids:
            receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=at(8))
    return ids


def test_one_outcome_for_every_bag_with_exceptions_writes_a_check_and_an_event_per_bag(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now, fridge_slots=5)
    kept, spoiled, told, also_kept = fridge_bags(engine, world, 4)
    outsider = add_order(engine, world, now=at(7), number="X", code="9-1", classes=("ambient",))
    start = log(engine, world, 14.0, at(9))
    with unit_of_work(engine) as session:
        with pytest.raises(NotAllowed, match="bag_not_in_excursion"):
            record_excursion_outcome(
                session,
                reading_id=start,
                outcome="checked_ok",
                exceptions={outsider: "discarded"},
                volunteer_id=world.volunteer_id,
                now=at(9, 20),
                reason="偏离",
            )
        with pytest.raises(InvalidValue, match="outcome_unknown"):
            record_excursion_outcome(
                session,
                reading_id=start,
                outcome="checked_ok",
                exceptions={told: "fine"},
                volunteer_id=world.volunteer_id,
                now=at(9, 20),
            )
        with pytest.raises(InvalidValue, match="reason_required"):
            record_excursion_outcome(
                session,
                reading_id=start,
                outcome="checked_ok",
                exceptions={spoiled: "discarded"},
                volunteer_id=world.volunteer_id,
                now=at(9, 20),
            )
        assert session.scalar(select(func.count(ExcursionCheck.id))) == 0
    with unit_of_work(engine) as session:
        checked = record_excursion_outcome(
            session,
            reading_id=start,
            outcome="checked_ok",
            exceptions={spoiled: "discarded", told: "resident_informed"},
            volunteer_id=world.volunteer_id,
            now=at(9, 20),
            reason="温度偏离 14 °C，已丢弃",
        )
    assert checked == 4
    with unit_of_work(engine) as session:
        outcomes = {bag.order_id: bag.outcome for bag in list_excursion_bags(session, reading_id=start, now=at(9, 30))}
        events = session.execute(
            select(Event.entity_id, Event.action).where(Event.action.in_(["order.excursion_checked", "order.problem"]))
        ).all()
        notes = dict(session.execute(select(ExcursionCheck.order_id, ExcursionCheck.note)).all())
        spoiled_status = session.get(Order, spoiled).status
    assert outcomes == {
        kept: "checked_ok",
        spoiled: "discarded",
        told: "resident_informed",
        also_kept: "checked_ok",
    }
    assert sorted(events) == sorted(
        [(order_id, "order.excursion_checked") for order_id in (kept, spoiled, told, also_kept)]
        + [(spoiled, "order.problem")]
    )
    assert spoiled_status == "problem"
    # The discard reason goes with the discarded bag only.
    assert notes == {kept: None, spoiled: "温度偏离 14 °C，已丢弃", told: None, also_kept: None}

    # Again with one outcome: every bag is checked already, so only a named exception changes anything.
    with unit_of_work(engine) as session:
        again = record_excursion_outcome(
            session,
            reading_id=start,
            outcome="resident_informed",
            exceptions={kept: "resident_informed", also_kept: "checked_ok"},
            volunteer_id=world.volunteer_id,
            now=at(9, 40),
        )
        latest = {bag.order_id: bag.outcome for bag in list_excursion_bags(session, reading_id=start, now=at(9, 45))}
    assert again == 1
    assert (
        latest[kept] == "resident_informed"
        and latest[also_kept] == "checked_ok"
        and latest[told] == "resident_informed"
    )


def test_a_remeasure_back_in_range_within_the_follow_up_window_settles_the_excursion(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now, fridge_slots=3)
    fridge_bags(engine, world, 3)
    glitch = log(engine, world, 12.0, at(9))
    log(engine, world, 5.0, at(9, 1))
    window_end = at(9) + FOLLOW_UP_WITHIN
    real = log(engine, world, 12.0, at(12))
    log(engine, world, 5.0, at(12) + FOLLOW_UP_WITHIN + dt.timedelta(minutes=1))
    still_open = log(engine, world, 10.0, at(15))
    with unit_of_work(engine) as session:
        settled = get_excursion(session, reading_id=glitch)
        long = get_excursion(session, reading_id=real)
        current = get_excursion(session, reading_id=still_open)
        bags = list_excursion_bags(session, reading_id=glitch, now=at(9, 5))
        due_after_glitch = list_due_readings(session, site_id=world.site_id, now=at(9, 2))
    assert (settled.ended_at, settled.settled_by_remeasure, settled.remeasured_c) == (at(9, 1), True, 5.0)
    assert settled.ended_at <= window_end
    # The bags are still listed (who was in the fridge), none checked: none has to be.
    assert len(bags) == 3 and all(bag.outcome is None for bag in bags)
    # The re-measure is the follow-up: nothing more is due for the unit.
    assert not [item for item in due_after_glitch if item.kind == "follow_up"]
    assert (long.settled_by_remeasure, long.remeasured_c) == (False, 5.0)
    assert (current.ended_at, current.settled_by_remeasure, current.remeasured_c) == (None, False, None)
