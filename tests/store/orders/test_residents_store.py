"""The residents' status lookup: what it tells, that a wrong code and a wrong phone look alike, and how guessing is
slowed down without ever keeping the owner out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from db.core.clock import local_moment
from db.core.engine import make_engine, unit_of_work
from db.core.errors import FullPhoneNeeded, InvalidValue, TooManyAttempts
from db.core.models import LookupAttempt, SiteRules
from db.orders.lifecycle import hand_over, receive_order, report_problem, return_order
from db.orders.residents import lookup_order_status
from db.people.sites import create_site
from db.people.throttling import FIRST_DELAY, FULL_PHONE_AFTER, FULL_PHONE_WINDOW, PER_CLIENT, PER_SECRET_AND_CLIENT
from tests.support.store import add_order, make_world
from tests.support.store_reads import count_stored_tries

# add_order's phone is +86 138-0013-8000.
TAIL = "8000"


def look(
    engine: Engine,
    site_id: int,
    *,
    code: str,
    tail: str = TAIL,
    phone: str = "",
    client: str = "203.0.113.7",
    now: dt.datetime,
) -> object:
    with unit_of_work(engine) as session:
        return lookup_order_status(
            session, site_id=site_id, pickup_code=code, phone_tail=tail, phone=phone, client=client, now=now
        )


def test_each_state_tells_where_and_when_and_nothing_personal(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now, fridge_slots=4)
    ids = {
        code: add_order(engine, world, now=now, number=f"N{code}", code=code, classes=("chilled",))
        for code in ("A1", "A2", "A3", "A4")
    }
    answer = look(engine, world.site_id, code="A1", now=now)
    assert answer.state == "not_arrived" and answer.slot is None and answer.since is None
    # Delivered today (the Shanghai day of `now`); the default hold is 3 days, arrival day counting as one.
    assert answer.collect_by == answer.delivery_date + dt.timedelta(days=2)
    assert answer.qr_payload == "CB1:TS2:A1"
    assert not {"resident_name", "phone", "address"} & set(vars(answer))

    later = now + dt.timedelta(minutes=12)
    with unit_of_work(engine) as session:
        slots = {
            code: receive_order(session, order_id=ids[code], volunteer_id=world.volunteer_id, now=later)
            for code in ("A2", "A3", "A4")
        }
        hand_over(session, order_id=ids["A3"], volunteer_id=world.volunteer_id, now=later + dt.timedelta(hours=8))
        return_order(session, order_id=ids["A4"], volunteer_id=world.volunteer_id, reason="过期", now=later)
        report_problem(session, order_id=ids["A1"], volunteer_id=world.volunteer_id, reason="破损", now=later)

    ready = look(engine, world.site_id, code="a2", now=later)  # case folded, as at the desk
    assert (ready.state, ready.slot, ready.since) == ("ready", slots["A2"], later)
    handed = look(engine, world.site_id, code="A3", now=later)
    assert (handed.state, handed.since, handed.qr_payload, handed.collect_by) == (
        "picked_up",
        later + dt.timedelta(hours=8),
        None,
        None,
    )
    assert look(engine, world.site_id, code="A4", now=later).state == "returned"
    assert look(engine, world.site_id, code="A1", now=later).state == "ask_desk"


def test_wrong_code_and_wrong_phone_give_the_same_none(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    add_order(engine, world, now=now, number="N1", code="8-123")
    assert look(engine, world.site_id, code="8-124", now=now) is None
    assert look(engine, world.site_id, code="8-123", tail="8001", now=now) is None
    # Another site's order is never found from this one.
    with unit_of_work(engine) as session:
        other_site = create_site(session, code="XH1", name="虹桥", now=now).id
    assert look(engine, other_site, code="8-123", now=now) is None
    with pytest.raises(InvalidValue, match="phone_tail_format"):
        look(engine, world.site_id, code="8-123", tail="80", now=now)
    with pytest.raises(InvalidValue, match="pickup_code_format"):
        look(engine, world.site_id, code="  ", now=now)


def test_a_client_guessing_one_code_waits_longer_after_each_failure(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    add_order(engine, world, now=now, number="N1", code="8-123")
    for number in range(PER_SECRET_AND_CLIENT.free_tries):
        assert look(engine, world.site_id, code="8-123", tail=f"000{number}", now=now) is None
    # Even the right pair waits out the delay, so a guess cannot be confirmed early.
    with pytest.raises(TooManyAttempts) as refused:
        look(engine, world.site_id, code="8-123", phone="13800138000", now=now + FIRST_DELAY - dt.timedelta(seconds=1))
    assert refused.value.params["until"] == now + FIRST_DELAY
    # Once the window has passed, this client's tries count no more (the code now wants the whole number).
    later = now + PER_SECRET_AND_CLIENT.window + dt.timedelta(seconds=1)
    with pytest.raises(FullPhoneNeeded):
        look(engine, world.site_id, code="8-123", now=later)
    assert look(engine, world.site_id, code="8-123", phone="13800138000", now=later).state == "not_arrived"


def test_a_much_guessed_code_asks_everyone_for_the_whole_phone_and_the_owner_still_gets_in(
    engine: Engine, now: dt.datetime
) -> None:
    """20 wrong tails from 20 addresses: the tail no longer works for anyone, the owner's whole number does."""
    world = make_world(engine, now=now)
    add_order(engine, world, now=now, number="N1", code="8-123")
    outcomes = []
    for number in range(20):
        try:
            outcomes.append(
                look(engine, world.site_id, code="8-123", tail=f"{number:04d}", client=f"10.0.0.{number}", now=now)
            )
        except FullPhoneNeeded:
            outcomes.append("full phone")
    assert outcomes == [None] * FULL_PHONE_AFTER + ["full phone"] * (20 - FULL_PHONE_AFTER)
    with pytest.raises(FullPhoneNeeded):
        look(engine, world.site_id, code="8-123", client="198.51.100.1", now=now)
    # The owner, from their own phone, with the whole number (as typed: spaces, +86).
    assert (
        look(engine, world.site_id, code="8-123", phone="+86 138 0013 8000", client="198.51.100.1", now=now).state
        == "not_arrived"
    )
    # A wrong whole number is just another miss.
    assert look(engine, world.site_id, code="8-123", phone="13800138001", client="198.51.100.2", now=now) is None
    # A day later the code asks for the tail again.
    assert (
        look(
            engine,
            world.site_id,
            code="8-123",
            client="198.51.100.3",
            now=now + FULL_PHONE_WINDOW + dt.timedelta(minutes=1),
        ).state
        == "not_arrived"
    )
    with pytest.raises(InvalidValue, match="phone_format"):
        look(engine, world.site_id, code="8-123", phone="12-34", now=now)


