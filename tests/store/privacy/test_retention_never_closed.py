"""Bags that never close (never delivered, a problem never settled, never collected nor returned) do not keep their
resident for good (db/privacy/retention.py): once their delivery day is the site's personal_data_days plus
NEVER_CLOSED_GRACE_DAYS ago, the purge anonymises them too and their status stays. On both databases."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from db.core.engine import read_only, unit_of_work
from db.core.models import Event, Order
from db.orders.lifecycle import receive_order, report_problem
from db.privacy.retention import NEVER_CLOSED_GRACE_DAYS, purge_personal_data
from tests.support.store import add_order, make_world

RULE_DAYS = 30  # the site's default personal_data_days


def test_a_bag_never_closed_is_anonymised_after_the_rule_and_the_grace_and_keeps_its_status(
    engine: Engine, now: dt.datetime
):
    past = now - dt.timedelta(days=RULE_DAYS + NEVER_CLOSED_GRACE_DAYS + 5)
    within = now - dt.timedelta(days=RULE_DAYS + NEVER_CLOSED_GRACE_DAYS - 5)
    world = make_world(engine, now=past - dt.timedelta(days=1))
    never_delivered = add_order(engine, world, now=past, number="E1", code="401")
    problem = add_order(engine, world, now=past, number="E2", code="402")
    waiting = add_order(engine, world, now=past, number="E3", code="403")
    recent = add_order(engine, world, now=within, number="E4", code="404")
    with unit_of_work(engine) as session:
        receive_order(session, order_id=problem, volunteer_id=world.volunteer_id, now=past)
        report_problem(
            session, order_id=problem, volunteer_id=world.volunteer_id, reason="李四打138-0013-8000没人接", now=past
        )
        receive_order(session, order_id=waiting, volunteer_id=world.volunteer_id, now=past)

    report = purge_personal_data(engine, now=now)

    assert report.orders == 3
    with read_only(engine) as session:
        bags = {order.id: order for order in session.scalars(select(Order).where(Order.site_id == world.site_id))}
        assert {order_id: bags[order_id].status for order_id in (never_delivered, problem, waiting)} == {
            never_delivered: "expected",
            problem: "problem",
            waiting: bags[waiting].status,
        }
        assert bags[waiting].status in ("received", "shelved")
        for order_id in (never_delivered, problem, waiting):
            bag = bags[order_id]
            assert bag.anonymised_at is not None and bag.resident_name == "" and bag.phone == ""
            assert bag.household_id
        # One resident: the same household on every bag, the one still kept too.
        assert len({bags[order_id].household_id for order_id in (never_delivered, problem, waiting, recent)}) == 1
        assert bags[recent].anonymised_at is None and bags[recent].resident_name == "李四"
        problem_after = session.scalars(
            select(Event.after).where(
                Event.entity == "order", Event.entity_id == problem, Event.action == "order.problem"
            )
        ).one()
        assert problem_after == {"status": "problem"}
