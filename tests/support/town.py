"""The reports' small town: a pickup point whose every figure is counted by hand (tests/store/reports), also
served to the dashboard and reports pages (tests/pages)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, text

from db.cold_chain.temperatures import record_temperature
from db.cold_chain.units import create_storage_unit
from db.core.clock import local_moment
from db.core.engine import unit_of_work
from db.core.models import Base
from db.orders.lifecycle import ItemSpec, create_order, hand_over, receive_order, report_problem, shelve_order
from db.people.accounts import create_volunteer, grant_role
from db.people.sites import create_site
from db.roster.shifts import check_in, create_shift, sign_up

D = dt.date  # delivery dates and report days are the site's local dates
P1, P2 = "多多买菜", "美团优选"
# Wednesday 2026-11-25, 10:00 in Shanghai (as tests.support.databases.NOW).
NOW = local_moment(D(2026, 11, 25), dt.time(10, 0))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in November 2026 on the site's clock."""
    return local_moment(D(2026, 11, day), dt.time(hour, minute))


@dataclass(frozen=True)
class Town:
    site_id: int
    other_site_id: int
    organizer_id: int


# The orders, by hand: (name, delivery day, platform, class, received, shelved, picked up, problem).
ORDERS = (
    ("o1", 17, P1, "ambient", at(17, 8), None, at(18, 20), None),  # 36 h
    ("o2", 17, P2, "chilled", at(17, 8), None, at(18, 0, 30), None),  # 16.5 h; a Tuesday 16:30 in UTC
    ("o10", 17, P1, "ambient", at(17, 8), at(17, 8, 10), at(17, 18, 15), None),  # 10.25 h
    ("o7", 21, P1, "ambient", at(21, 8), at(21, 8, 5), None, None),  # still held: overdue from the 24th
    ("o3", 24, P1, "ambient", at(24, 8), at(24, 8, 10), at(24, 18, 20), None),  # 10 h 20
    ("o4", 24, P1, "chilled", at(24, 8, 5), None, at(24, 18, 40), None),  # 10 h 35, never shelved
    ("o5", 24, P2, "ambient", at(24, 8, 10), at(24, 8, 15), None, None),  # still held
    ("o6", 24, P2, "ambient", None, None, None, None),  # never arrived
    ("o8", 25, P1, "ambient", at(25, 8), None, None, at(25, 9)),  # a problem this morning
    ("o9", 25, P2, "ambient", None, None, None, None),
)


def build_town(engine: Engine) -> Town:
    """Site TS2 with the orders above, three cold units, a shift; site TS3 with one bag; one organizer of both.

    Built through the store the first time in a run (per kind of database); into another empty store its rows are
    then copied as they were written, which takes a few statements instead of the ~60 transactions of the steps."""
    dialect = engine.dialect.name
    if not _is_empty(engine):
        return _build_town(engine)
    if dialect in _TOWNS:
        town, rows = _TOWNS[dialect]
        _write_rows(engine, rows)
        return town
    town = _build_town(engine)
    _TOWNS[dialect] = (town, _read_rows(engine))
    return town


# The town built once per kind of database in this process, and every row it wrote, by table in insert order.
_TOWNS: dict[str, tuple[Town, dict[str, list[dict[str, Any]]]]] = {}


def _is_empty(engine: Engine) -> bool:
    """No row in any of the app's tables (a freshly migrated store: the migrations write none)."""
    with engine.connect() as connection:
        return not any(connection.execute(select(table).limit(1)).first() for table in Base.metadata.sorted_tables)


def _read_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as connection:
        return {
            table.name: [dict(row._mapping) for row in connection.execute(select(table))]
            for table in Base.metadata.sorted_tables
        }


def _write_rows(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    """The rows with their ids; PostgreSQL's id sequences then go on after the highest id, as after the inserts."""
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if rows[table.name]:
                connection.execute(table.insert(), rows[table.name])
                if connection.dialect.name == "postgresql" and "id" in table.c:
                    connection.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), MAX(id)) FROM {table.name}")
                    )


