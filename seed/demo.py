"""The demo pickup point 天山二村 (TS2): two weeks of life ending today, built with the store's own functions."""

from __future__ import annotations

import datetime as dt
import random
import time

from faker import Faker
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.cold_chain.temperatures import record_temperature
from db.cold_chain.units import create_storage_unit
from db.core.clock import local_moment, to_local
from db.core.engine import unit_of_work
from db.core.models import Shift, StorageUnit
from db.people.accounts import create_organizer_account, create_volunteer, hash_secret
from db.people.sites import SiteInfo, count_sites, create_site, get_site, get_site_rules
from db.roster.shifts import check_in, check_out, create_shift_template, generate_shifts, mark_no_show, sign_up
from seed.plan import Resident, apply_plan_through_store, daily_volumes, plan_orders, slot_layout

SITE_CODE = "TS2"
SITE_NAME = "天山二村买菜点"
SITE_ADDRESS = "上海市长宁区天山路600弄天山二村3号楼底层"
DEMO_PIN = "2468"
ORGANIZER_USERNAME = "organizer"
ORGANIZER_PASSWORD = "basket-demo"
DAYS_OF_ORDERS = 14
ORDERS_PER_DAY = 36
RESIDENTS = 160
# The simulated moment the demo ends at: the morning check-in is under way, residents have not come yet.
DEMO_TIME = dt.time(9, 0)
UNITS = (
    ("F1", "冷藏柜 1号", "fridge", 40),
    ("Z1", "冷冻柜 1号", "freezer", 30),
    ("S1", "常温货架 1号", "shelf", 60),
    ("S2", "常温货架 2号", "shelf", 60),
)
# Roles of the 22 demo volunteers: receivers in the morning, who also keep the desk in the daytime (retired
# neighbours, mostly), handout in the evening, a few cold checkers.
VOLUNTEER_ROLES = (
    [("receiving", "cold_check")] * 4
    + [("receiving", "handout")] * 6
    + [("handout", "cold_check")] * 3
    + [("handout",)] * 9
)
# (starts, ends, role, min staff, max staff) for every day of the roster: the desk is open from 07:30, so one
# volunteer keeps it through the morning and one through the afternoon, two or three in the evening rush.
SHIFT_PATTERN = (
    (dt.time(7, 30), dt.time(9, 30), "receiving", 1, 2),
    (dt.time(7, 30), dt.time(12, 0), "handout", 1, 1),
    (dt.time(12, 0), dt.time(16, 0), "handout", 1, 1),
    (dt.time(16, 0), dt.time(18, 30), "handout", 2, 3),
    (dt.time(18, 30), dt.time(21, 0), "handout", 2, 3),
    (dt.time(20, 30), dt.time(21, 0), "cold_check", 1, 1),
)
MAX_SHIFTS_PER_WEEK = 4
EXCURSION_C = 11.5
EXCURSION_ACTION = "门未关严，已调整并转移货品"
# A PostgreSQL advisory lock key: two app processes filling an empty database take turns.
DEMO_SEED_LOCK = 7_242_025
# How long a second process starting on the same empty SQLite file keeps asking while the first builds the demo.
DEMO_SEED_WAIT = dt.timedelta(minutes=3)


def seed_demo(engine: Engine, *, today: dt.date, seed: int = 0) -> SiteInfo:
    """Fill the demo pickup point in one transaction; the same seed and day give the same data."""
    with unit_of_work(engine) as session:
        return fill_demo(session, today=today, seed=seed)


def seed_demo_if_empty(engine: Engine, *, today: dt.date) -> bool:
    """Fill the demo only when the database has no site yet; returns whether it did.

    The check and the filling share one transaction: on SQLite it begins IMMEDIATE, so a second
    process waits and then finds the site; on PostgreSQL an advisory lock makes it wait likewise.
    SQLite's busy timeout bounds one wait, and on a loaded machine the demo may take longer to build: the waiter
    then asks again, for up to DEMO_SEED_WAIT in all.
    """
    deadline = time.monotonic() + DEMO_SEED_WAIT.total_seconds()
    while True:
        try:
            return _seed_demo_once(engine, today=today)
        except OperationalError as error:
            locked = engine.dialect.name == "sqlite" and "locked" in str(error.orig)
            if not locked or time.monotonic() > deadline:
                raise


