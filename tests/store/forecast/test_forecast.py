"""The forecast on a small hand-made history whose answers are worked out by hand (not the demo), on both
databases: 28 days of ten ambient bags a day, six collected the day they arrive, three the next day, one the
day after, all checked in at 9 and handed over at 18; a pickup point open 07:30-21:00."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert, update

from cli.main import main
from db.core.clock import local_moment
from db.core.engine import make_engine, read_only, unit_of_work
from db.core.migrate import upgrade_to_head
from db.core.models import (
    STILL_HELD,
    Assignment,
    ClosedDay,
    DayRollup,
    DeliveryRollup,
    HeldRollup,
    HourRollup,
    Order,
    Shift,
    SiteRules,
)
from db.forecast.backtest import backtest, recent_accuracy
from db.forecast.build import forecast_site
from db.forecast.model import Forecast
from db.orders.rollups import rebuild_rollups
from db.people.sites import create_site
from tests.support.query_plans import full_scans
from tests.support.store import World, make_world

DAY = dt.timedelta(days=1)
PLATFORM = "多多买菜"
# NOW is 10:00 on Wednesday 2026-11-25 at the pickup point.
TODAY = dt.date(2026, 11, 25)
SHARES = (6, 3, 1)  # of ten bags: left on the delivery day, the next, the one after


def _history(engine: Engine, *, site_id: int, days: int = 28) -> None:
    """The rollups of `days` delivery days before today, and the bags still held at NOW (10:00 today): of
    yesterday's ten, four (three leave today, one tomorrow, as the shares say); of the day before's, one."""
    held, deliveries, hours, collected = [], [], [], []
    for back in range(1, days + 1):
        delivery = TODAY - back * DAY
        deliveries.append(
            {
                "site_id": site_id,
                "delivery_date": delivery,
                "platform": PLATFORM,
                "storage_class": "ambient",
                "orders": 10,
                "received": 10,
                "picked_up": 10,
            }
        )
        for k, bags in enumerate(SHARES):
            left = delivery + k * DAY
            held.append(
                {
                    "site_id": site_id,
                    "left_day": left if left < TODAY else STILL_HELD,
                    "received_day": delivery,
                    "delivery_date": delivery,
                    "storage_class": "ambient",
                    "bags": bags,
                }
            )
        collected.append(
            {"site_id": site_id, "day": delivery, "platform": PLATFORM, "storage_class": "ambient", "picked_up": 10}
        )
        hours += [
            {"site_id": site_id, "day": delivery, "hour": 9, "received": 10, "picked_up": 0},
            {"site_id": site_id, "day": delivery, "hour": 18, "received": 0, "picked_up": 10},
        ]
    merged: dict[tuple[object, ...], dict[str, object]] = {}
    for row in held:  # yesterday's day-1 and day-2 bags are both still held: one row
        key = (row["left_day"], row["delivery_date"])
        if key in merged:
            merged[key]["bags"] = int(merged[key]["bags"]) + int(row["bags"])  # type: ignore[call-overload]
        else:
            merged[key] = dict(row)
    with unit_of_work(engine) as session:
        session.execute(insert(HeldRollup), list(merged.values()))
        session.execute(insert(DeliveryRollup), deliveries)
        session.execute(insert(HourRollup), hours)
        session.execute(insert(DayRollup), collected)


def _expected(engine: Engine, *, site_id: int, day: dt.date, bags: int, prefix: str) -> None:
    with unit_of_work(engine) as session:
        session.execute(
            insert(Order),
            [
                {
                    "site_id": site_id,
                    "platform": PLATFORM,
                    "order_number": f"{prefix}{i}",
                    "pickup_code": f"{prefix}{i}",
                    "resident_name": "李四",
                    "phone": "13800138000",
                    "phone_tail": "8000",
                    "delivery_date": day,
                    "storage_class": "ambient",
                    "status": "expected",
                    "created_at": local_moment(day - DAY, dt.time(20)),
                }
                for i in range(bags)
            ],
        )
        session.execute(
            insert(DeliveryRollup),
            [
                {
                    "site_id": site_id,
                    "delivery_date": day,
                    "platform": PLATFORM,
                    "storage_class": "ambient",
                    "orders": bags,
                }
            ],
        )


@pytest.fixture
def world(engine: Engine, now: dt.datetime) -> World:
    """The hand-made history, today's ten and tomorrow's eight expected bags, Saturday closed, four pickups per
    volunteer-hour and one volunteer on tomorrow 17:00-19:00."""
    world = make_world(engine, now=now)  # slots: shelf 3, fridge 2, freezer 1
    _history(engine, site_id=world.site_id)
    _expected(engine, site_id=world.site_id, day=TODAY, bags=10, prefix="T")
    _expected(engine, site_id=world.site_id, day=TODAY + DAY, bags=8, prefix="M")
    with unit_of_work(engine) as session:
        session.execute(
            update(SiteRules).where(SiteRules.site_id == world.site_id).values(pickups_per_volunteer_hour=4)
        )
        session.add(ClosedDay(site_id=world.site_id, day=TODAY + 3 * DAY, note="检修"))
        shift = Shift(
            site_id=world.site_id,
            role="handout",
            starts_at=local_moment(TODAY + DAY, dt.time(17)),
            ends_at=local_moment(TODAY + DAY, dt.time(19)),
            min_staff=1,
            max_staff=2,
        )
        session.add(shift)
        session.flush()
        session.add(
            Assignment(site_id=world.site_id, shift_id=shift.id, volunteer_id=world.volunteer_id, signed_up_at=now)
        )
    return world


def _forecast(engine: Engine, site_id: int, now: dt.datetime) -> Forecast:
    with read_only(engine) as session:
        return forecast_site(session, site_id=site_id, now=now)


def test_tomorrow_from_the_manifest_the_stock_and_the_delays_learned(
    engine: Engine, world: World, now: dt.datetime
) -> None:
    forecast = _forecast(engine, world.site_id, now)
    assert forecast.profile == "site" and forecast.history_days == 28
    tomorrow = forecast.days[0]
    assert tomorrow.day == TODAY + DAY and not tomorrow.closed and tomorrow.arrivals_from == "manifest"
    ambient = {c.storage_class: c for c in tomorrow.classes}["ambient"]
    # Arriving: the 8 of the manifest. Collected: of yesterday's 4 still held, 1 (0.1 / 0.4); of today's 10,
    # 3 (0.3); of tomorrow's 8, 4.8 (0.6).
    assert ambient.arriving == pytest.approx(8)
    assert ambient.collected == pytest.approx(1 + 3 + 4.8)
    # Held from the morning: 1 of yesterday's and 4 of today's, the 8 checked in at 9, all leaving at 18.
    held = {h.hour: h.held for h in ambient.hours}
    assert min(held) == 7 and max(held) == 20
    assert held[8] == pytest.approx(5) and held[9] == pytest.approx(13) and held[18] == pytest.approx(13 - 8.8)
    assert (ambient.peak_hour, ambient.peak_held, ambient.slots, ambient.short_by) == (9, pytest.approx(13), 3, 10)
    # Four pickups per volunteer-hour: 8.8 at 18:00 need 3, every other open hour 1; one on the roster 17-19.
    assert tomorrow.volunteers_needed[18] == 3 and tomorrow.volunteers_needed[12] == 1
    assert tomorrow.volunteers_rostered[17] == tomorrow.volunteers_rostered[18] == 1
    assert tomorrow.volunteers_rostered[19] == 0


def test_later_days_from_history_and_a_closed_day(engine: Engine, world: World, now: dt.datetime) -> None:
    days = {d.day: d for d in _forecast(engine, world.site_id, now).days}
    friday = days[TODAY + 2 * DAY]
    # No manifest: the last four Fridays' ten bags. Collected: 1 of today's, 2.4 of tomorrow's, 6 of its own.
    assert friday.arrivals_from == "history"
    assert friday.classes[0].arriving == pytest.approx(10) and friday.collected == pytest.approx(0.1 * 10 + 2.4 + 6)
    saturday = days[TODAY + 3 * DAY]
    assert saturday.closed and saturday.collected == 0 and saturday.volunteers_needed == {}
    assert all(c.arriving == 0 and c.hours == () for c in saturday.classes)
    # Sunday: its own 6, Friday's last 1, and what would have left on Saturday: Friday's 3, 0.8 of tomorrow's.
    assert days[TODAY + 4 * DAY].collected == pytest.approx(6 + 3 + 0.8 + 1)


def test_a_new_site_leans_on_the_district_and_says_so(engine: Engine, world: World, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        new = create_site(session, code="NEW", name="新点", now=now).id
    forecast = _forecast(engine, new, now)
    assert (forecast.profile, forecast.history_days) == ("district", 0)
    assert forecast.days[0].collected == 0  # nothing expected, no history of its own


def test_alone_and_new_the_stated_default(engine: Engine, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        site_id = create_site(session, code="NEW", name="新点", now=now).id
    _expected(engine, site_id=site_id, day=TODAY + DAY, bags=10, prefix="M")
    forecast = _forecast(engine, site_id, now)
    assert forecast.profile == "default"
    assert forecast.days[0].collected == pytest.approx(6)  # 60 % the same day
    assert forecast.days[1].collected == pytest.approx(3)


def test_a_site_with_a_few_days_pools_its_weekdays(engine: Engine, now: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        site_id = create_site(session, code="FEW", name="新点", now=now).id
    _history(engine, site_id=site_id, days=10)
    forecast = _forecast(engine, site_id, now)
    assert (forecast.profile, forecast.history_days) == ("site_all_weekdays", 10)


def _delivered(engine: Engine, *, site_id: int, day: dt.date, number: str, created_at: dt.datetime) -> None:
    with unit_of_work(engine) as session:
        session.execute(
            insert(Order).values(
                site_id=site_id,
                platform=PLATFORM,
                order_number=number,
                pickup_code=number,
                resident_name="李四",
                phone="13800138000",
                phone_tail="8000",
                delivery_date=day,
                storage_class="ambient",
                status="picked_up",
                created_at=created_at,
                received_at=local_moment(day, dt.time(9)),
                shelved_at=local_moment(day, dt.time(9)),
                picked_up_at=local_moment(day, dt.time(18)),
            )
        )


def test_the_backtest_uses_only_what_was_known_at_the_origin(
    engine: Engine, now: dt.datetime, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ten days of four bags a day, listed the evening before, all collected the day they come; yesterday a
    fifth bag was added in the morning, after the evening forecast: that forecast could not know it."""
    with unit_of_work(engine) as session:
        site_id = create_site(session, code="BT", name="回测点", now=now).id
    for back in range(1, 11):
        day = TODAY - back * DAY
        for i in range(4):
            _delivered(
                engine,
                site_id=site_id,
                day=day,
                number=f"D{back}-{i}",
                created_at=local_moment(day - DAY, dt.time(20, 30)),
            )
    _delivered(
        engine, site_id=site_id, day=TODAY - DAY, number="LATE", created_at=local_moment(TODAY - DAY, dt.time(8))
    )
    with unit_of_work(engine) as session:
        rebuild_rollups(session, site_id=site_id)
    with read_only(engine) as session:
        figures = backtest(session, site_id=site_id, days=2, now=now)
    assert (figures["days"], figures["first_day"], figures["last_day"]) == (2, "2026-11-23", "2026-11-24")
    assert sorted(figures["day_ahead"]) == [str(ahead) for ahead in range(1, 8)]
    one = figures["day_ahead"]["1"]
    assert set(one) >= {"mae", "mean", "naive_last_week_mae", "naive_four_weeks_mae", "peak_held"}
    assert set(one["peak_held"]["ambient"]) >= {"mae_share_of_slots"}
    # Monday: 4 forecast, 4 collected; Tuesday: 4 forecast (the fifth came after the origin), 5 collected.
    assert (one["mae"], one["mean"], one["naive_last_week_mae"]) == (0.5, 4.5, 0.5)
    # The command: the same figures as JSON, a short table in the reader's language.
    url = engine.url.render_as_string(hide_password=False)
    common = ["forecast", "backtest", "--site", "bt", "--days", "2", "--now", now.isoformat(), "--database-url", url]
    assert main([*common, "--json", str(tmp_path / "bt.json"), "--lang", "en"]) == 0
    assert json.loads((tmp_path / "bt.json").read_text(encoding="utf-8")) == figures
    assert main([*common, "--lang", "zh-CN"]) == 0
    english, chinese = capsys.readouterr().out.split("figures written to")
    assert "Forecast backtest for pickup point BT: 2 days from 2026-11-23 to 2026-11-24" in english
    assert " 1      0.5      4.5      0.5      0.5  ambient" in english
    assert "提货点 BT 的预测回测" in chinese and "常温" in chinese


