"""The charts cost a fixed number of statements, however many sites the store holds or the district view asks
for: counted with a `before_cursor_execute` listener at 5 and at 50 sites, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from db.cold_chain.units import create_storage_unit
from db.core.clock import local_today
from db.core.engine import unit_of_work
from db.orders.lifecycle import ItemSpec, create_order, hand_over, receive_order
from db.people.accounts import create_volunteer
from db.people.sites import create_site
from db.reports.figures import (
    delivery_funnel_frame,
    district_pickups_by_day_frame,
    dwell_by_class_frame,
    handover_speed_frame,
    pickups_by_day_frame,
    pickups_by_hour_frame,
    pickups_by_weekday_hour_frame,
)

NOW = dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)
TODAY = local_today(NOW)
FIRST = TODAY - dt.timedelta(days=13)


def _add_sites(engine: Engine, *, count: int, first: int) -> list[int]:
    """`count` sites, each with one bag checked in yesterday and handed over today."""
    site_ids = []
    with unit_of_work(engine) as session:
        for number in range(first, first + count):
            site = create_site(session, code=f"Q{number}", name=f"第{number}点", now=NOW)
            volunteer = create_volunteer(session, site_id=site.id, name="王阿姨", roles=["handout"], now=NOW)
            create_storage_unit(session, site_id=site.id, code="S1", name="货架", kind="shelf", slot_count=2, now=NOW)
            order = create_order(
                session,
                site_id=site.id,
                platform="多多买菜",
                order_number=f"O{number}",
                pickup_code=f"P{number}",
                resident_name="李四",
                phone="13800138000",
                delivery_date=TODAY - dt.timedelta(days=1),
                items=[ItemSpec("大米", 1, "ambient")],
                now=NOW - dt.timedelta(days=1),
            )
            receive_order(session, order_id=order.id, volunteer_id=volunteer.id, now=NOW - dt.timedelta(hours=20))
            hand_over(session, order_id=order.id, volunteer_id=volunteer.id, now=NOW)
            site_ids.append(site.id)
    return site_ids


def _charts(site_ids: list[int]) -> dict[str, Callable[[Session], Any]]:
    site_id = site_ids[0]
    return {
        "pickups_by_day": lambda s: pickups_by_day_frame(s, site_id=site_id, start=FIRST, end=TODAY),
        "pickups_by_hour": lambda s: pickups_by_hour_frame(s, site_id=site_id, day=TODAY),
        "weekday_hour": lambda s: pickups_by_weekday_hour_frame(s, site_id=site_id, start=FIRST, end=TODAY),
        "funnel": lambda s: delivery_funnel_frame(s, site_id=site_id, delivery_date=TODAY - dt.timedelta(days=1)),
        "speed": lambda s: handover_speed_frame(s, site_id=site_id, start=FIRST, end=TODAY, now=NOW),
        "dwell": lambda s: dwell_by_class_frame(s, site_id=site_id, start=FIRST, end=TODAY),
        "district": lambda s: district_pickups_by_day_frame(s, site_ids=site_ids, start=FIRST, end=TODAY),
    }


def _statements(engine: Engine, site_ids: list[int]) -> tuple[dict[str, int], Any]:
    counted: dict[str, int] = {}
    district = None
    for name, chart in _charts(site_ids).items():
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any, into: list[str] = statements) -> None:
            into.append(statement)

        with unit_of_work(engine) as session:
            session.connection()  # the transaction's own BEGIN is not the chart's
            event.listen(engine, "before_cursor_execute", count)
            try:
                frame = chart(session)
            finally:
                event.remove(engine, "before_cursor_execute", count)
        assert not frame.empty, name
        counted[name] = len(statements)
        if name == "district":
            district = frame
    return counted, district


def test_chart_statements_do_not_grow_with_the_sites(engine: Engine) -> None:
    five = _add_sites(engine, count=5, first=1)
    at_five, district_five = _statements(engine, five)
    fifty = five + _add_sites(engine, count=45, first=6)
    at_fifty, district_fifty = _statements(engine, fifty)
    assert at_five == at_fifty
    # The district's pickups per day of every site in one grouped statement.
    assert at_fifty["district"] == 1
    assert max(at_fifty.values()) <= 2
    assert len(district_five) == 5 and len(district_fifty) == 50
    assert set(district_fifty["code"]) == {f"Q{number}" for number in range(1, 51)}
