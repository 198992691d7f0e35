"""The roster's caps and refusals: a full shift, an overlapping one, the last place taken by two at once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from db.core.engine import unit_of_work
from db.core.errors import NotAllowed
from db.roster.shifts import check_in, check_out, create_shift, sign_up
from tests.support.store import make_world, run_at_once


def _shift(engine: Engine, world, now: dt.datetime, *, hours: tuple[int, int], max_staff: int = 1) -> int:
    with unit_of_work(engine) as session:
        return create_shift(
            session,
            site_id=world.site_id,
            role="handout",
            min_staff=1,
            max_staff=max_staff,
            starts_at=now + dt.timedelta(hours=hours[0]),
            ends_at=now + dt.timedelta(hours=hours[1]),
            now=now,
        ).id


def test_sign_up_refusals(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    first = _shift(engine, world, now, hours=(1, 3))
    overlapping = _shift(engine, world, now, hours=(2, 4), max_staff=3)
    with unit_of_work(engine) as session:
        assignment = sign_up(session, shift_id=first, volunteer_id=world.volunteer_id, now=now)
    with pytest.raises(NotAllowed, match="shift_full"), unit_of_work(engine) as session:
        sign_up(session, shift_id=first, volunteer_id=world.other_volunteer_id, now=now)
    with pytest.raises(NotAllowed, match="shift_overlaps"), unit_of_work(engine) as session:
        sign_up(session, shift_id=overlapping, volunteer_id=world.volunteer_id, now=now)
    with unit_of_work(engine) as session:
        check_in(session, assignment_id=assignment.id, now=now + dt.timedelta(hours=1))
        check_out(session, assignment_id=assignment.id, now=now + dt.timedelta(hours=2))


def test_last_place_taken_by_two_at_once(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    shift_id = _shift(engine, world, now, hours=(1, 3))

    def take(volunteer_id: int) -> str:
        with unit_of_work(engine) as session:
            sign_up(session, shift_id=shift_id, volunteer_id=volunteer_id, now=now)
        return "won"

    outcomes = run_at_once(lambda: take(world.volunteer_id), lambda: take(world.other_volunteer_id))
    assert sorted(map(type, outcomes), key=str) == sorted([str, NotAllowed], key=str), outcomes
