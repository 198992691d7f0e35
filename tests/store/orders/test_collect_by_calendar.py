"""A collect-by day that falls on a closed day (a closed date or a closed weekday) runs on to the next open day, the
same everywhere a bag's collect-by day or overdue state is read: the desk's search, the residents' page, the
notices, the overdue list, the call list and the stock card (SQLite and PostgreSQL). Overdue stays one
delivery-date cutoff per storage class (db.people.opening_hours.OpenDays.overdue_from)."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest
from sqlalchemy import Engine, select

from db.core.clock import local_moment
from db.core.engine import read_only, unit_of_work
from db.core.models import Order
from db.orders.calls import list_overdue_calls
from db.orders.lifecycle import (
    ItemSpec,
    class_hold_days,
    collect_by,
    create_order,
    find_orders,
    hold_days_of,
    receive_order,
)
from db.orders.notices import arrivals_notice, overdue_notice
from db.orders.residents import lookup_order_status
from db.orders.review import OrderFilter, days_overdue, list_orders
from db.people.opening_hours import OpenDays, WeekdayRule
from db.people.site_rules import add_closed_days, update_site_rules
from db.people.sites import get_site_rules
from db.reports.figures import list_site_figures, overdue_cutoff
from tests.support.town import NOW, D, Town, build_town

SATURDAY = 5
CODE, PHONE = "9-901", "13900009901"


@pytest.fixture
def town(engine: Engine) -> Town:
    """The town, with a bag delivered Wednesday the 25th (held 3 days: collect by Friday the 27th), Friday the 27th
    a closed date and Saturdays closed: the bag may be collected until Sunday the 29th."""
    town = build_town(engine)
    with unit_of_work(engine) as session:
        order = create_order(
            session,
            site_id=town.site_id,
            platform="多多买菜",
            order_number="cal1",
            pickup_code=CODE,
            resident_name="王秀英",
            phone=PHONE,
            address="7号楼301",
            delivery_date=D(2026, 11, 25),
            items=[ItemSpec("米", 1, "ambient")],
            now=NOW,
        )
        receive_order(session, order_id=order.id, volunteer_id=town.organizer_id, now=NOW)
        update_site_rules(
            session,
            site_id=town.site_id,
            changes={"weekday_hours": {SATURDAY: WeekdayRule(closed=True)}},
            actor_id=town.organizer_id,
            now=NOW,
        )
        add_closed_days(
            session,
            site_id=town.site_id,
            first=D(2026, 11, 27),
            last=None,
            note="",
            actor_id=town.organizer_id,
            now=NOW,
        )
    return town


def noon(day: dt.date) -> dt.datetime:
    return local_moment(day, dt.time(12, 0))


def seen(engine: Engine, town: Town, day: dt.date) -> dict[str, object]:
    """What each reader says of the bag on `day`."""
    now = noon(day)
    with unit_of_work(engine) as session:
        holds = class_hold_days(get_site_rules(session, site_id=town.site_id))
        (found,) = find_orders(session, site_id=town.site_id, text=CODE, now=now, hold_days=holds)
        status = lookup_order_status(
            session, site_id=town.site_id, pickup_code=CODE, phone_tail=PHONE[-4:], client="203.0.113.9", now=now
        )
        listed = list_orders(session, site_id=town.site_id, now=now, filters=OrderFilter(overdue_only=True))
        calls = list_overdue_calls(session, site_id=town.site_id, now=now, reveal_phone=False)
        notice = overdue_notice(session, site_id=town.site_id, now=now)
        (figures,) = list_site_figures(session, site_ids=[town.site_id], day=day, now=now)
    assert status is not None
    return {
        "desk": found.overdue,
        "residents": (status.collect_by, status.overdue),
        "orders": CODE in set(listed["pickup_code"]),
        "calls": any(bag.pickup_code == CODE for resident in calls for bag in resident.bags),
        "notice": any(line.order_id == found.id for lines in notice.buildings.values() for line in lines),
        "card": figures.overdue,
    }


def test_a_collect_by_day_on_closed_days_runs_on_to_the_next_open_day_everywhere(engine: Engine, town: Town):
    with read_only(engine) as session:
        notice = arrivals_notice(session, site_id=town.site_id, day=D(2026, 11, 25))
        order_id = session.scalar(select(Order.id).where(Order.pickup_code == CODE))
    assert {line.collect_by for lines in notice.buildings.values() for line in lines if line.order_id == order_id} == {
        D(2026, 11, 29)
    }
    # Friday (closed date), Saturday (closed weekday), Sunday (open, the collect-by day): not overdue.
    on_time = seen(engine, town, D(2026, 11, 29))
    for day in (D(2026, 11, 27), D(2026, 11, 28)):
        assert {**seen(engine, town, day), "card": None} == {**on_time, "card": None}
    assert on_time["desk"] is False
    assert on_time["residents"] == (D(2026, 11, 29), False)
    assert (on_time["orders"], on_time["calls"], on_time["notice"]) == (False, False, False)
    # Monday: overdue for every reader, one more bag on the card.
    late = seen(engine, town, D(2026, 11, 30))
    assert late["desk"] is True
    assert late["residents"] == (D(2026, 11, 29), True)
    assert (late["orders"], late["calls"], late["notice"]) == (True, True, True)
    assert late["card"] == on_time["card"] + 1


def test_a_closed_collect_by_day_is_not_counted_overdue_and_days_overdue_count_from_the_day_it_ran_on_to(
    engine: Engine, town: Town
):
    with read_only(engine) as session:
        hold = hold_days_of(class_hold_days(get_site_rules(session, site_id=town.site_id)), "ambient")
    delivered = D(2026, 11, 25)
    assert collect_by(delivery_date=delivered, hold_days=hold) == D(2026, 11, 29)
    assert collect_by(delivery_date=delivered, hold_days=3) == D(2026, 11, 27)  # a plain number: calendar days
    days = (D(2026, 11, 29), D(2026, 11, 30), D(2026, 12, 1))
    assert [days_overdue(delivery_date=delivered, hold_days=hold, today=day) for day in days] == [0, 1, 2]
    # The delivery-date cutoffs say the same. On Monday the 30th, bags delivered up to the 27th (collect by Sunday at
    # the latest) are overdue, the 28th's (collect by Monday) not; on Sunday the 29th, the 25th's (collect by the
    # 27th, closed: Sunday) is not yet, the 24th's (collect by Thursday the 26th) is.
    assert overdue_cutoff(day=D(2026, 11, 30), hold_days=hold) == D(2026, 11, 28)
    assert overdue_cutoff(day=D(2026, 11, 29), hold_days=hold) == D(2026, 11, 25)


@pytest.mark.parametrize("seed", range(20))
def test_the_overdue_cutoff_is_the_collect_by_rule(seed: int):
    """For any calendar, hold and day: collect_by(d) < today ⇔ d < overdue_from(today) − (hold − 1), the one
    delivery-date range the (site, status, delivery date) index serves."""
    chance = random.Random(seed)
    start = D(2026, 11, 1)
    calendar = OpenDays(
        closed_weekdays=frozenset(chance.sample(range(7), chance.randint(0, 6))),
        closed_dates=frozenset(start + dt.timedelta(days=chance.randrange(60)) for _ in range(chance.randint(0, 15))),
    )
    for hold, offset, age in itertools.product(range(1, 6), range(10, 50), range(0, 12)):
        today = start + dt.timedelta(days=offset)
        delivered = today - dt.timedelta(days=age)
        last_day = calendar.next_open(delivered + dt.timedelta(days=hold - 1))
        assert calendar.is_open(last_day)
        cutoff = calendar.overdue_from(today) - dt.timedelta(days=hold - 1)
        assert (last_day < today) == (delivered < cutoff), (calendar, hold, today, delivered)


def test_a_site_closed_on_every_weekday_keeps_calendar_days():
    calendar = OpenDays(closed_weekdays=frozenset(range(7)))
    assert calendar.next_open(D(2026, 11, 27)) == D(2026, 11, 27)
    assert calendar.overdue_from(D(2026, 11, 27)) == D(2026, 11, 27)