def test_recent_accuracy_needs_a_week_of_days_to_judge(engine: Engine, world: World, now: dt.datetime) -> None:
    with read_only(engine) as session:
        accuracy = recent_accuracy(session, site_id=world.site_id, now=now)
    assert accuracy is not None and accuracy.days == 21  # of the 28 days, those with a week before them
    assert accuracy.mean_collected == pytest.approx(10) and accuracy.better_naive_mae == 0


@pytest.fixture
def sqlite_store(tmp_path: pathlib.Path, now: dt.datetime) -> Iterator[tuple[Engine, World]]:
    store = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade_to_head(store)
    world = make_world(store, now=now)
    _history(store, site_id=world.site_id)
    _expected(store, site_id=world.site_id, day=TODAY + DAY, bags=8, prefix="M")
    yield store, world
    store.dispose()


HISTORY_TABLES = (
    "orders",
    "items",
    "events",
    "held_rollups",
    "delivery_rollups",
    "hour_rollups",
    "day_rollups",
    "shifts",
    "assignments",
)


def test_the_forecast_reads_no_table_of_history_whole(sqlite_store: tuple[Engine, World], now: dt.datetime) -> None:
    store, world = sqlite_store
    with full_scans(store, tables=HISTORY_TABLES, at_least=8) as scans:
        _forecast(store, world.site_id, now)
    assert scans == []