def test_one_client_trying_many_codes_is_slowed_down_alone(engine: Engine, now: dt.datetime) -> None:
    world = make_world(engine, now=now)
    add_order(engine, world, now=now, number="N1", code="8-123")
    for number in range(PER_CLIENT.free_tries):
        assert look(engine, world.site_id, code=f"X{number}", now=now) is None
    with pytest.raises(TooManyAttempts):
        look(engine, world.site_id, code="8-123", now=now)
    # Another client is not held up by this one.
    assert look(engine, world.site_id, code="8-123", client="198.51.100.1", now=now).state == "not_arrived"
    assert look(engine, world.site_id, code="8-123", now=now + FIRST_DELAY).state == "not_arrived"


def test_the_limit_holds_across_engines_and_stores_only_hashes(database_url: str, now: dt.datetime) -> None:
    from db.core.migrate import upgrade_to_head

    first, second = make_engine(database_url), make_engine(database_url)
    try:
        upgrade_to_head(first)
        world = make_world(first, now=now)
        add_order(first, world, now=now, number="N1", code="8-123")
        for number in range(PER_SECRET_AND_CLIENT.free_tries):
            assert look(first, world.site_id, code="8-123", tail=f"111{number}", now=now) is None
        # A second app process (its own engine and pool) on the same database sees the delay.
        with pytest.raises(TooManyAttempts):
            look(second, world.site_id, code="8-123", now=now)
        with unit_of_work(second) as session:
            stored = session.execute(select(LookupAttempt.scope, LookupAttempt.key_hash)).all()
        assert {scope for scope, _ in stored} == {"client", "code", "code_client"}
        assert all(len(digest) == 64 and "203.0.113.7" not in digest and "8-123" not in digest for _, digest in stored)
        # A failure after a day prunes the tries that no longer count.
        later = now + FULL_PHONE_WINDOW + dt.timedelta(minutes=1)
        assert look(second, world.site_id, code="nothing", now=later) is None
        with unit_of_work(second) as session:
            assert count_stored_tries(session) == 3
    finally:
        first.dispose()
        second.dispose()


def test_many_wrong_tries_at_once_record_no_more_than_the_free_ones(database_url: str, now: dt.datetime) -> None:
    """Ten tries at one code from one phone at the same moment: five count, the rest wait."""
    from db.core.migrate import upgrade_to_head
    from tests.support.store import run_at_once

    engine = make_engine(database_url)
    upgrade_to_head(engine)
    world = make_world(engine, now=now)
    add_order(engine, world, now=now, number="N1", code="8-123")
    outcomes = run_at_once(
        *(lambda n=n: look(engine, world.site_id, code="8-123", tail=f"{n:04d}", now=now) for n in range(10))
    )
    free = PER_SECRET_AND_CLIENT.free_tries
    assert sum(outcome is None for outcome in outcomes) == free, outcomes
    assert all(outcome is None or isinstance(outcome, TooManyAttempts) for outcome in outcomes), outcomes
    engine.dispose()


def test_a_bag_still_waiting_after_its_collect_by_day_is_overdue_by_the_sites_hold_days(
    engine: Engine, now: dt.datetime
) -> None:
    world = make_world(engine, now=now)
    order_id = add_order(engine, world, now=now, number="N1", code="B1")
    add_order(engine, world, now=now, number="N2", code="B2")  # never arrives
    with unit_of_work(engine) as session:
        receive_order(session, order_id=order_id, volunteer_id=world.volunteer_id, now=now)
        session.execute(
            SiteRules.__table__.update()
            .where(SiteRules.site_id == world.site_id)
            .values(hold_days=2, chilled_hold_days=2, frozen_hold_days=2)
        )

    last_day = look(engine, world.site_id, code="B1", now=now).collect_by
    assert last_day == now.date() + dt.timedelta(days=1)  # two hold days, the delivery day counting as one
    on_the_day = look(engine, world.site_id, code="B1", now=local_moment(last_day, dt.time(23, 59)))
    assert (on_the_day.state, on_the_day.overdue, on_the_day.hold_days) == ("ready", False, 2)
    the_day_after = local_moment(last_day + dt.timedelta(days=1), dt.time(0, 1))
    late = look(engine, world.site_id, code="B1", now=the_day_after)
    assert (late.state, late.overdue, late.collect_by) == ("ready", True, last_day)
    assert look(engine, world.site_id, code="B2", now=the_day_after).overdue
    with unit_of_work(engine) as session:
        hand_over(session, order_id=order_id, volunteer_id=world.volunteer_id, now=the_day_after)
    assert not look(engine, world.site_id, code="B1", now=the_day_after).overdue
