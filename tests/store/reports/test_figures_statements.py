"""The KPI figures of a district cost a fixed number of SQL statements, whatever its number of sites, units and
readings (issue 12: district scale); the figures stay those the single-site rules give."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from db.cold_chain.temperatures import correct_temperature, list_due_readings, record_temperature
from db.cold_chain.units import create_storage_unit, list_cold_units
from db.core.engine import read_only, unit_of_work
from db.core.models import Site
from db.orders.lifecycle import ItemSpec, create_order, hand_over, receive_order
from db.people.accounts import create_volunteer
from db.people.sites import create_site
from db.reports.figures import district_frame, list_site_figures, total_figures
from db.roster.shifts import check_in, create_shift, sign_up
from tests.support.town import NOW, D, at

TODAY = D(2026, 11, 25)


def add_sites(engine: Engine, *, first: int, count: int) -> None:
    """Sites with a fridge, a freezer and a shelf, two orders (one handed over), a volunteer on duty and the
    morning's readings: every third site's freezer is out of range, every fourth site's fridge was never read."""
    with unit_of_work(engine) as session:
        for number in range(first, first + count):
            site = create_site(session, code=f"S{number:03d}", name=f"点{number}", now=at(20, 8))
            volunteer = create_volunteer(
                session, site_id=site.id, name=f"志愿者{number}", roles=["handout", "receiving"], now=at(20, 8)
            )
            units = {
                kind: create_storage_unit(
                    session, site_id=site.id, code=code, name=code, kind=kind, slot_count=3, now=at(20, 8)
                ).id
                for code, kind in (("F1", "fridge"), ("Z1", "freezer"), ("S1", "shelf"))
            }
            for suffix in ("a", "b"):
                order = create_order(
                    session,
                    site_id=site.id,
                    platform="多多买菜",
                    order_number=f"{number}{suffix}",
                    pickup_code=f"{number}-{suffix}",
                    resident_name="李四",
                    phone="13800138000",
                    delivery_date=TODAY,
                    items=[ItemSpec("商品", 1, "ambient")],
                    now=at(20, 8),
                )
                receive_order(session, order_id=order.id, volunteer_id=volunteer.id, now=at(25, 8))
                if suffix == "a":
                    hand_over(session, order_id=order.id, volunteer_id=volunteer.id, now=at(25, 9))
            if number % 4:
                reading = record_temperature(
                    session,
                    storage_unit_id=units["fridge"],
                    reading_c=12.0,
                    volunteer_id=volunteer.id,
                    now=at(25, 8),
                    corrective_action="再看一遍",
                )
                correct_temperature(
                    session,
                    reading_id=reading.id,
                    reading_c=4.0,
                    volunteer_id=volunteer.id,
                    reason="看错了",
                    now=at(25, 8, 5),
                )
            freezer = -25.0 if number % 3 else -10.0
            record_temperature(
                session,
                storage_unit_id=units["freezer"],
                reading_c=freezer,
                volunteer_id=volunteer.id,
                now=at(25, 8),
                corrective_action=None if number % 3 else "门没关好",
            )
            shift = create_shift(
                session,
                site_id=site.id,
                role="handout",
                starts_at=at(25, 9),
                ends_at=at(25, 12),
                min_staff=1,
                max_staff=2,
                now=at(24, 12),
            )
            check_in(
                session,
                assignment_id=sign_up(session, shift_id=shift.id, volunteer_id=volunteer.id, now=NOW).id,
                now=NOW,
            )


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """Every statement the engine sends while the block runs."""
    statements: list[str] = []

    def count(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_for(engine: Engine, read: Callable[[Any, list[int]], object]) -> int:
    with read_only(engine) as session:
        site_ids = list(session.scalars(select(Site.id).order_by(Site.id)))
    with counted(engine) as statements, read_only(engine) as session:
        read(session, site_ids)
    return len(statements)


def district(session: Any, site_ids: list[int]) -> object:
    figures = list_site_figures(session, site_ids=site_ids, day=TODAY, now=NOW)
    return district_frame(figures, sort_by="cold_excursion"), total_figures(figures)


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(
            lambda session, site_ids: list_site_figures(session, site_ids=site_ids, day=TODAY, now=NOW), id="figures"
        ),
        pytest.param(district, id="district"),
    ],
)
def test_the_district_figures_take_as_many_statements_at_20_sites_as_at_5(engine: Engine, read):
    add_sites(engine, first=1, count=5)
    at_5 = statements_for(engine, read)
    add_sites(engine, first=6, count=15)
    at_20 = statements_for(engine, read)
    assert at_5 == at_20
    # A handful of grouped statements, not one or more per site or unit (the sites' calendars, for the overdue
    # card, are one of them).
    assert at_20 <= 16


def test_the_district_figures_are_the_single_site_rules(engine: Engine):
    add_sites(engine, first=1, count=12)
    with read_only(engine) as session:
        site_ids = list(session.scalars(select(Site.id).order_by(Site.id)))
        figures = list_site_figures(session, site_ids=site_ids, day=TODAY, now=NOW)
        for site_id, site in zip(site_ids, figures, strict=True):
            assert [site] == list_site_figures(session, site_ids=[site_id], day=TODAY, now=NOW)
            due = list_due_readings(session, site_id=site_id, now=NOW)
            excursion = {item.storage_unit_id for item in due if item.kind == "follow_up"}
            missing = {item.storage_unit_id for item in due if item.kind == "scheduled"} - excursion
            units = len(list_cold_units(session, site_id=site_id))
            assert (site.cold_in_range, site.cold_excursion, site.cold_missing) == (
                units - len(excursion) - len(missing),
                len(excursion),
                len(missing),
            )
    by_code = {site.code: site for site in figures}
    # S003: freezer out of range; S004: fridge never read (missing); S012: both; S001: all in range.
    assert (by_code["S001"].cold_in_range, by_code["S001"].cold_excursion, by_code["S001"].cold_missing) == (2, 0, 0)
    assert (by_code["S003"].cold_in_range, by_code["S003"].cold_excursion, by_code["S003"].cold_missing) == (1, 1, 0)
    assert (by_code["S004"].cold_in_range, by_code["S004"].cold_excursion, by_code["S004"].cold_missing) == (1, 0, 1)
    assert (by_code["S012"].cold_in_range, by_code["S012"].cold_excursion, by_code["S012"].cold_missing) == (0, 1, 1)
    total = total_figures(figures)
    assert (total.received, total.handed_over, total.on_shelves, total.on_duty) == (24, 12, 12, 12)
    assert (total.cold_excursion, total.cold_missing) == (4, 3)
