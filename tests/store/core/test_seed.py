"""Demo and scale data: the demo's shape and determinism, first-start filling, and bulk rows equal to the store's."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text

from db.cold_chain.units import create_storage_unit
from db.core.clock import local_moment, to_local
from db.core.engine import make_engine, unit_of_work
from db.core.migrate import upgrade_to_head
from db.core.models import (
    Assignment,
    Event,
    Item,
    Order,
    Shift,
    Site,
    StorageUnit,
    TemperatureReading,
    Volunteer,
    VolunteerRole,
)
from db.forecast.build import forecast_site
from db.orders.lifecycle import ItemSpec, create_order
from db.people.accounts import Client, create_volunteer, sign_in_organizer, sign_in_volunteer
from db.people.sites import count_sites, create_site, get_site_rules
from seed.__main__ import main as seed_main
from seed.bulk import rollup_site_in_bulk, slot_ids_by_code, write_plans_in_bulk
from seed.demo import (
    DEMO_PIN,
    EXCURSION_ACTION,
    ORGANIZER_PASSWORD,
    ORGANIZER_USERNAME,
    SHIFT_PATTERN,
    seed_demo,
    seed_demo_if_empty,
)
from seed.plan import NO_SLOT_REASON, Resident, apply_plan_through_store, daily_volumes, plan_orders, slot_layout
from tests.support.databases import DEMO_DAY, create_postgres_database, drop_postgres_database
from tests.support.store import enrolled_tablet
from tests.support.store_reads import read_rollups

# A Wednesday: the roster's last week, this week and next all have past and future shifts.
TODAY = DEMO_DAY
TOMORROW = TODAY + dt.timedelta(days=1)
DEMO_NOW = local_moment(TODAY, dt.time(9, 0))
# Tables whose every column the demo must reproduce; accounts and events are compared apart.
DUMPED_TABLES = (
    "sites",
    "site_rules",
    "volunteers",
    "volunteer_roles",
    "storage_units",
    "slots",
    "orders",
    "items",
    "temperature_readings",
    "shifts",
    "assignments",
)


# The tests that read the shared demo run on one pytest-xdist worker, so that it is built once per database.
ON_THE_DEMO = pytest.mark.xdist_group("seed_demo")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database holding the demo for TODAY, seed 0, shared by the read-only shape tests."""
    if request.param == "sqlite":  # a copy of the one built once per run (tests/conftest.py)
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(request.getfixturevalue("demo_sqlite_file"), path)
        url, admin = f"sqlite:///{path}", None
    else:
        url, admin = create_postgres_database(request.getfixturevalue("postgres_server"))
    engine = make_engine(url)
    try:
        if admin is not None:
            upgrade_to_head(engine)
            seed_demo(engine, today=TODAY, seed=0)
        yield url
    finally:
        engine.dispose()
        if admin is not None:
            drop_postgres_database(admin, url)


@pytest.fixture
def demo(demo_url: str) -> Iterator[Engine]:
    engine = make_engine(demo_url)
    yield engine
    engine.dispose()