def _build_town(engine: Engine) -> Town:
    start = at(10, 8)
    with unit_of_work(engine) as session:
        site = create_site(session, code="TS2", name="天山二村", now=start)
        other = create_site(session, code="TS3", name="天山三村", now=start)
        volunteer = create_volunteer(
            session, site_id=site.id, name="王阿姨", roles=["handout", "receiving", "cold_check"], now=start
        )
        early = create_volunteer(session, site_id=site.id, name="张叔叔", roles=["handout"], now=start)
        organizer = create_volunteer(session, site_id=site.id, name="李主任", roles=["organizer"], now=start)
        grant_role(session, volunteer_id=organizer.id, site_id=other.id, role="organizer", now=start)
        other_volunteer = create_volunteer(
            session, site_id=other.id, name="赵师傅", roles=["handout", "receiving"], now=start
        )
        units = {}
        for site_id, code, kind, slots in (
            (site.id, "F1", "fridge", 5),
            (site.id, "F2", "fridge", 2),
            (site.id, "Z1", "freezer", 2),
            (site.id, "S1", "shelf", 10),
            (other.id, "S1", "shelf", 4),
        ):
            units[site_id, code] = create_storage_unit(
                session, site_id=site_id, code=code, name=code, kind=kind, slot_count=slots, now=start
            ).id
        ids = {}
        for name, day, platform, storage_class, *_ in ORDERS:
            ids[name] = create_order(
                session,
                site_id=site.id,
                platform=platform,
                order_number=name,
                pickup_code=f"8-{name}",
                resident_name="李四",
                phone="13800138000",
                delivery_date=D(2026, 11, day),
                items=[ItemSpec("商品", 1, storage_class)],
                now=start,
            ).id
        late = create_order(
            session,
            site_id=other.id,
            platform=P1,
            order_number="x1",
            pickup_code="9-1",
            resident_name="周五",
            phone="13900139000",
            delivery_date=D(2026, 11, 20),
            items=[ItemSpec("大米", 1, "ambient")],
            now=start,
        ).id
        receive_order(session, order_id=late, volunteer_id=other_volunteer.id, now=at(20, 8))
    # Every step at its own moment, in time order, so slots free up as they would.
    steps = []
    for name, _day, _platform, _class, received, shelved, picked, problem in ORDERS:
        for moment, step in ((received, receive_order), (shelved, shelve_order), (picked, hand_over)):
            if moment is not None:
                steps.append((moment, step, {"order_id": ids[name]}))
        if problem is not None:
            steps.append((problem, report_problem, {"order_id": ids[name], "reason": "袋子破损"}))
    for moment, step, arguments in sorted(steps, key=lambda item: item[0]):
        with unit_of_work(engine) as session:
            step(session, volunteer_id=volunteer.id, now=moment, **arguments)
    with unit_of_work(engine) as session:
        record_temperature(
            session, storage_unit_id=units[site.id, "F1"], reading_c=4.0, volunteer_id=volunteer.id, now=at(25, 8)
        )
        record_temperature(
            session,
            storage_unit_id=units[site.id, "Z1"],
            reading_c=-10.0,
            volunteer_id=volunteer.id,
            now=at(25, 8, 5),
            corrective_action="门没关好，已关上",
        )
        # F2 has no reading at all: the 08:00 one is missing.
        morning = create_shift(
            session,
            site_id=site.id,
            role="handout",
            starts_at=at(25, 7),
            ends_at=at(25, 9),
            min_staff=1,
            max_staff=2,
            now=at(24, 12),
        )
        now_shift = create_shift(
            session,
            site_id=site.id,
            role="handout",
            starts_at=at(25, 9),
            ends_at=at(25, 12),
            min_staff=1,
            max_staff=2,
            now=at(24, 12),
        )
        ended = sign_up(session, shift_id=morning.id, volunteer_id=early.id, now=at(24, 12))
        current = sign_up(session, shift_id=now_shift.id, volunteer_id=volunteer.id, now=at(24, 12))
        sign_up(session, shift_id=now_shift.id, volunteer_id=early.id, now=at(24, 12))  # signed up, not here
    with unit_of_work(engine) as session:
        check_in(session, assignment_id=ended.id, now=at(25, 7))  # never checked out, but the shift is over
        check_in(session, assignment_id=current.id, now=at(25, 9))
    return Town(site_id=site.id, other_site_id=other.id, organizer_id=organizer.id)