def _seed_demo_once(engine: Engine, *, today: dt.date) -> bool:
    with unit_of_work(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": DEMO_SEED_LOCK})
        if count_sites(session):
            return False
        fill_demo(session, today=today)
        return True


def fill_demo(session: Session, *, today: dt.date, seed: int = 0) -> SiteInfo:
    rng = random.Random(f"cloudbasket-demo:{seed}:{today.toordinal()}")
    faker = Faker("zh_CN")
    faker.seed_instance(rng.randrange(2**32))
    now = local_moment(today, DEMO_TIME)
    first_day = today - dt.timedelta(days=DAYS_OF_ORDERS - 1)
    monday = today - dt.timedelta(days=today.weekday())
    opened = local_moment(min(first_day, monday - dt.timedelta(days=7)) - dt.timedelta(days=3), dt.time(10, 0))

    site = create_site(session, code=SITE_CODE, name=SITE_NAME, address=SITE_ADDRESS, now=opened)
    pin_hash = hash_secret(DEMO_PIN)
    organizer = create_volunteer(
        session,
        site_id=site.id,
        name=faker.unique.name(),
        phone=faker.phone_number(),
        roles=("organizer", "receiving", "handout", "cold_check"),
        pin_hash=pin_hash,
        now=opened,
    )
    create_organizer_account(
        session,
        volunteer_id=organizer.id,
        username=ORGANIZER_USERNAME,
        password=ORGANIZER_PASSWORD,
        now=opened,
        actor_id=organizer.id,
    )
    volunteers = [
        create_volunteer(
            session,
            site_id=site.id,
            name=faker.unique.name(),
            phone=faker.phone_number(),
            roles=roles,
            pin_hash=pin_hash,
            now=opened,
            actor_id=organizer.id,
        )
        for roles in VOLUNTEER_ROLES
    ]
    units = [
        create_storage_unit(
            session,
            site_id=site.id,
            code=code,
            name=name,
            kind=kind,
            slot_count=slots,
            now=opened,
            actor_id=organizer.id,
        )
        for code, name, kind, slots in UNITS
    ]

    residents = make_residents(faker, rng, count=RESIDENTS)
    hold_days = get_site_rules(session, site_id=site.id).hold_days
    volume_rng = random.Random(rng.random())
    plans = list(
        plan_orders(
            rng,
            residents=residents,
            layout=slot_layout(session, site_id=site.id),
            first_day=first_day,
            # Tomorrow's list too: the platforms send it this evening, and the demo imports it at its own `now`.
            last_day=today + dt.timedelta(days=1),
            daily_volume=daily_volumes(volume_rng, mean=ORDERS_PER_DAY),
            now=now,
            hold_days=hold_days,
            volunteer_count=len(volunteers),
        )
    )
    apply_plan_through_store(session, plans=plans, site_id=site.id, volunteer_ids=[v.id for v in volunteers])

    cold_checkers = [v.id for v, roles in zip(volunteers, VOLUNTEER_ROLES, strict=True) if "cold_check" in roles]
    cold_units = [unit for unit in units if unit.kind != "shelf"]
    _record_temperatures(
        session, rng, units=cold_units, volunteer_ids=cold_checkers, first_day=first_day, today=today, now=now
    )
    roles_by_id = {v.id: set(roles) for v, roles in zip(volunteers, VOLUNTEER_ROLES, strict=True)}
    _build_roster(
        session,
        rng,
        site_id=site.id,
        organizer_id=organizer.id,
        roles_by_id=roles_by_id,
        first_monday=monday - dt.timedelta(days=7),
        weeks=3,
        now=now,
    )
    return get_site(session, site_id=site.id)


def make_residents(faker: Faker, rng: random.Random, *, count: int) -> list[Resident]:
    """Neighbours who order again and again: name, 11-digit mobile, flat in the estate (12号302室)."""
    residents = []
    for _ in range(count):
        address = f"{rng.randint(1, 60)}号{rng.randint(1, 6)}{rng.randint(1, 4):02d}室"
        residents.append(Resident(name=faker.name(), phone=faker.phone_number(), address=address))
    return residents


def _record_temperatures(
    session: Session,
    rng: random.Random,
    *,
    units: list[StorageUnit],
    volunteer_ids: list[int],
    first_day: dt.date,
    today: dt.date,
    now: dt.datetime,
) -> None:
    """Opening and closing readings of every cold unit, entered as they were taken; one fridge excursion."""
    excursion_day = today - dt.timedelta(days=4)
    day = first_day
    while day <= today:
        for opening, at in ((True, dt.time(7, 40)), (False, dt.time(20, 35))):
            for unit in units:
                taken = local_moment(day, at) + dt.timedelta(seconds=rng.randrange(900))
                volunteer_id = rng.choice(volunteer_ids)
                reading = _normal_reading(rng, unit=unit)
                if taken > now:
                    continue
                if unit.kind == "fridge" and opening and day == excursion_day:
                    record_temperature(
                        session,
                        storage_unit_id=unit.id,
                        reading_c=EXCURSION_C,
                        volunteer_id=volunteer_id,
                        now=taken,
                        corrective_action=EXCURSION_ACTION,
                    )
                    follow_up = taken + dt.timedelta(minutes=30)
                    record_temperature(
                        session, storage_unit_id=unit.id, reading_c=4.6, volunteer_id=volunteer_id, now=follow_up
                    )
                    continue
                record_temperature(
                    session, storage_unit_id=unit.id, reading_c=reading, volunteer_id=volunteer_id, now=taken
                )
        day += dt.timedelta(days=1)


def _normal_reading(rng: random.Random, *, unit: StorageUnit) -> float:
    if unit.kind == "fridge":
        return round(rng.uniform(2.5, 5.8), 1)
    return round(rng.uniform(-21.5, -18.6), 1)


def _build_roster(
    session: Session,
    rng: random.Random,
    *,
    site_id: int,
    organizer_id: int,
    roles_by_id: dict[int, set[str]],
    first_monday: dt.date,
    weeks: int,
    now: dt.datetime,
) -> None:
    """Last week, this week and next: weekly templates generated into shifts, sign-ups without overlaps,
    check-ins for what is past, one no-show."""
    templates_at = local_moment(first_monday - dt.timedelta(days=4), dt.time(20, 0))
    for weekday in range(7):
        for starts, ends, role, min_staff, max_staff in SHIFT_PATTERN:
            create_shift_template(
                session,
                site_id=site_id,
                weekday=weekday,
                starts=starts,
                ends=ends,
                role=role,
                min_staff=min_staff,
                max_staff=max_staff,
                now=templates_at,
                actor_id=organizer_id,
            )
    booked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {v: [] for v in roles_by_id}
    past = []
    for week in range(weeks):
        monday = first_monday + dt.timedelta(days=7 * week)
        # Planned the Friday before, or (next week's roster) earlier this morning: nothing is dated after `now`.
        planned_at = min(local_moment(monday - dt.timedelta(days=3), dt.time(20, 0)), now - dt.timedelta(hours=2))
        load = dict.fromkeys(roles_by_id, 0)
        is_next_week = monday > to_local(now).date()
        generate_shifts(
            session,
            site_id=site_id,
            first_day=monday,
            last_day=monday + dt.timedelta(days=6),
            now=planned_at,
            actor_id=organizer_id,
        )
        week_start = local_moment(monday, dt.time(0, 0))
        week_shifts = session.scalars(
            select(Shift)
            .where(
                Shift.site_id == site_id,
                Shift.starts_at >= week_start,
                Shift.starts_at < week_start + dt.timedelta(days=7),
            )
            .order_by(Shift.starts_at, Shift.id)
        ).all()
        for shift in week_shifts:
            wanted = rng.randint(shift.min_staff, shift.max_staff)
            # Next week still has gaps for the organizer to fill.
            if is_next_week and rng.random() < 0.2:
                wanted = shift.min_staff - 1
            candidates = sorted(v for v, roles in roles_by_id.items() if shift.role in roles)
            rng.shuffle(candidates)
            candidates.sort(key=load.__getitem__)
            for volunteer_id in candidates:
                if wanted <= 0:
                    break
                if load[volunteer_id] >= MAX_SHIFTS_PER_WEEK or _overlaps(booked[volunteer_id], shift):
                    continue
                signed_at = min(planned_at + dt.timedelta(minutes=rng.randrange(60, 48 * 60)), now)
                assignment = sign_up(session, shift_id=shift.id, volunteer_id=volunteer_id, now=signed_at)
                booked[volunteer_id].append((shift.starts_at, shift.ends_at))
                load[volunteer_id] += 1
                wanted -= 1
                past.append((shift, assignment.id, rng.randrange(600), rng.randrange(900)))
    _check_in_past_shifts(session, rng, assignments=past, now=now)


def _overlaps(intervals: list[tuple[dt.datetime, dt.datetime]], shift: Shift) -> bool:
    return any(start < shift.ends_at and end > shift.starts_at for start, end in intervals)


def _check_in_past_shifts(
    session: Session, rng: random.Random, *, assignments: list[tuple[Shift, int, int, int]], now: dt.datetime
) -> None:
    finished = [item for item in assignments if item[0].ends_at + dt.timedelta(minutes=30) <= now]
    no_show = rng.choice(finished)[1] if finished else None
    for shift, assignment_id, early_seconds, late_seconds in assignments:
        if assignment_id == no_show:
            mark_no_show(session, assignment_id=assignment_id, now=shift.ends_at + dt.timedelta(minutes=30))
            continue
        arrived = shift.starts_at - dt.timedelta(seconds=early_seconds)
        if arrived > now:
            continue
        check_in(session, assignment_id=assignment_id, now=arrived)
        left = shift.ends_at + dt.timedelta(seconds=late_seconds)
        if left <= now:
            check_out(session, assignment_id=assignment_id, now=left)
