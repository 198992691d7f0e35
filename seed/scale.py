"""District-scale benchmark data: many sites with months of orders, planned like the demo and written in bulk."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from faker import Faker
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.cold_chain.units import MAX_SLOTS_PER_UNIT, create_storage_unit
from db.core.clock import local_moment
from db.core.engine import unit_of_work
from db.core.migrate import refresh_statistics, upgrade_to_head
from db.core.models import Site
from db.people.accounts import create_volunteer, hash_secret
from db.people.sites import create_site, get_site_rules
from seed.bulk import (
    BATCH_SIZE,
    BULK_TABLES,
    rollup_site_in_bulk,
    slot_ids_by_code,
    sqlite_bulk_pragmas,
    sqlite_indexes_set_aside,
    write_plans_in_bulk,
)
from seed.demo import DEMO_PIN, DEMO_TIME, make_residents
from seed.plan import WEEKDAY_VOLUME, Habits, daily_volumes, plan_orders, slot_layout

VOLUNTEERS_PER_SITE = 8
# Share of bags per storage class (the coldest item decides) and how many days' bags a unit must hold at peak.
CLASS_SHARES = {"ambient": 0.38, "chilled": 0.42, "frozen": 0.22}
PEAK_DAYS_OF_BAGS = 2.2
# How much sites differ in size: the standard deviation of the log of a site's mean orders per day over the asked one.
SIZE_SPREAD = 0.35
UNIT_PREFIX = {
    "ambient": ("S", "shelf", "常温货架"),
    "chilled": ("F", "fridge", "冷藏柜"),
    "frozen": ("Z", "freezer", "冷冻柜"),
}


@dataclass(frozen=True)
class ScaleResult:
    sites: int
    orders: int
    items: int
    seconds: float

    @property
    def orders_per_second(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0


def build_scale(
    engine: Engine,
    *,
    sites: int,
    days: int,
    orders_per_day: int,
    today: dt.date,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
    report: Callable[[str], None] | None = None,
) -> ScaleResult:
    """Add `sites` new sites, each with `days` days of orders ending today (around `orders_per_day` a day: sites
    differ in size and habits, days in volume) and tomorrow's lists already imported.

    Sites, units, slots and volunteers go through the store's functions (few rows); orders and items
    are planned by `seed.plan.plan_orders` and written by `seed.bulk.write_plans_in_bulk` (no events).
    """
    upgrade_to_head(engine)
    started = time.perf_counter()
    orders = items = 0
    pin_hash = hash_secret(DEMO_PIN)
    now = local_moment(today, DEMO_TIME)
    codes = _free_site_codes(engine, count=sites)
    first_day, last_day = today - dt.timedelta(days=days - 1), today + dt.timedelta(days=1)
    profiles = [
        _site_profile(
            random.Random(f"cloudbasket-scale-site:{seed}:{today.toordinal()}:{index}"),
            orders_per_day=orders_per_day,
            weather=f"scale:{seed}",
            first_day=first_day,
            last_day=last_day,
        )
        for index in range(len(codes))
    ]
    total = sum(sum(profile.volumes.values()) for profile in profiles)
    new_site_ids: list[int] = []
    with sqlite_indexes_set_aside(engine, tables=BULK_TABLES):
        for index, code in enumerate(codes):
            rng = random.Random(f"cloudbasket-scale:{seed}:{today.toordinal()}:{index}")
            faker = Faker("zh_CN")
            faker.seed_instance(rng.randrange(2**32))
            with unit_of_work(engine) as session:
                site_id, volunteer_ids = _set_up_site(
                    session,
                    code=code,
                    faker=faker,
                    orders_per_day=profiles[index].mean,
                    pin_hash=pin_hash,
                    opened=local_moment(today - dt.timedelta(days=days + 7), dt.time(10, 0)),
                )
                layout = slot_layout(session, site_id=site_id)
                slot_ids = slot_ids_by_code(session, site_id=site_id)
                hold_days = get_site_rules(session, site_id=site_id).hold_days
            profile = profiles[index]
            plans = plan_orders(
                rng,
                residents=make_residents(faker, rng, count=min(3000, max(100, round(profile.mean * 2)))),
                layout=layout,
                first_day=first_day,
                # Tomorrow's lists too: imported at `now`, as the demo does (seed.plan.plan_orders).
                last_day=last_day,
                daily_volume=profile.volumes.__getitem__,
                now=now,
                hold_days=hold_days,
                volunteer_count=len(volunteer_ids),
                order_prefix=f"{code}-",
                habits=profile.habits,
            )
            done_before = orders

            def progress(
                site_orders: int, _site_items: int, *, code: str = code, done_before: int = done_before
            ) -> None:
                if report is None:
                    return
                done = done_before + site_orders
                elapsed = time.perf_counter() - started
                report(
                    f"{code}: {done:,}/{total:,} orders ({100 * done / total:.0f}%), {elapsed:.1f} s, "
                    f"{done / elapsed:,.0f} orders/s"
                )

            with engine.connect() as connection:
                sqlite_bulk_pragmas(connection)
                try:
                    site_orders, site_items = write_plans_in_bulk(
                        connection,
                        plans=plans,
                        site_id=site_id,
                        slot_ids=slot_ids,
                        volunteer_ids=volunteer_ids,
                        batch_size=batch_size,
                        progress=progress,
                    )
                finally:
                    sqlite_bulk_pragmas(connection, bulk=False)
            new_site_ids.append(site_id)
            orders += site_orders
            items += site_items
    # The rollups count the new sites' orders once their indexes are back: one grouped read per site and table.
    with engine.connect() as connection:
        sqlite_bulk_pragmas(connection)
        try:
            for site_id in new_site_ids:
                rollup_site_in_bulk(connection, site_id=site_id)
        finally:
            sqlite_bulk_pragmas(connection, bulk=False)
    refresh_statistics(engine)
    return ScaleResult(sites=len(codes), orders=orders, items=items, seconds=time.perf_counter() - started)


@dataclass(frozen=True)
class _SiteProfile:
    mean: float
    habits: Habits
    volumes: dict[dt.date, int]


def _site_profile(
    rng: random.Random, *, orders_per_day: int, weather: str, first_day: dt.date, last_day: dt.date
) -> _SiteProfile:
    """Sites differ: in size (around `orders_per_day`), in their weekday pattern a little, in how much their days
    swing, and in their households' habits. They share the district's weather."""
    size = min(2.5, max(0.4, rng.lognormvariate(-(SIZE_SPREAD**2) / 2, SIZE_SPREAD)))
    weekday = [factor * rng.uniform(0.95, 1.05) for factor in WEEKDAY_VOLUME]
    habits = Habits(
        weekday_volume=tuple(7 * factor / sum(weekday) for factor in weekday),
        swing=rng.uniform(0.08, 0.16),
        promotion_rate=rng.uniform(0.02, 0.06),
        lull_rate=rng.uniform(0.01, 0.04),
        prompt_share=rng.uniform(0.45, 0.72),
        late_share=rng.uniform(0.05, 0.16),
        daytime_share=rng.uniform(0.15, 0.45),
        lunch_share=rng.uniform(0.05, 0.18),
        weather=weather,
    )
    volume = daily_volumes(random.Random(rng.random()), mean=orders_per_day * size, habits=habits)
    volumes = {}
    day = first_day
    while day <= last_day:
        volumes[day] = volume(day)
        day += dt.timedelta(days=1)
    return _SiteProfile(mean=orders_per_day * size, habits=habits, volumes=volumes)


def _free_site_codes(engine: Engine, *, count: int) -> list[str]:
    """SC0001, SC0002, … skipping codes a previous run already used."""
    with unit_of_work(engine) as session:
        taken = set(session.scalars(select(Site.code)))
    codes: list[str] = []
    number = 1
    while len(codes) < count:
        code = f"SC{number:04d}"
        if code not in taken:
            codes.append(code)
        number += 1
    return codes


def _set_up_site(
    session: Session, *, code: str, faker: Faker, orders_per_day: float, pin_hash: str, opened: dt.datetime
) -> tuple[int, list[int]]:
    site = create_site(session, code=code, name=f"压测提货点 {code}", address=faker.address(), now=opened)
    for storage_class, share in CLASS_SHARES.items():
        prefix, kind, label = UNIT_PREFIX[storage_class]
        slots_needed = math.ceil(orders_per_day * share * PEAK_DAYS_OF_BAGS) + 20
        units = math.ceil(slots_needed / MAX_SLOTS_PER_UNIT)
        for number in range(1, units + 1):
            create_storage_unit(
                session,
                site_id=site.id,
                code=f"{prefix}{number}",
                name=f"{label} {number}号",
                kind=kind,
                slot_count=math.ceil(slots_needed / units),
                now=opened,
            )
    volunteers = [
        create_volunteer(
            session,
            site_id=site.id,
            name=faker.unique.name(),
            phone=faker.phone_number(),
            roles=("receiving", "handout", "cold_check"),
            pin_hash=pin_hash,
            now=opened,
        )
        for _ in range(VOLUNTEERS_PER_SITE)
    ]
    return site.id, [volunteer.id for volunteer in volunteers]
