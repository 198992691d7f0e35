"""Small worlds for store tests: a site with units, a volunteer, and orders built through the store."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from db.cold_chain.units import create_storage_unit
from db.core.engine import unit_of_work
from db.orders.lifecycle import ItemSpec, create_order
from db.people.accounts import Client, create_volunteer
from db.people.devices import enroll_tablet
from db.people.sites import create_site


@dataclass(frozen=True)
class World:
    site_id: int
    volunteer_id: int
    other_volunteer_id: int


def make_world(engine: Engine, *, now: dt.datetime, fridge_slots: int = 2, shelf_slots: int = 3) -> World:
    with unit_of_work(engine) as session:
        site = create_site(session, code="TS2", name="天山二村", now=now)
        volunteer = create_volunteer(session, site_id=site.id, name="王阿姨", roles=["handout", "receiving"], now=now)
        other = create_volunteer(session, site_id=site.id, name="张叔叔", roles=["handout"], now=now)
        create_storage_unit(
            session, site_id=site.id, code="F1", name="冷藏柜", kind="fridge", slot_count=fridge_slots, now=now
        )
        create_storage_unit(session, site_id=site.id, code="Z1", name="冷冻柜", kind="freezer", slot_count=1, now=now)
        create_storage_unit(
            session, site_id=site.id, code="S1", name="货架", kind="shelf", slot_count=shelf_slots, now=now
        )
        return World(site_id=site.id, volunteer_id=volunteer.id, other_volunteer_id=other.id)


def add_order(
    engine: Engine,
    world: World,
    *,
    now: dt.datetime,
    number: str,
    code: str,
    classes: tuple[str, ...] = ("ambient",),
) -> int:
    with unit_of_work(engine) as session:
        order = create_order(
            session,
            site_id=world.site_id,
            platform="多多买菜",
            order_number=number,
            pickup_code=code,
            resident_name="李四",
            phone="+86 138-0013-8000",
            delivery_date=now.date(),
            items=[ItemSpec(f"商品{i}", 1, storage_class) for i, storage_class in enumerate(classes)],
            now=now,
        )
        return order.id


def run_at_once(*calls: Callable[[], object]) -> list[object]:
    """Start every call in its own thread at the same moment; return each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as error:  # the caller inspects what each thread met
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


# The pickup point's network address: the counter tablet and, in some tests, a guesser share it.
COUNTER_ADDRESS = "198.51.100.7"


def enrolled_tablet(engine: Engine, *, site_id: int, now: dt.datetime, name: str = "取货台平板 1") -> Client:
    """A counter tablet an organizer enrolled, as the sign-in sees it: the address and the device cookie's token."""
    with unit_of_work(engine) as session:
        token = enroll_tablet(session, site_id=site_id, name=name, actor_id=None, now=now)
    return Client(address=COUNTER_ADDRESS, device_token=token)