def dump(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of the main tables as stored, plus accounts without their (salted) hashes and the events."""
    tables = {}
    with engine.connect() as connection:
        for table in DUMPED_TABLES:
            tables[table] = [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
        tables["accounts"] = [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT id, volunteer_id, username, password_hash IS NOT NULL, pin_hash IS NOT NULL FROM accounts"
                    " ORDER BY id"
                )
            )
        ]
        # Sign-in tests add auth events to the shared demo; everything else must match.
        tables["events"] = [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT id, site_id, happened_at, actor_id, action, entity, entity_id FROM events"
                    " WHERE action NOT LIKE 'auth.%' ORDER BY id"
                )
            )
        ]
    return tables


@ON_THE_DEMO
def test_demo_is_the_same_for_the_same_seed_and_day(demo_sqlite_file, tmp_path) -> None:
    """The same seed and day make the same rows: a property of the generator, not of the database, so on SQLite
    only (the PostgreSQL demo's shape is read by the tests above and below)."""
    first_url, other_url = f"sqlite:///{tmp_path / 'demo.db'}", f"sqlite:///{tmp_path / 'again.db'}"
    shutil.copyfile(demo_sqlite_file, tmp_path / "demo.db")
    # Through the command line, which also refuses a second filling.
    assert seed_main(["demo", "--database-url", other_url, "--seed", "0", "--today", TODAY.isoformat()]) == 0
    demo, other = make_engine(first_url), make_engine(other_url)
    try:
        first, second = dump(demo), dump(other)
        for table in first:
            assert first[table] == second[table], table
    finally:
        demo.dispose()
        other.dispose()
    assert seed_main(["demo", "--database-url", other_url, "--today", TODAY.isoformat()]) == 1


@ON_THE_DEMO
def test_demo_site_units_and_volunteers(demo: Engine) -> None:
    with unit_of_work(demo) as session:
        site = session.scalar(select(Site))
        assert (site.code, site.name) == ("TS2", "天山二村买菜点")
        assert "长宁区" in site.address
        units = {(u.code, u.kind): len(u.slots) for u in session.scalars(select(StorageUnit))}
        assert units == {("F1", "fridge"): 40, ("Z1", "freezer"): 30, ("S1", "shelf"): 60, ("S2", "shelf"): 60}
        volunteers = list(session.scalars(select(Volunteer)))
        assert len(volunteers) >= 21
        assert all(len(v.phone) == 11 and v.phone.startswith("1") for v in volunteers)
        roles = Counter(session.scalars(select(VolunteerRole.role)))
        assert roles["organizer"] == 1
        assert min(roles["receiving"], roles["handout"], roles["cold_check"]) >= 4


@ON_THE_DEMO
def test_demo_orders_have_a_realistic_shape(demo: Engine) -> None:
    with unit_of_work(demo) as session:
        hold_days = get_site_rules(session, site_id=session.scalar(select(Site.id))).hold_days
        orders = list(session.scalars(select(Order)))
        items_per_order = Counter(session.scalars(select(Item.order_id)))
    statuses = Counter(order.status for order in orders)
    assert {"expected", "received", "shelved", "picked_up", "returned", "problem"} <= set(statuses)
    assert statuses["picked_up"] > len(orders) * 0.75
    assert {order.platform for order in orders} == {"多多买菜", "美团优选"}
    # Two weeks of deliveries and tomorrow's lists, which the demo imports at its own now.
    assert {order.delivery_date for order in orders} == {TODAY + dt.timedelta(days=d) for d in range(-13, 2)}
    tomorrow = [order for order in orders if order.delivery_date == TOMORROW]
    assert tomorrow and all(o.status == "expected" and o.created_at == DEMO_NOW for o in tomorrow)
    # Every earlier list came in the evening before, each platform's at one moment.
    imported = {(o.delivery_date, o.platform): o.created_at for o in orders if o.delivery_date <= TODAY}
    assert all(imported[(o.delivery_date, o.platform)] == o.created_at for o in orders if o.delivery_date <= TODAY)
    for (day, _platform), moment in imported.items():
        assert to_local(moment).date() == day - dt.timedelta(days=1) and 20 <= to_local(moment).hour <= 21
    # Only today's delivery and tomorrow's still wait to be checked in, and part of today's already has been.
    assert {order.delivery_date for order in orders if order.status == "expected"} == {TODAY, TOMORROW}
    assert any(order.delivery_date == TODAY and order.status == "shelved" for order in orders)
    overdue = [
        o
        for o in orders
        if o.status in ("received", "shelved") and o.delivery_date + dt.timedelta(days=hold_days - 1) < TODAY
    ]
    assert 1 <= len(overdue) <= 15
    assert 1 <= statuses["returned"] <= 20 and 1 <= statuses["problem"] <= 15
    assert set(items_per_order.values()) <= {1, 2, 3, 4, 5} and len(items_per_order) == len(orders)
    received_hours = Counter(to_local(o.received_at).hour for o in orders if o.received_at)
    assert set(received_hours) <= {7, 8, 9}
    open_codes = [o.pickup_code for o in orders if o.status in ("expected", "received", "shelved", "problem")]
    assert len(open_codes) == len(set(open_codes))
    assert all(len(o.phone) == 11 and o.phone_tail == o.phone[-4:] for o in orders)
    assert all(o.address.endswith("室") and "号" in o.address for o in orders)


@ON_THE_DEMO
def test_demo_residents_come_by_habit(demo: Engine) -> None:
    """Weekday evenings after work are the peak, weekend mornings busier than weekday ones; cold bags go sooner; a
    household keeps its habit, and a few come days late."""
    with unit_of_work(demo) as session:
        picked = list(session.scalars(select(Order).where(Order.picked_up_at.is_not(None))))
    moments = [(to_local(o.picked_up_at), o) for o in picked]
    assert {moment.hour for moment, _o in moments} <= set(range(10, 21))
    weekday = Counter(moment.hour for moment, _o in moments if moment.weekday() < 5)
    weekend = Counter(moment.hour for moment, _o in moments if moment.weekday() >= 5)
    assert sum(weekday[hour] for hour in (17, 18, 19, 20)) > 0.5 * weekday.total()
    assert max(weekday, key=weekday.__getitem__) in (18, 19)
    assert (weekend[10] + weekend[11]) / weekend.total() > 2 * (weekday[10] + weekday[11]) / weekday.total()
    delays: dict[str, list[int]] = {}
    by_resident: dict[str, list[int]] = {}
    for moment, order in moments:
        delay = (moment.date() - order.delivery_date).days
        delays.setdefault(order.storage_class, []).append(delay)
        by_resident.setdefault(order.phone, []).append(delay)
    mean = {storage_class: sum(days) / len(days) for storage_class, days in delays.items()}
    assert mean["frozen"] < mean["ambient"] and mean["chilled"] < mean["ambient"]
    every = [delay for days in delays.values() for delay in days]
    assert sum(1 for delay in every if delay <= 1) > 0.8 * len(every) and max(every) >= 3
    # Households that came often mostly came on their usual day.
    regulars = [days for days in by_resident.values() if len(days) >= 5]
    usual = sum(Counter(days).most_common(1)[0][1] for days in regulars) / sum(len(days) for days in regulars)
    assert len(regulars) >= 10 and usual > 0.7


@ON_THE_DEMO
def test_demo_temperatures_twice_a_day_with_one_excursion(demo: Engine) -> None:
    with unit_of_work(demo) as session:
        readings = list(session.scalars(select(TemperatureReading).order_by(TemperatureReading.taken_at)))
        units = {u.id: u.kind for u in session.scalars(select(StorageUnit))}
    excursions = [r for r in readings if not r.in_range]
    assert len(excursions) == 1
    excursion = excursions[0]
    assert units[excursion.storage_unit_id] == "fridge" and excursion.reading_c == 11.5
    assert excursion.corrective_action == EXCURSION_ACTION
    follow_up = [
        r
        for r in readings
        if r.storage_unit_id == excursion.storage_unit_id
        and r.taken_at == excursion.taken_at + dt.timedelta(minutes=30)
    ]
    assert len(follow_up) == 1 and follow_up[0].in_range
    per_unit_day = Counter((r.storage_unit_id, to_local(r.taken_at).date()) for r in readings if r is not follow_up[0])
    past_days = {day for _unit, day in per_unit_day if day < TODAY}
    assert len(past_days) == 13
    assert all(count == 2 for (_unit, day), count in per_unit_day.items() if day < TODAY)
    assert all(r.late_reason is None for r in readings)


@ON_THE_DEMO
def test_demo_roster_this_week_and_next(demo: Engine) -> None:
    monday = TODAY - dt.timedelta(days=TODAY.weekday())
    with unit_of_work(demo) as session:
        shifts = {s.id: s for s in session.scalars(select(Shift))}
        assignments = list(session.scalars(select(Assignment)))
        roles = {(r.volunteer_id, r.role) for r in session.scalars(select(VolunteerRole))}
    days = Counter(to_local(s.starts_at).date() for s in shifts.values())
    for offset in range(14):
        assert days[monday + dt.timedelta(days=offset)] == len(SHIFT_PATTERN)
    statuses = Counter(a.status for a in assignments)
    assert statuses["no_show"] == 1 and statuses["checked_out"] > 20 and statuses["signed_up"] > 20
    assert all(shifts[a.shift_id].ends_at <= DEMO_NOW for a in assignments if a.status == "checked_out")
    assert all((a.volunteer_id, shifts[a.shift_id].role) in roles for a in assignments)
    next_week = [s for s in shifts.values() if to_local(s.starts_at).date() >= monday + dt.timedelta(days=7)]
    signed = Counter(a.shift_id for a in assignments)
    assert all(signed[s.id] <= s.max_staff for s in shifts.values())
    assert any(signed[s.id] >= 1 for s in next_week)
    by_volunteer: dict[int, list[Shift]] = {}
    for assignment in assignments:
        by_volunteer.setdefault(assignment.volunteer_id, []).append(shifts[assignment.shift_id])
    for taken in by_volunteer.values():
        taken.sort(key=lambda shift: shift.starts_at)
        assert all(a.ends_at <= b.starts_at for a, b in zip(taken, taken[1:], strict=False))


@ON_THE_DEMO
def test_demo_rosters_the_desk_through_tomorrows_opening_hours(demo: Engine) -> None:
    # The dashboard's hands-needed line compares the handout volunteers rostered with the pickups expected per hour
    # of opening: with evening shifts only, the demo showed a 07:00–16:00 gap every day. Tomorrow (this week's
    # roster, filled) has someone at the desk every hour it is open.
    with unit_of_work(demo) as session:
        site_id = session.scalar(select(Site.id))
        tomorrow = forecast_site(session, site_id=site_id, now=DEMO_NOW).days[0]
    assert tomorrow.day == TOMORROW and not tomorrow.closed
    assert min(tomorrow.volunteers_rostered) <= 8 and max(tomorrow.volunteers_rostered) >= 20
    assert {hour: count for hour, count in tomorrow.volunteers_rostered.items() if count < 1} == {}


@ON_THE_DEMO
def test_demo_accounts_sign_in(demo: Engine) -> None:
    organizer = sign_in_organizer(
        demo, username=ORGANIZER_USERNAME, password=ORGANIZER_PASSWORD, client=Client(address="local"), now=DEMO_NOW
    )
    assert "organizer" in organizer.roles
    with unit_of_work(demo) as session:
        volunteer = session.scalar(select(Volunteer).where(Volunteer.id != organizer.volunteer_id).limit(1))
    tablet = enrolled_tablet(demo, site_id=organizer.site_id, now=DEMO_NOW)
    signed_in = sign_in_volunteer(
        demo, site_id=organizer.site_id, volunteer_id=volunteer.id, pin=DEMO_PIN, client=tablet, now=DEMO_NOW
    )
    assert signed_in.volunteer_id == volunteer.id
    signed_in = sign_in_volunteer(
        demo, site_id=organizer.site_id, volunteer_id=organizer.volunteer_id, pin=DEMO_PIN, client=tablet, now=DEMO_NOW
    )
    assert "organizer" in signed_in.roles


def test_demo_fills_an_empty_database_once_even_when_two_start_together(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check and the filling share one transaction. What is filled is not the point here (the demo's shape is
    tested above): a stand-in fill makes the site and takes half a second, so the second starter arrives while the
    first fills."""

    def fill_demo(session, *, today: dt.date, seed: int = 0) -> None:
        create_site(session, code="TS2", name="天山二村", now=local_moment(today, dt.time(8)))
        time.sleep(0.5)

    monkeypatch.setattr("seed.demo.fill_demo", fill_demo)
    engines = [make_engine(database_url) for _ in range(2)]
    results: list[bool] = []
    threads = [threading.Thread(target=lambda e=e: results.append(seed_demo_if_empty(e, today=TODAY))) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert seed_demo_if_empty(engines[0], today=TODAY) is False
    with unit_of_work(engines[0]) as session:
        assert count_sites(session) == 1
    for engine in engines:
        engine.dispose()


def test_daily_volumes_follow_the_week_and_swing() -> None:
    """Monday is the quietest weekday and Friday and Saturday the busiest; ordinary days swing and a few swing far."""
    volume = daily_volumes(random.Random(3), mean=100)
    days = [TODAY + dt.timedelta(days=n) for n in range(52 * 7)]
    volumes = [volume(day) for day in days]
    by_weekday = [[v for day, v in zip(days, volumes, strict=True) if day.weekday() == w] for w in range(7)]
    means = [sum(values) / len(values) for values in by_weekday]
    assert 95 < sum(volumes) / len(volumes) < 105
    assert means[0] == min(means) and min(means[4], means[5]) > max(means[1:4] + [means[6]])
    swings = [v / means[day.weekday()] - 1 for day, v in zip(days, volumes, strict=True)]
    assert sum(1 for swing in swings if abs(swing) > 0.08) > 0.3 * len(swings)
    assert sum(1 for swing in swings if swing > 0.3) >= 5 and sum(1 for swing in swings if swing < -0.25) >= 5
    again = daily_volumes(random.Random(3), mean=100)
    assert [again(day) for day in days] == volumes


def _small_site(engine: Engine) -> tuple[int, list[int]]:
    """The same tiny site on any database: few slots, so slots are reused and some bags find none."""
    with unit_of_work(engine) as session:
        site = create_site(session, code="EQ1", name="对照点", now=DEMO_NOW - dt.timedelta(days=30))
        for code, kind, slots in (("F1", "fridge", 6), ("Z1", "freezer", 3), ("S1", "shelf", 5), ("S2", "shelf", 3)):
            create_storage_unit(
                session,
                site_id=site.id,
                code=code,
                name=code,
                kind=kind,
                slot_count=slots,
                now=DEMO_NOW - dt.timedelta(days=30),
            )
        volunteers = [
            create_volunteer(
                session,
                site_id=site.id,
                name=name,
                roles=("receiving", "handout"),
                now=DEMO_NOW - dt.timedelta(days=30),
            ).id
            for name in ("张桂英", "李建国", "王秀兰")
        ]
        return site.id, volunteers


def _small_plan(engine: Engine, site_id: int) -> list:
    residents = [
        Resident(name=f"居民{n}", phone=f"1391234{n:04d}", address=f"{n % 9 + 1}号{n % 6 + 1}01室") for n in range(40)
    ]
    with unit_of_work(engine) as session:
        layout = slot_layout(session, site_id=site_id)
    return list(
        plan_orders(
            random.Random(11),
            residents=residents,
            layout=layout,
            first_day=TODAY - dt.timedelta(days=11),
            last_day=TODAY,
            daily_volume=lambda day: 9 + day.day % 4,
            now=DEMO_NOW,
            hold_days=3,
            volunteer_count=3,
        )
    )


def _order_rows(engine: Engine) -> tuple[list[tuple], list[tuple]]:
    """Orders and items as stored, with surrogate ids replaced by what they name (slot code, volunteer name)."""
    with engine.connect() as connection:
        orders = [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT o.platform, o.order_number, o.pickup_code, o.resident_name, o.phone, o.phone_tail,"
                    " o.address, o.delivery_date, o.storage_class, o.status, s.code, o.problem_reason, o.created_at,"
                    " o.received_at, o.shelved_at, o.picked_up_at, v.name, o.returned_at"
                    " FROM orders o LEFT JOIN slots s ON s.id = o.slot_id"
                    " LEFT JOIN volunteers v ON v.id = o.picked_up_by"
                    " ORDER BY o.platform, o.order_number"
                )
            )
        ]
        items = [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT o.platform, o.order_number, i.product, i.quantity, i.storage_class"
                    " FROM items i JOIN orders o ON o.id = i.order_id ORDER BY o.platform, o.order_number, i.id"
                )
            )
        ]
    return orders, items


def _rollups(engine: Engine, *, site_id: int) -> dict[str, set[tuple[object, ...]]]:
    """The site's non-empty rollup rows without the site id."""
    with unit_of_work(engine) as session:
        kept = read_rollups(session, site_id=site_id)
    assert all(kept.values())
    return {table: {row[1:] for row in rows} for table, rows in kept.items()}


def test_bulk_rows_equal_the_store_rows(engine: Engine, database_url: str, tmp_path, request) -> None:
    if database_url.startswith("sqlite"):
        bulk_url, admin = f"sqlite:///{tmp_path / 'bulk.db'}", None
    else:
        bulk_url, admin = create_postgres_database(request.getfixturevalue("postgres_server"))
    bulk = make_engine(bulk_url)
    try:
        upgrade_to_head(bulk)
        store_site, store_volunteers = _small_site(engine)
        bulk_site, bulk_volunteers = _small_site(bulk)
        plans = _small_plan(engine, store_site)
        assert plans == _small_plan(bulk, bulk_site)
        statuses = Counter(plan.status for plan in plans)
        assert {"expected", "shelved", "picked_up", "returned", "problem"} <= set(statuses)
        assert any(plan.problem_reason == NO_SLOT_REASON for plan in plans)
        assert Counter(plan.slot_code for plan in plans if plan.slot_code).most_common(1)[0][1] > 3

        with unit_of_work(engine) as session:
            apply_plan_through_store(session, plans=plans, site_id=store_site, volunteer_ids=store_volunteers)
        with unit_of_work(bulk) as session:
            slot_ids = slot_ids_by_code(session, site_id=bulk_site)
        with bulk.connect() as connection:
            written = write_plans_in_bulk(
                connection,
                plans=plans,
                site_id=bulk_site,
                slot_ids=slot_ids,
                volunteer_ids=bulk_volunteers,
                batch_size=17,
            )
            rollup_site_in_bulk(connection, site_id=bulk_site)
        assert written == (len(plans), sum(len(plan.items) for plan in plans))
        assert _order_rows(engine) == _order_rows(bulk)
        # The store kept its rollups change by change; the bulk path counted them in one INSERT … SELECT.
        assert _rollups(engine, site_id=store_site) == _rollups(bulk, site_id=bulk_site)
        with unit_of_work(bulk) as session:
            # The bulk path writes no events, and the store's next order still gets a fresh id.
            assert session.scalar(select(func.count()).select_from(Event).where(Event.entity == "order")) == 0
            order = create_order(
                session,
                site_id=bulk_site,
                platform="多多买菜",
                order_number="after-bulk",
                pickup_code="999999",
                resident_name="居民",
                phone="13912340000",
                delivery_date=TODAY,
                now=DEMO_NOW,
                items=[ItemSpec(product="鸡蛋 30枚", quantity=1, storage_class="ambient")],
            )
            assert order.id == len(plans) + 1
    finally:
        bulk.dispose()
        if admin is not None:
            drop_postgres_database(admin, bulk_url)


def test_scale_command_builds_sites_in_bulk_and_reports_progress(database_url: str, capsys) -> None:
    arguments = [
        "scale",
        "--sites",
        "2",
        "--days",
        "6",
        "--orders-per-day",
        "40",
        "--today",
        TODAY.isoformat(),
        "--database-url",
        database_url,
        "--batch-size",
        "100",
    ]
    assert seed_main(arguments) == 0
    captured = capsys.readouterr()
    written = int(captured.out.split(" orders")[0].replace(",", ""))
    assert f"SC0002: {written:,}/{written:,} orders (100%)" in captured.err and captured.err.count("\n") >= 5
    # A second run adds new sites beside the first ones.
    assert seed_main([*arguments[:2], "1", *arguments[3:]]) == 0
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            assert list(session.scalars(select(Site.code).order_by(Site.code))) == ["SC0001", "SC0002", "SC0003"]
            by_site = select(Site.code).join(Order, Order.site_id == Site.id).group_by(Site.code)
            per_site = dict(session.execute(by_site.add_columns(func.count())).all())
            days = dict(session.execute(by_site.add_columns(func.count(Order.delivery_date.distinct()))).all())
            tomorrow = session.scalars(select(Order.status).where(Order.delivery_date == TOMORROW).distinct()).all()
            statuses = set(session.scalars(select(Order.status).distinct()))
            assert session.scalar(select(func.count()).select_from(Item)) >= sum(per_site.values())
    finally:
        engine.dispose()
    # Six days each and tomorrow's lists; sites differ in size, around the asked 40 a day.
    assert set(days.values()) == {7} and per_site["SC0001"] != per_site["SC0002"]
    # The same seed, day and place in the run give the same site again (under its own code).
    assert per_site["SC0003"] == per_site["SC0001"]
    assert per_site["SC0001"] + per_site["SC0002"] == written
    assert all(40 * 7 * 0.3 < orders < 40 * 7 * 3 for orders in per_site.values())
    assert tomorrow == ["expected"] and {"expected", "shelved", "picked_up"} <= statuses


@ON_THE_DEMO
def test_nothing_in_the_demo_is_dated_after_its_own_now(demo: Engine) -> None:
    """The demo stops at 09:00 today: no event, reading, sign-up or check-in lies after that."""
    with unit_of_work(demo) as session:
        latest = [
            session.scalar(select(func.max(Event.happened_at))),
            session.scalar(select(func.max(TemperatureReading.recorded_at))),
            session.scalar(select(func.max(Assignment.signed_up_at))),
            session.scalar(select(func.max(Assignment.checked_in_at))),
            session.scalar(select(func.max(Order.received_at))),
        ]
    assert all(moment <= DEMO_NOW for moment in latest), latest
