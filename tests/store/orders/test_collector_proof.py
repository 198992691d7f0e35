"""A bag found at the desk by phone tail or name opens only to its code, its QR or the whole phone number; wrong
answers are recorded on the bag and a few of them close the question for the day."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.core.engine import unit_of_work
from db.core.errors import CollectorCheckExhausted, InvalidValue
from db.core.models import Event
from db.orders.proof import WRONG_ANSWERS_ALLOWED, WRONG_ANSWERS_WINDOW, check_collector, names_the_bag
from tests.support.store import World, add_order, make_world

PHONE = "13800138000"  # add_order's resident: +86 138-0013-8000


def check(engine: Engine, world: World, order_ids: list[int], answer: str, now: dt.datetime) -> bool:
    with unit_of_work(engine) as session:
        return check_collector(session, order_ids=order_ids, answer=answer, volunteer_id=world.volunteer_id, now=now)


def wrong_answers(engine: Engine) -> list[tuple[int | None, int | None]]:
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(Event.entity_id, Event.actor_id).where(Event.action == "order.collector_check_failed")
        )
        return [tuple(row) for row in rows]


def test_names_the_bag_by_typed_code_or_qr_and_nothing_else() -> None:
    assert names_the_bag(text=" ８-１２３ ", pickup_codes=["8-123"])
    assert names_the_bag(text="CB1:TS2:8-123", pickup_codes=["9-1", "8-123"])
    assert not names_the_bag(text="8-12", pickup_codes=["8-123"])
    assert not names_the_bag(text="", pickup_codes=[""])


@pytest.mark.parametrize("answer", [PHONE, "+86 138 0013 8000", "１３８-００１３-８０００", "CB1:TS2:8-123", "8-123"])
def test_the_code_the_qr_or_the_whole_phone_opens_the_bag(engine: Engine, now: dt.datetime, answer: str) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="8-123")
    assert check(engine, world, [order_id], answer, now) is True
    assert wrong_answers(engine) == []


def test_what_the_group_text_carries_does_not_open_it(engine: Engine, now: dt.datetime) -> None:
    """A stranger holding the group notice knows the masked name, the building and the class: none of it, nor a
    near number, is the code or the whole phone."""
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="A1", code="8-123")
    # The phone tail is refused as an answer, not counted: it is what the desk found the bag by.
    with pytest.raises(InvalidValue):
        check(engine, world, [order_id], "8000", now)
    with pytest.raises(InvalidValue):
        check(engine, world, [order_id], "  ", now)
    for answer in ("李*", "13800138001", "1380013800"):
        assert check(engine, world, [order_id], answer, now) is False
    assert wrong_answers(engine) == [(order_id, world.volunteer_id)] * 3


def test_a_few_wrong_answers_close_the_question_for_a_day_even_to_the_right_one(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now)
    first = add_order(engine, world, now=now, number="A1", code="8-123")
    second = add_order(engine, world, now=now, number="A2", code="8-124")
    household = [first, second]
    for _ in range(WRONG_ANSWERS_ALLOWED):
        assert check(engine, world, household, "13900000000", now) is False
    # One row per bag and answer: the order's history shows each bag's tries.
    assert sorted(wrong_answers(engine)) == sorted([(first, world.volunteer_id), (second, world.volunteer_id)] * 3)
    for answer in (PHONE, "8-123"):
        with pytest.raises(CollectorCheckExhausted):
            check(engine, world, household, answer, now)
    with pytest.raises(CollectorCheckExhausted):
        check(engine, world, [first], PHONE, now)
    # Nor does asking for a bag alone, then for its household with a fresh bag, start the count again.
    third = add_order(engine, world, now=now, number="A3", code="8-125")
    with pytest.raises(CollectorCheckExhausted):
        check(engine, world, [first, third], PHONE, now)
    # A bag of another resident is not touched, and a day later the question is open again.
    other = add_order(engine, world, now=now, number="B1", code="7-1")
    assert check(engine, world, [other], PHONE, now) is True
    assert check(engine, world, household, PHONE, now + WRONG_ANSWERS_WINDOW) is True
